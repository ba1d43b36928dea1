/* The publication top file (recall/publication.h): strict decoding, signature by the feed key,
 * the withdrawn list as a sorted CBOR array read in place, and the covered checkpoint checked
 * under an anchor set's log policy. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cbor_io.h"
#include "cose_int.h"
#include "pubkey.h"
#include "recall/publication.h"

#define COSE_SIGN_TAG 98
/* Sig_structure around the payload: array head, "Signature", two protected headers of at most
 * RC_COSE_HDR_MAX bytes with their heads, the empty external_aad, the payload's head. */
#define TBS_OVER (1 + 10 + 2 * (3 + RC_COSE_HDR_MAX) + 1 + 9)

static const uint8_t eddsa_prot[] = {0xa1, 0x01, 0x27}; /* {1: -8} */

/* Head length of a CBOR uint: 1, 2, 3, 5 or 9 bytes, as class 0..4. */
static unsigned uint_class(uint64_t v)
{
	return v < 24 ? 0 : v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 3 : 4;
}

static const unsigned class_len[5] = {1, 2, 3, 5, 9};

static uint64_t be_read(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Item i: its class region, then a fixed stride inside it. */
static uint64_t item_at(const struct rc_pub *p, size_t i)
{
	const uint8_t *b = p->withdrawn_cbor;
	for (unsigned c = 0; c < 5; c++) {
		if (i < p->wn[c]) {
			const uint8_t *q = b + i * class_len[c];
			return c == 0 ? (uint64_t)(q[0] & 0x1f) : be_read(q + 1, class_len[c] - 1);
		}
		i -= p->wn[c];
		b += (size_t)p->wn[c] * class_len[c];
	}
	return UINT64_MAX;
}

uint64_t rc_pub_withdrawn_item(const struct rc_pub *p, size_t i)
{
	return p && i < p->nwithdrawn ? item_at(p, i) : UINT64_MAX;
}

bool rc_pub_withdrawn(const struct rc_pub *p, uint64_t index)
{
	if (!p)
		return false;
	size_t lo = 0, hi = p->nwithdrawn;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t v = item_at(p, mid);
		if (v == index)
			return true;
		if (v < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The payload map: exactly keys 1..7 in order. */
static void payload(struct rc_rd *r, struct rc_pub *p)
{
	struct rc_keys ks = {0};
	r->field = "publication";
	size_t n = rc_rd_map(r, 7);
	if (!r->err && n != 7)
		rc_rd_fail(r, RC_ERR_MISSING);
	for (int64_t want = 1; want <= 7 && !r->err; want++) {
		r->field = "publication";
		size_t at = r->off;
		int64_t k = rc_rd_key(r, &ks);
		if (!r->err && k != want) {
			r->off = at;
			rc_rd_fail(r, k < want ? RC_ERR_DUPKEY : RC_ERR_MISSING);
			break;
		}
		static const char *const names[] = {"",
						    "publication.version",
						    "publication.serial",
						    "publication.issued",
						    "publication.expiry",
						    "publication.anchors_id",
						    "publication.checkpoint",
						    "publication.withdrawn"};
		r->field = names[want];
		at = r->off;
		if (want == 1) {
			if (rc_rd_uint(r) != RC_PUB_VERSION && !r->err) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_VERSION);
			}
		} else if (want == 2) {
			p->serial = rc_rd_uint(r);
		} else if (want == 3) {
			p->issued = rc_rd_uint(r);
		} else if (want == 4) {
			p->expiry = rc_rd_uint(r);
			if (!r->err && p->expiry <= p->issued) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_RANGE);
			}
		} else if (want == 5) {
			const uint8_t *id = rc_rd_bstr_exact(r, sizeof(p->anchors_id));
			if (id)
				memcpy(p->anchors_id, id, sizeof(p->anchors_id));
		} else if (want == 6) {
			p->checkpoint = rc_rd_bstr(r, &p->checkpoint_len, RC_PUB_CHECKPOINT_MAX);
			if (!r->err && p->checkpoint_len == 0) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_MISSING);
			}
		} else {
			p->nwithdrawn = rc_rd_array(r, RC_PUB_WITHDRAWN_MAX);
			p->withdrawn_cbor = r->p + r->off;
			uint64_t prev = 0;
			for (size_t i = 0; i < p->nwithdrawn && !r->err; i++) {
				at = r->off;
				uint64_t v = rc_rd_uint(r);
				if (!r->err && i && v <= prev) {
					r->off = at;
					rc_rd_fail(r,
						   v == prev ? RC_ERR_DUPKEY : RC_ERR_NONCANONICAL);
				}
				if (!r->err)
					p->wn[uint_class(v)]++;
				prev = v;
			}
		}
	}
	r->field = "publication";
}

int rc_pub_open(struct rc_pub *p, const uint8_t *buf, size_t len, const uint8_t feed_pk[static 32],
		struct rc_diag *diag)
{
	struct rc_cose_sign m;
	if (!p || !buf)
		return RC_ERR_INVALID;
	memset(p, 0, sizeof(*p));
	if (len > RC_PUB_MAX) {
		if (diag)
			*diag = (struct rc_diag){RC_PUB_MAX, "publication"};
		return RC_ERR_TOOLONG;
	}
	int e = rc__cose_decode_max(&m, buf, len, RC_PUB_MAX, diag);
	if (e)
		return e;
	if (m.content_type != RC_CT_PUBLICATION) {
		if (diag)
			*diag = (struct rc_diag){0, "cose.protected.content_type"};
		return RC_ERR_TYPE;
	}
	struct rc_rd r;
	rc_rd_init(&r, m.payload, m.payload_len);
	payload(&r, p);
	rc_rd_finish(&r);
	if (r.err) {
		e = rc_rd_diag(&r, diag);
		if (diag)
			diag->off += (size_t)(m.payload - buf);
		memset(p, 0, sizeof(*p));
		return e;
	}
	uint8_t kid[RC_KID_LEN];
	rc_kid(kid, feed_pk);
	e = RC_ERR_SIG;
	for (size_t i = 0; i < m.nsig && e == RC_ERR_SIG; i++) {
		if (memcmp(m.sigs[i].kid, kid, RC_KID_LEN))
			continue;
		size_t cap = m.payload_len + TBS_OVER, n;
		uint8_t *tbs = malloc(cap);
		if (!tbs)
			return RC_ERR_NOMEM;
		if (rc_cose_tbs(&m, i, tbs, cap, &n) == RC_OK)
			e = rc_ed25519_verify(m.sigs[i].sig, tbs, n, feed_pk);
		free(tbs);
		break; /* signatures are sorted by kid and distinct: one can be ours */
	}
	if (e) {
		if (diag)
			*diag = (struct rc_diag){0, "cose.signatures"};
		memset(p, 0, sizeof(*p));
	}
	return e;
}

int rc_pub_checkpoint(const struct rc_pub *p, const struct rc_anchors *a, struct rc_checkpoint *cp,
		      struct rc_diag *diag)
{
	struct rc_diag dd = {0, NULL}, *d = diag ? diag : &dd;
	if (!p || !a || !cp || !p->checkpoint)
		return RC_ERR_INVALID;
	if (!a->has_log) {
		*d = (struct rc_diag){0, "anchors.log"};
		return RC_ERR_INVALID;
	}
#ifdef RC_AGENT_NO_LOG
	*d = (struct rc_diag){0, "anchors.log (no policy kept: RC_AGENT_NO_LOG)"};
	return RC_ERR_VERSION;
#else
	const struct rc_log_policy *lp = &a->log;
	/* struct rc_note is ~10 KiB: static storage would not be thread-safe, the heap is not
	 * ours to use here; callers run this on a normal thread stack. */
	struct rc_note note;
	struct rc_note_key key;
	const char *txt = (const char *)p->checkpoint;
	int e = rc_note_parse(&note, txt, p->checkpoint_len, d);
	if (!e)
		e = rc_checkpoint_parse(cp, note.text, note.text_len, d);
	if (e) {
		if (!d->field)
			d->field = "publication.checkpoint";
		return e;
	}
	size_t ol = strlen(lp->origin);
	if (cp->origin_len != ol || memcmp(cp->origin, lp->origin, ol)) {
		*d = (struct rc_diag){0, "publication.checkpoint.origin"};
		return RC_ERR_SYNTAX;
	}
	if (cp->ext_len) {
		*d = (struct rc_diag){0, "publication.checkpoint.extension"};
		return RC_ERR_SYNTAX;
	}
	if (rc_note_key_init(&key, lp->origin, ol, RC_NOTE_ALG_ED25519, lp->log_pk) != RC_OK ||
	    rc_note_verify(&note, &key, NULL) != RC_OK) {
		*d = (struct rc_diag){0, "publication.checkpoint.log_signature"};
		return RC_ERR_SIG;
	}
	uint32_t nw = 0;
	for (uint32_t i = 0; i < lp->nwit && i < RC_LOG_WITNESS_MAX; i++) {
		uint64_t ts;
		if (rc_note_key_init(&key, lp->wit[i].name, strlen(lp->wit[i].name),
				     RC_NOTE_ALG_COSIG, lp->wit[i].pk) == RC_OK &&
		    rc_note_verify(&note, &key, &ts) == RC_OK)
			nw++;
	}
	if (nw < lp->quorum) {
		*d = (struct rc_diag){0, "publication.checkpoint.cosignatures"};
		return RC_ERR_THRESHOLD;
	}
	if (cp->size > RC_PUB_LOG_MAX) {
		*d = (struct rc_diag){0, "publication.checkpoint.size"};
		return RC_ERR_RANGE;
	}
	if (p->nwithdrawn && item_at(p, p->nwithdrawn - 1) >= cp->size) {
		*d = (struct rc_diag){0, "publication.withdrawn"};
		return RC_ERR_RANGE;
	}
	return RC_OK;
#endif
}

int rc_pub_build(uint8_t **out, size_t *out_len, const struct rc_pub *meta,
		 const uint64_t *withdrawn, size_t nwithdrawn, const uint8_t sk[static 64])
{
	if (!sk)
		return RC_ERR_INVALID;
	struct rc_signer s = {.sign = rc__sign_sk, .ctx = (void *)(uintptr_t)sk};
	memcpy(s.pk, sk + 32, RC_PK_LEN); /* libsodium secret keys end with the public key */
	return rc_pub_build_signer(out, out_len, meta, withdrawn, nwithdrawn, &s);
}

int rc_pub_build_signer(uint8_t **out, size_t *out_len, const struct rc_pub *meta,
			const uint64_t *withdrawn, size_t nwithdrawn, const struct rc_signer *sg)
{
	if (!out || !out_len || !meta || !sg || !sg->sign || (!withdrawn && nwithdrawn) ||
	    !meta->checkpoint || !meta->checkpoint_len ||
	    meta->checkpoint_len > RC_PUB_CHECKPOINT_MAX || meta->expiry <= meta->issued ||
	    nwithdrawn > RC_PUB_WITHDRAWN_MAX)
		return RC_ERR_INVALID;
	for (size_t i = 1; i < nwithdrawn; i++)
		if (withdrawn[i] <= withdrawn[i - 1])
			return RC_ERR_INVALID;
	/* payload, then the COSE_Sign around it, each sized by a counting pass */
	uint8_t prot[8];
	struct rc_wr w;
	rc_wr_init(&w, prot, sizeof(prot));
	rc_wr_map(&w, 1);
	rc_wr_uint(&w, 3);
	rc_wr_uint(&w, RC_CT_PUBLICATION);
	size_t prot_len = w.len;
	uint8_t *pl = NULL, *tbs = NULL, *o = NULL;
	int e = RC_ERR_NOMEM;
	for (int pass = 0; pass < 2; pass++) {
		rc_wr_init(&w, pl, pass ? w.len : 0);
		rc_wr_map(&w, 7);
		rc_wr_uint(&w, 1);
		rc_wr_uint(&w, RC_PUB_VERSION);
		rc_wr_uint(&w, 2);
		rc_wr_uint(&w, meta->serial);
		rc_wr_uint(&w, 3);
		rc_wr_uint(&w, meta->issued);
		rc_wr_uint(&w, 4);
		rc_wr_uint(&w, meta->expiry);
		rc_wr_uint(&w, 5);
		rc_wr_bstr(&w, meta->anchors_id, sizeof(meta->anchors_id));
		rc_wr_uint(&w, 6);
		rc_wr_bstr(&w, meta->checkpoint, meta->checkpoint_len);
		rc_wr_uint(&w, 7);
		rc_wr_array(&w, nwithdrawn);
		for (size_t i = 0; i < nwithdrawn; i++)
			rc_wr_uint(&w, withdrawn[i]);
		if (w.err && pass)
			goto done;
		if (!pass && !(pl = malloc(w.len)))
			goto done;
	}
	size_t pl_len = w.len;
	if (pl_len > RC_PUB_MAX) {
		e = RC_ERR_TOOLONG;
		goto done;
	}
	struct rc_cose_sign m = {.body_prot = prot,
				 .body_prot_len = prot_len,
				 .content_type = RC_CT_PUBLICATION,
				 .payload = pl,
				 .payload_len = pl_len,
				 .nsig = 1};
	m.sigs[0].prot = eddsa_prot;
	m.sigs[0].prot_len = sizeof(eddsa_prot);
	rc_kid(m.sigs[0].kid, sg->pk);
	size_t cap = pl_len + TBS_OVER, n;
	uint8_t sig[RC_SIG_LEN];
	if (!(tbs = malloc(cap)))
		goto done;
	if ((e = rc_cose_tbs(&m, 0, tbs, cap, &n)) != RC_OK)
		goto done;
	if (sg->sign(sg->ctx, sig, tbs, n)) {
		e = RC_ERR_IO;
		goto done;
	}
	for (int pass = 0; pass < 2; pass++) {
		rc_wr_init(&w, o, pass ? w.len : 0);
		rc_wr_tag(&w, COSE_SIGN_TAG);
		rc_wr_array(&w, 4);
		rc_wr_bstr(&w, prot, prot_len);
		rc_wr_map(&w, 0);
		rc_wr_bstr(&w, pl, pl_len);
		rc_wr_array(&w, 1);
		rc_wr_array(&w, 3);
		rc_wr_bstr(&w, eddsa_prot, sizeof(eddsa_prot));
		rc_wr_map(&w, 1);
		rc_wr_uint(&w, 4);
		rc_wr_bstr(&w, m.sigs[0].kid, RC_KID_LEN);
		rc_wr_bstr(&w, sig, sizeof(sig));
		if (w.err && pass) {
			e = w.err;
			goto done;
		}
		if (!pass && !(o = malloc(w.len)))
			goto done;
	}
	if (w.len > RC_PUB_MAX) {
		e = RC_ERR_TOOLONG;
		goto done;
	}
	*out = o;
	*out_len = w.len;
	o = NULL;
	e = RC_OK;
done:
	free(pl);
	free(tbs);
	free(o);
	return e;
}
