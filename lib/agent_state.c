/* The agent's persisted state: a deterministic CBOR map followed by a 16-byte BLAKE2b check
 * (libsodium crypto_generichash) over it, so a torn or corrupted write is detected and the
 * agent fails open. Layout (docs/PORTING.md, "State blob"):
 *   { 0: format (1), 1: mode uint (0 idle, 2 quarantined, 3 overridden, 4 notified),
 *     2: identity fingerprint bstr .size 32, ? 3: held notice bstr (iff mode != 0),
 *     ? 4: anchor set bstr (only when newer than the firmware's), ? 5: [+ overridden id tstr],
 *     ? 6: true (override all), 7: last answer uint, 8: next periodic uint, 9: feed serial uint }
 * Negative keys are ignorable extensions; unknown non-negative keys are rejected. */
#include <string.h>

#include <sodium.h>

#include "agent_state.h"
#include "cbor_io.h"

#define ANCHORS_ENC_MAX 640

void rc__agent_fingerprint(uint8_t fp[static 32], const struct rc_identity *id)
{
	crypto_generichash_state st;
	static const char pers[] = "recall-agent identity v1";
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)pers, sizeof(pers));
	const struct rc_str *f[4] = {&id->vendor, &id->model, &id->hwrev, &id->fwver};
	for (int i = 0; i < 4; i++) {
		uint8_t l = (uint8_t)f[i]->n;
		crypto_generichash_update(&st, &l, 1);
		if (f[i]->n)
			crypto_generichash_update(&st, (const uint8_t *)f[i]->p, f[i]->n);
	}
	uint8_t tail[1 + 8 + 1 + RC_DIGEST_LEN] = {0};
	tail[0] = id->has_build_date;
	for (int i = 0; i < 8; i++)
		tail[1 + i] = id->has_build_date ? (uint8_t)(id->build_date >> (56 - 8 * i)) : 0;
	tail[9] = id->has_digest;
	if (id->has_digest)
		memcpy(tail + 10, id->digest, RC_DIGEST_LEN);
	crypto_generichash_update(&st, tail, sizeof(tail));
	crypto_generichash_final(&st, fp, 32);
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
	bool has_anchors = a->anchors.epoch > a->cfg.anchors.epoch;
	uint8_t anc[ANCHORS_ENC_MAX];
	size_t anc_len = 0;
	if (has_anchors && rc_anchors_encode(&a->anchors, anc, sizeof(anc), &anc_len) != RC_OK)
		return RC_ERR_INVALID;
	size_t n = 6 + has_notice + has_anchors + (a->noverrides > 0) + a->override_all;
	struct rc_wr w;
	rc_wr_init(&w, out, cap - RC_AGENT_CHECK_LEN);
	rc_wr_map(&w, n);
	rc_wr_uint(&w, 0);
	rc_wr_uint(&w, RC_AGENT_STATE_FORMAT);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, has_notice ? a->mode : RC_AGENT_IDLE);
	rc_wr_uint(&w, 2);
	rc_wr_bstr(&w, a->fingerprint, sizeof(a->fingerprint));
	if (has_notice) {
		rc_wr_uint(&w, 3);
		rc_wr_bstr(&w, a->notice, a->notice_len);
	}
	if (has_anchors) {
		rc_wr_uint(&w, 4);
		rc_wr_bstr(&w, anc, anc_len);
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
	if (w.err)
		return RC_ERR_BUFFER;
	crypto_generichash(out + w.len, RC_AGENT_CHECK_LEN, out, w.len, NULL, 0);
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

/* Key 4: a rotated anchor set, itself strict CBOR inside the byte string. */
static void read_anchors(struct rc_rd *r, struct rc_agent *a)
{
	r->field = "state.anchors";
	size_t l;
	const uint8_t *p = rc_rd_bstr(r, &l, ANCHORS_ENC_MAX);
	if (r->err)
		return;
	struct rc_diag d;
	int err = rc_anchors_decode(&a->anchors, p, l, &d);
	if (err)
		rc_rd_fail(r, err);
}

int rc__agent_state_decode(struct rc_agent *a, const uint8_t *buf, size_t len,
			   uint8_t fp[static 32], struct rc_diag *diag)
{
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
	crypto_generichash(check, sizeof(check), buf, body, NULL, 0);
	if (sodium_memcmp(check, buf + body, sizeof(check)) != 0) {
		if (diag) {
			diag->off = body;
			diag->field = "state.checksum";
		}
		return RC_ERR_SIG;
	}
	rc_rd_init(&r, buf, body);
	struct rc_keys ks = {0};
	bool seen[10] = {false};
	uint64_t mode = 0;
	r.field = "state";
	size_t n = rc_rd_map(&r, 16);
	for (size_t i = 0; i < n && !r.err; i++) {
		r.field = "state";
		int64_t key = rc_rd_key(&r, &ks);
		if (r.err)
			break;
		if (key >= 0 && key <= 9)
			seen[key] = true;
		size_t l;
		const uint8_t *p;
		switch (key) {
		case 0:
			r.field = "state.format";
			if (rc_rd_uint(&r) != RC_AGENT_STATE_FORMAT)
				rc_rd_fail(&r, RC_ERR_VERSION);
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
				memcpy(fp, p, 32);
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
			read_anchors(&r, a);
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
		default:
			rc_rd_unknown(&r, key);
		}
	}
	rc_rd_finish(&r);
	if (!r.err) {
		r.field = "state";
		if (!seen[0] || !seen[1] || !seen[2] || !seen[7] || !seen[8] || !seen[9])
			rc_rd_fail(&r, RC_ERR_MISSING);
		else if ((mode != RC_AGENT_IDLE) != seen[3])
			rc_rd_fail(&r, RC_ERR_MISSING);
	}
	a->mode = (uint8_t)mode;
	return rc_rd_diag(&r, diag);
}
