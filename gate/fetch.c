/* Fetching what a device points to: the UPnP device description behind an SSDP LOCATION, and
 * the MUD file (RFC 8520) behind a DHCP MUD URL. libcurl's multi interface on the daemon's poll
 * loop (socket and timer callbacks), at most two transfers at a time and a bounded queue.
 *
 * Each URL passes G1's policy first (UPnP: http to the device's own address only; MUD: https
 * only), and each transfer is held to it: only that protocol, no redirects, no proxy from the
 * environment, no content decoding (no decompression bombs), a body of at most 64 KiB (the
 * write callback aborts beyond), 5 s in all. The result is parsed by G1's parsers and merged
 * into the device the URL came from (by its MAC), never into another. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "gated.h"
#include "log.h"

#define BODY_MAX  65536
#define INFLIGHT  2
#define QUEUE_MAX 32
#define FDS_MAX   16

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
	char url[GATE_VAL_MAX];
};

struct slot {
	CURL *e;
	struct job j;
	size_t len;
	char body[BODY_MAX + 1];
};

static CURLM *multi;
static struct job queue[QUEUE_MAX];
static size_t nqueue;
static struct slot slots[INFLIGHT];
static struct {
	int fd;
	short events;
} socks[FDS_MAX];
static size_t nsocks;
static int64_t deadline_ms = -1;
static struct log_rate rl;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *up, void *sp)
{
	size_t i;
	for (i = 0; i < nsocks && socks[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < nsocks)
			socks[i] = socks[--nsocks];
		return 0;
	}
	if (i == nsocks) {
		if (nsocks == FDS_MAX)
			return -1; /* cannot happen with two transfers; curl fails the transfer */
		nsocks++;
	}
	socks[i].fd = s;
	socks[i].events =
	    (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *up)
{
	deadline_ms = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	return 0;
}

int gate_fetch_init(char *err, size_t errlen)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(multi = curl_multi_init())) {
		snprintf(err, errlen, "libcurl initialisation failed");
		return -1;
	}
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	log_rate_init(&rl, 1, 5);
	return 0;
}

void gate_fetch_cleanup(void)
{
	for (size_t i = 0; i < INFLIGHT; i++)
		if (slots[i].e) {
			curl_multi_remove_handle(multi, slots[i].e);
			curl_easy_cleanup(slots[i].e);
			slots[i].e = NULL;
		}
	if (multi)
		curl_multi_cleanup(multi);
	multi = NULL;
	curl_global_cleanup();
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *up)
{
	struct slot *s = up;
	size_t n = size * nmemb;
	if (n > BODY_MAX - s->len)
		return 0; /* over the cap: libcurl ends the transfer with a write error */
	memcpy(s->body + s->len, p, n);
	s->len += n;
	return n;
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
	snprintf(j->url, sizeof(j->url), "%s", url);
	return 0;
}

/* Queue a failed transfer again, unless it has had its tries or a newer request for the same
 * device and kind is queued already (that one wins). */
static void retry(const struct job *f, const char *mac)
{
	if (f->tries >= RETRIES)
		return;
	for (size_t i = 0; i < nqueue; i++)
		if (!memcmp(queue[i].mac, f->mac, 6) && queue[i].kind == f->kind)
			return;
	if (nqueue == QUEUE_MAX)
		return;
	struct job *j = &queue[nqueue++];
	*j = *f;
	int64_t wait = RETRY_S * 1000;
	for (unsigned i = 0; i < f->tries; i++)
		wait *= 3;
	j->tries = (uint8_t)(f->tries + 1);
	j->due_ms = mono_ms() + wait;
	log_info("%s: fetch tried again in %lld s (%u of %u)", mac, (long long)(wait / 1000),
		 j->tries, RETRIES);
}

static void start(struct slot *s, const struct job *j)
{
	const char *proto = j->kind == GATE_FETCH_UPNP ? "http" : "https";
	s->j = *j;
	s->len = 0;
	s->e = curl_easy_init();
	if (!s->e)
		return;
	curl_easy_setopt(s->e, CURLOPT_URL, s->j.url);
	curl_easy_setopt(s->e, CURLOPT_PROTOCOLS_STR, proto);
	curl_easy_setopt(s->e, CURLOPT_REDIR_PROTOCOLS_STR, proto);
	curl_easy_setopt(s->e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(s->e, CURLOPT_PROXY, "");
	curl_easy_setopt(s->e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(s->e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(s->e, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(s->e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BODY_MAX);
	curl_easy_setopt(s->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->e, CURLOPT_USERAGENT, "recall-gate/1");
	if (curl_multi_add_handle(multi, s->e) != CURLM_OK) {
		curl_easy_cleanup(s->e);
		s->e = NULL;
	}
}

static void finish(struct gate *g, struct slot *s, CURLcode res)
{
	char mac[18], err[256];
	long code = 0;
	gate_mac_format(s->j.mac, mac);
	curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &code);
	const char *what = s->j.kind == GATE_FETCH_UPNP ? "UPnP description" : "MUD file";
	struct gate_device *d = gate_inv_find(g->inv, s->j.mac);
	if (res != CURLE_OK || code != 200) {
		log_warnx_rl(&rl, "%s: %s: %s", mac, what,
			     res != CURLE_OK ? curl_easy_strerror(res) : "HTTP status not 200");
		if (d)
			retry(&s->j, mac);
	} else if (d) {
		struct gate_obs o;
		memset(&o, 0, sizeof(o));
		s->body[s->len] = 0;
		int rc = s->j.kind == GATE_FETCH_UPNP
			     ? gate_upnp_parse(s->body, s->len, &o, err, sizeof(err))
			     : gate_mud_parse(s->body, s->len, &o, err, sizeof(err));
		if (rc < 0) {
			log_warnx_rl(&rl, "%s: %s: %s", mac, what, err);
		} else {
			/* The file speaks for the device that pointed to it, nobody else. */
			memcpy(o.mac, s->j.mac, 6);
			o.has_mac = true;
			memset(&o.addr, 0, sizeof(o.addr));
			gate_observe(g, &o);
		}
	}
	curl_multi_remove_handle(multi, s->e);
	curl_easy_cleanup(s->e);
	s->e = NULL;
}

size_t gate_fetch_fds(int *fds, short *events, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < nsocks && n < cap; i++, n++) {
		fds[n] = socks[i].fd;
		events[n] = socks[i].events;
	}
	return n;
}

int gate_fetch_timeout_ms(void)
{
	if (deadline_ms < 0)
		return -1;
	int64_t left = deadline_ms - mono_ms();
	return left < 0 ? 0 : (int)(left > 60000 ? 60000 : left);
}

void gate_fetch_run(struct gate *g, int fd, short revents)
{
	int running;
	if (!multi)
		return;
	if (fd >= 0) {
		int ev = ((revents & POLLIN) ? CURL_CSELECT_IN : 0) |
			 ((revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
			 ((revents & (POLLERR | POLLHUP)) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(multi, fd, ev, &running);
	} else if (deadline_ms >= 0 && mono_ms() >= deadline_ms) {
		deadline_ms = -1;
		curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(multi, &left))) {
		struct slot *s = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (s)
			finish(g, s, m->data.result);
	}
	int64_t now = mono_ms();
	for (size_t i = 0; i < INFLIGHT && nqueue; i++) {
		if (slots[i].e)
			continue;
		size_t q = 0;
		while (q < nqueue && queue[q].due_ms > now)
			q++;
		if (q == nqueue)
			break;
		struct job j = queue[q];
		memmove(&queue[q], &queue[q + 1], (nqueue - q - 1) * sizeof(queue[0]));
		nqueue--;
		start(&slots[i], &j);
	}
}
