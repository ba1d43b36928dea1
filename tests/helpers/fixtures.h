/* Test fixtures made with the library itself: deterministic keys, anchor sets, identities,
 * signed notices, rotation statements and answers. Shared by unit tests, fuzz seed generators,
 * the agent daemon's tests and the lab. No cmocka here: functions return rc_err codes. */
#ifndef RECALL_FIXTURES_H
#define RECALL_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/identity.h"
#include "recall/msg.h"
#include "recall/notice.h"

#define FX_NOW 1750000000u /* a fixed "current" wall time (June 2025) */

struct fx_key {
	uint8_t pk[RC_PK_LEN];
	uint8_t sk[RC_SK_LEN];
};

/* Deterministic Ed25519 key pair from a one-byte seed (seed repeated 32 times). */
void fx_key(struct fx_key *k, uint8_t seed);

/* n keys with seeds seed0, seed0+1, ... and the anchor set {epoch, k, those keys}. */
int fx_anchors(struct rc_anchors *a, struct fx_key *keys, size_t n, uint32_t k, uint64_t epoch,
	       uint8_t seed0);

/* The test device: acme / cam-1 / hwrev "a" / fwver "1.2.3" (views to static strings). */
void fx_identity(struct rc_identity *id);

/* A notice covering fx_identity's exact firmware version: id "RC-TEST-1", valid from
 * now - 1 day to now + 30 days, action quarantine, severity high, remedy URL and one
 * remedy endpoint 192.0.2.80/32. Views point to static strings. */
void fx_notice(struct rc_notice *n, uint64_t now);

/* Only what a notice must have: id "n1", expiry 10, acme / cam-1 version "1.0", remedy URL
 * "https://x". Views point to static strings. */
void fx_min_notice(struct rc_notice *n);

/* Wrap payload in COSE_Sign with content type ct and sign it with each of keys[0..nkeys). */
int fx_sign(uint8_t *out, size_t cap, size_t *len, uint64_t ct, const uint8_t *payload, size_t plen,
	    const struct fx_key *keys, size_t nkeys);

/* Encode n and sign it as a notice (RC_CT_NOTICE). */
int fx_signed_notice(uint8_t *out, size_t cap, size_t *len, const struct rc_notice *n,
		     const struct fx_key *keys, size_t nkeys);

/* A signed rotation statement from `from` to `next` (epoch from->epoch + 1), signed by keys. */
int fx_rotation(uint8_t *out, size_t cap, size_t *len, const struct rc_anchors *from,
		const struct rc_anchors *next, const struct fx_key *keys, size_t nkeys);

/* Encode an answer of type t echoing nonce: CLEAR (arg = serial), RETRY (arg = delay),
 * UNSUPPORTED (arg = max version), RECALLED/ROTATE (blob). */
int fx_answer(uint8_t *out, size_t cap, size_t *len, uint8_t t,
	      const uint8_t nonce[static RC_NONCE_LEN], uint64_t arg, const uint8_t *blob,
	      size_t blob_len);

#endif
