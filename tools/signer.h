/* The key that signs: a secret key file (keyfile.h) or a key in a PKCS#11 token (a "pkcs11:"
 * URI, p11key.h). Every signing path of the tool opens one with signer_open and passes &s.rc
 * to librecall's rc_*_signer functions, or calls signer_sign. */
#ifndef RECALL_TOOL_SIGNER_H
#define RECALL_TOOL_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "keyfile.h"
#include "p11key.h"
#include "recall/cose.h"
#include "recall/note.h"

struct signer {
	struct rc_signer rc; /* public key and sign callback, for rc_*_signer */
	uint8_t kid[RC_KID_LEN];
	const char *name; /* the file or URI given, for messages */
	struct seckey file;
	struct p11key *token;
};

/* Open the key spec names: a pkcs11: URI or a secret key file. A message naming it on error. */
int signer_open(struct signer *s, const char *spec);

/* Ed25519 signature of msg; checked against the public key (a token's key must match the
 * public key recall read from it). A message naming the key on error. */
int signer_sign(struct signer *s, uint8_t sig[static RC_SIG_LEN], const uint8_t *msg, size_t len);

/* Write text, a blank line and a signed-note signature line by k (whose public key must be
 * s's) to out, as rc_note_sign does with a key in memory. */
int signer_note(struct signer *s, char *out, size_t cap, size_t *len, const char *text,
		size_t text_len, const struct rc_note_key *k);

/* Wipe a file key, or close the token session. */
void signer_close(struct signer *s);

#endif
