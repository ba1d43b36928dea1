/* recall-gate's owner page and API (gate/web*.c, gate/auth.c) through the request handler:
 * escaping in every context with script-injection payloads, links only for http(s) URLs, login,
 * sessions, CSRF on every POST, the failed-login limit, Host/Origin checks, the password file.
 * The inventory, the notice store and gate_action are test doubles here (unit test only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "gate_web_fake.h"
#include "web.h"

static struct gate g;
static struct web_ctx w;
static char dir[64];
static const char PW[] = "correct horse battery";

static int setup(void **st)
{
	memset(&g, 0, sizeof g);
	g.now = 1700000000;
	fake_inventory();
	snprintf(dir, sizeof dir, "/tmp/test_gate_web.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char err[512];
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], PW, strlen(PW)), (ssize_t)strlen(PW));
	assert_int_equal(write(fds[1], "\n", 1), 1);
	close(fds[1]);
	assert_int_equal(gate_passwd_set(dir, fds[0], err, sizeof err), 0);
	close(fds[0]);
	memset(&w, 0, sizeof w);
	w.g = &g;
	snprintf(w.listen_host, sizeof w.listen_host, "192.168.1.1:8080");
	snprintf(w.listen_addr, sizeof w.listen_addr, "192.168.1.1");
	assert_int_equal(web_auth_init(&w.auth, dir, err, sizeof err), 0);
	return 0;
}

static int teardown(void **st)
{
	char p[96];
	snprintf(p, sizeof p, "%s/password", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

/* One request through the handler. */
static void req(const char *method, const char *path, const char *cookie, const char *csrf,
		const char *body, struct web_resp *r)
{
	struct web_req q = {.method = method,
			    .path = path,
			    .session = cookie,
			    .csrf_header = csrf,
			    .host = "192.168.1.1:8080",
			    .body = body,
			    .body_len = body ? strlen(body) : 0};
	snprintf(q.peer, sizeof q.peer, "192.168.1.50");
	web_handle(&w, &q, r);
}

/* Log in; the cookie value goes to cookie, the CSRF token to csrf. */
static void login(char cookie[WEB_TOKEN_HEX + 1], char csrf[WEB_TOKEN_HEX + 1])
{
	struct web_resp r;
	req("POST", "/login", NULL, NULL, "password=correct+horse+battery", &r);
	assert_int_equal(r.status, 303);
	assert_string_equal(r.location, "/");
	assert_non_null(strstr(r.set_cookie, "; HttpOnly"));
	assert_non_null(strstr(r.set_cookie, "; SameSite=Strict"));
	assert_non_null(strstr(r.set_cookie, "; Path=/"));
	assert_non_null(strstr(r.set_cookie, "Max-Age="));
	assert_int_equal(strncmp(r.set_cookie, WEB_COOKIE "=", strlen(WEB_COOKIE) + 1), 0);
	memcpy(cookie, r.set_cookie + strlen(WEB_COOKIE) + 1, WEB_TOKEN_HEX);
	cookie[WEB_TOKEN_HEX] = '\0';
	web_resp_free(&r);
	struct web_session *s = web_session_find(&w.auth, cookie, g.now);
	assert_non_null(s);
	memcpy(csrf, s->csrf, WEB_TOKEN_HEX + 1);
}

static void html(const char *s, const char *want)
{
	struct wbuf b = {0};
	wb_html(&b, s, strlen(s), true);
	assert_non_null(b.p);
	assert_string_equal(b.p, want);
	free(b.p);
}

static void test_escape(void **st)
{
	html(fake_xss[0], "&lt;script&gt;alert(1)&lt;/script&gt;");
	html(fake_xss[1], "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	html(fake_xss[2], "&#39;&gt;&lt;svg onload=alert(1)&gt;");
	html("a&amp;b", "a&amp;amp;b");
	/* UTF-8 edge cases: kept when valid, visible escapes otherwise */
	html("caf\xc3\xa9 \xf0\x9f\x93\xb7", "caf\xc3\xa9 \xf0\x9f\x93\xb7");
	html("\xc0\xbc"
	     "script",
	     "\\xc0\\xbcscript"); /* overlong '<' */
	html("a\xe2\x80\xae"
	     "b",
	     "a\\u202eb"); /* right-to-left override */
	html("\xff\xfe<", "\\xff\\xfe&lt;");
	html("x\xe2\x80", "x\\xe2\\x80"); /* truncated sequence */
	html("line\nbreak\ttab", "line\\x0abreak\\x09tab");
	/* a long value keeps multibyte characters whole across the internal chunks */
	char big[1200];
	size_t n = 0;
	while (n + 2 < sizeof big) {
		memcpy(big + n, "\xc3\xa9", 2);
		n += 2;
	}
	big[n] = '\0';
	struct wbuf b = {0};
	wb_html(&b, big, n, true);
	assert_string_equal(b.p, big);
	free(b.p);
}

static void test_url(void **st)
{
	assert_true(web_url_linkable("https://example.com/fix", 23));
	const char *ok[] = {"http://192.0.2.5/fw.bin", "HTTPS://EXAMPLE.COM/a?b=c&d=e"};
	for (size_t i = 0; i < 2; i++)
		assert_true(web_url_linkable(ok[i], strlen(ok[i])));
	const char *bad[] = {"javascript:alert(1)",
			     "JavaScript:alert(1)",
			     " javascript:alert(1)",
			     "java\tscript:alert(1)",
			     "data:text/html,<script>alert(1)</script>",
			     "vbscript:msgbox(1)",
			     "//evil.example/",
			     "http://",
			     "https:evil.example",
			     "http://a\"onmouseover=alert(1)",
			     "http://a/<script>",
			     "http://a/\xe2\x80\xae",
			     "file:///etc/passwd",
			     "ftp://example.com/",
			     ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(web_url_linkable(bad[i], strlen(bad[i])));
}

static bool has_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static void test_page_inert(void **st)
{
	char cookie[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1];
	login(cookie, csrf);
	struct web_resp r;
	fake_devs[0].last_seen = 1700000000;
	req("GET", "/", cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	const char *p = r.body.p;
	assert_non_null(strstr(p, "<dt>Last seen</dt><dd>2023-11-14 22:13 UTC</dd>"));
	assert_non_null(strstr(p, "<dt>Checked</dt><dd>never</dd>"));
	/* no element or attribute came from a device or the notice */
	assert_false(has_ci(p, "<script"));
	assert_false(has_ci(p, "<img"));
	assert_false(has_ci(p, "<svg"));
	assert_false(has_ci(p, "<b>now"));
	assert_false(has_ci(p, "javascript:alert(1)\""));
	assert_false(has_ci(p, "href=\"javascript"));
	assert_int_equal(strstr(p, "</style>") - strstr(p, "<style>"),
			 (ptrdiff_t)(strlen("<style>") + strlen(web_css)));
	/* the payloads are there as text */
	assert_non_null(strstr(p, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(p, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(p, "&#39;&gt;&lt;svg onload=alert(1)&gt;"));
	assert_non_null(strstr(p, "a&amp;b&lt;c&gt;d&quot;e&#39;f -&gt; hikvision"));
	assert_non_null(strstr(p, "Update &lt;b&gt;now&lt;/b&gt;"));
	assert_non_null(strstr(p, "evil")); /* bidi override shown as \u202e */
	assert_non_null(strstr(p, "\\u202e evil"));
	assert_non_null(strstr(p, "javascript:alert(1) (not a web link)"));
	/* both devices, the randomised MAC, a CSRF token in every form */
	assert_non_null(strstr(p, "c0:56:e3:11:22:33"));
	assert_non_null(strstr(p, "02:00:00:aa:bb:cc (randomised)"));
	assert_non_null(strstr(p, "192.168.1.23"));
	assert_non_null(strstr(p, "quarantined"));
	size_t forms = 0, tokens = 0;
	for (const char *q = p; (q = strstr(q, "<form")); q++)
		forms++;
	for (const char *q = p; (q = strstr(q, csrf)); q++)
		tokens++;
	assert_true(forms >= 5);
	assert_int_equal(forms, tokens);
	web_resp_free(&r);
	/* a good remedy URL becomes a link */
	fake_notice_url = "https://www.hikvision.com/en/support/cybersecurity/";
	req("GET", "/", cookie, NULL, NULL, &r);
	assert_non_null(strstr(r.body.p, "href=\"https://www.hikvision.com/en/support/"));
	web_resp_free(&r);
	/* in the attribute, & is a character reference too */
	fake_notice_url = "https://example.com/fw?model=a&build=b";
	req("GET", "/", cookie, NULL, NULL, &r);
	assert_non_null(strstr(r.body.p, "href=\"https://example.com/fw?model=a&amp;build=b\""));
	web_resp_free(&r);
}

static void test_api(void **st)
{
	char cookie[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1];
	login(cookie, csrf);
	struct web_resp r;
	req("GET", "/api/devices", cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	json_error_t je;
	json_t *j = json_loads(r.body.p, 0, &je);
	assert_non_null(j);
	json_t *d0 = json_array_get(json_object_get(j, "devices"), 0);
	assert_string_equal(json_string_value(json_object_get(d0, "name")), fake_xss[0]);
	json_t *hn = json_object_get(json_object_get(d0, "fields"), "hostname");
	assert_string_equal(json_string_value(json_object_get(hn, "value")), fake_xss[1]);
	assert_string_equal(json_string_value(json_object_get(hn, "source")), "dhcp");
	assert_string_equal(json_string_value(json_object_get(d0, "state")), "quarantined");
	json_t *nt = json_object_get(d0, "notice");
	assert_false(json_is_true(json_object_get(nt, "remedy_linkable")));
	assert_non_null(strstr(json_string_value(json_object_get(nt, "text")), "\\u202e"));
	assert_int_equal(json_array_size(json_object_get(j, "devices")), 2);
	json_decref(j);
	assert_null(strstr(r.body.p, "</script>")); /* JSON_ESCAPE_SLASH */
	web_resp_free(&r);

	req("GET", "/api/devices/02-00-00-AA-BB-CC", cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.p, "\"mac_random\": true"));
	web_resp_free(&r);
	req("GET", "/api/devices/02:00:00:aa:bb:cd", cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body.p, "\"error\""));
	web_resp_free(&r);

	/* POST with the header token; confirm-fw with a JSON body */
	req("POST", "/api/devices/c0:56:e3:11:22:33/confirm-fw", cookie, NULL,
	    "{\"fwver\": \"V5.4.0\"}", &r);
	assert_int_equal(r.status, 403);
	web_resp_free(&r);
	assert_int_equal(fake_nacts, 0);
	req("POST", "/api/devices/c0:56:e3:11:22:33/confirm-fw", cookie, csrf,
	    "{\"fwver\": \"V5.4.0\"}", &r);
	assert_int_equal(r.status, 200);
	web_resp_free(&r);
	assert_int_equal(fake_nacts, 1);
	assert_int_equal(fake_last_act, GATE_ACT_CONFIRM_FW);
	assert_string_equal(fake_last_arg, "V5.4.0");
	req("POST", "/api/devices/c0:56:e3:11:22:33/confirm-fw", cookie, csrf,
	    "{\"fwver\": \" bad\\u0001\"}", &r);
	assert_int_equal(r.status, 400);
	web_resp_free(&r);
	req("POST", "/api/devices/c0:56:e3:11:22:33/reboot", cookie, csrf, NULL, &r);
	assert_int_equal(r.status, 404);
	web_resp_free(&r);
	assert_int_equal(fake_nacts, 1);

	/* an app logs in with JSON and reads its token */
	req("POST", "/api/login", NULL, NULL, "{\"password\": \"correct horse battery\"}", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.p, "\"csrf\": \""));
	web_resp_free(&r);
}

static void test_auth(void **st)
{
	struct web_resp r;
	/* no session: pages send to the login page, the API says 401, actions do nothing */
	req("GET", "/", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 303);
	assert_string_equal(r.location, "/login");
	web_resp_free(&r);
	req("GET", "/api/devices", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	web_resp_free(&r);
	req("GET", "/", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", NULL,
	    NULL, &r);
	assert_int_equal(r.status, 303);
	web_resp_free(&r);
	req("POST", "/device/c0:56:e3:11:22:33/release", NULL, NULL, "csrf=x", &r);
	assert_int_equal(r.status, 401);
	web_resp_free(&r);
	req("GET", "/login", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.p, "name=\"password\""));
	web_resp_free(&r);
	req("POST", "/login", NULL, NULL, "password=wrong+horse", &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.set_cookie, "");
	web_resp_free(&r);

	char cookie[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1];
	login(cookie, csrf);
	/* CSRF: missing, wrong, another session's -> 403 and no action */
	req("POST", "/device/c0:56:e3:11:22:33/release", cookie, NULL, "x=1", &r);
	assert_int_equal(r.status, 403);
	web_resp_free(&r);
	char wrong[WEB_TOKEN_HEX + 8];
	snprintf(wrong, sizeof wrong, "csrf=%s", csrf);
	wrong[5] = wrong[5] == 'a' ? 'b' : 'a';
	req("POST", "/device/c0:56:e3:11:22:33/release", cookie, NULL, wrong, &r);
	assert_int_equal(r.status, 403);
	web_resp_free(&r);
	req("POST", "/device/c0:56:e3:11:22:33/release", cookie, csrf, "x=1", &r);
	assert_int_equal(r.status, 403); /* the header is for the API, forms carry the field */
	web_resp_free(&r);
	assert_int_equal(fake_nacts, 0);
	char good[WEB_TOKEN_HEX + 40];
	snprintf(good, sizeof good, "csrf=%s&do=release", csrf);
	req("POST", "/device/c0:56:e3:11:22:33/release", cookie, NULL, good, &r);
	assert_int_equal(r.status, 303);
	assert_string_equal(r.location, "/#d-c056e3112233");
	web_resp_free(&r);
	assert_int_equal(fake_nacts, 1);
	assert_int_equal(fake_last_act, GATE_ACT_RELEASE);
	assert_memory_equal(fake_last_mac, "\xc0\x56\xe3\x11\x22\x33", 6);
	/* the flash message shows once, escaped */
	req("GET", "/", cookie, NULL, NULL, &r);
	assert_non_null(strstr(r.body.p, "release c0:56:e3:11:22:33: done."));
	web_resp_free(&r);
	snprintf(good, sizeof good, "csrf=%s&fwver=V5.5.0+build+1", csrf);
	req("POST", "/device/c0:56:e3:11:22:33/confirm-fw", cookie, NULL, good, &r);
	assert_int_equal(r.status, 303);
	web_resp_free(&r);
	assert_string_equal(fake_last_arg, "V5.5.0 build 1");
	snprintf(good, sizeof good, "csrf=%s&fwver=a%%00b", csrf);
	req("POST", "/device/c0:56:e3:11:22:33/confirm-fw", cookie, NULL, good, &r);
	assert_int_equal(r.status, 400);
	web_resp_free(&r);

	/* Host and Origin */
	struct web_req q = {
	    .method = "GET", .path = "/", .session = cookie, .host = "evil.example:8080"};
	web_handle(&w, &q, &r);
	assert_int_equal(r.status, 421);
	web_resp_free(&r);
	q.host = "router.lan:8080";
	web_handle(&w, &q, &r);
	assert_int_equal(r.status, 200);
	web_resp_free(&r);
	snprintf(good, sizeof good, "csrf=%s", csrf);
	q = (struct web_req){.method = "POST",
			     .path = "/device/c0:56:e3:11:22:33/release",
			     .session = cookie,
			     .host = "192.168.1.1:8080",
			     .origin = "http://evil.example",
			     .body = good,
			     .body_len = strlen(good)};
	web_handle(&w, &q, &r);
	assert_int_equal(r.status, 403);
	web_resp_free(&r);
	q.origin = "http://192.168.1.1:8080";
	web_handle(&w, &q, &r);
	assert_int_equal(r.status, 303);
	web_resp_free(&r);
	q.body_too_large = true;
	web_handle(&w, &q, &r);
	assert_int_equal(r.status, 413);
	web_resp_free(&r);
	req("PUT", "/", cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 405);
	web_resp_free(&r);

	/* logout ends the session; an expired session is gone too */
	req("POST", "/logout", cookie, NULL, good, &r);
	assert_int_equal(r.status, 303);
	assert_non_null(strstr(r.set_cookie, "Max-Age=0"));
	web_resp_free(&r);
	req("GET", "/", cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 303);
	web_resp_free(&r);
	login(cookie, csrf);
	g.now += WEB_SESSION_TTL;
	req("GET", "/api/devices", cookie, NULL, NULL, &r);
	assert_int_equal(r.status, 401);
	web_resp_free(&r);
}

static void test_rate_limit(void **st)
{
	struct web_resp r;
	for (int i = 0; i < 5; i++) {
		req("POST", "/login", NULL, NULL, "password=guess", &r);
		assert_int_equal(r.status, 401);
		web_resp_free(&r);
	}
	/* now even the right password waits */
	req("POST", "/login", NULL, NULL, "password=correct+horse+battery", &r);
	assert_int_equal(r.status, 429);
	assert_true(r.retry_after > 0);
	assert_string_equal(r.set_cookie, "");
	web_resp_free(&r);
	g.now += 25;
	req("POST", "/login", NULL, NULL, "password=correct+horse+battery", &r);
	assert_int_equal(r.status, 303);
	web_resp_free(&r);
	assert_int_equal(w.auth.logins_failed, 5);
}

static void test_password_file(void **st)
{
	char err[512], p[96];
	struct web_auth a;
	snprintf(p, sizeof p, "%s/password", dir);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* root writes it for the owner of the state directory (the daemon's user) */
	if (geteuid() == 0) {
		int fds[2];
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], "another password\n", 17), 17);
		close(fds[1]);
		assert_int_equal(gate_passwd_set(dir, fds[0], err, sizeof err), 0);
		close(fds[0]);
		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_uid, 65534);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	/* a readable-by-others or missing file keeps the page from starting */
	chmod(p, 0644);
	assert_int_equal(web_auth_init(&a, dir, err, sizeof err), -1);
	assert_non_null(strstr(err, "recall-gate passwd"));
	unlink(p);
	assert_int_equal(web_auth_init(&a, dir, err, sizeof err), -1);
	assert_non_null(strstr(err, "run `recall-gate passwd`"));
	/* too short */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "short\n", 6), 6);
	close(fds[1]);
	assert_int_equal(gate_passwd_set(dir, fds[0], err, sizeof err), -1);
	close(fds[0]);
	assert_non_null(strstr(err, "8 to 128"));
	assert_int_equal(stat(p, &sb), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_url),
	    cmocka_unit_test_setup_teardown(test_page_inert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_password_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
