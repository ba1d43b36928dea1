/* Owner notification hooks: every executable in hooks-dir whose name is made of
 * [A-Za-z0-9_-] (run-parts rules), in name order, with the event as argv[1] and the notice in
 * environment variables (recall-agent(8), HOOKS). fork/exec only, never a shell. A runner
 * child does the work so the daemon never waits; each hook gets hook-timeout, then its whole
 * process group is killed.
 *
 * Hooks run with the daemon's privileges, so only root and the agent's own user may decide
 * what runs: the hooks directory and every directory above it, and each hook, must be owned
 * by root or the effective user and not writable by group or others (a directory above may
 * be if it is sticky, like /tmp: others cannot move what they do not own out of it). The
 * directory is resolved once (realpath) and checked component by component without following
 * links; a hook that is a symbolic link runs if its target, resolved the same way, passes the
 * same checks, and the resolved target is what is executed. Anything else is refused and
 * logged (rate limited, counted across the runner children). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentd.h"
#include "log.h"
#include "recall/text.h"

#define ENV_MAX        20
#define REFUSED_LOGGED 8 /* refusal lines per event at most */

/* Shared with the runner children, so that their refusals are rate limited and counted. */
struct hooks_shared {
	struct log_rate rl;
	uint64_t refused;
};
static struct hooks_shared *sh;

static struct hooks_shared *shared(void)
{
	static struct hooks_shared local;
	if (!sh) {
		void *p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		sh = p == MAP_FAILED ? &local : p;
		log_rate_init(&sh->rl, 1.0 / 60, 20); /* 20 lines, then one a minute */
	}
	return sh;
}

uint64_t hooks_refused(void)
{
	return sh ? sh->refused : 0;
}

static void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

static bool owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Open the directory at the absolute, link-free path p (from realpath) walking down from "/"
 * without following links, checking each directory on the way. fd or -1 with why. */
static int safe_dir(const char *p, char *why, size_t cap)
{
	char comp[NAME_MAX + 1];
	struct stat st;
	size_t e = 0; /* p[0..e) is the directory checked */
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || p[0] != '/') {
		say(why, cap, "%s: not an absolute path", p);
		goto fail;
	}
	for (;;) {
		int plen = e ? (int)e : 1; /* this directory: p[0..e), or "/" */
		while (p[e] == '/')
			e++;
		bool last = !p[e];
		if (fstat(fd, &st) < 0) {
			say(why, cap, "%.*s: %s", plen, p, strerror(errno));
			goto fail;
		}
		if (!owner_ok(&st) || ((st.st_mode & 022) && (last || !(st.st_mode & S_ISVTX)))) {
			say(why, cap,
			    "%.*s: owned by uid %u with mode %04o: must be owned by root or uid "
			    "%u and not writable by group or others%s",
			    plen, p, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
			    (unsigned)geteuid(), last ? "" : " (unless sticky)");
			goto fail;
		}
		if (last)
			break;
		size_t n = strcspn(p + e, "/");
		if (n > NAME_MAX) {
			say(why, cap, "%s: name too long", p);
			goto fail;
		}
		memcpy(comp, p + e, n);
		comp[n] = 0;
		int nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			say(why, cap, "%.*s: %s", (int)(e + n), p, strerror(errno));
			goto fail;
		}
		close(fd);
		fd = nfd;
		e += n;
	}
	int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		say(why, cap, "%s: %s", p, strerror(errno));
	close(fd);
	return rfd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* A hook's own checks: st from lstat-like fstatat (no link followed). NULL if fine. */
static const char *file_bad(const struct stat *st, char *why, size_t cap)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (owner_ok(st) && !(st->st_mode & 022))
		return NULL;
	say(why, cap,
	    "owned by uid %u with mode %04o: must be owned by root or uid %u and not writable "
	    "by group or others",
	    (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777), (unsigned)geteuid());
	return why;
}

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
		if (snprintf(a0, sizeof(a0), "%s", path) >= (int)sizeof(a0))
			_exit(127);
		snprintf(a1, sizeof(a1), "%s", event);
		char *const argv[] = {a0, a1, NULL};
		/* Hooks notify; they do not need the agent's CAP_NET_ADMIN (a non-root agent holds
		 * it as an ambient capability, which execve would pass on). */
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
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

/* Resolve the link dir/name to its target and check the target's directories and the target
 * itself. The target path in out, or NULL with why. */
static const char *link_target(const char *dir, const char *name, char out[PATH_MAX], char *why,
			       size_t cap)
{
	char lp[PATH_MAX];
	struct stat st;
	const char *bad;
	if (snprintf(lp, sizeof(lp), "%s/%s", dir, name) >= (int)sizeof(lp) || !realpath(lp, out)) {
		say(why, cap, "link to nowhere: %s", strerror(errno));
		return NULL;
	}
	char *slash = strrchr(out, '/');
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%.*s", slash == out ? 1 : (int)(slash - out), out);
	char sub[400];
	int pfd = safe_dir(parent, sub, sizeof(sub));
	if (pfd < 0) {
		say(why, cap, "link to %s: %s", out, sub);
		return NULL;
	}
	int r = fstatat(pfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW);
	close(pfd);
	if (r < 0 || (bad = file_bad(&st, sub, sizeof(sub)))) {
		say(why, cap, "link to %s: %s", out, r < 0 ? strerror(errno) : bad);
		return NULL;
	}
	if (!(st.st_mode & 0111))
		return NULL; /* not executable: skipped like any other */
	return out;
}

/* The runner: collect, check, sort and run the hooks in the checked directory dfd (at the
 * resolved path dir). Runs in its own process. */
static void runner(const struct agentd *d, int dfd, const char *dir, const char *event,
		   const char *state, const struct rc_notice *n)
{
	static char names[AGENTD_HOOKS_MAX][NAME_MAX + 1];
	static char paths[AGENTD_HOOKS_MAX][PATH_MAX];
	static char slots[ENV_MAX][1100];
	char *env[ENV_MAX + 1];
	size_t nn = 0, ne = 0, nrefused = 0;
	DIR *dp = fdopendir(dfd);
	if (!dp) {
		log_warn("hooks: %s", dir);
		return;
	}
	for (struct dirent *e; (e = readdir(dp)) && nn < AGENTD_HOOKS_MAX;) {
		struct stat st;
		char why[600], target[PATH_MAX];
		const char *bad = NULL, *path = NULL;
		if (!name_ok(e->d_name) || fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISDIR(st.st_mode))
			continue;
		if (S_ISLNK(st.st_mode)) {
			why[0] = 0;
			if (!(path = link_target(dir, e->d_name, target, why, sizeof(why))))
				bad = why[0] ? why : NULL;
		} else if (!S_ISREG(st.st_mode) || (st.st_mode & 0111)) {
			bad = file_bad(&st, why, sizeof(why));
			if (!bad && faccessat(dfd, e->d_name, X_OK, 0) == 0)
				path = "";
		}
		if (bad) {
			nrefused++;
			__atomic_add_fetch(&sh->refused, 1, __ATOMIC_RELAXED);
			if (nrefused <= REFUSED_LOGGED)
				log_warnx_rl(&sh->rl, "hook %s/%s: %s: refused, not run (event %s)",
					     dir, e->d_name, bad, event);
		}
		if (!path)
			continue;
		size_t i = nn++;
		for (; i > 0 && strcmp(names[i - 1], e->d_name) > 0; i--) {
			memcpy(names[i], names[i - 1], sizeof(names[i]));
			memcpy(paths[i], paths[i - 1], sizeof(paths[i]));
		}
		snprintf(names[i], sizeof(names[i]), "%s", e->d_name);
		if (*path)
			snprintf(paths[i], sizeof(paths[i]), "%s", path);
		else if (snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, e->d_name) >=
			 (int)sizeof(paths[i]))
			paths[i][0] = 0;
	}
	closedir(dp);
	if (nrefused > REFUSED_LOGGED)
		log_warnx_rl(&sh->rl, "hooks %s: %zu more refused (event %s)", dir,
			     nrefused - REFUSED_LOGGED, event);
	if (nrefused)
		log_warnx_rl(&sh->rl, "hooks %s: %llu refused so far", dir,
			     (unsigned long long)sh->refused);

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
	for (size_t i = 0; i < nn; i++)
		if (paths[i][0])
			run_one(d, paths[i], event, env);
}

int hooks_run(const struct agentd *d, const char *event, const char *state,
	      const struct rc_notice *n)
{
	static char dir[PATH_MAX];
	char why[600];
	if (!d->c.hooks_dir || !*d->c.hooks_dir)
		return 0;
	shared();
	if (!realpath(d->c.hooks_dir, dir)) {
		if (errno != ENOENT)
			log_warnx_rl(&sh->rl, "hooks-dir %s: %s", d->c.hooks_dir, strerror(errno));
		return 0;
	}
	int dfd = safe_dir(dir, why, sizeof(why));
	if (dfd < 0) {
		sh->refused++;
		log_warnx_rl(
		    &sh->rl,
		    "hooks-dir %s: %s: refused, no hook run (event %s; %llu refused so far)",
		    d->c.hooks_dir, why, event, (unsigned long long)sh->refused);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("hooks: fork");
		close(dfd);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGCHLD, SIG_DFL);
		runner(d, dfd, dir, event, state, n);
		_exit(0);
	}
	close(dfd);
	return pid;
}
