/* What makes recalld a well-behaved daemon: background start with a readiness pipe, pid file,
 * privilege drop (chroot optional), systemd readiness notification, CPU count. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "rd.h"
#include "notify.h"
#include "system.h"

unsigned sys_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int ready_fd = -1;

int sys_daemonize(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		/* parent: exit with the child's startup result */
		char c = 1;
		close(p[1]);
		ssize_t r;
		do
			r = read(p[0], &c, 1);
		while (r < 0 && errno == EINTR);
		_exit(r == 1 && c == 0 ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0)
		return -1;
	if (chdir("/") < 0)
		return -1;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

void sys_ready(void)
{
	if (ready_fd >= 0) {
		char c = 0;
		ssize_t r = write(ready_fd, &c, 1);
		(void)r;
		close(ready_fd);
		ready_fd = -1;
	}
	sys_notify("READY=1");
}

void sys_notify(const char *msg)
{
	if (notify_send(msg) < 0)
		log_debug("sd_notify: %s", strerror(errno));
}

/* Open path for writing without following a symbolic link in its last component and without
 * blocking (a FIFO without a reader fails with ENXIO, one with a reader is refused below); only
 * a regular file with one link is accepted. create: create it (mode) if missing; *created says
 * whether this call made it. -1 with "what: why" in err. */
static int open_checked(const char *what, const char *path, int flags, mode_t mode, bool create,
			bool *created, struct stat *st, char *err, size_t cap)
{
	const int base = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags;
	int fd = -1;
	*created = false;
	/* bounded: the file may be removed between the two opens */
	for (int tries = 0; fd < 0 && tries < 3; tries++) {
		if (create) {
			/* O_EXCL never follows a link, even a dangling one */
			fd = open(path, base | O_CREAT | O_EXCL, mode);
			if (fd >= 0) {
				*created = true;
				break;
			}
			if (errno != EEXIST)
				break;
		}
		fd = open(path, base);
		if (fd < 0 && (errno != ENOENT || !create))
			break;
	}
	if (fd < 0) {
		int e = errno;
		struct stat lst;
		if (e == ELOOP && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			snprintf(err, cap,
				 "%s %s: is a symbolic link (refused: recalld does not "
				 "follow links to files it writes)",
				 what, path);
		else if (e == ENXIO)
			snprintf(err, cap, "%s %s: not a regular file (refused)", what, path);
		else
			snprintf(err, cap, "%s %s: %s", what, path, strerror(e));
		return -1;
	}
	const char *why = NULL;
	if (fstat(fd, st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st->st_mode))
		why = "not a regular file (refused)";
	else if (st->st_nlink != 1)
		why = "has more than one hard link (refused)";
	if (why) {
		snprintf(err, cap, "%s %s: %s", what, path, why);
		close(fd);
		return -1;
	}
	return fd;
}

int sys_pidfile(const char *path, char *err, size_t cap)
{
	/* no O_TRUNC at open: nothing is changed before the checks */
	struct stat st;
	bool created;
	int fd = open_checked("pid-file", path, 0, 0644, true, &created, &st, err, cap);
	if (fd < 0)
		return -1;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	ssize_t w = ftruncate(fd, 0) == 0 ? write(fd, buf, (size_t)n) : -1;
	if (w != n)
		snprintf(err, cap, "pid-file %s: %s", path,
			 w < 0 ? strerror(errno) : "short write");
	close(fd);
	return w == n ? 0 : -1;
}

int sys_open_log(const char *what, const char *path, const char *user, char *err, size_t cap)
{
	struct passwd *pw = NULL;
	if (user && user[0] && geteuid() == 0) {
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, cap, "user %s: no such user", user);
			return -1;
		}
	}
	struct stat st;
	bool created;
	int fd = open_checked(what, path, O_APPEND, 0640, true, &created, &st, err, cap);
	if (fd < 0 || !pw)
		return fd;
	/* Hand it over only if that cannot give the user a file it could not write before: one
	 * made just now, or one already the user's or root's (one link, not a link: checked). */
	if (!created && st.st_uid != 0 && st.st_uid != pw->pw_uid) {
		snprintf(err, cap, "%s %s: owned by uid %u, neither root nor %s (refused)", what,
			 path, (unsigned)st.st_uid, user);
		close(fd);
		return -1;
	}
	if (fchown(fd, pw->pw_uid, pw->pw_gid) < 0) {
		snprintf(err, cap, "%s %s: chown to %s: %s", what, path, user, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void no_user(const char *user, char *err, size_t cap)
{
	snprintf(err, cap,
		 "user %s: no such user on this system: create it (adduser --system %s) or "
		 "change 'user' in the configuration",
		 user, user);
}

int sys_check_user(const char *user, const char *root, char *err, size_t cap)
{
	struct stat st;
	if (user && user[0] && !getpwnam(user)) {
		no_user(user, err, cap);
		return -1;
	}
	if (root && root[0]) {
		int e = stat(root, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (e) {
			snprintf(err, cap, "chroot %s: %s: create the directory or change 'chroot'",
				 root, strerror(e));
			return -1;
		}
	}
	return 0;
}

int sys_drop(const char *user, const char *root, char *err, size_t cap)
{
	struct passwd *pw = NULL;
	if (user && user[0]) {
		pw = getpwnam(user);
		if (!pw) {
			no_user(user, err, cap);
			return -1;
		}
	}
	if (root && root[0]) {
		if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0) {
			snprintf(err, cap, "chroot %s: %s", root, strerror(errno));
			return -1;
		}
	}
	if (!pw) {
		if (geteuid() == 0)
			log_warnx("running as root: set user in the configuration");
		return 0;
	}
	gid_t gid = pw->pw_gid;
	uid_t uid = pw->pw_uid;
	if (geteuid() != 0) {
		/* started as that user already (systemd User=): nothing to drop */
		if (geteuid() == uid && getegid() == gid)
			return 0;
		snprintf(err, cap, "user %s: cannot switch users without root", user);
		return -1;
	}
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(err, cap, "dropping privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, cap, "dropping privileges to %s: could regain root", user);
		return -1;
	}
	log_info("running as %s (uid %u)%s%s", user, (unsigned)uid, root && root[0] ? " in " : "",
		 root && root[0] ? root : "");
	return 0;
}
