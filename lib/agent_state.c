/* The agent's persisted state: a deterministic CBOR map followed by a 16-byte BLAKE2b check
 * (libsodium crypto_generichash; SHA-256 with RC_AGENT_STATE_SHA256, below) over it, so a
 * torn or corrupted write is detected and the agent fails open. Layout, format 2 or 3
 * (docs/PORTING.md, "State blob"):
 *   { 0: format (2), 1: mode uint (0 idle, 2 quarantined, 3 overridden, 4 notified),
 *     2: identity fingerprint bstr .size 32, ? 3: held notice bstr (iff mode != 0),
 *     ? 4: [1*8 rotation statement bstr] (the chain from the firmware's anchor set),
 *     ? 5: [+ overridden id tstr], ? 6: true (override all), 7: last answer uint,
 *     8: next periodic uint, 9: feed serial uint, 10: time floor uint,
 *     ? 11: log proof of the held notice bstr (format 3, and only there),
 *     ? 12: [1*8 (log proof bstr / null)] (format 3, and only there): one per statement of key
 *           4, the proof of a statement applied under a set with a log policy, null for one
 *           applied under a set without; left out when every one is null }
 * Format 3 is written only when a proof is held, so that a device without a log policy writes
 * the same blob as before (format 2).
 * The chain is never trusted as stored: rc_agent_restore verifies it statement by statement
 * from the firmware's set. Format 1 (key 4 an anchor set, no key 10) is still read, its anchor
 * set ignored. Negative keys are ignorable extensions; unknown non-negative keys are rejected. */
#include <string.h>

#include <sodium.h>

#include "agent_state.h"
#include "cbor_io.h"

#define ANCHORS_ENC_MAX 640 /* format 1 key 4 */

/* The identity fingerprint and the check are device-local (written and read by the same
 * firmware family), so a small port may take them from SHA-256, which it links anyway for key
 * ids and log proofs, instead of BLAKE2b (15.8 KB of Cortex-M3 flash): -DRC_AGENT_STATE_SHA256
 * (docs/PORTING.md "State blob"). A blob of the other choice fails its check and is rejected
 * like a damaged one: the agent fails open and learns a recall again at its next check-in. */
#ifdef RC_AGENT_STATE_SHA256
typedef crypto_hash_sha256_state fp_state;
static void fp_init(fp_state *st)
{
	crypto_hash_sha256_init(st);
}
static void fp_update(fp_state *st, const uint8_t *p, size_t n)
{
	crypto_hash_sha256_update(st, p, n);
}
static void fp_final(fp_state *st, uint8_t out[static 32])
{
	crypto_hash_sha256_final(st, out);
}
static void state_check(uint8_t out[static RC_AGENT_CHECK_LEN], const uint8_t *p, size_t n)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, p, n);
	memcpy(out, h, RC_AGENT_CHECK_LEN);
}
#else
typedef crypto_generichash_state fp_state;
static void fp_init(fp_state *st)
{
	crypto_generichash_init(st, NULL, 0, 32);
}
static void fp_update(fp_state *st, const uint8_t *p, size_t n)
{
	crypto_generichash_update(st, p, n);
}
static void fp_final(fp_state *st, uint8_t out[static 32])
{
	crypto_generichash_final(st, out, 32);
}
static void state_check(uint8_t out[static RC_AGENT_CHECK_LEN], const uint8_t *p, size_t n)
{
	crypto_generichash(out, RC_AGENT_CHECK_LEN, p, n, NULL, 0);
}
#endif

void rc__agent_fingerprint(uint8_t fp[static 32], const struct rc_identity *id)
{
	fp_state st;
	static const char pers[] = "recall-agent identity v1";
	fp_init(&st);
	fp_update(&st, (const uint8_t *)pers, sizeof(pers));
	const struct rc_str *f[4] = {&id->vendor, &id->model, &id->hwrev, &id->fwver};
	for (int i = 0; i < 4; i++) {
		uint8_t l = (uint8_t)f[i]->n;
		fp_update(&st, &l, 1);
		if (f[i]->n)
			fp_update(&st, (const uint8_t *)f[i]->p, f[i]->n);
	}
	uint8_t tail[1 + 8 + 1 + RC_DIGEST_LEN] = {0};
	tail[0] = id->has_build_date;
	for (int i = 0; i < 8; i++)
		tail[1 + i] = id->has_build_date ? (uint8_t)(id->build_date >> (56 - 8 * i)) : 0;
	tail[9] = id->has_digest;
	if (id->has_digest)
		memcpy(tail + 10, id->digest, RC_DIGEST_LEN);
	fp_update(&st, tail, sizeof(tail));
	fp_final(&st, fp);
}

bool rc__agent_id_valid(const char *s, size_t n)
{
	if (!s || n == 0 || n > RC_NOTICE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

static bool mode_valid(uint64_t m)
{
	return m == RC_AGENT_IDLE || m == RC_AGENT_QUARANTINED || m == RC_AGENT_OVERRIDDEN ||
	       m == RC_AGENT_NOTIFIED;
}

int rc_agent_state_encode(const struct rc_agent *a, uint8_t *out, size_t cap, size_t *len)
{
	if (!a || !out || !len || cap < RC_AGENT_CHECK_LEN)
		return RC_ERR_INVALID;
	bool has_notice = a->mode != RC_AGENT_IDLE && a->notice_len > 0;
	bool has_chain = a->nchain > 0;
	if (a->nchain > RC_AGENT_CHAIN_MAX || a->chain_used > RC_AGENT_CHAIN_BYTES)
		return RC_ERR_INVALID;
	bool has_proof = has_notice && a->proof_len > 0;
	bool chain_proofs = has_chain && a->chain_proof_used > 0;
	if (a->proof_len > RC_AGENT_PROOF_MAX || a->chain_proof_used > RC_AGENT_CHAIN_PROOF_BYTES)
		return RC_ERR_INVALID;
	size_t n = 7 + has_notice + has_chain + (a->noverrides > 0) + a->override_all + has_proof +
		   chain_proofs;
	struct rc_wr w;
	rc_wr_init(&w, out, cap - RC_AGENT_CHECK_LEN);
	rc_wr_map(&w, n);
	rc_wr_uint(&w, 0);
	rc_wr_uint(&w,
		   has_proof || chain_proofs ? RC_AGENT_STATE_FORMAT_LOG : RC_AGENT_STATE_FORMAT);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, has_notice ? a->mode : RC_AGENT_IDLE);
	rc_wr_uint(&w, 2);
	rc_wr_bstr(&w, a->fingerprint, sizeof(a->fingerprint));
	if (has_notice) {
		rc_wr_uint(&w, 3);
		rc_wr_bstr(&w, a->notice, a->notice_len);
	}
	if (has_chain) {
		rc_wr_uint(&w, 4);
		rc_wr_array(&w, a->nchain);
		for (size_t i = 0, off = 0; i < a->nchain; off += a->chain_len[i++])
			rc_wr_bstr(&w, a->chain + off, a->chain_len[i]);
	}
	if (a->noverrides) {
		rc_wr_uint(&w, 5);
		rc_wr_array(&w, a->noverrides);
		for (size_t i = 0; i < a->noverrides; i++)
			rc_wr_tstr(&w, a->overrides[i], strlen(a->overrides[i]));
	}
	if (a->override_all) {
		rc_wr_uint(&w, 6);
		rc_wr_bool(&w, true);
	}
	rc_wr_uint(&w, 7);
	rc_wr_uint(&w, a->last_answer);
	rc_wr_uint(&w, 8);
	rc_wr_uint(&w, a->next_periodic);
	rc_wr_uint(&w, 9);
	rc_wr_uint(&w, a->feed_serial);
	rc_wr_uint(&w, 10);
	rc_wr_uint(&w, a->floor);
	if (has_proof) {
		rc_wr_uint(&w, 11);
		rc_wr_bstr(&w, a->proof, a->proof_len);
	}
	if (chain_proofs) {
		rc_wr_uint(&w, 12);
		rc_wr_array(&w, a->nchain);
		for (size_t i = 0, off = 0; i < a->nchain; off += a->chain_proof_len[i++]) {
			if (a->chain_proof_len[i])
				rc_wr_bstr(&w, a->chain_proof + off, a->chain_proof_len[i]);
			else
				rc_wr_null(&w);
		}
	}
	if (w.err)
		return RC_ERR_BUFFER;
	state_check(out + w.len, out, w.len);
	*len = w.len + RC_AGENT_CHECK_LEN;
	return RC_OK;
}

/* Key 5: the override list. */
static void read_overrides(struct rc_rd *r, struct rc_agent *a)
{
	r->field = "state.overrides";
	size_t n = rc_rd_array(r, RC_AGENT_OVERRIDES_MAX);
	if (!r->err && n == 0)
		rc_rd_fail(r, RC_ERR_MISSING);
	for (size_t i = 0; i < n && !r->err; i++) {
		size_t l;
		const char *s = rc_rd_tstr(r, &l, RC_NOTICE_ID_MAX);
		if (r->err)
			break;
		if (!rc__agent_id_valid(s, l)) {
			rc_rd_fail(r, RC_ERR_SYNTAX);
			break;
		}
		memcpy(a->overrides[i], s, l);
		a->overrides[i][l] = '\0';
		a->noverrides = (uint8_t)(i + 1);
	}
}

/* Format 1, key 4: a rotated anchor set. Checked for form, then ignored: a stored set cannot be
 * re-derived from the firmware's (the responders offer the rotations again). */
static void read_anchors_v1(struct rc_rd *r, struct rc_agent_saved *sv)
{
	r->field = "state.anchors";
	size_t l;
	const uint8_t *p = rc_rd_bstr(r, &l, ANCHORS_ENC_MAX);
	if (r->err)
		return;
	struct rc_anchors ignored;
	int err = rc_anchors_decode(&ignored, p, l, NULL);
	if (err)
		rc_rd_fail(r, err);
	sv->v1_anchors = true;
}

/* Format 2, key 4: the rotation chain, 1..RC_AGENT_CHAIN_MAX statements of 1..RC_NOTICE_MAX
 * bytes within RC_AGENT_CHAIN_BYTES. Only copied here; rc__agent_chain_derive verifies it. */
static void read_chain(struct rc_rd *r, struct rc_agent *a)
{
	r->field = "state.chain";
	size_t at = r->off;
	size_t n = rc_rd_array(r, RC_AGENT_CHAIN_MAX);
	if (!r->err && n == 0) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_MISSING); /* an empty chain is spelled by leaving key 4 out */
	}
	r->field = "state.chain.statement";
	for (size_t i = 0; i < n && !r->err; i++) {
		size_t l;
		at = r->off;
		const uint8_t *p = rc_rd_bstr(r, &l, RC_NOTICE_MAX);
		if (r->err)
			break;
		if (l == 0 || l > (size_t)RC_AGENT_CHAIN_BYTES - a->chain_used) {
			r->off = at;
			rc_rd_fail(r, l == 0 ? RC_ERR_MISSING : RC_ERR_TOOLONG);
			break;
		}
		memcpy(a->chain + a->chain_used, p, l);
		a->chain_len[i] = (uint16_t)l;
		a->chain_used = (uint16_t)(a->chain_used + l);
		a->nchain = (uint8_t)(i + 1);
	}
}

/* Format 3, key 12: the chain's log proofs, exactly one per statement of key 4 (which comes
 * first), null or 1..RC_PROOF_BLOB_MAX bytes, at least one not null, within
 * RC_AGENT_CHAIN_PROOF_BYTES. Only copied here; rc__agent_chain_derive verifies them. */
static void read_chain_proofs(struct rc_rd *r, struct rc_agent *a)
{
	r->field = "state.chain_proofs";
	size_t at = r->off;
	size_t n = rc_rd_array(r, RC_AGENT_CHAIN_MAX);
	if (!r->err && n != a->nchain) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_SIZE);
	}
	r->field = "state.chain_proofs.proof";
	for (size_t i = 0; i < n && !r->err; i++) {
		size_t l;
		at = r->off;
		if (rc_rd_null(r, true)) {
			a->chain_proof_len[i] = 0;
			continue;
		}
		const uint8_t *p = rc_rd_bstr(r, &l, RC_PROOF_BLOB_MAX);
		if (r->err)
			break;
		if (l == 0 || l > (size_t)RC_AGENT_CHAIN_PROOF_BYTES - a->chain_proof_used) {
			r->off = at;
			rc_rd_fail(r, l == 0 ? RC_ERR_MISSING : RC_ERR_TOOLONG);
			break;
		}
		memcpy(a->chain_proof + a->chain_proof_used, p, l);
		a->chain_proof_len[i] = (uint16_t)l;
		a->chain_proof_used = (uint16_t)(a->chain_proof_used + l);
	}
	if (!r->err && a->chain_proof_used == 0)
		rc_rd_fail(r, RC_ERR_NONCANONICAL); /* all null: key 12 is left out instead */
}

int rc__agent_state_decode(struct rc_agent *a, const uint8_t *buf, size_t len,
			   struct rc_agent_saved *sv, struct rc_diag *diag)
{
	memset(sv, 0, sizeof(*sv));
	struct rc_rd r;
	if (!buf || len <= RC_AGENT_CHECK_LEN || len > RC_AGENT_STATE_MAX) {
		if (diag) {
			diag->off = 0;
			diag->field = "state";
		}
		return RC_ERR_SIZE;
	}
	size_t body = len - RC_AGENT_CHECK_LEN;
	uint8_t check[RC_AGENT_CHECK_LEN];
	state_check(check, buf, body);
	if (sodium_memcmp(check, buf + body, sizeof(check)) != 0) {
		if (diag) {
			diag->off = body;
			diag->field = "state.checksum";
		}
		return RC_ERR_SIG;
	}
	rc_rd_init(&r, buf, body);
	struct rc_keys ks = {0};
	bool seen[13] = {false};
	uint64_t mode = 0, format = 0;
	r.field = "state";
	size_t n = rc_rd_map(&r, 16);
	for (size_t i = 0; i < n && !r.err; i++) {
		r.field = "state";
		int64_t key = rc_rd_key(&r, &ks);
		if (r.err)
			break;
		if (key >= 0 && key <= 12)
			seen[key] = true;
		if (key > 0 && format == 0) {
			rc_rd_fail(&r, RC_ERR_MISSING); /* the format comes first */
			break;
		}
		size_t l;
		const uint8_t *p;
		switch (key) {
		case 0:
			r.field = "state.format";
			format = rc_rd_uint(&r);
			if (!r.err && format != RC_AGENT_STATE_FORMAT && format != 1 &&
			    format != RC_AGENT_STATE_FORMAT_LOG)
				rc_rd_fail(&r, RC_ERR_VERSION);
			sv->format = (unsigned)format;
			break;
		case 1:
			r.field = "state.mode";
			mode = rc_rd_uint_max(&r, RC_AGENT_NOTIFIED);
			if (!r.err && !mode_valid(mode))
				rc_rd_fail(&r, RC_ERR_RANGE);
			break;
		case 2:
			r.field = "state.fingerprint";
			p = rc_rd_bstr_exact(&r, 32);
			if (p)
				memcpy(sv->fp, p, 32);
			break;
		case 3:
			r.field = "state.notice";
			p = rc_rd_bstr(&r, &l, RC_NOTICE_MAX);
			if (p && l == 0)
				rc_rd_fail(&r, RC_ERR_MISSING);
			if (p && l) {
				memcpy(a->notice, p, l);
				a->notice_len = (uint16_t)l;
			}
			break;
		case 4:
			if (format == 1)
				read_anchors_v1(&r, sv);
			else
				read_chain(&r, a);
			break;
		case 5:
			read_overrides(&r, a);
			break;
		case 6:
			r.field = "state.override_all";
			if (!rc_rd_bool(&r) && !r.err)
				rc_rd_fail(&r, RC_ERR_RANGE); /* present only when true */
			a->override_all = true;
			break;
		case 7:
			r.field = "state.last_answer";
			a->last_answer = rc_rd_uint(&r);
			break;
		case 8:
			r.field = "state.next_periodic";
			a->next_periodic = rc_rd_uint(&r);
			break;
		case 9:
			r.field = "state.feed_serial";
			a->feed_serial = rc_rd_uint(&r);
			break;
		case 10:
			r.field = "state.floor";
			if (format == 1)
				rc_rd_unknown(&r, key);
			else
				a->floor = rc_rd_uint(&r);
			break;
		case 11:
			r.field = "state.proof";
			if (format != RC_AGENT_STATE_FORMAT_LOG) {
				rc_rd_unknown(&r, key);
				break;
			}
			p = rc_rd_bstr(&r, &l, RC_AGENT_PROOF_MAX);
			if (p && l == 0)
				rc_rd_fail(&r, RC_ERR_MISSING);
			if (p && l) {
				memcpy(a->proof, p, l);
				a->proof_len = (uint16_t)l;
			}
			break;
		case 12:
			if (format != RC_AGENT_STATE_FORMAT_LOG)
				rc_rd_unknown(&r, key);
			else
				read_chain_proofs(&r, a);
			break;
		default:
			rc_rd_unknown(&r, key);
		}
	}
	rc_rd_finish(&r);
	if (!r.err) {
		r.field = "state";
		if (!seen[0] || !seen[1] || !seen[2] || !seen[7] || !seen[8] || !seen[9] ||
		    (format != 1 && !seen[10]))
			rc_rd_fail(&r, RC_ERR_MISSING);
		else if ((mode != RC_AGENT_IDLE) != seen[3])
			rc_rd_fail(&r, RC_ERR_MISSING);
		else if (seen[11] && !seen[3])
			rc_rd_fail(&r, RC_ERR_MISSING); /* a proof without its notice */
		else if ((format == RC_AGENT_STATE_FORMAT_LOG) != (seen[11] || seen[12]))
			rc_rd_fail(&r, RC_ERR_MISSING); /* format 3 is: with a proof */
	}
	a->mode = (uint8_t)mode;
	return rc_rd_diag(&r, diag);
}

/* The from-epoch of a statement, read without verifying it (only to recognise a statement
 * older than the firmware's set; nothing else of it is used). */
/* Not inlined: its decoded rotation (an anchor set) need not share the caller's frame. */
static __attribute__((noinline)) int stmt_from_epoch(const uint8_t *p, size_t l, uint64_t *from)
{
	struct rc_cose_sign m;
	struct rc_rotation rot;
	int err = rc_cose_decode(&m, p, l, NULL);
	if (!err && m.content_type != RC_CT_ROTATION)
		err = RC_ERR_TYPE;
	if (!err)
		err = rc_rotation_decode(&rot, m.payload, m.payload_len, NULL);
	if (!err)
		*from = rot.from_epoch;
	return err;
}

/* The saved proof of statement i (at proof offset poff) against set cur's log, without the age
 * check: it was judged when the statement was applied. */
static int chain_proof_check(struct rc_agent *a, const struct rc_anchors *cur, size_t i,
			     size_t poff, const uint8_t *stmt, size_t len)
{
	if (a->chain_proof_len[i] == 0)
		return RC_ERR_MISSING;
	int err =
	    rc_logproof_decode(&a->buf.lp, a->chain_proof + poff, a->chain_proof_len[i], NULL);
	if (!err)
		err = rc_logproof_verify(cur, stmt, len, &a->buf.lp, 0, false, NULL, NULL);
	return err;
}

/* Keep statements [skip, skip + n) of the chain and their proofs. */
static void chain_keep(struct rc_agent *a, size_t skip, size_t n)
{
	size_t off = 0, poff = 0, len = 0, plen = 0;
	for (size_t i = 0; i < skip; i++) {
		off += a->chain_len[i];
		poff += a->chain_proof_len[i];
	}
	for (size_t i = skip; i < skip + n; i++) {
		len += a->chain_len[i];
		plen += a->chain_proof_len[i];
	}
	memmove(a->chain, a->chain + off, len);
	memmove(a->chain_len, a->chain_len + skip, n * sizeof(a->chain_len[0]));
	memmove(a->chain_proof, a->chain_proof + poff, plen);
	memmove(a->chain_proof_len, a->chain_proof_len + skip, n * sizeof(a->chain_proof_len[0]));
	a->nchain = (uint8_t)n;
	a->chain_used = (uint16_t)len;
	a->chain_proof_used = (uint16_t)plen;
}

int rc__agent_chain_derive(struct rc_agent *a, size_t *at, bool *proof)
{
	/* The set reached so far is built in a->anchors, which ends as the last set reached or
	 * the firmware's: one anchor set less on the stack. */
	struct rc_anchors *cur = &a->anchors;
	*cur = a->cfg.anchors;
	size_t applied = 0, skip = 0, off = 0, poff = 0;
	int err = RC_OK;
	*at = 0;
	*proof = false;
	for (size_t i = 0; i < a->nchain;
	     off += a->chain_len[i], poff += a->chain_proof_len[i], i++) {
		const uint8_t *p = a->chain + off;
		size_t l = a->chain_len[i];
		struct rc_anchors next = *cur;
		err = rc_anchors_rotate(&next, p, l, NULL);
		if (err == RC_OK && cur->has_log) {
			/* Applied under a logged set: only with its proof in that set's log. */
			err = chain_proof_check(a, cur, i, poff, p, l);
			if (err) {
				*proof = true;
				*at = i;
				break;
			}
		}
		if (err == RC_OK) {
			*cur = next;
			applied++;
			continue;
		}
		uint64_t from;
		/* Before the first applied statement, one that leads away from an epoch below the
		 * firmware's is stale (the firmware shipped a newer set): dropped. */
		if (applied == 0 && stmt_from_epoch(p, l, &from) == RC_OK && from < cur->epoch) {
			skip++;
			err = RC_OK;
			continue;
		}
		*at = i;
		break;
	}
	if (err && !*proof) {
		a->anchors = a->cfg.anchors;
		a->nchain = 0;
		a->chain_used = 0;
		a->chain_proof_used = 0;
		return err;
	}
	/* The chain stops at a statement whose proof failed: what came before stays. */
	chain_keep(a, skip, applied);
	return err;
}

bool rc__agent_chain_append(struct rc_agent *a, const uint8_t *stmt, size_t len,
			    const uint8_t *proof, size_t plen)
{
	/* Contiguous from the firmware's set, within the bounds. */
	if (a->anchors.epoch != a->cfg.anchors.epoch + a->nchain ||
	    a->nchain >= RC_AGENT_CHAIN_MAX || len == 0 || len > RC_NOTICE_MAX ||
	    len > (size_t)RC_AGENT_CHAIN_BYTES - a->chain_used ||
	    plen > (size_t)RC_AGENT_CHAIN_PROOF_BYTES - a->chain_proof_used)
		return false;
	memcpy(a->chain + a->chain_used, stmt, len);
	if (plen)
		memcpy(a->chain_proof + a->chain_proof_used, proof, plen);
	a->chain_proof_len[a->nchain] = (uint16_t)plen;
	a->chain_len[a->nchain++] = (uint16_t)len;
	a->chain_used = (uint16_t)(a->chain_used + len);
	a->chain_proof_used = (uint16_t)(a->chain_proof_used + plen);
	return true;
}
