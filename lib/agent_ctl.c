/* The agent's lifecycle (init, restore, start) and the owner's controls (override, opt-out),
 * status and names. The state machine proper is in agent.c. */
#include <string.h>

#include "agent_state.h"

void rc_agent_config_default(struct rc_agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->periodic_s = RC_AGENT_PERIODIC_S;
	cfg->recheck_s = RC_AGENT_RECHECK_S;
	cfg->timeout_ms = RC_AGENT_TIMEOUT_MS;
	cfg->backoff_base_s = RC_AGENT_BACKOFF_BASE_S;
	cfg->backoff_cap_s = RC_AGENT_BACKOFF_CAP_S;
	cfg->retries = RC_AGENT_RETRIES;
	cfg->debounce_ms = RC_AGENT_DEBOUNCE_MS;
	cfg->attach_interval_ms = RC_AGENT_ATTACH_INTERVAL_MS;
	cfg->timing_write_s = RC_AGENT_TIMING_WRITE_S;
	cfg->start_spread_ms = RC_AGENT_START_SPREAD_MS;
}

static uint32_t clamp(uint32_t v, uint32_t def, uint32_t lo, uint32_t hi)
{
	if (v == 0)
		v = def;
	return v < lo ? lo : v > hi ? hi : v;
}

static int copy_name(char *dst, size_t cap, struct rc_str s)
{
	if (s.n >= cap || (s.n && !s.p))
		return RC_ERR_TOOLONG;
	if (s.n)
		memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return memchr(dst, '\0', s.n) ? RC_ERR_SYNTAX : RC_OK;
}

int rc_agent_init(struct rc_agent *a, const struct rc_agent_config *cfg,
		  const struct rc_agent_ops *ops, void *ctx)
{
	if (!a || !cfg || !ops || !ops->send || !ops->mono_ms || !ops->wall || !ops->random ||
	    !ops->persist || !ops->quarantine || !ops->notify || !ops->log)
		return RC_ERR_INVALID;
	memset(a, 0, sizeof(*a));
	if (cfg->nresponders < 1 || cfg->nresponders > RC_AGENT_RESPONDERS_MAX)
		return RC_ERR_INVALID;
	for (size_t i = 0; i < cfg->nresponders; i++) {
		const struct rc_src *r = &cfg->responders[i];
		if ((r->family != 4 && r->family != 6) || r->port == 0)
			return RC_ERR_INVALID;
	}
	int err = copy_name(a->vendor, sizeof(a->vendor), cfg->id.vendor);
	if (!err)
		err = copy_name(a->model, sizeof(a->model), cfg->id.model);
	if (!err)
		err = copy_name(a->hwrev, sizeof(a->hwrev), cfg->id.hwrev);
	if (!err)
		err = copy_name(a->fwver, sizeof(a->fwver), cfg->id.fwver);
	if (err)
		return err;
	a->ops = ops;
	a->ctx = ctx;
	a->cfg = *cfg;
	rc__agent_identity(a, &a->cfg.id);
	if (rc_identity_check(&a->cfg.id) != RC_OK)
		return RC_ERR_SYNTAX;
	/* The set must be one that encodes: keys, threshold and each key's kid all valid. Encoded
	 * into the scratch buffer, not the stack (a small device's stack is a few KiB). */
	_Static_assert(sizeof(a->buf.blob) >= RC_ANCHORS_ENC_MAX, "scratch holds an anchor set");
	size_t tl;
	if (rc_anchors_encode(&cfg->anchors, a->buf.blob, RC_ANCHORS_ENC_MAX, &tl) != RC_OK)
		return RC_ERR_INVALID;
	a->anchors = a->cfg.anchors;
	struct rc_agent_config *c = &a->cfg;
	c->periodic_s = clamp(c->periodic_s, RC_AGENT_PERIODIC_S, RC_AGENT_PERIODIC_MIN_S,
			      RC_AGENT_PERIODIC_MAX_S);
	c->recheck_s =
	    clamp(c->recheck_s, RC_AGENT_RECHECK_S, RC_AGENT_RECHECK_MIN_S, RC_AGENT_RECHECK_MAX_S);
	c->timeout_ms = clamp(c->timeout_ms, RC_AGENT_TIMEOUT_MS, RC_AGENT_TIMEOUT_MIN_MS,
			      RC_AGENT_TIMEOUT_MAX_MS);
	c->backoff_base_s = clamp(c->backoff_base_s, RC_AGENT_BACKOFF_BASE_S, 1, 3600);
	c->backoff_cap_s =
	    clamp(c->backoff_cap_s, RC_AGENT_BACKOFF_CAP_S, c->backoff_base_s, 86400);
	c->retries = clamp(c->retries, RC_AGENT_RETRIES, 1, 100);
	c->debounce_ms = clamp(c->debounce_ms, RC_AGENT_DEBOUNCE_MS, 1, 60000);
	c->attach_interval_ms = clamp(c->attach_interval_ms, RC_AGENT_ATTACH_INTERVAL_MS, 1,
				      RC_AGENT_ATTACH_INTERVAL_MAX_MS);
	c->timing_write_s =
	    clamp(c->timing_write_s, RC_AGENT_TIMING_WRITE_S, 1, RC_AGENT_TIMING_WRITE_MAX_S);
	if (c->start_spread_ms > RC_AGENT_START_SPREAD_MAX_MS) /* 0 stays 0: no spread */
		c->start_spread_ms = RC_AGENT_START_SPREAD_MAX_MS;
	rc__agent_fingerprint(a->fingerprint, &a->cfg.id);
	if (c->private_mode) /* the tag and prefix never change while the identity does not */
		rc_private_hash(a->cfg.id.vendor, a->cfg.id.model, a->ptag, &a->pprefix);
	/* The firmware cannot be older than its build: the first time floor. */
	a->floor = a->cfg.id.has_build_date ? a->cfg.id.build_date : 0;
	a->mode = RC_AGENT_IDLE;
	a->optout = cfg->checkin_off;
	a->t_next = a->t_wait = a->t_attach = RC_AGENT_NEVER;
	a->t_attach_last = a->t_written = a->t_flush = RC_AGENT_NEVER;
	a->log_window = ops->mono_ms(ctx);
	a->dirty = true;
	return RC_OK;
}

static void reset_saved(struct rc_agent *a)
{
	a->mode = RC_AGENT_IDLE;
	a->notice_len = 0;
	a->notice_expiry = 0;
	a->proof_len = 0;
	a->cand_len = 0;
	a->cand_rot = false;
	a->noverrides = 0;
	a->override_all = false;
	memset(a->overrides, 0, sizeof(a->overrides));
	a->anchors = a->cfg.anchors;
	a->nchain = 0;
	a->chain_used = 0;
	a->chain_proof_used = 0;
	memset(a->chain_proof_len, 0, sizeof(a->chain_proof_len));
	a->last_answer = a->next_periodic = a->feed_serial = 0;
	a->floor = a->cfg.id.has_build_date ? a->cfg.id.build_date : 0;
	a->release_fw = false;
}

int rc_agent_restore(struct rc_agent *a, const uint8_t *saved, size_t len)
{
	if (a->started)
		return RC_ERR_INVALID;
	struct rc_agent_saved sv;
	struct rc_diag d = {0, NULL};
	reset_saved(a);
	uint64_t built = a->floor;
	int err = rc__agent_state_decode(a, saved, len, &sv, &d);
	if (!err && a->mode != RC_AGENT_IDLE) {
		err = rc__agent_held(a, &a->scratch);
		d.field = "state.notice";
		d.off = 0;
		a->notice_expiry = a->scratch.expiry;
	}
	if (err) {
		reset_saved(a);
		a->c.state_corrupt++;
		a->dirty = true;
		rc__agent_say(a, RC_LOG_WARNING,
			      "state: %s at %s (offset %zu): starting empty, checking in now",
			      rc_strerror(err), d.field ? d.field : "state", d.off);
		return err;
	}
	rc__agent_floor(a, built); /* the saved floor never lowers the build date */
	a->dirty = false;
	if (sv.format == 1) {
		a->dirty = true; /* rewritten in the current format at start */
		if (sv.v1_anchors)
			rc__agent_say(
			    a, RC_LOG_NOTICE,
			    "state: format %u: its saved anchor set is ignored (using the "
			    "firmware's, epoch %llu; the responders offer the rotations again)",
			    sv.format, (unsigned long long)a->cfg.anchors.epoch);
	}
	/* Never trust a stored set: re-derive it from the firmware's through the saved chain. */
	size_t at = 0;
	unsigned n = a->nchain;
	bool proof = false;
	err = rc__agent_chain_derive(a, &at, &proof);
	if (err && proof) {
		a->c.state_corrupt++;
		a->dirty = true;
		rc__agent_say(a, RC_LOG_WARNING,
			      "state: rotation chain stops at statement %zu of %u: log proof %s: "
			      "using epoch %llu",
			      at + 1, n, err == RC_ERR_MISSING ? "missing" : rc_strerror(err),
			      (unsigned long long)a->anchors.epoch);
	} else if (err) {
		a->c.state_corrupt++;
		a->dirty = true;
		rc__agent_say(a, RC_LOG_WARNING,
			      "state: rotation chain refused at statement %zu of %u: %s: using the "
			      "firmware's anchors (epoch %llu)",
			      at + 1, n, rc_strerror(err), (unsigned long long)a->anchors.epoch);
	} else if (a->nchain != n) {
		a->dirty = true;
	}
	/* The status summary of a saved proof (rc_agent_start verifies it again, and acts). */
	if (a->mode != RC_AGENT_IDLE && a->proof_len && a->anchors.has_log)
		rc__agent_proof_check(a, true);
	if (memcmp(sv.fp, a->fingerprint, sizeof(sv.fp)) != 0) {
		a->dirty = true;
		a->release_fw = a->mode != RC_AGENT_IDLE;
	}
	return RC_OK;
}

int rc_agent_start(struct rc_agent *a)
{
	if (a->started)
		return RC_ERR_INVALID;
	a->started = true;
	bool trusted;
	rc__agent_clock(a, &trusted); /* log a clock below the floor; a trusted one raises it */
	if (a->release_fw) {
		a->release_fw = false;
		rc__agent_release(a, RC_AGENT_EV_RELEASED_FIRMWARE);
	}
	if (a->optout && a->mode != RC_AGENT_IDLE)
		rc__agent_release(a, RC_AGENT_EV_RELEASED_OPTOUT);
	if (a->mode != RC_AGENT_IDLE) {
		int err = rc__agent_held_check(a);
		if (err) {
			rc__agent_say(a, RC_LOG_NOTICE, "saved notice no longer valid: %s",
				      rc_strerror(err));
			rc__agent_release(a, err == RC_ERR_EXPIRED ? RC_AGENT_EV_RELEASED_EXPIRED
								   : RC_AGENT_EV_RELEASED_INVALID);
		} else if (a->mode == RC_AGENT_QUARANTINED) {
			rc__agent_held(a, &a->scratch);
			rc__agent_say(a, RC_LOG_NOTICE, "re-applying quarantine for notice %.*s",
				      (int)a->scratch.id.n, a->scratch.id.p);
			rc__agent_quarantine(a, &a->scratch, true);
		}
	}
	if (a->mode != RC_AGENT_QUARANTINED)
		rc__agent_quarantine(a, NULL, false); /* a previous run may have left it on */
	if (a->dirty)
		rc__agent_persist(a);
	if (a->optout) {
		rc__agent_say(a, RC_LOG_NOTICE, "check-ins are switched off (opt-out)");
		return RC_OK;
	}
	if (a->cfg.start_spread_ms == 0) {
		rc__agent_begin(a, RC_REASON_BOOT);
		return RC_OK;
	}
	/* A region whose power returns at once: the boot check-in waits a random part of the
	 * spread (the saved quarantine is already back in place). */
	a->t_next = a->ops->mono_ms(a->ctx) + rc_agent_spread_ms(&a->cfg, rc__agent_rand64(a));
	a->next_reason = RC_REASON_BOOT;
	return RC_OK;
}

void rc_agent_attach(struct rc_agent *a)
{
	if (!a->started || a->optout || a->t_attach != RC_AGENT_NEVER)
		return;
	uint64_t t = a->ops->mono_ms(a->ctx) + a->cfg.debounce_ms;
	if (a->cfg.start_spread_ms) /* a region's network back at once: spread out, as at boot */
		t += rc_agent_spread_ms(&a->cfg, rc__agent_rand64(a));
	uint64_t earliest = a->t_attach_last + a->cfg.attach_interval_ms;
	a->t_attach = a->t_attach_last != RC_AGENT_NEVER && t < earliest ? earliest : t;
}

void rc_agent_flush(struct rc_agent *a)
{
	if (a->t_flush != RC_AGENT_NEVER)
		rc__agent_persist(a);
}

int rc_agent_override(struct rc_agent *a, const char *id)
{
	bool all = !id || strcmp(id, "all") == 0;
	size_t idn = 0;
	while (!all && idn <= RC_NOTICE_ID_MAX && id[idn])
		idn++;
	if (!all && !rc__agent_id_valid(id, idn)) /* also rejects idn > RC_NOTICE_ID_MAX */
		return RC_ERR_SYNTAX;
	bool have = false;
	for (size_t i = 0; !all && i < a->noverrides; i++)
		have = have || strcmp(a->overrides[i], id) == 0;
	if (all) {
		a->override_all = true;
	} else if (!have) {
		if (a->noverrides == RC_AGENT_OVERRIDES_MAX) { /* drop the oldest */
			memmove(a->overrides[0], a->overrides[1],
				sizeof(a->overrides[0]) * (RC_AGENT_OVERRIDES_MAX - 1));
			a->noverrides--;
		}
		memcpy(a->overrides[a->noverrides], id, idn + 1);
		a->noverrides++;
	}
	rc__agent_say(a, RC_LOG_NOTICE, "owner override: %s", all ? "all notices" : id);
	bool held = (a->mode == RC_AGENT_QUARANTINED || a->mode == RC_AGENT_NOTIFIED) &&
		    rc__agent_held(a, &a->scratch) == RC_OK;
	if (held && rc__agent_overridden(a, a->scratch.id)) {
		bool q = a->mode == RC_AGENT_QUARANTINED;
		rc__agent_apply(a, RC_AGENT_OVERRIDDEN);
		if (q && a->started && !a->optout && !a->waiting &&
		    a->next_reason == RC_REASON_RECHECK)
			rc__agent_schedule(a);
	} else {
		rc__agent_persist(a);
	}
	return RC_OK;
}

int rc_agent_override_clear(struct rc_agent *a)
{
	a->noverrides = 0;
	a->override_all = false;
	memset(a->overrides, 0, sizeof(a->overrides));
	rc__agent_say(a, RC_LOG_NOTICE, "owner overrides cleared");
	if (a->mode == RC_AGENT_OVERRIDDEN) {
		int err = rc__agent_held_check(a);
		if (err) {
			rc__agent_release(a, err == RC_ERR_EXPIRED ? RC_AGENT_EV_RELEASED_EXPIRED
								   : RC_AGENT_EV_RELEASED_INVALID);
		} else {
			rc__agent_held(a, &a->scratch);
			rc__agent_apply(a, a->scratch.action == RC_ACTION_QUARANTINE
					       ? RC_AGENT_QUARANTINED
					       : RC_AGENT_NOTIFIED);
		}
	} else {
		rc__agent_persist(a);
	}
	if (a->started && !a->optout)
		rc__agent_begin(a, RC_REASON_RECHECK);
	return RC_OK;
}

void rc_agent_set_checkin(struct rc_agent *a, bool on)
{
	if (on == !a->optout)
		return;
	a->optout = !on;
	rc__agent_say(a, RC_LOG_NOTICE, "check-ins switched %s by the owner", on ? "on" : "off");
	if (!a->started)
		return; /* rc_agent_start acts on it */
	if (on) {
		rc__agent_begin(a, RC_REASON_BOOT);
		return;
	}
	a->waiting = false;
	a->t_next = a->t_wait = a->t_attach = RC_AGENT_NEVER;
	rc__agent_clear_pending(a);
	rc_agent_flush(a); /* no timers run while opted out */
	if (a->mode != RC_AGENT_IDLE)
		rc__agent_release(a, RC_AGENT_EV_RELEASED_OPTOUT);
}

void rc_agent_status(const struct rc_agent *a, struct rc_agent_status *st)
{
	memset(st, 0, sizeof(*st));
	bool retrying = a->t_next != RC_AGENT_NEVER &&
			(a->next_reason == RC_REASON_RETRY || a->next_reason == RC_REASON_BOOT);
	st->waiting = !a->optout && (a->waiting || retrying);
	if (a->optout)
		st->state = RC_AGENT_OPTOUT;
	else if (a->mode != RC_AGENT_IDLE)
		st->state = (enum rc_agent_state)a->mode;
	else
		st->state = st->waiting ? RC_AGENT_WAIT : RC_AGENT_IDLE;
	struct rc_notice n;
	if (rc__agent_held(a, &n) == RC_OK) {
		st->has_notice = true;
		memcpy(st->notice_id, n.id.p, n.id.n);
		st->notice_expiry = n.expiry;
		st->action = n.action;
		st->severity = n.severity;
	}
	st->anchor_epoch = a->anchors.epoch;
	bool synced = false;
	uint64_t w = a->ops->wall(a->ctx, &synced);
	st->clock_trusted = synced && w >= a->floor;
	st->clock_synced = synced;
	st->time_floor = a->floor;
	st->next_ms = RC_AGENT_NEVER;
	if (a->started && !a->optout) {
		uint64_t now = a->ops->mono_ms(a->ctx);
		uint64_t t = a->waiting ? a->t_wait : a->t_next;
		st->next_reason = a->waiting ? RC_REASON_RETRY : a->next_reason;
		if (a->t_attach < t) {
			t = a->t_attach;
			st->next_reason = RC_REASON_ATTACH;
		}
		if (t != RC_AGENT_NEVER)
			st->next_ms = t <= now ? 0 : t - now;
	}
	st->attempt = a->attempt;
	st->last_answer = a->last_answer;
	st->next_periodic = a->next_periodic;
	st->feed_serial = a->feed_serial;
	st->noverrides = a->noverrides;
	st->override_all = a->override_all;
	st->has_log = a->anchors.has_log;
#ifndef RC_AGENT_NO_LOG
	st->log_quorum = a->anchors.has_log ? a->anchors.log.quorum : 0;
#endif
	st->logged = st->has_notice && a->proof_len > 0;
	if (st->logged) {
		st->log_index = a->log_index;
		st->log_size = a->log_size;
		st->log_witnessed = a->log_witnessed;
	}
	st->proof_pending = a->cand_len > 0;
	st->rotation_pending = a->cand_len > 0 && a->cand_rot;
	st->c = a->c;
}

int rc_agent_notice(const struct rc_agent *a, struct rc_notice *n)
{
	return rc__agent_held(a, n);
}

const char *rc_agent_event_name(unsigned ev)
{
	static const char *const names[] = {
	    [RC_AGENT_EV_RECALLED] = "recalled",
	    [RC_AGENT_EV_NOTICE] = "notice",
	    [RC_AGENT_EV_OVERRIDDEN] = "overridden",
	    [RC_AGENT_EV_RELEASED_FIRMWARE] = "released-firmware",
	    [RC_AGENT_EV_RELEASED_CLEAR] = "released-clear",
	    [RC_AGENT_EV_RELEASED_EXPIRED] = "released-expired",
	    [RC_AGENT_EV_RELEASED_OPTOUT] = "released-optout",
	    [RC_AGENT_EV_ROTATED] = "rotated",
	    [RC_AGENT_EV_RELEASED_INVALID] = "released-invalid",
	};
	return ev < sizeof(names) / sizeof(names[0]) && names[ev] ? names[ev] : "unknown";
}

const char *rc_agent_state_name(unsigned st)
{
	static const char *const names[] = {"idle",       "wait",     "quarantined",
					    "overridden", "notified", "optout"};
	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}
