/* libFuzzer target: bucket answer decoder (PROTOCOL.md 18). Any input decodes or fails cleanly
 * with a located error; a decoded answer's entries lie inside the input, are sorted with
 * non-zero counts (each one found by rc_bucket_find), and re-encode to the same bytes unless the
 * input carried ignorable extension keys. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_ext.h"
#include "recall/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rc_bucket b, d;
	struct rc_diag diag;
	int e = rc_bucket_decode(&b, data, size, &diag);
	if (e) {
		if (e >= RC_ERR__COUNT || !diag.field || diag.off > size)
			abort();
		return 0;
	}
	size_t n = b.nentries * RC_BUCKET_ENTRY_LEN;
	if (b.nentries > RC_BUCKET_ENTRIES_MAX || b.pages < 1 || b.pages > RC_BUCKET_PAGES_MAX ||
	    (n && (b.entries < data || b.entries + n > data + size)))
		abort();
	for (size_t i = 0; i < b.nentries; i++)
		if (!rc_bucket_find(&b, b.entries + i * RC_BUCKET_ENTRY_LEN))
			abort();
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	if (rc_bucket_encode(&b, out, sizeof(out), &len) != RC_OK)
		abort();
	if ((len != size || memcmp(out, data, size) != 0) && !fuzz_top_ext(data, size))
		abort();
	if (rc_bucket_decode(&d, out, len, &diag) != RC_OK || d.serial != b.serial ||
	    d.nentries != b.nentries || d.pages != b.pages ||
	    memcmp(d.nonce, b.nonce, RC_NONCE_LEN))
		abort();
	return 0;
}
