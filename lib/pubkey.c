/* The feed public key file: one line, "recall-ed25519-public <base64 of 32 bytes>" and
 * optionally a space and a comment. Only the canonical base64 text is accepted. Also the
 * rc_signer of a secret key in memory. */
#include <string.h>

#include <sodium.h>

#include "pubkey.h"

#define KEY_TAG     "recall-ed25519-public"
#define KEY_B64_LEN 44

const char *rc_pubkey_parse(const uint8_t *buf, size_t n, uint8_t pk[static RC_PK_LEN])
{
	size_t tl = strlen(KEY_TAG), bin = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (memchr(buf, '\n', n) || memchr(buf, '\0', n))
		return "more than one line";
	if (n < tl + 1 + KEY_B64_LEN || memcmp(buf, KEY_TAG, tl) || buf[tl] != ' ')
		return "not a recall public key (expected '" KEY_TAG " <base64>')";
	if ((n > tl + 1 + KEY_B64_LEN && buf[tl + 1 + KEY_B64_LEN] != ' ') ||
	    sodium_base642bin(pk, RC_PK_LEN, (const char *)buf + tl + 1, KEY_B64_LEN, NULL, &bin,
			      NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    bin != RC_PK_LEN)
		return "the key is not base64 of 32 bytes";
	/* libsodium stops at a stray byte without saying so: accept only the canonical text. */
	char b64[KEY_B64_LEN + 1];
	sodium_bin2base64(b64, sizeof(b64), pk, RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL);
	if (memcmp(b64, buf + tl + 1, KEY_B64_LEN))
		return "the key is not base64 of 32 bytes";
	return NULL;
}

int rc__sign_sk(void *ctx, uint8_t sig[RC_SIG_LEN], const uint8_t *msg, size_t len)
{
	return crypto_sign_detached(sig, NULL, msg, len, ctx);
}
