/* DHCP through dnsmasq's --dhcp-script (dnsmasq(8)): argv is ACTION MAC-or-DUID IP [HOSTNAME],
 * the environment holds DNSMASQ_* variables. Used here:
 *   DNSMASQ_SUPPLIED_HOSTNAME  the host name the client sent (option 12 / DHCPv6 FQDN); the
 *                              argv hostname may be one the owner configured, so this wins
 *   DNSMASQ_VENDOR_CLASS       option 60 (DHCPv4)
 *   DNSMASQ_VENDOR_CLASS0      first vendor-class data (DHCPv6, option 16)
 *   DNSMASQ_REQUESTED_OPTIONS  option 55 as "1,3,6,15" (digits and commas only)
 *   DNSMASQ_MUD_URL            option 161 / DHCPv6 option 112 (RFC 8520)
 *   DNSMASQ_MAC                the client's MAC for DHCPv6 (argv has the DUID there)
 * Other DNSMASQ_* variables are ignored; any other variable, a variable twice, or more than
 * GATE_DHCP_ENV of them is refused (recall-gate lease passes DNSMASQ_* only). Actions: add,
 * old, del (del gives address and MAC only); tftp and init are refused. */
#include <arpa/inet.h>
#include <string.h>

#include "parse.h"

static const struct {
	const char *key;
	enum gate_field f;
} env_keys[] = {
    {"DNSMASQ_SUPPLIED_HOSTNAME", GF_HOSTNAME},
    {"DNSMASQ_VENDOR_CLASS", GF_VENDOR_CLASS},
    {"DNSMASQ_VENDOR_CLASS0", GF_VENDOR_CLASS},
    {"DNSMASQ_REQUESTED_OPTIONS", GF_DHCP_PRL},
    {"DNSMASQ_MUD_URL", GF_MUD_URL},
};

static bool prl_valid(const char *v)
{
	size_t digits = 0;
	for (; *v; v++) {
		if (*v >= '0' && *v <= '9') {
			if (++digits > 3)
				return false;
		} else if (*v == ',' && digits) {
			digits = 0;
		} else {
			return false;
		}
	}
	return digits > 0;
}

/* Reads env into o; DNSMASQ_MAC goes to mac (*has_mac set). */
static int env_take(const char *const *env, size_t nenv, bool v6, struct gate_obs *o,
		    uint8_t mac[6], bool *has_mac, char *err, size_t errlen)
{
	for (size_t i = 0; i < nenv; i++) {
		const char *e = env[i];
		size_t len = e ? strnlen(e, GATE_DHCP_VAR_MAX + 1) : 0;
		if (!e || len > GATE_DHCP_VAR_MAX)
			return gate_err(err, errlen, "DHCP env %zu: missing or longer than %d", i,
					GATE_DHCP_VAR_MAX);
		const char *eq = strchr(e, '=');
		if (!eq || strncmp(e, "DNSMASQ_", 8))
			return gate_err(err, errlen, "DHCP env %zu: not a DNSMASQ_ variable", i);
		size_t kn = (size_t)(eq - e);
		for (size_t j = 0; j < i; j++)
			if (!strncmp(env[j], e, kn + 1))
				return gate_err(err, errlen, "DHCP env: %.*s twice", (int)kn, e);
		const char *v = eq + 1;
		if (kn == 11 && !strncmp(e, "DNSMASQ_MAC", 11)) {
			if (gate_mac_parse(v, mac) < 0)
				return gate_err(err, errlen, "DHCP env DNSMASQ_MAC: not a MAC");
			*has_mac = true;
			continue;
		}
		for (size_t k = 0; k < sizeof(env_keys) / sizeof(env_keys[0]); k++) {
			if (strlen(env_keys[k].key) != kn || strncmp(env_keys[k].key, e, kn))
				continue;
			if (env_keys[k].f == GF_DHCP_PRL && !prl_valid(v))
				return gate_err(err, errlen, "DHCP env %.*s: not a decimal list",
						(int)kn, e);
			/* dnsmasq sets only one of the two vendor class forms per lease */
			if (gate_obs_set(o, env_keys[k].f, v6 ? GS_DHCP6 : GS_DHCP, v, strlen(v),
					 env_keys[k].key, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

int gate_dhcp_parse(const char *const *argv, size_t argc, const char *const *env, size_t nenv,
		    struct gate_obs *o, char *err, size_t errlen)
{
	gate_obs_init(o);
	if (!argv || argc < 3 || argc > 4)
		return gate_err(err, errlen,
				"DHCP script: %zu arguments, not ACTION MAC IP "
				"[HOSTNAME]",
				argc);
	if (nenv > GATE_DHCP_ENV || (nenv && !env))
		return gate_err(err, errlen, "DHCP script: %zu environment variables, more than %d",
				nenv, GATE_DHCP_ENV);
	for (size_t i = 0; i < argc; i++)
		if (!argv[i] || strnlen(argv[i], GATE_DHCP_VAR_MAX + 1) > GATE_DHCP_VAR_MAX)
			return gate_err(err, errlen,
					"DHCP script: argument %zu missing or too long", i + 1);
	const char *act = argv[0];
	bool del = !strcmp(act, "del");
	if (strcmp(act, "add") && strcmp(act, "old") && !del)
		return gate_err(err, errlen, "DHCP script: action \"%.16s\" is not add, old or del",
				act);
	bool v6 = strchr(argv[2], ':') != NULL;
	if (v6) {
		o->addr.family = 6;
		if (inet_pton(AF_INET6, argv[2], o->addr.a) != 1)
			return gate_err(err, errlen,
					"DHCP script: \"%.64s\" is not an IPv6 address", argv[2]);
	} else {
		o->addr.family = 4;
		if (inet_pton(AF_INET, argv[2], o->addr.a) != 1)
			return gate_err(err, errlen,
					"DHCP script: \"%.64s\" is not an IPv4 address", argv[2]);
		/* DHCPv4: argv[1] is the MAC; another hardware type is "TT-aa:bb:..." */
		if (gate_mac_parse(argv[1], o->mac) < 0) {
			gate_obs_init(o);
			return gate_err(err, errlen,
					"DHCP script: \"%.64s\" is not an Ethernet MAC", argv[1]);
		}
		o->has_mac = true;
	}
	/* on del only the keys are wanted, but the environment is checked all the same */
	struct gate_obs scratch;
	gate_obs_init(&scratch);
	uint8_t emac[6];
	bool has_emac = false;
	if (env_take(env, nenv, v6, del ? &scratch : o, emac, &has_emac, err, errlen) < 0) {
		gate_obs_init(o);
		return -1;
	}
	if (has_emac && o->has_mac && memcmp(emac, o->mac, 6)) {
		gate_obs_init(o);
		return gate_err(err, errlen, "DHCP script: DNSMASQ_MAC is not the lease's MAC");
	}
	if (has_emac && !o->has_mac) {
		memcpy(o->mac, emac, 6);
		o->has_mac = true;
	}
	if (!del && argc == 4 && !o->f[GF_HOSTNAME].src &&
	    gate_obs_set(o, GF_HOSTNAME, v6 ? GS_DHCP6 : GS_DHCP, argv[3], strlen(argv[3]),
			 "DHCP hostname", err, errlen) < 0) {
		gate_obs_init(o);
		return -1;
	}
	if (v6 && !o->has_mac) {
		gate_obs_init(o);
		return gate_err(err, errlen, "DHCPv6 lease without DNSMASQ_MAC: no device key");
	}
	return 0;
}
