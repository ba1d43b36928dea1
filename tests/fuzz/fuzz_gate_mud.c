/* Fuzz gate_mud_parse and gate_mud_check (MUD files, RFC 8520, jansson): the input is the file;
 * it is parsed alone and as fetched from the URL of the seed files, and both observations, the
 * identity built from them and the URL policies are checked by fuzz_gate.h. */
#include <stdint.h>

#include "fuzz_gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gate_obs o;
	char err[256] = "";
	int r = gate_mud_parse((const char *)data, size, &o, err, sizeof(err));
	gate_fuzz_obs(r, &o, err);
	err[0] = '\0';
	int r2 = gate_mud_check((const char *)data, size,
				"https://lighting.example.com/lightbulb2000", &o, err, sizeof(err));
	gate_fuzz_obs(r2, &o, err);
	gate_fuzz_check(r2 <= r, "a checked file is a file");
	return 0;
}
