/* Canonical standard base64 (RFC 4648 §4, with padding) for notes and checkpoints. */
#ifndef RECALL_NOTE_B64_H
#define RECALL_NOTE_B64_H

#include <stddef.h>
#include <stdint.h>

/* Characters of the padded encoding of n bytes. */
#define RC_B64_LEN(n) ((((size_t)(n) + 2) / 3) * 4)

/* Decodes exactly the n characters at s into out[cap]: RC_ERR_SYNTAX unless they are the
 * canonical padded encoding (no whitespace, zero pad bits), RC_ERR_TOOLONG past cap. */
int rc_b64_decode(uint8_t *out, size_t cap, size_t *len, const char *s, size_t n);

#endif
