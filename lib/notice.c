/* Recall notices: strict payload decoding, encoding that validates by decoding its own output,
 * coverage of a device identity, and the whole check an agent makes before acting. */
#include <string.h>

#include "cbor_io.h"
#include "cose_int.h"
#include "recall/msg.h"
#include "recall/notice.h"

_Static_assert(RC_COSE_PAYLOAD_MAX == RC_NOTICE_MAX, "a notice payload fits a signed notice");
#define MAP_KEYS_MAX 32 /* known keys plus ignorable extensions */

/* String kinds: the first four are checked here, the last three by the identity rules. */
enum str_kind { S_ID, S_REF, S_TEXT, S_URL, S_NAME, S_HWREV, S_FWVER };
static const size_t str_min[] = {1, 1, 0, 1};
static const size_t str_max[] = {RC_NOTICE_ID_MAX, RC_REF_MAX,   RC_TEXT_MAX, RC_URL_MAX,
				 RC_NAME_MAX,      RC_HWREV_MAX, RC_FWVER_MAX};

static bool byte_ok(unsigned char c, enum str_kind k)
{
	if (k == S_ID) /* [A-Za-z0-9._:-] */
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       c == '.' || c == '_' || c == ':' || c == '-';
	if (k == S_URL) /* printable ASCII, no space */
		return c > 0x20 && c < 0x7f;
	/* References and owner-facing text: UTF-8 without control characters (text may hold
	 * tabs and line breaks). */
	return (c >= 0x20 && c != 0x7f) || (k == S_TEXT && (c == '\t' || c == '\n'));
}

/* Is s acceptable as a string of this kind (length and content)? */
static bool str_ok(struct rc_str s, enum str_kind k)
{
	if (k == S_NAME || k == S_HWREV)
		return rc_name_valid(s, str_max[k], k == S_HWREV);
	if (k == S_FWVER)
		return rc_fwver_valid(s);
	if (s.n < str_min[k] || s.n > str_max[k])
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!byte_ok((unsigned char)s.p[i], k))
			return false;
	return true;
}

static void fail_at(struct rc_rd *r, size_t at, int err)
{
	if (r->err)
		return;
	r->off = at;
	rc_rd_fail(r, err);
}

static struct rc_str rd_str(struct rc_rd *r, enum str_kind k, const char *field)
{
	struct rc_str s = {NULL, 0};
	size_t at = r->off;
	r->field = field;
	s.p = rc_rd_tstr(r, &s.n, str_max[k]);
	if (!r->err && !str_ok(s, k))
		fail_at(r, at, RC_ERR_SYNTAX);
	return s;
}

/* A [+ item] list: an empty one is spelled by leaving the key out. */
static size_t rd_list(struct rc_rd *r, size_t max, const char *field)
{
	size_t at = r->off;
	r->field = field;
	size_t n = rc_rd_array(r, max);
	if (!r->err && n == 0)
		fail_at(r, at, RC_ERR_NONCANONICAL);
	return n;
}

/* A [+ tstr] list of one kind. */
static size_t rd_strs(struct rc_rd *r, struct rc_str *out, size_t max, enum str_kind k,
		      const char *field)
{
	size_t n = rd_list(r, max, field);
	for (size_t j = 0; j < n && !r->err; j++)
		out[j] = rd_str(r, k, field);
	return n;
}

/* Read a map's next key; returns -1 for a skipped extension (or on error). */
static int64_t rd_key(struct rc_rd *r, struct rc_keys *ks, int64_t known_max, const char *field)
{
	r->field = field;
	int64_t k = rc_rd_key(r, ks);
	if (r->err)
		return -1;
	if (k < 1 || k > known_max) {
		rc_rd_unknown(r, k);
		return -1;
	}
	return k;
}

static void rd_bound(struct rc_rd *r, struct rc_bound *b, const char *field)
{
	size_t at = r->off;
	r->field = field;
	if (!r->err && rc_rd_array(r, 2) != 2)
		fail_at(r, at, RC_ERR_MISSING);
	b->v = rd_str(r, S_FWVER, field);
	b->inclusive = rc_rd_bool(r);
}

static void rd_range(struct rc_rd *r, struct rc_range *g)
{
	struct rc_keys ks = {0};
	unsigned seen = 0;
	size_t at = r->off;
	r->field = "notice.target.ranges";
	size_t cnt = rc_rd_map(r, MAP_KEYS_MAX);
	for (size_t i = 0; i < cnt && !r->err; i++) {
		int64_t k = rd_key(r, &ks, 3, "notice.target.ranges");
		if (k == 1) {
			r->field = "notice.target.ranges.scheme";
			g->scheme = (uint8_t)rc_rd_uint_max(r, RC_VS__COUNT - 1);
		} else if (k == 2) {
			rd_bound(r, &g->lo, "notice.target.ranges.lo");
		} else if (k == 3) {
			rd_bound(r, &g->hi, "notice.target.ranges.hi");
		}
		if (k > 0)
			seen |= 1u << k;
	}
	r->field = "notice.target.ranges";
	if (!r->err && (!(seen & 2) || !(seen & 0xc)))
		fail_at(r, at, RC_ERR_MISSING);
	if (!r->err && g->lo.v.p && g->hi.v.p) {
		/* An empty range is a mistake, not a way to recall nothing. */
		int c = rc_version_cmp(g->scheme, g->lo.v.p, g->lo.v.n, g->hi.v.p, g->hi.v.n);
		if (c > 0 || (c == 0 && !(g->lo.inclusive && g->hi.inclusive)))
			fail_at(r, at, RC_ERR_RANGE);
	}
}

static void rd_build(struct rc_rd *r, struct rc_target *t)
{
	struct rc_keys ks = {0};
	size_t at = r->off;
	r->field = "notice.target.build";
	size_t cnt = rc_rd_map(r, MAP_KEYS_MAX);
	for (size_t i = 0; i < cnt && !r->err; i++) {
		int64_t k = rd_key(r, &ks, 2, "notice.target.build");
		if (k == 1) {
			r->field = "notice.target.build.from";
			t->built_from = rc_rd_uint(r);
			t->has_built_from = true;
		} else if (k == 2) {
			r->field = "notice.target.build.before";
			t->built_before = rc_rd_uint(r);
			t->has_built_before = true;
		}
	}
	r->field = "notice.target.build";
	if (!r->err && !t->has_built_from && !t->has_built_before)
		fail_at(r, at, RC_ERR_MISSING);
	if (!r->err && t->has_built_from && t->has_built_before && t->built_from >= t->built_before)
		fail_at(r, at, RC_ERR_RANGE);
}

static void rd_target(struct rc_rd *r, struct rc_target *t)
{
	struct rc_keys ks = {0};
	unsigned seen = 0;
	size_t at = r->off;
	r->field = "notice.target";
	size_t cnt = rc_rd_map(r, MAP_KEYS_MAX);
	for (size_t i = 0; i < cnt && !r->err; i++) {
		int64_t k = rd_key(r, &ks, 7, "notice.target");
		switch (k) {
		case 1:
			t->vendor = rd_str(r, S_NAME, "notice.target.vendor");
			break;
		case 2:
			t->model = rd_str(r, S_NAME, "notice.target.model");
			break;
		case 3:
			t->nhwrevs =
			    rd_strs(r, t->hwrevs, RC_HWREVS_MAX, S_HWREV, "notice.target.hwrevs");
			break;
		case 4:
			t->nversions = rd_strs(r, t->versions, RC_VERSIONS_MAX, S_FWVER,
					       "notice.target.versions");
			break;
		case 5:
			t->nranges = rd_list(r, RC_RANGES_MAX, "notice.target.ranges");
			for (size_t j = 0; j < t->nranges && !r->err; j++)
				rd_range(r, &t->ranges[j]);
			break;
		case 6:
			rd_build(r, t);
			break;
		case 7:
			t->ndigests = rd_list(r, RC_DIGESTS_MAX, "notice.target.digests");
			r->field = "notice.target.digests";
			for (size_t j = 0; j < t->ndigests && !r->err; j++)
				t->digests[j] = rc_rd_bstr_exact(r, RC_DIGEST_LEN);
			break;
		}
		if (k > 0)
			seen |= 1u << k;
	}
	if (!r->err && (seen & 6) != 6) {
		r->field = !(seen & 2) ? "notice.target.vendor" : "notice.target.model";
		fail_at(r, at, RC_ERR_MISSING);
	}
	if (!r->err && !(seen & 0xf0)) {
		r->field = "notice.target.selector";
		fail_at(r, at, RC_ERR_MISSING);
	}
}

static void rd_endpoint(struct rc_rd *r, struct rc_endpoint *e)
{
	size_t at = r->off, n;
	r->field = "notice.remedy.endpoints";
	if (!r->err && rc_rd_array(r, 2) != 2)
		fail_at(r, at, RC_ERR_MISSING);
	r->field = "notice.remedy.endpoints.addr";
	at = r->off;
	const uint8_t *a = rc_rd_bstr(r, &n, 16);
	if (!r->err && n != 4 && n != 16)
		fail_at(r, at, RC_ERR_SIZE);
	if (r->err)
		return;
	memcpy(e->addr, a, n);
	e->family = n == 4 ? 4 : 6;
	r->field = "notice.remedy.endpoints.plen";
	e->plen = (uint8_t)rc_rd_uint_max(r, n * 8);
}

static void rd_remedy(struct rc_rd *r, struct rc_notice *n)
{
	struct rc_keys ks = {0};
	bool have_url = false;
	size_t at = r->off;
	r->field = "notice.remedy";
	size_t cnt = rc_rd_map(r, MAP_KEYS_MAX);
	for (size_t i = 0; i < cnt && !r->err; i++) {
		int64_t k = rd_key(r, &ks, 2, "notice.remedy");
		if (k == 1) {
			n->remedy_url = rd_str(r, S_URL, "notice.remedy.url");
			have_url = true;
		} else if (k == 2) {
			n->nendpoints = rd_list(r, RC_ENDPOINTS_MAX, "notice.remedy.endpoints");
			for (size_t j = 0; j < n->nendpoints && !r->err; j++)
				rd_endpoint(r, &n->endpoints[j]);
		}
	}
	r->field = "notice.remedy.url";
	if (!r->err && !have_url)
		fail_at(r, at, RC_ERR_MISSING);
}

static const char *const top_field[] = {
    "notice",        "notice.id",     "notice.issued", "notice.not_before",
    "notice.expiry", "notice.target", "notice.action", "notice.severity",
    "notice.refs",   "notice.text",   "notice.remedy",
};

int rc_notice_decode(struct rc_notice *n, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	struct rc_rd r;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	memset(n, 0, sizeof(*n));
	rc_rd_init(&r, buf, len);
	r.field = "notice";
	if (len > RC_COSE_PAYLOAD_MAX)
		rc_rd_fail(&r, RC_ERR_TOOLONG);
	size_t cnt = rc_rd_map(&r, MAP_KEYS_MAX);
	for (size_t i = 0; i < cnt && !r.err; i++) {
		int64_t k = rd_key(&r, &ks, 10, "notice");
		if (k > 0)
			r.field = top_field[k];
		switch (k) {
		case 1:
			n->id = rd_str(&r, S_ID, r.field);
			break;
		case 2: /* issued, not_before, expiry */
		case 3:
		case 4:
			*(k == 2   ? &n->issued
			  : k == 3 ? &n->not_before
				   : &n->expiry) = rc_rd_uint(&r);
			break;
		case 5:
			rd_target(&r, &n->target);
			break;
		case 6:
			n->action = (uint8_t)rc_rd_uint_max(&r, RC_ACTION_NOTIFY);
			break;
		case 7:
			n->severity = (uint8_t)rc_rd_uint_max(&r, RC_SEV_CRITICAL);
			break;
		case 8:
			n->nrefs = rd_strs(&r, n->refs, RC_REFS_MAX, S_REF, r.field);
			break;
		case 9:
			n->text = rd_str(&r, S_TEXT, r.field);
			break;
		case 10:
			rd_remedy(&r, n);
			break;
		}
		if (k > 0)
			seen |= 1u << k;
	}
	for (int k = 1; k <= 10 && !r.err; k++)
		if (k != 8 && !(seen & (1u << k)))
			r.field = top_field[k], rc_rd_fail(&r, RC_ERR_MISSING);
	r.field = "notice";
	rc_rd_finish(&r);
	if (!r.err && (n->issued > n->expiry || n->not_before >= n->expiry)) {
		r.field = "notice.expiry";
		fail_at(&r, 0, RC_ERR_RANGE);
	}
	int err = rc_rd_diag(&r, diag);
	if (err)
		memset(n, 0, sizeof(*n));
	return err;
}

/* Counts must fit the arrays the writer walks. */
static bool shape_ok(const struct rc_notice *n)
{
	const struct rc_target *t = &n->target;
	return n->nrefs <= RC_REFS_MAX && t->nhwrevs <= RC_HWREVS_MAX &&
	       t->nversions <= RC_VERSIONS_MAX && t->nranges <= RC_RANGES_MAX &&
	       t->ndigests <= RC_DIGESTS_MAX && n->nendpoints <= RC_ENDPOINTS_MAX;
}

/* A view without bytes behind it is the caller's mistake, not a field to encode. */
static void wr_str(struct rc_wr *w, struct rc_str s)
{
	if (!s.p && s.n && !w->err)
		w->err = RC_ERR_INVALID;
	rc_wr_tstr(w, s.p, s.n);
}

static void wr_kv(struct rc_wr *w, uint64_t key, uint64_t v)
{
	rc_wr_uint(w, key);
	rc_wr_uint(w, v);
}

static void wr_strs(struct rc_wr *w, uint64_t key, const struct rc_str *s, size_t n)
{
	if (!n)
		return;
	rc_wr_uint(w, key);
	rc_wr_array(w, n);
	for (size_t i = 0; i < n; i++)
		wr_str(w, s[i]);
}

static void wr_bound(struct rc_wr *w, uint64_t key, const struct rc_bound *b)
{
	if (!b->v.p && !b->v.n) /* unbounded; a view with a length but no bytes is refused */
		return;
	rc_wr_uint(w, key);
	rc_wr_array(w, 2);
	wr_str(w, b->v);
	rc_wr_bool(w, b->inclusive);
}

static void wr_target(struct rc_wr *w, const struct rc_target *t)
{
	bool build = t->has_built_from || t->has_built_before;
	rc_wr_map(w, 2 + !!t->nhwrevs + !!t->nversions + !!t->nranges + build + !!t->ndigests);
	rc_wr_uint(w, 1);
	wr_str(w, t->vendor);
	rc_wr_uint(w, 2);
	wr_str(w, t->model);
	wr_strs(w, 3, t->hwrevs, t->nhwrevs);
	wr_strs(w, 4, t->versions, t->nversions);
	if (t->nranges) {
		rc_wr_uint(w, 5);
		rc_wr_array(w, t->nranges);
		for (size_t i = 0; i < t->nranges; i++) {
			const struct rc_range *g = &t->ranges[i];
			rc_wr_map(w, 1 + (g->lo.v.p || g->lo.v.n) + (g->hi.v.p || g->hi.v.n));
			wr_kv(w, 1, g->scheme);
			wr_bound(w, 2, &g->lo);
			wr_bound(w, 3, &g->hi);
		}
	}
	if (build) {
		rc_wr_uint(w, 6);
		rc_wr_map(w, (size_t)t->has_built_from + t->has_built_before);
		if (t->has_built_from)
			wr_kv(w, 1, t->built_from);
		if (t->has_built_before)
			wr_kv(w, 2, t->built_before);
	}
	if (t->ndigests) {
		rc_wr_uint(w, 7);
		rc_wr_array(w, t->ndigests);
		for (size_t i = 0; i < t->ndigests; i++) {
			if (!t->digests[i] && !w->err)
				w->err = RC_ERR_INVALID;
			rc_wr_bstr(w, t->digests[i], t->digests[i] ? RC_DIGEST_LEN : 0);
		}
	}
}

static void wr_notice(struct rc_wr *w, const struct rc_notice *n)
{
	rc_wr_map(w, n->nrefs ? 10 : 9);
	rc_wr_uint(w, 1);
	wr_str(w, n->id);
	wr_kv(w, 2, n->issued);
	wr_kv(w, 3, n->not_before);
	wr_kv(w, 4, n->expiry);
	rc_wr_uint(w, 5);
	wr_target(w, &n->target);
	wr_kv(w, 6, n->action);
	wr_kv(w, 7, n->severity);
	wr_strs(w, 8, n->refs, n->nrefs);
	rc_wr_uint(w, 9);
	wr_str(w, n->text);
	rc_wr_uint(w, 10);
	rc_wr_map(w, n->nendpoints ? 2 : 1);
	rc_wr_uint(w, 1);
	wr_str(w, n->remedy_url);
	if (n->nendpoints) {
		rc_wr_uint(w, 2);
		rc_wr_array(w, n->nendpoints);
		for (size_t i = 0; i < n->nendpoints; i++) {
			const struct rc_endpoint *e = &n->endpoints[i];
			if (e->family != 4 && e->family != 6 && !w->err)
				w->err = RC_ERR_INVALID;
			rc_wr_array(w, 2);
			rc_wr_bstr(w, e->addr, e->family == 4 ? 4 : 16);
			rc_wr_uint(w, e->plen);
		}
	}
}

/* Encode into out (RC_COSE_PAYLOAD_MAX bytes), then decode the result: every rule the decoder
 * enforces is enforced on what we emit, so encode and decode cannot disagree. */
static int encode_checked(const struct rc_notice *n, uint8_t out[static RC_COSE_PAYLOAD_MAX],
			  size_t *len, struct rc_diag *diag)
{
	if (diag)
		*diag = (struct rc_diag){0, "notice"};
	if (!n || !shape_ok(n))
		return RC_ERR_INVALID;
	struct rc_wr w;
	rc_wr_init(&w, out, RC_COSE_PAYLOAD_MAX);
	wr_notice(&w, n);
	if (w.err)
		return w.err == RC_ERR_BUFFER ? RC_ERR_TOOLONG : w.err;
	struct rc_notice back;
	int err = rc_notice_decode(&back, out, w.len, diag);
	if (err)
		return err;
	*len = w.len;
	return RC_OK;
}

int rc_notice_validate(const struct rc_notice *n, struct rc_diag *diag)
{
	uint8_t tmp[RC_COSE_PAYLOAD_MAX];
	size_t len;
	return encode_checked(n, tmp, &len, diag);
}

int rc_notice_encode(const struct rc_notice *n, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t tmp[RC_COSE_PAYLOAD_MAX];
	size_t tl;
	if (!len)
		return RC_ERR_INVALID;
	int err = encode_checked(n, tmp, &tl, NULL);
	if (!err && out && cap < tl)
		err = RC_ERR_BUFFER;
	if (!err && out)
		memcpy(out, tmp, tl);
	if (!err)
		*len = tl;
	return err;
}

static bool in_range(const struct rc_range *g, struct rc_str v)
{
	int lo = g->lo.v.p ? rc_version_cmp(g->scheme, v.p, v.n, g->lo.v.p, g->lo.v.n) : 1;
	int hi = g->hi.v.p ? rc_version_cmp(g->scheme, v.p, v.n, g->hi.v.p, g->hi.v.n) : -1;
	return (lo > 0 || (lo == 0 && g->lo.inclusive)) && (hi < 0 || (hi == 0 && g->hi.inclusive));
}

bool rc_notice_covers(const struct rc_notice *n, const struct rc_identity *id)
{
	if (!n || !id)
		return false;
	const struct rc_target *t = &n->target;
	if (!rc_str_eq(t->vendor, id->vendor) || !rc_str_eq(t->model, id->model))
		return false;
	bool ok = t->nhwrevs == 0;
	for (size_t i = 0; i < t->nhwrevs && !ok; i++)
		ok = rc_str_eq(t->hwrevs[i], id->hwrev);
	if (!ok)
		return false;
	/* Exact versions and ranges are one criterion: any entry of either kind matches. */
	if (t->nversions || t->nranges) {
		ok = false;
		for (size_t i = 0; i < t->nversions && !ok; i++)
			ok = rc_str_eq(t->versions[i], id->fwver);
		for (size_t i = 0; i < t->nranges && !ok; i++)
			ok = in_range(&t->ranges[i], id->fwver);
		if (!ok)
			return false;
	}
	if (t->has_built_from || t->has_built_before) {
		if (!id->has_build_date)
			return false;
		if (t->has_built_from && id->build_date < t->built_from)
			return false;
		if (t->has_built_before && id->build_date >= t->built_before)
			return false;
	}
	if (t->ndigests) {
		ok = false;
		for (size_t i = 0; i < t->ndigests && id->has_digest && !ok; i++)
			ok = memcmp(t->digests[i], id->digest, RC_DIGEST_LEN) == 0;
		if (!ok)
			return false;
	}
	return true;
}

static int check_fail(struct rc_diag *diag, const char *field, int err)
{
	if (diag)
		*diag = (struct rc_diag){0, field};
	return err;
}

int rc_notice_check(struct rc_notice *n, const uint8_t *buf, size_t len,
		    const struct rc_anchors *anchors, const struct rc_identity *id, uint64_t now,
		    bool now_trusted, struct rc_verdict *verdict, struct rc_diag *diag)
{
	return rc__notice_check_buf(n, buf, len, anchors, id, now, now_trusted, verdict, diag, NULL,
				    0);
}

int rc__notice_check_buf(struct rc_notice *n, const uint8_t *buf, size_t len,
			 const struct rc_anchors *anchors, const struct rc_identity *id,
			 uint64_t now, bool now_trusted, struct rc_verdict *verdict,
			 struct rc_diag *diag, uint8_t *tbs, size_t cap)
{
	struct rc_cose_sign m;
	if (verdict)
		memset(verdict, 0, sizeof(*verdict));
	if (!n || !buf || !anchors || !id)
		return check_fail(diag, NULL, RC_ERR_INVALID);
	memset(n, 0, sizeof(*n));
	if (rc_identity_check(id) != RC_OK)
		return check_fail(diag, "identity", RC_ERR_INVALID);
	if (len > RC_NOTICE_MAX)
		return check_fail(diag, "cose", RC_ERR_TOOLONG);
	int err = rc_cose_decode(&m, buf, len, diag);
	if (err)
		return err;
	/* A rotation statement signed by the same keys must not act as a notice. */
	if (m.content_type != RC_CT_NOTICE)
		return check_fail(diag, "cose.protected.content_type", RC_ERR_TYPE);
	/* Authenticate before the payload parser sees anything. */
	err = rc__anchors_verify_buf(anchors, &m, verdict, tbs, cap);
	if (err)
		return check_fail(diag, "cose.signatures", err);
	err = rc_notice_decode(n, m.payload, m.payload_len, diag);
	if (err) {
		if (diag)
			diag->off += (size_t)(m.payload - buf);
		return err;
	}
	if (!rc_notice_covers(n, id))
		return check_fail(diag, "notice.target", RC_ERR_NOTCOVERED);
	if (now_trusted && now < n->not_before)
		return check_fail(diag, "notice.not_before", RC_ERR_EXPIRED);
	if (now_trusted && now >= n->expiry)
		return check_fail(diag, "notice.expiry", RC_ERR_EXPIRED);
	return RC_OK;
}

static const char *const severity_names[] = {"none", "low", "medium", "high", "critical"};

const char *rc_action_name(unsigned a)
{
	return a == 0 ? "quarantine" : a == 1 ? "notify" : "unknown";
}

const char *rc_severity_name(unsigned s)
{
	return s < 5 ? severity_names[s] : "unknown";
}

int rc_severity_parse(const char *s)
{
	for (int i = 0; s && i < 5; i++)
		if (strcmp(s, severity_names[i]) == 0)
			return i;
	return -1;
}
