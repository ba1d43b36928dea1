/* Signing with a key file or a PKCS#11 token key (signer.h). */
#include <string.h>

#include <sodium.h>

#include "signer.h"
#include "util.h"

static int sign_cb(void *ctx, uint8_t sig[RC_SIG_LEN], const uint8_t *msg, size_t len)
{
	return signer_sign(ctx, sig, msg, len);
}

int signer_open(struct signer *s, const char *spec)
{
	memset(s, 0, sizeof(*s));
	s->name = spec;
	int r = p11_is_uri(spec) ? p11_open(spec, &s->token, s->rc.pk)
				 : key_load_secret(spec, &s->file);
	if (r < 0)
		return -1;
	if (!s->token)
		memcpy(s->rc.pk, s->file.pk, RC_PK_LEN);
	s->rc.sign = sign_cb;
	s->rc.ctx = s;
	rc_kid(s->kid, s->rc.pk);
	return 0;
}

int signer_sign(struct signer *s, uint8_t sig[static RC_SIG_LEN], const uint8_t *msg, size_t len)
{
	if (!s->token) {
		crypto_sign_detached(sig, NULL, msg, len, s->file.sk);
		return 0;
	}
	if (p11_sign(s->token, sig, msg, len) < 0)
		return -1;
	/* A token that signs with another key than its public key object says would make
	 * signatures nobody can verify: catch it here, not at the devices. */
	if (crypto_sign_verify_detached(sig, msg, len, s->rc.pk) != 0) {
		warnx_("%s: the token's signature does not verify with the key's public key object",
		       tsafe(s->name));
		return -1;
	}
	return 0;
}

int signer_note(struct signer *s, char *out, size_t cap, size_t *len, const char *text,
		size_t text_len, const struct rc_note_key *k)
{
	*len = 0;
	uint8_t sig[RC_SIG_LEN];
	if (cap < text_len + 1 || k->alg != RC_NOTE_ALG_ED25519 ||
	    memcmp(k->pk, s->rc.pk, RC_PK_LEN) != 0)
		return RC_ERR_INVALID;
	if (signer_sign(s, sig, (const uint8_t *)text, text_len) < 0)
		return RC_ERR_IO;
	memcpy(out, text, text_len);
	out[text_len] = '\n';
	size_t l = text_len + 1;
	int err =
	    rc_note_append_sig(out, cap, &l, k->name, k->name_len, k->keyid, sig, sizeof(sig));
	if (!err)
		*len = l;
	return err;
}

void signer_close(struct signer *s)
{
	if (s->token)
		p11_close(s->token);
	else if (s->file.sk)
		key_free(&s->file);
	memset(s, 0, sizeof(*s));
}
