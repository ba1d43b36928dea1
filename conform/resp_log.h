/* The log side of recall-conform-responder (docs/CONFORMANCE.md, "Log requirement"). */
#ifndef RECALL_CONFORM_RESP_LOG_H
#define RECALL_CONFORM_RESP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/logproof.h"

/* The suite's key i of a family (label): from a fixed seed, so that the responder's commands
 * agree without key files. */
void rl_key(const char *label, int i, uint8_t pk[32], uint8_t sk[64]);

/* Give a the suite's log policy: one log key, 3 witnesses, quorum 2, cosignatures at most an
 * hour old. */
int rl_policy(struct rc_anchors *a);

/* True for the modes that answer proof requests (logok and its forgeries). */
bool rl_mode(const char *mode);

/* The log-proof CBOR for entry (the exact notice bytes) under a's policy, as mode says: logok
 * an honest one; logother a valid proof of another entry; logbelow cosigned by quorum - 1
 * witnesses; logstale cosignatures older than the policy's max_age (now: the DUT's time). */
int rl_proof(uint8_t *out, size_t cap, size_t *len, const struct rc_anchors *a,
	     const uint8_t *entry, size_t entry_len, const char *mode, uint64_t now);

#endif
