/* Workers: one thread each with its own SO_REUSEPORT socket per listen address; datagrams in
 * recvmmsg batches, answers out in sendmmsg batches, every buffer allocated at start.
 *
 * The state a worker answers from is published by an atomic pointer. A worker announces the
 * pointer it uses in using_st (a hazard pointer) for the length of one batch: it announces,
 * then re-checks that the pointer is still current before dereferencing it, so the main thread
 * (which swaps first, then scans) can never miss it. The main thread frees a replaced state
 * once no worker announces it. No lock and no reference count is touched per packet. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rd.h"

#define SLOT_RX  1216 /* RD_RX_BUF rounded up to 64 bytes */
#define CTRL_LEN 64   /* room for one IP_PKTINFO or IPV6_PKTINFO message */
#define IDLE_MS  200  /* poll timeout: how quickly an idle worker notices a stop */
#define AHEAD    4    /* datagrams between a cache prefetch's stages and the answer */

struct wbufs {
	struct mmsghdr *rx, *tx;
	struct iovec *riov, *tiov;
	struct sockaddr_storage *names;
	uint8_t *rbuf, *tbuf;
	uint8_t *rctl, *tctl;
	struct rd_cache_probe *probe;
};

/* Buffers of each worker, indexed like srv->w. */
static struct wbufs *bufs;

/* IP_FREEBIND / IPV6_FREEBIND: an anycast address may be bound before it is configured (a
 * health checker or the network configuration adds it later). */
static int freebind(int fd, int family)
{
	int one = 1;
	return family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one))
				 : setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
}

static int open_socket(const struct conf_addr *a, uint16_t port, uint64_t sockbuf, bool *pktinfo,
		       bool exclusive, bool fb, char *err, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;
	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		sl = sizeof(*s6);
	}
	static const uint8_t zero[16];
	*pktinfo = !memcmp(a->addr, zero, a->family == AF_INET ? 4 : 16);
	int fd = -1;
	if (exclusive) {
		/* a socket without SO_REUSEPORT: fails if anything (another recalld of the same
		 * user, which SO_REUSEPORT would silently share with) holds the port */
		fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    (a->family == AF_INET6 &&
		     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
		    (fb && freebind(fd, a->family) < 0) || bind(fd, (struct sockaddr *)&ss, sl) < 0)
			goto fail;
		close(fd);
	}
	fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (a->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto fail;
	if (fb && freebind(fd, a->family) < 0)
		goto fail;
	if (*pktinfo && (a->family == AF_INET
			     ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
			     : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))))
		goto fail;
	if (sockbuf) {
		int b = (int)sockbuf;
		/* FORCE works with CAP_NET_ADMIN; otherwise the kernel caps at rmem_max */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &b, sizeof(b)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &b, sizeof(b)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	return fd;
fail : {
	char txt[80];
	struct conf_addr p = *a;
	p.port = port;
	conf_addr_format(&p, txt, sizeof(txt));
	snprintf(err, cap, "listen %s: %s%s", txt, strerror(errno),
		 errno == EADDRINUSE ? " (is another recalld running?)" : "");
	if (fd >= 0)
		close(fd);
	return -1;
}
}

static int alloc_bufs(struct wbufs *b, unsigned n)
{
	b->rx = calloc(n, sizeof(*b->rx));
	b->tx = calloc(n, sizeof(*b->tx));
	b->riov = calloc(n, sizeof(*b->riov));
	b->tiov = calloc(n, sizeof(*b->tiov));
	b->names = calloc(n, sizeof(*b->names));
	b->rbuf = calloc(n, SLOT_RX);
	b->tbuf = calloc(n, RC_ANSWER_MAX);
	b->rctl = calloc(n, CTRL_LEN);
	b->tctl = calloc(n, CTRL_LEN);
	b->probe = calloc(n, sizeof(*b->probe));
	if (!b->rx || !b->tx || !b->riov || !b->tiov || !b->names || !b->rbuf || !b->tbuf ||
	    !b->rctl || !b->tctl || !b->probe)
		return -1;
	return 0;
}

static void free_bufs(struct wbufs *b)
{
	free(b->rx);
	free(b->tx);
	free(b->riov);
	free(b->tiov);
	free(b->names);
	free(b->rbuf);
	free(b->tbuf);
	free(b->rctl);
	free(b->tctl);
	free(b->probe);
	memset(b, 0, sizeof(*b));
}

int rd_workers_open(struct rd_server *srv, const struct rd_config *cfg, unsigned nworkers,
		    char *err, size_t cap)
{
	srv->nworkers = nworkers;
	srv->batch = (unsigned)cfg->batch;
	srv->w = calloc(nworkers, sizeof(*srv->w));
	bufs = calloc(nworkers, sizeof(*bufs));
	if (!srv->w || !bufs) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < nworkers; i++) {
		struct rd_worker *w = &srv->w[i];
		w->srv = srv;
		w->x.id = i;
		w->x.nworkers = nworkers;
		w->x.cnt = &w->cnt;
		log_rate_init(&w->x.lograte, 0.2, 3); /* bad input: a line per 5 s per worker */
		atomic_init(&w->using_st, NULL);
		if (alloc_bufs(&bufs[i], srv->batch) < 0 ||
		    rd_rl_init(&w->x.rl, (size_t)cfg->rl_table) < 0 ||
		    rd_ring_init(&w->x.ring, (size_t)cfg->event_queue) < 0 ||
		    rd_cache_init(&w->x.cache, (size_t)cfg->cache_entries) < 0) {
			snprintf(err, cap, "out of memory for worker %u", i);
			return -1;
		}
		w->x.rl.log = &w->x.lograte;
	}
	/* bind in worker order per address so the kernel's reuseport groups fill evenly */
	for (size_t a = 0; a < cfg->listen.n; a++) {
		for (unsigned i = 0; i < nworkers; i++) {
			struct rd_worker *w = &srv->w[i];
			int fd =
			    open_socket(&cfg->listen.v[a], (uint16_t)cfg->port, cfg->socket_buffer,
					&w->pktinfo[w->nfds], i == 0, cfg->freebind, err, cap);
			if (fd < 0)
				return -1;
			w->fds[w->nfds++] = fd;
		}
	}
	/* A worker with one socket sleeps in recvmmsg itself (see worker_main), woken at the
	 * latest after IDLE_MS to notice a stop. */
	struct timeval idle = {0, IDLE_MS * 1000};
	for (unsigned i = 0; i < nworkers; i++) {
		struct rd_worker *w = &srv->w[i];
		if (w->nfds == 1 &&
		    setsockopt(w->fds[0], SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) < 0) {
			snprintf(err, cap, "worker %u: SO_RCVTIMEO: %s", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Answer from the address the request went to when the socket is bound to a wildcard. */
static size_t reply_ctl(struct msghdr *rh, uint8_t *ctl)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(rh); c; c = CMSG_NXTHDR(rh, c)) {
		struct msghdr th = {.msg_control = ctl, .msg_controllen = CTRL_LEN};
		struct cmsghdr *t = CMSG_FIRSTHDR(&th);
		memset(ctl, 0, CTRL_LEN);
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo in, outp;
			memcpy(&in, CMSG_DATA(c), sizeof(in));
			memset(&outp, 0, sizeof(outp));
			outp.ipi_spec_dst = in.ipi_addr;
			t->cmsg_level = IPPROTO_IP;
			t->cmsg_type = IP_PKTINFO;
			t->cmsg_len = CMSG_LEN(sizeof(outp));
			memcpy(CMSG_DATA(t), &outp, sizeof(outp));
			return CMSG_SPACE(sizeof(outp));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo in6;
			memcpy(&in6, CMSG_DATA(c), sizeof(in6));
			t->cmsg_level = IPPROTO_IPV6;
			t->cmsg_type = IPV6_PKTINFO;
			t->cmsg_len = CMSG_LEN(sizeof(in6));
			memcpy(CMSG_DATA(t), &in6, sizeof(in6));
			return CMSG_SPACE(sizeof(in6));
		}
	}
	return 0;
}

const struct rd_state *rd_worker_acquire(struct rd_worker *w)
{
	struct rd_state *st;
	do {
		st = atomic_load(&w->srv->cur);
		atomic_store(&w->using_st, st); /* announce before the first dereference */
	} while (atomic_load(&w->srv->cur) != st);
	/* the state's private table likewise: it may be replaced while the state stays */
	const struct rd_ptab *pt;
	do {
		pt = atomic_load(&st->priv);
		atomic_store(&w->using_pt, pt);
	} while (atomic_load(&st->priv) != pt);
	w->x.pt = pt;
	return st;
}

void rd_worker_release(struct rd_worker *w)
{
	w->x.pt = NULL;
	atomic_store(&w->using_pt, NULL);
	atomic_store(&w->using_st, NULL);
}

static void clocks(struct rd_ctx *x)
{
	struct timespec r, m;
	clock_gettime(CLOCK_REALTIME_COARSE, &r);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &m);
	x->now_s = (uint64_t)r.tv_sec;
	x->now_ms = (uint64_t)m.tv_sec * 1000 + (uint64_t)m.tv_nsec / 1000000;
}

/* One batch from one socket; returns datagrams received (0: none waiting). wait: block until
 * one datagram comes (or the socket's receive timeout), then take what else is waiting. */
static int batch(struct rd_worker *w, struct wbufs *b, size_t s, bool wait)
{
	unsigned n = w->srv->batch;
	bool pi = w->pktinfo[s];
	for (unsigned i = 0; i < n; i++) {
		b->riov[i].iov_base = b->rbuf + (size_t)i * SLOT_RX;
		b->riov[i].iov_len = RD_RX_BUF;
		struct msghdr *h = &b->rx[i].msg_hdr;
		h->msg_name = &b->names[i];
		h->msg_namelen = sizeof(b->names[i]);
		h->msg_iov = &b->riov[i];
		h->msg_iovlen = 1;
		h->msg_control = pi ? b->rctl + (size_t)i * CTRL_LEN : NULL;
		h->msg_controllen = pi ? CTRL_LEN : 0;
		h->msg_flags = 0;
	}
	int got = recvmmsg(w->fds[s], b->rx, n, wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
	if (got <= 0)
		return 0;
	clocks(&w->x);
	/* first pass: hash every datagram for the check-in cache */
	struct rd_cache *cache = &w->x.cache;
	for (int i = 0; i < got; i++) {
		if (b->rx[i].msg_hdr.msg_flags & MSG_TRUNC)
			b->rx[i].msg_len = RD_RX_BUF;
		rd_cache_probe(cache, b->rbuf + (size_t)i * SLOT_RX, b->rx[i].msg_len,
			       &b->probe[i]);
	}
	const struct rd_state *st = rd_worker_acquire(w);
	unsigned m = 0;
	/* second pass: answer each datagram while the cache lines of those a few places ahead
	 * are on their way (one lookup's memory latency is far longer than one answer) */
	for (int i = 0; i < got && i < 2 * AHEAD; i++)
		rd_cache_prefetch(cache, &b->probe[i], 0);
	for (int i = 0; i < got && i < AHEAD; i++)
		rd_cache_prefetch(cache, &b->probe[i], 1);
	for (int i = 0; i < got; i++) {
		if (i + 2 * AHEAD < got)
			rd_cache_prefetch(cache, &b->probe[i + 2 * AHEAD], 0);
		if (i + AHEAD < got)
			rd_cache_prefetch(cache, &b->probe[i + AHEAD], 1);
		struct msghdr *h = &b->rx[i].msg_hdr;
		const struct sockaddr_storage *ss = &b->names[i];
		size_t len = b->rx[i].msg_len;
		int fam = ss->ss_family;
		const uint8_t *addr;
		uint16_t port;
		if (fam == AF_INET) {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
			addr = (const uint8_t *)&s4->sin_addr;
			port = ntohs(s4->sin_port);
		} else if (fam == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
			addr = (const uint8_t *)&s6->sin6_addr;
			port = ntohs(s6->sin6_port);
		} else {
			continue;
		}
		uint8_t *out = b->tbuf + (size_t)m * RC_ANSWER_MAX;
		size_t alen =
		    rd_answer_probed(&w->x, st, fam, addr, port, b->rbuf + (size_t)i * SLOT_RX, len,
				     &b->probe[i], out);
		if (!alen)
			continue;
		struct msghdr *t = &b->tx[m].msg_hdr;
		b->tiov[m].iov_base = out;
		b->tiov[m].iov_len = alen;
		t->msg_name = &b->names[i];
		t->msg_namelen = h->msg_namelen;
		t->msg_iov = &b->tiov[m];
		t->msg_iovlen = 1;
		t->msg_control = NULL;
		t->msg_controllen = 0;
		t->msg_flags = 0;
		if (pi) {
			uint8_t *ctl = b->tctl + (size_t)m * CTRL_LEN;
			size_t cl = reply_ctl(h, ctl);
			t->msg_control = cl ? ctl : NULL;
			t->msg_controllen = cl;
		}
		m++;
	}
	rd_worker_release(w); /* answers hold copies: the state is no longer needed */
	unsigned sent = 0;
	while (sent < m) {
		int r = sendmmsg(w->fds[s], b->tx + sent, m - sent, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* the first message failed (e.g. no route back): drop it, send the rest */
			rd_count(&w->cnt, RD_C_DROP_SEND);
			sent++;
			continue;
		}
		sent += (unsigned)r;
	}
	return got;
}

static void *worker_main(void *arg)
{
	struct rd_worker *w = arg;
	struct wbufs *b = &bufs[w->x.id];
	struct pollfd pfd[RD_LISTEN_MAX];
	for (size_t i = 0; i < w->nfds; i++) {
		pfd[i].fd = w->fds[i];
		pfd[i].events = POLLIN;
	}
	/* One socket: one system call per batch, sleeping in it when idle (MSG_WAITFORONE),
	 * rather than a receive that finds nothing, then poll, then the receive. */
	bool one = w->nfds == 1;
	while (!atomic_load_explicit(&w->srv->stop, memory_order_relaxed)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		atomic_store_explicit(&w->beat_ms,
				      (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
				      memory_order_relaxed);
		int any = 0;
		for (size_t i = 0; i < w->nfds; i++)
			any += batch(w, b, i, one);
		if (!any && !one)
			poll(pfd, w->nfds, IDLE_MS);
	}
	return NULL;
}

int rd_workers_start(struct rd_server *srv, char *err, size_t cap)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	for (unsigned i = 0; i < srv->nworkers; i++) {
		atomic_store(&srv->w[i].beat_ms,
			     (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
		int e = pthread_create(&srv->w[i].thread, NULL, worker_main, &srv->w[i]);
		if (e) {
			snprintf(err, cap, "worker %u: %s", i, strerror(e));
			return -1;
		}
		srv->w[i].started = true;
	}
	return 0;
}

void rd_workers_stop(struct rd_server *srv)
{
	atomic_store(&srv->stop, true);
	for (unsigned i = 0; srv->w && i < srv->nworkers; i++) {
		struct rd_worker *w = &srv->w[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		w->started = false;
		for (size_t j = 0; j < w->nfds; j++)
			close(w->fds[j]);
		w->nfds = 0;
	}
}

void rd_workers_free(struct rd_server *srv)
{
	rd_workers_stop(srv);
	for (unsigned i = 0; srv->w && i < srv->nworkers; i++) {
		rd_rl_free(&srv->w[i].x.rl);
		rd_ring_free(&srv->w[i].x.ring);
		rd_cache_free(&srv->w[i].x.cache);
		if (bufs)
			free_bufs(&bufs[i]);
	}
	free(bufs);
	bufs = NULL;
	free(srv->w);
	srv->w = NULL;
	srv->nworkers = 0;
}

void rd_server_publish(struct rd_server *srv, struct rd_state *st)
{
	struct rd_state *old = atomic_exchange(&srv->cur, st);
	if (!old)
		return;
	if (srv->nretired == sizeof(srv->retired) / sizeof(srv->retired[0]))
		rd_server_reclaim(srv, true);
	srv->retired[srv->nretired++] = old;
}

static bool in_use(const struct rd_server *srv, const struct rd_state *st)
{
	for (unsigned i = 0; i < srv->nworkers; i++) {
		if (atomic_load(&srv->w[i].using_st) == st)
			return true;
	}
	return false;
}

static bool pt_in_use(const struct rd_server *srv, const struct rd_ptab *pt)
{
	for (unsigned i = 0; i < srv->nworkers; i++) {
		if (atomic_load(&srv->w[i].using_pt) == pt)
			return true;
	}
	return false;
}

static void reclaim_pt(struct rd_server *srv, bool wait)
{
	size_t keep = 0;
	for (size_t i = 0; i < srv->npt_retired; i++) {
		struct rd_ptab *pt = srv->pt_retired[i];
		while (wait && pt_in_use(srv, pt)) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
		if (pt_in_use(srv, pt))
			srv->pt_retired[keep++] = pt;
		else
			free(pt);
	}
	srv->npt_retired = keep;
}

void rd_server_refresh_private(struct rd_server *srv, uint64_t now)
{
	struct rd_state *st = atomic_load(&srv->cur);
	if (!st)
		return;
	struct rd_ptab *old = atomic_load(&st->priv);
	if (old && now < old->t.next_change)
		return;
	struct rd_ptab *pt = rd_ptab_build(st, now);
	if (!pt) {
		/* private check-ins get retry-later until this succeeds on a later tick */
		log_warnx("out of memory rebuilding the private check-in table; trying again");
		return;
	}
	old = atomic_exchange(&st->priv, pt);
	if (!old)
		return;
	if (srv->npt_retired == sizeof(srv->pt_retired) / sizeof(srv->pt_retired[0]))
		reclaim_pt(srv, true);
	srv->pt_retired[srv->npt_retired++] = old;
}

void rd_server_reclaim(struct rd_server *srv, bool wait)
{
	reclaim_pt(srv, wait);
	size_t keep = 0;
	for (size_t i = 0; i < srv->nretired; i++) {
		struct rd_state *st = srv->retired[i];
		while (wait && in_use(srv, st)) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
		if (in_use(srv, st))
			srv->retired[keep++] = st;
		else
			rd_state_free(st);
	}
	srv->nretired = keep;
}
