/* COSE_Sign (RFC 9052, tag 98) with Ed25519: strict decoding, Sig_structure, signing in any
 * order, merging. Verification builds the Sig_structure in a stack buffer: no heap. */
#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "cbor_io.h"
#include "pubkey.h"
#include "cose_int.h"
#include "recall/cose.h"

#define COSE_SIGN_TAG 98
#define HDR_KEYS_MAX  8
/* Sig_structure: array head, "Signature", three bstr heads, empty external_aad. */
#define TBS_MAX RC__COSE_TBS_MAX
/* One encoded COSE_Signature as we write it: [h'A10127', {4: h'kid'}, h'sig']. */
#define SIG_ITEM_LEN (1 + 4 + 1 + 1 + 1 + RC_KID_LEN + 2 + RC_SIG_LEN)

static const uint8_t eddsa_prot[] = {0xa1, 0x01, 0x27}; /* {1: -8} */

/* Where each COSE_Signature item lies in the decoded input, to copy it verbatim. */
struct sig_span {
	const uint8_t *p;
	size_t n;
};

static int crypto_ready(void)
{
	static atomic_int ready;
	if (atomic_load(&ready))
		return RC_OK;
	/* sodium_init is itself thread-safe and idempotent; the flag only skips its lock. */
	if (sodium_init() < 0)
		return RC_ERR_INVALID;
	atomic_store(&ready, 1);
	return RC_OK;
}

void rc_kid(uint8_t kid[static RC_KID_LEN], const uint8_t pk[static RC_PK_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, pk, RC_PK_LEN);
	memcpy(kid, h, RC_KID_LEN);
}

/* Copy a nested reader's error into the outer one, offset relative to the outer input. */
static void nested_fail(struct rc_rd *r, const struct rc_rd *s)
{
	if (r->err || !s->err)
		return;
	r->err = s->err;
	r->err_off = (size_t)(s->p - r->p) + s->err_off;
	r->err_field = s->err_field;
}

/* Body protected header: { 3: content type uint }, negative keys ignorable. */
static void body_header(struct rc_rd *r, const uint8_t *p, size_t n, uint64_t *ct)
{
	struct rc_rd s;
	struct rc_keys ks = {0};
	bool have = false;
	rc_rd_init(&s, p, n);
	s.field = "cose.protected";
	if (n == 0) /* the empty map, spelled h'' (RFC 9052 3): no content type */
		rc_rd_fail(&s, RC_ERR_MISSING);
	size_t cnt = rc_rd_map(&s, HDR_KEYS_MAX);
	for (size_t i = 0; i < cnt && !s.err; i++) {
		s.field = "cose.protected";
		int64_t k = rc_rd_key(&s, &ks);
		if (k == 3) {
			s.field = "cose.protected.content_type";
			*ct = rc_rd_uint(&s);
			have = true;
		} else {
			rc_rd_unknown(&s, k);
		}
	}
	if (!s.err && !have)
		rc_rd_fail(&s, RC_ERR_MISSING);
	s.field = "cose.protected";
	rc_rd_finish(&s);
	nested_fail(r, &s);
}

/* Signature protected header: { 1: -8 } (EdDSA), negative keys ignorable. */
static void sig_header(struct rc_rd *r, const uint8_t *p, size_t n)
{
	struct rc_rd s;
	struct rc_keys ks = {0};
	bool have = false;
	rc_rd_init(&s, p, n);
	s.field = "cose.signature.protected";
	if (n == 0) /* empty: no algorithm */
		rc_rd_fail(&s, RC_ERR_MISSING);
	size_t cnt = rc_rd_map(&s, HDR_KEYS_MAX);
	for (size_t i = 0; i < cnt && !s.err; i++) {
		s.field = "cose.signature.protected";
		int64_t k = rc_rd_key(&s, &ks);
		if (k == 1) {
			s.field = "cose.signature.protected.alg";
			size_t at = s.off;
			if (rc_rd_int(&s) != RC_COSE_ALG_EDDSA && !s.err) {
				s.off = at;
				rc_rd_fail(&s, RC_ERR_RANGE);
			}
			have = true;
		} else {
			rc_rd_unknown(&s, k);
		}
	}
	if (!s.err && !have)
		rc_rd_fail(&s, RC_ERR_MISSING);
	s.field = "cose.signature.protected";
	rc_rd_finish(&s);
	nested_fail(r, &s);
}

/* One COSE_Signature: [ protected bstr, { 4: kid bstr .size 8 }, sig bstr .size 64 ]. */
static void signature(struct rc_rd *r, struct rc_cose_sig *sg)
{
	r->field = "cose.signature";
	size_t n = rc_rd_array(r, 3);
	if (!r->err && n != 3)
		rc_rd_fail(r, RC_ERR_MISSING);
	r->field = "cose.signature.protected";
	sg->prot = rc_rd_bstr(r, &sg->prot_len, RC_COSE_HDR_MAX);
	if (!r->err)
		sig_header(r, sg->prot, sg->prot_len);
	r->field = "cose.signature.unprotected";
	size_t cnt = rc_rd_map(r, HDR_KEYS_MAX);
	struct rc_keys ks = {0};
	bool have = false;
	for (size_t i = 0; i < cnt && !r->err; i++) {
		r->field = "cose.signature.unprotected";
		int64_t k = rc_rd_key(r, &ks);
		if (k == 4) {
			r->field = "cose.signature.unprotected.kid";
			const uint8_t *kid = rc_rd_bstr_exact(r, RC_KID_LEN);
			if (kid)
				memcpy(sg->kid, kid, RC_KID_LEN);
			have = true;
		} else {
			rc_rd_unknown(r, k);
		}
	}
	if (!r->err && !have)
		rc_rd_fail(r, RC_ERR_MISSING);
	r->field = "cose.signature.sig";
	sg->sig = rc_rd_bstr_exact(r, RC_SIG_LEN);
}

static int decode(struct rc_cose_sign *m, struct sig_span *spans, const uint8_t *buf, size_t len,
		  bool allow_unsigned, size_t payload_max, struct rc_diag *diag)
{
	struct rc_rd r;
	memset(m, 0, sizeof(*m));
	rc_rd_init(&r, buf, len);
	r.field = "cose.tag";
	size_t at = r.off;
	if (rc_rd_tag(&r) != COSE_SIGN_TAG && !r.err) {
		r.off = at;
		rc_rd_fail(&r, RC_ERR_TYPE);
	}
	r.field = "cose";
	size_t n = rc_rd_array(&r, 4);
	if (!r.err && n != 4)
		rc_rd_fail(&r, RC_ERR_MISSING);
	r.field = "cose.protected";
	m->body_prot = rc_rd_bstr(&r, &m->body_prot_len, RC_COSE_HDR_MAX);
	if (!r.err)
		body_header(&r, m->body_prot, m->body_prot_len, &m->content_type);
	r.field = "cose.unprotected";
	rc_rd_map(&r, 0);
	r.field = "cose.payload";
	m->payload = rc_rd_bstr(&r, &m->payload_len, payload_max);
	r.field = "cose.signatures";
	size_t ns = rc_rd_array(&r, RC_SIG_MAX);
	if (!r.err && ns == 0 && !allow_unsigned)
		rc_rd_fail(&r, RC_ERR_MISSING);
	for (size_t i = 0; i < ns && !r.err; i++) {
		size_t start = r.off;
		signature(&r, &m->sigs[i]);
		if (r.err)
			break;
		if (i > 0) {
			int c = memcmp(m->sigs[i - 1].kid, m->sigs[i].kid, RC_KID_LEN);
			if (c >= 0) {
				r.off = start;
				r.field = "cose.signature.unprotected.kid";
				rc_rd_fail(&r, c == 0 ? RC_ERR_DUPKEY : RC_ERR_NONCANONICAL);
				break;
			}
		}
		if (spans) {
			spans[i].p = buf + start;
			spans[i].n = r.off - start;
		}
		m->nsig = i + 1;
	}
	r.field = "cose";
	rc_rd_finish(&r);
	int err = rc_rd_diag(&r, diag);
	if (err)
		memset(m, 0, sizeof(*m));
	return err;
}

int rc_cose_decode(struct rc_cose_sign *m, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	return decode(m, NULL, buf, len, false, RC_COSE_PAYLOAD_MAX, diag);
}

int rc_cose_decode_unsigned(struct rc_cose_sign *m, const uint8_t *buf, size_t len,
			    struct rc_diag *diag)
{
	return decode(m, NULL, buf, len, true, RC_COSE_PAYLOAD_MAX, diag);
}

int rc__cose_decode_max(struct rc_cose_sign *m, const uint8_t *buf, size_t len, size_t payload_max,
			struct rc_diag *diag)
{
	return decode(m, NULL, buf, len, false, payload_max, diag);
}

/* 98([ body_prot, {}, payload, [ sigs... ] ]) from a body and whole signature items. */
static int emit(uint8_t *out, size_t cap, size_t *len, const struct rc_cose_sign *m,
		const struct sig_span *items, size_t n)
{
	struct rc_wr w;
	rc_wr_init(&w, out, cap);
	rc_wr_tag(&w, COSE_SIGN_TAG);
	rc_wr_array(&w, 4);
	rc_wr_bstr(&w, m->body_prot, m->body_prot_len);
	rc_wr_map(&w, 0);
	rc_wr_bstr(&w, m->payload, m->payload_len);
	rc_wr_array(&w, n);
	for (size_t i = 0; i < n; i++)
		rc_wr_raw(&w, items[i].p, items[i].n);
	if (w.err)
		return w.err;
	*len = w.len;
	return RC_OK;
}

static bool overlaps(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
	return a && b && x < y + bn && y < x + an;
}

int rc_cose_encode_unsigned(uint8_t *out, size_t cap, size_t *len, uint64_t content_type,
			    const uint8_t *payload, size_t payload_len)
{
	if (!len || (!payload && payload_len))
		return RC_ERR_INVALID;
	if (payload_len > RC_COSE_PAYLOAD_MAX)
		return RC_ERR_TOOLONG;
	uint8_t prot[16];
	struct rc_wr w;
	rc_wr_init(&w, prot, sizeof(prot));
	rc_wr_map(&w, 1);
	rc_wr_uint(&w, 3);
	rc_wr_uint(&w, content_type);
	struct rc_cose_sign m = {.body_prot = prot,
				 .body_prot_len = w.len,
				 .content_type = content_type,
				 .payload = payload,
				 .payload_len = payload_len};
	return emit(out, cap, len, &m, NULL, 0);
}

int rc_cose_tbs(const struct rc_cose_sign *m, size_t i, uint8_t *out, size_t cap, size_t *len)
{
	if (!m || i >= m->nsig || i >= RC_SIG_MAX || !len)
		return RC_ERR_INVALID;
	struct rc_wr w;
	rc_wr_init(&w, out, cap);
	rc_wr_array(&w, 5);
	rc_wr_tstr(&w, "Signature", 9);
	rc_wr_bstr(&w, m->body_prot, m->body_prot_len);
	rc_wr_bstr(&w, m->sigs[i].prot, m->sigs[i].prot_len);
	rc_wr_bstr(&w, NULL, 0); /* external_aad */
	rc_wr_bstr(&w, m->payload, m->payload_len);
	if (w.err)
		return w.err;
	*len = w.len;
	return RC_OK;
}

int rc_ed25519_verify(const uint8_t sig[static RC_SIG_LEN], const uint8_t *msg, size_t msg_len,
		      const uint8_t pk[static RC_PK_LEN])
{
	if (crypto_ready() != RC_OK || (!msg && msg_len))
		return RC_ERR_SIG;
	if (crypto_sign_verify_detached(sig, msg, msg_len, pk) != 0)
		return RC_ERR_SIG;
	return RC_OK;
}

int rc__cose_verify_sig_buf(const struct rc_cose_sign *m, size_t i,
			    const uint8_t pk[static RC_PK_LEN], uint8_t *tbs, size_t cap)
{
	size_t n;
	if (!m || i >= m->nsig || i >= RC_SIG_MAX || !m->sigs[i].sig || !tbs)
		return RC_ERR_SIG;
	if (rc_cose_tbs(m, i, tbs, cap, &n) != RC_OK)
		return RC_ERR_SIG;
	return rc_ed25519_verify(m->sigs[i].sig, tbs, n, pk);
}

int rc_cose_verify_sig(const struct rc_cose_sign *m, size_t i, const uint8_t pk[static RC_PK_LEN])
{
	uint8_t tbs[TBS_MAX];
	return rc__cose_verify_sig_buf(m, i, pk, tbs, sizeof(tbs));
}

int rc_cose_sign_add(uint8_t *out, size_t cap, size_t *len, const uint8_t *in, size_t in_len,
		     const uint8_t sk[static RC_SK_LEN])
{
	int err = crypto_ready();
	if (err)
		return err;
	/* The public half of sk must belong to its seed: a damaged key file signs nothing. */
	struct rc_signer s = {.sign = rc__sign_sk, .ctx = (void *)(uintptr_t)sk};
	uint8_t sk2[RC_SK_LEN];
	crypto_sign_seed_keypair(s.pk, sk2, sk);
	sodium_memzero(sk2, sizeof(sk2));
	if (sodium_memcmp(s.pk, sk + 32, RC_PK_LEN) != 0)
		return RC_ERR_INVALID;
	return rc_cose_sign_add_signer(out, cap, len, in, in_len, &s);
}

int rc_cose_sign_add_signer(uint8_t *out, size_t cap, size_t *len, const uint8_t *in, size_t in_len,
			    const struct rc_signer *s)
{
	struct rc_cose_sign m;
	struct sig_span spans[RC_SIG_MAX + 1];
	if (!len || !in || !s || !s->sign || overlaps(out, cap, in, in_len))
		return RC_ERR_INVALID;
	int err = crypto_ready();
	if (!err)
		err = decode(&m, spans, in, in_len, true, RC_COSE_PAYLOAD_MAX, NULL);
	if (err)
		return err;

	/* Sign the Sig_structure for a new signature with protected header {1: -8}. */
	struct rc_cose_sign one = m;
	one.nsig = 1;
	one.sigs[0].prot = eddsa_prot;
	one.sigs[0].prot_len = sizeof(eddsa_prot);
	uint8_t tbs[TBS_MAX], sig[RC_SIG_LEN], kid[RC_KID_LEN];
	size_t tn;
	err = rc_cose_tbs(&one, 0, tbs, sizeof(tbs), &tn);
	if (err)
		return err;
	if (s->sign(s->ctx, sig, tbs, tn) != 0)
		return RC_ERR_IO;
	rc_kid(kid, s->pk);

	uint8_t item[SIG_ITEM_LEN];
	struct rc_wr w;
	rc_wr_init(&w, item, sizeof(item));
	rc_wr_array(&w, 3);
	rc_wr_bstr(&w, eddsa_prot, sizeof(eddsa_prot));
	rc_wr_map(&w, 1);
	rc_wr_uint(&w, 4);
	rc_wr_bstr(&w, kid, RC_KID_LEN);
	rc_wr_bstr(&w, sig, RC_SIG_LEN);
	if (w.err)
		return w.err;

	/* Insert in kid order, replacing this key's earlier signature. */
	struct sig_span items[RC_SIG_MAX + 1];
	size_t n = 0, i = 0;
	while (i < m.nsig && memcmp(m.sigs[i].kid, kid, RC_KID_LEN) < 0)
		items[n++] = spans[i++];
	items[n++] = (struct sig_span){item, w.len};
	if (i < m.nsig && memcmp(m.sigs[i].kid, kid, RC_KID_LEN) == 0)
		i++;
	while (i < m.nsig)
		items[n++] = spans[i++];
	if (n > RC_SIG_MAX)
		return RC_ERR_TOOLONG;
	return emit(out, cap, len, &m, items, n);
}

int rc_cose_merge(uint8_t *out, size_t cap, size_t *len, const uint8_t *a, size_t a_len,
		  const uint8_t *b, size_t b_len)
{
	struct rc_cose_sign ma, mb;
	struct sig_span sa[RC_SIG_MAX], sb[RC_SIG_MAX], items[2 * RC_SIG_MAX];
	if (!len || !a || !b || overlaps(out, cap, a, a_len) || overlaps(out, cap, b, b_len))
		return RC_ERR_INVALID;
	int err = decode(&ma, sa, a, a_len, true, RC_COSE_PAYLOAD_MAX, NULL);
	if (!err)
		err = decode(&mb, sb, b, b_len, true, RC_COSE_PAYLOAD_MAX, NULL);
	if (err)
		return err;
	if (ma.body_prot_len != mb.body_prot_len || ma.payload_len != mb.payload_len ||
	    memcmp(ma.body_prot, mb.body_prot, ma.body_prot_len) != 0 ||
	    (ma.payload_len && memcmp(ma.payload, mb.payload, ma.payload_len) != 0))
		return RC_ERR_INVALID;
	size_t i = 0, j = 0, n = 0;
	while (i < ma.nsig || j < mb.nsig) {
		int c = i == ma.nsig   ? 1
			: j == mb.nsig ? -1
				       : memcmp(ma.sigs[i].kid, mb.sigs[j].kid, RC_KID_LEN);
		if (c < 0) {
			items[n++] = sa[i++];
		} else if (c > 0) {
			items[n++] = sb[j++];
		} else {
			/* Ed25519 is deterministic: one key over one body gives one signature. */
			if (sa[i].n != sb[j].n || memcmp(sa[i].p, sb[j].p, sa[i].n) != 0)
				return RC_ERR_INVALID;
			items[n++] = sa[i++];
			j++;
		}
	}
	if (n > RC_SIG_MAX)
		return RC_ERR_TOOLONG;
	return emit(out, cap, len, &ma, items, n);
}
