/* Internal: the agent's persisted state blob and helpers shared by agent.c and agent_state.c. */
#ifndef RECALL_AGENT_STATE_H
#define RECALL_AGENT_STATE_H

#include "recall/agent.h"

#define RC_AGENT_STATE_FORMAT 1
#define RC_AGENT_CHECK_LEN    16 /* BLAKE2b-128 of the CBOR part, appended */

/* Fingerprint of an identity (all fields): a firmware change changes it. */
void rc__agent_fingerprint(uint8_t fp[static 32], const struct rc_identity *id);

/* True if s is a syntactically valid notice id (1..64 of [A-Za-z0-9._:-]). */
bool rc__agent_id_valid(const char *s, size_t n);

/* Decode a blob into a's persisted fields (mode, notice, anchors, overrides, times);
 * fp receives the saved identity fingerprint. On error the fields are garbage: the caller
 * resets them. */
int rc__agent_state_decode(struct rc_agent *a, const uint8_t *buf, size_t len,
			   uint8_t fp[static 32], struct rc_diag *diag);

/* Shared between agent.c (the state machine) and agent_ctl.c (lifecycle and owner control). */
#if defined(__GNUC__)
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF(f, a)
#endif
/* Log one line. */
PRINTF(3, 4) void rc__agent_say(struct rc_agent *a, enum rc_log_level lv, const char *fmt, ...);
/* Identity views into the agent's own arrays. */
void rc__agent_identity(const struct rc_agent *a, struct rc_identity *id);
/* Encode the state and hand it to the persist callback (errors counted and logged). */
void rc__agent_persist(struct rc_agent *a);
/* The same for a change of timing fields only: at most one write per timing_write_s, a later
 * one deferred to then (a crash loses at most that much timing: a boot check-in follows). */
void rc__agent_persist_timing(struct rc_agent *a);
/* Decode the held notice without verifying it. */
int rc__agent_held(const struct rc_agent *a, struct rc_notice *n);
/* Verify the held notice now into a->scratch (anchors, identity, validity). */
int rc__agent_held_check(struct rc_agent *a);
/* Call the quarantine callback and track whether quarantine is on. */
void rc__agent_quarantine(struct rc_agent *a, const struct rc_notice *n, bool on);
/* Lift and forget the held notice; persist; notify ev. */
void rc__agent_release(struct rc_agent *a, enum rc_agent_event ev);
/* Start a check-in episode now. */
void rc__agent_begin(struct rc_agent *a, uint8_t reason);
/* Schedule the next regular check-in (recheck while quarantined, else periodic). */
void rc__agent_schedule(struct rc_agent *a);
/* True if the owner overrode notice id (or all notices). */
bool rc__agent_overridden(const struct rc_agent *a, struct rc_str id);
/* Forget every outstanding nonce. */
void rc__agent_clear_pending(struct rc_agent *a);
/* Enter mode for the notice in a->scratch (views into a->notice): persist, notify, quarantine. */
void rc__agent_apply(struct rc_agent *a, uint8_t mode);

#endif
