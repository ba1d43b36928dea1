/* recalld's smaller parts: the rate-limit table, the event queue and its JSON lines, and the
 * metrics exposition text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rd.h"
#include "system.h"

static struct rd_config rl_cfg(uint64_t rate, uint64_t burst, uint64_t p4, uint64_t p6)
{
	struct rd_config c;
	memset(&c, 0, sizeof(c));
	c.rl_rate = rate;
	c.rl_burst = burst;
	c.rl_prefix4 = p4;
	c.rl_prefix6 = p6;
	return c;
}

static void test_ratelimit_table(void **state)
{
	struct rd_ratelimit rl;
	struct rd_counters cnt;
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(rd_rl_init(&rl, 50), 0);
	assert_int_equal(rl.mask, 63); /* rounded up to a power of two */
	struct rd_config c = rl_cfg(10, 5, 24, 56);
	uint8_t a[4] = {10, 0, 0, 1};
	uint64_t t = 1000;
	for (int i = 0; i < 5; i++)
		assert_true(rd_rl_allow(&rl, &c, 1, AF_INET, a, t, &cnt));
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET, a, t, &cnt));
	/* 10 per second: one token per 100 ms, never more than the burst */
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET, a, t + 99, &cnt));
	assert_true(rd_rl_allow(&rl, &c, 1, AF_INET, a, t + 100, &cnt));
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET, a, t + 100, &cnt));
	int ok = 0;
	for (int i = 0; i < 20; i++)
		ok += rd_rl_allow(&rl, &c, 1, AF_INET, a, t + 100000, &cnt);
	assert_int_equal(ok, 5);
	/* two workers: each allows half (the kernel spreads a prefix over them) */
	uint8_t b[4] = {10, 9, 9, 9};
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += rd_rl_allow(&rl, &c, 2, AF_INET, b, t, &cnt);
	assert_int_equal(ok, 2); /* burst 5 / 2 workers = 2.5 tokens */
	/* many prefixes through a small table, each seen once per 100 ms (the time one token
	 * takes to come back): idle entries are replaced and counted */
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t x[4] = {172, (uint8_t)(i >> 8), (uint8_t)i, 1};
		assert_true(rd_rl_allow(&rl, &c, 1, AF_INET, x, t + 200000 + 100 * i, &cnt));
	}
	assert_true(atomic_load(&cnt.c[RD_C_RL_EVICT]) >= 1000 - 64);
	assert_int_equal(atomic_load(&cnt.c[RD_C_RL_OVERFLOW]), 0);
	/* prefix length 0: every IPv4 source shares one bucket */
	struct rd_config all = rl_cfg(1, 1, 0, 0);
	uint8_t y[4] = {1, 2, 3, 4}, z[4] = {200, 1, 1, 1};
	assert_true(rd_rl_allow(&rl, &all, 1, AF_INET, y, 900000, &cnt));
	assert_false(rd_rl_allow(&rl, &all, 1, AF_INET, z, 900000, &cnt));
	/* ... but IPv4 and IPv6 never share */
	uint8_t v6[16] = {0x20, 0x01};
	assert_true(rd_rl_allow(&rl, &all, 1, AF_INET6, v6, 900000, &cnt));
	rd_rl_free(&rl);
}

/* Eviction does not reward the attacker: a victim prefix at its limit stays limited however
 * many other (spoofed) prefixes go through its worker's table meanwhile; it gets tokens only
 * as its own bucket refills. (Only rd_rl_allow and counters: the same test runs on old code.) */
static void test_ratelimit_eviction_no_reset(void **state)
{
	struct rd_ratelimit rl;
	struct rd_counters cnt;
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(rd_rl_init(&rl, 64), 0);
	struct rd_config c = rl_cfg(10, 5, 24, 56); /* a token per 100 ms, burst 5 */
	const uint8_t victim[4] = {198, 51, 100, 7};
	const uint8_t victim6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x42, [15] = 1};
	uint64_t t = 5000;
	for (int i = 0; i < 5; i++) {
		assert_true(rd_rl_allow(&rl, &c, 1, AF_INET, victim, t, &cnt));
		assert_true(rd_rl_allow(&rl, &c, 1, AF_INET6, victim6, t, &cnt));
	}
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET, victim, t, &cnt));
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET6, victim6, t, &cnt));
	/* a flood from 20000 other prefixes (every set of the 64-entry table many times over),
	 * within 50 ms: not enough for the victim to earn a token back */
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t x[4] = {10, (uint8_t)(i >> 8), (uint8_t)i, 9};
		rd_rl_allow(&rl, &c, 1, AF_INET, x, t + i / 400, &cnt);
		uint8_t y[16] = {0x20, 0x01, 0x0d, 0xb8, (uint8_t)(i >> 8), (uint8_t)i};
		rd_rl_allow(&rl, &c, 1, AF_INET6, y, t + i / 400, &cnt);
		if (i % 1000 == 999) { /* still limited throughout */
			assert_false(rd_rl_allow(&rl, &c, 1, AF_INET, victim, t + i / 400, &cnt));
			assert_false(rd_rl_allow(&rl, &c, 1, AF_INET6, victim6, t + i / 400, &cnt));
		}
	}
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET, victim, t + 50, &cnt));
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET6, victim6, t + 50, &cnt));
	/* ... and gets exactly what its own bucket earned: one token 100 ms after the last */
	assert_true(rd_rl_allow(&rl, &c, 1, AF_INET, victim, t + 150, &cnt));
	assert_false(rd_rl_allow(&rl, &c, 1, AF_INET, victim, t + 150, &cnt));
	/* the flood itself was limited: its prefixes shared each set's bucket, counted */
	assert_true(atomic_load(&cnt.c[RD_C_RL_OVERFLOW]) > 30000);
	rd_rl_free(&rl);
}

/* Files recalld writes (event log, pid file): never through a link (dangling ones included),
 * never a FIFO (and never blocking on one), never a file with another link; a file is handed
 * to the run user only if made just now or already root's or the user's. */
static void test_files_written(void **state)
{
	char dir[] = "/tmp/recalld-files-XXXXXX", p[128], victim[128], err[512];
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/events", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	assert_non_null(f);
	fputs("secret\n", f);
	fclose(f);
	alarm(20); /* a blocked open kills the test */
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(sys_open_log("event-log", p, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is a symbolic link"));
	assert_int_equal(sys_pidfile(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pid-file"));
	unlink(p);
	char dangling[160];
	snprintf(dangling, sizeof(dangling), "%s/nothing", dir);
	assert_int_equal(symlink(dangling, p), 0);
	assert_int_equal(sys_open_log("event-log", p, NULL, err, sizeof(err)), -1);
	assert_int_equal(access(dangling, F_OK), -1); /* not created through the link */
	unlink(p);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(sys_open_log("event-log", p, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(sys_pidfile(p, err, sizeof(err)), -1);
	unlink(p);
	assert_int_equal(link(victim, p), 0);
	assert_int_equal(sys_open_log("event-log", p, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one hard link"));
	assert_int_equal(sys_pidfile(p, err, sizeof(err)), -1);
	unlink(p);
	struct stat st;
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 7); /* not truncated */
	/* a new file: 0640 (less with a stricter umask), appended to */
	mode_t um = umask(022);
	int fd = sys_open_log("event-log", p, NULL, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND);
	close(fd);
	fd = sys_open_log("event-log", p, NULL, err, sizeof(err)); /* it exists now: fine too */
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sys_pidfile(victim, err, sizeof(err)), 0);
	umask(um);
	struct passwd *pw = getpwnam("nobody");
	if (geteuid() == 0 && pw) {
		/* root: made now or root's: handed over; another user's: refused */
		unlink(p);
		fd = sys_open_log("event-log", p, "nobody", err, sizeof(err));
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_uid, pw->pw_uid);
		assert_int_equal(chown(p, 0, 0), 0);
		fd = sys_open_log("event-log", p, "nobody", err, sizeof(err));
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(chown(p, 4242, 4242), 0);
		assert_int_equal(sys_open_log("event-log", p, "nobody", err, sizeof(err)), -1);
		assert_non_null(strstr(err, "owned by uid 4242, neither root nor nobody"));
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_uid, 4242);
		assert_int_equal(sys_open_log("event-log", p, "no-such-user-x", err, sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "no such user"));
	}
	alarm(0);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_ring_and_json(void **state)
{
	struct rd_ring r;
	assert_int_equal(rd_ring_init(&r, 10), 0);
	assert_int_equal(r.mask, 15);
	for (int i = 0; i < 16; i++) {
		struct rd_event *e = rd_ring_slot(&r);
		assert_non_null(e);
		memset(e, 0, sizeof(*e));
		e->time = 1718000000 + (uint64_t)i;
		e->family = 6;
		memcpy(e->addr,
		       (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 1}, 9);
		memcpy(e->vendor, "acme", 4);
		e->vlen = 4;
		memcpy(e->model, "cam%2f1", 7);
		e->mlen = 7;
		memcpy(e->fwver, "v1 \"beta\"\\x", 11);
		e->flen = 11;
		memcpy(e->id, "RC-1", 4);
		e->idlen = 4;
		e->severity = RC_SEV_CRITICAL;
		e->action = i % 2 ? RD_MONITOR : RD_ENFORCE;
		e->has_build_date = true;
		e->build_date = 1600000000;
		e->feed_serial = 42;
		rd_ring_push(&r);
	}
	assert_null(rd_ring_slot(&r)); /* full */
	char line[1024];
	size_t n = rd_event_json(&r.ev[1], line, sizeof(line), 32, 48);
	assert_int_equal(n, strlen(line));
	assert_string_equal(
	    line, "{\"time\":\"2024-06-10T06:13:21Z\",\"source\":\"2001:db8:1234::\","
		  "\"source_prefix\":48,\"vendor\":\"acme\",\"model\":\"cam%2f1\","
		  "\"hwrev\":\"\",\"fwver\":\"v1 \\\"beta\\\"\\\\x\",\"build_date\":1600000000,"
		  "\"notice\":\"RC-1\",\"severity\":\"critical\",\"action\":\"monitored\","
		  "\"feed_serial\":42}");
	/* too small a buffer: truncated, still terminated, full length reported */
	char small[40];
	assert_int_equal(rd_event_json(&r.ev[1], small, sizeof(small), 32, 48), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(rd_ring_drain(&r, f, 32, 128), 16);
	assert_non_null(rd_ring_slot(&r));
	assert_int_equal(rd_ring_drain(&r, f, 32, 128), 0);
	rewind(f);
	int lines = 0;
	while (fgets(line, sizeof(line), f)) {
		assert_non_null(strstr(line, "\"source\":\"2001:db8:1234:5678:100::\""));
		lines++;
	}
	fclose(f);
	assert_int_equal(lines, 16);
	rd_ring_free(&r);
}

static void test_metrics_text(void **state)
{
	struct rd_server srv;
	memset(&srv, 0, sizeof(srv));
	srv.nworkers = 2;
	srv.w = calloc(2, sizeof(*srv.w));
	assert_non_null(srv.w);
	atomic_store(&srv.w[1].cnt.c[RD_C_ANS_RECALLED], 7);
	atomic_store(&srv.w[0].cnt.c[RD_C_DROP_OVERSIZED], 3);
	atomic_store(&srv.feed_serial, 99);
	atomic_store(&srv.feed_issued, 1000);
	atomic_store(&srv.feed_expiry, 5000);
	atomic_store(&srv.reloads[RD_LOAD_STALE], 2);
	size_t len;
	char *t = rd_metrics_text(&srv, 1600, &len);
	assert_non_null(t);
	assert_int_equal(len, strlen(t));
	assert_non_null(strstr(t, "recalld_answers_total{worker=\"1\",kind=\"recalled\"} 7\n"));
	assert_non_null(strstr(t, "recalld_drops_total{worker=\"0\",reason=\"oversized\"} 3\n"));
	assert_non_null(strstr(t, "recalld_feed_serial 99\n"));
	assert_non_null(strstr(t, "recalld_feed_age_seconds 600\n"));
	assert_non_null(strstr(t, "recalld_feed_expired 0\n"));
	assert_non_null(strstr(t, "recalld_feed_reloads_total{result=\"stale\"} 2\n"));
	assert_non_null(strstr(t, "# TYPE recalld_rate_limited_total counter\n"));
	/* every sample line belongs to a family announced by HELP and TYPE before it */
	char *save, *line;
	char fam[128] = "";
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%127s", fam);
			continue;
		}
		if (line[0] == '#')
			continue;
		assert_int_equal(strncmp(line, fam, strlen(fam)), 0);
		assert_non_null(strrchr(line, ' '));
	}
	free(t);
	free(srv.w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ratelimit_table),
	    cmocka_unit_test(test_ratelimit_eviction_no_reset),
	    cmocka_unit_test(test_files_written),
	    cmocka_unit_test(test_ring_and_json),
	    cmocka_unit_test(test_metrics_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
