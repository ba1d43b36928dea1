/* Error strings. */
#include "recall/error.h"

static const char *const msgs[RC_ERR__COUNT] = {
    [RC_OK] = "success",
    [RC_ERR_TRUNCATED] = "truncated input",
    [RC_ERR_TRAILING] = "trailing bytes after the message",
    [RC_ERR_TYPE] = "wrong CBOR type",
    [RC_ERR_NONCANONICAL] = "non-deterministic CBOR encoding",
    [RC_ERR_INDEFINITE] = "indefinite-length CBOR item",
    [RC_ERR_DUPKEY] = "duplicate map key, kid or list entry",
    [RC_ERR_TOOLONG] = "field too long",
    [RC_ERR_RANGE] = "value out of range",
    [RC_ERR_CRITICAL] = "unknown critical field",
    [RC_ERR_MISSING] = "mandatory field missing",
    [RC_ERR_DEPTH] = "nesting too deep",
    [RC_ERR_SIZE] = "wrong size",
    [RC_ERR_VERSION] = "unsupported protocol version",
    [RC_ERR_SYNTAX] = "invalid field content",
    [RC_ERR_SIG] = "bad signature",
    [RC_ERR_THRESHOLD] = "too few trusted signatures",
    [RC_ERR_NOTCOVERED] = "notice does not cover this device",
    [RC_ERR_EXPIRED] = "outside validity period",
    [RC_ERR_NONCE] = "nonce mismatch",
    [RC_ERR_BUFFER] = "output buffer too small",
    [RC_ERR_NOMEM] = "out of memory",
    [RC_ERR_IO] = "input/output error",
    [RC_ERR_INVALID] = "invalid argument",
    [RC_ERR_STALE] = "older than the current one",
};

const char *rc_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= RC_ERR__COUNT || !msgs[err])
		return "unknown error";
	return msgs[err];
}
