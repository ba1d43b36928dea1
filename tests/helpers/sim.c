/* The simulated world behind struct rc_agent_ops (see sim.h). */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "sim.h"

static void trace(struct sim *s, char c)
{
	if (s->ntrace < SIM_TRACE)
		s->trace[s->ntrace++] = c;
	s->trace[s->ntrace] = '\0';
}

static uint64_t next_rand(struct sim *s)
{
	uint64_t x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static int op_send(void *ctx, const struct rc_src *to, const uint8_t *buf, size_t len)
{
	struct sim *s = ctx;
	struct sim_dgram *d = &s->sent[s->nsent % SIM_SENT_MAX];
	trace(s, 'S');
	d->t = s->mono;
	d->to = *to;
	d->len = len > sizeof(d->buf) ? sizeof(d->buf) : len;
	memcpy(d->buf, buf, d->len);
	s->nsent++;
	return s->send_fail;
}

static uint64_t op_mono(void *ctx)
{
	return ((struct sim *)ctx)->mono;
}

static uint64_t op_wall(void *ctx, bool *trusted)
{
	struct sim *s = ctx;
	*trusted = s->trusted;
	return s->wall + s->mono / 1000u;
}

static void op_random(void *ctx, uint8_t *buf, size_t n)
{
	struct sim *s = ctx;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = next_rand(s);
		for (size_t j = 0; j < 8 && i + j < n; j++)
			buf[i + j] = (uint8_t)(r >> (8 * j));
	}
}

static int op_persist(void *ctx, const uint8_t *state, size_t len)
{
	struct sim *s = ctx;
	trace(s, 'P');
	if (s->persist_fail)
		return s->persist_fail;
	if (len > sizeof(s->state))
		return -1;
	memcpy(s->state, state, len);
	s->state_len = len;
	s->npersist++;
	return 0;
}

static int op_quarantine(void *ctx, const struct rc_notice *n, bool on)
{
	struct sim *s = ctx;
	trace(s, on ? 'Q' : 'q');
	if (s->quarantine_fail)
		return s->quarantine_fail;
	if (on) {
		s->q_apply++;
		size_t l = n && n->id.n <= RC_NOTICE_ID_MAX ? n->id.n : 0;
		if (l)
			memcpy(s->q_id, n->id.p, l);
		s->q_id[l] = '\0';
	} else {
		s->q_lift++;
	}
	s->q_on = on;
	return 0;
}

static void op_notify(void *ctx, enum rc_agent_event ev, const struct rc_notice *n)
{
	struct sim *s = ctx;
	trace(s, 'N');
	if (s->nev < SIM_EV_MAX) {
		size_t l = n && n->id.n <= RC_NOTICE_ID_MAX ? n->id.n : 0;
		if (l)
			memcpy(s->ev_id[s->nev], n->id.p, l);
		s->ev_id[s->nev][l] = '\0';
		s->ev[s->nev++] = ev;
	}
}

static void op_log(void *ctx, enum rc_log_level level, const char *msg)
{
	struct sim *s = ctx;
	s->nlog++;
	snprintf(s->last_log, sizeof(s->last_log), "%s", msg);
	if (s->verbose)
		fprintf(stderr, "[%llu ms] <%d> %s\n", (unsigned long long)s->mono, (int)level,
			msg);
}

const struct rc_agent_ops sim_ops = {
    .send = op_send,
    .mono_ms = op_mono,
    .wall = op_wall,
    .random = op_random,
    .persist = op_persist,
    .quarantine = op_quarantine,
    .notify = op_notify,
    .log = op_log,
};

void sim_init(struct sim *s, uint64_t wall, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->wall = wall;
	s->trusted = true;
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
}

struct rc_src sim_responder(int i)
{
	struct rc_src r;
	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.addr[0] = 127;
	r.addr[3] = (uint8_t)(1 + i);
	r.port = RC_PORT;
	return r;
}

void sim_config(struct rc_agent_config *c, const struct rc_anchors *anchors, size_t nresp)
{
	rc_agent_config_default(c);
	c->start_spread_ms = 0; /* the boot check-in at once, as most tests expect */
	fx_identity(&c->id);
	c->anchors = *anchors;
	c->nresponders = nresp;
	for (size_t i = 0; i < nresp && i < RC_AGENT_RESPONDERS_MAX; i++)
		c->responders[i] = sim_responder((int)i);
}

const struct sim_dgram *sim_last(const struct sim *s)
{
	return s->nsent ? &s->sent[(s->nsent - 1) % SIM_SENT_MAX] : NULL;
}

int sim_last_checkin(const struct sim *s, struct rc_checkin *c)
{
	const struct sim_dgram *d = sim_last(s);
	if (!d)
		return RC_ERR_MISSING;
	return rc_checkin_decode(c, d->buf, d->len, NULL);
}

uint64_t sim_step(struct sim *s, struct rc_agent *a)
{
	uint64_t t = rc_agent_timeout_ms(a);
	if (t == RC_AGENT_NEVER)
		return t;
	s->mono += t;
	rc_agent_tick(a);
	return t;
}

void sim_advance(struct sim *s, struct rc_agent *a, uint64_t ms)
{
	uint64_t end = s->mono + ms;
	for (unsigned guard = 0; guard < 1000000u; guard++) {
		uint64_t t = rc_agent_timeout_ms(a);
		if (t == RC_AGENT_NEVER || s->mono + t > end)
			break;
		s->mono += t;
		rc_agent_tick(a);
	}
	s->mono = end;
	rc_agent_tick(a);
}

int sim_last_proofreq(const struct sim *s, struct rc_proofreq *q)
{
	const struct sim_dgram *d = sim_last(s);
	if (!d)
		return RC_ERR_MISSING;
	return rc_proofreq_decode(q, d->buf, d->len, NULL);
}

int sim_answer(struct sim *s, struct rc_agent *a, uint8_t t, uint64_t arg, const uint8_t *blob,
	       size_t blob_len)
{
	struct rc_checkin c;
	struct rc_proofreq q;
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	const uint8_t *nonce = c.nonce;
	int err = sim_last_checkin(s, &c);
	if (err && sim_last_proofreq(s, &q) == RC_OK) {
		nonce = q.nonce; /* the last datagram was a proof request */
		err = RC_OK;
	}
	if (!err)
		err = fx_answer(out, sizeof(out), &len, t, nonce, arg, blob, blob_len);
	if (err)
		return err;
	return rc_agent_input(a, out, len, &sim_last(s)->to);
}

enum rc_agent_event sim_last_event(const struct sim *s)
{
	return s->nev ? s->ev[s->nev - 1] : (enum rc_agent_event)0;
}

void world_init(struct world *w, size_t nresp)
{
	memset(w, 0, sizeof(*w));
	sim_init(&w->s, FX_NOW, 1);
	fx_anchors(&w->anc, w->keys, 3, 2, 1, 10);
	for (int i = 0; i < 3; i++)
		fx_key(&w->rogue[i], (uint8_t)(100 + i));
	sim_config(&w->cfg, &w->anc, nresp);
	w->init_err = rc_agent_init(&w->a, &w->cfg, &sim_ops, &w->s);
}

int world_notice(struct world *w, void (*mut)(struct rc_notice *), int nsig)
{
	struct rc_notice n;
	fx_notice(&n, FX_NOW);
	if (mut)
		mut(&n);
	int err = rc_notice_encode(&n, w->payload, sizeof(w->payload), &w->plen);
	if (err)
		return err;
	return fx_sign(w->blob, sizeof(w->blob), &w->blob_len, RC_CT_NOTICE, w->payload, w->plen,
		       w->keys, (size_t)nsig);
}

int world_forge(struct world *w)
{
	return fx_sign(w->blob, sizeof(w->blob), &w->blob_len, RC_CT_NOTICE, w->payload, w->plen,
		       w->rogue, 2);
}

int world_wrong_ct(struct world *w)
{
	return fx_sign(w->blob, sizeof(w->blob), &w->blob_len, RC_CT_ROTATION, w->payload, w->plen,
		       w->keys, 2);
}
