/* Ed25519 keys in a PKCS#11 token, named by an RFC 7512 "pkcs11:" URI, through p11-kit.
 * The module is the URI's module-path= (loaded directly), or else the modules p11-kit is
 * configured with (module-name= picks one). The PIN comes from the URI's pin-value= or
 * pin-source= (a file), else from $RECALL_PKCS11_PIN, else a prompt on the terminal.
 * The private key never leaves the token: it signs with CKM_EDDSA. */
#ifndef RECALL_TOOL_P11KEY_H
#define RECALL_TOOL_P11KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/cose.h"

#define P11_PIN_ENV "RECALL_PKCS11_PIN"

struct p11key;

/* True if s names a token key ("pkcs11:" URI) rather than a key file. */
bool p11_is_uri(const char *s);

/* Open the private key uri names (exactly one must match) and read its public key from the
 * public key object with the same CKA_ID (or label). A message naming the URI on error. */
int p11_open(const char *uri, struct p11key **k, uint8_t pk[static RC_PK_LEN]);

/* Sign msg with CKM_EDDSA; a message on error. */
int p11_sign(struct p11key *k, uint8_t sig[static RC_SIG_LEN], const uint8_t *msg, size_t len);

/* Log out, close the session and unload the module. */
void p11_close(struct p11key *k);

/* Generate an Ed25519 key pair in the token (CKM_EC_EDWARDS_KEY_PAIR_GEN): private key
 * sensitive and not extractable, labelled with the URI's object= (which must not exist yet). */
int p11_keygen(const char *uri, uint8_t pk[static RC_PK_LEN]);

#endif
