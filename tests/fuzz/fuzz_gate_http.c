/* libFuzzer target: recall-gate's owner page and JSON API request handler (web_handle: method,
 * path, Host, Origin, session cookie, X-CSRF-Token, Content-Type and body, exactly what
 * gate/web.c hands it from libmicrohttpd), with an inventory whose device names are
 * script-injection payloads (tests/helpers/gate_web_fake.h).
 * Input: byte 0 flags: bit 0 send the logged-in session's cookie, bit 1 its CSRF token in the
 * header, bit 2 "csrf=<its token>&" before the body, bit 3 the body was over the cap, bit 4 Host
 * from the input (else the listen address), bit 5 Origin from the input (else none). The rest:
 * method, path, Host, Origin, cookie, CSRF header and Content-Type, each ending at '\n', then the
 * body (up to WEB_BODY_MAX bytes).
 * Properties: never crash; a known status; an owner action happens only with the session's
 * cookie and its CSRF token; no HTML answer holds an element from the payloads; a JSON answer
 * parses. Logins are rate limited from the start (a hash per input would be too slow), so the
 * login form's parsing is fuzzed up to the limiter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "gate_web_fake.h"
#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gate g;
static struct web_ctx w;
static struct web_auth saved;
static char cookie[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1];

static void init(void)
{
	char dir[] = "/tmp/fuzz_gate_http.XXXXXX", err[512], pwf[64];
	int fds[2];
	g.now = 1700000000;
	fake_inventory();
	if (!mkdtemp(dir) || pipe(fds) != 0 || write(fds[1], "fuzz password\n", 14) != 14)
		abort();
	close(fds[1]);
	if (gate_passwd_set(dir, fds[0], err, sizeof err) != 0)
		abort();
	close(fds[0]);
	w.g = &g;
	strcpy(w.listen_host, "192.168.1.1:8080");
	strcpy(w.listen_addr, "192.168.1.1");
	unsigned retry;
	if (web_auth_init(&w.auth, dir, err, sizeof err) != 0 ||
	    web_login(&w.auth, "192.168.1.50", "fuzz password", 13, g.now, cookie, &retry, err,
		      sizeof err) != 0)
		abort();
	struct web_session *s = web_session_find(&w.auth, cookie, g.now);
	if (!s)
		abort();
	memcpy(csrf, s->csrf, sizeof csrf);
	snprintf(pwf, sizeof pwf, "%s/password", dir);
	unlink(pwf);
	rmdir(dir);
	saved = w.auth;
	saved.global.tokens = 0;
	saved.global.last = g.now;
}

/* The next field up to '\n' as a NUL-terminated copy (NULL when the input has ended). */
static char *field(const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	const uint8_t *e = nl ? nl : end;
	char *s = malloc((size_t)(e - *p) + 1);
	if (!s)
		abort();
	memcpy(s, *p, (size_t)(e - *p));
	s[e - *p] = '\0';
	*p = nl ? nl + 1 : end;
	return s;
}

static bool has_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		init();
		ready = true;
	}
	if (size < 1)
		return 0;
	uint8_t fl = data[0];
	const uint8_t *p = data + 1, *end = data + size;
	char *f[7];
	for (int i = 0; i < 7; i++)
		f[i] = field(&p, end);
	static char body[WEB_BODY_MAX + 1];
	size_t blen = 0;
	if (fl & 4)
		blen = (size_t)snprintf(body, sizeof body, "csrf=%s&", csrf);
	size_t rest = (size_t)(end - p);
	if (rest > WEB_BODY_MAX - blen)
		rest = WEB_BODY_MAX - blen;
	memcpy(body + blen, p, rest);
	blen += rest;
	body[blen] = '\0';

	w.auth = saved;
	int acts = fake_nacts;
	struct web_req q = {
	    .method = f[0] ? f[0] : "GET",
	    .path = f[1] ? f[1] : "/",
	    .host = (fl & 16) ? f[2] : w.listen_host,
	    .origin = (fl & 32) ? f[3] : NULL,
	    .session = (fl & 1) ? cookie : f[4],
	    .csrf_header = (fl & 2) ? csrf : f[5],
	    .content_type = f[6],
	    .body = body,
	    .body_len = blen,
	    .body_too_large = (fl & 8) != 0,
	};
	strcpy(q.peer, "192.168.1.50");
	struct web_resp r;
	web_handle(&w, &q, &r);

	static const unsigned ok[] = {200, 303, 400, 401, 403, 404, 405,
				      409, 413, 421, 429, 500, 503};
	bool known = false;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		known |= r.status == ok[i];
	if (!known)
		abort();
	if (fake_nacts != acts && !((fl & 1) && (fl & 6)))
		abort(); /* an action without the session and its token */
	if (r.body.p && !r.ctype &&
	    (has_ci(r.body.p, r.body.len, "<script") || has_ci(r.body.p, r.body.len, "<img") ||
	     has_ci(r.body.p, r.body.len, "<svg")))
		abort();
	if (r.body.p && r.ctype && strcmp(r.ctype, "application/json") == 0) {
		json_t *j = json_loadb(r.body.p, r.body.len, 0, NULL);
		if (!j)
			abort();
		json_decref(j);
	}
	web_resp_free(&r);
	for (int i = 0; i < 7; i++)
		free(f[i]);
	return 0;
}
