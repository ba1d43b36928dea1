/* libFuzzer target: the entry bundle splitter of the recall tool (log_bundle_split, logstore.h),
 * which `recall log monitor` runs on bundles a log server sends and `recall log append` on the
 * last bundle of its own log. The first input byte is the entry count the bundle's name says
 * (0..255; 0 stands for a full bundle of 256), the rest is the bundle. Properties: never crash
 * or read outside the input; a refusal points inside the input and says why; an accepted bundle
 * has exactly that many entries, each inside the input right after its 16-bit length, one after
 * the other with nothing left over. Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "logstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tool_log_bundle: %s violated\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 + LOG_BUNDLE_MAX)
		return 0;
	unsigned want = data[0] ? data[0] : RC_TLOG_TILE_WIDTH;
	const uint8_t *b = data + 1;
	size_t len = size - 1, off[RC_TLOG_TILE_WIDTH], n[RC_TLOG_TILE_WIDTH], bad = 0;
	const char *why = NULL;
	if (log_bundle_split(b, len, want, off, n, &bad, &why) < 0) {
		check(why != NULL && bad <= len, "a reason and an offset inside the input");
		return 0;
	}
	size_t o = 0;
	for (unsigned i = 0; i < want; i++) {
		check(off[i] == o + 2 && off[i] <= len && n[i] <= len - off[i], "entry in bounds");
		check(((size_t)b[o] << 8 | b[o + 1]) == n[i], "length prefix");
		o = off[i] + n[i];
	}
	check(o == len, "nothing left over");
	return 0;
}
