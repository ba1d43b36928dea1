/* The agent's answers that carry signed content: a recall and a rotation (acted on at once, or
 * with a log policy only after its proof, PROTOCOL.md 12.7), a proof, retry-later to a proof
 * request. Verify everything first; fail open on anything that does not verify. The episode
 * machinery (nonces, timers, settle) is in agent.c. */
#include <string.h>

#include "agent_state.h"
#include "recall/tlog.h"

#define ROTATIONS_MAX 16u /* rotations followed in one episode */

/* The log policy's quorum, for log lines (a RC_AGENT_NO_LOG build keeps no policy). */
static uint32_t quorum(const struct rc_anchors *s)
{
#ifdef RC_AGENT_NO_LOG
	(void)s;
	return 0;
#else
	return s->log.quorum;
#endif
}

int rc__agent_proof_check(struct rc_agent *a, bool quiet)
{
	struct rc_logproof *lp = &a->buf.lp;
	struct rc_diag d = {0, "proof"};
	uint32_t w = 0;
	int err =
	    a->proof_len ? rc_logproof_decode(lp, a->proof, a->proof_len, &d) : RC_ERR_MISSING;
	if (!err)
		err =
		    rc_logproof_verify(&a->anchors, a->notice, a->notice_len, lp, 0, false, &w, &d);
	if (err && !quiet) {
		rc__agent_say(a, RC_LOG_WARNING, "held notice: log proof %s (%s)",
			      a->proof_len ? rc_strerror(err) : "missing",
			      d.field ? d.field : "proof");
	}
	if (err)
		return err;
	a->log_index = lp->index;
	a->log_size = lp->size;
	a->log_witnessed = w;
	return RC_OK;
}

/* Verify the held notice now (anchors may have rotated, the clock may now be trusted); with a
 * log policy its proof too. */
int rc__agent_held_check(struct rc_agent *a)
{
	int err = rc__agent_check_notice(a, a->notice, a->notice_len, NULL, NULL);
	if (!err && a->anchors.has_log)
		err = rc__agent_proof_check(a, false);
	return err;
}

#ifndef RC_AGENT_NO_LOG
/* Ask the responder that answered for the log proof of the notice or statement in a->cand. */
static void send_proof_request(struct rc_agent *a)
{
	struct rc_proofreq q;
	memset(&q, 0, sizeof(q));
	a->ops->random(a->ctx, q.nonce, sizeof(q.nonce));
	rc_tlog_leaf_hash(q.leaf, a->cand, a->cand_len);
	q.anchor_epoch = a->anchors.epoch;
	if (rc__agent_start_wait(a, rc_proofreq_encode(&q, a->buf.dgram), "proof request"))
		rc__agent_send_dgram(a, q.nonce, true, RC_AGENT_PEND_CHECKIN, 0);
}
#endif

#ifdef RC_AGENT_NO_LOG
/* A verified recall or rotation under a set with a log policy, in a build that checks no log
 * proof (lib/logproof.c): refused at once rather than held while a proof it could not check is
 * asked for (fail safe: not acted on). The episode ends: asking again would get the same. */
static int refuse_unprovable(struct rc_agent *a, uint8_t responder, const char *what)
{
	rc__agent_settle(a, responder);
	a->c.rx_invalid++;
	a->c.rx_proof_invalid++;
	rc__agent_sayr(a, RC_LOG_WARNING,
		       "%s: the anchor set has a log policy and this build verifies no log proof "
		       "(RC_AGENT_NO_LOG)",
		       what);
	rc__agent_schedule(a);
	return RC_ERR_VERSION;
}
#endif

static void count_reject(struct rc_agent *a, int err)
{
	a->c.rx_invalid++;
	if (err == RC_ERR_THRESHOLD || err == RC_ERR_SIG)
		a->c.rx_threshold++;
	else if (err == RC_ERR_NOTCOVERED)
		a->c.rx_notcovered++;
	else if (err == RC_ERR_EXPIRED)
		a->c.rx_expired++;
}

/* Act on a recalled notice that passed every check (in a->scratch): hold it, apply its mode.
 * proof (NULL: keep the held one if the notice is the same, else none) is its log proof. */
static int accept_recall(struct rc_agent *a, const uint8_t *blob, size_t len, uint8_t responder,
			 const uint8_t *proof, size_t proof_len)
{
	rc__agent_settle(a, responder);
	a->c.recalled++;
	uint8_t mode = rc__agent_overridden(a, a->scratch.id)      ? RC_AGENT_OVERRIDDEN
		       : a->scratch.action == RC_ACTION_QUARANTINE ? RC_AGENT_QUARANTINED
								   : RC_AGENT_NOTIFIED;
	bool same_notice = a->notice_len == len && memcmp(a->notice, blob, len) == 0;
	bool same = a->mode == mode && same_notice;
	/* A proof here verified (never under RC_AGENT_NO_LOG, whose a->proof holds none). */
	if (proof && proof_len <= sizeof(a->proof)) {
		memcpy(a->proof, proof, proof_len);
		a->proof_len = (uint16_t)proof_len;
	} else if (!same_notice) {
		a->proof_len = 0;
	}
	a->cand_len = 0;
	memmove(a->notice, blob, len);
	a->notice_len = (uint16_t)len;
	a->notice_expiry = a->scratch.expiry;
	rc__agent_held(a, &a->scratch); /* re-point the views at our own copy */
	if (!same)
		rc__agent_apply(a, mode);
	else if (proof)
		rc__agent_persist(a); /* the same notice, now with its proof */
	if (same && mode == RC_AGENT_QUARANTINED && !a->quarantine_on)
		rc__agent_quarantine(a, &a->scratch, true); /* an earlier apply failed: try again */
	rc__agent_schedule(a);
	return RC_OK;
}

/* A recall answer: verify everything, then act. The episode settles only if it is valid. With
 * a log policy a notice not held with a proof yet is not acted on: its proof is asked for
 * first (docs/PROTOCOL.md 9.5), in the same episode. */
int rc__agent_on_recall(struct rc_agent *a, const uint8_t *blob, size_t len,
			struct rc_agent_pending *p)
{
	struct rc_verdict v;
	struct rc_diag d = {0, NULL};
	memset(&v, 0, sizeof(v));
	int err =
	    len > RC_NOTICE_MAX ? RC_ERR_TOOLONG : rc__agent_check_notice(a, blob, len, &v, &d);
	/* Private mode: an authentic notice of the model for another build: the next one. */
	if (err == RC_ERR_NOTCOVERED && p->priv == RC_AGENT_PEND_NOTICE)
		return rc__agent_walk_next(a, p);
	if (err) {
		count_reject(a, err);
		rc__agent_sayr(
		    a, RC_LOG_WARNING,
		    "recall ignored: %s (%s; %u valid of k=%u, %u bad, %u unknown signatures)",
		    rc_strerror(err), d.field ? d.field : "notice", (unsigned)v.valid,
		    (unsigned)a->anchors.k, (unsigned)v.bad, (unsigned)v.unknown);
		return err;
	}
	uint8_t r = p->responder;
	bool proven = a->mode != RC_AGENT_IDLE && a->proof_len && a->notice_len == len &&
		      memcmp(a->notice, blob, len) == 0;
	if (!a->anchors.has_log || proven)
		return accept_recall(a, blob, len, r, NULL, 0);
#ifdef RC_AGENT_NO_LOG
	return refuse_unprovable(a, r, "recall not acted on");
#else
	/* This nonce is answered; the proof request gets its own. */
	p->used = false;
	memcpy(a->cand, blob, len);
	a->cand_len = (uint16_t)len;
	a->cand_rot = false;
	a->rr = r;
	rc__agent_sayr(a, RC_LOG_INFO, "recall %.*s: asking responder %u for its log proof",
		       (int)a->scratch.id.n, a->scratch.id.p, (unsigned)r);
	send_proof_request(a);
	return RC_OK;
#endif
}

static int apply_rotation(struct rc_agent *a, const struct rc_anchors *next, const uint8_t *stmt,
			  size_t len, uint8_t responder, const uint8_t *proof, size_t plen);

/* The proof of the waiting rotation statement verified (index, size, w witnesses): apply it. */
static int rotation_proven(struct rc_agent *a, const uint8_t *proof, size_t plen, uint8_t responder,
			   uint64_t index, uint64_t size, uint32_t w)
{
	struct rc_anchors next = a->anchors;
	int err = rc_anchors_rotate(&next, a->cand, a->cand_len, NULL);
	if (err) { /* verified when it arrived, under the same set: cannot happen */
		count_reject(a, err);
		return err;
	}
	a->c.proofs++;
	rc__agent_say(a, RC_LOG_NOTICE,
		      "rotation to epoch %llu logged: index %llu of size %llu, witnesses %u/%u",
		      (unsigned long long)next.epoch, (unsigned long long)index,
		      (unsigned long long)size, (unsigned)w, (unsigned)quorum(&a->anchors));
	return apply_rotation(a, &next, a->cand, a->cand_len, responder, proof, plen);
}

/* A proof answer to our proof request: act on the waiting notice or rotation only if the proof
 * verifies for exactly its bytes; anything else leaves the device as it is (fail open). */
int rc__agent_on_proof(struct rc_agent *a, const uint8_t *blob, size_t len, uint8_t responder)
{
	struct rc_logproof *lp = &a->buf.lp;
	struct rc_diag d = {0, "proof"};
	uint32_t w = 0;
	bool trusted = false;
	uint64_t now = rc__agent_clock(a, &trusted);
	int err = a->cand_len ? rc_logproof_decode(lp, blob, len, &d) : RC_ERR_NONCE;
	if (!err)
		err =
		    rc_logproof_verify(&a->anchors, a->cand, a->cand_len, lp, now, trusted, &w, &d);
	if (err) {
		a->c.rx_invalid++;
		a->c.rx_proof_invalid++;
		rc__agent_sayr(a, RC_LOG_WARNING, "%s: proof invalid: %s (%s; %u of %u witnesses)",
			       a->cand_rot ? "rotation not applied" : "recall not acted on",
			       rc_strerror(err), d.field ? d.field : "proof", (unsigned)w,
			       (unsigned)quorum(&a->anchors));
		return err;
	}
	uint64_t index = lp->index, size = lp->size;
	if (a->cand_rot)
		return rotation_proven(a, blob, len, responder, index, size, w);
	/* Checked again: time has passed, and a->scratch must describe this notice. */
	err = rc__agent_check_notice(a, a->cand, a->cand_len, NULL, &d);
	if (err) {
		count_reject(a, err);
		rc__agent_sayr(a, RC_LOG_WARNING, "recall ignored: %s (%s)", rc_strerror(err),
			       d.field ? d.field : "notice");
		return err;
	}
	a->c.proofs++;
	a->log_index = index;
	a->log_size = size;
	a->log_witnessed = w;
	rc__agent_say(a, RC_LOG_NOTICE,
		      "recall %.*s logged: index %llu of size %llu, witnesses %u/%u",
		      (int)a->scratch.id.n, a->scratch.id.p, (unsigned long long)index,
		      (unsigned long long)size, (unsigned)w, (unsigned)quorum(&a->anchors));
	return accept_recall(a, a->cand, a->cand_len, responder, blob, len);
}

/* Retry-later to a proof request: the responder holds no proof (the notice is not logged, or
 * not yet). Not acted on; asked again at the backoff, within the episode's retries. */
void rc__agent_on_unlogged(struct rc_agent *a, uint32_t delay, uint8_t responder)
{
	uint32_t attempt = a->attempt + 1;
	a->c.unlogged++;
	rc__agent_settle(a, responder);
	a->attempt = attempt;
	const char *what = a->cand_rot ? "rotation not applied" : "recall not acted on";
	if (attempt > a->cfg.retries) {
		a->c.giveups++;
		a->cand_len = 0;
		rc__agent_sayr(a, RC_LOG_WARNING,
			       "%s: not logged (%u proof requests); next regular check-in later",
			       what, (unsigned)attempt);
		rc__agent_schedule(a);
		return;
	}
	uint64_t wait = rc_agent_later_ms(delay, rc__agent_rand64(a));
	a->t_next = a->ops->mono_ms(a->ctx) + wait;
	a->next_reason = RC_REASON_RETRY;
	rc__agent_sayr(a, RC_LOG_WARNING,
		       "%s: not logged (responder has no proof); asking again in %llu s", what,
		       (unsigned long long)(wait / 1000u));
}

/* Move to the verified set next by statement stmt (its log proof, or plen 0 under a set
 * without a log policy): save the statement with its proof, check in again at once. */
static int apply_rotation(struct rc_agent *a, const struct rc_anchors *next, const uint8_t *stmt,
			  size_t len, uint8_t responder, const uint8_t *proof, size_t plen)
{
	uint8_t rot = a->rotations;
	rc__agent_settle(a, responder);
	a->c.rotations++;
	a->cand_len = 0;
	/* The statement itself is saved, never the set: a restart re-derives the set from the
	 * firmware's by verifying the chain (and its proofs) again. */
	bool saved = rc__agent_chain_append(a, stmt, len, proof, plen);
	a->anchors = *next;
	rc__agent_say(a, RC_LOG_NOTICE, "trust anchors rotated to epoch %llu (k=%u, n=%u)",
		      (unsigned long long)next->epoch, (unsigned)next->k, (unsigned)next->n);
	if (!saved)
		rc__agent_say(a, RC_LOG_NOTICE,
			      "rotation to epoch %llu kept in memory only: the saved chain is full "
			      "(%u statements, %u bytes, %u bytes of proofs); after a restart the "
			      "responders offer it again",
			      (unsigned long long)next->epoch, (unsigned)a->nchain,
			      (unsigned)a->chain_used, (unsigned)a->chain_proof_used);
	rc__agent_persist(a);
	a->ops->notify(a->ctx, RC_AGENT_EV_ROTATED, NULL);
	if (a->mode != RC_AGENT_IDLE && rc__agent_held_check(a) != RC_OK)
		rc__agent_release(a, RC_AGENT_EV_RELEASED_INVALID);
	uint8_t reason = a->reason;
	rc__agent_begin(a, reason);
	a->rotations = (uint8_t)(rot + 1);
	return RC_OK;
}

/* A rotation answer: verify with the current set; without a log policy apply it at once, with
 * one ask for its proof first (docs/PROTOCOL.md 12.7), in the same episode. */
int rc__agent_on_rotate(struct rc_agent *a, const uint8_t *blob, size_t len,
			struct rc_agent_pending *p)
{
	struct rc_anchors next = a->anchors;
	struct rc_verdict v;
	memset(&v, 0, sizeof(v));
	int err = a->rotations >= ROTATIONS_MAX ? RC_ERR_RANGE
		  : len > RC_NOTICE_MAX         ? RC_ERR_TOOLONG
						: rc_anchors_rotate(&next, blob, len, &v);
	if (err) {
		count_reject(a, err);
		rc__agent_sayr(a, RC_LOG_WARNING, "rotation ignored: %s (%u valid of k=%u)",
			       rc_strerror(err), (unsigned)v.valid, (unsigned)a->anchors.k);
		return err;
	}
	uint8_t r = p->responder;
	if (!a->anchors.has_log)
		return apply_rotation(a, &next, blob, len, r, NULL, 0);
#ifdef RC_AGENT_NO_LOG
	return refuse_unprovable(a, r, "rotation not applied");
#else
	/* Signed by k keys is not enough: k key holders could otherwise leave the log in one
	 * step. This nonce is answered; the proof request gets its own. */
	p->used = false;
	memcpy(a->cand, blob, len);
	a->cand_len = (uint16_t)len;
	a->cand_rot = true;
	a->rr = r;
	rc__agent_sayr(a, RC_LOG_INFO,
		       "rotation to epoch %llu: asking responder %u for its log proof",
		       (unsigned long long)next.epoch, (unsigned)r);
	send_proof_request(a);
	return RC_OK;
#endif
}
