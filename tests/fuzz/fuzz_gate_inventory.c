/* recall-gate's inventory file (gate/store.c): any bytes are refused with an error or loaded
 * into a store whose every device can be written back as JSON; nothing crashes or leaks. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gated.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gate_inv *inv;
	char err[512];
	if (!inv && !(inv = gate_inv_new(3600)))
		abort();
	if (gate_inv_parse(inv, "fuzz", (const char *)data, size, err, sizeof(err)) < 0) {
		if (!err[0] || gate_inv_count(inv) != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < gate_inv_count(inv); i++) {
		struct gate_device *d = gate_inv_at(inv, i);
		for (unsigned f = 0; f < GF__N; f++)
			if (strnlen(d->f[f].v, GATE_VAL_MAX) == GATE_VAL_MAX)
				abort();
		json_t *j = gate_dev_json(inv, d, 0, true);
		char *s = j ? json_dumps(j, 0) : NULL;
		if (!s)
			abort();
		free(s);
		json_decref(j);
	}
	return 0;
}
