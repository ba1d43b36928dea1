/* Checkpoint bodies (c2sp.org/tlog-checkpoint) and the canonical base64 that notes and
 * checkpoints share (lib/note_b64.h). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "note_b64.h"
#include "recall/note.h"

/* The 6-bit value of a base64 character (the caller has checked the alphabet). */
static unsigned b64val(char c)
{
	return c >= 'A' && c <= 'Z'   ? (unsigned)(c - 'A')
	       : c >= 'a' && c <= 'z' ? (unsigned)(c - 'a' + 26)
	       : c >= '0' && c <= '9' ? (unsigned)(c - '0' + 52)
	       : c == '+'             ? 62u
				      : 63u;
}

int rc_b64_decode(uint8_t *out, size_t cap, size_t *len, const char *s, size_t n)
{
	*len = 0;
	/* The padded length is a multiple of four; anything longer than cap could hold is
	 * refused before decoding. */
	if (n == 0 || n % 4 != 0)
		return RC_ERR_SYNTAX;
	if (n / 4 * 3 > cap + 2)
		return RC_ERR_TOOLONG;
	/* The alphabet is checked here: libsodium 1.0.18 decodes some bytes above 0x7f as if
	 * they were base64 characters. Padding is at most two '=' at the end. */
	size_t pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
	for (size_t i = 0; i < n - pad; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return RC_ERR_SYNTAX;
	}
	const char *end = NULL;
	size_t bl = 0;
	if (sodium_base642bin(out, cap, s, n, NULL, &bl, &end, sodium_base64_VARIANT_ORIGINAL) !=
		0 ||
	    end != s + n || RC_B64_LEN(bl) != n)
		return RC_ERR_SYNTAX;
	/* libsodium ignores the pad bits of the last character: they must be zero, or the same
	 * bytes would have several spellings. */
	if (s[n - 1] == '=' && s[n - 2] == '=' ? (b64val(s[n - 3]) & 0x0f) != 0
	    : s[n - 1] == '='                  ? (b64val(s[n - 2]) & 0x03) != 0
					       : 0)
		return RC_ERR_SYNTAX;
	*len = bl;
	return RC_OK;
}

static int fail(struct rc_diag *d, size_t off, const char *field, int err)
{
	if (d) {
		d->off = off;
		d->field = field;
	}
	return err;
}

/* A line of text (no LF inside, valid as note text) of 1..max bytes starting at s[i]. */
static int line(const char *s, size_t n, size_t i, size_t max, size_t *end)
{
	const char *nl = memchr(s + i, '\n', n - i);
	if (!nl)
		return RC_ERR_TRUNCATED;
	*end = (size_t)(nl - s);
	if (*end == i)
		return RC_ERR_SYNTAX;
	if (*end - i > max)
		return RC_ERR_TOOLONG;
	return RC_OK;
}

int rc_checkpoint_parse(struct rc_checkpoint *c, const char *s, size_t n, struct rc_diag *d)
{
	memset(c, 0, sizeof(*c));
	size_t i = 0, end;
	int err;
	if (n > RC_NOTE_MAX_LEN)
		return fail(d, 0, "checkpoint", RC_ERR_TOOLONG);
	/* Control characters and bad UTF-8 are the note parser's job; a bare body is checked
	 * for LF framing only, as every field below is ASCII but the origin and extensions. */
	if ((err = line(s, n, i, RC_NOTE_NAME_MAX, &end)) != 0)
		return fail(d, i, "checkpoint.origin", err);
	for (size_t k = i; k < end; k++)
		if ((unsigned char)s[k] < 0x20)
			return fail(d, k, "checkpoint.origin", RC_ERR_SYNTAX);
	c->origin = s;
	c->origin_len = end;
	i = end + 1;
	if ((err = line(s, n, i, 20, &end)) != 0)
		return fail(d, i, "checkpoint.size", err);
	if (s[i] == '0' && end - i > 1)
		return fail(d, i, "checkpoint.size", RC_ERR_NONCANONICAL);
	uint64_t v = 0;
	for (size_t k = i; k < end; k++) {
		if (s[k] < '0' || s[k] > '9')
			return fail(d, k, "checkpoint.size", RC_ERR_SYNTAX);
		if (v > (RC_TLOG_MAX_SIZE - 1) / 10)
			return fail(d, i, "checkpoint.size", RC_ERR_RANGE);
		v = v * 10 + (uint64_t)(s[k] - '0');
		if (v >= RC_TLOG_MAX_SIZE)
			return fail(d, i, "checkpoint.size", RC_ERR_RANGE);
	}
	c->size = v;
	i = end + 1;
	if ((err = line(s, n, i, RC_B64_LEN(RC_TLOG_HASH_LEN), &end)) != 0)
		return fail(d, i, "checkpoint.root", err);
	size_t rl;
	uint8_t root[RC_TLOG_HASH_LEN + 2];
	if ((err = rc_b64_decode(root, sizeof(root), &rl, s + i, end - i)) != 0 ||
	    rl != RC_TLOG_HASH_LEN)
		return fail(d, i, "checkpoint.root", err ? err : RC_ERR_SIZE);
	memcpy(c->root, root, RC_TLOG_HASH_LEN);
	i = end + 1;
	/* Extension lines: each non-empty and LF-terminated; kept opaque. */
	c->ext = s + i;
	for (size_t k = i; k < n;) {
		if ((err = line(s, n, k, n, &end)) != 0)
			return fail(d, k, "checkpoint.extension", err);
		for (size_t j = k; j < end; j++)
			if ((unsigned char)s[j] < 0x20)
				return fail(d, j, "checkpoint.extension", RC_ERR_SYNTAX);
		k = end + 1;
	}
	c->ext_len = n - i;
	return RC_OK;
}

int rc_checkpoint_format(char *out, size_t cap, size_t *len, const struct rc_checkpoint *c)
{
	*len = 0;
	if (c->origin_len == 0 || c->origin_len > RC_NOTE_NAME_MAX ||
	    memchr(c->origin, '\n', c->origin_len) || c->size >= RC_TLOG_MAX_SIZE ||
	    (c->ext_len && c->ext[c->ext_len - 1] != '\n'))
		return RC_ERR_INVALID;
	char b64[RC_B64_LEN(RC_TLOG_HASH_LEN) + 1];
	sodium_bin2base64(b64, sizeof(b64), c->root, RC_TLOG_HASH_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	char head[32];
	int h = snprintf(head, sizeof(head), "%llu\n", (unsigned long long)c->size);
	size_t need = c->origin_len + 1 + (size_t)h + strlen(b64) + 1 + c->ext_len;
	if (h < 0 || need > cap)
		return RC_ERR_BUFFER;
	size_t o = 0;
	memcpy(out + o, c->origin, c->origin_len);
	o += c->origin_len;
	out[o++] = '\n';
	memcpy(out + o, head, (size_t)h);
	o += (size_t)h;
	memcpy(out + o, b64, strlen(b64));
	o += strlen(b64);
	out[o++] = '\n';
	if (c->ext_len)
		memcpy(out + o, c->ext, c->ext_len);
	*len = need;
	/* What is written must parse back to the same checkpoint (extension lines included). */
	struct rc_checkpoint back;
	if (rc_checkpoint_parse(&back, out, need, NULL) != RC_OK || back.ext_len != c->ext_len) {
		*len = 0;
		return RC_ERR_INVALID;
	}
	return RC_OK;
}
