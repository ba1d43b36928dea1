/* One check-in in, at most one answer out: the whole per-packet logic, free of sockets so that
 * it can be tested directly. No heap, no locks, no signing: a recall answer carries the
 * notice bytes exactly as the authorities signed them. Every answer is encoded into at most
 * as many bytes as the request had, and echoes its nonce. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "rd.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

bool rd_exempt(const struct conf_prefix_list *l, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < l->n; i++) {
		if (conf_prefix_match(&l->v[i], family, addr))
			return true;
	}
	return false;
}

static void copy_str(char *dst, uint8_t *dlen, struct rc_str s, size_t max)
{
	size_t n = s.n < max ? s.n : max;
	if (n)
		memcpy(dst, s.p, n);
	*dlen = (uint8_t)n;
}

static void log_hit(struct rd_ctx *x, const struct rd_state *st, int family, const uint8_t *addr,
		    const struct rc_checkin *c, const struct rd_decision *d)
{
	if (!st->cfg->event_log || !st->cfg->event_log[0])
		return;
	struct rd_event *e = rd_ring_slot(&x->ring);
	if (!e) {
		rd_count(x->cnt, RD_C_EVENTS_LOST);
		return;
	}
	e->time = x->now_s;
	e->kind = RD_EV_HIT;
	e->family = family == AF_INET ? 4 : 6;
	memset(e->addr, 0, sizeof(e->addr));
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	e->port = x->port;
	e->action = d->kind == RD_DEC_ENFORCE ? RD_ENFORCE : RD_MONITOR;
	e->severity = d->severity;
	e->has_build_date = c->id.has_build_date;
	e->sender = c->sender;
	e->build_date = c->id.build_date;
	e->feed_serial = st->fm->feed.meta.serial;
	copy_str(e->vendor, &e->vlen, c->id.vendor, sizeof(e->vendor));
	copy_str(e->model, &e->mlen, c->id.model, sizeof(e->model));
	copy_str(e->hwrev, &e->hlen, c->id.hwrev, sizeof(e->hwrev));
	copy_str(e->fwver, &e->flen, c->id.fwver, sizeof(e->fwver));
	struct rc_str id = st->fm->sum[d->idx].id;
	e->idlen = (uint8_t)(id.n < RC_NOTICE_ID_MAX ? id.n : RC_NOTICE_ID_MAX);
	memcpy(e->id, id.p, e->idlen);
	rd_ring_push(&x->ring);
}

struct rd_event *rd_event_start(struct rd_ctx *x, const struct rd_state *st, int family,
				const uint8_t *addr, uint8_t kind, uint8_t result)
{
	struct rd_event *e = rd_ring_slot(&x->ring);
	if (!e) {
		rd_count(x->cnt, RD_C_EVENTS_LOST);
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->time = x->now_s;
	e->kind = kind;
	e->result = result;
	e->family = family == AF_INET ? 4 : 6;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	e->port = x->port;
	e->feed_serial = st->fm->feed.meta.serial;
	return e;
}

/* A proof request as an event: the notice it names (when one is served; a rotation statement
 * has none) and the outcome. */
static void log_proof(struct rd_ctx *x, const struct rd_state *st, int family, const uint8_t *addr,
		      const struct rc_proofreq *q, const struct rd_proof *p, uint8_t result)
{
	struct rd_event *e = rd_event_start(x, st, family, addr, RD_EV_PROOF, result);
	if (!e)
		return;
	memcpy(e->leaf, q->leaf, sizeof(e->leaf));
	if (p && p->notice != RD_PROOF_ROTATION) {
		const struct rd_nsum *s = &st->fm->sum[p->notice];
		e->severity = s->severity;
		copy_str(e->vendor, &e->vlen, s->vendor, sizeof(e->vendor));
		copy_str(e->model, &e->mlen, s->model, sizeof(e->model));
		copy_str(e->id, &e->idlen, s->id, sizeof(e->id));
	}
	rd_ring_push(&x->ring);
}

static void note(struct rd_decision *d, uint8_t kind, const struct rc_notice *n, uint32_t idx)
{
	d->kind = kind;
	d->severity = n->severity;
	d->idx = idx;
}

/* The decision for an identity: the first notice valid now that covers it and that policy
 * enforces (ENFORCE); else the first covering valid one, only monitored (MONITOR); else NONE.
 * It holds from now until valid_until, the first second at which a covering notice starts
 * or ends. */
static void decide(const struct rd_state *st, const struct rc_identity *id, uint64_t now,
		   struct rd_decision *d)
{
	const struct rc_feed *f = &st->fm->feed;
	const struct rd_config *cfg = st->cfg;
	struct rc_notice n;
	memset(d, 0, sizeof(*d));
	d->valid_from = now;
	d->valid_until = st->fm->feed.meta.expiry;
	if (!f->nnotices)
		return;
	uint64_t h = rc_feed_hash(f->hashkey, id->vendor, id->model);
	size_t b = (size_t)(h & (f->nbuckets - 1));
	uint32_t lo = le32(f->buckets + 4 * b), hi = le32(f->buckets + 4 * (b + 1));
	for (uint32_t i = lo; i < hi && i < f->nnotices; i++) {
		const uint8_t *e = f->entries + (size_t)i * RC_FEED_ENTRY_LEN;
		if (le64(e) != h)
			continue;
		const uint8_t *np = f->notices + le32(e + 8);
		size_t nlen = le32(e + 12);
		rd_nsum_notice(st->fm, i, &n); /* decoded at load */
		if (!rc_notice_covers(&n, id))
			continue;
		if (now < n.not_before) {
			if (n.not_before < d->valid_until)
				d->valid_until = n.not_before;
			continue;
		}
		if (now >= n.expiry)
			continue;
		if (n.expiry < d->valid_until)
			d->valid_until = n.expiry;
		if (rd_policy_action(&cfg->policy, cfg->default_action, &n) == RD_ENFORCE) {
			note(d, RD_DEC_ENFORCE, &n, i);
			d->notice = np;
			d->len = (uint32_t)nlen;
			return;
		}
		if (d->kind == RD_DEC_NONE)
			note(d, RD_DEC_MONITOR, &n, i);
	}
}

/* The check-in being answered: decoded, or made from its cache entry when first needed. */
struct req {
	const uint8_t *p;
	struct rd_cache_entry *e;
	struct rc_checkin c;
	bool have; /* c is filled */
};

static const struct rc_checkin *checkin(struct req *q)
{
	if (!q->have)
		rd_cache_checkin(q->e, q->p, &q->c);
	q->have = true;
	return &q->c;
}

/* The decision for a check-in: the cached one if made under st and still valid at now, else a
 * new one (kept in its entry when there is one). */
static const struct rd_decision *decision(struct rd_ctx *x, const struct rd_state *st,
					  struct req *q, struct rd_decision *local)
{
	uint64_t now = x->now_s;
	struct rd_cache_entry *e = q->e;
	if (e && e->gen == st->gen && now >= e->d.valid_from && now < e->d.valid_until)
		return &e->d;
	rd_count(x->cnt, RD_C_LOOKUP);
	decide(st, &checkin(q)->id, now, local);
	if (!e)
		return local;
	e->gen = st->gen;
	e->d = *local;
	e->alen = 0; /* the answer went with the old decision */
	return &e->d;
}

static enum rd_src src4(const uint8_t a[4])
{
	if (a[0] == 0)
		return RD_SRC_UNSPECIFIED; /* 0.0.0.0/8: "this network", never a reply address */
	if ((a[0] & 0xf0) == 0xe0)
		return RD_SRC_MULTICAST;
	if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
		return RD_SRC_BROADCAST;
	if ((a[0] & 0xf0) == 0xf0)
		return RD_SRC_RESERVED;
	return RD_SRC_OK;
}

enum rd_src rd_src_check(int family, const uint8_t *addr, uint16_t port)
{
	static const uint8_t zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	enum rd_src r = RD_SRC_OK;
	if (family == AF_INET) {
		r = src4(addr);
	} else if (family != AF_INET6) {
		return RD_SRC_UNSPECIFIED;
	} else if (!memcmp(addr, zero, 16)) {
		r = RD_SRC_UNSPECIFIED;
	} else if (addr[0] == 0xff) {
		r = RD_SRC_MULTICAST;
	} else if (!memcmp(addr, mapped, 12)) {
		/* IPv6 sockets are IPV6_V6ONLY: IPv4 never arrives in this form */
		r = src4(addr + 12);
		if (r == RD_SRC_OK)
			r = RD_SRC_MAPPED;
	}
	/* the address's reason first: it says more */
	return r == RD_SRC_OK && port == 0 ? RD_SRC_PORT0 : r;
}

const char *rd_src_name(enum rd_src s)
{
	static const char *const names[RD_SRC__COUNT] = {"ok",
							 "source port 0",
							 "unspecified source address",
							 "multicast source address",
							 "broadcast source address",
							 "reserved source address (240.0.0.0/4)",
							 "IPv4-mapped IPv6 source address"};
	return (unsigned)s < RD_SRC__COUNT ? names[s] : "bad source";
}

/* Drop and count a datagram whose source is no place to answer to (multicast, broadcast,
 * unspecified, port 0: reflection towards a group or a network, or nowhere); one line per
 * worker now and then, rate limited. */
static bool bad_source(struct rd_ctx *x, int family, const uint8_t *addr, uint16_t port)
{
	enum rd_src why = rd_src_check(family, addr, port);
	if (why == RD_SRC_OK)
		return false;
	rd_count(x->cnt, RD_C_DROP_BADSRC);
	if (x->lograte.per_sec > 0) {
		char a[INET6_ADDRSTRLEN] = "?";
		inet_ntop(family, addr, a, sizeof(a));
		log_warnx_rl(&x->lograte, "worker %u: dropped a datagram from %s%s%s port %u: %s",
			     x->id, family == AF_INET6 ? "[" : "", a, family == AF_INET6 ? "]" : "",
			     (unsigned)port, rd_src_name(why));
	}
	return true;
}

/* A proof request (after the source, size and rate checks of every datagram): the answer
 * built at load for the notice or rotation statement it names, with its nonce. Never a clear
 * and never a rotate (PROTOCOL.md 7.8: a device drops them; one at an older epoch asks for the
 * proof of the rotation statement it was offered): without a proof that policy lets out,
 * retry-later. */
static size_t proof(struct rd_ctx *x, const struct rd_state *st, int family, const uint8_t *addr,
		    const uint8_t *req, size_t len, bool limited, uint8_t out[static RC_ANSWER_MAX])
{
	const struct rd_config *cfg = st->cfg;
	struct rc_proofreq q;
	struct rc_answer a;
	enum rd_ctr kind = RD_C_ANS_RETRY;
	rd_count(x->cnt, RD_C_PROOF_REQ);
	int err = rc_proofreq_decode(&q, req, len, NULL);
	if (err && err != RC_ERR_VERSION) {
		rd_count(x->cnt, RD_C_DROP_MALFORMED);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.nonce, q.nonce, RC_NONCE_LEN);
	a.type = RC_MSG_RETRY;
	if (limited) {
		rd_count(x->cnt, RD_C_RL_RETRY);
		a.delay = (uint32_t)(cfg->rl_delay_ms / 1000);
	} else if (err == RC_ERR_VERSION) {
		a.type = RC_MSG_UNSUPPORTED;
		a.max_version = RC_VERSION;
		kind = RD_C_ANS_UNSUPPORTED;
	} else {
		const struct rd_proof *p = rd_log_find(st->log, q.leaf);
		uint8_t res = RD_PR_UNKNOWN;
		if (p && p->notice == RD_PROOF_ROTATION) {
			res = RD_PR_PROOF; /* a statement the responder offers: no policy applies */
		} else if (p) {
			struct rc_notice n;
			memset(&n, 0, sizeof(n));
			rd_nsum_notice(st->fm, p->notice, &n);
			res = rd_exempt(&cfg->exempt, family, addr) ||
				      rd_policy_action(&cfg->policy, cfg->default_action, &n) !=
					  RD_ENFORCE
				  ? RD_PR_WITHHELD
				  : RD_PR_PROOF;
		}
		if (cfg->event_log && cfg->event_log[0])
			log_proof(x, st, family, addr, &q, p, res);
		if (res == RD_PR_PROOF) {
			size_t alen = rd_proof_answer(st->log, p, q.nonce, out, len);
			if (!alen) {
				rd_count(x->cnt, RD_C_DROP_INTERNAL);
				return 0;
			}
			rd_count(x->cnt, RD_C_ANS_PROOF);
			return alen;
		}
		rd_count(x->cnt, res == RD_PR_UNKNOWN ? RD_C_PROOF_UNKNOWN : RD_C_PROOF_WITHHELD);
		a.delay = (uint32_t)(cfg->proof_delay_ms / 1000);
	}
	size_t alen = 0;
	if (rc_answer_encode(&a, out, len, &alen) != RC_OK || alen == 0 || alen > len) {
		rd_count(x->cnt, RD_C_DROP_INTERNAL);
		return 0;
	}
	rd_count(x->cnt, kind);
	return alen;
}

size_t rd_answer(struct rd_ctx *x, const struct rd_state *st, int family, const uint8_t *addr,
		 uint16_t port, const uint8_t *req, size_t len, uint8_t out[static RC_ANSWER_MAX])
{
	struct rd_cache_probe pr;
	rd_cache_probe(&x->cache, req, len, &pr);
	return rd_answer_probed(x, st, family, addr, port, req, len, &pr, out);
}

size_t rd_answer_probed(struct rd_ctx *x, const struct rd_state *st, int family,
			const uint8_t *addr, uint16_t port, const uint8_t *req, size_t len,
			const struct rd_cache_probe *pr, uint8_t out[static RC_ANSWER_MAX])
{
	const struct rd_config *cfg = st->cfg;
	struct req q; /* q.c is filled only when needed */
	q.p = req;
	q.e = NULL;
	q.have = false;
	struct rc_answer a;
	rd_count(x->cnt, RD_C_RX);
	if (bad_source(x, family, addr, port))
		return 0;
	x->port = port;
	if (len < RC_CHECKIN_SIZE) {
		rd_count(x->cnt, RD_C_DROP_SHORT);
		return 0;
	}
	if (len > RC_CHECKIN_SIZE) {
		rd_count(x->cnt, RD_C_DROP_OVERSIZED);
		return 0;
	}
	bool limited = false;
	if (cfg->rl_enable && !rd_exempt(&cfg->rl_exempt, family, addr) &&
	    !rd_rl_allow(&x->rl, cfg, x->nworkers, family, addr, x->now_ms, x->cnt)) {
		limited = true;
		if (cfg->rl_action == RD_RL_DROP || (++x->rl.slip % cfg->rl_slip) != 0) {
			rd_count(x->cnt, RD_C_RL_DROP);
			rd_count(x->cnt, RD_C_DROP_RATELIMIT);
			return 0;
		}
	}
	int type = rc_msg_peek_type(req, len);
	if (type == RC_MSG_PROOF_REQUEST)
		return proof(x, st, family, addr, req, len, limited, out);
	if (type == RC_MSG_PRIVATE || type == RC_MSG_NOTICE_REQUEST)
		return rd_answer_private(x, st, type, family, addr, req, len, limited, out);
	/* a datagram equal to a check-in decoded before (but for the nonce) decodes alike */
	struct rd_cache_entry *e = rd_cache_find(&x->cache, pr, req);
	int err = RC_OK;
	uint64_t epoch;
	if (e) {
		rd_count(x->cnt, RD_C_CACHE_HIT);
		epoch = e->epoch;
	} else {
		if (x->cache.t)
			rd_count(x->cnt, RD_C_CACHE_MISS);
		err = rc_checkin_decode(&q.c, req, len, NULL);
		if (err && err != RC_ERR_VERSION) {
			rd_count(x->cnt, RD_C_DROP_MALFORMED);
			return 0;
		}
		q.have = true;
		epoch = q.c.anchor_epoch;
		if (!err)
			e = rd_cache_add(&x->cache, pr, req, &q.c);
	}
	q.e = e;
	memset(&a, 0, sizeof(a));
	enum rd_ctr kind;
	const struct rd_decision *d = NULL;
	if (limited) {
		rd_count(x->cnt, RD_C_RL_RETRY);
		a.type = RC_MSG_RETRY;
		a.delay = (uint32_t)(cfg->rl_delay_ms / 1000);
		kind = RD_C_ANS_RETRY;
	} else if (err == RC_ERR_VERSION) {
		a.type = RC_MSG_UNSUPPORTED;
		a.max_version = RC_VERSION;
		kind = RD_C_ANS_UNSUPPORTED;
	} else {
		const struct rd_rotation_stmt *rot = NULL;
		if (epoch < st->anchors.epoch)
			rot = rd_state_rotation(st, epoch);
		if (rot) {
			a.type = RC_MSG_ROTATE;
			a.blob = rot->bytes;
			a.blob_len = rot->len;
			kind = RD_C_ANS_ROTATE;
		} else if (x->now_s >= st->fm->feed.meta.expiry) {
			a.type = RC_MSG_RETRY; /* an expired feed is not used */
			a.delay = (uint32_t)(cfg->expired_delay_ms / 1000);
			kind = RD_C_ANS_RETRY;
		} else {
			struct rd_decision local;
			d = decision(x, st, &q, &local);
			bool hit = d->kind == RD_DEC_ENFORCE;
			if (d->kind != RD_DEC_NONE && rd_exempt(&cfg->exempt, family, addr)) {
				rd_count(x->cnt, RD_C_HIT_EXEMPT);
				hit = false;
			} else if (d->kind != RD_DEC_NONE) {
				rd_count(x->cnt, hit ? RD_C_HIT_ENFORCE : RD_C_HIT_MONITOR);
				if (cfg->event_log && cfg->event_log[0])
					log_hit(x, st, family, addr, checkin(&q), d);
			}
			if (hit) {
				a.type = RC_MSG_RECALLED;
				a.blob = d->notice;
				a.blob_len = d->len;
				kind = RD_C_ANS_RECALLED;
			} else {
				a.type = RC_MSG_CLEAR;
				a.serial = st->fm->feed.meta.serial;
				kind = RD_C_ANS_CLEAR;
			}
			/* the answer kept with the decision: the same bytes but the nonce */
			if (e && d == &e->d && e->alen && e->atype == a.type) {
				rd_count(x->cnt, kind);
				return rd_cache_answer(e, req, out);
			}
		}
	}
	memcpy(a.nonce, q.have ? q.c.nonce : req + RD_CACHE_NONCE_AT, RC_NONCE_LEN);
	size_t alen = 0;
	/* cap = the request's length: no answer can be larger than what it answers */
	if (rc_answer_encode(&a, out, len, &alen) != RC_OK || alen == 0 || alen > len) {
		rd_count(x->cnt, RD_C_DROP_INTERNAL);
		return 0;
	}
	if (e && d == &e->d)
		rd_cache_set_answer(e, out, alen, &a);
	rd_count(x->cnt, kind);
	return alen;
}
