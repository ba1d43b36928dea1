/* Benchmark identities: devices a feed recalls and devices it does not, derived from the feed
 * itself so that the load generator and the DNS zone use exactly the same builds. */
#ifndef RECALL_BENCH_IDENT_H
#define RECALL_BENCH_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/feed.h"
#include "recall/identity.h"
#include "recall/msg.h"

/* A self-contained identity (owns its strings) and the answer a responder owes it. */
struct bench_ident {
	char vendor[RC_NAME_MAX + 1];
	char model[RC_NAME_MAX + 1];
	char hwrev[RC_HWREV_MAX + 1];
	char fwver[RC_FWVER_MAX + 1];
	char notice_id[RC_NOTICE_ID_MAX + 1]; /* covering notice; empty for a clear build */
	uint8_t severity;
	uint64_t build_date;
	bool has_build_date;
	bool has_digest;
	uint8_t digest[RC_DIGEST_LEN];
	uint8_t expect; /* RC_MSG_RECALLED or RC_MSG_CLEAR */
};

/* A feed file read into memory and parsed (structure only: the benchmark trusts it). */
struct bench_feed {
	uint8_t *buf;
	size_t len;
	struct rc_feed feed;
};

/* Read and parse a feed; -1 with a message on stderr. */
int bench_feed_load(struct bench_feed *bf, const char *path);
void bench_feed_free(struct bench_feed *bf);

/* The identity view of b (pointing into b). */
struct rc_identity bench_ident_view(const struct bench_ident *b);

/* An identity covered by notice i of the feed (and for which the feed's first valid covering
 * notice at `now` is a recall). false if none of the candidates tried is covered. */
bool bench_ident_recalled(const struct bench_feed *bf, uint32_t i, uint64_t now,
			  struct bench_ident *out);

/* A build of the same vendor and model as `from` that no valid notice covers at `now`
 * (another firmware version: the responder must find and check the model's notices), or, if
 * unlisted or every version is recalled, of a model of that vendor no notice names. */
bool bench_ident_clear(const struct bench_feed *bf, const struct bench_ident *from, uint64_t now,
		       unsigned salt, bool unlisted, struct bench_ident *out);

/* Up to n recalled identities spread evenly over the feed and as many clear ones (see
 * bench_ident_clear for unlisted); allocates *rec and *clr (free() them); returns the number of
 * each, or -1. Deterministic for a feed. */
long bench_ident_sample(const struct bench_feed *bf, size_t n, uint64_t now, bool unlisted,
			struct bench_ident **rec, struct bench_ident **clr);

/* DNSBL label of an identity: hex of the first 16 bytes of SHA-256(vendor NUL model NUL hwrev
 * NUL fwver), 32 characters and a NUL. */
void bench_ident_label(const struct bench_ident *b, char out[static 33]);

#endif
