/* libFuzzer target: compact log proof decoder and verifier. Any input decodes or fails cleanly
 * with a located error; a decoded proof re-encodes to the same bytes unless it carried
 * ignorable extension keys; then it is verified against a logged anchor set (three witnesses,
 * quorum 2) with both clock verdicts: never a crash, and never RC_OK for an entry that the
 * fixture log did not sign (only "the signed notice bytes" was ever logged, at the seeds'
 * positions). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_ext.h"
#include "logfix.h"
#include "recall/logproof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rc_anchors a;
	static bool ready;
	static const uint8_t entry[] = "the signed notice bytes";
	struct rc_logproof p, q;
	struct rc_diag d;
	if (!ready) {
		struct fx_key keys[3];
		if (fx_anchors(&a, keys, 3, 2, 5, 0x20) || fx_log_policy(&a, 3, 2, 86400, 0x70))
			abort();
		ready = true;
	}
	int e = rc_logproof_decode(&p, data, size, &d);
	if (e) {
		if (e >= RC_ERR__COUNT || !d.field || d.off > size)
			abort();
		return 0;
	}
	uint8_t out[RC_LOGPROOF_ENC_MAX];
	size_t len;
	if (rc_logproof_encode(&p, out, sizeof(out), &len) != RC_OK || len > size)
		abort();
	if ((len != size || memcmp(out, data, len) != 0) && !fuzz_top_ext(data, size))
		abort();
	if (rc_logproof_decode(&q, out, len, &d) != RC_OK || memcmp(&p, &q, sizeof(p)))
		abort();
	uint32_t w;
	for (int t = 0; t < 2; t++) {
		e = rc_logproof_verify(&a, entry, sizeof(entry) - 1, &p, FX_NOW, t, &w, &d);
		if (e >= RC_ERR__COUNT || (e && !d.field) || (!e && w < 2))
			abort();
		/* Another entry never verifies under a proof made for this one. */
		if (rc_logproof_verify(&a, entry, sizeof(entry) - 2, &p, FX_NOW, t, &w, &d) ==
		    RC_OK)
			abort();
	}
	return 0;
}
