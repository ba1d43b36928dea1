/* recall-gate's owner page and JSON API (G3): declarations shared by web.c (libmicrohttpd on
 * the main poll loop), web_handle.c (the request handler, a pure function of the request that
 * the unit test and the fuzz target call without a socket), web_html.c (the page), web_api.c
 * (JSON), web_util.c (output buffer, escaping, names) and auth.c (password, sessions, CSRF).
 * The gate/gate.h interface is unchanged; these are the web part's own, and main.c calls
 * gate_passwd_main() for `recall-gate passwd`. */
#ifndef RECALL_GATE_WEB_H
#define RECALL_GATE_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"

#define WEB_BODY_MAX     4096  /* request body cap, bytes (a form or a JSON action) */
#define WEB_SESSIONS_MAX 8     /* logged-in browsers/apps; a new login evicts the oldest */
#define WEB_SESSION_TTL  43200 /* seconds a session lives (absolute, also the cookie Max-Age) */
#define WEB_TOKEN_LEN    32    /* random bytes in a session id and in a CSRF token */
#define WEB_TOKEN_HEX    (2 * WEB_TOKEN_LEN)
#define WEB_PW_MIN       8 /* owner password length bounds, bytes */
#define WEB_PW_MAX       128
#define WEB_COOKIE       "rcg_session"
#define WEB_FLASH_MAX    200

/* A growing output buffer; on allocation failure `oom` is set and further output is dropped. */
struct wbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void wb_put(struct wbuf *b, const char *s, size_t n);
void wb_puts(struct wbuf *b, const char *s);
void wb_printf(struct wbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Untrusted text into HTML text or a double-quoted attribute value: first made visible and
 * valid UTF-8 by rc_text_safe (controls, bidi overrides and bad bytes become escapes), then
 * & < > " ' become character references. `oneline` also escapes LF and TAB. */
void wb_html(struct wbuf *b, const char *s, size_t n, bool oneline);
/* True if url may go into an href: http or https, a host, printable ASCII without quotes,
 * angle brackets, backslashes or spaces, at most RC_URL_MAX bytes. */
bool web_url_linkable(const char *url, size_t n);

/* One request as the handler sees it; strings are NUL-terminated, NULL when absent. */
struct web_req {
	const char *method;      /* "GET", "POST", ... */
	const char *path;        /* URL path, without the query */
	const char *session;     /* value of the rcg_session cookie */
	const char *csrf_header; /* X-CSRF-Token */
	const char *content_type;
	const char *host;   /* Host header */
	const char *origin; /* Origin header */
	const char *body;   /* request body (NUL-terminated copy), may hold NUL bytes */
	size_t body_len;
	bool body_too_large; /* more than WEB_BODY_MAX bytes were sent */
	char peer[48];       /* client address as text (login rate limit) */
};

struct web_resp {
	unsigned status;
	const char *ctype; /* NULL: text/html; charset=utf-8 */
	struct wbuf body;
	char set_cookie[192]; /* "" for none */
	char location[96];    /* "" for none (303 See Other target) */
	unsigned retry_after; /* seconds, 0 for none */
};

/* Sessions, CSRF, password (auth.c). */
struct web_session {
	uint8_t id[WEB_TOKEN_LEN];
	char csrf[WEB_TOKEN_HEX + 1];
	uint64_t created;          /* 0: slot free */
	char flash[WEB_FLASH_MAX]; /* one-shot message for the next page */
};
struct web_bucket {
	char peer[48];
	double tokens;
	uint64_t last;
};
struct web_auth {
	char pwfile[300];
	struct web_session s[WEB_SESSIONS_MAX];
	struct web_bucket peers[16]; /* failed-login buckets per client address */
	struct web_bucket global;    /* failed logins from every address together */
	uint64_t logins_failed, logins_limited, csrf_failed;
};
/* Set up auth for state_dir; fails (clear message) when no usable password file exists. */
int web_auth_init(struct web_auth *a, const char *state_dir, char *err, size_t errlen);
/* The session of a cookie value, or NULL (unknown, malformed or expired). */
struct web_session *web_session_find(struct web_auth *a, const char *cookie, uint64_t now);
/* Constant-time check of a submitted CSRF token against the session's. */
bool web_csrf_ok(const struct web_session *s, const char *token);
/* Check the password against the file (rate limited per peer and globally). 0: logged in,
 * cookie value in cookie (WEB_TOKEN_HEX + 1); -1 wrong; -2 rate limited (*retry set);
 * -3 no usable password file (err says why). */
int web_login(struct web_auth *a, const char *peer, const char *pw, size_t pwlen, uint64_t now,
	      char *cookie, unsigned *retry, char *err, size_t errlen);
void web_logout(struct web_auth *a, struct web_session *s);
/* `recall-gate passwd`: read a new password (twice from a terminal, else one line from in) and
 * write state_dir/password (argon2id string, mode 0600) atomically. 0 ok, -1 with err. */
int gate_passwd_set(const char *state_dir, int in_fd, char *err, size_t errlen);
/* Command-line entry point for main.c: `recall-gate [-c conf] passwd`; returns an exit status. */
int gate_passwd_main(const struct gate_config *cfg);

/* The request handler (web_handle.c): fills resp for req. `auth` holds sessions; the device
 * data comes from g (gate_inv_*, gate_notice_get) and actions go to gate_action(). host_ok is
 * the listen address text accepted in Host besides LAN names (e.g. "192.168.1.1:8080"). */
struct web_ctx {
	struct gate *g;
	void (*refresh)(struct web_ctx *w); /* before each request: fresh data (NULL: none) */
	struct web_auth auth;
	char listen_host[64]; /* "192.168.1.1:8080" or "[fd00::1]:8080" */
	char listen_addr[48]; /* "192.168.1.1" or "fd00::1" */
	uint64_t requests, rejected;
};
void web_handle(struct web_ctx *w, const struct web_req *req, struct web_resp *resp);
/* recall-gate-web (gate/web.c): serve the listening socket lfd with libmicrohttpd until no
 * connection has been open for idle_s seconds or ctlfd (the daemon's end) is readable or closed;
 * ctx comes back with the sessions. 0, or -1 with err when the server does not start. */
int web_serve(struct web_ctx *ctx, int lfd, int ctlfd, unsigned idle_s, char *err, size_t errlen);
/* recall-gate (gate/web_listen.c): the control socket the page process talks to. */
void gate_web_set_ctl(const char *path);
void web_resp_free(struct web_resp *resp);

/* Pages (web_html.c) and JSON (web_api.c), for an authenticated session. */
void web_page_devices(struct web_ctx *w, struct web_session *s, struct web_resp *r);
void web_page_login(struct web_resp *r, unsigned status, const char *msg);
void web_page_message(struct web_resp *r, unsigned status, const char *title, const char *msg);
void web_api_devices(struct web_ctx *w, const uint8_t *mac, struct web_resp *r);
void web_api_error(struct web_resp *r, unsigned status, const char *msg);

/* The page's one style sheet (inline; the CSP names its SHA-256). */
extern const char web_css[];

/* Shared views of a device (web_html.c), the same words on the page and in the API. */
const char *web_state_name(enum gate_state st);    /* "clear", "possibly affected", ... */
const char *web_conf_name(enum gate_conf c);       /* "declared", "described", ... */
const char *web_policy_name(enum gate_policy p);   /* "enforce", "notify only", "always allow" */
const char *web_src_name(unsigned src);            /* "DHCP", "UPnP", ... */
const char *web_field_name(unsigned f);            /* "hostname", "vendor class", ... */
const char *web_todo(const struct gate_device *d); /* what the owner should do */
void web_mac_str(const uint8_t mac[6], char out[18]);
/* A MAC address of n bytes of s (aa:bb:cc:dd:ee:ff or aa-bb-..., G1's gate_mac_parse). */
int web_mac_parse(const char *s, size_t n, uint8_t mac[6]);
void web_addr_str(const struct gate_addr *a, char *out, size_t cap);
/* Owner actions by name ("quarantine", "release", "confirm-fw", "allow", "notify", "enforce"). */
int web_action_parse(const char *s, size_t n, enum gate_action *act);
const char *web_action_name(enum gate_action a);
/* The actions the page offers for d (the API lists the same; gate_action decides). */
bool web_action_offered(const struct gate_device *d, enum gate_action a);
/* What the page calls the device: friendly name, hostname or model; NULL: use the MAC. */
const struct gate_val *web_display_name(const struct gate_device *d);

#endif
