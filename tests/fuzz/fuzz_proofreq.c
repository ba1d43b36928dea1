/* libFuzzer target: proof-request decoder (and rc_msg_peek_type on the same bytes). Any input
 * decodes or fails cleanly with a located error; a decoded request re-encodes to the same
 * datagram unless it carried ignorable extension keys, and decodes again to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_ext.h"
#include "recall/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_proofreq q, b;
	struct rc_diag diag;
	int t = rc_msg_peek_type(data, size);
	if (t < -1 || t > 255)
		abort();
	int e = rc_proofreq_decode(&q, data, size, &diag);
	if (e) {
		if (e >= RC_ERR__COUNT || !diag.field || diag.off > size)
			abort();
		return 0;
	}
	if (t != RC_MSG_PROOF_REQUEST)
		abort();
	uint8_t out[RC_CHECKIN_SIZE];
	if (rc_proofreq_encode(&q, out) != RC_OK)
		abort();
	if (memcmp(out, data, size) != 0 && !fuzz_top_ext(data, size))
		abort();
	if (rc_proofreq_decode(&b, out, sizeof(out), &diag) != RC_OK || memcmp(&q, &b, sizeof(q)))
		abort();
	return 0;
}
