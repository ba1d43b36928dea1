/* The witness's HTTP front end (libmicrohttpd, one daemon and thread per listen address):
 *   POST /add-checkpoint          c2sp.org/tlog-witness
 *   GET  /<hex SHA-256 of origin>/checkpoint   the last cosigned checkpoint (monitoring)
 *   GET  /metrics                 counters, Prometheus text format
 * Bodies above WT_BODY_MAX are refused (413) before they are read when Content-Length says
 * so, else as soon as they pass it; connections are capped in total and per client, and idle
 * ones closed after the configured timeout. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "witness.h"

static struct MHD_Daemon *daemons[WT_LISTEN_MAX];
static size_t ndaemons;

struct upload {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *type,
				const char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return send_buf(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

static enum MHD_Result metrics(struct wt *w, struct MHD_Connection *c)
{
	char buf[4096];
	size_t o = 0;
	pthread_mutex_lock(&w->mu);
	for (int i = 0; i < WT_NCOUNTERS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o,
				      "# TYPE recall_witness_%s_total counter\n"
				      "recall_witness_%s_total %llu\n",
				      wt_counter_names[i], wt_counter_names[i],
				      (unsigned long long)w->count[i]);
	for (size_t i = 0; i < w->nlogs && o < sizeof(buf) - 256; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o,
				      "recall_witness_log_size{log=\"%s\"} %llu\n", w->logs[i].id,
				      (unsigned long long)w->logs[i].size);
	pthread_mutex_unlock(&w->mu);
	return send_buf(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf, o);
}

/* GET /<id>/checkpoint: the note as kept (a copy, taken under the lock). */
static enum MHD_Result checkpoint(struct wt *w, struct MHD_Connection *c, const char *url)
{
	size_t ul = strlen(url);
	static const char tail[] = "/checkpoint";
	struct wt_log *l = NULL;
	if (ul == 1 + 64 + strlen(tail) && !strcmp(url + 65, tail))
		l = wt_find_id(w, url + 1, 64);
	enum MHD_Result ret;
	pthread_mutex_lock(&w->mu);
	if (l && l->have)
		ret = send_buf(c, 200, "text/plain; charset=utf-8", l->note, l->note_len);
	else
		ret = send_text(c, 404, l ? "nothing cosigned for this log yet\n" : "not found\n");
	pthread_mutex_unlock(&w->mu);
	return ret;
}

static enum MHD_Result add(struct wt *w, struct MHD_Connection *c, const char *data, size_t *size,
			   void **con_cls)
{
	struct upload *u = *con_cls;
	if (!u) {
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > WT_BODY_MAX)
			return send_text(c, 413, "request body too large\n");
		if (!(u = calloc(1, sizeof(*u))))
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*size) {
		if (!u->too_big && u->len + *size > WT_BODY_MAX)
			u->too_big = true;
		if (!u->too_big && u->len + *size > u->cap) {
			size_t cap = u->len + *size < 4096 ? 4096 : WT_BODY_MAX;
			char *nb = realloc(u->buf, cap);
			if (!nb)
				return MHD_NO;
			u->buf = nb;
			u->cap = cap;
		}
		if (!u->too_big) {
			memcpy(u->buf + u->len, data, *size);
			u->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	if (u->too_big)
		return send_text(c, 413, "request body too large\n");
	struct wt_reply r;
	wt_add_checkpoint(w, u->buf ? u->buf : "", u->len, (uint64_t)time(NULL), &r);
	return send_buf(c, r.status, r.type, r.body, r.len);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct wt *w = cls;
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST), get = !strcmp(method, "GET");
	if (post && !strcmp(url, "/add-checkpoint"))
		return add(w, c, data, size, con_cls);
	if (*size) { /* a body for any other request is skipped */
		*size = 0;
		return MHD_YES;
	}
	if (get && !strcmp(url, "/metrics"))
		return metrics(w, c);
	if (get)
		return checkpoint(w, c, url);
	return send_text(c, post ? 404 : 405, post ? "not found\n" : "method not allowed\n");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;
	if (u) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

int wt_http_start(struct wt *w, char *err, size_t cap)
{
	const struct wt_config *cfg = w->cfg;
	for (size_t i = 0; i < cfg->listen.n; i++) {
		const struct conf_addr *a = &cfg->listen.v[i];
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
		if (a->family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			s4->sin_port = htons(a->port);
			memcpy(&s4->sin_addr, a->addr, 4);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(a->port);
			memcpy(&s6->sin6_addr, a->addr, 16);
			flags |= MHD_USE_IPv6;
		}
		struct MHD_Daemon *d = MHD_start_daemon(
		    flags, a->port, NULL, NULL, handler, w, MHD_OPTION_SOCK_ADDR, &ss,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_client,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)((cfg->timeout_ms + 999) / 1000),
		    MHD_OPTION_NOTIFY_COMPLETED, completed, w, MHD_OPTION_END);
		if (!d) {
			char t[80];
			conf_addr_format(a, t, sizeof(t));
			snprintf(err, cap,
				 "listen %s: cannot start the HTTP server (address in use?)", t);
			wt_http_stop();
			return -1;
		}
		daemons[ndaemons++] = d;
	}
	return 0;
}

void wt_http_stop(void)
{
	for (size_t i = 0; i < ndaemons; i++)
		MHD_stop_daemon(daemons[i]);
	ndaemons = 0;
}
