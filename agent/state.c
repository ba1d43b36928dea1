/* The persisted state file, <state-dir>/state: the core's state blob in a checked frame,
 *   "RCAGST01" | u32 little-endian blob length | blob | SHA-256 of everything before it,
 * replaced atomically: write state.tmp, fsync, rename over state, fsync the directory. A
 * reader sees the old file or the new one, never a mixture; a frame that fails its checks
 * (torn by a broken disk, edited, truncated) is reported and ignored: fail open. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agentd.h"

#define MAGIC     "RCAGST01"
#define MAGIC_LEN 8
#define HDR_LEN   (MAGIC_LEN + 4)
#define SUM_LEN   crypto_hash_sha256_BYTES
#define TMP_FILE  AGENTD_STATE_FILE ".tmp"
#define FRAME_MAX (HDR_LEN + RC_AGENT_STATE_MAX + SUM_LEN)

static uint8_t frame[FRAME_MAX];

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* The checks of state_dir_open (writer: the daemon) and state_dir_open_ro (a reader: the
 * commands, which may run as root while the directory belongs to the daemon's user). */
static int dir_open(const char *path, bool writer, char *err, size_t cap)
{
	struct stat st;
	unsigned me = (unsigned)geteuid();
	if (writer && mkdir(path, 0700) < 0 && errno != EEXIST)
		return fail(err, cap, "state-dir %s: cannot create: %s", path, strerror(errno));
	/* The last component is not followed: a symbolic link here could point anywhere. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return fail(
			    err, cap,
			    "state-dir %s: not a directory (a symbolic link is not followed): "
			    "set state-dir to the real directory",
			    path);
		return fail(err, cap, "state-dir %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return fail(err, cap, "state-dir %s: %s", path, strerror(errno));
	}
	unsigned uid = (unsigned)st.st_uid, mode = (unsigned)(st.st_mode & 07777);
	/* Whoever else can write here can plant links to files we would write as root, or a state
	 * file and a control socket that lie to the reader. */
	if (writer && (uid != me || (st.st_mode & 022))) {
		close(fd);
		errno = EPERM;
		return fail(
		    err, cap,
		    "state-dir %s: owned by uid %u with mode %04o: refused, it must be owned "
		    "by the agent's user (uid %u) and not writable by group or others "
		    "(chown %u %s && chmod 0700 %s, or remove it to have it created)",
		    path, uid, mode, me, me, path, path);
	}
	/* A reader trusts root, itself and, when it is root, the daemon's user (whoever owns the
	 * directory: the daemon refuses to run in one that is not its own). */
	if (!writer && (st.st_mode & 022)) {
		close(fd);
		errno = EPERM;
		return fail(err, cap,
			    "state-dir %s: owned by uid %u with mode %04o: refused, it must not be "
			    "writable by group or others (chmod 0700 %s)",
			    path, uid, mode, path);
	}
	if (!writer && uid != me && uid != 0 && me != 0) {
		close(fd);
		errno = EPERM;
		return fail(
		    err, cap,
		    "state-dir %s: owned by uid %u with mode %04o: refused, it must be owned "
		    "by root or by this user (uid %u): run this command as root or as the "
		    "agent's user",
		    path, uid, mode, me);
	}
	return fd;
}

int state_dir_open(const char *path, char *err, size_t cap)
{
	return dir_open(path, true, err, cap);
}

int state_dir_open_ro(const char *path, char *err, size_t cap)
{
	return dir_open(path, false, err, cap);
}

int state_lock(int dirfd, char *err, size_t cap)
{
	struct stat st = {0};
	int fd = openat(dirfd, AGENTD_LOCK_FILE,
			O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, cap, "%s: %s%s", AGENTD_LOCK_FILE, strerror(errno),
			    errno == ELOOP ? " (a symbolic link is not followed: remove it)" : "");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		close(fd);
		errno = EPERM;
		return fail(err, cap,
			    "%s: not a regular file owned by uid %u and writable by it alone "
			    "(uid %u, mode %06o): refused, remove it",
			    AGENTD_LOCK_FILE, (unsigned)geteuid(), (unsigned)st.st_uid,
			    (unsigned)st.st_mode);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return fail(err, cap, "%s: %s", AGENTD_LOCK_FILE,
			    e == EWOULDBLOCK ? "another recall-agent holds the lock" : strerror(e));
	}
	return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int state_save(int dirfd, const uint8_t *blob, size_t len)
{
	if (len > RC_AGENT_STATE_MAX) {
		errno = EFBIG;
		return -1;
	}
	memcpy(frame, MAGIC, MAGIC_LEN);
	for (int i = 0; i < 4; i++)
		frame[MAGIC_LEN + i] = (uint8_t)(len >> (8 * i));
	memcpy(frame + HDR_LEN, blob, len);
	crypto_hash_sha256(frame + HDR_LEN + len, frame, HDR_LEN + len);
	size_t total = HDR_LEN + len + SUM_LEN;

	/* A fresh file: whatever has this name (a link planted to a file elsewhere, a leftover of
	 * a crash) is removed first and never opened. */
	if (unlinkat(dirfd, TMP_FILE, 0) < 0 && errno != ENOENT)
		return -1;
	int fd =
	    openat(dirfd, TMP_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, frame, total) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlinkat(dirfd, TMP_FILE, 0);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || renameat(dirfd, TMP_FILE, dirfd, AGENTD_STATE_FILE) < 0)
		return -1;
	return fsync(dirfd);
}

int state_load(int dirfd, uint8_t *buf, size_t cap, size_t *len, char *why, size_t whycap)
{
	uint8_t sum[SUM_LEN];
	struct stat st;
	int fd = openat(dirfd, AGENTD_STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whycap, "%s", strerror(errno));
		return errno == ENOENT ? 1 : -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whycap, "not a regular file");
		close(fd);
		return -1;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, frame + n, sizeof(frame) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whycap, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(frame)) {
			uint8_t extra;
			if (read(fd, &extra, 1) > 0) {
				snprintf(why, whycap, "longer than %zu bytes", sizeof(frame));
				close(fd);
				return -1;
			}
			break;
		}
	}
	close(fd);
	if (n < HDR_LEN + SUM_LEN || memcmp(frame, MAGIC, MAGIC_LEN) != 0) {
		snprintf(why, whycap, "%s", n < HDR_LEN + SUM_LEN ? "truncated" : "bad magic");
		return -1;
	}
	size_t blen = 0;
	for (int i = 0; i < 4; i++)
		blen |= (size_t)frame[MAGIC_LEN + i] << (8 * i);
	if (blen > cap || blen > RC_AGENT_STATE_MAX || HDR_LEN + blen + SUM_LEN != n) {
		snprintf(why, whycap, "length %zu does not match the file size %zu", blen, n);
		return -1;
	}
	crypto_hash_sha256(sum, frame, HDR_LEN + blen);
	if (sodium_memcmp(sum, frame + HDR_LEN + blen, SUM_LEN) != 0) {
		snprintf(why, whycap, "checksum mismatch (torn or edited)");
		return -1;
	}
	memcpy(buf, frame + HDR_LEN, blen);
	*len = blen;
	return 0;
}
