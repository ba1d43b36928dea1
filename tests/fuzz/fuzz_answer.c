/* libFuzzer target: answer decoder. Any input decodes or fails cleanly with a located error;
 * a decoded answer re-encodes to the same bytes unless it carried ignorable extension keys
 * (which the encoder never writes); then the re-encoding decodes to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_ext.h"
#include "recall/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_answer a, b;
	struct rc_diag diag;
	int e = rc_answer_decode(&a, data, size, &diag);
	if (e) {
		if (e >= RC_ERR__COUNT || !diag.field || diag.off > size)
			abort();
		return 0;
	}
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	if (rc_answer_encode(&a, out, sizeof(out), &len) != RC_OK || len > size)
		abort();
	if ((len != size || memcmp(out, data, len) != 0) && !fuzz_top_ext(data, size))
		abort();
	if (rc_answer_decode(&b, out, len, &diag) != RC_OK)
		abort();
	if (a.type != b.type || memcmp(a.nonce, b.nonce, RC_NONCE_LEN) || a.serial != b.serial ||
	    a.delay != b.delay || a.max_version != b.max_version || a.blob_len != b.blob_len ||
	    (a.blob_len && memcmp(a.blob, b.blob, a.blob_len)))
		abort();
	return 0;
}
