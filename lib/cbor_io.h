/* Internal: a bounded CBOR read cursor and writer on top of libcbor's streaming decoder and
 * encoders. Errors are sticky: a chain of reads is checked once, at the end. No heap.
 * Only deterministic encoding (RFC 8949 section 4.2.1) is accepted: shortest heads, definite
 * lengths, map keys in bytewise order without duplicates. */
#ifndef RECALL_CBOR_IO_H
#define RECALL_CBOR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/error.h"

#define RC_CBOR_DEPTH_MAX 8

enum rc_major {
	RC_MT_UINT = 0,
	RC_MT_NEGINT = 1,
	RC_MT_BSTR = 2,
	RC_MT_TSTR = 3,
	RC_MT_ARRAY = 4,
	RC_MT_MAP = 5,
	RC_MT_TAG = 6,
	RC_MT_SIMPLE = 7,
};

struct rc_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;           /* first error, sticky */
	size_t err_off;    /* where it happened */
	const char *field; /* current field path, set by decoders for diagnostics */
	const char *err_field;
};

/* Map-key order checker: keys must be strictly increasing in encoded-byte order. */
struct rc_keys {
	const uint8_t *last;
	size_t last_len;
};

void rc_rd_init(struct rc_rd *r, const uint8_t *p, size_t len);
/* Record an error (first one wins) at the current offset. */
void rc_rd_fail(struct rc_rd *r, int err);
/* Major type of the next item, or -1 at end/error. */
int rc_rd_peek(struct rc_rd *r);
/* True if the next item is CBOR null (then consumed when take is true). */
bool rc_rd_null(struct rc_rd *r, bool take);
uint64_t rc_rd_uint(struct rc_rd *r);
/* Unsigned with max: RC_ERR_RANGE above it. */
uint64_t rc_rd_uint_max(struct rc_rd *r, uint64_t max);
int64_t rc_rd_int(struct rc_rd *r);
bool rc_rd_bool(struct rc_rd *r);
uint64_t rc_rd_tag(struct rc_rd *r);
/* Definite array/map header; returns the count (0 on error). RC_ERR_TOOLONG above max. */
size_t rc_rd_array(struct rc_rd *r, size_t max);
size_t rc_rd_map(struct rc_rd *r, size_t max);
/* Byte/text string; returns pointer into the input (NULL on error), length in *n.
 * RC_ERR_TOOLONG above max. Text strings must be valid UTF-8. */
const uint8_t *rc_rd_bstr(struct rc_rd *r, size_t *n, size_t max);
const char *rc_rd_tstr(struct rc_rd *r, size_t *n, size_t max);
/* Byte string of exactly n bytes (RC_ERR_SIZE otherwise). */
const uint8_t *rc_rd_bstr_exact(struct rc_rd *r, size_t n);
/* Skip one whole item (for ignorable extension keys), depth-bounded. */
void rc_rd_skip(struct rc_rd *r);
/* Read an integer map key and check deterministic order against ks. */
int64_t rc_rd_key(struct rc_rd *r, struct rc_keys *ks);
/* Unknown key: skip if negative (extension), else RC_ERR_CRITICAL. */
void rc_rd_unknown(struct rc_rd *r, int64_t key);
/* Require that the whole input was consumed (RC_ERR_TRAILING otherwise); returns r->err. */
int rc_rd_finish(struct rc_rd *r);
/* Copy error and location into diag (may be NULL); returns r->err. */
int rc_rd_diag(const struct rc_rd *r, struct rc_diag *diag);

struct rc_wr {
	uint8_t *p; /* NULL: only count bytes */
	size_t cap;
	size_t len;
	int err;
};

void rc_wr_init(struct rc_wr *w, uint8_t *p, size_t cap);
void rc_wr_uint(struct rc_wr *w, uint64_t v);
void rc_wr_int(struct rc_wr *w, int64_t v);
void rc_wr_bool(struct rc_wr *w, bool v);
void rc_wr_null(struct rc_wr *w);
void rc_wr_tag(struct rc_wr *w, uint64_t tag);
void rc_wr_array(struct rc_wr *w, size_t n);
void rc_wr_map(struct rc_wr *w, size_t n);
void rc_wr_bstr(struct rc_wr *w, const void *p, size_t n);
void rc_wr_tstr(struct rc_wr *w, const char *p, size_t n);
/* Head of a byte string whose n content bytes the caller writes next (rc_wr_raw). */
void rc_wr_bstr_head(struct rc_wr *w, size_t n);
/* Raw bytes (an already-encoded item or string content). */
void rc_wr_raw(struct rc_wr *w, const void *p, size_t n);

#endif
