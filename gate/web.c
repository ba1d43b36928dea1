/* The owner's page server: libmicrohttpd in external-poll mode (MHD_USE_EPOLL, no MHD thread),
 * driven by the gate's one poll loop through gate_web_fd()/gate_web_run(). It listens on one
 * address of the LAN interface only, with a connection limit, a per-connection timeout and a
 * request body cap; each complete request goes to web_handle() and every answer carries the
 * same security headers (CSP with the hash of the page's one style element). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "log.h"
#include "web.h"

#define WEB_PORT_DEFAULT 8080
#define WEB_CONN_MAX     32 /* connections at once */
#define WEB_CONN_PER_IP  8
#define WEB_TIMEOUT_S    15 /* idle connection timeout */

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

/* Parse web_listen ("ADDR", "ADDR:PORT", "[V6]:PORT", or "" for the interface's first IPv4
 * address) and check the address is one of the LAN interface's. */
static int listen_addr(const struct gate_config *cfg, struct sockaddr_storage *ss, char *addr,
		       size_t addrcap, char *err, size_t errlen)
{
	char host[64] = "";
	unsigned port = WEB_PORT_DEFAULT;
	const char *s = cfg->web_listen;
	if (!cfg->interface[0]) {
		snprintf(err, errlen, "web: no LAN interface configured (interface =)");
		return -1;
	}
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof host || (e[1] && e[1] != ':')) {
			snprintf(err, errlen, "web_listen \"%s\": expected [IPV6]:PORT", s);
			return -1;
		}
		memcpy(host, s + 1, (size_t)(e - s - 1));
		s = e[1] ? e + 2 : "";
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		const char *c = strchr(s, ':');
		snprintf(host, sizeof host, "%.*s", (int)(c - s), s);
		s = c + 1;
	} else {
		snprintf(host, sizeof host, "%s", s); /* bare address (IPv6 without brackets) */
		s = "";
	}
	if (*s) {
		char *end;
		unsigned long p = strtoul(s, &end, 10);
		if (*end || p == 0 || p > 65535) {
			snprintf(err, errlen, "web_listen \"%s\": bad port", cfg->web_listen);
			return -1;
		}
		port = (unsigned)p;
	}
	uint8_t want[16];
	int fam = 0;
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		fam = host[0] ? -1 : 0;
	} else if (inet_pton(AF_INET, host, want) == 1) {
		fam = AF_INET;
	} else if (inet_pton(AF_INET6, host, want) == 1) {
		fam = AF_INET6;
	} else {
		snprintf(err, errlen, "web_listen \"%s\": not an IP address", cfg->web_listen);
		return -1;
	}
	static const uint8_t zero[16];
	if (fam < 0 || (fam && memcmp(want, zero, fam == AF_INET ? 4 : 16) == 0)) {
		snprintf(
		    err, errlen,
		    "web_listen \"%s\": a wildcard address would put the owner's page on every "
		    "interface, the WAN too; give one address of %s",
		    cfg->web_listen, cfg->interface);
		return -1;
	}
	struct ifaddrs *ifa0 = NULL, *ifa;
	if (getifaddrs(&ifa0) != 0) {
		snprintf(err, errlen, "web: getifaddrs: %s", strerror(errno));
		return -1;
	}
	bool found = false;
	memset(ss, 0, sizeof *ss);
	for (ifa = ifa0; ifa && !found; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, cfg->interface) != 0)
			continue;
		int f = ifa->ifa_addr->sa_family;
		if (f == AF_INET && (fam == AF_INET || fam == 0)) {
			struct sockaddr_in *a = (struct sockaddr_in *)ifa->ifa_addr;
			if (fam == 0 || memcmp(&a->sin_addr, want, 4) == 0) {
				memcpy(ss, a, sizeof *a);
				((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
				found = true;
			}
		} else if (f == AF_INET6 && fam == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)ifa->ifa_addr;
			if (memcmp(&a->sin6_addr, want, 16) == 0) {
				memcpy(ss, a,
				       sizeof *a); /* keeps the scope of a link-local address */
				((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
				found = true;
			}
		}
	}
	freeifaddrs(ifa0);
	if (!found) {
		if (fam)
			snprintf(err, errlen,
				 "web_listen \"%s\": %s is not an address of the LAN interface %s; "
				 "the owner's page listens on the LAN only",
				 cfg->web_listen, host, cfg->interface);
		else
			snprintf(err, errlen,
				 "web: the LAN interface %s has no IPv4 address to listen on; set "
				 "web_listen to one of its addresses",
				 cfg->interface);
		return -1;
	}
	const void *ap = ss->ss_family == AF_INET
			     ? (const void *)&((struct sockaddr_in *)ss)->sin_addr
			     : (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr;
	inet_ntop(ss->ss_family, ap, addr, (socklen_t)addrcap);
	return (int)port;
}

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
	web_handle(&w->ctx, &q, &r);
	return send_resp(w, c, &r);
}

/* The listening socket, bound to the LAN interface as well as to its address: Linux accepts a
 * packet for any local address on any interface (weak host model), so without SO_BINDTODEVICE
 * a host on the WAN side that routes to the LAN address would reach the page. */
static int listen_socket(const struct gate_config *cfg, const struct sockaddr_storage *ss,
			 char *err, size_t errlen)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	socklen_t sl =
	    ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (fd < 0) {
		snprintf(err, errlen, "web: socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->interface,
		       (socklen_t)strlen(cfg->interface)) != 0) {
		snprintf(err, errlen, "web: cannot bind to interface %s (SO_BINDTODEVICE: %s)",
			 cfg->interface, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, sl) != 0 || listen(fd, 16) != 0) {
		snprintf(err, errlen, "web: cannot listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int gate_web_start(struct gate *g, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct gate_web *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "web: out of memory");
		return -1;
	}
	w->ctx.g = g;
	log_rate_init(&w->rl, 1, 10);
	int port =
	    listen_addr(&g->cfg, &ss, w->ctx.listen_addr, sizeof w->ctx.listen_addr, err, errlen);
	if (port < 0 || web_auth_init(&w->ctx.auth, g->cfg.state_dir, err, errlen) != 0) {
		free(w);
		return -1;
	}
	bool v6 = ss.ss_family == AF_INET6;
	snprintf(w->ctx.listen_host, sizeof w->ctx.listen_host, v6 ? "[%s]:%d" : "%s:%d",
		 w->ctx.listen_addr, port);
	/* CSP allows exactly the page's one style element, by its SHA-256. */
	uint8_t h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(sizeof h, sodium_base64_VARIANT_ORIGINAL)];
	crypto_hash_sha256(h, (const uint8_t *)web_css, strlen(web_css));
	sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
	snprintf(w->csp, sizeof w->csp,
		 "default-src 'none'; style-src 'sha256-%s'; img-src 'self' data:; "
		 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		 b64);
	int lfd = listen_socket(&g->cfg, &ss, err, errlen);
	if (lfd < 0) {
		free(w);
		return -1;
	}
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	w->d = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, handler, w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
	    MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)WEB_CONN_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, w, MHD_OPTION_END);
	if (!w->d) {
		snprintf(err, errlen, "web: libmicrohttpd did not start on %s", w->ctx.listen_host);
		close(lfd);
		free(w);
		return -1;
	}
	g->web = w;
	log_info("owner's page on http://%s/", w->ctx.listen_host);
	return 0;
}

int gate_web_fd(const struct gate *g)
{
	if (!g->web || !g->web->d)
		return -1;
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(g->web->d, MHD_DAEMON_INFO_EPOLL_FD);
	return i ? i->epoll_fd : -1;
}

void gate_web_run(struct gate *g)
{
	if (g->web && g->web->d)
		MHD_run(g->web->d);
}

void gate_web_stop(struct gate *g)
{
	if (!g->web)
		return;
	if (g->web->d)
		MHD_stop_daemon(g->web->d);
	sodium_memzero(&g->web->ctx.auth, sizeof g->web->ctx.auth);
	free(g->web);
	g->web = NULL;
}
