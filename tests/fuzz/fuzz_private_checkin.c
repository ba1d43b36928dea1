/* libFuzzer target: private check-in decoder (PROTOCOL.md 18). Any input decodes or fails
 * cleanly with a located error; a decoded check-in re-encodes to the same datagram unless it
 * carried ignorable extension keys, and decodes again to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_ext.h"
#include "recall/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_private_checkin c, b;
	struct rc_diag diag;
	int e = rc_private_checkin_decode(&c, data, size, &diag);
	if (e) {
		if (e >= RC_ERR__COUNT || !diag.field || diag.off > size)
			abort();
		return 0;
	}
	if (rc_msg_peek_type(data, size) != RC_MSG_PRIVATE || c.prefix >= RC_PRIVATE_PREFIXES ||
	    c.page >= RC_BUCKET_PAGES_MAX)
		abort();
	uint8_t out[RC_CHECKIN_SIZE];
	if (rc_private_checkin_encode(&c, out) != RC_OK)
		abort();
	if (memcmp(out, data, size) != 0 && !fuzz_top_ext(data, size))
		abort();
	if (rc_private_checkin_decode(&b, out, sizeof(out), &diag) != RC_OK ||
	    memcmp(&c, &b, sizeof(c)))
		abort();
	return 0;
}
