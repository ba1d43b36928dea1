/* What a file given in the wrong place looks like, for error messages that say what to do
 * ("this is a secret key file, not an anchor set"). */
#ifndef RECALL_FILEKIND_H
#define RECALL_FILEKIND_H

#include <stddef.h>
#include <stdint.h>

/* A short description of the first bytes of a file ("a secret key file (recall keygen)",
 * "JSON text", ...), or NULL when they are none of the kinds recall writes or reads. */
const char *file_kind(const uint8_t *p, size_t n);

#endif
