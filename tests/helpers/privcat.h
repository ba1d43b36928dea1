/* The test catalogue of private mode (docs/PROTOCOL.md 18): a feed whose models have several
 * notices each (exact versions, ranges, notify-only, not yet valid, expired), models sharing a
 * prefix, a bucket of more than one page (more than 116 models under one prefix, names found by
 * search), and models without notices; and the identities checked against it. Shared by
 * test_private_table (librecall) and test_agent_private (the agent core). */
#ifndef RECALL_PRIVCAT_H
#define RECALL_PRIVCAT_H

#include <stddef.h>
#include <stdint.h>

#include "fixtures.h"
#include "recall/feed.h"
#include "recall/private.h"

#define PRIVCAT_MODELS   12
#define PRIVCAT_PAGED    (RC_BUCKET_ENTRIES_MAX + 4) /* models under one prefix: two pages */
#define PRIVCAT_NOTICES  (PRIVCAT_MODELS * 4 + PRIVCAT_PAGED + 2)
#define PRIVCAT_NAMES    (PRIVCAT_MODELS + PRIVCAT_PAGED + 2)
#define PRIVCAT_VERSIONS 7
#define PRIVCAT_SERIAL   1

struct privcat {
	struct rc_feed feed; /* serial PRIVCAT_SERIAL, valid at now */
	uint8_t *feed_buf;   /* heap (rc_feed_build) */
	size_t nnotices;
	uint16_t paged_prefix; /* the prefix of the two-page bucket (tp-link / m0's) */
	uint64_t next_change;  /* the first time after now a notice becomes valid */
};

/* Build the catalogue at now: notices signed by keys[0..nsig), the feed by keys[0]. RC_OK, or
 * an error of the encoders (or RC_ERR_MISSING if the paged names were not found). */
int privcat_build(struct privcat *c, const struct fx_key *keys, size_t nsig, uint64_t now);
void privcat_free(struct privcat *c);

/* The i-th identity (0 .. PRIVCAT_NAMES * PRIVCAT_VERSIONS - 1): model i / PRIVCAT_VERSIONS at
 * version i % PRIVCAT_VERSIONS. Views into static strings. */
void privcat_identity(size_t i, struct rc_identity *id);
#define PRIVCAT_IDENTITIES (PRIVCAT_NAMES * PRIVCAT_VERSIONS)

/* The identities both modes recall: per model 1.0 (exact, first in feed order) and 1.5 (the
 * notify-only range [1.0, 2.0)); not 2.5 (expired) or 3.0 and 9 (not yet valid); the paged
 * models at 1.0. */
#define PRIVCAT_RECALLED (PRIVCAT_MODELS * 2 + PRIVCAT_PAGED)

#endif
