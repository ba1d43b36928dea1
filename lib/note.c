/* Signed notes and keys (include/recall/note.h). The parser is strict where Go's is (UTF-8,
 * control characters, the blank line, names, signature count) and stricter on base64: only
 * the canonical encoding is accepted, so that a note has one spelling of each signature. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "note_b64.h"
#include "recall/note.h"

static const char dash[] = "\xe2\x80\x94 "; /* U+2014 EM DASH and a space */
#define DASH_LEN 4

/* Length of the valid UTF-8 sequence at s, with its code point, or 0 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len = s[0] < 0x80             ? 1
		     : (s[0] & 0xe0) == 0xc0 ? 2
		     : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	if (!len || len > n)
		return 0;
	uint32_t c = len == 1 ? s[0] : s[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Go's unicode.IsSpace: names must not contain any of these. */
static int is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

int rc_note_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > RC_NOTE_NAME_MAX)
		return 0;
	const unsigned char *s = (const unsigned char *)name;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t l = utf8_len(s + i, len - i, &c);
		if (!l || c < 0x20 || c == '+' || is_space(c))
			return 0;
		i += l;
	}
	return 1;
}

static int fail(struct rc_diag *d, size_t off, const char *field, int err)
{
	if (d) {
		d->off = off;
		d->field = field;
	}
	return err;
}

int rc_note_parse(struct rc_note *n, const char *buf, size_t len, struct rc_diag *d)
{
	memset(n, 0, sizeof(*n));
	if (len > RC_NOTE_MAX_LEN)
		return fail(d, RC_NOTE_MAX_LEN, "note", RC_ERR_TOOLONG);
	const unsigned char *s = (const unsigned char *)buf;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t l = utf8_len(s + i, len - i, &c);
		if (!l || (c < 0x20 && c != '\n'))
			return fail(d, i, "note", RC_ERR_SYNTAX);
		i += l;
	}
	/* The signatures follow the last blank line: signature lines are never empty. */
	size_t split = len;
	for (size_t i = len; i >= 2; i--)
		if (buf[i - 1] == '\n' && buf[i - 2] == '\n') {
			split = i - 2;
			break;
		}
	if (split == len || split == 0)
		return fail(d, len, "note.blank-line", RC_ERR_SYNTAX);
	n->text = buf;
	n->text_len = split + 1;
	size_t i = split + 2;
	if (i >= len || buf[len - 1] != '\n')
		return fail(d, i, "note.signatures", RC_ERR_SYNTAX);
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = (size_t)(nl - buf);
		if (n->nsigs == RC_NOTE_MAX_SIGS)
			return fail(d, i, "note.signatures", RC_ERR_TOOLONG);
		struct rc_note_sig *sg = &n->sigs[n->nsigs];
		if (end - i < DASH_LEN || memcmp(buf + i, dash, DASH_LEN) != 0)
			return fail(d, i, "note.signature", RC_ERR_SYNTAX);
		size_t p = i + DASH_LEN;
		const char *sp = memchr(buf + p, ' ', end - p);
		if (!sp || !rc_note_name_ok(buf + p, (size_t)(sp - buf) - p))
			return fail(d, p, "note.signature.name", RC_ERR_SYNTAX);
		sg->name = buf + p;
		sg->name_len = (size_t)(sp - buf) - p;
		p = (size_t)(sp - buf) + 1;
		uint8_t raw[4 + RC_NOTE_SIG_LINE];
		size_t rl;
		int err = rc_b64_decode(raw, sizeof(raw), &rl, buf + p, end - p);
		if (err)
			return fail(d, p, "note.signature.base64", err);
		if (rl < 5)
			return fail(d, p, "note.signature.base64", RC_ERR_SYNTAX);
		sg->b64 = buf + p;
		sg->b64_len = end - p;
		sg->keyid = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
			    (uint32_t)raw[2] << 8 | raw[3];
		sg->sig_len = rl - 4;
		/* A longer signature is another algorithm's: kept as its span, ignored. */
		if (sg->sig_len <= RC_NOTE_SIG_MAX)
			memcpy(sg->sig, raw + 4, sg->sig_len);
		n->nsigs++;
		i = end + 1;
	}
	return RC_OK;
}

uint32_t rc_note_keyid(const char *name, size_t len, uint8_t alg, const uint8_t pk[32])
{
	static const uint8_t lf = '\n';
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, len);
	crypto_hash_sha256_update(&st, &lf, 1);
	crypto_hash_sha256_update(&st, &alg, 1);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

int rc_note_key_init(struct rc_note_key *k, const char *name, size_t len, uint8_t alg,
		     const uint8_t pk[32])
{
	memset(k, 0, sizeof(*k));
	if (!rc_note_name_ok(name, len))
		return RC_ERR_SYNTAX;
	if (alg != RC_NOTE_ALG_ED25519 && alg != RC_NOTE_ALG_COSIG)
		return RC_ERR_INVALID;
	memcpy(k->name, name, len);
	k->name_len = len;
	k->alg = alg;
	memcpy(k->pk, pk, 32);
	k->keyid = rc_note_keyid(name, len, alg, pk);
	return RC_OK;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int rc_note_key_parse(struct rc_note_key *k, const char *s, size_t len)
{
	memset(k, 0, sizeof(*k));
	const char *p1 = memchr(s, '+', len);
	if (!p1)
		return RC_ERR_SYNTAX;
	size_t nl = (size_t)(p1 - s);
	/* Exactly 8 lowercase hex digits, then '+': Go's encoding, the only one. */
	if (len - nl < 10 || s[nl + 9] != '+')
		return RC_ERR_SYNTAX;
	uint32_t id = 0;
	for (size_t i = nl + 1; i < nl + 9; i++) {
		int v = hexval(s[i]);
		if (v < 0)
			return RC_ERR_SYNTAX;
		id = id << 4 | (uint32_t)v;
	}
	uint8_t raw[33];
	size_t rl;
	int err = rc_b64_decode(raw, sizeof(raw), &rl, s + nl + 10, len - nl - 10);
	if (err)
		return err;
	if (rl != 33)
		return RC_ERR_SIZE;
	if ((err = rc_note_key_init(k, s, nl, raw[0], raw + 1)) != 0)
		return err;
	if (k->keyid != id) {
		memset(k, 0, sizeof(*k));
		return RC_ERR_SIG;
	}
	return RC_OK;
}

int rc_note_key_format(char *out, size_t cap, const struct rc_note_key *k)
{
	uint8_t raw[33];
	char b64[RC_B64_LEN(33) + 1];
	raw[0] = k->alg;
	memcpy(raw + 1, k->pk, 32);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	int w =
	    snprintf(out, cap, "%.*s+%08x+%s", (int)k->name_len, k->name, (unsigned)k->keyid, b64);
	return w < 0 || (size_t)w >= cap ? RC_ERR_BUFFER : RC_OK;
}

int rc_note_append_sig(char *out, size_t cap, size_t *len, const char *name, size_t name_len,
		       uint32_t keyid, const uint8_t *sig, size_t sig_len)
{
	if (!rc_note_name_ok(name, name_len) || sig_len == 0 || sig_len > RC_NOTE_SIG_MAX)
		return RC_ERR_INVALID;
	uint8_t raw[4 + RC_NOTE_SIG_MAX];
	char b64[RC_B64_LEN(4 + RC_NOTE_SIG_MAX) + 1];
	raw[0] = (uint8_t)(keyid >> 24);
	raw[1] = (uint8_t)(keyid >> 16);
	raw[2] = (uint8_t)(keyid >> 8);
	raw[3] = (uint8_t)keyid;
	memcpy(raw + 4, sig, sig_len);
	sodium_bin2base64(b64, sizeof(b64), raw, 4 + sig_len, sodium_base64_VARIANT_ORIGINAL);
	size_t bl = strlen(b64), need = DASH_LEN + name_len + 1 + bl + 1;
	if (*len > cap || cap - *len < need)
		return RC_ERR_BUFFER;
	char *o = out + *len;
	memcpy(o, dash, DASH_LEN);
	memcpy(o + DASH_LEN, name, name_len);
	o[DASH_LEN + name_len] = ' ';
	memcpy(o + DASH_LEN + name_len + 1, b64, bl);
	o[need - 1] = '\n';
	*len += need;
	return RC_OK;
}

/* A text that rc_note_parse would give back: non-empty, LF-terminated, no blank line at its
 * end (which would move the split), valid UTF-8 without other controls. */
static int text_ok(const char *text, size_t len)
{
	if (len < 2 || len > RC_NOTE_TEXT_MAX || text[len - 1] != '\n' || text[len - 2] == '\n')
		return 0;
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t l = utf8_len(s + i, len - i, &c);
		if (!l || (c < 0x20 && c != '\n'))
			return 0;
		i += l;
	}
	return 1;
}

int rc_note_sign(char *out, size_t cap, size_t *len, const char *text, size_t text_len,
		 const struct rc_note_key *k, const uint8_t sk[64])
{
	*len = 0;
	if (!text_ok(text, text_len) || k->alg != RC_NOTE_ALG_ED25519)
		return RC_ERR_INVALID;
	if (cap < text_len + 1)
		return RC_ERR_BUFFER;
	uint8_t sig[crypto_sign_BYTES];
	crypto_sign_detached(sig, NULL, (const uint8_t *)text, text_len, sk);
	memcpy(out, text, text_len);
	out[text_len] = '\n';
	size_t l = text_len + 1;
	int err =
	    rc_note_append_sig(out, cap, &l, k->name, k->name_len, k->keyid, sig, sizeof(sig));
	if (err)
		return err;
	*len = l;
	return RC_OK;
}

int rc_note_verify(const struct rc_note *n, const struct rc_note_key *k, uint64_t *timestamp)
{
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct rc_note_sig *s = &n->sigs[i];
		if (s->keyid != k->keyid || s->name_len != k->name_len ||
		    memcmp(s->name, k->name, k->name_len) != 0)
			continue;
		if (k->alg == RC_NOTE_ALG_ED25519) {
			if (s->sig_len != crypto_sign_BYTES ||
			    crypto_sign_verify_detached(s->sig, (const uint8_t *)n->text,
							n->text_len, k->pk) != 0)
				return RC_ERR_SIG;
			return RC_OK;
		}
		if (k->alg != RC_NOTE_ALG_COSIG || s->sig_len != RC_COSIG_LEN)
			return RC_ERR_SIG;
		uint64_t t = 0;
		for (int b = 0; b < 8; b++)
			t = t << 8 | s->sig[b];
		if (t > INT64_MAX) /* tlog-cosignature: at most 2^63 - 1 */
			return RC_ERR_RANGE;
		uint8_t msg[RC_NOTE_TEXT_MAX + 64];
		size_t ml;
		int err = rc_cosig_message(msg, sizeof(msg), &ml, t, n->text, n->text_len);
		if (err)
			return err;
		if (crypto_sign_verify_detached(s->sig + 8, msg, ml, k->pk) != 0)
			return RC_ERR_SIG;
		if (timestamp)
			*timestamp = t;
		return RC_OK;
	}
	return RC_ERR_MISSING;
}

int rc_cosig_message(uint8_t *out, size_t cap, size_t *len, uint64_t timestamp, const char *text,
		     size_t text_len)
{
	char head[64];
	int h = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n",
			 (unsigned long long)timestamp);
	if (text_len > RC_NOTE_TEXT_MAX)
		return RC_ERR_TOOLONG;
	if (h < 0 || (size_t)h >= sizeof(head) || cap < (size_t)h || cap - (size_t)h < text_len)
		return RC_ERR_BUFFER;
	memcpy(out, head, (size_t)h);
	memcpy(out + h, text, text_len);
	*len = (size_t)h + text_len;
	return RC_OK;
}

int rc_cosig_sign(uint8_t out[RC_COSIG_LEN], uint64_t timestamp, const char *text, size_t text_len,
		  const struct rc_note_key *k, const uint8_t sk[64])
{
	uint8_t msg[RC_NOTE_TEXT_MAX + 64];
	size_t ml;
	if (k->alg != RC_NOTE_ALG_COSIG || !text_ok(text, text_len) || timestamp > INT64_MAX)
		return RC_ERR_INVALID;
	int err = rc_cosig_message(msg, sizeof(msg), &ml, timestamp, text, text_len);
	if (err)
		return err;
	for (int b = 0; b < 8; b++)
		out[b] = (uint8_t)(timestamp >> (56 - 8 * b));
	crypto_sign_detached(out + 8, NULL, msg, ml, sk);
	return RC_OK;
}
