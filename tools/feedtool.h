/* Shared by the feed subcommands (feed.c: build; feed_show.c: verify, show, lookup). */
#ifndef RECALL_TOOL_FEEDTOOL_H
#define RECALL_TOOL_FEEDTOOL_H

#include <stdbool.h>

#include "recall/feed.h"
#include "util.h"

/* Problems named one by one before "... and N more": enough to act on, not a flood. */
#define FEED_REPORT_MAX 20

/* Map FEED and open it: with pubpath, structure and signature (rc_feed_open); without, the
 * structure only (rc_feed_parse). Prints a message naming the file on error. */
int feed_load(const char *path, const char *pubpath, struct mapped *m, struct rc_feed *f);

/* Decode notice i of an opened feed (COSE_Sign and notice payload, no signature check). */
int feed_decode_at(const struct rc_feed *f, uint32_t i, struct rc_cose_sign *m, struct rc_notice *n,
		   struct rc_diag *d);

/* True if notice i of an opened feed fails (decode, threshold, index entry); says why when
 * report is set. */
bool feed_notice_problem(const char *path, const struct rc_feed *f, uint32_t i,
			 const struct rc_anchors *a, bool report);

/* A notice of a feed, for sorting by vendor, model, id (views into the feed). */
struct feed_ref {
	struct rc_str vendor, model, id;
	uint32_t idx;
	uint8_t action, severity;
	uint64_t expiry;
};
/* qsort order of feed_ref: vendor, model, id, index. */
int feed_ref_cmp(const void *a, const void *b);
/* Every notice decoded and sorted (malloc'd); NULL with a message if one does not decode. */
struct feed_ref *feed_refs(const char *path, const struct rc_feed *f);

int feed_verify(int argc, char **argv);
int feed_show(int argc, char **argv);
int feed_lookup(int argc, char **argv);

#endif
