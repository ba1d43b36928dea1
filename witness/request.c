/* The add-checkpoint request body (c2sp.org/tlog-witness): "old <N>\n", at most 63 lines of
 * base64 hashes (the consistency proof), an empty line, and the checkpoint note. Untrusted
 * network bytes: one spelling per request, every bound checked, the fault located. */
#include <string.h>

#include "note_b64.h"
#include "witness.h"

static int fail(struct rc_diag *d, size_t off, const char *field, int err)
{
	if (d) {
		d->off = off;
		d->field = field;
	}
	return err;
}

int wt_request_parse(struct wt_request *r, const char *s, size_t len, struct rc_diag *d)
{
	memset(r, 0, sizeof(*r));
	if (len > WT_BODY_MAX)
		return fail(d, 0, "request", RC_ERR_TOOLONG);
	const char *nl = memchr(s, '\n', len);
	if (!nl)
		return fail(d, len, "old", RC_ERR_TRUNCATED);
	size_t end = (size_t)(nl - s), i = 4;
	if (end < 5 || memcmp(s, "old ", 4) != 0)
		return fail(d, 0, "old", RC_ERR_SYNTAX);
	if (s[i] == '0' && end > 5)
		return fail(d, i, "old", RC_ERR_NONCANONICAL);
	for (; i < end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return fail(d, i, "old", RC_ERR_SYNTAX);
		uint64_t dgt = (uint64_t)(s[i] - '0');
		/* checked before the multiply: a wrapped product could pass the bound */
		if (r->old > (RC_TLOG_MAX_SIZE - 1 - dgt) / 10)
			return fail(d, 4, "old", RC_ERR_RANGE);
		r->old = r->old * 10 + dgt;
	}
	/* Proof lines up to the empty line. */
	for (i = end + 1; i < len && s[i] != '\n'; i = end + 1) {
		nl = memchr(s + i, '\n', len - i);
		if (!nl)
			return fail(d, i, "proof", RC_ERR_TRUNCATED);
		end = (size_t)(nl - s);
		if (r->n == WT_PROOF_MAX)
			return fail(d, i, "proof", RC_ERR_TOOLONG);
		uint8_t h[RC_TLOG_HASH_LEN + 2];
		size_t hl;
		int err = rc_b64_decode(h, sizeof(h), &hl, s + i, end - i);
		if (err || hl != RC_TLOG_HASH_LEN)
			return fail(d, i, "proof", err ? err : RC_ERR_SIZE);
		memcpy(r->proof[r->n++], h, RC_TLOG_HASH_LEN);
	}
	if (i >= len || len - i - 1 == 0)
		return fail(d, len, "checkpoint", RC_ERR_TRUNCATED);
	r->note = s + i + 1;
	r->note_len = len - i - 1;
	return RC_OK;
}
