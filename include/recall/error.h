/* librecall error codes. Every decoder returns one of these; 0 is success. */
#ifndef RECALL_ERROR_H
#define RECALL_ERROR_H

#include <stddef.h>

enum rc_err {
	RC_OK = 0,
	RC_ERR_TRUNCATED,    /* input ends inside an item */
	RC_ERR_TRAILING,     /* bytes after the top-level item */
	RC_ERR_TYPE,         /* wrong CBOR major type or simple value */
	RC_ERR_NONCANONICAL, /* not the deterministic (shortest, sorted) encoding */
	RC_ERR_INDEFINITE,   /* indefinite-length item */
	RC_ERR_DUPKEY,       /* a map key, kid or list entry given twice */
	RC_ERR_TOOLONG,      /* string, array or map longer than the field allows */
	RC_ERR_RANGE,        /* integer outside the field's range */
	RC_ERR_CRITICAL,     /* unknown critical (non-negative) map key */
	RC_ERR_MISSING,      /* a mandatory field is absent */
	RC_ERR_DEPTH,        /* nesting deeper than any valid message */
	RC_ERR_SIZE,         /* datagram or object size not exactly as required */
	RC_ERR_VERSION,      /* protocol version not supported */
	RC_ERR_SYNTAX,       /* field content invalid (identity characters, version text...) */
	RC_ERR_SIG,          /* a signature does not verify */
	RC_ERR_THRESHOLD,    /* fewer than k distinct trusted signatures */
	RC_ERR_NOTCOVERED,   /* notice does not cover this identity */
	RC_ERR_EXPIRED,      /* outside the validity window */
	RC_ERR_NONCE,        /* nonce does not match an outstanding check-in */
	RC_ERR_BUFFER,       /* output buffer too small */
	RC_ERR_NOMEM,        /* allocation failed (tools only; core never allocates) */
	RC_ERR_IO,           /* file or system error (tools and daemons) */
	RC_ERR_INVALID,      /* invalid argument from the caller */
	RC_ERR_STALE,        /* feed older than the one held (rollback) */
	RC_ERR__COUNT
};

/* Human-readable text for an rc_err code ("unknown error" if out of range). */
const char *rc_strerror(int err);

/* Where a decoder stopped: byte offset and a dotted field path ("identity.vendor"). */
struct rc_diag {
	size_t off;
	const char *field;
};

#endif
