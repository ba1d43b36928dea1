/* Helpers of the gate's parsers: every value from the LAN goes through gate_obs_set, which is
 * where it is sanitised and bounded. */
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "recall/text.h"

static const char *const field_name[GF__N] = {
    [GF_HOSTNAME] = "hostname",
    [GF_VENDOR_CLASS] = "vendor class",
    [GF_DHCP_PRL] = "parameter request list",
    [GF_MUD_URL] = "MUD URL",
    [GF_MANUFACTURER] = "manufacturer",
    [GF_MODEL] = "model",
    [GF_MODEL_NUMBER] = "model number",
    [GF_HWREV] = "hardware revision",
    [GF_FWVER] = "firmware version",
    [GF_FRIENDLY] = "friendly name",
    [GF_UPNP_URL] = "UPnP URL",
    [GF_AGENT_STATE] = "agent state",
    [GF_AGENT_NOTICE] = "agent notice",
};

int gate_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void gate_obs_init(struct gate_obs *o)
{
	memset(o, 0, sizeof(*o));
}

/* ASCII whitespace as PROTOCOL.md 5.2 trims it (XML text often ends in a line break). */
static bool is_ws(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Display-only fields may be shortened; the others identify or locate something. */
static bool shortenable(enum gate_field f)
{
	return f == GF_HOSTNAME || f == GF_VENDOR_CLASS || f == GF_FRIENDLY;
}

int gate_obs_set(struct gate_obs *o, enum gate_field f, enum gate_src src, const char *v, size_t n,
		 const char *what, char *err, size_t errlen)
{
	if ((unsigned)f >= GF__N)
		return gate_err(err, errlen, "%s: no such field", what);
	while (n && is_ws(v[0])) {
		v++;
		n--;
	}
	while (n && is_ws(v[n - 1]))
		n--;
	if (!n)
		return 0;
	/* Whole copy first, bounded: at most 127 input bytes can fit anyway, so looking at a
	 * few more than that tells "fits" from "too long" without scanning megabytes. */
	char tmp[RC_TEXT_SAFE_CAP(GATE_VAL_MAX)];
	size_t in = n < GATE_VAL_MAX ? n : GATE_VAL_MAX;
	size_t len = rc_text_safe(tmp, sizeof(tmp), v, in, RC_TEXT_ONELINE);
	if (n >= GATE_VAL_MAX || len >= GATE_VAL_MAX) {
		if (!shortenable(f))
			return gate_err(err, errlen, "%s (%s): %zu bytes, longer than %d", what,
					field_name[f], n, GATE_VAL_MAX - 1);
		len = rc_text_safe(tmp, GATE_VAL_MAX, v, in, RC_TEXT_ONELINE);
	}
	memcpy(o->f[f].v, tmp, len + 1);
	o->f[f].src = (uint8_t)src;
	o->f[f].seen = 0; /* the inventory stamps observations when it merges them */
	return 0;
}

int gate_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gate_mac_parse(const char *s, uint8_t mac[6])
{
	if (!s || strlen(s) != 17)
		return -1;
	char sep = s[2];
	if (sep != ':' && sep != '-')
		return -1;
	for (int i = 0; i < 6; i++) {
		int h = gate_hexval(s[3 * i]), l = gate_hexval(s[3 * i + 1]);
		if (h < 0 || l < 0 || (i < 5 && s[3 * i + 2] != sep))
			return -1;
		mac[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}
