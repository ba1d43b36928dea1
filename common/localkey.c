/* The local feed key of a publication consumer (recalld's and recall-gate's "publication"): an
 * Ed25519 key made once into STATE-DIR/local-feed.key (mode 0600). The fetcher signs the feed
 * it builds from a verified publication with it; the daemon opens that feed with its public
 * half. The authority's feed key only ever signs the publication's top file. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "localkey.h"

static int make(const char *path, uint8_t seed[32], char *err, size_t errlen)
{
	char line[128], b64[64], tmp[4200];
	randombytes_buf(seed, 32);
	sodium_bin2base64(b64, sizeof(b64), seed, 32, sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof(line), LOCAL_KEY_TAG "%s\n", b64);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t n = strlen(line);
	bool ok = fd >= 0 && write(fd, line, n) == (ssize_t)n && fsync(fd) == 0;
	sodium_memzero(line, sizeof(line));
	sodium_memzero(b64, sizeof(b64));
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int local_key(const char *path, bool create, uint8_t sk[64], char *err, size_t errlen)
{
	uint8_t seed[32], pk[32];
	char line[128];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && create) {
		if (make(path, seed, err, errlen) < 0)
			return -1;
	} else if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	} else {
		struct stat st;
		ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 077)
				? read(fd, line, sizeof(line) - 1)
				: -1;
		close(fd);
		size_t bin = 0, tl = strlen(LOCAL_KEY_TAG);
		bool bad = n < 0 || (size_t)n < tl + 44 || memcmp(line, LOCAL_KEY_TAG, tl) ||
			   sodium_base642bin(seed, 32, line + tl, 44, NULL, &bin, NULL,
					     sodium_base64_VARIANT_ORIGINAL) ||
			   bin != 32;
		sodium_memzero(line, sizeof(line));
		if (bad) {
			snprintf(err, errlen,
				 "%s: not a secret key of mode 0600 (remove it to make a new one)",
				 path);
			return -1;
		}
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}
