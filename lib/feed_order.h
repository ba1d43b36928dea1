/* Internal: the order of a feed's entries within one bucket (PROTOCOL.md 14.2), which the
 * writer sorts by and every reader checks (librecall's rc_feed_verify_notices, recalld's own
 * verifier): hash, then quarantine before notify-only, then higher severity, then id bytewise.
 * It decides which notice a responder answers with. */
#ifndef RECALL_FEED_ORDER_H
#define RECALL_FEED_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "recall/feed.h"

struct rc__feed_key {
	uint64_t hash;
	int action, severity;
	struct rc_str id;
};

/* <0, 0 or >0 as for memcmp. */
int rc__feed_key_cmp(const struct rc__feed_key *a, const struct rc__feed_key *b);

/* Whether entry i of f, with key k, may follow entry i - 1, with key prev: always for i == 0
 * and across a bucket boundary. */
bool rc__feed_in_order(const struct rc_feed *f, uint32_t i, const struct rc__feed_key *prev,
		       const struct rc__feed_key *k);

#endif
