/* Writing the log part of a publication directory (docs/PUBLISH.md "Layout"): hash tiles,
 * entry bundles, one file per entry named by its leaf hash, and the checkpoint. Used by
 * `recall publish` (the authority's PUBDIR) and by the sync engine (its verified cache, itself
 * a PUBDIR). Every file is written to a temporary name and renamed; the caller makes them
 * durable (syncfs) before it writes the top file. */
#ifndef RECALL_PUBDIR_H
#define RECALL_PUBDIR_H

#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/publication.h"
#include "recall/tlog.h"

struct pubdir_log {
	const uint8_t *const *ent; /* the n entries */
	const uint16_t *len;
	const uint8_t (*leaf)[RC_TLOG_HASH_LEN]; /* their leaf hashes */
	uint64_t n;
	uint64_t from;       /* files holding only entries below this exist and are complete */
	uint64_t entry_from; /* log/entry/ files only for entries from here (and from `from`) */
	const uint8_t *checkpoint;
	size_t checkpoint_len;
};

/* What pubdir_write_log wrote. */
struct pubdir_stats {
	uint64_t tiles, bundles, entries, files, bytes;
};

/* Writes DIR/log/...: the tiles of every level and the bundles from the one holding entry
 * `from` on (full ones once, the partial one at the size n: partial files of older sizes stay,
 * as in a log directory), DIR/log/entry/<hex leaf hash> of entries max(from, entry_from)..n-1, and
 * DIR/log/checkpoint. -1 with "path: why" in err. stats may be NULL. */
int pubdir_write_log(const char *dir, const struct pubdir_log *lg, struct pubdir_stats *stats,
		     char *err, size_t errlen);

/* The feed a publication makes of its log's n entries (common/pubfeed.c). */
struct pubfeed {
	const uint8_t **v; /* the served notices, in log order */
	size_t *len;
	uint64_t *index; /* their log indexes */
	size_t n;
	uint64_t *rot, *rot_epoch; /* rotation statements: log index, from epoch */
	size_t nrot;
	uint8_t *feed; /* RCFEED01 of the served notices, signed with sk */
	size_t feed_len;
};

/* Fills f; 0, -1 (the publication is at fault: "log entry I: why" in err) or -2 (out of
 * memory). pubfeed_free in any case after 0. The threshold of notices below index `checked`
 * is not checked again: the caller verified those very bytes under the same anchor set before
 * (the held copy, whose entries gave the held root). */
int pubfeed_make(struct pubfeed *f, const struct rc_pub *pub, const struct rc_anchors *a,
		 const uint8_t *const *ent, const uint16_t *len, uint64_t n, uint64_t checked,
		 const uint8_t *sk, char *err, size_t errlen);
void pubfeed_free(struct pubfeed *f);

#endif
