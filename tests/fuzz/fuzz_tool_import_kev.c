/* libFuzzer target: `recall import kev` on a KEV catalogue: kev_check (as kev_load runs it on
 * the file), then kev_enrich (--enrich) of a good draft (the nvd draft of CVE-2023-1389 in
 * tests/data/import-expected) made to name each of the first entries' CVE. Properties: never
 * crash or leak; a rejected catalogue says why in one line naming it, an accepted one is
 * silent; enriching a draft that loads with an entry of an accepted catalogue succeeds and
 * leaves a draft that still loads ('recall notice create' accepts it), silently, unless the
 * added references make it too long for one answer (then enrich_one writes nothing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "fuzz_capture.h"
#include "import.h"
#include "json_notice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENTRIES 4 /* entries enriched per input */

static json_t *base;

static void load_base(void)
{
	json_error_t e;
	base = json_load_file(
	    RECALL_TESTDATA "/import-expected/nvd/CVE-2023-1389_tp-link_archer_ax21.json", 0, &e);
	struct jnotice j;
	if (!base || jnotice_parse(&j, base, "base", FX_NOW) < 0)
		abort();
	jnotice_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base)
		load_base();
	struct kev k = {0};
	capture_begin();
	json_t *root = json_load_buf("fuzz.json", data, size);
	int r = root ? kev_check(&k, "fuzz.json", root) : -1;
	capture_end();
	if (r < 0) {
		if (!capture_len || !capture_lines_start("recall: fuzz.json: ") ||
		    strchr(capture_text, '\n') != capture_text + capture_len - 1)
			capture_fail("a rejected catalogue without one line naming it");
		capture_free();
		json_decref(root);
		return 0;
	}
	if (capture_len)
		capture_fail("an accepted catalogue printed something");
	capture_free();
	for (size_t i = 0; i < json_array_size(k.v) && i < ENTRIES; i++) {
		const char *cve = jget(json_array_get(k.v, i), "cveID");
		json_t *d = json_deep_copy(base);
		struct kev_enriched e;
		struct jnotice j;
		json_object_set_new(json_object_get(d, "_import"), "cve", json_string(cve));
		capture_begin();
		int er = kev_enrich(&k, d, "draft.json", 6, &e);
		int lr = er == 0 ? jnotice_parse(&j, d, "draft.json", FX_NOW) : -1;
		capture_end();
		if (er != 0)
			capture_fail("a draft naming a catalogued CVE is not enriched");
		if (lr < 0 && (!capture_text || !strstr(capture_text, "too long for one answer") ||
			       !capture_lines_start("recall: draft.json: ")))
			capture_fail("an enriched draft does not load (and not for its length)");
		if (lr == 0 && capture_len)
			capture_fail("enriching printed something");
		capture_free();
		if (lr == 0)
			jnotice_free(&j);
		json_decref(d);
	}
	json_decref(root);
	return 0;
}
