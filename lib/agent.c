/* The agent's check-in state machine (WIRE "Agent state machine", docs/PORTING.md): triggers,
 * retries with full-jitter backoff, answer dispatch and release paths; which request an answer
 * fits and clear are in agent_answer.c, signed answers in agent_recall.c, private mode's walk
 * in agent_private.c. Callback-driven, no heap; fail open on everything but a valid recall. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent_state.h"
#include "cose_int.h"
#include "recall/cose.h"

#define LOG_WINDOW_MS 60000u
#define LOG_BURST     20u /* input-driven log lines per window */

static PRINTF(3, 0) void vsay(struct rc_agent *a, enum rc_log_level lv, const char *fmt, va_list ap)
{
	char line[240];
	vsnprintf(line, sizeof(line), fmt, ap);
	a->ops->log(a->ctx, lv, line);
}

PRINTF(3, 4) void rc__agent_say(struct rc_agent *a, enum rc_log_level lv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(a, lv, fmt, ap);
	va_end(ap);
}

/* Rate-limited log for lines that remote input can trigger. */
PRINTF(3, 4) void rc__agent_sayr(struct rc_agent *a, enum rc_log_level lv, const char *fmt, ...)
{
	uint64_t now = a->ops->mono_ms(a->ctx);
	if (now - a->log_window >= LOG_WINDOW_MS) {
		if (a->log_count > LOG_BURST)
			rc__agent_say(a, RC_LOG_WARNING, "%u log lines suppressed",
				      (unsigned)(a->log_count - LOG_BURST));
		a->log_window = now;
		a->log_count = 0;
	}
	if (++a->log_count > LOG_BURST) {
		a->c.log_suppressed++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsay(a, lv, fmt, ap);
	va_end(ap);
}

static uint64_t mono(const struct rc_agent *a)
{
	return a->ops->mono_ms(a->ctx);
}

uint64_t rc__agent_rand64(struct rc_agent *a)
{
	uint64_t r = 0;
	uint8_t b[8];
	a->ops->random(a->ctx, b, sizeof(b));
	for (int i = 0; i < 8; i++)
		r = (r << 8) | b[i];
	return r;
}

uint64_t rc__agent_rand(struct rc_agent *a, uint64_t n)
{
	if (n <= 1)
		return 0;
	return rc__agent_rand64(a) % n; /* bias below 2^-40 for any interval used here */
}

/* Full jitter: uniform in [0, min(cap, base * 2^(n-1))]. */
uint64_t rc_agent_retry_ms(const struct rc_agent_config *cfg, uint32_t n, uint64_t r)
{
	uint64_t ceil = (uint64_t)cfg->backoff_cap_s * 1000u;
	unsigned shift = n < 1 ? 0 : n - 1 > 30 ? 30 : n - 1;
	uint64_t exp = ((uint64_t)cfg->backoff_base_s * 1000u) << shift;
	return r % ((exp < ceil ? exp : ceil) + 1);
}

/* At least what was asked (clamped), plus up to half again: devices told the same delay by one
 * responder must not come back together. */
uint64_t rc_agent_later_ms(uint32_t delay_s, uint64_t r)
{
	uint64_t s = delay_s < RC_AGENT_LATER_MIN_S   ? RC_AGENT_LATER_MIN_S
		     : delay_s > RC_AGENT_LATER_MAX_S ? RC_AGENT_LATER_MAX_S
						      : delay_s;
	return s * 1000u + r % (s * 500u + 1);
}

uint64_t rc_agent_spread_ms(const struct rc_agent_config *cfg, uint64_t r)
{
	return r % ((uint64_t)cfg->start_spread_ms + 1);
}

/* Uniform in [v - v/10, v + v/10]. */
static uint64_t jitter10(struct rc_agent *a, uint64_t v)
{
	return v - v / 10 + rc__agent_rand(a, v / 5 + 1);
}

void rc__agent_identity(const struct rc_agent *a, struct rc_identity *id)
{
	*id = a->cfg.id;
	id->vendor = rc_str_c(a->vendor);
	id->model = rc_str_c(a->model);
	id->hwrev = rc_str_c(a->hwrev);
	id->fwver = rc_str_c(a->fwver);
}

void rc__agent_persist(struct rc_agent *a)
{
	size_t len;
	if (rc_agent_state_encode(a, a->buf.blob, sizeof(a->buf.blob), &len) != RC_OK) {
		a->c.persist_errors++;
		rc__agent_say(a, RC_LOG_ERR, "state: cannot encode");
		return;
	}
	if (a->ops->persist(a->ctx, a->buf.blob, len) != 0) {
		a->c.persist_errors++;
		rc__agent_say(a, RC_LOG_ERR, "state: persist failed (kept in memory)");
		return;
	}
	a->dirty = false;
	a->c.persists++;
	a->t_written = mono(a);
	a->t_flush = RC_AGENT_NEVER; /* every write carries the timing fields too */
}

void rc__agent_persist_timing(struct rc_agent *a)
{
	uint64_t next = a->t_written + (uint64_t)a->cfg.timing_write_s * 1000u;
	if (a->t_written == RC_AGENT_NEVER || mono(a) >= next)
		rc__agent_persist(a);
	else if (a->t_flush == RC_AGENT_NEVER)
		a->t_flush = next;
}

/* Decode the held notice without verifying (it was verified when it was accepted). */
int rc__agent_held(const struct rc_agent *a, struct rc_notice *n)
{
	struct rc_cose_sign m;
	if (a->mode == RC_AGENT_IDLE || a->notice_len == 0)
		return RC_ERR_MISSING;
	int err = rc_cose_decode(&m, a->notice, a->notice_len, NULL);
	if (!err)
		err = rc_notice_decode(n, m.payload, m.payload_len, NULL);
	return err;
}

void rc__agent_floor(struct rc_agent *a, uint64_t t)
{
	if (t > a->floor)
		a->floor = t;
}

/* The clock as the core may use it, without side effects: *trusted = the glue calls it trusted
 * and it is not below the time floor; returns the time validity is judged by: the reading when
 * trusted, else the floor (the true time is at least that). *verdict (optional): 1 trusted,
 * 2 not trusted by the glue, 3 below the floor; *raw (optional): the reading. */
static uint64_t clock_view(const struct rc_agent *a, bool *trusted, uint8_t *verdict, uint64_t *raw)
{
	bool t = false;
	uint64_t w = a->ops->wall(a->ctx, &t);
	uint8_t v = t ? 1 : 2;
	if (t && w < a->floor)
		v = 3;
	*trusted = v == 1;
	if (verdict)
		*verdict = v;
	if (raw)
		*raw = w;
	return v == 1 ? w : a->floor;
}

uint64_t rc__agent_clock(struct rc_agent *a, bool *trusted)
{
	uint8_t v;
	bool t;
	uint64_t w;
	uint64_t now = clock_view(a, &t, &v, &w);
	if (t)
		a->floor = now;
	if (v != a->clock) {
		/* Rate-limited: a flapping time source must not flood the log. */
		if (v == 3)
			rc__agent_sayr(a, RC_LOG_WARNING,
				       "wall clock %llu is below the time floor %llu: not trusted",
				       (unsigned long long)w, (unsigned long long)a->floor);
		else if (a->clock != 0 || v != 1)
			rc__agent_sayr(a, RC_LOG_INFO, "wall clock %s (time floor %llu)",
				       v == 1 ? "trusted" : "not trusted",
				       (unsigned long long)a->floor);
		a->clock = v;
	}
	*trusted = t;
	return now;
}

/* rc_notice_check at the current time: with a trusted clock the whole of 9.4; without one the
 * notice is still expired if its expiry is at or below the time floor. A notice whose
 * signatures verified raises the floor to its issued time. */
int rc__agent_check_notice(struct rc_agent *a, const uint8_t *blob, size_t len,
			   struct rc_verdict *v, struct rc_diag *d)
{
	struct rc_identity id;
	bool trusted = false;
	uint64_t now = rc__agent_clock(a, &trusted);
	rc__agent_identity(a, &id);
	/* The to-be-signed bytes in the scratch buffer, free here, not on the stack under
	 * libsodium's Ed25519 check (the deepest frame of a small device's stack). */
	_Static_assert(sizeof(a->buf) >= RC__COSE_TBS_MAX, "scratch holds a Sig_structure");
	int err = rc__notice_check_buf(&a->scratch, blob, len, &a->anchors, &id, now, trusted, v, d,
				       a->buf.blob, sizeof(a->buf));
	if (err == RC_OK || err == RC_ERR_NOTCOVERED || err == RC_ERR_EXPIRED) {
		/* Authentic (k signatures, payload decoded): the true time is past issued. */
		rc__agent_floor(a, a->scratch.issued);
		if (!trusted)
			now = a->floor;
	}
	if (err == RC_OK && !trusted && a->scratch.expiry <= now) {
		err = RC_ERR_EXPIRED;
		if (d) {
			d->field = "notice.expiry";
			d->off = 0;
		}
	}
	return err;
}

void rc__agent_quarantine(struct rc_agent *a, const struct rc_notice *n, bool on)
{
	if (a->ops->quarantine(a->ctx, n, on) != 0) {
		a->c.quarantine_errors++;
		rc__agent_say(a, RC_LOG_ERR, "quarantine: %s failed", on ? "apply" : "lift");
		/* Off after a failed apply, as it was after a failed lift: on_recall and settle
		 * try each again. */
		if (on)
			a->quarantine_on = false;
		return;
	}
	a->quarantine_on = on;
}

void rc__agent_release(struct rc_agent *a, enum rc_agent_event ev)
{
	struct rc_notice *n = rc__agent_held(a, &a->scratch) == RC_OK ? &a->scratch : NULL;
	uint8_t old = a->mode;
	if (old == RC_AGENT_IDLE)
		return;
	if (old == RC_AGENT_QUARANTINED || a->quarantine_on)
		rc__agent_quarantine(a, n, false);
	a->mode = RC_AGENT_IDLE;
	a->c.releases++;
	/* The notice bytes stay in place until the next recall, so n stays valid. */
	rc__agent_persist(a);
	a->notice_len = 0;
	a->proof_len = 0;
	rc__agent_say(a, RC_LOG_NOTICE, "%s: notice %.*s released (%s)", rc_agent_state_name(old),
		      n ? (int)n->id.n : 1, n ? n->id.p : "?", rc_agent_event_name(ev));
	a->ops->notify(a->ctx, ev, n);
}

bool rc__agent_overridden(const struct rc_agent *a, struct rc_str id)
{
	if (a->override_all)
		return true;
	for (size_t i = 0; i < a->noverrides; i++)
		if (rc_str_eq(rc_str_c(a->overrides[i]), id))
			return true;
	return false;
}

static uint8_t devstate(const struct rc_agent *a)
{
	if (a->mode == RC_AGENT_QUARANTINED)
		return RC_STATE_QUARANTINED;
	if (a->mode == RC_AGENT_OVERRIDDEN)
		return RC_STATE_OVERRIDDEN;
	return RC_STATE_NORMAL;
}

void rc__agent_clear_pending(struct rc_agent *a)
{
	memset(a->pend, 0, sizeof(a->pend));
	a->pend_head = 0;
}

/* Send a->buf.dgram (nonce n) to the current responder; proof: a proof request; priv: the
 * RC_AGENT_PEND_* kind of a check-in. */
void rc__agent_send_dgram(struct rc_agent *a, const uint8_t n[RC_NONCE_LEN], bool proof,
			  uint8_t priv, uint8_t reason)
{
	uint8_t r = a->rr;
	struct rc_agent_pending *p = &a->pend[a->pend_head];
	memcpy(p->nonce, n, RC_NONCE_LEN);
	p->responder = r;
	p->used = true;
	p->proof = proof;
	p->priv = priv;
	a->pend_head = (uint8_t)((a->pend_head + 1) % RC_AGENT_OUTSTANDING);
	if (proof)
		a->c.proof_requests++;
	else
		a->c.checkins++;
	if (priv == RC_AGENT_PEND_NOTICE)
		a->c.notice_requests++;
	if (a->ops->send(a->ctx, &a->cfg.responders[r], a->buf.dgram, RC_CHECKIN_SIZE) != 0) {
		a->c.send_errors++;
		if (proof)
			rc__agent_sayr(a, RC_LOG_WARNING,
				       "proof request to responder %u: send failed", (unsigned)r);
		else
			rc__agent_sayr(a, RC_LOG_WARNING,
				       "check-in (%s) to responder %u: send failed",
				       rc_reason_name(reason), (unsigned)r);
	} else if (proof) {
		rc__agent_say(a, RC_LOG_DEBUG, "proof request (attempt %u) to responder %u",
			      (unsigned)a->attempt + 1, (unsigned)r);
	} else if (priv == RC_AGENT_PEND_NOTICE) {
		rc__agent_say(a, RC_LOG_DEBUG,
			      "notice request %u of %u (attempt %u) to responder %u",
			      (unsigned)a->pindex + 1, (unsigned)a->pcount,
			      (unsigned)a->attempt + 1, (unsigned)r);
	} else if (priv == RC_AGENT_PEND_BUCKET) {
		rc__agent_say(a, RC_LOG_DEBUG,
			      "private check-in (%s, page %u, attempt %u) to responder %u",
			      rc_reason_name(reason), (unsigned)a->page, (unsigned)a->attempt + 1,
			      (unsigned)r);
	} else {
		rc__agent_say(a, RC_LOG_DEBUG, "check-in (%s, attempt %u) to responder %u",
			      rc_reason_name(reason), (unsigned)a->attempt + 1, (unsigned)r);
	}
}

bool rc__agent_start_wait(struct rc_agent *a, int encode_err, const char *what)
{
	a->waiting = true;
	a->t_wait = mono(a) + a->cfg.timeout_ms;
	a->t_next = RC_AGENT_NEVER;
	if (!encode_err)
		return true;
	a->c.send_errors++;
	rc__agent_say(a, RC_LOG_ERR, "%s: cannot encode: %s", what, rc_strerror(encode_err));
	return false;
}

/* Send one check-in attempt and start waiting for its answer: in private mode the step of the
 * walk that is due (agent_private.c). */
static void send_attempt(struct rc_agent *a, uint8_t reason)
{
	if (a->cfg.private_mode) {
		rc__agent_send_private(a, reason);
		return;
	}
	struct rc_checkin ci;
	memset(&ci, 0, sizeof(ci));
	a->ops->random(a->ctx, ci.nonce, sizeof(ci.nonce));
	ci.reason = reason;
	ci.state = devstate(a);
	ci.anchor_epoch = a->anchors.epoch;
	rc__agent_identity(a, &ci.id);
	if (rc__agent_start_wait(a, rc_checkin_encode(&ci, a->buf.dgram), "check-in"))
		rc__agent_send_dgram(a, ci.nonce, false, RC_AGENT_PEND_CHECKIN, reason);
}

/* A new episode: fresh nonces, attempt counter and rotation budget. */
void rc__agent_begin(struct rc_agent *a, uint8_t reason)
{
	rc__agent_clear_pending(a);
	a->attempt = 0;
	a->rotations = 0;
	a->reason = reason;
	a->t_attach = RC_AGENT_NEVER;
	a->walk = false;
	a->page = 0;
	send_attempt(a, reason);
}

/* Next regular check-in: recheck while quarantined, else periodic. */
void rc__agent_schedule(struct rc_agent *a)
{
	bool q = a->mode == RC_AGENT_QUARANTINED;
	uint64_t d = jitter10(a, (uint64_t)(q ? a->cfg.recheck_s : a->cfg.periodic_s) * 1000u);
	a->waiting = false;
	a->t_next = mono(a) + d;
	a->next_reason = q ? RC_REASON_RECHECK : RC_REASON_PERIODIC;
	if (!q) {
		bool trusted;
		a->next_periodic = a->ops->wall(a->ctx, &trusted) + d / 1000u;
	}
}

static void on_timeout(struct rc_agent *a)
{
	a->waiting = false;
	a->c.timeouts++;
	a->attempt++;
	/* A walk past its bucket answer stays with the responder that sent it (18.4). */
	if (!a->walk && a->page == 0)
		a->rr = (uint8_t)((a->rr + 1) % a->cfg.nresponders);
	if (a->attempt > a->cfg.retries) {
		a->c.giveups++;
		rc__agent_sayr(a, RC_LOG_WARNING,
			       "no answer after %u attempts; next regular check-in later",
			       (unsigned)a->attempt);
		if (a->cfg.private_mode && a->c.buckets == 0)
			rc__agent_sayr(
			    a, RC_LOG_WARNING,
			    "private mode: no bucket answer yet; a responder that does "
			    "not serve private check-ins (recalld before issue 18) drops "
			    "them, and this device is not checked until it does (mode = "
			    "normal sends the identity instead)");
		rc__agent_schedule(a);
		return;
	}
	a->t_next = mono(a) + rc_agent_retry_ms(&a->cfg, a->attempt, rc__agent_rand64(a));
	a->next_reason = RC_REASON_RETRY;
}

/* An answer matched an outstanding check-in and is acted upon: the episode is over. */
void rc__agent_settle(struct rc_agent *a, uint8_t responder)
{
	bool trusted;
	rc__agent_clear_pending(a);
	a->c.answers++;
	a->waiting = false;
	a->attempt = 0;
	a->rr = responder;
	a->walk = false; /* a retry-later or a new episode walks from page 0 again */
	a->page = 0;
	a->last_answer = a->ops->wall(a->ctx, &trusted);
	/* A trusted reading raises the time floor, saved with the next write. */
	rc__agent_clock(a, &trusted);
	if (a->mode != RC_AGENT_QUARANTINED && a->quarantine_on)
		rc__agent_quarantine(a, NULL, false); /* an earlier lift failed: try again */
}

void rc__agent_apply(struct rc_agent *a, uint8_t mode)
{
	uint8_t old = a->mode;
	a->mode = mode;
	rc__agent_persist(a);
	struct rc_notice *n = &a->scratch;
	rc__agent_say(a, RC_LOG_NOTICE, "notice %.*s (%s, %s): %s", (int)n->id.n, n->id.p,
		      rc_severity_name(n->severity), rc_action_name(n->action),
		      rc_agent_state_name(mode));
	if (mode == RC_AGENT_QUARANTINED) {
		a->ops->notify(a->ctx, RC_AGENT_EV_RECALLED, n);
		rc__agent_quarantine(a, n, true);
		return;
	}
	if (old == RC_AGENT_QUARANTINED || a->quarantine_on)
		rc__agent_quarantine(a, n, false);
	a->ops->notify(
	    a->ctx, mode == RC_AGENT_OVERRIDDEN ? RC_AGENT_EV_OVERRIDDEN : RC_AGENT_EV_NOTICE, n);
}

static int find_responder(const struct rc_agent *a, const struct rc_src *from)
{
	for (size_t i = 0; from && i < a->cfg.nresponders; i++) {
		const struct rc_src *r = &a->cfg.responders[i];
		size_t alen = r->family == 4 ? 4 : 16;
		if (r->family == from->family && r->port == from->port &&
		    memcmp(r->addr, from->addr, alen) == 0)
			return (int)i;
	}
	return -1;
}

int rc_agent_input(struct rc_agent *a, const uint8_t *buf, size_t len, const struct rc_src *from)
{
	if (!a->started || a->optout) {
		a->c.rx_nonce++;
		return RC_ERR_NONCE;
	}
	int r = find_responder(a, from);
	if (r < 0) {
		a->c.rx_source++;
		rc__agent_sayr(a, RC_LOG_INFO,
			       "datagram from an address that is not a responder ignored");
		return RC_ERR_INVALID;
	}
	if (a->cfg.private_mode && rc_msg_peek_type(buf, len) == RC_MSG_BUCKET)
		return rc__agent_on_bucket(a, buf, len, (uint8_t)r);
	struct rc_answer ans;
	struct rc_diag d = {0, NULL};
	int err = buf ? rc_answer_decode(&ans, buf, len, &d) : RC_ERR_INVALID;
	if (err) {
		a->c.rx_garbage++;
		rc__agent_sayr(a, RC_LOG_INFO, "answer ignored: %s at %s (offset %zu)",
			       rc_strerror(err), d.field ? d.field : "answer", d.off);
		return err;
	}
	struct rc_agent_pending *p = NULL;
	err = rc__agent_pending(a, ans.type, ans.nonce, (uint8_t)r, &p);
	if (err)
		return err;
	if (p->proof && ans.type == RC_MSG_RETRY) {
		rc__agent_on_unlogged(a, ans.delay, (uint8_t)r);
		return RC_OK;
	}
	switch (ans.type) {
	case RC_MSG_PROOF:
		return rc__agent_on_proof(a, ans.blob, ans.blob_len, (uint8_t)r);
	case RC_MSG_CLEAR:
		rc__agent_on_clear(a, (uint8_t)r, ans.serial);
		return RC_OK;
	case RC_MSG_RECALLED:
		return rc__agent_on_recall(a, ans.blob, ans.blob_len, p);
	case RC_MSG_ROTATE:
		return rc__agent_on_rotate(a, ans.blob, ans.blob_len, p);
	case RC_MSG_RETRY: {
		uint32_t attempt = a->attempt;
		rc__agent_settle(a, (uint8_t)r);
		a->attempt = attempt;
		a->c.retry_later++;
		uint64_t wait = rc_agent_later_ms((uint32_t)ans.delay, rc__agent_rand64(a));
		a->t_next = mono(a) + wait;
		a->next_reason = RC_REASON_RETRY;
		rc__agent_sayr(a, RC_LOG_INFO, "responder asked to retry in %u s (waiting %llu s)",
			       (unsigned)ans.delay, (unsigned long long)(wait / 1000u));
		return RC_OK;
	}
	case RC_MSG_UNSUPPORTED:
		rc__agent_settle(a, (uint8_t)r);
		a->c.unsupported++;
		rc__agent_sayr(a, RC_LOG_WARNING,
			       "responder does not speak version %d (highest %llu)", RC_VERSION,
			       (unsigned long long)ans.max_version);
		rc__agent_schedule(a);
		return RC_OK;
	default:
		a->c.rx_invalid++;
		return RC_ERR_TYPE;
	}
}

/* Release the held notice if it has expired: by the trusted clock, or, without one, because its
 * expiry is at or below the time floor. */
static void check_expiry(struct rc_agent *a)
{
	bool trusted = false;
	if (a->mode == RC_AGENT_IDLE)
		return;
	uint64_t now = rc__agent_clock(a, &trusted);
	if (now >= a->notice_expiry) {
		bool q = a->mode == RC_AGENT_QUARANTINED;
		rc__agent_release(a, RC_AGENT_EV_RELEASED_EXPIRED);
		if (q && !a->waiting)
			rc__agent_schedule(a); /* from the hourly recheck back to periodic */
	}
}

void rc_agent_clock_changed(struct rc_agent *a)
{
	bool trusted;
	if (!a->started || a->optout)
		return;
	rc__agent_clock(a, &trusted); /* a trusted reading raises the floor */
	check_expiry(a);
}

bool rc_agent_clock_wait(const struct rc_agent *a)
{
	bool trusted;
	if (!a->started || a->optout || a->mode == RC_AGENT_IDLE)
		return false;
	clock_view(a, &trusted, NULL, NULL);
	return !trusted;
}

void rc_agent_tick(struct rc_agent *a)
{
	if (!a->started || a->optout)
		return;
	uint64_t now = mono(a);
	check_expiry(a);
	if (a->t_flush <= now) {
		a->t_flush = RC_AGENT_NEVER; /* a failed write waits for the next change */
		rc__agent_persist(a);
	}
	if (a->t_attach <= now) {
		a->t_attach_last = now;
		rc__agent_begin(a, RC_REASON_ATTACH);
		return;
	}
	if (a->waiting && now >= a->t_wait)
		on_timeout(a);
	if (!a->waiting && a->t_next <= now) {
		uint8_t r = a->next_reason;
		a->t_next = RC_AGENT_NEVER;
		if (r == RC_REASON_RETRY)
			send_attempt(a, r);
		else
			rc__agent_begin(a, r);
	}
}

uint64_t rc_agent_timeout_ms(const struct rc_agent *a)
{
	if (!a->started || a->optout)
		return RC_AGENT_NEVER;
	uint64_t now = mono(a);
	uint64_t t = a->waiting ? a->t_wait : a->t_next;
	if (a->t_attach < t)
		t = a->t_attach;
	if (a->t_flush < t)
		t = a->t_flush;
	if (a->mode != RC_AGENT_IDLE) {
		/* Expiry needs the wall clock: wake when it is due, or after a recheck interval if
		 * the clock is not trusted yet (it may become trusted meanwhile). */
		bool trusted = false;
		uint64_t wall = clock_view(a, &trusted, NULL, NULL);
		uint64_t d = (uint64_t)a->cfg.recheck_s * 1000u;
		if (a->notice_expiry <= wall) /* by the trusted clock, or by the floor */
			d = 0;
		else if (trusted && a->notice_expiry - wall < RC_AGENT_PERIODIC_MAX_S)
			d = (a->notice_expiry - wall) * 1000u;
		else if (trusted)
			d = (uint64_t)RC_AGENT_PERIODIC_MAX_S * 1000u;
		if (now + d < t)
			t = now + d;
	}
	if (t == RC_AGENT_NEVER)
		return RC_AGENT_NEVER;
	return t <= now ? 0 : t - now;
}
