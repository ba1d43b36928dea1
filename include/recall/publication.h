/* An authority's publication (docs/PUBLISH.md, PROTOCOL.md 17): its transparency log plus one
 * small top file "recall-publication", a COSE_Sign (tag 98, content type RC_CT_PUBLICATION)
 * by the feed key whose payload names the log checkpoint the publication covers and the log
 * indexes of notices withdrawn from the feed:
 *
 *   publication = { 1: 1, 2: serial, 3: issued, 4: expiry, 5: bstr .size 8 (anchors id),
 *                   6: bstr (signed checkpoint note, <= 8 KiB), 7: [* uint] (withdrawn) }
 *
 * Decoding is strict (deterministic CBOR, exactly keys 1..7). Additions beyond the binding API
 * of docs/design (compatible): the RC_PUB_* limits, rc_pub_withdrawn_item() to walk the list,
 * rc_pub_checkpoint() to check the covered checkpoint under an anchor set's log policy, and
 * the wn[] counts in struct rc_pub (filled by rc_pub_open, read by the two lookups).
 *
 * No OS calls. rc_pub_open allocates one buffer of the signed structure's size (at most
 * RC_PUB_MAX + 64 bytes) and frees it before returning: a top file is larger than the stack
 * buffers of lib/cose.c, and it is opened once per poll, not per request. */
#ifndef RECALL_PUBLICATION_H
#define RECALL_PUBLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/cose.h"
#include "recall/error.h"
#include "recall/note.h"

#ifndef RC_CT_PUBLICATION
#define RC_CT_PUBLICATION 65102 /* also in cose.h */
#endif
#define RC_PUB_VERSION        1
#define RC_PUB_MAX            65536      /* bytes of a top file */
#define RC_PUB_CHECKPOINT_MAX 8192       /* bytes of the checkpoint note in it */
#define RC_PUB_WITHDRAWN_MAX  65536      /* withdrawn indexes */
#define RC_PUB_LOG_MAX        (1u << 24) /* entries a publication may cover */
#define RC_PUB_ENTRY_MAX      1160       /* bytes of one log entry (= RC_NOTICE_MAX) */
#define RC_PUB_TILE_MAX       (256 * 32) /* bytes of one hash tile */
#define RC_PUB_BUNDLE_MAX     (256 * (2 + RC_PUB_ENTRY_MAX)) /* bytes of one entry bundle */

struct rc_pub {
	uint64_t serial, issued, expiry;
	uint8_t anchors_id[8];
	const uint8_t *checkpoint; /* points into the buffer */
	size_t checkpoint_len;
	const uint8_t *withdrawn_cbor; /* the array's items (CBOR uints), nwithdrawn of them */
	size_t nwithdrawn;
	/* Items of each head length (1, 2, 3, 5, 9 bytes): sorted items have non-decreasing
	 * head lengths, which makes the list indexable without a copy. */
	uint32_t wn[5];
};

/* Decode and verify the top file's COSE signature by feed_pk (no time/serial checks): tag 98,
 * content type RC_CT_PUBLICATION, a signature whose kid is feed_pk's that verifies (others are
 * ignored: a feed key rollover may add one), the payload map exactly as above, version 1,
 * issued < expiry, checkpoint 1..RC_PUB_CHECKPOINT_MAX bytes, withdrawn strictly increasing
 * and at most RC_PUB_WITHDRAWN_MAX items. That withdrawn indexes are below the log size is
 * checked by rc_pub_checkpoint. RC_ERR_SIG if no signature of feed_pk verifies. */
int rc_pub_open(struct rc_pub *p, const uint8_t *buf, size_t len, const uint8_t feed_pk[static 32],
		struct rc_diag *diag);

/* True if log index is in p's withdrawn list (binary search). */
bool rc_pub_withdrawn(const struct rc_pub *p, uint64_t index);

/* Withdrawn item i (0..nwithdrawn-1), in increasing order. */
uint64_t rc_pub_withdrawn_item(const struct rc_pub *p, size_t i);

/* The covered checkpoint under a's log policy, as recalld's transparency-log loader checks it:
 * a signed note, origin = the policy's log, no extension lines, the log key's signature and
 * valid cosignatures of at least quorum witnesses; its size at most RC_PUB_LOG_MAX and every
 * withdrawn index below it. Fills *cp (views into p's buffer). RC_ERR_INVALID if a has no log
 * policy, RC_ERR_SIG (log signature), RC_ERR_THRESHOLD (quorum), RC_ERR_RANGE (size,
 * withdrawn), RC_ERR_SYNTAX and others from the note parsers, with diag->field. */
int rc_pub_checkpoint(const struct rc_pub *p, const struct rc_anchors *a, struct rc_checkpoint *cp,
		      struct rc_diag *diag);

/* Encode + sign (tool side, allocates *out with malloc). meta's serial, issued, expiry,
 * anchors_id and checkpoint are used (withdrawn_cbor, nwithdrawn and wn are ignored);
 * withdrawn[0..nwithdrawn) must be strictly increasing. RC_ERR_INVALID for what rc_pub_open
 * would refuse, RC_ERR_TOOLONG above RC_PUB_MAX. */
int rc_pub_build(uint8_t **out, size_t *out_len, const struct rc_pub *meta,
		 const uint64_t *withdrawn, size_t nwithdrawn, const uint8_t sk[static 64]);
/* As rc_pub_build, signed by s (a key file or a PKCS#11 token, cose.h); RC_ERR_IO if s cannot
 * sign. */
int rc_pub_build_signer(uint8_t **out, size_t *out_len, const struct rc_pub *meta,
			const uint64_t *withdrawn, size_t nwithdrawn, const struct rc_signer *s);

#endif
