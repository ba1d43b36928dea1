/* Bounded CBOR cursor over libcbor's streaming decoder (one item head per call). */
#include <string.h>

#include <cbor.h>

#include "cbor_io.h"

/* What one cbor_stream_decode call saw. */
struct head {
	int major;
	int width; /* bytes of the argument: 0 (immediate), 1, 2, 4, 8 */
	uint64_t val;
	const uint8_t *data; /* string content */
	uint64_t n;          /* string length, array or map count */
	bool indef;
	int simple; /* 20 false, 21 true, 22 null, 23 undefined, -1 float/other */
};

/* libcbor 0.9 passes string lengths and collection counts as uint64_t, 0.8 (Debian 12, the
 * host builds) as size_t; the cross builds may get either (port/cortex-m/build-deps.sh). */
#if CBOR_MAJOR_VERSION == 0 && CBOR_MINOR_VERSION < 9
typedef size_t cbor_len;
#else
typedef uint64_t cbor_len;
#endif

/* One line per callback: they read as the table they are. */
/* clang-format off */
#define H(ctx) ((struct head *)(ctx))
static void u8(void *c, uint8_t v) { H(c)->major = RC_MT_UINT; H(c)->width = 1; H(c)->val = v; }
static void u16(void *c, uint16_t v) { H(c)->major = RC_MT_UINT; H(c)->width = 2; H(c)->val = v; }
static void u32(void *c, uint32_t v) { H(c)->major = RC_MT_UINT; H(c)->width = 4; H(c)->val = v; }
static void u64(void *c, uint64_t v) { H(c)->major = RC_MT_UINT; H(c)->width = 8; H(c)->val = v; }
static void n8(void *c, uint8_t v) { H(c)->major = RC_MT_NEGINT; H(c)->width = 1; H(c)->val = v; }
static void n16(void *c, uint16_t v) { H(c)->major = RC_MT_NEGINT; H(c)->width = 2; H(c)->val = v; }
static void n32(void *c, uint32_t v) { H(c)->major = RC_MT_NEGINT; H(c)->width = 4; H(c)->val = v; }
static void n64(void *c, uint64_t v) { H(c)->major = RC_MT_NEGINT; H(c)->width = 8; H(c)->val = v; }
static void bstr(void *c, cbor_data d, cbor_len n) { H(c)->major = RC_MT_BSTR; H(c)->data = d; H(c)->n = n; }
static void tstr(void *c, cbor_data d, cbor_len n) { H(c)->major = RC_MT_TSTR; H(c)->data = d; H(c)->n = n; }
static void bstr_indef(void *c) { H(c)->major = RC_MT_BSTR; H(c)->indef = true; }
static void tstr_indef(void *c) { H(c)->major = RC_MT_TSTR; H(c)->indef = true; }
static void arr(void *c, cbor_len n) { H(c)->major = RC_MT_ARRAY; H(c)->n = n; }
static void arr_indef(void *c) { H(c)->major = RC_MT_ARRAY; H(c)->indef = true; }
static void map(void *c, cbor_len n) { H(c)->major = RC_MT_MAP; H(c)->n = n; }
static void map_indef(void *c) { H(c)->major = RC_MT_MAP; H(c)->indef = true; }
static void tag(void *c, uint64_t v) { H(c)->major = RC_MT_TAG; H(c)->val = v; }
static void f2(void *c, float v) { H(c)->major = RC_MT_SIMPLE; H(c)->simple = -1; }
static void f8(void *c, double v) { H(c)->major = RC_MT_SIMPLE; H(c)->simple = -1; }
static void undef(void *c) { H(c)->major = RC_MT_SIMPLE; H(c)->simple = 23; }
static void null(void *c) { H(c)->major = RC_MT_SIMPLE; H(c)->simple = 22; }
static void boolean(void *c, bool v) { H(c)->major = RC_MT_SIMPLE; H(c)->simple = v ? 21 : 20; }
static void brk(void *c) { H(c)->major = RC_MT_SIMPLE; H(c)->indef = true; }
#undef H

static const struct cbor_callbacks cbs = {
	.uint8 = u8, .uint16 = u16, .uint32 = u32, .uint64 = u64,
	.negint8 = n8, .negint16 = n16, .negint32 = n32, .negint64 = n64,
	.byte_string = bstr, .byte_string_start = bstr_indef,
	.string = tstr, .string_start = tstr_indef,
	.array_start = arr, .indef_array_start = arr_indef,
	.map_start = map, .indef_map_start = map_indef,
	.tag = tag, .float2 = f2, .float4 = f2, .float8 = f8,
	.undefined = undef, .null = null, .boolean = boolean, .indef_break = brk,
};
/* clang-format on */

void rc_rd_init(struct rc_rd *r, const uint8_t *p, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = len;
}

void rc_rd_fail(struct rc_rd *r, int err)
{
	if (r->err)
		return;
	r->err = err;
	r->err_off = r->off;
	r->err_field = r->field;
}

/* Width in bytes that the shortest head for argument v uses. */
static int min_width(uint64_t v)
{
	if (v < 24)
		return 0;
	if (v <= 0xff)
		return 1;
	if (v <= 0xffff)
		return 2;
	if (v <= 0xffffffffu)
		return 4;
	return 8;
}

/* Decode one head at the cursor without consuming it; returns bytes it spans (for strings:
 * head plus content), 0 on error (recorded). */
static size_t head_at(struct rc_rd *r, struct head *h)
{
	h->major = -1;
	h->indef = false;
	h->n = 0;
	h->val = 0;
	if (r->err)
		return 0;
	if (r->off >= r->len) {
		rc_rd_fail(r, RC_ERR_TRUNCATED);
		return 0;
	}
	const uint8_t *at = r->p + r->off;
	size_t avail = r->len - r->off;
	uint8_t ib = at[0];
	/* libcbor has no callback for simple values other than false/true/null/undefined and for
	 * 0xf8 (one-byte simple); reject those heads here rather than misreport them. */
	if (ib == 0xf8 || (ib >= 0xe0 && ib <= 0xf3) || (ib >= 0xfc && ib <= 0xfe)) {
		rc_rd_fail(r, RC_ERR_TYPE);
		return 0;
	}
	struct cbor_decoder_result res = cbor_stream_decode(at, avail, &cbs, h);
	if (res.status == CBOR_DECODER_NEDATA) {
		rc_rd_fail(r, RC_ERR_TRUNCATED);
		return 0;
	}
	if (res.status != CBOR_DECODER_FINISHED || h->major < 0) {
		rc_rd_fail(r, RC_ERR_TYPE);
		return 0;
	}
	if (h->indef) {
		rc_rd_fail(r, RC_ERR_INDEFINITE);
		return 0;
	}
	/* Argument width from the initial byte, for the shortest-form check. */
	uint8_t ai = ib & 0x1f;
	int width = ai < 24 ? 0 : ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : 8;
	uint64_t arg = h->val;
	if (h->major == RC_MT_BSTR || h->major == RC_MT_TSTR || h->major == RC_MT_ARRAY ||
	    h->major == RC_MT_MAP)
		arg = h->n;
	if (h->major == RC_MT_SIMPLE) {
		if (h->simple < 20 || h->simple > 22) { /* floats, undefined */
			rc_rd_fail(r, RC_ERR_TYPE);
			return 0;
		}
	} else if (width != min_width(arg)) {
		rc_rd_fail(r, RC_ERR_NONCANONICAL);
		return 0;
	}
	h->width = width;
	return res.read;
}

int rc_rd_peek(struct rc_rd *r)
{
	struct head h;
	if (r->err || r->off >= r->len)
		return -1;
	/* Peeking must not record an error: use a scratch copy. */
	struct rc_rd tmp = *r;
	if (!head_at(&tmp, &h))
		return -1;
	return h.major;
}

/* Consume one head of the wanted major type. */
static bool take(struct rc_rd *r, int major, struct head *h)
{
	size_t n = head_at(r, h);
	if (!n)
		return false;
	if (h->major != major) {
		rc_rd_fail(r, RC_ERR_TYPE);
		return false;
	}
	r->off += n;
	return true;
}

bool rc_rd_null(struct rc_rd *r, bool consume)
{
	if (r->err || r->off >= r->len || r->p[r->off] != 0xf6)
		return false;
	if (consume)
		r->off++;
	return true;
}

uint64_t rc_rd_uint(struct rc_rd *r)
{
	struct head h;
	return take(r, RC_MT_UINT, &h) ? h.val : 0;
}

uint64_t rc_rd_uint_max(struct rc_rd *r, uint64_t max)
{
	uint64_t v = rc_rd_uint(r);
	if (v > max) {
		rc_rd_fail(r, RC_ERR_RANGE);
		return 0;
	}
	return v;
}

int64_t rc_rd_int(struct rc_rd *r)
{
	struct head h;
	size_t n = head_at(r, &h);
	if (!n)
		return 0;
	if ((h.major != RC_MT_UINT && h.major != RC_MT_NEGINT)) {
		rc_rd_fail(r, RC_ERR_TYPE);
		return 0;
	}
	if (h.val > (uint64_t)INT64_MAX) {
		rc_rd_fail(r, RC_ERR_RANGE);
		return 0;
	}
	r->off += n;
	return h.major == RC_MT_UINT ? (int64_t)h.val : -1 - (int64_t)h.val;
}

bool rc_rd_bool(struct rc_rd *r)
{
	struct head h;
	if (!take(r, RC_MT_SIMPLE, &h))
		return false;
	if (h.simple != 20 && h.simple != 21) {
		r->off -= 1;
		rc_rd_fail(r, RC_ERR_TYPE);
		return false;
	}
	return h.simple == 21;
}

uint64_t rc_rd_tag(struct rc_rd *r)
{
	struct head h;
	return take(r, RC_MT_TAG, &h) ? h.val : 0;
}

static size_t coll(struct rc_rd *r, int major, size_t max)
{
	struct head h;
	if (!take(r, major, &h))
		return 0;
	if (h.n > max) {
		rc_rd_fail(r, RC_ERR_TOOLONG);
		return 0;
	}
	return h.n;
}

size_t rc_rd_array(struct rc_rd *r, size_t max)
{
	return coll(r, RC_MT_ARRAY, max);
}

size_t rc_rd_map(struct rc_rd *r, size_t max)
{
	return coll(r, RC_MT_MAP, max);
}

const uint8_t *rc_rd_bstr(struct rc_rd *r, size_t *n, size_t max)
{
	struct head h;
	*n = 0;
	if (!take(r, RC_MT_BSTR, &h))
		return NULL;
	if (h.n > max) {
		rc_rd_fail(r, RC_ERR_TOOLONG);
		return NULL;
	}
	*n = h.n;
	return h.data;
}

const uint8_t *rc_rd_bstr_exact(struct rc_rd *r, size_t want)
{
	size_t n;
	const uint8_t *p = rc_rd_bstr(r, &n, want);
	if (p && n != want) {
		rc_rd_fail(r, RC_ERR_SIZE);
		return NULL;
	}
	return p;
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;
	/* Identity strings are ASCII: skip eight such bytes at a time. */
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, sizeof(w));
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < n) {
		uint8_t c = s[i];
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

const char *rc_rd_tstr(struct rc_rd *r, size_t *n, size_t max)
{
	struct head h;
	*n = 0;
	if (!take(r, RC_MT_TSTR, &h))
		return NULL;
	if (h.n > max) {
		rc_rd_fail(r, RC_ERR_TOOLONG);
		return NULL;
	}
	if (!utf8_ok(h.data, h.n)) {
		rc_rd_fail(r, RC_ERR_SYNTAX);
		return NULL;
	}
	*n = h.n;
	return (const char *)h.data;
}

/* Take the key encoded at start..r->off if it sorts after the previous one of its map
 * (deterministic order: bytewise on the encoded keys); else, at the key, RC_ERR_DUPKEY for a
 * repeated key and RC_ERR_NONCANONICAL for one out of order (as for sorted lists of kids). */
static bool key_next(struct rc_rd *r, struct rc_keys *ks, size_t start)
{
	const uint8_t *k = r->p + start;
	size_t kl = r->off - start;
	if (ks->last) {
		size_t m = kl < ks->last_len ? kl : ks->last_len;
		int c = memcmp(ks->last, k, m);
		if (c > 0 || (c == 0 && ks->last_len >= kl)) {
			r->off = start;
			rc_rd_fail(r, c == 0 && ks->last_len == kl ? RC_ERR_DUPKEY
								   : RC_ERR_NONCANONICAL);
			return false;
		}
	}
	ks->last = k;
	ks->last_len = kl;
	return true;
}

static void skip_depth(struct rc_rd *r, int depth)
{
	struct head h;
	if (depth > RC_CBOR_DEPTH_MAX) {
		rc_rd_fail(r, RC_ERR_DEPTH);
		return;
	}
	size_t n = head_at(r, &h);
	if (!n)
		return;
	r->off += n;
	if (h.major == RC_MT_TSTR && !utf8_ok(h.data, h.n))
		rc_rd_fail(r, RC_ERR_SYNTAX);
	uint64_t items =
	    h.major == RC_MT_ARRAY || h.major == RC_MT_MAP ? h.n : h.major == RC_MT_TAG;
	/* Each item takes at least one byte, a map's pair two: a count beyond the input is
	 * truncated (checked before doubling, which could wrap). */
	size_t avail = r->len - r->off;
	if (items > avail || (h.major == RC_MT_MAP && items > avail / 2)) {
		rc_rd_fail(r, RC_ERR_TRUNCATED);
		return;
	}
	if (h.major == RC_MT_MAP)
		items *= 2;
	struct rc_keys ks = {0};
	for (uint64_t i = 0; i < items && !r->err; i++) {
		if (h.major == RC_MT_MAP && i % 2 == 0) {
			/* Keys of skipped maps must still be ordered and unique. */
			size_t start = r->off;
			skip_depth(r, depth + 1);
			if (r->err || !key_next(r, &ks, start))
				return;
		} else {
			skip_depth(r, depth + 1);
		}
	}
}

void rc_rd_skip(struct rc_rd *r)
{
	skip_depth(r, 0);
}

int64_t rc_rd_key(struct rc_rd *r, struct rc_keys *ks)
{
	size_t start = r->off;
	/* Fast path for the one-byte keys every message uses (0..23, -1..-24). */
	if (!r->err && start < r->len &&
	    (r->p[start] <= 0x17 || (r->p[start] >= 0x20 && r->p[start] <= 0x37)) &&
	    ks->last_len <= 1) {
		uint8_t b = r->p[start];
		if (ks->last && ks->last[0] >= b) {
			rc_rd_fail(r, ks->last[0] == b ? RC_ERR_DUPKEY : RC_ERR_NONCANONICAL);
			return 0;
		}
		ks->last = r->p + start;
		ks->last_len = 1;
		r->off++;
		return b < 0x20 ? (int64_t)b : -1 - (int64_t)(b - 0x20);
	}
	int64_t k = rc_rd_int(r);
	if (r->err || !key_next(r, ks, start))
		return 0;
	return k;
}

void rc_rd_unknown(struct rc_rd *r, int64_t key)
{
	if (key >= 0) {
		rc_rd_fail(r, RC_ERR_CRITICAL);
		return;
	}
	rc_rd_skip(r);
}

int rc_rd_finish(struct rc_rd *r)
{
	if (!r->err && r->off != r->len)
		rc_rd_fail(r, RC_ERR_TRAILING);
	return r->err;
}

int rc_rd_diag(const struct rc_rd *r, struct rc_diag *diag)
{
	if (diag) {
		diag->off = r->err ? r->err_off : r->off;
		diag->field = r->err ? r->err_field : NULL;
	}
	return r->err;
}

void rc_wr_init(struct rc_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : SIZE_MAX;
	w->len = 0;
	w->err = 0;
}

/* Write a head (major type + argument) in shortest form. */
static void head(struct rc_wr *w, int major, uint64_t v)
{
	uint8_t b[9];
	int wd = min_width(v);
	size_t n;
	if (wd == 0) {
		b[0] = (uint8_t)(major << 5 | v);
		n = 1;
	} else {
		b[0] = (uint8_t)(major << 5 | (wd == 1 ? 24 : wd == 2 ? 25 : wd == 4 ? 26 : 27));
		for (int i = 0; i < wd; i++)
			b[1 + i] = (uint8_t)(v >> (8 * (wd - 1 - i)));
		n = 1 + (size_t)wd;
	}
	rc_wr_raw(w, b, n);
}

void rc_wr_raw(struct rc_wr *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->len) {
		w->err = RC_ERR_BUFFER;
		return;
	}
	if (w->p && n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

void rc_wr_uint(struct rc_wr *w, uint64_t v)
{
	head(w, RC_MT_UINT, v);
}

void rc_wr_int(struct rc_wr *w, int64_t v)
{
	if (v >= 0)
		head(w, RC_MT_UINT, (uint64_t)v);
	else
		head(w, RC_MT_NEGINT, (uint64_t)(-1 - v));
}

void rc_wr_bool(struct rc_wr *w, bool v)
{
	uint8_t b = v ? 0xf5 : 0xf4;
	rc_wr_raw(w, &b, 1);
}

void rc_wr_null(struct rc_wr *w)
{
	uint8_t b = 0xf6;
	rc_wr_raw(w, &b, 1);
}

void rc_wr_tag(struct rc_wr *w, uint64_t t)
{
	head(w, RC_MT_TAG, t);
}

void rc_wr_array(struct rc_wr *w, size_t n)
{
	head(w, RC_MT_ARRAY, n);
}

void rc_wr_map(struct rc_wr *w, size_t n)
{
	head(w, RC_MT_MAP, n);
}

void rc_wr_bstr_head(struct rc_wr *w, size_t n)
{
	head(w, RC_MT_BSTR, n);
}

void rc_wr_bstr(struct rc_wr *w, const void *p, size_t n)
{
	head(w, RC_MT_BSTR, n);
	rc_wr_raw(w, p, n);
}

void rc_wr_tstr(struct rc_wr *w, const char *p, size_t n)
{
	head(w, RC_MT_TSTR, n);
	rc_wr_raw(w, p, n);
}
