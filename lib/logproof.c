/* Compact log proofs (include/recall/logproof.h): strict CBOR, and the device-side check that
 * rebuilds the checkpoint from the anchor set's origin and verifies the log signature and the
 * witness quorum over it. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "anchors_log.h"
#include "cbor_io.h"
#include "recall/logproof.h"
#include "recall/note.h"
#include "recall/tlog.h"

enum { P_SIZE = 1, P_INDEX = 2, P_PATH = 3, P_LOGSIG = 4, P_COSIGS = 5 };

/* Hashes in the inclusion proof of index in a tree of size (RFC 9162 2.1.3.1): the levels
 * below the split of index and size - 1, plus the left subtrees on the border above it. */
static uint32_t path_len(uint64_t index, uint64_t size)
{
	uint64_t x = index ^ (size - 1);
	uint32_t inner = 0, border = 0;
	for (; x; x >>= 1)
		inner++;
	for (uint64_t b = inner < 64 ? index >> inner : 0; b; b &= b - 1)
		border++;
	return inner + border;
}

/* The structural rules decode enforces; field names the first one broken. */
static int shape(const struct rc_logproof *p, const char **field)
{
	*field = "proof.size";
	if (p->size == 0 || p->size >= RC_TLOG_MAX_SIZE)
		return RC_ERR_RANGE;
	*field = "proof.index";
	if (p->index >= p->size)
		return RC_ERR_RANGE;
	*field = "proof.path";
	if (p->npath > RC_LOGPROOF_PATH_MAX)
		return RC_ERR_TOOLONG;
	if (p->npath != path_len(p->index, p->size))
		return RC_ERR_SIZE;
	*field = "proof.cosigs";
	if (p->ncosig == 0 || p->ncosig > RC_LOGPROOF_COSIG_MAX)
		return RC_ERR_RANGE;
	for (uint32_t i = 0; i < p->ncosig; i++) {
		if (p->cosig[i].time > INT64_MAX)
			return RC_ERR_RANGE;
		int c = i ? memcmp(p->cosig[i - 1].kid, p->cosig[i].kid, 4) : -1;
		if (c == 0)
			return RC_ERR_DUPKEY;
		if (c > 0)
			return RC_ERR_NONCANONICAL;
	}
	return RC_OK;
}

int rc_logproof_encode(const struct rc_logproof *p, uint8_t *out, size_t cap, size_t *len)
{
	const char *field;
	if (!p || !len || shape(p, &field))
		return RC_ERR_INVALID;
	struct rc_wr w;
	rc_wr_init(&w, out, cap);
	rc_wr_map(&w, 5);
	rc_wr_uint(&w, P_SIZE);
	rc_wr_uint(&w, p->size);
	rc_wr_uint(&w, P_INDEX);
	rc_wr_uint(&w, p->index);
	rc_wr_uint(&w, P_PATH);
	rc_wr_array(&w, p->npath);
	for (uint32_t i = 0; i < p->npath; i++)
		rc_wr_bstr(&w, p->path[i], 32);
	rc_wr_uint(&w, P_LOGSIG);
	rc_wr_bstr(&w, p->log_sig, 64);
	rc_wr_uint(&w, P_COSIGS);
	rc_wr_array(&w, p->ncosig);
	for (uint32_t i = 0; i < p->ncosig; i++) {
		rc_wr_array(&w, 3);
		rc_wr_bstr(&w, p->cosig[i].kid, 4);
		rc_wr_uint(&w, p->cosig[i].time);
		rc_wr_bstr(&w, p->cosig[i].sig, 64);
	}
	if (w.err)
		return w.err;
	*len = w.len;
	return RC_OK;
}

#ifdef RC_AGENT_NO_LOG
/* A build without log-proof verification, for a small device whose anchor sets name no log
 * (docs/PORTING.md "The Cortex-M3 build"): every proof is refused, so what a set with a log
 * policy needs a proof for (a recall, a rotation, a restored chain or held notice) is never
 * acted on under such a set. Fail safe: the device stays as it is rather than trust a recall
 * or rotation that nobody could see in the log. */
static int no_log(struct rc_diag *d)
{
	if (d) {
		d->off = 0;
		d->field = "proof (this build verifies no log proof: RC_AGENT_NO_LOG)";
	}
	return RC_ERR_VERSION;
}

int rc_logproof_decode(struct rc_logproof *p, const uint8_t *buf, size_t len, struct rc_diag *d)
{
	return no_log(d);
}

int rc_logproof_verify(const struct rc_anchors *a, const uint8_t *entry, size_t entry_len,
		       const struct rc_logproof *p, uint64_t now, bool clock_trusted,
		       uint32_t *witnessed, struct rc_diag *d)
{
	if (witnessed)
		*witnessed = 0;
	return no_log(d);
}
#else
static void copy_exact(struct rc_rd *r, uint8_t *out, size_t n)
{
	const uint8_t *b = rc_rd_bstr_exact(r, n);
	if (b)
		memcpy(out, b, n);
}

static void read_cosigs(struct rc_rd *r, struct rc_logproof *p)
{
	size_t at = r->off;
	r->field = "proof.cosigs";
	p->ncosig = (uint32_t)rc_rd_array(r, RC_LOGPROOF_COSIG_MAX);
	if (!r->err && p->ncosig == 0) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_MISSING);
	}
	for (uint32_t i = 0; i < p->ncosig && !r->err; i++) {
		struct rc_logproof_cosig *c = &p->cosig[i];
		size_t cat = r->off;
		r->field = "proof.cosig";
		if (rc_rd_array(r, 3) != 3 && !r->err) {
			r->off = cat;
			rc_rd_fail(r, RC_ERR_SIZE);
		}
		r->field = "proof.cosig.kid";
		copy_exact(r, c->kid, 4);
		r->field = "proof.cosig.time";
		c->time = rc_rd_uint_max(r, INT64_MAX);
		r->field = "proof.cosig.sig";
		copy_exact(r, c->sig, 64);
		int d = i && !r->err ? memcmp(p->cosig[i - 1].kid, c->kid, 4) : -1;
		if (d >= 0) {
			r->off = cat;
			r->field = "proof.cosig.kid";
			rc_rd_fail(r, d == 0 ? RC_ERR_DUPKEY : RC_ERR_NONCANONICAL);
		}
	}
}

int rc_logproof_decode(struct rc_logproof *p, const uint8_t *buf, size_t len, struct rc_diag *d)
{
	struct rc_rd r;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	if (!p || (!buf && len))
		return RC_ERR_INVALID;
	memset(p, 0, sizeof(*p));
	rc_rd_init(&r, buf, len);
	r.field = "proof";
	size_t cnt = rc_rd_map(&r, 16);
	for (size_t i = 0; i < cnt && !r.err; i++) {
		r.field = "proof";
		int64_t key = rc_rd_key(&r, &ks);
		size_t at = r.off;
		switch (key) {
		case P_SIZE:
			r.field = "proof.size";
			p->size = rc_rd_uint_max(&r, RC_TLOG_MAX_SIZE - 1);
			if (!r.err && p->size == 0) {
				r.off = at;
				rc_rd_fail(&r, RC_ERR_RANGE);
			}
			break;
		case P_INDEX:
			r.field = "proof.index";
			p->index = rc_rd_uint_max(&r, RC_TLOG_MAX_SIZE - 2);
			break;
		case P_PATH:
			r.field = "proof.path";
			p->npath = (uint32_t)rc_rd_array(&r, RC_LOGPROOF_PATH_MAX);
			for (uint32_t j = 0; j < p->npath && !r.err; j++)
				copy_exact(&r, p->path[j], 32);
			break;
		case P_LOGSIG:
			r.field = "proof.log_sig";
			copy_exact(&r, p->log_sig, 64);
			break;
		case P_COSIGS:
			read_cosigs(&r, p);
			break;
		default:
			rc_rd_unknown(&r, key);
			continue;
		}
		seen |= 1u << key;
	}
	static const char *const names[] = {NULL,         "proof.size",    "proof.index",
					    "proof.path", "proof.log_sig", "proof.cosigs"};
	for (int k = P_SIZE; k <= P_COSIGS && !r.err; k++) {
		if (!(seen & 1u << k)) {
			r.field = names[k];
			rc_rd_fail(&r, RC_ERR_MISSING);
		}
	}
	r.field = "proof";
	rc_rd_finish(&r);
	if (!r.err) {
		const char *field;
		int e = shape(p, &field);
		if (e) {
			r.off = 0;
			r.field = field;
			rc_rd_fail(&r, e);
		}
	}
	int err = rc_rd_diag(&r, d);
	if (err)
		memset(p, 0, sizeof(*p));
	return err;
}

/* "<origin>\n<size>\n<base64(root)>\n": the checkpoint our log signs (no extension lines). */
static int checkpoint_text(char *out, size_t cap, size_t *len, const char *origin, uint64_t size,
			   const uint8_t root[32])
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), root, 32, sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(out, cap, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64);
	if (n < 0 || (size_t)n >= cap)
		return RC_ERR_BUFFER;
	*len = (size_t)n;
	return RC_OK;
}

static int fail(struct rc_diag *d, const char *field, int err)
{
	if (d) {
		d->off = 0;
		d->field = field;
	}
	return err;
}

/* Index of the witness of pol with this key id, or -1. */
static int find_witness(const struct rc_log_policy *pol, const uint8_t kid[4])
{
	for (uint32_t i = 0; i < pol->nwit && i < RC_LOG_WITNESS_MAX; i++)
		if (memcmp(pol->wit[i].kid, kid, 4) == 0)
			return (int)i;
	return -1;
}

int rc_logproof_verify(const struct rc_anchors *a, const uint8_t *entry, size_t entry_len,
		       const struct rc_logproof *p, uint64_t now, bool clock_trusted,
		       uint32_t *witnessed, struct rc_diag *d)
{
	const char *field;
	if (witnessed)
		*witnessed = 0;
	if (!a || !a->has_log || !p || (!entry && entry_len))
		return fail(d, "proof", RC_ERR_INVALID);
	int err = shape(p, &field);
	if (err)
		return fail(d, field, err);
	const struct rc_log_policy *pol = &a->log;
	uint8_t leaf[32], root[32];
	rc_tlog_leaf_hash(leaf, entry, entry_len);
	err = rc_tlog_inclusion_root(root, (const uint8_t(*)[32])p->path, p->npath, p->index,
				     p->size, leaf);
	if (err)
		return fail(d, "proof.path", err);
	char text[RC_LOG_NAME_MAX + 80];
	size_t tl;
	if ((err = checkpoint_text(text, sizeof(text), &tl, pol->origin, p->size, root)) != 0)
		return fail(d, "proof", err);
	/* The log's signature over the rebuilt text: a wrong entry, index or path gives another
	 * root, so this one check covers them all. */
	if (crypto_sign_verify_detached(p->log_sig, (const uint8_t *)text, tl, pol->log_pk) != 0)
		return fail(d, "proof.log_sig", RC_ERR_SIG);
	uint8_t msg[RC_LOG_NAME_MAX + 80 + 64];
	uint32_t counted = 0, mask = 0, late = 0;
	for (uint32_t i = 0; i < p->ncosig; i++) {
		const struct rc_logproof_cosig *c = &p->cosig[i];
		int w = find_witness(pol, c->kid);
		if (w < 0 || (mask & 1u << w))
			continue; /* unknown witnesses are ignored; none counts twice */
		size_t ml;
		if (rc_cosig_message(msg, sizeof(msg), &ml, c->time, text, tl) != RC_OK ||
		    crypto_sign_verify_detached(c->sig, msg, ml, pol->wit[w].pk) != 0)
			continue;
		bool stale = now > c->time && now - c->time > pol->max_age;
		bool future = c->time > now && c->time - now > RC_LOGPROOF_FUTURE_S;
		if (clock_trusted && (stale || future)) {
			late++;
			continue;
		}
		mask |= 1u << w;
		counted++;
	}
	if (witnessed)
		*witnessed = counted;
	if (counted >= pol->quorum)
		return RC_OK;
	return fail(d, "proof.cosigs",
		    counted + late >= pol->quorum ? RC_ERR_EXPIRED : RC_ERR_THRESHOLD);
}
#endif

#ifdef RC_AGENT_NO_LOG
/* No policy is kept to check the note against (struct rc_anchors). */
int rc_logproof_from_note(struct rc_logproof *p, const struct rc_anchors *a, const char *note,
			  size_t note_len, uint64_t index, const uint8_t (*path)[32], size_t npath)
{
	return RC_ERR_VERSION;
}
#else
static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int rc_logproof_from_note(struct rc_logproof *p, const struct rc_anchors *a, const char *note,
			  size_t note_len, uint64_t index, const uint8_t (*path)[32], size_t npath)
{
	struct rc_note n; /* about 10 KiB of stack: tools and recalld only, never the agent */
	struct rc_checkpoint c;
	if (!p || !a || !a->has_log || !note || (!path && npath) || npath > RC_LOGPROOF_PATH_MAX)
		return RC_ERR_INVALID;
	memset(p, 0, sizeof(*p));
	const struct rc_log_policy *pol = &a->log;
	if (rc_note_parse(&n, note, note_len, NULL) ||
	    rc_checkpoint_parse(&c, n.text, n.text_len, NULL))
		return RC_ERR_SYNTAX;
	if (c.ext_len || c.origin_len != strlen(pol->origin) ||
	    memcmp(c.origin, pol->origin, c.origin_len) != 0)
		return RC_ERR_SYNTAX;
	p->size = c.size;
	p->index = index;
	p->npath = (uint32_t)npath;
	if (npath)
		memcpy(p->path, path, npath * 32);
	bool logsig = false;
	for (size_t i = 0; i < n.nsigs; i++) {
		const struct rc_note_sig *s = &n.sigs[i];
		bool named =
		    s->name_len == c.origin_len && !memcmp(s->name, c.origin, c.origin_len);
		if (!logsig && named && s->keyid == be32(pol->log_kid) && s->sig_len == 64) {
			memcpy(p->log_sig, s->sig, 64);
			logsig = true;
			continue;
		}
		if (s->sig_len != RC_COSIG_LEN)
			continue;
		for (uint32_t w = 0; w < pol->nwit; w++) {
			const struct rc_log_witness *wt = &pol->wit[w];
			if (s->keyid != be32(wt->kid) || s->name_len != strlen(wt->name) ||
			    memcmp(s->name, wt->name, s->name_len) != 0)
				continue;
			/* Insert sorted by key id; the first line of each witness wins. */
			uint32_t at = 0;
			while (at < p->ncosig && memcmp(p->cosig[at].kid, wt->kid, 4) < 0)
				at++;
			if (at < p->ncosig && !memcmp(p->cosig[at].kid, wt->kid, 4))
				break;
			memmove(&p->cosig[at + 1], &p->cosig[at],
				(p->ncosig - at) * sizeof(p->cosig[0]));
			struct rc_logproof_cosig *o = &p->cosig[at];
			memcpy(o->kid, wt->kid, 4);
			o->time = 0;
			for (int b = 0; b < 8; b++)
				o->time = o->time << 8 | s->sig[b];
			memcpy(o->sig, s->sig + 8, 64);
			p->ncosig++;
			break;
		}
	}
	const char *field;
	if (!logsig || p->ncosig == 0)
		return RC_ERR_MISSING;
	return shape(p, &field) ? RC_ERR_RANGE : RC_OK;
}
#endif
