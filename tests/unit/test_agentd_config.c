/* recall-agent.conf: identity (inline and from an os-release-style file), anchors, addresses,
 * and an error that names file, line and key for every kind of mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "agentd.h"

static char dir[64], conf[96], anchors[96], idfile[96];
static struct agentd d;
static char err[CONF_ERR_MAX];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/agentd_conf.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/agent.conf", dir);
	snprintf(anchors, sizeof(anchors), "%s/anchors.cbor", dir);
	snprintf(idfile, sizeof(idfile), "%s/os-release", dir);
	struct rc_anchors a = {.epoch = 3, .k = 1, .n = 1};
	uint8_t sk[64], buf[256];
	size_t len;
	crypto_sign_keypair(a.a[0].pk, sk);
	rc_kid(a.a[0].kid, a.a[0].pk);
	assert_int_equal(rc_anchors_encode(&a, buf, sizeof(buf), &len), RC_OK);
	FILE *f = fopen(anchors, "wb");
	assert_non_null(f);
	fwrite(buf, 1, len, f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Write a config made of the base lines plus extra, load it; returns the load result. */
static int load(const char *base, const char *extra)
{
	char text[4096];
	snprintf(text, sizeof(text), "anchors = %s\nstate-dir = %s/state\n%s%s", anchors, dir, base,
		 extra);
	put(conf, text);
	err[0] = 0;
	int rc = agentd_config_load(&d, conf, err, sizeof(err));
	if (rc < 0)
		agentd_config_free(&d);
	return rc;
}

#define BASE                                                                                       \
	"vendor = TP-Link\nmodel = Archer AX21\nhwrev = V1.26\nfwver = 1.0.3 Build 2021\n"         \
	"checkin-address = 192.0.2.74 [2001:db8::74]:9000\n"

static void test_good(void **state)
{
	(void)state;
	assert_int_equal(load(BASE,
			      "build-date = 1700000000\nimage-digest = "
			      "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"),
			 0);
	assert_string_equal(d.vendor, "tp-link");
	assert_string_equal(d.model, "archer%20ax21");
	assert_string_equal(d.hwrev, "v1.26");
	assert_string_equal(d.fwver, "1.0.3 Build 2021");
	assert_true(d.ac.id.has_build_date);
	assert_true(d.ac.id.has_digest);
	assert_int_equal(d.ac.id.digest[31], 0xff);
	assert_int_equal(d.ac.anchors.epoch, 3);
	assert_int_equal(d.ac.nresponders, 2);
	assert_int_equal(d.ac.responders[0].family, 4);
	assert_int_equal(d.ac.responders[0].port, RC_PORT);
	assert_int_equal(d.ac.responders[1].family, 6);
	assert_int_equal(d.ac.responders[1].port, 9000);
	assert_int_equal(d.ac.periodic_s, 30 * 86400);
	assert_int_equal(d.ac.recheck_s, 3600);
	assert_int_equal(d.ac.attach_interval_ms, RC_AGENT_ATTACH_INTERVAL_MS);
	assert_int_equal(d.ac.timing_write_s, RC_AGENT_TIMING_WRITE_S);
	assert_false(d.ac.checkin_off);
	assert_ptr_equal(d.sys, &sys_linux);
	assert_int_equal(d.sp.table, SYS_TABLE_DEF);
	assert_int_equal(d.sp.pref, SYS_PREF_DEF);
	/* LAN announcements tell every LAN host which unpatched bug this device has: off unless
	 * the owner asks for them (recall-agent.conf(5), docs/ANNOUNCE.md). */
	assert_false(d.c.announce);
	agentd_config_free(&d);
	assert_int_equal(load(BASE, "announce = yes\n"), 0);
	assert_true(d.c.announce);
	agentd_config_free(&d);
	assert_int_equal(load(BASE, "checkin = off\nsystem = dummy\nperiodic = 2d\n"), 0);
	assert_true(d.ac.checkin_off);
	assert_ptr_equal(d.sys, &sys_dummy);
	assert_int_equal(d.ac.periodic_s, 2 * 86400);
	agentd_config_free(&d);
	assert_int_equal(load(BASE, "attach-interval = 5m\ntiming-write-interval = 1h\n"), 0);
	assert_int_equal(d.ac.attach_interval_ms, 300000);
	assert_int_equal(d.ac.timing_write_s, 3600);
	assert_int_equal(d.ac.start_spread_ms, RC_AGENT_START_SPREAD_MS); /* default 1m */
	agentd_config_free(&d);
	assert_int_equal(load(BASE, "start-spread = 0\n"), 0);
	assert_int_equal(d.ac.start_spread_ms, 0);
	agentd_config_free(&d);
	assert_int_equal(load(BASE, "start-spread = 5m\n"), 0);
	assert_int_equal(d.ac.start_spread_ms, 300000);
	agentd_config_free(&d);
	/* Check-in mode (recall-agent.conf(5) "mode"): normal unless private is asked for. */
	assert_int_equal(load(BASE, ""), 0);
	assert_int_equal(d.c.mode, AGENTD_MODE_NORMAL);
	assert_false(d.ac.private_mode);
	agentd_config_free(&d);
	assert_int_equal(load(BASE, "mode = private\n"), 0);
	assert_true(d.ac.private_mode);
	assert_string_equal(agentd_mode_name(d.c.mode), "private");
	agentd_config_free(&d);
}

static void test_identity_file(void **state)
{
	(void)state;
	put(idfile, "NAME=\"Some OS\"\nVERSION_ID=22.03.5\n# comment\nRECALL_VENDOR='Acme Corp'\n"
		    "RECALL_MODEL=\"Cam \\\"Pro\\\"\"\nRECALL_BUILD_DATE=1690000000\n");
	char extra[256];
	snprintf(extra, sizeof(extra), "identity-file = %s\ncheckin-address = 127.0.0.1\n", idfile);
	assert_int_equal(load("", extra), 0);
	assert_string_equal(d.vendor, "acme%20corp");
	assert_string_equal(d.model, "cam%20%22pro%22");
	assert_string_equal(d.fwver, "22.03.5"); /* VERSION_ID fallback */
	assert_int_equal(d.ac.id.build_date, 1690000000);
	agentd_config_free(&d);
	/* Values in the configuration win over the file. */
	snprintf(extra, sizeof(extra),
		 "identity-file = %s\ncheckin-address = 127.0.0.1\nfwver = 9\n", idfile);
	assert_int_equal(load("", extra), 0);
	assert_string_equal(d.fwver, "9");
	agentd_config_free(&d);
	/* A missing identity file is named. */
	assert_int_equal(
	    load("checkin-address = 127.0.0.1\n", "identity-file = /nonexistent/os-release\n"), -1);
	assert_non_null(strstr(err, "/nonexistent/os-release"));
}

struct bad {
	const char *extra;
	const char *expect; /* substring of the error */
};

static void test_errors(void **state)
{
	(void)state;
	static const struct bad cases[] = {
	    {"bogus = 1\n", "unknown key 'bogus'"},
	    {"port = 70000\n", "port"},
	    {"periodic = 1h\n", "periodic"},
	    {"attach-interval = 0\n", "attach-interval"},
	    {"attach-interval = 2h\n", "attach-interval"},
	    {"start-spread = 11m\n", "start-spread"},
	    {"timing-write-interval = 500ms\n", "timing-write-interval"},
	    {"timing-write-interval = 2d\n", "timing-write-interval"},
	    {"image-digest = 00zz\n", "image-digest"},
	    {"image-digest = 0011\n", "image-digest"},
	    {"system = bsd\n", "system"},
	    {"table = 254\n", "table"},
	    {"checkin = maybe\n", "checkin"},
	    {"mode = secret\n", "mode"},
	    {"vendor = again\n", "set twice"},
	    {"checkin-address = not-an-address\n", "checkin-address"},
	    {"state-dir = relative/path\n", "state-dir"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(BASE, cases[i].extra), -1);
		if (!strstr(err, cases[i].expect) || !strstr(err, conf))
			fail_msg("case %zu: error '%s' lacks '%s' or the file name", i, err,
				 cases[i].expect);
	}
	/* Missing identity fields and addresses. */
	assert_int_equal(load("vendor = a\nmodel = b\ncheckin-address = 127.0.0.1\n", ""), -1);
	assert_non_null(strstr(err, "fwver"));
	assert_int_equal(load("vendor = a\nfwver = 1\ncheckin-address = 127.0.0.1\n", ""), -1);
	assert_non_null(strstr(err, "model"));
	assert_int_equal(load("vendor = a\nmodel = b\nfwver = 1\n", ""), -1);
	assert_non_null(strstr(err, "checkin-address"));
	assert_int_equal(load("vendor = a\nmodel = b\nfwver = \" 1\"\ncheckin-address = ::1\n", ""),
			 -1);
	assert_non_null(strstr(err, "fwver"));
	/* Anchors: missing file, garbage file. */
	char line[160];
	snprintf(line, sizeof(line), "%s/nonexistent.cbor", dir);
	put(conf, "");
	char text[1024];
	snprintf(text, sizeof(text), "anchors = %s\n" BASE, line);
	put(conf, text);
	assert_int_equal(agentd_config_load(&d, conf, err, sizeof(err)), -1);
	agentd_config_free(&d);
	assert_non_null(strstr(err, "nonexistent.cbor"));
	put(anchors, "this is not CBOR");
	assert_int_equal(load(BASE, ""), -1);
	assert_non_null(strstr(err, "anchors"));
	/* A missing configuration file. */
	assert_int_equal(agentd_config_load(&d, "/nonexistent/recall-agent.conf", err, sizeof(err)),
			 -1);
	agentd_config_free(&d);
	assert_non_null(strstr(err, "/nonexistent/recall-agent.conf"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identity_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
