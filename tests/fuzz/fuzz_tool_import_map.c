/* libFuzzer target: the name map of `recall import --map FILE` (imp_map_parse on the text, as
 * file_read hands it over: NUL-terminated, at most 1 MiB). Properties: never crash or leak; an
 * error is one line "recall: fuzz.map: line N: reason"; success is silent, every entry holds
 * canonical names, and the map applies to each entry's own names as documented (vendor/model
 * entries beat vendor-only ones). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_capture.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool canonical(const char *s, size_t max, bool empty)
{
	return rc_name_valid(rc_str_c(s), max, empty);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 20))
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	struct imp_opts o;
	imp_opts_init(&o);
	capture_begin();
	int r = imp_map_parse(&o, "fuzz.map", text);
	capture_end();
	free(text);
	if (r < 0) {
		if (!capture_len || !capture_lines_start("recall: fuzz.map: line ") ||
		    strchr(capture_text, '\n') != capture_text + capture_len - 1)
			capture_fail("an error is not one line naming fuzz.map and a line");
	} else if (capture_len) {
		capture_fail("a map that loads printed something");
	}
	capture_free();
	for (size_t i = 0; r == 0 && i < o.nmap; i++) {
		const struct imp_map *m = &o.map[i];
		if (!canonical(m->from_vendor, RC_NAME_MAX, false) ||
		    !canonical(m->from_model, RC_NAME_MAX, true) ||
		    !canonical(m->vendor, RC_NAME_MAX, false) ||
		    !canonical(m->model, RC_NAME_MAX, true))
			capture_fail("a map entry with a name that is not canonical");
		char v[RC_NAME_MAX + 1], mo[RC_NAME_MAX + 1];
		strcpy(v, m->from_vendor);
		strcpy(mo, *m->from_model ? m->from_model : "x");
		if (!imp_map_apply(&o, v, mo) || !canonical(v, RC_NAME_MAX, false) ||
		    !canonical(mo, RC_NAME_MAX, false))
			capture_fail("an entry does not apply to its own names");
		/* the entry that applied: same from_vendor, and this model or any model */
		bool found = false;
		for (size_t k = 0; k < o.nmap && !found; k++) {
			const struct imp_map *x = &o.map[k];
			found = !strcmp(x->from_vendor, m->from_vendor) && !strcmp(x->vendor, v) &&
				(*x->model ? !strcmp(x->model, mo) : true);
		}
		if (!found)
			capture_fail("the map applied a translation no entry names");
	}
	free(o.map);
	return 0;
}
