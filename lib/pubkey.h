/* Internal: the one-line public key file of an authority's feed key ("recall-ed25519-public
 * <base64>", written by recall-tool keygen), read by recalld and recall-gate. */
#ifndef RECALL_PUBKEY_H
#define RECALL_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include "recall/cose.h"

/* Parse the file's bytes; NULL on success, else why it is not a key (for "path: line 1: ..."). */
const char *rc_pubkey_parse(const uint8_t *buf, size_t n, uint8_t pk[static RC_PK_LEN]);

#endif
