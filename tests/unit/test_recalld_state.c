/* Loading what recalld serves (responder/state.c): a good feed loads; a bad, unsigned,
 * truncated, older, expired or foreign one never does, with the reason; rotation chains;
 * configuration checks and policy rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sys/stat.h>

#include "probe/rdworld.h"

static int setup(void **state)
{
	struct world *w = malloc(sizeof(*w));
	world_init(w);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	free(*state);
	return 0;
}

static void put(const struct world *w, const char *name, const void *p, size_t n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void test_good_then_bad(void **state)
{
	struct world *w = *state;
	w->o.serial = 10;
	assert_int_equal(world_load(w, "", NULL), 0);
	assert_int_equal(w->st->fm->feed.meta.serial, 10);
	assert_int_equal(w->st->reused, 0);
	assert_int_equal(w->st->fm->feed.nnotices, 3);
	assert_int_equal(w->st->nrot, 2);
	assert_int_equal(w->st->anchors.epoch, 2);
	struct rd_state *good = w->st;

	struct {
		const char *corrupt;
		uint64_t serial;
		int64_t expiry;
		int want;
		const char *msg;
	} cases[] = {
	    {"sig", 11, 86400, RD_LOAD_SIGNATURE, "bad signature"},
	    {"wrongkey", 11, 86400, RD_LOAD_SIGNATURE, "feed.signature"},
	    {"truncate", 11, 86400, RD_LOAD_FORMAT, "feed"},
	    {"notice", 11, 86400, RD_LOAD_NOTICE, "too few trusted signatures"},
	    {"anchors", 11, 86400, RD_LOAD_ANCHORS, "made for other trust anchors"},
	    {NULL, 11, -5, RD_LOAD_EXPIRED, "expired"},
	    {NULL, 9, 86400, RD_LOAD_STALE, "serial 9 is not above the serial 10 held"},
	    {NULL, 10, 86400, RD_LOAD_STALE, "serial 10 is not above"}, /* same serial, new bytes */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w->o.corrupt = cases[i].corrupt;
		w->o.serial = cases[i].serial;
		w->o.expiry_off = cases[i].expiry;
		int rc = world_load(w, "", good);
		if (rc != cases[i].want || !strstr(w->err, cases[i].msg))
			fail_msg("case %zu: got %s '%s'", i, rd_load_err_name(rc), w->err);
		assert_ptr_equal(w->st, good); /* still the good one */
	}
	/* the next good serial replaces it */
	w->o.corrupt = NULL;
	w->o.serial = 11;
	w->o.expiry_off = 86400;
	assert_int_equal(world_load(w, "", good), 0);
	assert_int_equal(w->st->fm->feed.meta.serial, 11);
	/* the same three notices (same bytes): their verification carried over */
	assert_int_equal(w->st->reused, 3);
	assert_int_equal(w->st->fm->ndigests, 3);
	/* reloading the same bytes (a SIGHUP with a new policy) shares the mapping */
	struct rd_state *cur = w->st;
	struct rd_config *cfg = NULL;
	struct rd_state *again;
	assert_int_equal(world_config(w, &cfg, "default-action = monitor\n"), 0);
	assert_int_equal(
	    rd_state_load(&again, cfg, cur, 99, false, w->o.now, w->err, sizeof(w->err)), 0);
	assert_ptr_equal(again->fm, cur->fm);
	assert_int_equal(again->fm->refs, 2);
	assert_int_equal(again->cfg->default_action, RD_MONITOR);
	rd_state_free(again);
	assert_int_equal(cur->fm->refs, 1);
}

/* A feed whose entries are out of the order of PROTOCOL.md 14.2 (two notices of one model
 * swapped, then signed again by the feed key) is refused: the order decides what is served. */
static void test_feed_order(void **state)
{
	struct world *w = *state;
	char path[256];
	rdfix_model = "cam-1"; /* RC-TEST-1 and -3 (high), then RC-TEST-2 (medium) */
	assert_int_equal(rdfix_write_dir(w->dir, &w->o, true), 0);
	assert_int_equal(world_load(w, "", NULL), 0);
	snprintf(path, sizeof(path), "%s/feed", w->dir);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t buf[8192];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct rc_feed fd;
	assert_int_equal(rc_feed_parse(&fd, buf, len, NULL), RC_OK);
	size_t e = (size_t)(fd.entries - buf), n = (size_t)(fd.notices - buf);
	uint32_t l0 = (uint32_t)buf[e + 12] | (uint32_t)buf[e + 13] << 8,
		 l1 = (uint32_t)buf[e + 28] | (uint32_t)buf[e + 29] << 8;
	uint8_t tmp[2 * RC_NOTICE_MAX];
	memcpy(tmp, buf + n + l0, l1); /* notices 0 and 1 swapped, and their entries */
	memcpy(tmp + l1, buf + n, l0);
	memcpy(buf + n, tmp, l0 + l1);
	buf[e + 12] = (uint8_t)l1, buf[e + 13] = (uint8_t)(l1 >> 8);
	buf[e + 16 + 8] = (uint8_t)l1, buf[e + 16 + 9] = (uint8_t)(l1 >> 8);
	buf[e + 28] = (uint8_t)l0, buf[e + 29] = (uint8_t)(l0 >> 8);
	buf[16]++; /* a serial above the one held */
	struct fx_key fk;
	fx_key(&fk, RDFIX_FEED_SEED);
	crypto_sign_detached(buf + len - 64, NULL, buf, len - 64, fk.sk);
	put(w, "feed", buf, len);
	w->nowrite = true;
	int rc = world_load(w, "", w->st);
	rdfix_model = NULL;
	w->nowrite = false;
	assert_int_equal(rc, RD_LOAD_NOTICE);
	assert_non_null(strstr(w->err, "entry 1 is out of the order of PROTOCOL.md 14.2"));
}

static void test_files(void **state)
{
	struct world *w = *state;
	assert_int_equal(world_load(w, "", NULL), 0);
	struct rd_state *good = w->st;
	w->nowrite = true;
	put(w, "feed.pub", "recall-ed25519-secret AAAA\n", 27);
	assert_int_equal(world_load(w, "", good), RD_LOAD_SIGNATURE);
	assert_non_null(strstr(w->err, "not a recall public key"));
	put(w, "feed.pub", "recall-ed25519-public !!!!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	    67);
	assert_int_equal(world_load(w, "", good), RD_LOAD_SIGNATURE);
	assert_non_null(strstr(w->err, "not base64"));
	put(w, "anchors", "\xa0", 1);
	w->o.serial = 2;
	w->nowrite = false; /* good files again */
	assert_int_equal(world_load(w, "", good), 0);
	good = w->st;
	w->nowrite = true;
	put(w, "anchors", "\xa0", 1);
	assert_int_equal(world_load(w, "", good), RD_LOAD_ANCHORS);
	assert_non_null(strstr(w->err, "anchors"));
	w->o.serial = 3;
	w->nowrite = false;
	assert_int_equal(world_load(w, "", good), 0);
	good = w->st;
	w->nowrite = true;
	char path[256];
	snprintf(path, sizeof(path), "%s/feed", w->dir);
	unlink(path);
	assert_int_equal(world_load(w, "", good), RD_LOAD_IO);
	assert_non_null(strstr(w->err, "No such file"));
	put(w, "feed", "RCFEED01", 8);
	assert_int_equal(world_load(w, "", good), RD_LOAD_FORMAT);
	put(w, "feed", "", 0);
	assert_int_equal(world_load(w, "", good), RD_LOAD_FORMAT);
	assert_ptr_equal(w->st, good);
	assert_int_equal(w->st->fm->feed.meta.serial, 3);
}

/* A FIFO, a directory or a device where a file to read should be is refused at once with
 * the reason, at every file loading reads, and the state held stays (alarm: never blocks). */
static void test_not_regular(void **state)
{
	struct world *w = *state;
	assert_int_equal(world_load(w, "", NULL), 0);
	struct rd_state *good = w->st;
	w->nowrite = true;
	alarm(20); /* a blocked open or read kills the test */
	const char *names[] = {"feed", "feed.pub", "anchors", "rot-0", "rot-1"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[256], keep[280], cmd[600];
		snprintf(path, sizeof(path), "%s/%s", w->dir, names[i]);
		snprintf(keep, sizeof(keep), "%s.keep", path);
		assert_int_equal(rename(path, keep), 0);
		for (int kind = 0; kind < 3; kind++) {
			if (kind == 0)
				assert_int_equal(mkfifo(path, 0600), 0);
			else if (kind == 1)
				assert_int_equal(mkdir(path, 0700), 0);
			else
				assert_int_equal(symlink("/dev/zero", path), 0);
			assert_int_equal(world_load(w, "", good), RD_LOAD_IO);
			assert_non_null(strstr(w->err, names[i]));
			assert_non_null(strstr(w->err, "not a regular file"));
			assert_ptr_equal(w->st, good);
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
			assert_int_equal(system(cmd), 0);
		}
		assert_int_equal(rename(keep, path), 0);
	}
	alarm(0);
	assert_int_equal(world_load(w, "", good), 0); /* the same files again: fine */
}

static void test_rotations(void **state)
{
	struct world *w = *state;
	uint8_t buf[2048];
	size_t n;
	assert_int_equal(world_load(w, "", NULL), 0);
	struct rd_state *good = w->st;
	w->nowrite = true;
	/* a gap in the chain: 0->1 missing, only 1->2 */
	char extra[512];
	struct rd_config *cfg = NULL;
	struct rd_state *st;
	snprintf(extra, sizeof(extra), "rotation = %s/rot-1\n", w->dir);
	w->o.epoch = 0; /* world_config writes no rotation lines of its own */
	assert_int_equal(world_config(w, &cfg, extra), 0);
	assert_int_equal(rd_state_load(&st, cfg, good, 5, false, w->o.now, w->err, sizeof(w->err)),
			 0);
	rd_state_free(st);
	snprintf(extra, sizeof(extra), "rotation = %s/rot-0\n", w->dir);
	assert_int_equal(world_config(w, &cfg, extra), 0);
	assert_int_equal(rd_state_load(&st, cfg, good, 5, false, w->o.now, w->err, sizeof(w->err)),
			 RD_LOAD_ROTATION);
	assert_non_null(strstr(w->err, "does not lead to the configured anchors"));
	rd_config_free(cfg);
	free(cfg);
	/* a statement whose signatures are not by the previous set */
	assert_int_equal(rdfix_rotation(buf, sizeof(buf), &n, 0), RC_OK);
	put(w, "rot-1", buf, n); /* claims epoch 0 -> 1 again */
	snprintf(extra, sizeof(extra), "rotation = %s/rot-0\nrotation = %s/rot-1\n", w->dir,
		 w->dir);
	assert_int_equal(world_config(w, &cfg, extra), 0);
	assert_int_equal(rd_state_load(&st, cfg, good, 5, false, w->o.now, w->err, sizeof(w->err)),
			 RD_LOAD_ROTATION);
	rd_config_free(cfg);
	free(cfg);
	/* not a rotation statement at all: a notice */
	assert_int_equal(rdfix_notice(buf, sizeof(buf), &n, 1, w->o.now, 2, 2), RC_OK);
	put(w, "rot-1", buf, n);
	snprintf(extra, sizeof(extra), "rotation = %s/rot-1\n", w->dir);
	assert_int_equal(world_config(w, &cfg, extra), 0);
	assert_int_equal(rd_state_load(&st, cfg, good, 5, false, w->o.now, w->err, sizeof(w->err)),
			 RD_LOAD_ROTATION);
	assert_non_null(strstr(w->err, "content type"));
	rd_config_free(cfg);
	free(cfg);
	w->o.epoch = 2;
}

static void test_config_checks(void **state)
{
	struct world *w = *state;
	struct rd_config *cfg = NULL;
	const struct {
		const char *extra, *msg;
	} bad[] = {
	    {"policy = quarantine notice X\n", "test.conf:6: policy: 'quarantine': the action"},
	    {"policy = monitor notice bad/id\n", "is not a notice id"},
	    {"policy = monitor severity >= huge\n", "severity: expected"},
	    {"policy = monitor severity\n", "severity: expected"},
	    {"policy = monitor vendor\n", "vendor: which vendor?"},
	    {"policy = monitor notice A B\n", "unexpected text after the rule"},
	    {"policy = enforce model x\n", "a rule selects by notice, vendor or severity"},
	    {"listen = 127.0.0.1:53\n", "give the port with the port key"},
	    {"listen = ::1 ::1\n", "::1 given twice"},
	    {"metrics-listen = 127.0.0.1\n", "an address needs a :port"},
	    {"chroot = /var/empty\n", "is outside chroot /var/empty"},
	    {"ratelimit-delay = 1500ms\n", "answers carry whole seconds"},
	    {"ratelimit-delay = 2d\n", "out of range 1s..1d"},
	    {"workers = 1000\n", "out of range 0..256"},
	    {"rotation = relative\n", "is not an absolute path"},
	};
	w->o.epoch = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (world_config(w, &cfg, bad[i].extra) == 0 || !strstr(w->err, bad[i].msg))
			fail_msg("case %zu: '%s'", i, w->err);
	}
	/* a valid chroot layout and rule set */
	char extra[512];
	snprintf(extra, sizeof(extra),
		 "chroot = %s\npolicy = monitor vendor TP-Link\npolicy = enforce severity "
		 ">=high\n",
		 w->dir);
	assert_int_equal(world_config(w, &cfg, extra), 0);
	assert_string_equal(rd_path(cfg, cfg->feed, true), "/feed");
	assert_string_equal(rd_path(cfg, cfg->feed, false), cfg->feed);
	assert_int_equal(cfg->policy.n, 2);
	assert_string_equal(cfg->policy.v[0].name, "tp-link");
	struct rc_notice n;
	memset(&n, 0, sizeof(n));
	n.id = rc_str_c("X-1");
	n.target.vendor = rc_str_c("tp-link");
	n.severity = RC_SEV_CRITICAL;
	/* vendor is more specific than severity */
	assert_int_equal(rd_policy_action(&cfg->policy, RD_ENFORCE, &n), RD_MONITOR);
	n.target.vendor = rc_str_c("other");
	assert_int_equal(rd_policy_action(&cfg->policy, RD_MONITOR, &n), RD_ENFORCE);
	n.severity = RC_SEV_LOW;
	assert_int_equal(rd_policy_action(&cfg->policy, RD_MONITOR, &n), RD_MONITOR);
	rd_config_free(cfg);
	free(cfg);
	w->o.epoch = 2;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_then_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_feed_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
