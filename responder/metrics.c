/* Prometheus metrics (text exposition format 0.0.4) over HTTP with libmicrohttpd, on its own
 * thread. Per-worker counters are read with relaxed atomic loads; gauges come from the main
 * thread. Only GET /metrics is served. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "rd.h"

#define MAX_DAEMONS 8

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap * 2 + (size_t)n;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

static uint64_t ld(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* A counter family with one series per worker and label value. */
struct family {
	const char *name, *help, *label;
	struct {
		const char *value;
		enum rd_ctr ctr;
	} series[8];
};

static const struct family families[] = {
    {"recalld_requests_total", "Datagrams received.", NULL, {{NULL, RD_C_RX}}},
    {"recalld_answers_total",
     "Answers sent, by kind.",
     "kind",
     {{"clear", RD_C_ANS_CLEAR},
      {"recalled", RD_C_ANS_RECALLED},
      {"retry_later", RD_C_ANS_RETRY},
      {"unsupported", RD_C_ANS_UNSUPPORTED},
      {"rotate", RD_C_ANS_ROTATE}}},
    {"recalld_drops_total",
     "Datagrams dropped without an answer, by reason.",
     "reason",
     {{"short", RD_C_DROP_SHORT},
      {"oversized", RD_C_DROP_OVERSIZED},
      {"malformed", RD_C_DROP_MALFORMED},
      {"bad_source", RD_C_DROP_BADSRC},
      {"rate_limited", RD_C_DROP_RATELIMIT},
      {"internal", RD_C_DROP_INTERNAL},
      {"send_failed", RD_C_DROP_SEND}}},
    {"recalld_rate_limited_total",
     "Check-ins over the rate limit of their source prefix, by outcome.",
     "outcome",
     {{"retry_later", RD_C_RL_RETRY}, {"dropped", RD_C_RL_DROP}}},
    {"recalld_ratelimit_evictions_total",
     "Idle rate-limit table entries replaced by another prefix.",
     NULL,
     {{NULL, RD_C_RL_EVICT}}},
    {"recalld_ratelimit_overflow_total",
     "Check-ins whose prefix found its rate-limit table set full of active prefixes and took "
     "from the set's shared bucket.",
     NULL,
     {{NULL, RD_C_RL_OVERFLOW}}},
    {"recalld_policy_hits_total",
     "Check-ins covered by a notice, by policy decision.",
     "decision",
     {{"enforce", RD_C_HIT_ENFORCE}, {"monitor", RD_C_HIT_MONITOR}, {"exempt", RD_C_HIT_EXEMPT}}},
    {"recalld_events_lost_total",
     "Event log entries lost because the queue was full.",
     NULL,
     {{NULL, RD_C_EVENTS_LOST}}},
    {"recalld_checkin_cache_total",
     "Check-ins of full size found in the check-in cache (hit) or decoded (miss).",
     "result",
     {{"hit", RD_C_CACHE_HIT}, {"miss", RD_C_CACHE_MISS}}},
    {"recalld_feed_lookups_total",
     "Decisions made by a feed lookup (not taken from the check-in cache).",
     NULL,
     {{NULL, RD_C_LOOKUP}}},
};

static void gauge(struct buf *b, const char *name, const char *help, uint64_t v)
{
	put(b, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

char *rd_metrics_text(struct rd_server *srv, uint64_t now, size_t *len)
{
	struct buf b = {malloc(16384), 0, 16384, false};
	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		const struct family *fa = &families[f];
		put(&b, "# HELP %s %s\n# TYPE %s counter\n", fa->name, fa->help, fa->name);
		for (size_t s = 0; s < 8 && (s == 0 || fa->series[s].value); s++) {
			for (unsigned w = 0; w < srv->nworkers; w++) {
				uint64_t v = ld(&srv->w[w].cnt.c[fa->series[s].ctr]);
				if (fa->label)
					put(&b, "%s{worker=\"%u\",%s=\"%s\"} %llu\n", fa->name, w,
					    fa->label, fa->series[s].value, (unsigned long long)v);
				else
					put(&b, "%s{worker=\"%u\"} %llu\n", fa->name, w,
					    (unsigned long long)v);
			}
		}
	}
	put(&b, "# HELP recalld_feed_reloads_total Feed loads, by result.\n"
		"# TYPE recalld_feed_reloads_total counter\n");
	for (int r = 0; r < RD_LOAD__COUNT; r++)
		put(&b, "recalld_feed_reloads_total{result=\"%s\"} %llu\n",
		    r == RD_LOAD_OK ? "ok" : rd_load_err_name(r),
		    (unsigned long long)ld(&srv->reloads[r]));
	put(&b,
	    "# HELP recalld_events_written_total Event log lines written.\n"
	    "# TYPE recalld_events_written_total counter\n"
	    "recalld_events_written_total %llu\n",
	    (unsigned long long)ld(&srv->events_written));
	uint64_t issued = ld(&srv->feed_issued), expiry = ld(&srv->feed_expiry);
	gauge(&b, "recalld_feed_serial", "Serial of the feed being served.", ld(&srv->feed_serial));
	gauge(&b, "recalld_feed_issued_timestamp_seconds", "When the feed being served was issued.",
	      issued);
	gauge(&b, "recalld_feed_expiry_timestamp_seconds", "When the feed being served expires.",
	      expiry);
	gauge(&b, "recalld_feed_loaded_timestamp_seconds", "When the feed being served was loaded.",
	      ld(&srv->feed_loaded));
	gauge(&b, "recalld_feed_age_seconds", "Seconds since the feed being served was issued.",
	      now > issued ? now - issued : 0);
	gauge(&b, "recalld_feed_expired", "1 if the feed being served has expired.",
	      now >= expiry ? 1 : 0);
	gauge(&b, "recalld_notices_loaded", "Notices in the feed being served.", ld(&srv->notices));
	gauge(&b, "recalld_rotation_statements", "Anchor rotation statements served.",
	      ld(&srv->rotations));
	gauge(&b, "recalld_anchor_epoch", "Epoch of the configured trust anchors.",
	      ld(&srv->anchor_epoch));
	gauge(&b, "recalld_workers", "Worker threads.", srv->nworkers);
	gauge(&b, "recalld_start_time_seconds", "When recalld started.", ld(&srv->start_time));
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static struct MHD_Daemon *daemons[MAX_DAEMONS];
static size_t ndaemons;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_len, void **con_cls)
{
	struct rd_server *srv = cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	size_t len;
	char *text = rd_metrics_text(srv, (uint64_t)ts.tv_sec, &len);
	if (!text)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int rd_metrics_start(struct rd_server *srv, const struct conf_addr_list *addrs, char *err,
		     size_t cap)
{
	for (size_t i = 0; i < addrs->n && i < MAX_DAEMONS; i++) {
		const struct conf_addr *a = &addrs->v[i];
		struct sockaddr_in s4;
		struct sockaddr_in6 s6;
		const struct sockaddr *sa;
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
		if (a->family == AF_INET) {
			memset(&s4, 0, sizeof(s4));
			s4.sin_family = AF_INET;
			s4.sin_port = htons(a->port);
			memcpy(&s4.sin_addr, a->addr, 4);
			sa = (const struct sockaddr *)&s4;
		} else {
			memset(&s6, 0, sizeof(s6));
			s6.sin6_family = AF_INET6;
			s6.sin6_port = htons(a->port);
			memcpy(&s6.sin6_addr, a->addr, 16);
			sa = (const struct sockaddr *)&s6;
			flags |= MHD_USE_IPv6;
		}
		struct MHD_Daemon *d =
		    MHD_start_daemon(flags, a->port, NULL, NULL, handler, srv, MHD_OPTION_SOCK_ADDR,
				     sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
		if (!d) {
			char txt[80];
			conf_addr_format(a, txt, sizeof(txt));
			snprintf(err, cap, "metrics-listen %s: cannot start the HTTP server", txt);
			return -1;
		}
		daemons[ndaemons++] = d;
	}
	return 0;
}

void rd_metrics_stop(void)
{
	for (size_t i = 0; i < ndaemons; i++)
		MHD_stop_daemon(daemons[i]);
	ndaemons = 0;
}
