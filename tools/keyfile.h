/* Ed25519 key files of the recall tool: one line each,
 *   NAME.key  "recall-ed25519-secret <base64 of the 32-byte seed>"   (mode 0600)
 *   NAME.pub  "recall-ed25519-public <base64 of the 32-byte public key> [comment]"
 * Secret keys live only in sodium_malloc memory and are wiped when freed. */
#ifndef RECALL_TOOL_KEYFILE_H
#define RECALL_TOOL_KEYFILE_H

#include <stdint.h>

#include "recall/cose.h"

#define KEY_SECRET_TAG "recall-ed25519-secret"
#define KEY_PUBLIC_TAG "recall-ed25519-public"

struct seckey {
	uint8_t *sk; /* RC_SK_LEN bytes (seed || public key) in sodium_malloc memory */
	uint8_t pk[RC_PK_LEN];
	uint8_t kid[RC_KID_LEN];
};

/* Load a secret key file (refuses files that group or others can access). Prints a message
 * naming the file and returns -1 on error. */
int key_load_secret(const char *path, struct seckey *k);

/* Wipe and free a loaded secret key. */
void key_free(struct seckey *k);

/* Load a public key file; a message naming the file and line on error. */
int key_load_public(const char *path, uint8_t pk[static RC_PK_LEN]);

/* The text lines of a key pair; sec should be sodium_malloc memory. */
#define KEY_LINE_MAX 256
void key_format(char sec[static KEY_LINE_MAX], char pub[static KEY_LINE_MAX],
		const uint8_t seed[static 32], const uint8_t pk[static RC_PK_LEN],
		const char *comment);
/* The public key line alone (a key in a token has no secret key line). */
void key_format_public(char pub[static KEY_LINE_MAX], const uint8_t pk[static RC_PK_LEN],
		       const char *comment);

#endif
