/* libFuzzer target: anchor-set decoder. Any input decodes or fails cleanly with a located
 * error. A decoded set re-encodes to the same bytes unless the input carried ignorable
 * extension keys (then the encoding is shorter), decodes again to the same set, and has an id. */
#include <stdlib.h>
#include <string.h>

#include "recall/anchors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_anchors s, back;
	struct rc_diag d;
	if (rc_anchors_decode(&s, data, size, &d) != RC_OK) {
		if (!d.field || d.off > size)
			abort();
		return 0;
	}
	uint8_t out[1024], id[RC_KID_LEN];
	size_t n;
	if (rc_anchors_encode(&s, out, sizeof(out), &n) != RC_OK || n > size)
		abort();
	if (n == size && memcmp(out, data, size) != 0)
		abort();
	if (rc_anchors_decode(&back, out, n, NULL) != RC_OK || memcmp(&back, &s, sizeof(s)) != 0)
		abort();
	if (rc_anchors_id(&s, id) != RC_OK)
		abort();
	return 0;
}
