/* libFuzzer target: check-in decoder. Any input decodes or fails cleanly with a located error;
 * a decoded check-in re-encodes to the same datagram unless it carried ignorable extension
 * keys (which the encoder never writes); then the re-encoding decodes to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "cbor_io.h"
#include "recall/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True if the top-level map or the identity map holds a negative (extension) key. */
static bool has_ext(const uint8_t *data, size_t size)
{
	struct rc_rd r;
	rc_rd_init(&r, data, size);
	size_t n = rc_rd_map(&r, size);
	for (size_t i = 0; i < n && !r.err; i++) {
		int64_t k = rc_rd_int(&r);
		if (k < 0)
			return true;
		if (k != 5) {
			rc_rd_skip(&r);
			continue;
		}
		size_t m = rc_rd_map(&r, size);
		for (size_t j = 0; j < m && !r.err; j++) {
			if (rc_rd_int(&r) < 0)
				return true;
			rc_rd_skip(&r);
		}
	}
	return false;
}

static bool same_str(struct rc_str a, struct rc_str b)
{
	return rc_str_eq(a, b);
}

static void same_checkin(const struct rc_checkin *a, const struct rc_checkin *b)
{
	if (memcmp(a->nonce, b->nonce, RC_NONCE_LEN) || a->reason != b->reason ||
	    a->state != b->state || a->anchor_epoch != b->anchor_epoch ||
	    !same_str(a->id.vendor, b->id.vendor) || !same_str(a->id.model, b->id.model) ||
	    !same_str(a->id.hwrev, b->id.hwrev) || !same_str(a->id.fwver, b->id.fwver) ||
	    a->id.has_build_date != b->id.has_build_date || a->id.has_digest != b->id.has_digest ||
	    (a->id.has_build_date && a->id.build_date != b->id.build_date) ||
	    (a->id.has_digest && memcmp(a->id.digest, b->id.digest, RC_DIGEST_LEN)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_checkin c, d;
	struct rc_diag diag;
	int e = rc_checkin_decode(&c, data, size, &diag);
	if (e) {
		if (e >= RC_ERR__COUNT || !diag.field || diag.off > size)
			abort();
		return 0;
	}
	uint8_t out[RC_CHECKIN_SIZE];
	if (rc_checkin_encode(&c, out) != RC_OK)
		abort();
	if (memcmp(out, data, RC_CHECKIN_SIZE) != 0 && !has_ext(data, size))
		abort();
	if (rc_checkin_decode(&d, out, sizeof(out), &diag) != RC_OK)
		abort();
	same_checkin(&c, &d);
	return 0;
}
