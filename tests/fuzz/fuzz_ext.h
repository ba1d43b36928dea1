/* For the fuzz targets of CBOR messages: whether the top-level map holds a negative
 * (ignorable extension) key, which the encoders never write, so a decoded message with one does
 * not re-encode to the same bytes. */
#ifndef RECALL_FUZZ_EXT_H
#define RECALL_FUZZ_EXT_H

#include <stdbool.h>

#include "cbor_io.h"

static inline bool fuzz_top_ext(const uint8_t *data, size_t size)
{
	struct rc_rd r;
	rc_rd_init(&r, data, size);
	size_t n = rc_rd_map(&r, size);
	for (size_t i = 0; i < n && !r.err; i++) {
		if (rc_rd_int(&r) < 0)
			return true;
		rc_rd_skip(&r);
	}
	return false;
}

#endif
