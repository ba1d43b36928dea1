/* Proof files (include/recall/tlog.h): c2sp.org/tlog-proof for inclusion, and bare lines of
 * base64 hashes for consistency. Strict like the note parser: one spelling per proof. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "note_b64.h"
#include "recall/error.h"
#include "recall/tlog.h"

static int fail(struct rc_diag *d, size_t off, const char *field, int err)
{
	if (d) {
		d->off = off;
		d->field = field;
	}
	return err;
}

/* The end of the LF-terminated line at s[i], or RC_ERR_TRUNCATED. */
static int eol(const char *s, size_t n, size_t i, size_t *end)
{
	const char *nl = memchr(s + i, '\n', n - i);
	if (!nl)
		return RC_ERR_TRUNCATED;
	*end = (size_t)(nl - s);
	return RC_OK;
}

/* Hash lines from s[*i] up to an empty line (stop_blank) or the end. */
static int hash_lines(uint8_t (*out)[RC_TLOG_HASH_LEN], size_t *n, const char *s, size_t len,
		      size_t *i, int stop_blank, struct rc_diag *d)
{
	size_t end;
	*n = 0;
	while (*i < len) {
		int err = eol(s, len, *i, &end);
		if (err)
			return fail(d, *i, "proof.hash", err);
		if (end == *i && stop_blank)
			return RC_OK;
		if (*n == RC_TLOG_PROOF_MAX)
			return fail(d, *i, "proof.hash", RC_ERR_TOOLONG);
		uint8_t h[RC_TLOG_HASH_LEN + 2];
		size_t hl;
		err = rc_b64_decode(h, sizeof(h), &hl, s + *i, end - *i);
		if (err || hl != RC_TLOG_HASH_LEN)
			return fail(d, *i, "proof.hash", err ? err : RC_ERR_SIZE);
		memcpy(out[(*n)++], h, RC_TLOG_HASH_LEN);
		*i = end + 1;
	}
	return stop_blank ? fail(d, len, "proof.checkpoint", RC_ERR_TRUNCATED) : RC_OK;
}

int rc_tlog_hashes_parse(uint8_t (*out)[RC_TLOG_HASH_LEN], size_t *n, const char *buf, size_t len,
			 struct rc_diag *d)
{
	size_t i = 0;
	if (len > 64 * RC_TLOG_PROOF_MAX)
		return fail(d, 0, "proof", RC_ERR_TOOLONG);
	return hash_lines(out, n, buf, len, &i, 0, d);
}

int rc_tlog_proof_parse(struct rc_tlog_proof *p, const char *s, size_t len, struct rc_diag *d)
{
	memset(p, 0, sizeof(*p));
	size_t hl = strlen(RC_TLOG_PROOF_HEADER), i = hl, end;
	int err;
	if (len < hl || memcmp(s, RC_TLOG_PROOF_HEADER, hl) != 0)
		return fail(d, 0, "proof.header", RC_ERR_SYNTAX);
	if ((err = eol(s, len, i, &end)) != 0)
		return fail(d, i, "proof.index", err);
	if (end - i > 6 && !memcmp(s + i, "extra ", 6)) {
		err = rc_b64_decode(p->extra, sizeof(p->extra), &p->extra_len, s + i + 6,
				    end - i - 6);
		if (err)
			return fail(d, i + 6, "proof.extra", err);
		i = end + 1;
		if ((err = eol(s, len, i, &end)) != 0)
			return fail(d, i, "proof.index", err);
	}
	if (end - i < 7 || memcmp(s + i, "index ", 6) != 0)
		return fail(d, i, "proof.index", RC_ERR_SYNTAX);
	size_t k = i + 6;
	if (s[k] == '0' && end - k > 1)
		return fail(d, k, "proof.index", RC_ERR_NONCANONICAL);
	uint64_t v = 0;
	for (; k < end; k++) {
		if (s[k] < '0' || s[k] > '9')
			return fail(d, k, "proof.index", RC_ERR_SYNTAX);
		uint64_t dgt = (uint64_t)(s[k] - '0');
		/* checked before the multiply: a wrapped product could pass the bound */
		if (v > (RC_TLOG_MAX_SIZE - 1 - dgt) / 10)
			return fail(d, i, "proof.index", RC_ERR_RANGE);
		v = v * 10 + dgt;
	}
	p->index = v;
	i = end + 1;
	if ((err = hash_lines(p->hash, &p->n, s, len, &i, 1, d)) != 0)
		return err;
	p->checkpoint = s + i + 1;
	p->checkpoint_len = len - i - 1;
	if (p->checkpoint_len == 0)
		return fail(d, len, "proof.checkpoint", RC_ERR_TRUNCATED);
	return RC_OK;
}

int rc_tlog_proof_format(char *out, size_t cap, size_t *len, const struct rc_tlog_proof *p)
{
	char line[RC_B64_LEN(RC_TLOG_EXTRA_MAX) + 16];
	size_t o = 0;
	*len = 0;
	if (p->n > RC_TLOG_PROOF_MAX || p->extra_len > RC_TLOG_EXTRA_MAX ||
	    p->index >= RC_TLOG_MAX_SIZE)
		return RC_ERR_INVALID;
#define PUT(str, l)                                                                                \
	do {                                                                                       \
		if (cap - o < (l))                                                                 \
			return RC_ERR_BUFFER;                                                      \
		memcpy(out + o, (str), (l));                                                       \
		o += (l);                                                                          \
	} while (0)
	PUT(RC_TLOG_PROOF_HEADER, strlen(RC_TLOG_PROOF_HEADER));
	if (p->extra_len) {
		memcpy(line, "extra ", 6);
		sodium_bin2base64(line + 6, sizeof(line) - 6, p->extra, p->extra_len,
				  sodium_base64_VARIANT_ORIGINAL);
		strcat(line, "\n");
		PUT(line, strlen(line));
	}
	int w = snprintf(line, sizeof(line), "index %llu\n", (unsigned long long)p->index);
	PUT(line, (size_t)w);
	for (size_t i = 0; i < p->n; i++) {
		sodium_bin2base64(line, sizeof(line), p->hash[i], RC_TLOG_HASH_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		strcat(line, "\n");
		PUT(line, strlen(line));
	}
	PUT("\n", 1);
	PUT(p->checkpoint, p->checkpoint_len);
#undef PUT
	*len = o;
	return RC_OK;
}
