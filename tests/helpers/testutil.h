/* Shared test helpers: test data paths, whole-file reads, hex. */
#ifndef RECALL_TESTUTIL_H
#define RECALL_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file under tests/data (rel path) into a malloc'd NUL-terminated buffer;
 * aborts the test program with a message if it cannot. */
char *tu_read_data(const char *rel, size_t *len);

/* Read any file; NULL on error. */
char *tu_read_file(const char *path, size_t *len);

/* Decode hex (whitespace ignored) into out; returns bytes written or -1. */
long tu_unhex(uint8_t *out, size_t cap, const char *hex);

#endif
