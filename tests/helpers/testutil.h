/* Shared test helpers: test data paths, whole-file reads, fuzz seed files, hex. */
#ifndef RECALL_TESTUTIL_H
#define RECALL_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file under tests/data (rel path) into a malloc'd NUL-terminated buffer;
 * aborts the test program with a message if it cannot. */
char *tu_read_data(const char *rel, size_t *len);

/* Read any file; NULL on error. */
char *tu_read_file(const char *path, size_t *len);

/* Fuzz seed generators: write b to $RECALL_WRITE_SEEDS/corpus/name when that variable names the
 * corpus root (nothing otherwise); aborts the test program with a message if it cannot. */
void tu_write_seed(const char *corpus, const char *name, const uint8_t *b, size_t n);

/* Decode hex (whitespace ignored) into out; returns bytes written or -1. */
long tu_unhex(uint8_t *out, size_t cap, const char *hex);

#endif
