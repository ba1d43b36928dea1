/* The load engine. Each thread owns `sockets` connected UDP sockets; each socket has `window`
 * request slots. A check-in carries in its nonce the slot it occupies (4 bytes), a sequence
 * number (8 bytes) and the run's tag (4 bytes), so an answer is matched to its request without
 * any search. Garbage occupies no slot: the responder must not answer it. Requests that stay
 * unanswered for `timeout` are counted lost and their slot reused. Every loop is bounded by the
 * count cap and by the duration (plus one timeout to collect the last answers). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

#define SLOT_FREE UINT64_MAX
#define RX_SLOT   2048 /* larger than any answer or echo */
#define EXPIRE_NS 10000000ull

struct slot {
	uint64_t seq; /* SLOT_FREE when free */
	uint64_t t_ns;
	uint8_t kind;
};

struct sock {
	int fd;
	struct slot *slots;
	uint32_t *freel;
	unsigned nfree;
};

struct thr {
	const struct bench_cfg *cfg;
	unsigned id;
	pthread_t th;
	struct sock *s;
	struct mmsghdr *tx, *rx;
	struct iovec *tiov, *riov;
	uint8_t *tbuf, *rbuf;
	uint32_t *tslot; /* slot of each message in the send batch (UINT32_MAX: garbage) */
	uint8_t *tkind;  /* kind of each message in the send batch */
	uint64_t rng;
	uint64_t seq;
	uint64_t t_first, t_last; /* first send, last answer */
	uint64_t send_end;
	double credit; /* requests allowed by the rate limit but not sent yet */
	uint64_t credit_t;
	struct bench_counts c;
	int err;
};

static _Atomic uint64_t g_issued;

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- latency histogram ---- */

static unsigned hist_index(uint64_t v)
{
	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - 6;
	unsigned idx = 2 * HIST_SUB + (shift - 1) * HIST_SUB + (unsigned)((v >> shift) - HIST_SUB);
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static uint64_t hist_mid(unsigned idx)
{
	if (idx < 2 * HIST_SUB)
		return idx;
	unsigned shift = (idx - 2 * HIST_SUB) / HIST_SUB + 1;
	uint64_t mant = (idx - 2 * HIST_SUB) % HIST_SUB + HIST_SUB;
	return (mant << shift) + (1ull << shift) / 2;
}

void hist_add(struct bench_hist *h, uint64_t ns)
{
	h->b[hist_index(ns)]++;
	h->n++;
	if (ns > h->max)
		h->max = ns;
}

void hist_merge(struct bench_hist *into, const struct bench_hist *h)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->b[i] += h->b[i];
	into->n += h->n;
	if (h->max > into->max)
		into->max = h->max;
}

uint64_t hist_quantile(const struct bench_hist *h, double q)
{
	if (!h->n)
		return 0;
	uint64_t want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	uint64_t acc = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc > want) {
			uint64_t m = hist_mid(i);
			return m < h->max ? m : h->max;
		}
	}
	return h->max;
}

/* ---- requests and answers ---- */

static uint64_t rnd(struct thr *t)
{
	/* xorshift64*: fast, and the mix needs no more */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dull;
}

static unsigned pick_kind(struct thr *t)
{
	const unsigned *m = t->cfg->mix;
	unsigned total = m[0] + m[1] + m[2];
	unsigned r = (unsigned)(rnd(t) % total);
	return r < m[0] ? BK_CLEAR : r < m[0] + m[1] ? BK_RECALLED : BK_GARBAGE;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Requests the rate limit lets this thread send now (all of them without a limit). */
static unsigned rate_allow(struct thr *t, uint64_t now, unsigned want)
{
	if (!t->cfg->rate)
		return want;
	double per_ns = (double)t->cfg->rate / t->cfg->threads / 1e9;
	t->credit += (double)(now - t->credit_t) * per_ns;
	t->credit_t = now;
	double cap = (double)t->cfg->batch * t->cfg->sockets;
	if (t->credit > cap)
		t->credit = cap;
	return t->credit < want ? (unsigned)t->credit : want;
}

static void release(struct sock *s, uint32_t si)
{
	if (si == UINT32_MAX)
		return;
	s->slots[si].seq = SLOT_FREE;
	s->freel[s->nfree++] = si;
}

/* Fill and send one batch on socket s; returns requests sent. The count cap is taken for the
 * requests actually built, so a full window never uses it up. */
static unsigned send_batch(struct thr *t, struct sock *s, uint64_t now, bool *exhausted)
{
	const struct bench_cfg *cfg = t->cfg;
	unsigned k = rate_allow(t, now, cfg->batch);
	unsigned n = 0;
	for (; n < k; n++) {
		unsigned kind = pick_kind(t);
		if (kind != BK_GARBAGE && !s->nfree)
			break;
		const struct bench_tpl *tp = &cfg->tpl[kind][rnd(t) % cfg->ntpl[kind]];
		uint8_t *buf = t->tbuf + (size_t)n * RX_SLOT;
		memcpy(buf, tp->bytes, tp->len);
		t->tslot[n] = UINT32_MAX;
		if (kind != BK_GARBAGE) {
			uint32_t si = s->freel[--s->nfree];
			struct slot *sl = &s->slots[si];
			sl->seq = t->seq++;
			sl->t_ns = now;
			sl->kind = (uint8_t)kind;
			uint8_t *nonce = buf + cfg->nonce_off;
			put_le(nonce, si, 4);
			put_le(nonce + 4, sl->seq, 8);
			memcpy(nonce + 12, cfg->tag, 4);
			t->tslot[n] = si;
		}
		t->tiov[n].iov_base = buf;
		t->tiov[n].iov_len = tp->len;
		memset(&t->tx[n].msg_hdr, 0, sizeof(t->tx[n].msg_hdr));
		t->tx[n].msg_hdr.msg_iov = &t->tiov[n];
		t->tx[n].msg_hdr.msg_iovlen = 1;
		t->tkind[n] = (uint8_t)kind;
	}
	if (!n)
		return 0;
	uint64_t base = atomic_fetch_add(&g_issued, n);
	unsigned allowed = base >= cfg->count      ? 0
			   : base + n > cfg->count ? (unsigned)(cfg->count - base)
						   : n;
	if (allowed < n)
		*exhausted = true;
	int r = allowed ? sendmmsg(s->fd, t->tx, allowed, MSG_DONTWAIT) : 0;
	unsigned sent = r > 0 ? (unsigned)r : 0;
	if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		t->c.send_err++;
	for (unsigned i = 0; i < n; i++) {
		if (i < sent)
			t->c.sent[t->tkind[i]]++;
		else
			release(s, t->tslot[i]);
	}
	/* requests built but not sent give their share of the count cap back */
	if (sent < allowed)
		atomic_fetch_sub(&g_issued, allowed - sent);
	if (cfg->rate)
		t->credit -= sent;
	if (sent && !t->t_first)
		t->t_first = now;
	return sent;
}

static void answered(struct thr *t, struct sock *s, const uint8_t *nonce, unsigned type, size_t len,
		     uint64_t now)
{
	const struct bench_cfg *cfg = t->cfg;
	if (memcmp(nonce + 12, cfg->tag, 4)) {
		t->c.unmatched++;
		return;
	}
	uint64_t si = get_le(nonce, 4), seq = get_le(nonce + 4, 8);
	if (si >= cfg->window || s->slots[si].seq != seq) {
		t->c.late++;
		return;
	}
	struct slot *sl = &s->slots[si];
	unsigned want = sl->kind == BK_CLEAR ? (cfg->priv ? BA_BUCKET : BA_CLEAR)
			: cfg->proof         ? BA_PROOF
					     : BA_RECALLED;
	if (type == BA_ECHO ? !cfg->echo : type != want)
		t->c.wrong++;
	t->c.answers[type]++;
	t->c.ans_bytes += len;
	hist_add(&t->c.lat, now - sl->t_ns);
	release(s, (uint32_t)si);
	t->t_last = now;
}

static void one_answer(struct thr *t, struct sock *s, const uint8_t *p, size_t len, uint64_t now)
{
	const struct bench_cfg *cfg = t->cfg;
	if (cfg->echo) {
		/* the whole request or its first bytes (recall-bench-echo -r), nonce included */
		if (len < cfg->nonce_off + RC_NONCE_LEN || len > RC_CHECKIN_SIZE) {
			t->c.unmatched++;
			return;
		}
		answered(t, s, p + cfg->nonce_off, BA_ECHO, len, now);
		return;
	}
	if (cfg->priv && rc_msg_peek_type(p, len) == RC_MSG_BUCKET) {
		struct rc_bucket b;
		if (rc_bucket_decode(&b, p, len, NULL) != RC_OK) {
			t->c.malformed++;
			return;
		}
		answered(t, s, b.nonce, BA_BUCKET, len, now);
		return;
	}
	struct rc_answer a;
	if (rc_answer_decode(&a, p, len, NULL) != RC_OK) {
		t->c.malformed++;
		return;
	}
	/* answer types 2..6 in their order, then the proof answer */
	unsigned type = a.type == RC_MSG_PROOF ? BA_PROOF : (unsigned)(a.type - RC_MSG_CLEAR);
	if (type >= BA__COUNT || type == BA_ECHO || type == BA_BUCKET) {
		t->c.malformed++;
		return;
	}
	answered(t, s, a.nonce, type, len, now);
}

static unsigned recv_batch(struct thr *t, struct sock *s)
{
	unsigned n = t->cfg->batch;
	for (unsigned i = 0; i < n; i++) {
		t->riov[i].iov_base = t->rbuf + (size_t)i * RX_SLOT;
		t->riov[i].iov_len = RX_SLOT;
		memset(&t->rx[i].msg_hdr, 0, sizeof(t->rx[i].msg_hdr));
		t->rx[i].msg_hdr.msg_iov = &t->riov[i];
		t->rx[i].msg_hdr.msg_iovlen = 1;
	}
	int r = recvmmsg(s->fd, t->rx, n, MSG_DONTWAIT, NULL);
	if (r <= 0) {
		if (r < 0 && errno == ECONNREFUSED)
			t->c.send_err++;
		return 0;
	}
	uint64_t now = bench_now_ns();
	for (int i = 0; i < r; i++)
		one_answer(t, s, t->rbuf + (size_t)i * RX_SLOT, t->rx[i].msg_len, now);
	return (unsigned)r;
}

static unsigned outstanding(const struct thr *t)
{
	unsigned o = 0;
	for (unsigned i = 0; i < t->cfg->sockets; i++)
		o += t->cfg->window - t->s[i].nfree;
	return o;
}

static void expire(struct thr *t, uint64_t now)
{
	for (unsigned i = 0; i < t->cfg->sockets; i++) {
		struct sock *s = &t->s[i];
		for (uint32_t j = 0; j < t->cfg->window; j++) {
			struct slot *sl = &s->slots[j];
			if (sl->seq != SLOT_FREE && now - sl->t_ns >= t->cfg->timeout_ns) {
				t->c.lost++;
				release(s, j);
			}
		}
	}
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	const struct bench_cfg *cfg = t->cfg;
	struct pollfd pfd[64];
	for (unsigned i = 0; i < cfg->sockets; i++) {
		pfd[i].fd = t->s[i].fd;
		pfd[i].events = POLLIN;
	}
	uint64_t start = bench_now_ns();
	uint64_t send_end = start + cfg->duration_ns;
	uint64_t hard_end = send_end + cfg->timeout_ns;
	uint64_t last_expire = start;
	bool exhausted = false;
	t->credit_t = start;
	for (;;) {
		uint64_t now = bench_now_ns();
		bool sending = !exhausted && now < send_end;
		if (!sending && !t->send_end)
			t->send_end = now;
		if (now >= hard_end || (!sending && !outstanding(t)))
			break;
		unsigned work = 0;
		for (unsigned i = 0; i < cfg->sockets; i++) {
			if (sending)
				work += send_batch(t, &t->s[i], now, &exhausted);
			work += recv_batch(t, &t->s[i]);
		}
		if (now - last_expire >= EXPIRE_NS) {
			expire(t, now);
			last_expire = now;
		}
		if (!work)
			poll(pfd, cfg->sockets, 1);
	}
	t->c.lost += outstanding(t);
	if (!t->send_end)
		t->send_end = bench_now_ns();
	return NULL;
}

static int thr_init(struct thr *t, const struct bench_cfg *cfg, unsigned id)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->id = id;
	t->rng = 0x9e3779b97f4a7c15ull * (id + 1) ^ (uint64_t)getpid();
	unsigned b = cfg->batch;
	t->s = calloc(cfg->sockets, sizeof(*t->s));
	t->tx = calloc(b, sizeof(*t->tx));
	t->rx = calloc(b, sizeof(*t->rx));
	t->tiov = calloc(b, sizeof(*t->tiov));
	t->riov = calloc(b, sizeof(*t->riov));
	t->tbuf = calloc(b, RX_SLOT);
	t->rbuf = calloc(b, RX_SLOT);
	t->tslot = calloc(b, sizeof(*t->tslot));
	t->tkind = calloc(b, 1);
	if (!t->s || !t->tx || !t->rx || !t->tiov || !t->riov || !t->tbuf || !t->rbuf ||
	    !t->tslot || !t->tkind)
		return -1;
	for (unsigned i = 0; i < cfg->sockets; i++) {
		struct sock *s = &t->s[i];
		s->fd = -1;
		s->slots = calloc(cfg->window, sizeof(*s->slots));
		s->freel = calloc(cfg->window, sizeof(*s->freel));
		if (!s->slots || !s->freel)
			return -1;
		for (uint32_t j = 0; j < cfg->window; j++) {
			s->slots[j].seq = SLOT_FREE;
			s->freel[j] = cfg->window - 1 - j;
		}
		s->nfree = cfg->window;
		s->fd = socket(cfg->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->fd < 0)
			return -1;
		int sz = 4 << 20;
		if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		if (connect(s->fd, (const struct sockaddr *)&cfg->dst, cfg->dstlen) < 0)
			return -1;
	}
	return 0;
}

static void thr_free(struct thr *t)
{
	for (unsigned i = 0; t->s && i < t->cfg->sockets; i++) {
		if (t->s[i].fd >= 0)
			close(t->s[i].fd);
		free(t->s[i].slots);
		free(t->s[i].freel);
	}
	free(t->s);
	free(t->tx);
	free(t->rx);
	free(t->tiov);
	free(t->riov);
	free(t->tbuf);
	free(t->rbuf);
	free(t->tslot);
	free(t->tkind);
}

static void add_counts(struct bench_counts *into, const struct bench_counts *c)
{
	for (int i = 0; i < BK__COUNT; i++)
		into->sent[i] += c->sent[i];
	for (int i = 0; i < BA__COUNT; i++)
		into->answers[i] += c->answers[i];
	into->lost += c->lost;
	into->late += c->late;
	into->wrong += c->wrong;
	into->malformed += c->malformed;
	into->unmatched += c->unmatched;
	into->send_err += c->send_err;
	into->ans_bytes += c->ans_bytes;
	hist_merge(&into->lat, &c->lat);
}

int bench_run(const struct bench_cfg *cfg, struct bench_result *res)
{
	memset(res, 0, sizeof(*res));
	atomic_store(&g_issued, 0);
	struct thr *t = calloc(cfg->threads, sizeof(*t));
	if (!t)
		return -1;
	int rc = 0;
	unsigned started = 0;
	for (unsigned i = 0; i < cfg->threads && !rc; i++) {
		if (thr_init(&t[i], cfg, i) < 0) {
			perror("recall-bench: socket setup");
			rc = -1;
		}
	}
	for (unsigned i = 0; i < cfg->threads && !rc; i++) {
		if (pthread_create(&t[i].th, NULL, thread_main, &t[i])) {
			fprintf(stderr, "recall-bench: cannot start thread %u\n", i);
			rc = -1;
			break;
		}
		started++;
	}
	uint64_t first = UINT64_MAX, last = 0, send_end = 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(t[i].th, NULL);
		add_counts(&res->c, &t[i].c);
		if (t[i].t_first && t[i].t_first < first)
			first = t[i].t_first;
		if (t[i].t_last > last)
			last = t[i].t_last;
		if (t[i].send_end > send_end)
			send_end = t[i].send_end;
	}
	for (unsigned i = 0; i < cfg->threads; i++)
		thr_free(&t[i]);
	free(t);
	if (first != UINT64_MAX) {
		res->elapsed_ns = last > first ? last - first : 0;
		res->send_ns = send_end > first ? send_end - first : 0;
	}
	return rc;
}
