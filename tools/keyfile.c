/* Ed25519 key files: parsing and formatting (keyfile.h). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "util.h"

#define B64_32 44 /* base64 (with padding) of 32 bytes */

/* Parse "TAG <base64 32 bytes>[ comment]\n?" from buf (NUL-terminated, n bytes) into out.
 * Returns NULL or the reason it is not such a line. */
static const char *parse_line(const char *buf, size_t n, const char *tag, uint8_t out[static 32])
{
	size_t tl = strlen(tag);
	if (strlen(buf) != n)
		return "contains a NUL byte";
	const char *nl = memchr(buf, '\n', n);
	if (nl && (size_t)(nl - buf) != n - 1)
		return "more than one line";
	size_t line = nl ? (size_t)(nl - buf) : n;
	if (line < tl + 1 || memcmp(buf, tag, tl) != 0 || buf[tl] != ' ')
		return NULL; /* caller words the "wrong kind of file" message */
	const char *b = buf + tl + 1;
	size_t rest = line - tl - 1;
	if (rest < B64_32 || (rest > B64_32 && b[B64_32] != ' '))
		return "the key is not 44 characters of base64";
	size_t bin_len;
	if (sodium_base642bin(out, 32, b, B64_32, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != 32)
		return "the key is not valid base64 of 32 bytes";
	/* libsodium stops at a stray byte without saying so: accept only the canonical text. */
	char canon[B64_32 + 1];
	sodium_bin2base64(canon, sizeof(canon), out, 32, sodium_base64_VARIANT_ORIGINAL);
	if (memcmp(canon, b, B64_32) != 0)
		return "the key is not valid base64 of 32 bytes";
	for (size_t i = B64_32; i < rest; i++)
		if ((unsigned char)b[i] < 0x20 || b[i] == 0x7f)
			return "control character in the comment";
	return "";
}

int key_load_secret(const char *path, struct seckey *k)
{
	memset(k, 0, sizeof(*k));
	struct stat st;
	int fd = file_open(path, &st);
	if (fd < 0)
		return -1;
	if (st.st_size > KEY_LINE_MAX) {
		warnx_("%s: line 1: too long for a secret key file", path);
		close(fd);
		return -1;
	}
	char *buf = sodium_malloc(KEY_LINE_MAX + 1);
	uint8_t *seed = sodium_malloc(32);
	k->sk = sodium_malloc(RC_SK_LEN);
	if (!buf || !seed || !k->sk) {
		warnx_("%s: cannot allocate protected memory", path);
		close(fd);
		sodium_free(buf);
		sodium_free(seed);
		key_free(k);
		return -1;
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, KEY_LINE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	const char *why = parse_line(buf, n, KEY_SECRET_TAG, seed);
	int ret = 0;
	if (why && (st.st_mode & 077)) {
		warnx_("%s: secret key is accessible by others (mode %04o); run chmod 600 on it",
		       path, (unsigned)(st.st_mode & 07777));
		ret = -1;
	} else if (!why) {
		bool pub = n > strlen(KEY_PUBLIC_TAG) &&
			   !memcmp(buf, KEY_PUBLIC_TAG, strlen(KEY_PUBLIC_TAG));
		warnx_("%s: line 1: %s", path,
		       pub ? "this is a public key; a secret key (NAME.key) is needed here"
			   : "not a recall secret key (expected '" KEY_SECRET_TAG " <base64>')");
		ret = -1;
	} else if (*why) {
		warnx_("%s: line 1: %s", path, why);
		ret = -1;
	} else {
		crypto_sign_seed_keypair(k->pk, k->sk, seed);
		rc_kid(k->kid, k->pk);
	}
	sodium_free(buf); /* sodium_free wipes before unmapping */
	sodium_free(seed);
	if (ret)
		key_free(k);
	return ret;
}

void key_free(struct seckey *k)
{
	if (k->sk)
		sodium_free(k->sk);
	sodium_memzero(k, sizeof(*k));
}

int key_load_public(const char *path, uint8_t pk[static RC_PK_LEN])
{
	size_t n;
	uint8_t *buf = file_read(path, &n, 4096);
	if (!buf)
		return -1;
	const char *why = parse_line((const char *)buf, n, KEY_PUBLIC_TAG, pk);
	if (!why) {
		bool sec = n > strlen(KEY_SECRET_TAG) &&
			   !memcmp(buf, KEY_SECRET_TAG, strlen(KEY_SECRET_TAG));
		warnx_("%s: line 1: %s", path,
		       sec ? "this is a secret key; give the public key (NAME.pub)"
			   : "not a recall public key (expected '" KEY_PUBLIC_TAG " <base64>')");
	} else if (*why) {
		warnx_("%s: line 1: %s", path, why);
	}
	if (buf && n)
		sodium_memzero(buf, n); /* in case a secret key was given by mistake */
	free(buf);
	return why && !*why ? 0 : -1;
}

void key_format(char sec[static KEY_LINE_MAX], char pub[static KEY_LINE_MAX],
		const uint8_t seed[static 32], const uint8_t pk[static RC_PK_LEN],
		const char *comment)
{
	char b64[B64_32 + 1];
	sodium_bin2base64(b64, sizeof(b64), seed, 32, sodium_base64_VARIANT_ORIGINAL);
	snprintf(sec, KEY_LINE_MAX, "%s %s\n", KEY_SECRET_TAG, b64);
	sodium_memzero(b64, sizeof(b64));
	key_format_public(pub, pk, comment);
}

void key_format_public(char pub[static KEY_LINE_MAX], const uint8_t pk[static RC_PK_LEN],
		       const char *comment)
{
	char b64[B64_32 + 1];
	sodium_bin2base64(b64, sizeof(b64), pk, RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL);
	if (comment && *comment)
		snprintf(pub, KEY_LINE_MAX, "%s %s %.160s\n", KEY_PUBLIC_TAG, b64, comment);
	else
		snprintf(pub, KEY_LINE_MAX, "%s %s\n", KEY_PUBLIC_TAG, b64);
}
