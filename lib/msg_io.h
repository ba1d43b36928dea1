/* Internal: the request plumbing of lib/msg.c shared with the private-mode messages
 * (lib/private.c): reader start, key order, the common keys 0..2 of a 1200-byte request, and the
 * zero pad. Declared here, not in include/recall, so they stay out of librecall's exports. */
#ifndef RECALL_MSG_IO_H
#define RECALL_MSG_IO_H

#include "cbor_io.h"
#include "recall/msg.h"

/* Upper bound on map entries: each entry takes at least two bytes of the datagram. */
#define RC_MSG_ENTRIES_MAX (RC_CHECKIN_SIZE / 2)

/* Key 7 and the zero pad that makes the datagram exactly RC_CHECKIN_SIZE long (then the sender
 * mark of a gateway's check-in if sender is not 0). */
int rc_msg_wr_pad(struct rc_wr *w, uint8_t *out, unsigned sender);
/* Start decoding a datagram of min..max bytes into *out (size bytes, zeroed first). */
int rc_msg_rd_begin(struct rc_rd *r, void *out, size_t size, const uint8_t *buf, size_t len,
		    size_t min, size_t max, const char *field, struct rc_diag *diag);
/* RC_ERR_MISSING naming the first key of want (bits 0..last) that is not in seen. */
void rc_msg_rd_require(struct rc_rd *r, unsigned want, unsigned seen, const char *const *names,
		       int last);
/* The next top-level key into *k; false at an error or a key before the type. */
bool rc_msg_rd_top_key(struct rc_rd *r, struct rc_keys *ks, unsigned seen, const char *field,
		       int64_t *k);
/* The zero pad (key 7's value). */
void rc_msg_rd_pad(struct rc_rd *r);
/* Keys 0..2 of a request (6.3) or of a private-mode answer of the given type; true if k was one
 * of them. */
bool rc_msg_rd_head(struct rc_rd *r, int64_t k, unsigned type, uint64_t *version,
		    uint8_t nonce[RC_NONCE_LEN], unsigned seen);

#endif
