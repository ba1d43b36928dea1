/* The persisted state file, <state-dir>/state: the core's state blob in a checked frame,
 *   "RCAGST01" | u32 little-endian blob length | blob | SHA-256 of everything before it,
 * replaced atomically: write state.tmp, fsync, rename over state, fsync the directory. A
 * reader sees the old file or the new one, never a mixture; a frame that fails its checks
 * (torn by a broken disk, edited, truncated) is reported and ignored: fail open. */
#include <errno.h>
#include <fcntl.h>
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

int state_dir_open(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int state_lock(int dirfd)
{
	int fd = openat(dirfd, AGENTD_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
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

	int fd = openat(dirfd, TMP_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
	int fd = openat(dirfd, AGENTD_STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(why, whycap, "%s", strerror(errno));
		return errno == ENOENT ? 1 : -1;
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
