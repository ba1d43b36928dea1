/* Prometheus metrics (text exposition format 0.0.4) over HTTP with libmicrohttpd, on its own
 * thread. Per-worker counters are read with relaxed atomic loads; gauges come from the main
 * thread. Only GET /metrics and GET /health (for load balancers and anycast health checks)
 * are served. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
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
      {"rotate", RD_C_ANS_ROTATE},
      {"proof", RD_C_ANS_PROOF},
      {"bucket", RD_C_ANS_BUCKET}}},
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
    {"recalld_proof_requests_total",
     "Proof requests of full size past the rate limit (answered with a proof, or not).",
     NULL,
     {{NULL, RD_C_PROOF_REQ}}},
    {"recalld_proof_unanswered_total",
     "Proof requests answered retry-later: no proof held for the leaf (unknown), or the "
     "notice monitored by policy or the source exempt (withheld).",
     "reason",
     {{"unknown", RD_C_PROOF_UNKNOWN}, {"withheld", RD_C_PROOF_WITHHELD}}},
    {"recalld_feed_lookups_total",
     "Decisions made by a feed lookup (not taken from the check-in cache).",
     NULL,
     {{NULL, RD_C_LOOKUP}}},
    {"recalld_private_checkins_total",
     "Private check-ins (PROTOCOL.md 18.3) answered, by answer.",
     "answer",
     {{"bucket", RD_C_PC_BUCKET},
      {"retry_later", RD_C_PC_RETRY},
      {"unsupported", RD_C_PC_UNSUPPORTED},
      {"rotate", RD_C_PC_ROTATE}}},
    {"recalld_notice_requests_total",
     "Notice requests (PROTOCOL.md 18.3) answered, by answer.",
     "answer",
     {{"recalled", RD_C_NR_RECALLED},
      {"clear", RD_C_NR_CLEAR},
      {"retry_later", RD_C_NR_RETRY},
      {"unsupported", RD_C_NR_UNSUPPORTED},
      {"rotate", RD_C_NR_ROTATE}}},
    {"recalld_private_unserved_total",
     "Private requests answered retry-later: a bucket of more than 16 pages (too_large), or "
     "met before the table was rebuilt after a notice started or ended (stale).",
     "reason",
     {{"too_large", RD_C_PRIV_TOOLARGE}, {"stale", RD_C_PRIV_STALE}}},
};

static void gauge(struct buf *b, const char *name, const char *help, uint64_t v)
{
	put(b, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

/* A label value in the exposition format: backslash, double quote and newline escaped. */
static void label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			put(b, "\\%c", *v);
		else if (*v == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *v);
	}
}

static const char *const pub_verdicts[RD_PUB_VERDICTS] = {
    "new", "same", "stale", "expired", "rollback", "fork", "bad", "io",
};

/* What the publication fetcher reported (responder/pubchild.c). */
static void publication(struct buf *b, struct rd_server *srv)
{
	put(b, "# HELP recalld_publication_fetch_total Publication syncs, by mirror and verdict.\n"
	       "# TYPE recalld_publication_fetch_total counter\n");
	for (size_t m = 0; m < srv->pub_n; m++) {
		for (int v = 0; v < RD_PUB_VERDICTS; v++) {
			put(b, "recalld_publication_fetch_total{mirror=\"");
			label(b, srv->pub_mirror[m]);
			put(b, "\",verdict=\"%s\"} %llu\n", pub_verdicts[v],
			    (unsigned long long)ld(&srv->pub_fetch[m][v]));
		}
	}
	put(b,
	    "# HELP recalld_publication_fetched_bytes_total Bytes read from publication mirrors.\n"
	    "# TYPE recalld_publication_fetched_bytes_total counter\n"
	    "recalld_publication_fetched_bytes_total %llu\n"
	    "# HELP recalld_publication_requests_total Files asked of publication mirrors.\n"
	    "# TYPE recalld_publication_requests_total counter\n"
	    "recalld_publication_requests_total %llu\n"
	    "# HELP recalld_publication_fetcher_restarts_total Times the fetcher process died and "
	    "was started again.\n"
	    "# TYPE recalld_publication_fetcher_restarts_total counter\n"
	    "recalld_publication_fetcher_restarts_total %llu\n",
	    (unsigned long long)ld(&srv->pub_bytes), (unsigned long long)ld(&srv->pub_requests),
	    (unsigned long long)ld(&srv->pub_fetcher_restarts));
	gauge(b, "recalld_publication_mirrors", "Publication mirrors configured.", srv->pub_n);
	gauge(b, "recalld_publication_last_success_timestamp_seconds",
	      "When a mirror last gave a publication that verified (new or the same; 0: never).",
	      ld(&srv->pub_last_success));
	gauge(b, "recalld_publication_serial", "Serial of the last publication verified.",
	      ld(&srv->pub_serial));
	gauge(b, "recalld_publication_fetcher_up", "1 while the fetcher process runs.",
	      ld(&srv->pub_fetcher_up));
}

unsigned rd_health(struct rd_server *srv, uint64_t now, uint64_t mono, char *body, size_t cap)
{
	uint64_t serial = ld(&srv->feed_serial), expiry = ld(&srv->feed_expiry);
	unsigned alive = 0;
	for (unsigned i = 0; i < srv->nworkers; i++) {
		uint64_t beat = ld(&srv->w[i].beat_ms);
		if (beat + RD_HEALTH_STALL_MS > mono)
			alive++;
	}
	const char *why = NULL;
	if (!serial && !expiry)
		why = "no feed loaded yet";
	else if (now >= expiry)
		why = "the feed served has expired";
	else if (alive < srv->nworkers)
		why = "a worker has stalled";
	snprintf(body, cap,
		 "{\"status\":\"%s\",%s%s%s\"feed_serial\":%llu,\"feed_expiry\":%llu,"
		 "\"expires_in\":%lld,\"workers\":%u,\"workers_alive\":%u,"
		 "\"publication_last_success\":%llu}\n",
		 why ? "unavailable" : "ok", why ? "\"reason\":\"" : "", why ? why : "",
		 why ? "\"," : "", (unsigned long long)serial, (unsigned long long)expiry,
		 (long long)expiry - (long long)now, srv->nworkers, alive,
		 (unsigned long long)ld(&srv->pub_last_success));
	return why ? 503 : 200;
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
	    "# HELP recalld_metrics_connections_refused_total Connections to this endpoint "
	    "refused, by limit.\n"
	    "# TYPE recalld_metrics_connections_refused_total counter\n"
	    "recalld_metrics_connections_refused_total{limit=\"per_client\"} %llu\n"
	    "recalld_metrics_connections_refused_total{limit=\"total\"} %llu\n"
	    "# HELP recalld_metrics_connections_timed_out_total Connections to this endpoint "
	    "closed for taking longer than metrics-timeout.\n"
	    "# TYPE recalld_metrics_connections_timed_out_total counter\n"
	    "recalld_metrics_connections_timed_out_total %llu\n",
	    (unsigned long long)ld(&srv->http_refused_client),
	    (unsigned long long)ld(&srv->http_refused_total),
	    (unsigned long long)ld(&srv->http_timed_out));
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
	put(&b, "# HELP recalld_log_loads_total Transparency log loads, by result.\n"
		"# TYPE recalld_log_loads_total counter\n");
	for (int r = RD_LOGR_OK; r < RD_LOGR__COUNT; r++)
		put(&b, "recalld_log_loads_total{result=\"%s\"} %llu\n", rd_log_res_name(r),
		    (unsigned long long)ld(&srv->log_loads[r]));
	put(&b,
	    "# HELP recalld_log_inconsistent_total Logs refused as a fork or rollback of the "
	    "checkpoint kept.\n"
	    "# TYPE recalld_log_inconsistent_total counter\n"
	    "recalld_log_inconsistent_total %llu\n",
	    (unsigned long long)ld(&srv->log_loads[RD_LOGR_INCONSISTENT]));
	if (ld(&srv->log_has)) {
		uint64_t qt = ld(&srv->log_quorum_time);
		gauge(&b, "recalld_log_size",
		      "Tree size of the checkpoint whose proofs are served.", ld(&srv->log_size));
		gauge(&b, "recalld_log_checkpoint_age_seconds",
		      "Seconds since the quorum-th newest witness cosignature of that checkpoint.",
		      now > qt ? now - qt : 0);
		gauge(&b, "recalld_log_witnesses",
		      "Witnesses of the anchor set whose cosignature of that checkpoint verifies.",
		      ld(&srv->log_witnesses));
		gauge(&b, "recalld_log_quorum", "Witness quorum of the anchor set's log policy.",
		      ld(&srv->log_quorum));
	}
	gauge(&b, "recalld_notice_unlogged",
	      "Served notices without a proof (not in the log, no log, or a proof too large).",
	      ld(&srv->log_unlogged));
	gauge(&b, "recalld_notice_proof_oversized",
	      "Served notices in the log whose proof does not fit in an answer.",
	      ld(&srv->log_oversized));
	put(&b, "# HELP recalld_build_info The running recalld's version.\n"
		"# TYPE recalld_build_info gauge\n"
		"recalld_build_info{version=\"");
	label(&b, srv->version ? srv->version : "unknown");
	put(&b, "\"} 1\n");
	if (srv->pub_n)
		publication(&b, srv);
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

/* Connections of the metrics endpoint, all daemons together: a fixed table under a mutex (the
 * daemons' threads add and remove, the main thread's sweep cuts slow ones). A connection is
 * refused (closed at once, counted) when its client already holds metrics-connections-per-
 * client of them or metrics-connections are open; one whose request (with the idle time before
 * it) takes longer than metrics-timeout is cut: idle, a slowly dribbled header, a client that
 * does not read. libmicrohttpd notifies a close before it closes the socket, so a socket in
 * the table is always still the connection's. */
struct mconn {
	bool used, cut;
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	int fd;
	uint64_t deadline_ms;
};

static struct {
	pthread_mutex_t lock;
	struct mconn c[RD_METRICS_CONNS_MAX];
	size_t open;
	unsigned max, per_client;
	uint64_t timeout_ms;
	struct log_rate log;
} mc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void addr16(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static void addr_text(const uint8_t a[16], char *out, size_t cap)
{
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(a, v4, 12))
		inet_ntop(AF_INET, a + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct rd_server *srv = cls;
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct mconn *m = *socket_context;
		if (m) {
			pthread_mutex_lock(&mc.lock);
			m->used = false;
			mc.open--;
			pthread_mutex_unlock(&mc.lock);
		}
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *fi =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ai =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	uint8_t a[16];
	addr16(ai ? ai->client_addr : NULL, a);
	*socket_context = NULL;
	if (!fi)
		return;
	int fd = fi->connect_fd;
	size_t same = 0;
	struct mconn *slot = NULL;
	pthread_mutex_lock(&mc.lock);
	for (size_t i = 0; i < RD_METRICS_CONNS_MAX; i++) {
		if (mc.c[i].used && !memcmp(mc.c[i].addr, a, 16))
			same++;
		else if (!mc.c[i].used && !slot)
			slot = &mc.c[i];
	}
	const char *why = NULL;
	if (same >= mc.per_client) {
		why = "connections per client (metrics-connections-per-client)";
		atomic_fetch_add(&srv->http_refused_client, 1);
	} else if (mc.open >= mc.max || !slot) {
		why = "connections (metrics-connections)";
		atomic_fetch_add(&srv->http_refused_total, 1);
	} else {
		slot->used = true;
		slot->cut = false;
		memcpy(slot->addr, a, 16);
		slot->fd = fd;
		slot->deadline_ms = mono_ms() + mc.timeout_ms;
		mc.open++;
		*socket_context = slot;
	}
	if (why) {
		char txt[INET6_ADDRSTRLEN] = "?";
		addr_text(a, txt, sizeof(txt));
		log_warnx_rl(&mc.log, "metrics: refused a connection from %s: too many %s", txt,
			     why);
		/* libmicrohttpd sees the end of the stream and closes it */
		shutdown(fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&mc.lock);
}

/* A request is done: the connection may wait (idle) for the next one, anew within the
 * timeout. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)con_cls;
	(void)toe;
	const union MHD_ConnectionInfo *si =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct mconn *m = si ? si->socket_context : NULL;
	if (!m)
		return;
	pthread_mutex_lock(&mc.lock);
	m->deadline_ms = mono_ms() + mc.timeout_ms;
	pthread_mutex_unlock(&mc.lock);
}

void rd_metrics_sweep(struct rd_server *srv)
{
	if (!ndaemons)
		return;
	uint64_t now = mono_ms();
	pthread_mutex_lock(&mc.lock);
	for (size_t i = 0; mc.open && i < RD_METRICS_CONNS_MAX; i++) {
		struct mconn *m = &mc.c[i];
		if (!m->used || m->cut || now < m->deadline_ms)
			continue;
		m->cut = true;
		atomic_fetch_add(&srv->http_timed_out, 1);
		char txt[INET6_ADDRSTRLEN] = "?";
		addr_text(m->addr, txt, sizeof(txt));
		log_warnx_rl(&mc.log,
			     "metrics: closed a connection from %s: no complete request "
			     "within metrics-timeout",
			     txt);
		shutdown(m->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&mc.lock);
}

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
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!strcmp(url, "/health")) {
		char body[512];
		unsigned code = rd_health(srv, (uint64_t)ts.tv_sec, mono_ms(), body, sizeof(body));
		struct MHD_Response *r =
		    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, "Content-Type", "application/json");
		MHD_add_response_header(r, "Cache-Control", "no-store");
		enum MHD_Result ret = MHD_queue_response(c, code, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics or /health\n");
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

int rd_metrics_start(struct rd_server *srv, const struct rd_config *cfg, char *err, size_t cap)
{
	const struct conf_addr_list *addrs = &cfg->metrics_listen;
	mc.max = (unsigned)cfg->metrics_conns;
	mc.per_client = (unsigned)cfg->metrics_per_client;
	mc.timeout_ms = cfg->metrics_timeout_ms;
	log_rate_init(&mc.log, 0.2, 3);
	/* libmicrohttpd's own idle timeout (whole seconds) only backs the sweep up: a second
	 * longer, so that the sweep cuts (and counts) first; its connection limit is above ours,
	 * so that ours sees (and counts) every connection it refuses */
	unsigned idle_s = (unsigned)((cfg->metrics_timeout_ms + 999) / 1000) + 1;
	unsigned mhd_limit = mc.max + 16;
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
		struct MHD_Daemon *d = MHD_start_daemon(
		    flags, a->port, NULL, NULL, handler, srv, MHD_OPTION_SOCK_ADDR, sa,
		    MHD_OPTION_CONNECTION_LIMIT, mhd_limit, MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_NOTIFY_COMPLETED,
		    on_completed, srv, MHD_OPTION_END);
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
