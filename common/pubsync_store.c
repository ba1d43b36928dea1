/* Files of the publication sync engine: bounded reads, atomic writes into the cache directory,
 * and the directory source (pubsync.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pubsync.h"
#include "pubsync_int.h"

int ps_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct stat st = {0};
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		if (e == 0 || S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode))
			e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *b = malloc(n + 1);
	if (!b) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (got <= n) { /* one byte more than the size: a file that grew is refused */
		ssize_t r = read(fd, b + got, n + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0) {
				int e = errno;
				free(b);
				close(fd);
				errno = e;
				return -1;
			}
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (got != n) {
		free(b);
		errno = got > n ? EFBIG : EIO;
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

int ps_mkdirs(const char *path)
{
	char b[PS_PATH_MAX];
	int w = snprintf(b, sizeof(b), "%s", path);
	if (w < 0 || (size_t)w >= sizeof(b)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	char *slash = strrchr(b, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	for (char *p = b + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(b, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (b[0] && mkdir(b, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int ps_write(const char *path, const void *p, size_t n, bool sync)
{
	char tmp[PS_PATH_MAX + 32];
	if (ps_mkdirs(path) < 0)
		return -1;
	int w = snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if (w < 0 || (size_t)w >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	const uint8_t *q = p;
	size_t done = 0;
	while (done < n) {
		ssize_t r = write(fd, q + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto fail;
		done += (size_t)r;
	}
	if ((sync && fsync(fd) < 0) || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
fail:;
	int e = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

int ps_sync_dir(const char *dir, bool whole_fs)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = whole_fs ? syncfs(fd) : fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

int pubsync_dir_get(void *ctx, const char *rel, size_t max, uint8_t **buf, size_t *len,
		    char *errbuf, size_t errlen)
{
	const char *dir = ctx;
	char path[PS_PATH_MAX];
	int w = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (w < 0 || (size_t)w >= sizeof(path) || strstr(rel, "..")) {
		snprintf(errbuf, errlen, "%.200s: bad path", rel);
		return -1;
	}
	if (ps_read(path, max, buf, len) == 0)
		return 0;
	if (errno == ENOENT)
		return PUBSYNC_GET_NOTFOUND;
	if (errno == EFBIG)
		return PUBSYNC_GET_TOOBIG;
	snprintf(errbuf, errlen, "%.200s: %s", path, strerror(errno));
	return -1;
}
