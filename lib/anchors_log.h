/* Internal: the log policy of an anchor set (key 4), shared by anchors.c and logproof.c. */
#ifndef RECALL_ANCHORS_LOG_H
#define RECALL_ANCHORS_LOG_H

#include "cbor_io.h"
#include "recall/anchors.h"

/* Field names under "anchors.log" or "rotation.next.log". */
struct rc__log_names {
	const char *map, *origin, *key, *witnesses, *witness, *quorum, *max_age;
};
extern const struct rc__log_names rc__log_top_names, rc__log_next_names;

/* Validity of a decoded or caller-built policy, key ids included: RC_OK or the error. */
int rc__log_policy_check(const struct rc_log_policy *p);
/* Decode log-policy at the cursor into p (zeroed first). */
void rc__log_policy_read(struct rc_rd *r, struct rc_log_policy *p, const struct rc__log_names *nm);
/* Encode p (already checked). */
void rc__log_policy_write(struct rc_wr *w, const struct rc_log_policy *p);
/* A 4-byte big-endian note key id. */
void rc__log_kid(uint8_t kid[4], const char *name, uint8_t alg, const uint8_t pk[RC_PK_LEN]);

#endif
