/* Internal: the one-line public key file of an authority's feed key ("recall-ed25519-public
 * <base64>", written by recall-tool keygen), read by recalld and recall-gate. */
#ifndef RECALL_PUBKEY_H
#define RECALL_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include "recall/cose.h"

/* Parse the file's bytes; NULL on success, else why it is not a key (for "path: line 1: ..."). */
const char *rc_pubkey_parse(const uint8_t *buf, size_t n, uint8_t pk[static RC_PK_LEN]);

/* The rc_signer callback of a libsodium secret key (ctx: its RC_SK_LEN bytes). */
int rc__sign_sk(void *ctx, uint8_t sig[RC_SIG_LEN], const uint8_t *msg, size_t len);

#endif
