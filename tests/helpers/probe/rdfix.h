/* recalld test worlds: deterministic feed key, anchor sets per epoch, notices, feeds (good and
 * deliberately bad), rotation statements; in memory or written to a directory. */
#ifndef RECALL_RDFIX_H
#define RECALL_RDFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixtures.h"
#include "recall/feed.h"
#include "recall/note.h"

#define RDFIX_FEED_SEED  0xf0 /* feed signing key */
#define RDFIX_OTHER_SEED 0xf1 /* a key that is not the feed key */
#define RDFIX_K          2    /* anchors: 2 of 3 */
#define RDFIX_N          3

struct rdfix_opts {
	uint64_t now; /* wall clock the validity windows are built around */
	uint64_t serial;
	unsigned nnotices;   /* notice i (1-based): id RC-TEST-i, acme / cam-i, fwver 1.2.3 */
	int64_t expiry_off;  /* feed expiry relative to now (seconds; <= 0: expired) */
	uint64_t epoch;      /* anchor epoch the notices are signed by */
	const char *corrupt; /* NULL, "sig", "truncate", "wrongkey", "notice", "anchors" */
};

/* Log policy of every anchor set of the world (rdfix_log_world), none by default. Witness i
 * (0-based) is named "w<i>.example" with the key of seed RDFIX_WITNESS_SEED + i. */
#define RDFIX_WITNESS_SEED 0xe0
extern bool rdfix_has_log;
extern struct rc_log_policy rdfix_log;
/* Give the world a log policy: origin, the log's public key, nwit witnesses, quorum. */
int rdfix_log_world(const char *origin, const uint8_t log_pk[32], unsigned nwit, unsigned quorum,
		    uint32_t max_age);
/* Witness i's note key (algorithm 0x04) and secret key. */
void rdfix_witness(struct rc_note_key *k, uint8_t sk[64], unsigned i);
/* Append witness i's cosignature at time t to the signed note in buf (len bytes, cap). */
int rdfix_cosign(char *buf, size_t cap, size_t *len, unsigned i, uint64_t t);

/* The test log's key (note name RDFIX_LOG_ORIGIN, algorithm 0x01). */
#define RDFIX_LOG_SEED   0xd0
#define RDFIX_LOG_ORIGIN "log.example.org/rdfix"
void rdfix_log_key(struct rc_note_key *k, uint8_t sk[64]);
/* Write a log of size entries (< 65536) to dir/tlog: its tiles and checkpoint, no entry
 * bundles. The leaves are hashes of "entry <i>" but for notices 1..nlogged of the world, at
 * indexes at .. at + nlogged - 1, followed by the rotation statements from epochs 0 ..
 * rdfix_log_rotations - 1 (none by default). Cosigned by witnesses 0..ncosig-1 at times
 * t0 + i. */
extern unsigned rdfix_log_rotations;
int rdfix_write_log(const char *dir, const struct rdfix_opts *o, uint64_t size, uint64_t at,
		    unsigned nlogged, unsigned ncosig, uint64_t t0);

/* When set, the model of every notice (all in one bucket, ordered by severity then id),
 * instead of cam-<i>. */
extern const char *rdfix_model;

/* Defaults: now = time(NULL), serial 1, 3 notices, 30 days, epoch 1, not corrupt. */
void rdfix_defaults(struct rdfix_opts *o);

/* Anchor set of an epoch (2 of 3 keys, seeds from the epoch) and its keys. */
int rdfix_anchors(struct rc_anchors *a, struct fx_key keys[RDFIX_N], uint64_t epoch);

/* Notice i (1-based) of the test world, signed by nsign anchor keys of epoch. */
int rdfix_notice(uint8_t *out, size_t cap, size_t *len, unsigned i, uint64_t now, uint64_t epoch,
		 unsigned nsign);

/* The feed bytes (malloc'd). */
int rdfix_feed(uint8_t **out, size_t *len, const struct rdfix_opts *o);

/* Rotation statement from epoch e to e + 1. */
int rdfix_rotation(uint8_t *out, size_t cap, size_t *len, uint64_t from_epoch);

/* Public key file text of a key ("recall-ed25519-public <base64>\n") into out (128 bytes). */
void rdfix_publine(char out[128], const uint8_t pk[static RC_PK_LEN]);

/* Write dir/feed (atomically: temporary file and rename), dir/feed.pub, dir/anchors (of
 * o->epoch) and, when rotations, dir/rot-E and the set it rotates from, dir/anchors-E, for E in
 * 0..epoch-1; with a log policy also each notice as dir/n<i>.notice (to append to a log). 0 or
 * -1 (message on stderr). */
int rdfix_write_dir(const char *dir, const struct rdfix_opts *o, bool rotations);

#endif
