/* Check-ins and answers: deterministic CBOR encoding and strict decoding, without heap.
 * Layouts: docs/PROTOCOL.md ("Check-in", "Answers"). */
#include <string.h>

#include "cbor_io.h"
#include "msg_io.h"
#include "recall/error.h"
#include "recall/msg.h"

/* Map keys. */
enum {
	K_TYPE = 0,
	K_VERSION = 1,
	K_NONCE = 2,
	K_REASON = 3, /* check-in */
	K_STATE = 4,
	K_IDENTITY = 5,
	K_EPOCH = 6,
	K_PAD = 7,
	K_SENDER = RC_EXT_SENDER, /* check-in extension (13.1) */
	K_SERIAL = 3,             /* answers */
	K_NOTICE = 4,
	K_DELAY = 5,
	K_MAXVER = 6,
	K_ROTATION = 7,
	K_PROOF = 8,
	K_LEAF = 3, /* proof request */
};

enum { ID_VENDOR = 1, ID_MODEL = 2, ID_HWREV = 3, ID_FWVER = 4, ID_BUILD = 5, ID_DIGEST = 6 };

#define REASON_MAX RC_REASON_RECHECK
#define STATE_MAX  RC_STATE_OVERRIDDEN
/* Upper bound on map entries: each entry takes at least two bytes of the datagram. */
#define ENTRIES_MAX (RC_CHECKIN_SIZE / 2)

static void wr_identity(struct rc_wr *w, const struct rc_identity *id)
{
	rc_wr_map(w, 4 + (size_t)id->has_build_date + (size_t)id->has_digest);
	rc_wr_uint(w, ID_VENDOR);
	rc_wr_tstr(w, id->vendor.p, id->vendor.n);
	rc_wr_uint(w, ID_MODEL);
	rc_wr_tstr(w, id->model.p, id->model.n);
	rc_wr_uint(w, ID_HWREV);
	rc_wr_tstr(w, id->hwrev.p, id->hwrev.n);
	rc_wr_uint(w, ID_FWVER);
	rc_wr_tstr(w, id->fwver.p, id->fwver.n);
	if (id->has_build_date) {
		rc_wr_uint(w, ID_BUILD);
		rc_wr_uint(w, id->build_date);
	}
	if (id->has_digest) {
		rc_wr_uint(w, ID_DIGEST);
		rc_wr_bstr(w, id->digest, RC_DIGEST_LEN);
	}
}

int rc_checkin_encode(const struct rc_checkin *c, uint8_t out[static RC_CHECKIN_SIZE])
{
	if (!c || !out)
		return RC_ERR_INVALID;
	if (c->reason > REASON_MAX || c->state > STATE_MAX || c->sender > RC_SENDER_GATEWAY)
		return RC_ERR_RANGE;
	int e = rc_identity_check(&c->id);
	if (e)
		return e;
	struct rc_wr w;
	rc_wr_init(&w, out, RC_CHECKIN_SIZE);
	/* The sender mark (key -1, after the pad in key order) costs 2 bytes of the pad. */
	size_t ext = c->sender ? 2 : 0;
	rc_wr_map(&w, ext ? 9 : 8);
	rc_wr_uint(&w, K_TYPE);
	rc_wr_uint(&w, RC_MSG_CHECKIN);
	rc_wr_uint(&w, K_VERSION);
	rc_wr_uint(&w, RC_VERSION);
	rc_wr_uint(&w, K_NONCE);
	rc_wr_bstr(&w, c->nonce, RC_NONCE_LEN);
	rc_wr_uint(&w, K_REASON);
	rc_wr_uint(&w, c->reason);
	rc_wr_uint(&w, K_STATE);
	rc_wr_uint(&w, c->state);
	rc_wr_uint(&w, K_IDENTITY);
	wr_identity(&w, &c->id);
	rc_wr_uint(&w, K_EPOCH);
	rc_wr_uint(&w, c->anchor_epoch);
	return rc_msg_wr_pad(&w, out, c->sender);
}

/* Key 7 and the zero pad that makes the datagram exactly RC_CHECKIN_SIZE long, then the sender
 * mark of a gateway's check-in (key -1, 13.1), paid for out of the pad. */
int rc_msg_wr_pad(struct rc_wr *w, uint8_t *out, unsigned sender)
{
	rc_wr_uint(w, K_PAD);
	if (w->err)
		return w->err;
	/* Field limits keep everything before the pad under 330 bytes, so the pad is always at
	 * least 256 bytes and its head is 0x59 plus two length bytes. */
	size_t ext = sender ? 2 : 0;
	size_t pad = RC_CHECKIN_SIZE - w->len - 3 - ext;
	rc_wr_bstr_head(w, pad);
	if (w->err || w->len + pad + ext != RC_CHECKIN_SIZE)
		return w->err ? w->err : RC_ERR_SIZE;
	memset(out + w->len, 0, pad);
	if (ext) {
		w->len += pad;
		rc_wr_int(w, K_SENDER);
		rc_wr_uint(w, sender);
		if (w->err || w->len != RC_CHECKIN_SIZE)
			return w->err ? w->err : RC_ERR_SIZE;
	}
	return RC_OK;
}

int rc_proofreq_encode(const struct rc_proofreq *q, uint8_t out[static RC_CHECKIN_SIZE])
{
	if (!q || !out)
		return RC_ERR_INVALID;
	struct rc_wr w;
	rc_wr_init(&w, out, RC_CHECKIN_SIZE);
	rc_wr_map(&w, 6);
	rc_wr_uint(&w, K_TYPE);
	rc_wr_uint(&w, RC_MSG_PROOF_REQUEST);
	rc_wr_uint(&w, K_VERSION);
	rc_wr_uint(&w, RC_VERSION);
	rc_wr_uint(&w, K_NONCE);
	rc_wr_bstr(&w, q->nonce, RC_NONCE_LEN);
	rc_wr_uint(&w, K_LEAF);
	rc_wr_bstr(&w, q->leaf, sizeof(q->leaf));
	rc_wr_uint(&w, K_EPOCH);
	rc_wr_uint(&w, q->anchor_epoch);
	return rc_msg_wr_pad(&w, out, 0);
}

/* Start decoding a datagram of min..max bytes into *out (size bytes, zeroed first): a reader
 * over buf under field, or the error (also in diag) for bad arguments or a wrong size. */
int rc_msg_rd_begin(struct rc_rd *r, void *out, size_t size, const uint8_t *buf, size_t len,
		    size_t min, size_t max, const char *field, struct rc_diag *diag)
{
	if (!out || (!buf && len)) {
		if (diag)
			*diag = (struct rc_diag){0, NULL};
		return RC_ERR_INVALID;
	}
	memset(out, 0, size);
	rc_rd_init(r, buf, len);
	r->field = field;
	if (len < min || len > max) {
		r->off = len < min ? len : max;
		rc_rd_fail(r, RC_ERR_SIZE);
	}
	return rc_rd_diag(r, diag);
}

/* RC_ERR_MISSING naming the first key of want (bits 0..last) that is not in seen. */
void rc_msg_rd_require(struct rc_rd *r, unsigned want, unsigned seen, const char *const *names,
		       int last)
{
	for (int k = 0; k <= last && !r->err; k++) {
		if (want & ~seen & 1u << k) {
			r->field = names[k];
			rc_rd_fail(r, RC_ERR_MISSING);
		}
	}
}

/* The next key of a datagram's map into *k; false (error recorded) at an error or when a key
 * comes before the type (keys arrive in order, so the type precedes all it governs). */
bool rc_msg_rd_top_key(struct rc_rd *r, struct rc_keys *ks, unsigned seen, const char *field,
		       int64_t *k)
{
	r->field = field;
	*k = rc_rd_key(r, ks);
	if (r->err)
		return false;
	if (*k > K_TYPE && !(seen & 1u << K_TYPE)) {
		r->field = "type";
		rc_rd_fail(r, RC_ERR_MISSING);
		return false;
	}
	return true;
}

/* Read one identity name (tstr) that must be canonical. */
static struct rc_str rd_name(struct rc_rd *r, size_t max, bool allow_empty)
{
	struct rc_str s = {NULL, 0};
	size_t at = r->off;
	s.p = rc_rd_tstr(r, &s.n, max);
	if (!r->err && !rc_name_valid(s, max, allow_empty)) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_SYNTAX);
	}
	return s;
}

static void rd_identity(struct rc_rd *r, struct rc_identity *id)
{
	struct rc_keys ks = {0};
	unsigned seen = 0;
	r->field = "identity";
	size_t n = rc_rd_map(r, ENTRIES_MAX);
	for (size_t i = 0; i < n && !r->err; i++) {
		r->field = "identity";
		int64_t k = rc_rd_key(r, &ks);
		if (r->err)
			break;
		size_t at = r->off;
		switch (k) {
		case ID_VENDOR:
			r->field = "identity.vendor";
			id->vendor = rd_name(r, RC_NAME_MAX, false);
			break;
		case ID_MODEL:
			r->field = "identity.model";
			id->model = rd_name(r, RC_NAME_MAX, false);
			break;
		case ID_HWREV:
			r->field = "identity.hwrev";
			id->hwrev = rd_name(r, RC_HWREV_MAX, true);
			break;
		case ID_FWVER:
			r->field = "identity.fwver";
			id->fwver.p = rc_rd_tstr(r, &id->fwver.n, RC_FWVER_MAX);
			if (!r->err && !rc_fwver_valid(id->fwver)) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_SYNTAX);
			}
			break;
		case ID_BUILD:
			r->field = "identity.build_date";
			id->build_date = rc_rd_uint(r);
			id->has_build_date = true;
			break;
		case ID_DIGEST: {
			r->field = "identity.digest";
			const uint8_t *d = rc_rd_bstr_exact(r, RC_DIGEST_LEN);
			if (d)
				memcpy(id->digest, d, RC_DIGEST_LEN);
			id->has_digest = true;
			break;
		}
		default:
			rc_rd_unknown(r, k);
			continue;
		}
		seen |= 1u << k;
	}
	static const char *const need[] = {NULL, "identity.vendor", "identity.model",
					   "identity.hwrev", "identity.fwver"};
	rc_msg_rd_require(r, 1u << ID_VENDOR | 1u << ID_MODEL | 1u << ID_HWREV | 1u << ID_FWVER,
			  seen, need, ID_FWVER);
}

/* The pad: a byte string of zeros. Compared against a zero block with memcmp, which libc
 * vectorises (the pad is most of every check-in, and this is the responder's hot path). */
static const uint8_t zero_pad[RC_CHECKIN_SIZE];

void rc_msg_rd_pad(struct rc_rd *r)
{
	size_t n, i;
	r->field = "pad";
	const uint8_t *p = rc_rd_bstr(r, &n, RC_CHECKIN_SIZE);
	if (!p || !memcmp(p, zero_pad, n))
		return;
	for (i = 0; !p[i]; i++)
		;
	r->off = (size_t)(p + i - r->p);
	rc_rd_fail(r, RC_ERR_SYNTAX);
}

/* Keys 0..2 of a 1200-byte request (check-in or proof request), and the order rules of 6.3:
 * the version comes before everything it governs, and in another version only the nonce is
 * read (RC_ERR_VERSION then, with the nonce filled in for "unsupported"). Returns true if k was
 * one of them (read, or failed); false for the caller's own keys. */
bool rc_msg_rd_head(struct rc_rd *r, int64_t k, unsigned type, uint64_t *version,
		    uint8_t nonce[RC_NONCE_LEN], unsigned seen)
{
	if (k > K_VERSION && !(seen & 1u << K_VERSION)) {
		r->field = "version";
		rc_rd_fail(r, RC_ERR_MISSING);
		return true;
	}
	if (*version != RC_VERSION && k != K_NONCE) {
		r->field = "nonce";
		rc_rd_fail(r, RC_ERR_MISSING);
		return true;
	}
	size_t at = r->off;
	switch (k) {
	case K_TYPE:
		r->field = "type";
		if (rc_rd_uint(r) != type && !r->err) {
			r->off = at;
			rc_rd_fail(r, RC_ERR_RANGE);
		}
		return true;
	case K_VERSION:
		r->field = "version";
		*version = rc_rd_uint(r);
		return true;
	case K_NONCE: {
		r->field = "nonce";
		const uint8_t *p = rc_rd_bstr_exact(r, RC_NONCE_LEN);
		if (p)
			memcpy(nonce, p, RC_NONCE_LEN);
		if (!r->err && *version != RC_VERSION) {
			/* Another version: the rest may be laid out differently. The nonce lets
			 * the responder answer "unsupported". */
			r->field = "version";
			rc_rd_fail(r, RC_ERR_VERSION);
		}
		return true;
	}
	default:
		return false;
	}
}

static const char *const checkin_fields[] = {"type",  "version",  "nonce",        "reason",
					     "state", "identity", "anchor_epoch", "pad"};

int rc_checkin_decode(struct rc_checkin *c, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	struct rc_rd r;
	int err = rc_msg_rd_begin(&r, c, sizeof(*c), buf, len, RC_CHECKIN_SIZE, RC_CHECKIN_SIZE,
				  "checkin", diag);
	if (err)
		return err;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	uint64_t version = RC_VERSION;
	size_t n = rc_rd_map(&r, ENTRIES_MAX);
	for (size_t i = 0; i < n && !r.err; i++) {
		int64_t k;
		if (!rc_msg_rd_top_key(&r, &ks, seen, "checkin", &k))
			break;
		if (rc_msg_rd_head(&r, k, RC_MSG_CHECKIN, &version, c->nonce, seen)) {
			if (r.err)
				break;
			seen |= 1u << k;
			continue;
		}
		if (k >= K_TYPE && k <= K_PAD)
			r.field = checkin_fields[k];
		switch (k) {
		case K_REASON:
			c->reason = (uint8_t)rc_rd_uint_max(&r, REASON_MAX);
			break;
		case K_STATE:
			c->state = (uint8_t)rc_rd_uint_max(&r, STATE_MAX);
			break;
		case K_IDENTITY:
			rd_identity(&r, &c->id);
			break;
		case K_EPOCH:
			c->anchor_epoch = rc_rd_uint(&r);
			break;
		case K_PAD:
			rc_msg_rd_pad(&r);
			break;
		case K_SENDER:
			/* Ignorable: a value other than the uint 1 is skipped, not an error. */
			if (rc_rd_peek(&r) == RC_MT_UINT) {
				uint64_t v = rc_rd_uint(&r);
				c->sender =
				    v == RC_SENDER_GATEWAY ? RC_SENDER_GATEWAY : RC_SENDER_DEVICE;
			} else {
				rc_rd_skip(&r);
			}
			continue;
		default:
			rc_rd_unknown(&r, k);
			continue;
		}
		seen |= 1u << k;
	}
	rc_msg_rd_require(&r, (1u << (K_PAD + 1)) - 1, seen, checkin_fields, K_PAD);
	r.field = "checkin";
	rc_rd_finish(&r);
	return rc_rd_diag(&r, diag);
}

static const char *const proofreq_fields[] = {"type", "version", "nonce",        "leaf",
					      NULL,   NULL,      "anchor_epoch", "pad"};

int rc_proofreq_decode(struct rc_proofreq *q, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	struct rc_rd r;
	int err = rc_msg_rd_begin(&r, q, sizeof(*q), buf, len, RC_CHECKIN_SIZE, RC_CHECKIN_SIZE,
				  "proof_request", diag);
	if (err)
		return err;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	uint64_t version = RC_VERSION;
	size_t n = rc_rd_map(&r, ENTRIES_MAX);
	for (size_t i = 0; i < n && !r.err; i++) {
		int64_t k;
		if (!rc_msg_rd_top_key(&r, &ks, seen, "proof_request", &k))
			break;
		if (rc_msg_rd_head(&r, k, RC_MSG_PROOF_REQUEST, &version, q->nonce, seen)) {
			if (r.err)
				break;
			seen |= 1u << k;
			continue;
		}
		if (k >= K_TYPE && k <= K_PAD && proofreq_fields[k])
			r.field = proofreq_fields[k];
		switch (k) {
		case K_LEAF: {
			const uint8_t *p = rc_rd_bstr_exact(&r, sizeof(q->leaf));
			if (p)
				memcpy(q->leaf, p, sizeof(q->leaf));
			break;
		}
		case K_EPOCH:
			q->anchor_epoch = rc_rd_uint(&r);
			break;
		case K_PAD:
			rc_msg_rd_pad(&r);
			break;
		default:
			rc_rd_unknown(&r, k);
			continue;
		}
		seen |= 1u << k;
	}
	unsigned want = 1u << K_TYPE | 1u << K_VERSION | 1u << K_NONCE | 1u << K_LEAF |
			1u << K_EPOCH | 1u << K_PAD;
	rc_msg_rd_require(&r, want, seen, proofreq_fields, K_PAD);
	r.field = "proof_request";
	rc_rd_finish(&r);
	return rc_rd_diag(&r, diag);
}

int rc_msg_peek_type(const uint8_t *buf, size_t len)
{
	struct rc_rd r;
	struct rc_keys ks = {0};
	if (!buf)
		return -1;
	rc_rd_init(&r, buf, len);
	if (rc_rd_map(&r, ENTRIES_MAX) == 0 || rc_rd_key(&r, &ks) != K_TYPE)
		return -1;
	uint64_t t = rc_rd_uint_max(&r, 255);
	return r.err ? -1 : (int)t;
}

/* The one type-specific key of each answer type (index: type). */
static const uint8_t answer_key[] = {
    [RC_MSG_CLEAR] = K_SERIAL,       [RC_MSG_RECALLED] = K_NOTICE, [RC_MSG_RETRY] = K_DELAY,
    [RC_MSG_UNSUPPORTED] = K_MAXVER, [RC_MSG_ROTATE] = K_ROTATION, [RC_MSG_PROOF] = K_PROOF,
};

static bool answer_type_ok(unsigned t)
{
	return (t >= RC_MSG_CLEAR && t <= RC_MSG_ROTATE) || t == RC_MSG_PROOF;
}

static bool has_blob(unsigned t)
{
	return t == RC_MSG_RECALLED || t == RC_MSG_ROTATE || t == RC_MSG_PROOF;
}

/* Longest blob of each type: a proof may use what the notice's signatures would. */
static size_t blob_max(unsigned t)
{
	return t == RC_MSG_PROOF ? RC_PROOF_BLOB_MAX : RC_NOTICE_MAX;
}

int rc_answer_encode(const struct rc_answer *a, uint8_t *out, size_t cap, size_t *len)
{
	if (!a || !out || !len)
		return RC_ERR_INVALID;
	*len = 0;
	if (!answer_type_ok(a->type))
		return RC_ERR_RANGE;
	if (has_blob(a->type)) {
		if (a->blob_len > blob_max(a->type))
			return RC_ERR_TOOLONG;
		if (!a->blob || !a->blob_len)
			return RC_ERR_SYNTAX;
	}
	if (a->type == RC_MSG_RETRY && (a->delay < RC_RETRY_MIN || a->delay > RC_RETRY_MAX))
		return RC_ERR_RANGE;
	struct rc_wr w;
	rc_wr_init(&w, out, cap);
	rc_wr_map(&w, 4);
	rc_wr_uint(&w, K_TYPE);
	rc_wr_uint(&w, a->type);
	rc_wr_uint(&w, K_VERSION);
	rc_wr_uint(&w, RC_VERSION);
	rc_wr_uint(&w, K_NONCE);
	rc_wr_bstr(&w, a->nonce, RC_NONCE_LEN);
	rc_wr_uint(&w, answer_key[a->type]);
	switch (a->type) {
	case RC_MSG_CLEAR:
		rc_wr_uint(&w, a->serial);
		break;
	case RC_MSG_RETRY:
		rc_wr_uint(&w, a->delay);
		break;
	case RC_MSG_UNSUPPORTED:
		rc_wr_uint(&w, a->max_version);
		break;
	default:
		rc_wr_bstr(&w, a->blob, a->blob_len);
		break;
	}
	if (w.err)
		return w.err;
	if (w.len > RC_ANSWER_MAX)
		return RC_ERR_SIZE;
	*len = w.len;
	return RC_OK;
}

static const char *const answer_fields[] = {"type",  "version",     "nonce",    "serial", "notice",
					    "delay", "max_version", "rotation", "proof"};

int rc_answer_decode(struct rc_answer *a, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	struct rc_rd r;
	int err = rc_msg_rd_begin(&r, a, sizeof(*a), buf, len, 0, RC_ANSWER_MAX, "answer", diag);
	if (err)
		return err;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	size_t n = rc_rd_map(&r, ENTRIES_MAX);
	for (size_t i = 0; i < n && !r.err; i++) {
		int64_t k;
		if (!rc_msg_rd_top_key(&r, &ks, seen, "answer", &k))
			break;
		/* Key 8 is named only in a proof answer: elsewhere it is an unknown key. */
		if (k >= K_TYPE && (k <= K_ROTATION || (k == K_PROOF && a->type == RC_MSG_PROOF)))
			r.field = answer_fields[k];
		/* Past the common keys, only the type's own key is known; negative keys are
		 * ignorable extensions. */
		if (k < 0 || (k > K_NONCE && k != answer_key[a->type])) {
			rc_rd_unknown(&r, k);
			continue;
		}
		size_t at = r.off;
		switch (k) {
		case K_TYPE:
			a->type = (uint8_t)rc_rd_uint_max(&r, RC_MSG_PROOF);
			if (!r.err && !answer_type_ok(a->type)) {
				r.off = at;
				rc_rd_fail(&r, RC_ERR_RANGE);
			}
			break;
		case K_VERSION:
			if (rc_rd_uint(&r) != RC_VERSION && !r.err) {
				r.off = at;
				rc_rd_fail(&r, RC_ERR_VERSION);
			}
			break;
		case K_NONCE: {
			const uint8_t *p = rc_rd_bstr_exact(&r, RC_NONCE_LEN);
			if (p)
				memcpy(a->nonce, p, RC_NONCE_LEN);
			break;
		}
		case K_SERIAL:
			a->serial = rc_rd_uint(&r);
			break;
		case K_DELAY:
			a->delay = (uint32_t)rc_rd_uint_max(&r, RC_RETRY_MAX);
			if (!r.err && a->delay < RC_RETRY_MIN) {
				r.off = at;
				rc_rd_fail(&r, RC_ERR_RANGE);
			}
			break;
		case K_MAXVER:
			a->max_version = rc_rd_uint(&r);
			break;
		default: /* K_NOTICE, K_ROTATION, K_PROOF */
			a->blob = rc_rd_bstr(&r, &a->blob_len, blob_max(a->type));
			if (!r.err && !a->blob_len) {
				r.off = at;
				rc_rd_fail(&r, RC_ERR_SYNTAX);
			}
			break;
		}
		seen |= 1u << k;
	}
	unsigned want = 1u << K_TYPE | 1u << K_VERSION | 1u << K_NONCE;
	if (answer_type_ok(a->type))
		want |= 1u << answer_key[a->type];
	rc_msg_rd_require(&r, want, seen, answer_fields, K_PROOF);
	r.field = "answer";
	rc_rd_finish(&r);
	return rc_rd_diag(&r, diag);
}

const char *rc_msg_type_name(unsigned t)
{
	static const char *const names[] = {
	    [RC_MSG_CHECKIN] = "checkin",
	    [RC_MSG_CLEAR] = "clear",
	    [RC_MSG_RECALLED] = "recalled",
	    [RC_MSG_RETRY] = "retry-later",
	    [RC_MSG_UNSUPPORTED] = "unsupported",
	    [RC_MSG_ROTATE] = "rotate",
	    [RC_MSG_PROOF_REQUEST] = "proof-request",
	    [RC_MSG_PROOF] = "proof",
	    [RC_MSG_PRIVATE] = "private-checkin",
	    [RC_MSG_BUCKET] = "bucket",
	    [RC_MSG_NOTICE_REQUEST] = "notice-request",
	};
	return t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "unknown";
}

const char *rc_reason_name(unsigned r)
{
	static const char *const names[] = {"boot", "attach", "periodic", "retry", "recheck"};
	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

const char *rc_devstate_name(unsigned s)
{
	static const char *const names[] = {"normal", "quarantined", "overridden"};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
