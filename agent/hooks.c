/* Owner notification hooks: every executable in hooks-dir whose name is made of
 * [A-Za-z0-9_-] (run-parts rules), in name order, with the event as argv[1] and the notice in
 * environment variables (recall-agent(8), HOOKS). fork/exec only, never a shell. A runner
 * child does the work so the daemon never waits; each hook gets hook-timeout, then its whole
 * process group is killed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentd.h"
#include "log.h"
#include "recall/text.h"

#define ENV_MAX 20

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* "KEY=" + value escaped by rc_text_safe (line breaks and tabs kept): hooks pass it on to
 * terminals, mail and displays. */
static char *env_put(char *slot, size_t cap, const char *key, const char *v, size_t n)
{
	size_t k = (size_t)snprintf(slot, cap, "%s=", key);
	rc_text_safe(slot + k, cap - k, v, n, 0);
	return slot;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void run_one(const struct agentd *d, const char *path, const char *event, char *const env[])
{
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("hook %s: fork", path);
		return;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		char a0[PATH_MAX], a1[32];
		snprintf(a0, sizeof(a0), "%s", path);
		snprintf(a1, sizeof(a1), "%s", event);
		char *const argv[] = {a0, a1, NULL};
		execve(path, argv, env);
		_exit(127);
	}
	setpgid(pid, pid);
	uint64_t deadline = mono_ms() + d->c.hook_timeout;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return;
		if (mono_ms() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_warnx("hook %s: killed after %llu ms", path,
				  (unsigned long long)d->c.hook_timeout);
			return;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("hook %s: ok", path);
	else if (WIFEXITED(status))
		log_warnx("hook %s: exit status %d", path, WEXITSTATUS(status));
	else
		log_warnx("hook %s: killed by signal %d", path, WTERMSIG(status));
}

/* The runner: collect, sort and run the hooks. Runs in its own process. */
static void runner(const struct agentd *d, const char *event, const char *state,
		   const struct rc_notice *n)
{
	static char names[AGENTD_HOOKS_MAX][NAME_MAX + 1];
	static char slots[ENV_MAX][1100];
	char *env[ENV_MAX + 1];
	size_t nn = 0, ne = 0;
	DIR *dir = opendir(d->c.hooks_dir);
	if (!dir) {
		if (errno != ENOENT)
			log_warn("hooks: %s", d->c.hooks_dir);
		return;
	}
	int dfd = dirfd(dir);
	for (struct dirent *e; (e = readdir(dir)) && nn < AGENTD_HOOKS_MAX;) {
		struct stat st;
		if (!name_ok(e->d_name) || fstatat(dfd, e->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode) || faccessat(dfd, e->d_name, X_OK, 0) < 0)
			continue;
		size_t i = nn++;
		for (; i > 0 && strcmp(names[i - 1], e->d_name) > 0; i--)
			memcpy(names[i], names[i - 1], sizeof(names[i]));
		snprintf(names[i], sizeof(names[i]), "%s", e->d_name);
	}
	closedir(dir);

#define PUT(k, v, l) env[ne] = env_put(slots[ne], sizeof(slots[ne]), k, v, l), ne++
#define PUTS(k, v)   PUT(k, v, strlen(v))
	char num[24], refs[RC_REFS_MAX * (RC_REF_MAX + 1) + 1];
	PUTS("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
	PUTS("RECALL_EVENT", event);
	PUTS("RECALL_STATE", state);
	PUTS("RECALL_VENDOR", d->vendor);
	PUTS("RECALL_MODEL", d->model);
	PUTS("RECALL_HWREV", d->hwrev);
	PUTS("RECALL_FWVER", d->fwver);
	if (n) {
		PUT("RECALL_NOTICE_ID", n->id.p, n->id.n);
		PUT("RECALL_TEXT", n->text.p, n->text.n);
		PUT("RECALL_URL", n->remedy_url.p, n->remedy_url.n);
		PUTS("RECALL_ACTION", rc_action_name(n->action));
		PUTS("RECALL_SEVERITY", rc_severity_name(n->severity));
		snprintf(num, sizeof(num), "%llu", (unsigned long long)n->expiry);
		PUTS("RECALL_EXPIRY", num);
		size_t rl = 0;
		for (size_t i = 0; i < n->nrefs; i++) {
			rl += (size_t)snprintf(refs + rl, sizeof(refs) - rl, "%s%.*s", i ? " " : "",
					       (int)n->refs[i].n, n->refs[i].p);
		}
		PUT("RECALL_REFS", refs, rl);
	}
	env[ne] = NULL;
#undef PUT
#undef PUTS
	for (size_t i = 0; i < nn; i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", d->c.hooks_dir, names[i]) <
		    (int)sizeof(path))
			run_one(d, path, event, env);
	}
}

int hooks_run(const struct agentd *d, const char *event, const char *state,
	      const struct rc_notice *n)
{
	if (!d->c.hooks_dir || !*d->c.hooks_dir)
		return 0;
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("hooks: fork");
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGCHLD, SIG_DFL);
		runner(d, event, state, n);
		_exit(0);
	}
	return pid;
}
