/* Fuzz gate_dhcp_parse (dnsmasq --dhcp-script argv and DNSMASQ_* environment) and
 * gate_odhcpd_parse (odhcpd state-file lines). Input: an odhcpd line when it starts with "# ",
 * else lines separated by LF: the argv entries, an empty line, then the environment entries
 * ("KEY=VALUE"). The observation, identity and URL policies are checked by fuzz_gate.h. */
#include <stdint.h>

#include "fuzz_gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENTRIES 80

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gate_obs o;
	char err[256] = "";
	if (size >= 2 && data[0] == '#' && data[1] == ' ') {
		int r = gate_odhcpd_parse((const char *)data, size, &o, err, sizeof(err));
		gate_fuzz_obs(r, &o, err);
		return 0;
	}
	if (size > 16384)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	const char *argv[ENTRIES], *env[ENTRIES];
	size_t argc = 0, nenv = 0;
	bool in_env = false;
	for (char *p = buf, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (!in_env && !*p) {
			in_env = true;
			continue;
		}
		if (in_env && nenv < ENTRIES)
			env[nenv++] = p;
		else if (!in_env && argc < ENTRIES)
			argv[argc++] = p;
	}
	int r = gate_dhcp_parse(argv, argc, env, nenv, &o, err, sizeof(err));
	gate_fuzz_obs(r, &o, err);
	free(buf);
	return 0;
}
