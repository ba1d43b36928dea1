/* recall-gate-helper: started by recall-gate (gate/fetch.c) when it has work for the large
 * libraries, never by hand. It reads requests from fd 3 (gate/helper.h), fetches UPnP
 * descriptions and MUD files with libcurl (the daemon checked the URL against its policy; the
 * transfer is held to it here: that protocol only, no redirects, no proxy, no decoding, 64 KiB,
 * 5 s), parses them and mDNS packets with G1's parsers (libxml2, jansson, ldns), and answers
 * with the fields. It exits when the daemon closes the socket or after HELPER_IDLE_S idle.
 *
 * Confinement, before any input is read (gate/confine.c): no capabilities (even when started
 * by root), no new privileges, no files written (RLIMIT_FSIZE 0), no core dumps, few
 * descriptors, and only fd 3 and the standard ones inherited. A parser bug can crash or subvert
 * this process only: the daemon takes from a reply nothing its request could not have produced. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ldns/ldns.h>

#include "helper.h"
#include "parse.h"
#include "seccomp.h"

#define BODY_MAX GATE_UPNP_MAX

struct xfer {
	CURL *e;
	uint8_t op;
	uint32_t id;
	char url[GATE_URL_MAX + 1];
	size_t len;
	char body[BODY_MAX + 1];
};

static struct xfer xf[HELPER_INFLIGHT];
static struct helper_res res; /* one reply at a time; static: 40 KiB off the stack */
static struct helper_req req;

static void reply(uint8_t op, uint32_t id, uint8_t status, const char *err)
{
	res.op = op;
	res.id = id;
	res.status = status;
	snprintf(res.err, sizeof(res.err), "%s", err ? err : "");
	if (send(HELPER_FD, &res, sizeof(res), MSG_NOSIGNAL) != (ssize_t)sizeof(res))
		exit(1); /* the daemon is gone */
}

static void reply_obs(uint8_t op, uint32_t id, const struct gate_obs *o)
{
	memset(res.v, 0, sizeof(res.v));
	for (int f = 0; f < GF__N; f++)
		if (o->f[f].src != GS_NONE)
			memcpy(res.v[f], o->f[f].v, GATE_VAL_MAX);
	reply(op, id, HELPER_OK, NULL);
}

/* The DNS-SD query: the service list and a few services devices commonly announce (printers,
 * cameras, speakers, home automation), built with ldns. */
static void query(uint32_t id)
{
	static const char *const names[] = {"_services._dns-sd._udp.local.",
					    "_device-info._tcp.local.",
					    "_http._tcp.local.",
					    "_ipp._tcp.local.",
					    "_googlecast._tcp.local.",
					    "_hap._tcp.local.",
					    "_airplay._tcp.local.",
					    "_rtsp._tcp.local."};
	ldns_rdf *dn = ldns_dname_new_frm_str(names[0]);
	ldns_pkt *p = dn ? ldns_pkt_query_new(dn, LDNS_RR_TYPE_PTR, LDNS_RR_CLASS_IN, 0) : NULL;
	uint8_t *wire = NULL;
	size_t n = 0;
	res.qlen = 0;
	if (!p) {
		ldns_rdf_deep_free(dn);
		reply(HELPER_QUERY, id, HELPER_BAD, "out of memory");
		return;
	}
	ldns_pkt_set_id(p, 0); /* RFC 6762 18.1: multicast queries carry id 0 */
	for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_rr *q = ldns_rr_new();
		ldns_rdf *d = ldns_dname_new_frm_str(names[i]);
		if (!q || !d) {
			ldns_rr_free(q);
			ldns_rdf_deep_free(d);
			continue;
		}
		ldns_rr_set_owner(q, d);
		ldns_rr_set_type(q, LDNS_RR_TYPE_PTR);
		ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
		ldns_rr_set_question(q, true);
		if (!ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q))
			ldns_rr_free(q);
	}
	if (ldns_pkt2wire(&wire, p, &n) == LDNS_STATUS_OK && n <= HELPER_QUERY_MAX) {
		memcpy(res.query, wire, n);
		res.qlen = (uint32_t)n;
	}
	free(wire);
	ldns_pkt_free(p);
	reply(HELPER_QUERY, id, res.qlen ? HELPER_OK : HELPER_BAD, res.qlen ? NULL : "ldns");
	res.qlen = 0;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *up)
{
	struct xfer *x = up;
	size_t n = size * nmemb;
	if (n > BODY_MAX - x->len)
		return 0; /* over the cap: libcurl ends the transfer with a write error */
	memcpy(x->body + x->len, p, n);
	x->len += n;
	return n;
}

static void start(CURLM *multi, uint8_t op, uint32_t id, const uint8_t *url, size_t n)
{
	struct xfer *x = NULL;
	for (size_t i = 0; i < HELPER_INFLIGHT && !x; i++)
		if (!xf[i].e)
			x = &xf[i];
	if (!x || n > GATE_URL_MAX || memchr(url, 0, n)) {
		reply(op, id, x ? HELPER_BAD : HELPER_RETRY, x ? "bad URL" : "busy");
		return;
	}
	const char *proto = op == HELPER_UPNP ? "http" : "https";
	memcpy(x->url, url, n);
	x->url[n] = 0;
	x->op = op;
	x->id = id;
	x->len = 0;
	if (!(x->e = curl_easy_init())) {
		reply(op, id, HELPER_RETRY, "out of memory");
		return;
	}
	curl_easy_setopt(x->e, CURLOPT_URL, x->url);
	curl_easy_setopt(x->e, CURLOPT_PROTOCOLS_STR, proto);
	curl_easy_setopt(x->e, CURLOPT_REDIR_PROTOCOLS_STR, proto);
	curl_easy_setopt(x->e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->e, CURLOPT_PROXY, "");
	curl_easy_setopt(x->e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(x->e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(x->e, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(x->e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BODY_MAX);
	curl_easy_setopt(x->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->e, CURLOPT_USERAGENT, "recall-gate/1");
	if (curl_multi_add_handle(multi, x->e) != CURLM_OK) {
		curl_easy_cleanup(x->e);
		x->e = NULL;
		reply(op, id, HELPER_RETRY, "libcurl refused the transfer");
	}
}

static void finish(CURLM *multi, struct xfer *x, CURLcode rc)
{
	char err[256];
	long code = 0;
	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		reply(x->op, x->id, HELPER_RETRY, curl_easy_strerror(rc));
	} else if (code != 200) {
		reply(x->op, x->id, HELPER_RETRY, "HTTP status not 200");
	} else {
		struct gate_obs o;
		gate_obs_init(&o);
		x->body[x->len] = 0;
		int r = gate_fetched_parse(x->op == HELPER_MUD, x->url, x->body, x->len, &o, err,
					   sizeof(err));
		if (r < 0)
			reply(x->op, x->id, HELPER_BAD, err);
		else
			reply_obs(x->op, x->id, &o);
	}
	curl_multi_remove_handle(multi, x->e);
	curl_easy_cleanup(x->e);
	x->e = NULL;
}

static void request(CURLM *multi, size_t n)
{
	char err[256];
	if (n < HELPER_REQ_HDR || req.len != n - HELPER_REQ_HDR)
		exit(1); /* not the daemon speaking */
	switch (req.op) {
	case HELPER_UPNP:
	case HELPER_MUD:
		start(multi, req.op, req.id, req.data, req.len);
		break;
	case HELPER_MDNS: {
		struct gate_obs o;
		gate_obs_init(&o);
		if (gate_mdns_parse(req.data, req.len, &o, err, sizeof(err)) < 0)
			reply(req.op, req.id, HELPER_BAD, err);
		else
			reply_obs(req.op, req.id, &o);
		break;
	}
	case HELPER_QUERY:
		query(req.id);
		break;
	default:
		exit(1);
	}
}

static time_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1 || isatty(HELPER_FD) || gate_confine(32) != 0) {
		fprintf(stderr, "recall-gate-helper: started by recall-gate only\n");
		return 2;
	}
	char err[256];
	if (gate_seccomp(err, sizeof(err)) != 0) {
		fprintf(stderr, "recall-gate-helper: %s\n", err);
		return 1;
	}
	CURLM *multi;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(multi = curl_multi_init()))
		return 1;
	time_t last = mono_s();
	for (;;) {
		struct curl_waitfd w = {.fd = HELPER_FD, .events = CURL_WAIT_POLLIN};
		int running = 0;
		if (curl_multi_poll(multi, &w, 1, 1000, NULL) != CURLM_OK)
			return 1;
		if (w.revents & CURL_WAIT_POLLIN) {
			ssize_t n;
			while ((n = recv(HELPER_FD, &req, sizeof(req), MSG_DONTWAIT)) > 0) {
				request(multi, (size_t)n);
				last = mono_s();
			}
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				return 0; /* the daemon closed the socket */
		}
		curl_multi_perform(multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left))) {
			struct xfer *x = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (x)
				finish(multi, x, m->data.result);
			last = mono_s();
		}
		/* Idle: leave, unless a request came in since the poll (it would be lost). */
		if (!running && mono_s() - last >= HELPER_IDLE_S &&
		    recv(HELPER_FD, &req, 1, MSG_DONTWAIT | MSG_PEEK) <= 0)
			return 0;
	}
}
