/* recall-agent's state file: atomic replacement, and every torn or corrupt file is refused
 * (fail open) without crashing; a refused blob leaves the core empty. The state directory,
 * the lock and the temporary file are opened without following links planted in them, and a
 * directory that others could write to is refused. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "agentd.h"

static char dir[64];
static int dfd = -1;
static char err[512];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/agentd_state.XXXXXX");
	assert_non_null(mkdtemp(dir));
	dfd = state_dir_open(dir, err, sizeof(err));
	assert_true(dfd >= 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static size_t file_read(const char *name, uint8_t *buf, size_t cap)
{
	int fd = openat(dfd, name, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static void file_write(const char *name, const uint8_t *buf, size_t n)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static void test_roundtrip(void **state)
{
	(void)state;
	uint8_t blob[300], out[RC_AGENT_STATE_MAX];
	size_t len = 0;
	char why[128];
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), 1);
	assert_int_equal(state_save(dfd, blob, sizeof(blob)), 0);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), 0);
	assert_int_equal(len, sizeof(blob));
	assert_memory_equal(out, blob, sizeof(blob));
	/* No temporary file is left behind. */
	assert_true(faccessat(dfd, "state.tmp", F_OK, 0) < 0);
	/* Empty blobs and the largest blob are fine too. */
	assert_int_equal(state_save(dfd, blob, 0), 0);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), 0);
	assert_int_equal(len, 0);
	static uint8_t big[RC_AGENT_STATE_MAX + 1];
	assert_int_equal(state_save(dfd, big, RC_AGENT_STATE_MAX), 0);
	assert_int_equal(state_save(dfd, big, RC_AGENT_STATE_MAX + 1), -1);
}

static void test_torn_and_corrupt(void **state)
{
	(void)state;
	uint8_t blob[200], good[512], bad[512], out[RC_AGENT_STATE_MAX];
	size_t len;
	char why[128];
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i ^ 0xa5);
	assert_int_equal(state_save(dfd, blob, sizeof(blob)), 0);
	size_t n = file_read(AGENTD_STATE_FILE, good, sizeof(good));
	/* Every truncation is refused. */
	for (size_t cut = 0; cut < n; cut++) {
		file_write(AGENTD_STATE_FILE, good, cut);
		assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), -1);
	}
	/* Every single flipped bit is refused. */
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, good, n);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		file_write(AGENTD_STATE_FILE, bad, n);
		assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), -1);
	}
	/* Appended bytes and an oversized file are refused. */
	memcpy(bad, good, n);
	bad[n] = 0;
	file_write(AGENTD_STATE_FILE, bad, n + 1);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), -1);
	static uint8_t huge[RC_AGENT_STATE_MAX + 200];
	memcpy(huge, good, n);
	file_write(AGENTD_STATE_FILE, huge, sizeof(huge));
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer"));
	/* A crash during a write leaves state.tmp; the old file still loads. */
	file_write(AGENTD_STATE_FILE, good, n);
	file_write("state.tmp", good, n / 2);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), 0);
	assert_memory_equal(out, blob, sizeof(blob));
	/* The next save replaces the leftover temporary file. */
	assert_int_equal(state_save(dfd, blob, 10), 0);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), 0);
	assert_int_equal(len, 10);
	/* A directory in place of the file is an error, not a crash. */
	assert_int_equal(unlinkat(dfd, AGENTD_STATE_FILE, 0), 0);
	assert_int_equal(mkdirat(dfd, AGENTD_STATE_FILE, 0700), 0);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), -1);
	assert_int_equal(unlinkat(dfd, AGENTD_STATE_FILE, AT_REMOVEDIR), 0);
}

static void test_lock(void **state)
{
	(void)state;
	int a = state_lock(dfd, err, sizeof(err));
	assert_true(a >= 0);
	errno = 0;
	assert_int_equal(state_lock(dfd, err, sizeof(err)), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_non_null(strstr(err, "another recall-agent holds the lock"));
	close(a);
	int b = state_lock(dfd, err, sizeof(err));
	assert_true(b >= 0);
	close(b);
}

static void file_text(const char *name, const char *text)
{
	file_write(name, (const uint8_t *)text, strlen(text));
}

static bool file_is(const char *name, const char *text)
{
	uint8_t buf[256];
	size_t n = file_read(name, buf, sizeof(buf));
	return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* Links planted in the state directory are never followed: state.tmp pointing at a victim
 * file leaves it unchanged, a linked, foreign or shared lock is refused, and nothing is
 * created through a dangling link. */
static void test_links_not_followed(void **state)
{
	(void)state;
	uint8_t blob[40] = {1, 2, 3}, out[RC_AGENT_STATE_MAX];
	size_t len;
	char why[128];
	file_text("victim", "precious\n");
	assert_int_equal(symlinkat("victim", dfd, "state.tmp"), 0);
	assert_int_equal(state_save(dfd, blob, sizeof(blob)), 0);
	assert_true(file_is("victim", "precious\n"));
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), 0);
	assert_int_equal(len, sizeof(blob));
	/* A dangling state.tmp link: the save creates nothing at its target. */
	assert_int_equal(symlinkat("created-by-tmp", dfd, "state.tmp"), 0);
	assert_int_equal(state_save(dfd, blob, sizeof(blob)), 0);
	assert_true(faccessat(dfd, "created-by-tmp", F_OK, AT_SYMLINK_NOFOLLOW) < 0);

	/* lock: a link (to a victim or dangling) is refused and creates nothing. */
	assert_int_equal(symlinkat("created-by-lock", dfd, AGENTD_LOCK_FILE), 0);
	assert_int_equal(state_lock(dfd, err, sizeof(err)), -1);
	assert_int_equal(errno, ELOOP);
	assert_non_null(strstr(err, "symbolic link"));
	assert_true(faccessat(dfd, "created-by-lock", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
	assert_int_equal(unlinkat(dfd, AGENTD_LOCK_FILE, 0), 0);
	assert_int_equal(symlinkat("victim", dfd, AGENTD_LOCK_FILE), 0);
	assert_int_equal(state_lock(dfd, err, sizeof(err)), -1);
	assert_true(file_is("victim", "precious\n"));
	assert_int_equal(unlinkat(dfd, AGENTD_LOCK_FILE, 0), 0);
	/* A lock others may write to, or a FIFO, is refused too. */
	file_text(AGENTD_LOCK_FILE, "");
	assert_int_equal(fchmodat(dfd, AGENTD_LOCK_FILE, 0666, 0), 0);
	assert_int_equal(state_lock(dfd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refused"));
	assert_int_equal(unlinkat(dfd, AGENTD_LOCK_FILE, 0), 0);
	assert_int_equal(mkfifoat(dfd, AGENTD_LOCK_FILE, 0600), 0);
	assert_int_equal(state_lock(dfd, err, sizeof(err)), -1);
	assert_int_equal(unlinkat(dfd, AGENTD_LOCK_FILE, 0), 0);

	/* state: a FIFO (or any non-regular file) is refused at once, never waited on. */
	assert_int_equal(unlinkat(dfd, AGENTD_STATE_FILE, 0), 0);
	assert_int_equal(mkfifoat(dfd, AGENTD_STATE_FILE, 0600), 0);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(unlinkat(dfd, AGENTD_STATE_FILE, 0), 0);
}

/* A state directory that is a link, is shared with group or others, or belongs to another
 * user is refused, and the message names the path, the owner and mode and the remedy. */
static void test_dir_refused(void **state)
{
	(void)state;
	char sub[128], link[128];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	int fd = state_dir_open(sub, err, sizeof(err)); /* created, mode 0700 */
	assert_true(fd >= 0);
	close(fd);
	static const mode_t bad[] = {0770, 0707, 0720, 0702, 0777};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(sub, bad[i]), 0);
		err[0] = 0;
		assert_int_equal(state_dir_open(sub, err, sizeof(err)), -1);
		char want[16];
		snprintf(want, sizeof(want), "mode %04o", (unsigned)bad[i]);
		assert_non_null(strstr(err, sub));
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, "chmod 0700"));
	}
	assert_int_equal(chmod(sub, 0750), 0); /* readable by others is fine */
	fd = state_dir_open(sub, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(state_dir_open(link, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));
	if (geteuid() != 0) {
		print_message("not root: the foreign-owner case is not run\n");
		return;
	}
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(chown(sub, 65534, 65534), 0);
	assert_int_equal(state_dir_open(sub, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "owned by uid 65534"));
	assert_non_null(strstr(err, "chown 0"));
}

/* The commands' reader (status, override) applies the same checks and the same message, but
 * never creates the directory; as root it reads one that belongs to the daemon's user. */
static void test_dir_reader(void **state)
{
	(void)state;
	char sub[128], link[128];
	struct stat st;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	errno = 0;
	assert_int_equal(state_dir_open_ro(sub, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(sub, &st), -1); /* not created */
	assert_int_equal(mkdir(sub, 0700), 0);
	int fd = state_dir_open_ro(sub, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	static const mode_t bad[] = {0770, 0707, 0720, 0702, 0777, 01777};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(sub, bad[i]), 0);
		err[0] = 0;
		errno = 0;
		assert_int_equal(state_dir_open_ro(sub, err, sizeof(err)), -1);
		assert_int_equal(errno, EPERM);
		char want[256];
		snprintf(want, sizeof(want),
			 "state-dir %s: owned by uid %u with mode %04o: refused", sub,
			 (unsigned)geteuid(), (unsigned)bad[i]);
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, "chmod 0700"));
	}
	assert_int_equal(chmod(sub, 0750), 0); /* readable by others is fine */
	fd = state_dir_open_ro(sub, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(state_dir_open_ro(link, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));
	if (geteuid() != 0) {
		print_message("not root: the foreign-owner case is not run\n");
		return;
	}
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(chown(sub, 65534, 65534), 0);
	fd = state_dir_open_ro(sub, err, sizeof(err)); /* root reads the daemon user's */
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(sub, 0770), 0); /* but not one its group can write */
	assert_int_equal(state_dir_open_ro(sub, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "owned by uid 65534 with mode 0770: refused"));
}

/* A frame that checks out but holds a blob the core cannot decode: the core stays empty. */
static uint64_t mono(void *c)
{
	(void)c;
	return 1000;
}
static uint64_t wall(void *c, bool *t)
{
	(void)c;
	*t = true;
	return 1800000000;
}
static int snd(void *c, const struct rc_src *to, const uint8_t *b, size_t l)
{
	(void)c, (void)to, (void)b, (void)l;
	return 0;
}
static void rnd(void *c, uint8_t *b, size_t n)
{
	(void)c;
	randombytes_buf(b, n);
}
static int per(void *c, const uint8_t *s, size_t l)
{
	(void)c, (void)s, (void)l;
	return 0;
}
static int qua(void *c, const struct rc_notice *n, bool on)
{
	(void)c, (void)n, (void)on;
	return 0;
}
static void ntf(void *c, enum rc_agent_event e, const struct rc_notice *n)
{
	(void)c, (void)e, (void)n;
}
static void lg(void *c, enum rc_log_level l, const char *m)
{
	(void)c, (void)l, (void)m;
}

static void test_core_refuses_garbage(void **state)
{
	(void)state;
	static const struct rc_agent_ops ops = {snd, mono, wall, rnd, per, qua, ntf, lg};
	static struct rc_agent a;
	struct rc_agent_config cfg;
	uint8_t sk[64], blob[64], out[RC_AGENT_STATE_MAX];
	size_t len;
	char why[64];
	rc_agent_config_default(&cfg);
	cfg.id.vendor = rc_str_c("acme");
	cfg.id.model = rc_str_c("cam");
	cfg.id.hwrev = rc_str_c("");
	cfg.id.fwver = rc_str_c("1.0");
	cfg.anchors.epoch = 1;
	cfg.anchors.k = 1;
	cfg.anchors.n = 1;
	crypto_sign_keypair(cfg.anchors.a[0].pk, sk);
	rc_kid(cfg.anchors.a[0].kid, cfg.anchors.a[0].pk);
	cfg.nresponders = 1;
	cfg.responders[0] = (struct rc_src){4, {127, 0, 0, 1}, 7412};
	assert_int_equal(rc_agent_init(&a, &cfg, &ops, NULL), RC_OK);
	randombytes_buf(blob, sizeof(blob));
	assert_int_equal(state_save(dfd, blob, sizeof(blob)), 0);
	assert_int_equal(state_load(dfd, out, sizeof(out), &len, why, sizeof(why)), 0);
	assert_int_not_equal(rc_agent_restore(&a, out, len), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&a, &st);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.c.state_corrupt, 1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_and_corrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_links_not_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_core_refuses_garbage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
