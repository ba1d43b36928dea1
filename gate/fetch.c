/* Fetching what a device points to (the UPnP device description behind an SSDP LOCATION, the
 * MUD file behind a DHCP MUD URL) and parsing mDNS packets, through recall-gate-helper
 * (gate/helper_main.c, protocol in gate/helper.h): the resident daemon keeps the queue, the
 * retries and the decision what a result may change; the helper, started on demand and gone
 * after HELPER_IDLE_S idle, holds libcurl, libxml2 and ldns and meets the untrusted bytes.
 *
 * Each URL passes G1's policy here first (UPnP: http to the device's own address only; MUD:
 * https only); at most two transfers at a time and a bounded queue. A reply is merged into the
 * device the request was for (by its MAC; an mDNS packet by its source address, as checked when
 * it arrived), only with the fields that kind of source can give, each sanitised again and
 * with the source set here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gated.h"
#include "helper.h"
#include "log.h"
#include "progpath.h"
#include "parse.h"

#define QUEUE_MAX 32
#define MDNS_MAX  16 /* mDNS packets with the helper at a time; more are dropped (counted) */

/* A transfer that fails (timeout, refused connection, HTTP error) is tried again after
 * RETRY_S, then 3 and 9 times that: a device busy at boot, or a loaded gateway, must not stay
 * unidentified until its URL changes. A file that arrives but does not parse is not retried. */
#define RETRIES 3
#define RETRY_S 10

struct job {
	uint8_t mac[6];
	enum gate_fetch_kind kind;
	uint8_t tries;  /* failed transfers so far */
	int64_t due_ms; /* not before this (CLOCK_MONOTONIC ms) */
	uint32_t id;    /* request id while the helper has it */
	char url[GATE_VAL_MAX];
};

struct mdns_job {
	uint32_t id; /* 0: free */
	struct gate_addr from;
	uint8_t mac[6]; /* the frame's source MAC, checked against the inventory on arrival */
};

static struct job queue[QUEUE_MAX], inflight[HELPER_INFLIGHT];
static size_t nqueue;
static struct mdns_job mdns[MDNS_MAX];
static uint32_t query_id, next_id = 1;
static uint8_t query_wire[HELPER_QUERY_MAX];
static size_t query_len;
static int sock = -1;
static pid_t pid = -1;
static char helper_path[PATH_MAX];
static struct log_rate rl;
static struct gate_fetch_stats stats;
static struct helper_req req; /* static: 9 KiB off the stack */
static struct helper_res res;

static uint32_t new_id(void)
{
	if (!next_id)
		next_id = 1; /* 0 marks a free slot */
	return next_id++;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gate_fetch_init(char *err, size_t errlen)
{
	/* Next to the daemon's binary (the build tree), else the installed helper directory. */
	if (prog_path(helper_path, sizeof(helper_path), "recall-gate-helper", RECALL_GATE_HELPERDIR,
		      err, errlen) != 0)
		return -1;
	log_rate_init(&rl, 1, 5);
	return 0;
}

const struct gate_fetch_stats *gate_fetch_stats(void)
{
	stats.helper_running = pid > 0;
	return &stats;
}

static void requeue(const struct job *f);

/* The helper closed its socket (idle, or it died): what it had is lost; fetches are retried. */
static void helper_gone(void)
{
	int st = 0;
	if (sock >= 0)
		close(sock);
	sock = -1;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		stats.helper_failed++;
		log_warnx_rl(&rl, "recall-gate-helper ended with %s %d",
			     WIFSIGNALED(st) ? "signal" : "status",
			     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
	pid = -1;
	for (size_t i = 0; i < HELPER_INFLIGHT; i++)
		if (inflight[i].id) {
			struct job j = inflight[i];
			inflight[i].id = 0;
			requeue(&j);
		}
	memset(mdns, 0, sizeof(mdns));
	query_id = 0;
}

static int helper_start(void)
{
	int sv[2];
	if (sock >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warnx_rl(&rl, "helper: socketpair: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warnx_rl(&rl, "helper: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* The child: fd 3 only, no ambient capabilities, no new privileges; the helper
		 * drops the rest itself before reading anything. */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(sv[1], HELPER_FD) < 0)
			_exit(127);
		close_range(HELPER_FD + 1, ~0U, 0);
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		execl(helper_path, "recall-gate-helper", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	sock = sv[0];
	fcntl(sock, F_SETFL, O_NONBLOCK);
	stats.helper_started++;
	return 0;
}

static int helper_send(uint8_t op, uint32_t id, const void *data, size_t n)
{
	if (n > HELPER_DATA_MAX || helper_start() < 0)
		return -1;
	req.op = op;
	req.id = id;
	req.len = (uint32_t)n;
	if (n)
		memcpy(req.data, data, n);
	if (send(sock, &req, HELPER_REQ_HDR + n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		if (errno != EAGAIN)
			helper_gone();
		return -1;
	}
	return 0;
}

void gate_fetch_cleanup(void)
{
	if (sock >= 0) {
		close(sock); /* the helper sees EOF and exits */
		sock = -1;
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	pid = -1;
}

int gate_fetch_queue(struct gate *g, const struct gate_device *d, enum gate_fetch_kind kind)
{
	char err[256] = "", mac[18];
	const char *url = d->f[kind == GATE_FETCH_UPNP ? GF_UPNP_URL : GF_MUD_URL].v;
	int ok = -1;
	if (kind == GATE_FETCH_MUD) {
		ok = gate_url_check_mud(url, err, sizeof(err));
	} else {
		/* The description must come from one of the device's own addresses. */
		for (uint32_t i = 0; i < d->naddr && ok < 0; i++)
			ok = gate_url_check_upnp(url, &d->addr[i], err, sizeof(err));
	}
	gate_mac_format(d->mac, mac);
	if (ok < 0) {
		log_warnx_rl(&rl, "%s: %s URL refused: %s", mac,
			     kind == GATE_FETCH_UPNP ? "UPnP" : "MUD", err[0] ? err : "no address");
		return -1;
	}
	struct job *j = NULL;
	for (size_t i = 0; i < nqueue; i++)
		if (!memcmp(queue[i].mac, d->mac, 6) && queue[i].kind == kind)
			j = &queue[i];
	if (!j && nqueue == QUEUE_MAX) {
		log_warnx_rl(&rl, "%s: fetch queue full, description not fetched", mac);
		return -1;
	}
	if (!j)
		j = &queue[nqueue++];
	memcpy(j->mac, d->mac, 6);
	j->kind = kind;
	j->tries = 0;
	j->due_ms = 0;
	j->id = 0;
	snprintf(j->url, sizeof(j->url), "%s", url);
	return 0;
}

/* Queue a failed transfer again, unless it has had its tries or a newer request for the same
 * device and kind is queued already (that one wins). */
static void requeue(const struct job *f)
{
	char mac[18];
	if (f->tries >= RETRIES)
		return;
	for (size_t i = 0; i < nqueue; i++)
		if (!memcmp(queue[i].mac, f->mac, 6) && queue[i].kind == f->kind)
			return;
	if (nqueue == QUEUE_MAX)
		return;
	struct job *j = &queue[nqueue++];
	*j = *f;
	j->id = 0;
	int64_t wait = RETRY_S * 1000;
	for (unsigned i = 0; i < f->tries; i++)
		wait *= 3;
	j->tries = (uint8_t)(f->tries + 1);
	j->due_ms = mono_ms() + wait;
	gate_mac_format(f->mac, mac);
	log_info("%s: fetch tried again in %lld s (%u of %u)", mac, (long long)(wait / 1000),
		 j->tries, RETRIES);
}

void gate_fetch_mdns(struct gate *g, const uint8_t *pkt, size_t n, const struct gate_addr *from,
		     const uint8_t mac[6])
{
	struct mdns_job *m = NULL;
	for (size_t i = 0; i < MDNS_MAX && !m; i++)
		if (!mdns[i].id)
			m = &mdns[i];
	if (!m) {
		stats.mdns_dropped++;
		return;
	}
	uint32_t id = new_id();
	if (helper_send(HELPER_MDNS, id, pkt, n) < 0) {
		stats.mdns_dropped++;
		return;
	}
	m->id = id;
	m->from = *from;
	memcpy(m->mac, mac, 6);
}

size_t gate_fetch_mdns_query(uint8_t *out, size_t cap)
{
	if (query_len && query_len <= cap) {
		memcpy(out, query_wire, query_len);
		return query_len;
	}
	if (!query_id) {
		uint32_t id = new_id();
		if (helper_send(HELPER_QUERY, id, NULL, 0) == 0)
			query_id = id;
	}
	return 0; /* sent when the helper has built it (gate_listen_query_ready) */
}

/* Fields each kind of request may produce (what its parser sets, gate/parse_*.c). */
static bool field_allowed(uint8_t op, int f)
{
	switch (f) {
	case GF_MANUFACTURER:
	case GF_MODEL:
	case GF_FWVER:
	case GF_FRIENDLY:
		return true;
	case GF_MODEL_NUMBER:
		return op == HELPER_UPNP;
	case GF_MUD_URL:
		return op == HELPER_MUD;
	case GF_HOSTNAME:
		return op == HELPER_MDNS;
	default:
		return false;
	}
}

/* The reply's fields into an observation, as from a parser: unknown fields or values that do
 * not pass gate_obs_set again make the whole reply refused. */
static int reply_obs(struct gate_obs *o, enum gate_src src, char *err, size_t errlen)
{
	gate_obs_init(o);
	for (int f = 0; f < GF__N; f++) {
		size_t n = strnlen(res.v[f], GATE_VAL_MAX);
		if (n == GATE_VAL_MAX)
			return gate_err(err, errlen, "helper: field %d not terminated", f);
		if (!n)
			continue;
		if (!field_allowed(res.op, f))
			return gate_err(err, errlen, "helper: field %d not expected", f);
		if (gate_obs_set(o, (enum gate_field)f, src, res.v[f], n, "helper", err, errlen) <
		    0)
			return -1;
	}
	return 0;
}

static void fetch_done(struct gate *g, struct job *j)
{
	char mac[18], err[256];
	const char *what = j->kind == GATE_FETCH_UPNP ? "UPnP description" : "MUD file";
	gate_mac_format(j->mac, mac);
	struct gate_device *d = gate_inv_find(g->inv, j->mac);
	if (res.status == HELPER_RETRY) {
		log_warnx_rl(&rl, "%s: %s: %s", mac, what, res.err);
		if (d)
			requeue(j);
		return;
	}
	if (res.status != HELPER_OK) {
		log_warnx_rl(&rl, "%s: %s: %s", mac, what, res.err);
		return;
	}
	struct gate_obs o;
	if (reply_obs(&o, j->kind == GATE_FETCH_UPNP ? GS_UPNP : GS_MUD, err, sizeof(err)) < 0) {
		stats.helper_bad++;
		log_warnx_rl(&rl, "%s: %s: %s", mac, what, err);
		return;
	}
	/* The helper compared the file's mud-url with the URL (RFC 8520 3.3); the daemon trusts
	 * no reply, so it compares again with the URL it asked for. */
	if (j->kind == GATE_FETCH_MUD && strcmp(o.f[GF_MUD_URL].v, j->url)) {
		stats.helper_bad++;
		log_warnx_rl(&rl, "%s: %s: mud-url is not the URL it came from", mac, what);
		return;
	}
	if (!d)
		return;
	/* The file speaks for the device that pointed to it, nobody else. */
	memcpy(o.mac, j->mac, 6);
	o.has_mac = true;
	gate_observe(g, &o);
}

static void mdns_done(struct gate *g, struct mdns_job *m)
{
	char a[64], err[256];
	struct gate_obs o;
	gate_addr_format(&m->from, a, sizeof(a));
	if (res.status != HELPER_OK) {
		gate_listen_bad("mDNS", a, res.err);
		return;
	}
	if (reply_obs(&o, GS_MDNS, err, sizeof(err)) < 0) {
		stats.helper_bad++;
		log_warnx_rl(&rl, "mDNS from %s: %s", a, err);
		return;
	}
	/* Attributed by the source address, if the frame's MAC still holds it. */
	struct gate_device *d = gate_inv_by_addr(g->inv, &m->from);
	if (!d || memcmp(d->mac, m->mac, 6))
		return;
	o.has_mac = false;
	o.addr = m->from;
	o.addr.seen = 0;
	gate_observe(g, &o);
}

static void input(struct gate *g)
{
	for (int round = 0; round < 64; round++) {
		ssize_t n = recv(sock, &res, sizeof(res), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			helper_gone();
			return;
		}
		res.err[sizeof(res.err) - 1] = 0;
		if (n != (ssize_t)sizeof(res) || !res.id) {
			stats.helper_bad++;
			continue;
		}
		if (res.op == HELPER_QUERY && res.id == query_id) {
			query_id = 0;
			if (res.status == HELPER_OK && res.qlen && res.qlen <= HELPER_QUERY_MAX) {
				memcpy(query_wire, res.query, res.qlen);
				query_len = res.qlen;
				gate_listen_query_ready(query_wire, query_len);
			}
			continue;
		}
		bool found = false;
		for (size_t i = 0; i < HELPER_INFLIGHT && !found; i++)
			if (inflight[i].id == res.id &&
			    res.op ==
				(inflight[i].kind == GATE_FETCH_UPNP ? HELPER_UPNP : HELPER_MUD)) {
				struct job j = inflight[i];
				inflight[i].id = 0;
				found = true;
				fetch_done(g, &j);
			}
		for (size_t i = 0; i < MDNS_MAX && !found; i++)
			if (mdns[i].id == res.id && res.op == HELPER_MDNS) {
				struct mdns_job m = mdns[i];
				mdns[i].id = 0;
				found = true;
				mdns_done(g, &m);
			}
		if (!found)
			stats.helper_bad++;
		if (sock < 0)
			return;
	}
}

size_t gate_fetch_fds(int *fds, short *events, size_t cap)
{
	if (sock < 0 || !cap)
		return 0;
	fds[0] = sock;
	events[0] = POLLIN;
	return 1;
}

int gate_fetch_timeout_ms(void)
{
	int64_t now = mono_ms(), next = -1;
	bool busy = false;
	for (size_t i = 0; i < HELPER_INFLIGHT; i++)
		busy |= inflight[i].id != 0;
	for (size_t i = 0; i < nqueue && !busy; i++)
		if (next < 0 || queue[i].due_ms < next)
			next = queue[i].due_ms;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

void gate_fetch_run(struct gate *g, int fd, short revents)
{
	if (fd >= 0 && fd == sock && revents)
		input(g);
	int64_t now = mono_ms();
	for (size_t i = 0; i < HELPER_INFLIGHT && nqueue; i++) {
		if (inflight[i].id)
			continue;
		size_t q = 0;
		while (q < nqueue && queue[q].due_ms > now)
			q++;
		if (q == nqueue)
			break;
		struct job j = queue[q];
		memmove(&queue[q], &queue[q + 1], (nqueue - q - 1) * sizeof(queue[0]));
		nqueue--;
		j.id = new_id();
		if (helper_send(j.kind == GATE_FETCH_UPNP ? HELPER_UPNP : HELPER_MUD, j.id, j.url,
				strlen(j.url)) < 0) {
			requeue(&j);
			break;
		}
		inflight[i] = j;
	}
}
