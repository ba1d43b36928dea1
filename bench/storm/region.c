/* The simulated region: devices in a bucket queue of 1 ms slots, nodes with a fixed answer
 * rate and a finite socket queue, answers back after a round trip. A device is either a model
 * (a few bytes: flags, attempt count, deadline; waits drawn with the core's rc_agent_retry_ms
 * and rc_agent_spread_ms) or a real struct rc_agent driven through tests/helpers/sim.c; both
 * kinds share the nodes, so they see the same losses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "sim.h"
#include "storm.h"

#define NIL UINT32_MAX
enum { F_STARTED = 1, F_WAIT = 2, F_DONE = 4, F_GAVEUP = 8, F_REAL = 16 };

struct dev {
	uint32_t next;   /* next device in the same slot */
	uint32_t t_wait; /* model: answer deadline of the outstanding attempt */
	uint8_t flags;
	uint8_t node;
	uint8_t attempt; /* model: unanswered attempts of the episode */
	uint8_t sends;   /* datagrams sent */
};

struct pkt {
	uint32_t dev;
	uint32_t t;  /* answer: when it reaches the device */
	uint8_t seq; /* the device's datagram number */
};

struct ring {
	struct pkt *v;
	size_t cap, head, len;
};

struct node {
	struct ring q;   /* the socket queue */
	struct ring ans; /* answers on their way back */
	struct pkt *arr; /* datagrams arriving in this slot */
	size_t narr, arrcap;
	double credit;
};

struct real {
	struct rc_agent a;
	uint8_t nonce[4][RC_NONCE_LEN]; /* of the last 4 datagrams, by sequence number */
	uint64_t answers0;              /* answers before the storm (--attach) */
};

struct region {
	const struct storm_opts *o;
	struct storm_result *r;
	struct dev *d;
	uint32_t *slot; /* heads, one per ms of the horizon */
	struct node *n;
	struct real *real;
	uint64_t real0, nreal; /* devices [real0, real0 + nreal) are real cores */
	struct sim s;
	struct rc_agent_config cfg; /* as rc_agent_init clamped it */
	uint64_t rng, now, resolved, answered;
	uint64_t base; /* the cores' clock at power-on (--attach: they ran before) */
};

static uint64_t xs(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void push(struct region *w, uint32_t i, uint64_t t)
{
	if (t > w->o->horizon_ms)
		return; /* beyond the horizon: counted as still waiting */
	w->d[i].next = w->slot[t];
	w->slot[t] = i;
}

static void ring_put(struct ring *g, struct pkt p)
{
	g->v[(g->head + g->len++) % g->cap] = p;
}

static struct pkt ring_get(struct ring *g)
{
	struct pkt p = g->v[g->head];
	g->head = (g->head + 1) % g->cap;
	g->len--;
	return p;
}

static void hist_add(struct storm_hist *h, uint64_t t)
{
	h->n++;
	h->bin[t]++;
}

static int arrive(struct region *w, uint32_t i)
{
	struct dev *d = &w->d[i];
	struct node *n = &w->n[d->node];
	if (n->narr == n->arrcap) {
		size_t c = n->arrcap ? 2 * n->arrcap : 4096;
		struct pkt *v = realloc(n->arr, c * sizeof(*v));
		if (!v)
			return -1;
		n->arr = v;
		n->arrcap = c;
	}
	n->arr[n->narr++] = (struct pkt){i, 0, d->sends};
	hist_add(&w->r->sent[(d->flags & F_REAL) != 0], w->now);
	return 0;
}

static void resolve(struct region *w, uint32_t i, bool answered)
{
	struct dev *d = &w->d[i];
	int k = (d->flags & F_REAL) != 0;
	d->flags |= answered ? F_DONE : F_GAVEUP;
	w->resolved++;
	if (!answered)
		return;
	w->answered++;
	w->r->answered_by_sec[w->now / 1000]++;
	hist_add(&w->r->ans[k], w->now);
	w->r->attempts[k][d->sends < 15 ? d->sends : 15]++;
}

/* A real core after a call: its datagram (at most one) goes to its node; a give-up resolves. */
static int real_after(struct region *w, uint32_t i, size_t before)
{
	struct dev *d = &w->d[i];
	struct real *x = &w->real[i - w->real0];
	if (w->s.nsent > before) {
		struct rc_checkin c;
		if (w->s.nsent != before + 1 || sim_last_checkin(&w->s, &c) != RC_OK) {
			fprintf(stderr, "recall-storm: device %u: unexpected datagram\n", i);
			return -1;
		}
		d->sends++;
		memcpy(x->nonce[d->sends % 4], c.nonce, RC_NONCE_LEN);
		if (arrive(w, i) < 0)
			return -1;
	}
	if (x->a.c.giveups && !(d->flags & (F_DONE | F_GAVEUP)))
		resolve(w, i, false);
	return 0;
}

static int real_event(struct region *w, uint32_t i)
{
	struct dev *d = &w->d[i];
	struct rc_agent *a = &w->real[i - w->real0].a;
	size_t before = w->s.nsent;
	w->s.mono = w->base + w->now;
	if (!(d->flags & F_STARTED)) {
		d->flags |= F_STARTED;
		if (w->o->attach)
			rc_agent_attach(a);
		else
			rc_agent_start(a);
	} else {
		rc_agent_tick(a);
	}
	if (real_after(w, i, before) < 0)
		return -1;
	uint64_t t = rc_agent_timeout_ms(a);
	if (t != RC_AGENT_NEVER && !(d->flags & (F_DONE | F_GAVEUP)))
		push(w, i, w->now + t);
	return 0;
}

/* The model of one device: what rc_agent_start (or rc_agent_attach) and rc_agent_tick do for
 * an IDLE agent whose boot (attach) episode is running (12.3, 12.4), with the core's draws. */
static int model_event(struct region *w, uint32_t i)
{
	struct dev *d = &w->d[i];
	if (d->flags & (F_DONE | F_GAVEUP))
		return 0; /* the deadline of an attempt that was answered */
	if (!(d->flags & F_STARTED)) {
		d->flags |= F_STARTED;
		if (w->o->attach) {
			uint64_t t = w->now + w->cfg.debounce_ms;
			if (w->cfg.start_spread_ms)
				t += rc_agent_spread_ms(&w->cfg, xs(&w->rng));
			push(w, i, t);
			return 0;
		}
		if (w->cfg.start_spread_ms) {
			push(w, i, w->now + rc_agent_spread_ms(&w->cfg, xs(&w->rng)));
			return 0;
		}
	} else if (d->flags & F_WAIT) {
		d->flags &= (uint8_t)~F_WAIT;
		if (++d->attempt > w->cfg.retries) {
			resolve(w, i, false);
			return 0;
		}
		push(w, i, w->now + rc_agent_retry_ms(&w->cfg, d->attempt, xs(&w->rng)));
		return 0;
	}
	d->flags |= F_WAIT;
	d->sends++;
	d->t_wait = (uint32_t)(w->now + w->cfg.timeout_ms);
	push(w, i, d->t_wait);
	return arrive(w, i);
}

/* An answer reaches device i: the model accepts it while its nonce is one of the episode's
 * last 4 (12.3), as the core does. */
static int deliver(struct region *w, struct pkt p)
{
	struct dev *d = &w->d[p.dev];
	if (d->flags & (F_DONE | F_GAVEUP) || (uint8_t)(d->sends - p.seq) >= 4)
		return 0;
	if (!(d->flags & F_REAL)) {
		resolve(w, p.dev, true);
		return 0;
	}
	struct real *x = &w->real[p.dev - w->real0];
	uint8_t buf[RC_ANSWER_MAX];
	size_t len;
	if (fx_answer(buf, sizeof(buf), &len, RC_MSG_CLEAR, x->nonce[p.seq % 4], 1, NULL, 0))
		return -1;
	struct rc_src from = sim_responder(0);
	size_t before = w->s.nsent;
	w->s.mono = w->base + w->now;
	if (rc_agent_input(&x->a, buf, len, &from) == RC_OK && x->a.c.answers > x->answers0)
		resolve(w, p.dev, true);
	return real_after(w, p.dev, before);
}

/* One ms of one node: admit what fits (a fair random choice among this slot's arrivals),
 * answer at the node's rate, in order. */
static void node_slot(struct region *w, unsigned k)
{
	struct node *n = &w->n[k];
	double per_ms = w->o->capacity / 1000.0;
	n->credit += per_ms;
	size_t can = (size_t)n->credit;
	size_t possible = n->q.len + n->narr < can ? n->q.len + n->narr : can;
	size_t room = w->o->queue + possible - n->q.len;
	size_t admit = n->narr < room ? n->narr : room;
	struct storm_sec *sec = &w->r->secs[k * w->r->nsec + w->now / 1000];
	sec->arrived += n->narr;
	sec->dropped += n->narr - admit;
	w->r->datagrams += n->narr;
	w->r->dropped += n->narr - admit;
	for (size_t i = 0, left = admit; i < n->narr && left; i++) {
		if (xs(&w->rng) % (n->narr - i) < left) {
			ring_put(&n->q, n->arr[i]);
			left--;
		}
	}
	n->narr = 0;
	size_t served = n->q.len < can ? n->q.len : can;
	for (size_t i = 0; i < served; i++) {
		struct pkt p = ring_get(&n->q);
		p.t = (uint32_t)(w->now + w->o->rtt_ms);
		ring_put(&n->ans, p);
	}
	n->credit -= (double)served;
	if (n->q.len == 0 && n->credit > per_ms)
		n->credit = per_ms; /* an idle node banks no capacity */
	sec->answered += served;
	if (n->q.len > sec->qmax)
		sec->qmax = n->q.len;
	if (n->q.len > w->r->qmax)
		w->r->qmax = n->q.len;
}

/* --attach: the device ran before the outage; its boot episode was answered. */
static int settle_before(struct region *w, struct real *x)
{
	w->s.mono = 0;
	if (rc_agent_start(&x->a) != RC_OK)
		return -1;
	for (int i = 0; i < 1000 && w->s.nsent == 0; i++)
		sim_step(&w->s, &x->a);
	if (w->s.nsent == 0 || sim_answer(&w->s, &x->a, RC_MSG_CLEAR, 1, NULL, 0) != RC_OK)
		return -1;
	w->s.nsent = 0;
	x->answers0 = x->a.c.answers;
	return 0;
}

static int world_open(struct region *w, const struct storm_opts *o, struct storm_result *r,
		      uint64_t real0, uint64_t nreal, unsigned round)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->r = r;
	w->real0 = real0;
	w->nreal = nreal;
	w->rng = o->seed * 0x9E3779B97F4A7C15ull + round + 1;
	sim_init(&w->s, FX_NOW, o->seed * 31 + round + 1);
	struct fx_key keys[3];
	struct rc_anchors anc;
	if (fx_anchors(&anc, keys, 3, 2, 1, 10))
		return -1;
	struct rc_agent_config cfg;
	sim_config(&cfg, &anc, 1);
	cfg.start_spread_ms = o->spread_ms;
	w->d = calloc(o->devices, sizeof(*w->d));
	w->slot = malloc((o->horizon_ms + 1) * sizeof(*w->slot));
	w->n = calloc(o->nodes, sizeof(*w->n));
	w->real = nreal ? calloc(nreal, sizeof(*w->real)) : NULL;
	if (!w->d || !w->slot || !w->n || (nreal && !w->real))
		return -1;
	memset(w->slot, 0xff, (o->horizon_ms + 1) * sizeof(*w->slot));
	size_t per_ms = (size_t)(o->capacity / 1000.0) + 2;
	for (unsigned k = 0; k < o->nodes; k++) {
		struct node *n = &w->n[k];
		n->q.cap = o->queue + per_ms + 1;
		n->ans.cap = per_ms * (o->rtt_ms + 2);
		n->q.v = malloc(n->q.cap * sizeof(struct pkt));
		n->ans.v = malloc(n->ans.cap * sizeof(struct pkt));
		if (!n->q.v || !n->ans.v)
			return -1;
	}
	for (uint64_t i = 0; i < nreal; i++)
		if (rc_agent_init(&w->real[i].a, &cfg, &sim_ops, &w->s) != RC_OK ||
		    (o->attach && settle_before(w, &w->real[i]) < 0))
			return -1;
	if (o->attach)
		w->base = 3600000; /* an hour after they started (their periodic is weeks away) */
	struct rc_agent proto;
	if (rc_agent_init(&proto, &cfg, &sim_ops, &w->s) != RC_OK)
		return -1;
	w->cfg = proto.cfg;
	/* The same region in every round: boot times and nodes from the seed alone. */
	uint64_t g = o->seed ^ 0xD1B54A32D192ED03ull;
	for (uint64_t i = o->devices; i-- > 0;) {
		struct dev *d = &w->d[i];
		d->node = (uint8_t)(xs(&g) % o->nodes);
		d->flags = i >= real0 && i < real0 + nreal ? F_REAL : 0;
		push(w, (uint32_t)i, xs(&g) % (o->boot_ms + 1));
	}
	return 0;
}

static void world_close(struct region *w)
{
	for (unsigned k = 0; w->n && k < w->o->nodes; k++) {
		free(w->n[k].q.v);
		free(w->n[k].ans.v);
		free(w->n[k].arr);
	}
	free(w->n);
	free(w->real);
	free(w->slot);
	free(w->d);
}

static int run_round(struct region *w)
{
	const struct storm_opts *o = w->o;
	uint64_t done_at = 0;
	for (w->now = 0; w->now <= o->horizon_ms; w->now++) {
		for (unsigned k = 0; k < o->nodes; k++) {
			struct ring *g = &w->n[k].ans;
			while (g->len && g->v[g->head].t <= w->now)
				if (deliver(w, ring_get(g)) < 0)
					return -1;
		}
		/* devices due now; an event may add the same device to this slot again (a wait
		 * of 0), at most a few times */
		for (unsigned guard = 0; w->slot[w->now] != NIL && guard < 100000000u; guard++) {
			uint32_t i = w->slot[w->now];
			w->slot[w->now] = w->d[i].next;
			int err = w->d[i].flags & F_REAL ? real_event(w, i) : model_event(w, i);
			if (err)
				return -1;
		}
		for (unsigned k = 0; k < o->nodes; k++)
			node_slot(w, k);
		if (w->answered * 1000 >= o->devices * 999 && !w->r->t_999)
			w->r->t_999 = w->now;
		if (w->resolved == o->devices && !done_at)
			done_at = w->now;
		if (done_at)
			break;
	}
	w->r->t_end = w->now > o->horizon_ms ? o->horizon_ms : w->now;
	w->r->t_all = w->answered == o->devices ? done_at : 0;
	w->r->answered = w->answered;
	w->r->waiting = o->devices - w->resolved;
	w->r->gaveup = w->resolved - w->answered;
	for (uint64_t i = w->real0; i < w->real0 + w->nreal; i++) {
		w->r->real_answered += (w->d[i].flags & F_DONE) != 0;
		w->r->real_gaveup += (w->d[i].flags & F_GAVEUP) != 0;
	}
	return 0;
}

static int result_alloc(struct storm_result *r, const struct storm_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->devices = o->devices;
	r->nsec = o->horizon_ms / 1000 + 1;
	r->secs = calloc(o->nodes * r->nsec, sizeof(*r->secs));
	r->answered_by_sec = calloc(r->nsec, sizeof(*r->answered_by_sec));
	for (int k = 0; k < 2; k++) {
		r->sent[k].bin = calloc(o->horizon_ms + 1, sizeof(uint32_t));
		r->ans[k].bin = calloc(o->horizon_ms + 1, sizeof(uint32_t));
		if (!r->sent[k].bin || !r->ans[k].bin)
			return -1;
	}
	return r->secs && r->answered_by_sec ? 0 : -1;
}

void storm_result_free(struct storm_result *r)
{
	free(r->secs);
	free(r->answered_by_sec);
	for (int k = 0; k < 2; k++) {
		free(r->sent[k].bin);
		free(r->ans[k].bin);
	}
	memset(r, 0, sizeof(*r));
}

/* Round 0 gives the curves; every round adds its real sample and an equal number of model
 * devices to the comparison, and the worst outcome of any round is kept. */
int storm_run(const struct storm_opts *o, struct storm_result *r)
{
	uint64_t sample = o->sample < o->devices ? o->sample : o->devices;
	uint64_t chunk = o->chunk ? o->chunk : 1;
	unsigned rounds = (unsigned)((sample + chunk - 1) / chunk);
	if (rounds == 0)
		rounds = 1;
	if (result_alloc(r, o) < 0)
		goto oom;
	for (unsigned k = 0; k < rounds; k++) {
		struct storm_result x;
		struct region w;
		uint64_t real0 = (uint64_t)k * chunk;
		uint64_t nreal = sample - real0 < chunk ? sample - real0 : chunk;
		struct storm_result *into = k == 0 ? r : &x;
		if (k && result_alloc(&x, o) < 0)
			goto oom;
		if (world_open(&w, o, into, real0, nreal, k) < 0) {
			world_close(&w);
			goto oom;
		}
		int err = run_round(&w);
		world_close(&w);
		if (err)
			return -1;
		if (!o->quiet)
			fprintf(stderr, "recall-storm: round %u of %u: %llu real cores, %llu ms\n",
				k + 1, rounds, (unsigned long long)nreal,
				(unsigned long long)into->t_end);
		if (k == 0)
			continue;
		for (int c = 0; c < 2; c++) {
			for (uint64_t t = 0; t <= o->horizon_ms; t++) {
				r->sent[c].bin[t] += x.sent[c].bin[t];
				r->ans[c].bin[t] += x.ans[c].bin[t];
			}
			r->sent[c].n += x.sent[c].n;
			r->ans[c].n += x.ans[c].n;
			for (int a = 0; a < 16; a++)
				r->attempts[c][a] += x.attempts[c][a];
		}
		r->real_answered += x.real_answered;
		r->real_gaveup += x.real_gaveup;
		bool all = x.t_all && r->t_all;
#define WORST(f) r->f = x.f > r->f ? x.f : r->f
		WORST(gaveup);
		WORST(waiting);
		WORST(qmax);
		WORST(t_999);
		WORST(t_all);
		if (!all)
			r->t_all = 0; /* some round did not answer everyone */
		storm_result_free(&x);
	}
	return 0;
oom:
	fprintf(stderr, "recall-storm: out of memory\n");
	return -1;
}

double storm_ks(const struct storm_hist *a, const struct storm_hist *b, uint64_t bins)
{
	if (!a->n || !b->n)
		return 1.0;
	uint64_t ca = 0, cb = 0;
	double d = 0;
	for (uint64_t t = 0; t < bins; t++) {
		ca += a->bin[t];
		cb += b->bin[t];
		double x = (double)ca / (double)a->n - (double)cb / (double)b->n;
		if (x < 0)
			x = -x;
		if (x > d)
			d = x;
	}
	return d;
}
