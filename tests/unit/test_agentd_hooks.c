/* Owner hooks run with the daemon's privileges, so only files that root or the agent's user
 * control are run: a hook writable by group or others, owned by someone else (root only: chown
 * nobody), not a regular file, or in a hooks directory (or a directory above it) that others
 * can write to is refused and logged with its name and the reason; a symbolic link runs only
 * if its target passes the same checks. */
#include <errno.h>
#include <fcntl.h>
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

static char top[64], base[96], hooks[128], safe[128], unsafe[128], ran[128], errlog[128];
static struct agentd d;

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A hook that appends its own name to ran.log. */
static void hook(const char *dir, const char *name, mode_t mode)
{
	char path[256], text[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(text, sizeof(text), "#!/bin/sh\necho %s >>%s\n", name, ran);
	put(path, text, mode);
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/agentd_hooks.XXXXXX");
	assert_non_null(mkdtemp(top));
	snprintf(base, sizeof(base), "%s/etc", top);
	snprintf(hooks, sizeof(hooks), "%s/hooks.d", base);
	snprintf(safe, sizeof(safe), "%s/safe", top);
	snprintf(unsafe, sizeof(unsafe), "%s/unsafe", top);
	snprintf(ran, sizeof(ran), "%s/ran.log", top);
	snprintf(errlog, sizeof(errlog), "%s/stderr.log", top);
	assert_int_equal(mkdir(base, 0755), 0);
	assert_int_equal(mkdir(hooks, 0755), 0);
	assert_int_equal(mkdir(safe, 0755), 0);
	assert_int_equal(mkdir(unsafe, 0755), 0);
	assert_int_equal(chmod(unsafe, 0777), 0);
	memset(&d, 0, sizeof(d));
	d.c.hooks_dir = hooks;
	d.c.hook_timeout = 5000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Run the hooks for one event, stderr (the log) captured; returns what ran, one name a line. */
static const char *run(void)
{
	static char out[1024];
	unlink(ran);
	fflush(stderr);
	int saved = dup(2), fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	int pid = hooks_run(&d, "recalled", "quarantined", NULL);
	if (pid > 0)
		assert_int_equal(waitpid(pid, NULL, 0), pid);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(ran, "r");
	size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	if (f)
		fclose(f);
	out[n] = 0;
	return out;
}

static bool logged(const char *s)
{
	static char buf[8192];
	FILE *f = fopen(errlog, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (!strstr(buf, s))
		print_message("log does not hold \"%s\":\n%s", s, buf);
	return strstr(buf, s) != NULL;
}

static void test_files(void **state)
{
	(void)state;
	char p[256], q[256];
	hook(hooks, "10-good", 0755);
	hook(hooks, "20-group-writable", 0775);
	hook(hooks, "30-world-writable", 0757);
	hook(safe, "target", 0755);
	hook(safe, "target-ow", 0757);
	hook(unsafe, "target", 0755);
	snprintf(p, sizeof(p), "%s/target", safe);
	snprintf(q, sizeof(q), "%s/40-link-safe", hooks);
	assert_int_equal(symlink(p, q), 0);
	snprintf(p, sizeof(p), "%s/target", unsafe);
	snprintf(q, sizeof(q), "%s/50-link-unsafe-dir", hooks);
	assert_int_equal(symlink(p, q), 0);
	snprintf(p, sizeof(p), "%s/target-ow", safe);
	snprintf(q, sizeof(q), "%s/60-link-world-writable", hooks);
	assert_int_equal(symlink(p, q), 0);
	snprintf(q, sizeof(q), "%s/70-fifo", hooks);
	assert_int_equal(mkfifo(q, 0755), 0);
	hook(hooks, "80-not-executable", 0644);
	/* The hook "target" in safe/ writes its own name: the link that ran it is 40. */
	uint64_t before = hooks_refused();
	assert_string_equal(run(), "10-good\ntarget\n");
	/* Counted across the runner child: 20, 30, 50, 60 and 70. */
	assert_int_equal(hooks_refused() - before, 5);
	assert_true(logged("20-group-writable: owned by uid"));
	assert_true(logged("with mode 0775: must be owned by root"));
	assert_true(logged("30-world-writable: owned by uid"));
	assert_true(logged("50-link-unsafe-dir: link to"));
	assert_true(logged("unsafe: owned by uid"));
	assert_true(logged("60-link-world-writable: link to"));
	assert_true(logged("70-fifo: not a regular file: refused"));
	assert_false(logged("80-not-executable"));
	if (geteuid() != 0) {
		print_message("not root: the foreign-owner cases are not run\n");
		return;
	}
	hook(hooks, "90-nobody", 0755);
	snprintf(q, sizeof(q), "%s/90-nobody", hooks);
	assert_int_equal(chown(q, 65534, 65534), 0);
	assert_string_equal(run(), "10-good\ntarget\n");
	assert_true(logged("90-nobody: owned by uid 65534"));
}

static void test_dirs(void **state)
{
	(void)state;
	hook(hooks, "10-good", 0755);
	assert_string_equal(run(), "10-good\n");
	static const mode_t bad[] = {0775, 0757, 0777, 01777};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[32];
		assert_int_equal(chmod(hooks, bad[i]), 0);
		assert_string_equal(run(), "");
		snprintf(want, sizeof(want), "with mode %04o", (unsigned)bad[i]);
		assert_true(logged(want));
		assert_true(logged("refused, no hook run"));
	}
	assert_int_equal(chmod(hooks, 0755), 0);
	/* A directory above that others may write to: it could be swapped. Sticky (like /tmp) is
	 * fine: others cannot move what they do not own. */
	assert_int_equal(chmod(base, 0777), 0);
	assert_string_equal(run(), "");
	assert_true(logged("/etc: owned by uid"));
	assert_int_equal(chmod(base, 01777), 0);
	assert_string_equal(run(), "10-good\n");
	assert_int_equal(chmod(base, 0755), 0);
	/* A hooks-dir given as a link is resolved, then checked like any other. */
	char link[128];
	snprintf(link, sizeof(link), "%s/hooks-link", top);
	assert_int_equal(symlink(hooks, link), 0);
	d.c.hooks_dir = link;
	assert_string_equal(run(), "10-good\n");
	d.c.hooks_dir = hooks;
	if (geteuid() != 0) {
		print_message("not root: the foreign-owner cases are not run\n");
		return;
	}
	assert_int_equal(chown(hooks, 65534, 65534), 0);
	assert_string_equal(run(), "");
	assert_true(logged("hooks.d: owned by uid 65534"));
	assert_int_equal(chown(hooks, 0, 0), 0);
	assert_int_equal(chown(base, 65534, 65534), 0);
	assert_string_equal(run(), "");
	assert_int_equal(chown(base, 0, 0), 0);
	assert_string_equal(run(), "10-good\n");
}

/* No hooks directory, or hooks-dir empty: nothing runs, nothing is refused. */
static void test_none(void **state)
{
	(void)state;
	char gone[160];
	snprintf(gone, sizeof(gone), "%s/none", top);
	d.c.hooks_dir = gone;
	assert_string_equal(run(), "");
	assert_int_equal(hooks_run(&d, "recalled", "quarantined", NULL), 0);
	d.c.hooks_dir = "";
	assert_int_equal(hooks_run(&d, "recalled", "quarantined", NULL), 0);
	d.c.hooks_dir = hooks;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_none, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
