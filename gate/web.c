/* The owner's page server of recall-gate-web (gate/web_main.c): libmicrohttpd in external-poll
 * mode (MHD_USE_EPOLL, no MHD thread) on the listening socket the daemon made (gate/web_listen.c:
 * one address of the LAN interface only), with a connection limit, a per-connection timeout and
 * a request body cap; each complete request goes to web_handle() and every answer carries the
 * same security headers (CSP with the hash of the page's one style element). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "log.h"
#include "web.h"

#define WEB_CONN_MAX    32 /* connections at once */
#define WEB_CONN_PER_IP 8
#define WEB_TIMEOUT_S   15 /* idle connection timeout */

struct gate_web {
	struct MHD_Daemon *d;
	struct web_ctx ctx;
	struct log_rate rl;
	char csp[256];
};

/* One request's body, collected up to WEB_BODY_MAX bytes. */
struct conn {
	size_t len;
	bool too_large;
	char body[WEB_BODY_MAX + 1];
};

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct gate_web *w = cls;
	char msg[256];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx_rl(&w->rl, "web: %s", msg);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static const char *hdr(struct MHD_Connection *c, enum MHD_ValueKind k, const char *name)
{
	return MHD_lookup_connection_value(c, k, name);
}

static enum MHD_Result send_resp(struct gate_web *w, struct MHD_Connection *c, struct web_resp *r)
{
	if (r->body.oom) {
		web_resp_free(r);
		r->status = 500;
		wb_puts(&r->body, "out of memory\n");
	}
	struct MHD_Response *m =
	    MHD_create_response_from_buffer(r->body.len, r->body.p, MHD_RESPMEM_MUST_FREE);
	if (!m) {
		web_resp_free(r);
		return MHD_NO;
	}
	r->body.p = NULL; /* MHD owns it now */
	MHD_add_response_header(m, "Content-Type",
				r->ctype ? r->ctype : "text/html; charset=utf-8");
	MHD_add_response_header(m, "Content-Security-Policy", w->csp);
	MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(m, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(m, "Cache-Control", "no-store");
	MHD_add_response_header(m, "X-Frame-Options", "DENY");
	if (r->location[0])
		MHD_add_response_header(m, "Location", r->location);
	if (r->set_cookie[0])
		MHD_add_response_header(m, "Set-Cookie", r->set_cookie);
	if (r->retry_after) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u", r->retry_after);
		MHD_add_response_header(m, "Retry-After", ra);
	}
	enum MHD_Result ret = MHD_queue_response(c, r->status, m);
	MHD_destroy_response(m);
	web_resp_free(r);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct gate_web *w = cls;
	struct conn *cc = *con_cls;
	struct web_req q = {.method = method, .path = url};
	struct web_resp r;
	if (!cc) {
		/* First call: headers only. Refuse what will be refused anyway before reading a
		 * body: other methods and an announced body over the cap. */
		const char *cl = hdr(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		bool big = cl && strtoull(cl, NULL, 10) > WEB_BODY_MAX;
		if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
			web_handle(&w->ctx, &q, &r);
			return send_resp(w, c, &r);
		}
		cc = calloc(1, sizeof *cc);
		if (!cc)
			return MHD_NO;
		*con_cls = cc;
		if (big)
			cc->too_large = true;
		else
			return MHD_YES;
	}
	if (*upload_size) {
		if (cc->len + *upload_size > WEB_BODY_MAX)
			cc->too_large = true;
		else
			memcpy(cc->body + cc->len, upload, *upload_size);
		if (!cc->too_large)
			cc->len += *upload_size;
		*upload_size = 0;
		if (!cc->too_large)
			return MHD_YES;
	}
	cc->body[cc->len] = '\0';
	q.body = cc->body;
	q.body_len = cc->len;
	q.body_too_large = cc->too_large;
	q.session = hdr(c, MHD_COOKIE_KIND, WEB_COOKIE);
	q.csrf_header = hdr(c, MHD_HEADER_KIND, "X-CSRF-Token");
	q.content_type = hdr(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	q.host = hdr(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	q.origin = hdr(c, MHD_HEADER_KIND, "Origin");
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		const void *ap = sa->sa_family == AF_INET6
				     ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
				     : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
		inet_ntop(sa->sa_family, ap, q.peer, sizeof q.peer);
	}
	if (w->ctx.refresh)
		w->ctx.refresh(&w->ctx);
	web_handle(&w->ctx, &q, &r);
	return send_resp(w, c, &r);
}

int web_serve(struct web_ctx *ctx, int lfd, int ctlfd, unsigned idle_s, char *err, size_t errlen)
{
	struct gate_web *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "web: out of memory");
		return -1;
	}
	w->ctx = *ctx;
	log_rate_init(&w->rl, 1, 10);
	/* CSP allows exactly the page's one style element, by its SHA-256. */
	uint8_t h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(sizeof h, sodium_base64_VARIANT_ORIGINAL)];
	crypto_hash_sha256(h, (const uint8_t *)web_css, strlen(web_css));
	sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
	snprintf(w->csp, sizeof w->csp,
		 "default-src 'none'; style-src 'sha256-%s'; img-src 'self' data:; "
		 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		 b64);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	bool v6 = getsockname(lfd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET6;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	w->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, handler, w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
	    MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)WEB_CONN_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, w, MHD_OPTION_END);
	const union MHD_DaemonInfo *ei =
	    w->d ? MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!ei) {
		snprintf(err, errlen, "web: libmicrohttpd did not start on %s", w->ctx.listen_host);
		if (w->d)
			MHD_stop_daemon(w->d);
		free(w);
		return -1;
	}
	/* Serve until no connection has been open for idle_s, or the daemon is gone. */
	time_t idle_since = time(NULL);
	for (;;) {
		struct pollfd pf[2] = {{ei->epoll_fd, POLLIN, 0}, {ctlfd, POLLIN, 0}};
		if (poll(pf, 2, 1000) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break; /* the daemon closed its end: stopping */
		MHD_run(w->d);
		const union MHD_DaemonInfo *ci =
		    MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (ci && ci->num_connections > 0)
			idle_since = time(NULL);
		else if (time(NULL) - idle_since >= (time_t)idle_s)
			break;
	}
	MHD_quiesce_daemon(w->d);
	MHD_stop_daemon(w->d);
	*ctx = w->ctx; /* the sessions, for the daemon to keep */
	sodium_memzero(&w->ctx.auth, sizeof w->ctx.auth);
	free(w);
	return 0;
}
