/* recall-gate's helper filter (gate/seccomp.c): after gate_confine and gate_seccomp a process
 * is killed by SIGSYS when it tries to run a program, trace a process or make a namespace,
 * from the main thread and from a thread started later, and goes on with what the helpers do
 * (files, sockets, threads, time). Each case runs in a child process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "parse.h"
#include "seccomp.h"

/* Run fn in a filtered child; its wait status. */
static int in_child(void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		char err[256];
		if (gate_confine(0) != 0 || gate_seccomp(err, sizeof(err)) != 0)
			_exit(90);
		fn();
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void killed_by_sigsys(int st)
{
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void do_exec(void)
{
	char *const argv[] = {"true", NULL};
	execv("/bin/true", argv);
	_exit(1); /* exec refused some other way: not what the filter does */
}

static void do_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	_exit(1);
}

static void do_unshare(void)
{
	unshare(CLONE_NEWUSER);
	_exit(1);
}

static void *thread_exec(void *arg)
{
	(void)arg;
	do_exec();
	return NULL;
}

static void do_thread_exec(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, thread_exec, NULL) != 0)
		_exit(2);
	pthread_join(t, NULL);
	_exit(1);
}

static void *thread_nop(void *arg)
{
	return arg;
}

/* What the helpers do: read files, sockets, threads, clocks, memory. */
static void do_ordinary(void)
{
	char b[64];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, b, sizeof(b)) <= 0)
		_exit(3);
	close(fd);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		_exit(4);
	close(s);
	pthread_t t;
	if (pthread_create(&t, NULL, thread_nop, NULL) != 0 || pthread_join(t, NULL) != 0)
		_exit(5);
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		_exit(6);
	void *p = malloc(1 << 20);
	if (!p)
		_exit(7);
	free(p);
}

static void test_exec_killed(void **state)
{
	(void)state;
	killed_by_sigsys(in_child(do_exec));
}

static void test_exec_from_thread_killed(void **state)
{
	(void)state;
	killed_by_sigsys(in_child(do_thread_exec));
}

static void test_ptrace_killed(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip(); /* LeakSanitizer needs ptrace: seccomp.c leaves it out of sanitizer builds */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip();
#endif
#endif
	killed_by_sigsys(in_child(do_ptrace));
}

static void test_unshare_killed(void **state)
{
	(void)state;
	killed_by_sigsys(in_child(do_unshare));
}

static void test_ordinary_allowed(void **state)
{
	(void)state;
	int st = in_child(do_ordinary);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec_killed),      cmocka_unit_test(test_exec_from_thread_killed),
	    cmocka_unit_test(test_ptrace_killed),    cmocka_unit_test(test_unshare_killed),
	    cmocka_unit_test(test_ordinary_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
