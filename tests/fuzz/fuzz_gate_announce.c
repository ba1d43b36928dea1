/* Fuzz gate_announce_parse (recall-agent LAN announcement, jansson): the input is
 * the bytes as they arrive; the observation, the identity built from it and the URL policies
 * are checked by fuzz_gate.h. */
#include <stdint.h>

#include "fuzz_gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gate_obs o;
	char err[256] = "";
	int r = gate_announce_parse(data, size, &o, err, sizeof(err));
	gate_fuzz_obs(r, &o, err);
	return 0;
}
