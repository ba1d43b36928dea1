/* Internal: the agent's persisted state blob and helpers shared by agent.c and agent_state.c. */
#ifndef RECALL_AGENT_STATE_H
#define RECALL_AGENT_STATE_H

#include "recall/agent.h"

#define RC_AGENT_STATE_FORMAT     2  /* 1: key 4 was an anchor set (ignored when read) */
#define RC_AGENT_STATE_FORMAT_LOG 3  /* 2 plus key 11 and/or 12: log proofs */
#define RC_AGENT_CHECK_LEN        16 /* BLAKE2b-128 of the CBOR part, appended */

/* Fingerprint of an identity (all fields): a firmware change changes it. */
void rc__agent_fingerprint(uint8_t fp[static 32], const struct rc_identity *id);

/* True if s is a syntactically valid notice id (1..64 of [A-Za-z0-9._:-]). */
bool rc__agent_id_valid(const char *s, size_t n);

/* What a decoded blob says besides the agent's fields. */
struct rc_agent_saved {
	uint8_t fp[32];  /* the saved identity fingerprint */
	unsigned format; /* 1, RC_AGENT_STATE_FORMAT or RC_AGENT_STATE_FORMAT_LOG */
	bool v1_anchors; /* format 1 with an anchor set (ignored) */
};

/* Decode a blob into a's persisted fields (mode, notice, chain, overrides, times, floor); the
 * chain is copied, not verified. On error the fields are garbage: the caller resets them. */
int rc__agent_state_decode(struct rc_agent *a, const uint8_t *buf, size_t len,
			   struct rc_agent_saved *sv, struct rc_diag *diag);

/* Re-derive a->anchors from the firmware's set (a->cfg.anchors) by applying a->chain statement
 * by statement (rc_anchors_rotate); a statement applied under a set with a log policy needs its
 * saved log proof to verify (without the age check). Statements older than the firmware's set
 * are dropped from the front (the firmware shipped a newer set). On success the chain holds
 * exactly the applied statements. A statement that fails: *at is its index, its error is
 * returned and, if its signatures failed, a->anchors is the firmware's set and the chain is
 * emptied; if only its proof failed (*proof set), the chain stops there: the statements before
 * it stay applied (each verified with its own proof) and a->anchors is the set they lead to. */
int rc__agent_chain_derive(struct rc_agent *a, size_t *at, bool *proof);

/* Append a verified statement that moved the anchors from epoch cfg + nchain, with its log
 * proof (plen 0: applied under a set without a log policy): true if both fit the chain's
 * bounds (else the rotation lives in memory only). */
bool rc__agent_chain_append(struct rc_agent *a, const uint8_t *stmt, size_t len,
			    const uint8_t *proof, size_t plen);

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
/* The held notice's saved proof against the current anchor set's log, without the age check
 * (acting was justified when it arrived); fills the status summary. quiet: no log line. */
int rc__agent_proof_check(struct rc_agent *a, bool quiet);
/* Verify the held notice now into a->scratch (anchors, identity, validity; with a log policy
 * its proof too). */
int rc__agent_held_check(struct rc_agent *a);
/* Read the wall clock as the core uses it: *trusted = the glue calls it trusted and it is not
 * below the time floor; returns the reading when trusted, else the floor. A trusted reading
 * raises the floor; a change of verdict is logged. */
uint64_t rc__agent_clock(struct rc_agent *a, bool *trusted);
/* Raise the time floor to t (never lowers it). */
void rc__agent_floor(struct rc_agent *a, uint64_t t);
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
/* Rate-limited log for lines that remote input can trigger. */
PRINTF(3, 4) void rc__agent_sayr(struct rc_agent *a, enum rc_log_level lv, const char *fmt, ...);
/* Uniform random number below n (0 if n <= 1, drawing nothing). */
uint64_t rc__agent_rand(struct rc_agent *a, uint64_t n);
/* Eight random bytes from the glue as one number. */
uint64_t rc__agent_rand64(struct rc_agent *a);
/* rc_notice_check at the current time into a->scratch (9.4, with the time floor). */
int rc__agent_check_notice(struct rc_agent *a, const uint8_t *blob, size_t len,
			   struct rc_verdict *v, struct rc_diag *d);
/* An answer to an outstanding datagram is acted upon: the episode is over. */
void rc__agent_settle(struct rc_agent *a, uint8_t responder);
/* Start waiting for an answer; false (counted, logged) if the datagram did not encode. */
bool rc__agent_start_wait(struct rc_agent *a, int encode_err, const char *what);
/* Send a->buf.dgram (nonce n) to the current responder and remember the nonce (proof: a proof
 * request; priv: RC_AGENT_PEND_*). */
void rc__agent_send_dgram(struct rc_agent *a, const uint8_t n[RC_NONCE_LEN], bool proof,
			  uint8_t priv, uint8_t reason);
/* The outstanding datagram an answer of type t with nonce from responder r answers, if that type
 * may answer it (else counted, logged, and the error returned). */
int rc__agent_pending(struct rc_agent *a, uint8_t t, const uint8_t nonce[RC_NONCE_LEN], uint8_t r,
		      struct rc_agent_pending **out);
/* A clear answer (or private mode's equal): settle, release a held notice, schedule. */
void rc__agent_on_clear(struct rc_agent *a, uint8_t responder, uint64_t serial);
/* Private mode (agent_private.c, PROTOCOL.md 18.4): send the walk's due step (a private
 * check-in for a->page, or a notice request for a->pindex); a bucket answer; a notice that
 * verified but does not cover (p: the notice request it answered): the next index, or clear. */
void rc__agent_send_private(struct rc_agent *a, uint8_t reason);
int rc__agent_on_bucket(struct rc_agent *a, const uint8_t *buf, size_t len, uint8_t responder);
int rc__agent_walk_next(struct rc_agent *a, struct rc_agent_pending *p);
/* Answers with signed content (agent_recall.c); p: the outstanding datagram answered. */
int rc__agent_on_recall(struct rc_agent *a, const uint8_t *blob, size_t len,
			struct rc_agent_pending *p);
int rc__agent_on_proof(struct rc_agent *a, const uint8_t *blob, size_t len, uint8_t responder);
void rc__agent_on_unlogged(struct rc_agent *a, uint32_t delay, uint8_t responder);
int rc__agent_on_rotate(struct rc_agent *a, const uint8_t *blob, size_t len,
			struct rc_agent_pending *p);

#endif
