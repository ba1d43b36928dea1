/* The local feed key of a publication consumer (common/localkey.c). */
#ifndef RECALL_LOCALKEY_H
#define RECALL_LOCALKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOCAL_KEY_TAG "recall-ed25519-secret "

/* The key at path: read (a regular file of mode 0600 only, "recall-ed25519-secret BASE64"), or
 * made when absent and create is set. sk: the Ed25519 secret key (its public half is sk + 32).
 * 0, or -1 with "PATH: why" in err. */
int local_key(const char *path, bool create, uint8_t sk[64], char *err, size_t errlen);

#endif
