/* Test fixtures for the transparency log as devices see it: a log policy with deterministic
 * keys, and real compact proofs of an entry in a tree built with librecall's hashing, under a
 * checkpoint signed by the log key and cosigned by the witnesses (rc_note_sign, rc_cosig_sign).
 * Shared by unit tests, fuzz seed generators and the benches. No cmocka here. */
#ifndef RECALL_LOGFIX_H
#define RECALL_LOGFIX_H

#include <stddef.h>
#include <stdint.h>

#include "fixtures.h"
#include "recall/logproof.h"

#define FX_LOG_ORIGIN  "log.example.org/recall"
#define FX_LOG_WIT_MAX 8

/* The log key (seed `seed`) and witnesses "w<i>.example.org" (seeds seed + 1 + i). */
void fx_log_keys(struct fx_key *log, struct fx_key *wit, uint32_t nwit, uint8_t seed);

/* Give a the log policy of fx_log_keys(seed): nwit witnesses, quorum q, max_age seconds. */
int fx_log_policy(struct rc_anchors *a, uint32_t nwit, uint32_t q, uint32_t max_age, uint8_t seed);

/* Entry i of the fixture log: "entry <i>", or `entry` at index `at`. */
struct fx_log_tree {
	uint64_t size, at;
	const uint8_t *entry;
	size_t entry_len;
};

/* Root of the tree and the inclusion path of t->at (RFC 6962, recomputed from the entries:
 * O(size) hashes, no storage). */
int fx_log_path(const struct fx_log_tree *t, uint8_t root[32], uint8_t (*path)[32], size_t *npath);

/* The signed checkpoint note of (size, root) under fx_log_keys(seed): the log signature, then
 * a cosignature by witness i at times[i] for each i < nwit with times[i] != 0. */
int fx_log_note(char *out, size_t cap, size_t *len, uint64_t size, const uint8_t root[32],
		uint32_t nwit, const uint64_t *times, uint8_t seed);

/* A compact proof of `entry` at index `at` of a tree of `size` (everything above in one step),
 * through rc_logproof_from_note with a's log policy. */
int fx_log_proof(struct rc_logproof *p, const struct rc_anchors *a, const uint8_t *entry,
		 size_t entry_len, uint64_t at, uint64_t size, const uint64_t *times, uint8_t seed);

#endif
