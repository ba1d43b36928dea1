/* odhcpd (OpenWrt): its leasetrigger runs a command with no arguments and no per-lease
 * environment after it rewrites its state file (odhcpd src/statefiles.c), so the gate reads
 * that file's lease lines:
 *   "# IFACE DUID IAID HOSTNAME EXPIRY ID LEN ADDR/PLEN ..."
 * DHCPv4 lines have "ipv4" as IAID and the client's MAC (12 hex digits) as DUID. DHCPv6 lines
 * give a MAC when the DUID is DUID-LLT (type 1) or DUID-LL (type 3) of Ethernet (hardware
 * type 1): RFC 8415 section 11. The hostname "-" means none; odhcpd marks a name it found
 * unusable "broken\x20..." and such a name is not taken. The first address is taken. Other
 * lines (hosts lines, comments without 8 fields) are refused so the caller can skip them. */
#include <arpa/inet.h>
#include <string.h>

#include "parse.h"

#define ODHCPD_LINE_MAX 1024

static int hexbytes(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int h = gate_hexval(s[i]), l = gate_hexval(s[i + 1]);
		if (h < 0 || l < 0)
			return -1;
		out[i / 2] = (uint8_t)(h << 4 | l);
	}
	return (int)(n / 2);
}

int gate_odhcpd_parse(const char *line, size_t len, struct gate_obs *o, char *err, size_t errlen)
{
	gate_obs_init(o);
	if (!line || len > ODHCPD_LINE_MAX)
		return gate_err(err, errlen, "odhcpd line: missing or longer than %d",
				ODHCPD_LINE_MAX);
	char buf[ODHCPD_LINE_MAX + 1];
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (strlen(buf) != len || strchr(buf, '\t'))
		return gate_err(err, errlen, "odhcpd line: NUL or TAB byte");
	char *f[9];
	size_t nf = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, " \n", &save); t && nf < 9; t = strtok_r(NULL, " \n", &save))
		f[nf++] = t;
	if (nf < 9 || strcmp(f[0], "#"))
		return gate_err(err, errlen, "odhcpd line: not a lease line");
	uint8_t duid[130];
	int dn = hexbytes(f[2], strlen(f[2]), duid, sizeof(duid));
	bool v4 = !strcmp(f[3], "ipv4");
	if (dn < 0)
		return gate_err(err, errlen, "odhcpd line: DUID is not hex");
	if (v4 && dn == 6) {
		memcpy(o->mac, duid, 6);
		o->has_mac = true;
	} else if (!v4 && dn == 14 && duid[0] == 0 && duid[1] == 1 && duid[2] == 0 &&
		   duid[3] == 1) {
		memcpy(o->mac, duid + 8, 6); /* DUID-LLT: type, hw type, time, MAC */
		o->has_mac = true;
	} else if (!v4 && dn == 10 && duid[0] == 0 && duid[1] == 3 && duid[2] == 0 &&
		   duid[3] == 1) {
		memcpy(o->mac, duid + 4, 6); /* DUID-LL: type, hw type, MAC */
		o->has_mac = true;
	} else if (v4) {
		return gate_err(err, errlen, "odhcpd line: DHCPv4 client id is not a MAC");
	}
	char *slash = strchr(f[8], '/');
	if (slash)
		*slash = '\0';
	o->addr.family = v4 ? 4 : 6;
	if (inet_pton(v4 ? AF_INET : AF_INET6, f[8], o->addr.a) != 1) {
		gate_obs_init(o);
		return gate_err(err, errlen, "odhcpd line: bad address");
	}
	if (strcmp(f[4], "-") && strncmp(f[4], "broken\\x20", 10) &&
	    gate_obs_set(o, GF_HOSTNAME, v4 ? GS_DHCP : GS_DHCP6, f[4], strlen(f[4]),
			 "odhcpd hostname", err, errlen) < 0) {
		gate_obs_init(o);
		return -1;
	}
	return 0;
}
