/* The request handler of the owner's page and API: a pure function of one request (method,
 * path, session cookie, CSRF header, Host/Origin, body) to one response, so the unit test and
 * the fuzz target drive it without a socket. Order of checks: method, Host, body size, Origin,
 * then login, then the session, then the CSRF token of every POST. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "web.h"

void web_resp_free(struct web_resp *r)
{
	free(r->body.p);
	memset(r, 0, sizeof *r);
}

static bool lan_name(const char *h, size_t n)
{
	/* Names only the home's own resolver answers, which a DNS rebinding attacker cannot
	 * point at the gateway: a single label, or .lan/.home.arpa/.local/.internal. */
	static const char *const sfx[] = {".lan", ".home.arpa", ".local", ".internal"};
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(h[i] == '-' || h[i] == '.' || (h[i] >= '0' && h[i] <= '9') ||
		      ((h[i] | 0x20) >= 'a' && (h[i] | 0x20) <= 'z')))
			return false;
	if (!memchr(h, '.', n))
		return !(h[0] >= '0' && h[0] <= '9');
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		size_t k = strlen(sfx[i]);
		if (n > k && strncasecmp(h + n - k, sfx[i], k) == 0)
			return true;
	}
	return false;
}

/* Host must name this gateway: the listen address (with or without its port) or a LAN name. */
static bool host_ok(const struct web_ctx *w, const char *host)
{
	if (!host)
		return false;
	if (strcmp(host, w->listen_host) == 0 || strcmp(host, w->listen_addr) == 0)
		return true;
	const char *colon = strrchr(host, ':');
	const char *lport = strrchr(w->listen_host, ':');
	size_t n = strlen(host);
	if (colon) {
		if (!lport || strcmp(colon, lport) != 0)
			return false;
		n = (size_t)(colon - host);
	}
	return lan_name(host, n);
}

/* Origin, when a browser sends one with a POST, must be this page's own. "null" is what a
 * browser sends for the page's own forms under Referrer-Policy: no-referrer (Fetch standard,
 * "serializing a request origin"); the CSRF token is what stops a forged POST. */
static bool origin_ok(const struct web_req *q)
{
	if (!q->origin || strcmp(q->origin, "null") == 0)
		return true;
	return strncmp(q->origin, "http://", 7) == 0 && q->host &&
	       strcmp(q->origin + 7, q->host) == 0;
}

/* Value of one field of an application/x-www-form-urlencoded body, decoded; -1 if absent. */
static int form_field(const struct web_req *q, const char *name, char *out, size_t cap)
{
	const char *p = q->body, *end = q->body ? q->body + q->body_len : NULL;
	size_t nl = strlen(name);
	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (eq && (size_t)(eq - p) == nl && memcmp(p, name, nl) == 0) {
			size_t vl = (size_t)(e - eq - 1);
			if (vl >= cap)
				return -1;
			memcpy(out, eq + 1, vl);
			out[vl] = '\0';
			for (size_t i = 0; i < vl; i++)
				if (out[i] == '+')
					out[i] = ' ';
			size_t m = MHD_http_unescape(out);
			out[m] = '\0';
			if (strlen(out) != m) /* an encoded NUL: refused */
				return -1;
			return 0;
		}
		p = amp ? amp + 1 : end;
	}
	return -1;
}

static void redirect(struct web_resp *r, const char *to)
{
	r->status = 303;
	snprintf(r->location, sizeof r->location, "%s", to);
}

static bool is_api(const struct web_req *q)
{
	return strncmp(q->path, "/api/", 5) == 0 || strcmp(q->path, "/api") == 0;
}

static void deny(struct web_ctx *w, const struct web_req *q, struct web_resp *r, unsigned st,
		 const char *msg)
{
	w->rejected++;
	if (is_api(q))
		web_api_error(r, st, msg);
	else
		web_page_message(r, st, "recall-gate", msg);
}

static void login(struct web_ctx *w, const struct web_req *q, struct web_resp *r, bool api)
{
	char pw[WEB_PW_MAX + 1], cookie[WEB_TOKEN_HEX + 1], err[512] = "";
	unsigned retry = 0;
	size_t pwlen = 0;
	bool have = false;
	if (api) {
		json_t *j =
		    q->body ? json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
		json_t *p = json_object_get(j, "password");
		if (json_is_string(p) && json_string_length(p) <= WEB_PW_MAX) {
			pwlen = json_string_length(p);
			memcpy(pw, json_string_value(p), pwlen);
			pw[pwlen] = '\0';
			have = true;
		}
		json_decref(j);
	} else if (form_field(q, "password", pw, sizeof pw) == 0) {
		pwlen = strlen(pw);
		have = true;
	}
	if (!have) {
		if (api)
			web_api_error(r, 400, "a JSON body {\"password\": \"...\"} is required");
		else
			web_page_login(r, 400, "Type the owner password.");
		return;
	}
	int rc =
	    web_login(&w->auth, q->peer, pw, pwlen, w->g->now, cookie, &retry, err, sizeof err);
	sodium_memzero(pw, sizeof pw);
	if (rc == -2) {
		r->retry_after = retry;
		if (api)
			web_api_error(r, 429, "too many failed logins; wait and try again");
		else
			web_page_login(r, 429,
				       "Too many failed logins; wait a minute and try again.");
		return;
	}
	if (rc == -3) {
		if (api)
			web_api_error(r, 503, err);
		else
			web_page_login(r, 503, err);
		return;
	}
	if (rc != 0) {
		if (api)
			web_api_error(r, 401, "wrong password");
		else
			web_page_login(r, 401, "Wrong password.");
		return;
	}
	snprintf(r->set_cookie, sizeof r->set_cookie,
		 WEB_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d", cookie,
		 WEB_SESSION_TTL);
	if (!api) {
		redirect(r, "/");
		return;
	}
	struct web_session *s = web_session_find(&w->auth, cookie, w->g->now);
	r->status = 200;
	r->ctype = "application/json";
	wb_printf(&r->body, "{\"csrf\": \"%s\"}\n", s ? s->csrf : "");
}

static void logout(struct web_ctx *w, struct web_session *s, struct web_resp *r, bool api)
{
	web_logout(&w->auth, s);
	snprintf(r->set_cookie, sizeof r->set_cookie,
		 WEB_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	if (api) {
		r->status = 200;
		r->ctype = "application/json";
		wb_puts(&r->body, "{}\n");
	} else {
		redirect(r, "/login");
	}
}

/* POST /device/<mac>/<action> (form) or /api/devices/<mac>/<action> (JSON). */
static void action(struct web_ctx *w, const struct web_req *q, struct web_session *s,
		   const char *rest, struct web_resp *r, bool api)
{
	uint8_t mac[6];
	enum gate_action act;
	const char *slash = strchr(rest, '/');
	if (!slash || web_mac_parse(rest, (size_t)(slash - rest), mac) != 0 ||
	    web_action_parse(slash + 1, strlen(slash + 1), &act) != 0) {
		deny(w, q, r, 404, "no such device action");
		return;
	}
	char fw[RC_FWVER_MAX + 1] = "", err[256] = "";
	if (act == GATE_ACT_CONFIRM_FW) {
		bool have = false;
		if (api) {
			json_t *j =
			    q->body ? json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, NULL)
				    : NULL;
			json_t *v = json_object_get(j, "fwver");
			if (json_is_string(v) && json_string_length(v) <= RC_FWVER_MAX) {
				snprintf(fw, sizeof fw, "%s", json_string_value(v));
				have = strlen(fw) == json_string_length(v);
			}
			json_decref(j);
		} else {
			have = form_field(q, "fwver", fw, sizeof fw) == 0;
		}
		if (!have || !rc_fwver_valid(rc_str_c(fw))) {
			deny(w, q, r, 400,
			     "confirm-fw needs a firmware version: 1 to 64 printable ASCII "
			     "characters, no spaces at either end");
			return;
		}
	}
	char ms[18];
	web_mac_str(mac, ms);
	if (!gate_inv_find(w->g->inv, mac)) {
		deny(w, q, r, 404, "no device with that MAC address");
		return;
	}
	int rc =
	    gate_action(w->g, mac, act, act == GATE_ACT_CONFIRM_FW ? fw : NULL, err, sizeof err);
	if (api) {
		if (rc != 0) {
			web_api_error(r, 409, err[0] ? err : "the action was refused");
			return;
		}
		web_api_devices(w, mac, r);
		return;
	}
	/* the action's own name (slash + 1 may carry more), and the reason cut to fit */
	const char *an = web_action_name(act);
	if (rc != 0)
		snprintf(s->flash, sizeof s->flash, "%s %s: refused: %.150s", an, ms,
			 err[0] ? err : "no reason given");
	else
		snprintf(s->flash, sizeof s->flash, "%s %s: done.", an, ms);
	char to[32];
	snprintf(to, sizeof to, "/#d-%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	redirect(r, to);
}

void web_handle(struct web_ctx *w, const struct web_req *q, struct web_resp *r)
{
	memset(r, 0, sizeof *r);
	w->requests++;
	bool get = q->method && strcmp(q->method, "GET") == 0;
	bool post = q->method && strcmp(q->method, "POST") == 0;
	if (!q->path || q->path[0] != '/') {
		deny(w, q, r, 400, "bad request path");
		return;
	}
	if (!get && !post) {
		deny(w, q, r, 405, "only GET and POST are served");
		return;
	}
	if (!host_ok(w, q->host)) {
		deny(w, q, r, 421, "this page answers only to the gateway's LAN address or name");
		return;
	}
	if (q->body_too_large) {
		deny(w, q, r, 413, "request body too large");
		return;
	}
	if (post && !origin_ok(q)) {
		deny(w, q, r, 403, "cross-origin request refused");
		return;
	}
	bool api = is_api(q);
	struct web_session *s = web_session_find(&w->auth, q->session, w->g->now);
	if (strcmp(q->path, "/login") == 0 || strcmp(q->path, "/api/login") == 0) {
		if (post)
			login(w, q, r, api);
		else if (api)
			deny(w, q, r, 405, "POST a JSON body {\"password\": \"...\"}");
		else if (s)
			redirect(r, "/");
		else
			web_page_login(r, 200, NULL);
		return;
	}
	if (!s) {
		w->rejected++;
		if (api)
			web_api_error(r, 401, "log in first (POST /api/login)");
		else if (get)
			redirect(r, "/login");
		else
			web_page_login(r, 401, "Your session has ended; log in again.");
		return;
	}
	if (post) {
		char tok[WEB_TOKEN_HEX + 2] = "";
		const char *t = api ? q->csrf_header
				    : (form_field(q, "csrf", tok, sizeof tok) == 0 ? tok : NULL);
		if (!web_csrf_ok(s, t)) {
			w->auth.csrf_failed++;
			deny(w, q, r, 403, "missing or wrong CSRF token; reload the page");
			return;
		}
	}
	if (get && strcmp(q->path, "/") == 0) {
		web_page_devices(w, s, r);
	} else if (get && strcmp(q->path, "/api/session") == 0) {
		r->status = 200;
		r->ctype = "application/json";
		wb_printf(&r->body, "{\"csrf\": \"%s\"}\n", s->csrf);
	} else if (get && strcmp(q->path, "/api/devices") == 0) {
		web_api_devices(w, NULL, r);
	} else if (get && strncmp(q->path, "/api/devices/", 13) == 0) {
		uint8_t mac[6];
		if (web_mac_parse(q->path + 13, strlen(q->path + 13), mac) != 0 ||
		    !gate_inv_find(w->g->inv, mac))
			web_api_error(r, 404, "no device with that MAC address");
		else
			web_api_devices(w, mac, r);
	} else if (post &&
		   (strcmp(q->path, "/logout") == 0 || strcmp(q->path, "/api/logout") == 0)) {
		logout(w, s, r, api);
	} else if (post && strncmp(q->path, "/device/", 8) == 0) {
		action(w, q, s, q->path + 8, r, false);
	} else if (post && strncmp(q->path, "/api/devices/", 13) == 0) {
		action(w, q, s, q->path + 13, r, true);
	} else {
		deny(w, q, r, 404, "not found");
	}
}
