/* libFuzzer target: notice request decoder (PROTOCOL.md 18). Any input decodes or fails
 * cleanly with a located error; a decoded request re-encodes to the same datagram unless it
 * carried ignorable extension keys, and decodes again to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_ext.h"
#include "recall/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_notice_request q, b;
	struct rc_diag diag;
	int e = rc_notice_request_decode(&q, data, size, &diag);
	if (e) {
		if (e >= RC_ERR__COUNT || !diag.field || diag.off > size)
			abort();
		return 0;
	}
	if (rc_msg_peek_type(data, size) != RC_MSG_NOTICE_REQUEST)
		abort();
	uint8_t out[RC_CHECKIN_SIZE];
	if (rc_notice_request_encode(&q, out) != RC_OK)
		abort();
	if (memcmp(out, data, size) != 0 && !fuzz_top_ext(data, size))
		abort();
	if (rc_notice_request_decode(&b, out, sizeof(out), &diag) != RC_OK ||
	    memcmp(&q, &b, sizeof(q)))
		abort();
	return 0;
}
