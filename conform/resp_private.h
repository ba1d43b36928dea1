/* The private side of recall-conform-responder (docs/PROTOCOL.md 18, docs/CONFORMANCE.md
 * "Private mode"): private check-ins and notice requests, answered honestly or forged. */
#ifndef RECALL_CONFORM_RESP_PRIVATE_H
#define RECALL_CONFORM_RESP_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "recall/msg.h"
#include "recall/notice.h"

struct episode {
	uint8_t cur[RC_NONCE_LEN], prev[RC_NONCE_LEN]; /* first nonces of this and the last one */
	unsigned count;                                /* check-ins answered in this mode */
	uint8_t notice[RC_NOTICE_MAX + 512];           /* the last notice sent, for its proof */
	size_t notice_len;
};

/* responder.c: a notice for c's identity as mode says (an empty fwver covers every build). */
int make_notice(uint8_t *out, size_t cap, size_t *len, const struct rc_checkin *c, const char *mode,
		const struct rc_endpoint *eps, size_t neps);
/* responder.c: the answer to a check-in as mode says (0: none). */
size_t answer(uint8_t *out, size_t cap, const struct rc_checkin *c, const char *mode,
	      const struct rc_endpoint *eps, size_t neps, struct episode *ep);

/* The answer to the private check-in or notice request in (n bytes) as mode says (0: none), and
 * its line in log (pre: its first fields, post: the source's). idpath: the DUT's stated identity
 * ("vendor model hwrev fwver", canonical), which a private check-in does not carry. */
size_t rp_answer(uint8_t *out, size_t cap, const uint8_t *in, size_t n, const char *mode,
		 const char *idpath, const struct rc_endpoint *eps, size_t neps, struct episode *ep,
		 FILE *log, const char *pre, const char *post);

#endif
