/* recall-agent without root: the dummy backend, prefixes, the LAN announcement's JSON, and the
 * hooks runner (order, environment, name rules, timeout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentd.h"

static void test_dummy(void **state)
{
	(void)state;
	struct sys_params p = {SYS_TABLE_DEF, SYS_PREF_DEF};
	struct sys_quarantine q = {0};
	sys_dummy_reset();
	assert_ptr_equal(sys_find("dummy"), &sys_dummy);
	assert_ptr_equal(sys_find("linux"), &sys_linux);
	assert_null(sys_find("bsd"));
	assert_int_equal(sys_dummy.init(&p), 0);
	assert_int_equal(sys_prefix_parse(&q.allow[0], "198.51.100.74"), 0);
	assert_int_equal(sys_prefix_parse(&q.allow[1], "2001:db8::/32"), 0);
	q.nallow = 2;
	assert_int_equal(sys_dummy.apply(&q), 0);
	assert_true(sys_dummy_active());
	assert_int_equal(sys_dummy.apply(&q), 0); /* idempotent */
	assert_true(sys_dummy_active());
	sys_dummy_fail(1);
	assert_int_equal(sys_dummy.release(), -1);
	assert_true(sys_dummy_active());
	assert_int_equal(sys_dummy.release(), 0);
	assert_false(sys_dummy_active());
	assert_int_equal(sys_dummy_ncalls(), 5);
	assert_string_equal(sys_dummy_call(0), "init 7412/74");
	assert_string_equal(sys_dummy_call(1), "apply 198.51.100.74/32 2001:db8::/32");
	assert_string_equal(sys_dummy_call(4), "release");
	assert_null(sys_dummy_call(5));
	sys_dummy_inject(SYS_EV_ATTACH);
	assert_int_equal(sys_dummy.monitor_read(), SYS_EV_ATTACH);
	assert_int_equal(sys_dummy.monitor_read(), 0);
	assert_int_equal(sys_dummy.monitor_fd(), -1);
}

static void test_prefix(void **state)
{
	(void)state;
	struct sys_prefix p;
	char b[64];
	assert_int_equal(sys_prefix_parse(&p, "192.0.2.0/24"), 0);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.plen, 24);
	assert_string_equal(sys_prefix_str(&p, b, sizeof(b)), "192.0.2.0/24");
	assert_int_equal(sys_prefix_parse(&p, "::1"), 0);
	assert_int_equal(p.plen, 128);
	static const char *const bad[] = {"",           "/24",         "192.0.2.1/33", "::/129",
					  "192.0.2.1/", "192.0.2.1/x", "host.example", "1.2.3.4.5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sys_prefix_parse(&p, bad[i]), -1);
}

/* The LAN a quarantined device keeps: its address's prefix, never shorter than /16 (IPv4) or
 * /64 (IPv6), host bits cleared. */
static void test_lan_bound(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"192.0.2.10/24", "192.0.2.0/24"},        {"10.1.2.3/8", "10.1.0.0/16"},
	    {"172.20.9.9/12", "172.20.0.0/16"},       {"10.1.2.3/16", "10.1.0.0/16"},
	    {"192.0.2.10/1", "192.0.0.0/16"},         {"192.0.2.10/0", "192.0.0.0/16"},
	    {"192.0.2.10/31", "192.0.2.10/31"},       {"192.0.2.10/32", "192.0.2.10/32"},
	    {"2001:db8:1::10/64", "2001:db8:1::/64"}, {"2001:db8:2:3::10/48", "2001:db8:2:3::/64"},
	    {"2001:db8::1/3", "2001:db8::/64"},       {"fe80::1:2/64", "fe80::/64"},
	    {"2001:db8::10/120", "2001:db8::/120"},   {"2001:db8::10/128", "2001:db8::10/128"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sys_prefix a, n;
		char b[64];
		assert_int_equal(sys_prefix_parse(&a, cases[i][0]), 0);
		sys_lan_bound(&n, &a);
		assert_string_equal(sys_prefix_str(&n, b, sizeof(b)), cases[i][1]);
	}
}

static struct agentd ad;

static void init_agentd(void)
{
	memset(&ad, 0, sizeof(ad));
	strcpy(ad.vendor, "acme");
	strcpy(ad.model, "cam%20\"x\"");
	strcpy(ad.fwver, "1.0");
	ad.c.announce = true;
	ad.c.hook_timeout = 300;
}

static void test_announce_json(void **state)
{
	(void)state;
	char out[AGENTD_ANN_MAX];
	static char text[RC_TEXT_MAX + 1];
	init_agentd();
	struct rc_notice n = {0};
	n.id = rc_str_c("N-1");
	n.expiry = 1900000000;
	n.remedy_url = rc_str_c("https://x.example/\"fix\"");
	n.text = rc_str_c("line1\nline2\ttab \\ end");
	size_t len = announce_format(out, sizeof(out), &ad, "recalled", "quarantined", &n);
	assert_int_equal(len, strlen(out));
	assert_non_null(strstr(out, "\"model\":\"cam%20\\\"x\\\"\""));
	assert_non_null(strstr(out, "\"text\":\"line1\\u000aline2\\u0009tab \\\\ end\""));
	assert_non_null(strstr(out, "\"url\":\"https://x.example/\\\"fix\\\"\""));
	assert_non_null(strstr(out, "\"expiry\":1900000000"));
	assert_int_equal(out[0], '{');
	assert_int_equal(out[len - 1], '}');
	/* The longest text of control characters still fits, shortened, and stays an object. */
	memset(text, 1, RC_TEXT_MAX);
	n.text = (struct rc_str){text, RC_TEXT_MAX};
	len = announce_format(out, sizeof(out), &ad, "recalled", "quarantined", &n);
	assert_true(len < sizeof(out));
	assert_int_equal(out[len - 1], '}');
	assert_int_equal(out[len - 2], '"');
	/* Without a notice. */
	len = announce_format(out, sizeof(out), &ad, "released-clear", "normal", NULL);
	assert_null(strstr(out, "notice"));
}

static void test_json_escape_utf8(void **state)
{
	(void)state;
	char out[8];
	/* "aé€": 1 + 2 + 3 bytes; a 6-byte buffer holds "aé" and must not cut the euro sign. */
	size_t n = json_escape(out, 6, 0, "a\xc3\xa9\xe2\x82\xac", 6);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "a\xc3\xa9", 3);
	n = json_escape(out, sizeof(out), 0, "\"", 1);
	assert_string_equal(out, "\\\"");
	/* A bidi override and a C1 CSI leave as escapes; one that does not fit is left out. */
	char big[32];
	json_escape(big, sizeof(big), 0, "a\xe2\x80\xae\xc2\x9b", 6);
	assert_string_equal(big, "a\\u202e\\u009b");
	assert_int_equal(json_escape(big, 7, 0, "a\xe2\x80\xae", 4), 1);
}

static char dir[64];

static void put_hook(const char *name, const char *body, mode_t mode)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	chmod(path, mode);
}

static void test_hooks(void **state)
{
	(void)state;
	char cmd[160], out[4096];
	/* qemu-user (armhf runs of bench/agent/footprint) crashes in the child of fork(). */
	if (getenv("RECALL_NO_FORK"))
		skip();
	snprintf(dir, sizeof(dir), "/tmp/agentd_hooks.XXXXXX");
	assert_non_null(mkdtemp(dir));
	init_agentd();
	ad.c.hooks_dir = dir;
	put_hook("20-env",
		 "#!/bin/sh\nenv | grep ^RECALL_ | sort > \"$(dirname \"$0\")/env.out\"\n"
		 "echo 20 $1 >> \"$(dirname \"$0\")/order.out\"\n",
		 0755);
	put_hook("10-first", "#!/bin/sh\necho 10 $1 >> \"$(dirname \"$0\")/order.out\"\n", 0755);
	put_hook("30-slow", "#!/bin/sh\nsleep 30\necho late >> \"$(dirname \"$0\")/order.out\"\n",
		 0755);
	put_hook("40-after", "#!/bin/sh\necho 40 >> \"$(dirname \"$0\")/order.out\"\n", 0755);
	put_hook("15-noexec", "#!/bin/sh\necho noexec >> \"$(dirname \"$0\")/order.out\"\n", 0644);
	put_hook("16-bad.name", "#!/bin/sh\necho dot >> \"$(dirname \"$0\")/order.out\"\n", 0755);
	struct rc_notice n = {0};
	n.id = rc_str_c("N-7");
	n.text = rc_str_c("Bad \x01 thing \xe2\x80\xae\nsecond line");
	n.remedy_url = rc_str_c("https://fix.example/");
	n.severity = RC_SEV_HIGH;
	n.nrefs = 2;
	n.refs[0] = rc_str_c("CVE-1");
	n.refs[1] = rc_str_c("CVE-2");
	int pid = hooks_run(&ad, "recalled", "quarantined", &n);
	assert_true(pid > 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(cmd, sizeof(cmd), "%s/order.out", dir);
	FILE *f = fopen(cmd, "r");
	assert_non_null(f);
	size_t len = fread(out, 1, sizeof(out) - 1, f);
	fclose(f);
	out[len] = 0;
	/* Name order, the slow hook killed after hook-timeout, the next one still run. */
	assert_string_equal(out, "10 recalled\n20 recalled\n40\n");
	snprintf(cmd, sizeof(cmd), "%s/env.out", dir);
	f = fopen(cmd, "r");
	assert_non_null(f);
	len = fread(out, 1, sizeof(out) - 1, f);
	fclose(f);
	out[len] = 0;
	assert_non_null(strstr(out, "RECALL_NOTICE_ID=N-7\n"));
	assert_non_null(strstr(out, "RECALL_STATE=quarantined\n"));
	assert_non_null(strstr(out, "RECALL_EVENT=recalled\n"));
	assert_non_null(strstr(out, "RECALL_URL=https://fix.example/\n"));
	assert_non_null(strstr(out, "RECALL_SEVERITY=high\n"));
	assert_non_null(strstr(out, "RECALL_REFS=CVE-1 CVE-2\n"));
	/* Escaped by rc_text_safe (a control byte and a bidi override); the line break kept
	 * (the hook's grep drops the second line). */
	assert_non_null(strstr(out, "RECALL_TEXT=Bad \\x01 thing \\u202e\n"));
	assert_non_null(strstr(out, "RECALL_MODEL=cam%20\"x\"\n"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	/* A missing directory is not an error worth a child: none is started. */
	ad.c.hooks_dir = "/nonexistent/hooks.d";
	assert_int_equal(hooks_run(&ad, "released-clear", "normal", NULL), 0);
	ad.c.hooks_dir = NULL;
	assert_int_equal(hooks_run(&ad, "recalled", "quarantined", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dummy),
	    cmocka_unit_test(test_prefix),
	    cmocka_unit_test(test_lan_bound),
	    cmocka_unit_test(test_announce_json),
	    cmocka_unit_test(test_json_escape_utf8),
	    cmocka_unit_test(test_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
