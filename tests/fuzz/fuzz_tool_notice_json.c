/* libFuzzer target: the notice descriptions of `recall notice create` (docs/NOTICE-JSON.md,
 * tools/json_notice.c: jnotice_parse on json_load_buf, as jnotice_load does on a file).
 * Properties: never crash or leak; an error is one message naming the input ("recall:
 * fuzz.json: ..."); success is silent, the notice encodes, and its description (show --json)
 * parses back to the same encoding. */
#include <stdint.h>
#include <string.h>

#include "fixtures.h"
#include "fuzz_capture.h"
#include "json_notice.h"
#include "signed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t enc1[SIGNED_BUF], enc2[SIGNED_BUF];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jnotice j, k;
	capture_begin();
	json_t *root = json_load_buf("fuzz.json", data, size);
	int r = root ? jnotice_parse(&j, root, "fuzz.json", FX_NOW) : -1;
	json_decref(root);
	capture_end();
	if (r < 0) {
		if (!capture_text || !capture_lines_start("recall: fuzz.json: ") ||
		    strchr(capture_text, '\n') != capture_text + capture_len - 1)
			capture_fail("an error is not one line naming fuzz.json");
		capture_free();
		return 0;
	}
	if (capture_len)
		capture_fail("a description that parses printed something");
	capture_free();
	size_t n1, n2;
	if (rc_notice_encode(&j.n, enc1, sizeof(enc1), &n1) != RC_OK)
		capture_fail("a parsed description does not encode");
	json_t *back = notice_to_json(&j.n);
	capture_begin();
	r = back ? jnotice_parse(&k, back, "back.json", 0) : -1;
	json_decref(back);
	capture_end();
	if (r < 0)
		capture_fail("the description of a parsed notice does not parse");
	capture_free();
	if (rc_notice_encode(&k.n, enc2, sizeof(enc2), &n2) != RC_OK || n1 != n2 ||
	    memcmp(enc1, enc2, n1))
		capture_fail("the description of a parsed notice encodes differently");
	jnotice_free(&k);
	jnotice_free(&j);
	return 0;
}
