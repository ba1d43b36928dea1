/* Identity with confidence (issue 10 item 2; docs/GATE.md "Inventory sources and identity").
 *
 *   declared   the firmware build comes from the device's agent, its MUD file, or the owner,
 *              and vendor and model come from a declared source too
 *   described  a firmware build from a UPnP description or mDNS TXT (or a declared build with
 *              vendor or model from a lesser source)
 *   model      vendor and model but no usable build, or a vendor known only from the MAC's
 *              OUI: "possibly affected" only, never enforced
 *   unknown    no vendor or no model
 *
 * Names: an agent's are canonical already (checked, used as they are); others are mapped
 * through vendors.map (vendor only) and canonicalised with rc_name_canon. Without any vendor
 * name, a globally administered MAC gives one through oui.txt; a randomised MAC never does. The
 * model is the model name, else the UPnP model number, else (a silent device: the vendor from
 * the OUI, no model from any source) the model of a DHCP fingerprint that matches that vendor,
 * option 60 and option 55 exactly (dhcp-fingerprints.txt): model only, like anything resting on
 * the OUI. d->mapping names what was applied. */
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "recall/text.h"

int gate_src_rank(enum gate_src s)
{
	switch (s) {
	case GS_AGENT:
	case GS_OWNER:
	case GS_MUD:
		return 4;
	case GS_UPNP:
	case GS_MDNS:
		return 3;
	case GS_SSDP:
		return 2;
	case GS_DHCP:
	case GS_DHCP6:
		return 1;
	default:
		return 0;
	}
}

static enum gate_conf level(uint8_t src)
{
	int r = gate_src_rank((enum gate_src)src);
	return r == 4 ? GATE_CONF_DECLARED : r == 3 ? GATE_CONF_DESCRIBED : GATE_CONF_MODEL;
}

/* One name into out: canonical as it is (agent) or canonicalised. */
static int name_of(const struct gate_val *v, char *out, size_t cap, size_t max, bool empty_ok)
{
	if (v->src == GS_AGENT) {
		struct rc_str s = rc_str_c(v->v);
		if (!rc_name_valid(s, max, empty_ok) || s.n >= cap)
			return -1;
		memcpy(out, v->v, s.n + 1);
		return (int)s.n;
	}
	int n = rc_name_canon(out, cap, v->v, strlen(v->v));
	if (n < 0 || (size_t)n > max || (n == 0 && !empty_ok))
		return -1;
	return n;
}

struct ident {
	enum gate_conf conf;
	char s[4][72]; /* vendor, model, hwrev, fwver */
	char mapping[2 * GATE_VAL_MAX + 64];
};

static void derive(const struct gate_device *d, const void *al, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	const struct gate_val *ven = &d->f[GF_MANUFACTURER], *mod = &d->f[GF_MODEL];
	if (!mod->src)
		mod = &d->f[GF_MODEL_NUMBER];
	uint8_t ven_src = ven->src;
	unsigned line = 0;
	const char *alias = NULL;
	if (ven->src && ven->src != GS_AGENT && (alias = gate_alias_vendor(al, ven->v, &line))) {
		snprintf(id->s[0], sizeof(id->s[0]), "%.64s", alias);
		/* say so only when the table changed the name ("PTZOptics" is ptzoptics anyway) */
		char plain[RC_NAME_MAX + 1];
		if (rc_name_canon(plain, sizeof(plain), ven->v, strlen(ven->v)) < 0 ||
		    strcmp(plain, alias))
			snprintf(id->mapping, sizeof(id->mapping),
				 "%.127s -> %.64s (vendors.map:%u)", ven->v, alias, line);
	} else if (ven->src) {
		if (name_of(ven, id->s[0], sizeof(id->s[0]), RC_NAME_MAX, false) < 0)
			return;
	} else if (!d->mac_random && !gate_mac_local(d->mac) &&
		   (alias = gate_alias_oui(al, d->mac, &line))) {
		snprintf(id->s[0], sizeof(id->s[0]), "%.64s", alias);
		snprintf(id->mapping, sizeof(id->mapping),
			 "OUI %02x:%02x:%02x -> %.64s (oui.txt:%u)", d->mac[0], d->mac[1],
			 d->mac[2], alias, line);
		ven_src = GS_OUI;
	} else {
		return;
	}
	const char *fpm;
	if (!mod->src && ven_src == GS_OUI &&
	    (fpm = gate_alias_fingerprint(al, id->s[0], d->f[GF_VENDOR_CLASS].v,
					  d->f[GF_DHCP_PRL].v, &line))) {
		/* model only (ven_src is GS_OUI): "possibly affected" at most, never enforced */
		snprintf(id->s[1], sizeof(id->s[1]), "%.64s", fpm);
		snprintf(id->mapping, sizeof(id->mapping),
			 "OUI %02x:%02x:%02x + DHCP options 60, 55 -> %.64s %.64s "
			 "(dhcp-fingerprints.txt:%u)",
			 d->mac[0], d->mac[1], d->mac[2], id->s[0], fpm, line);
		id->conf = GATE_CONF_MODEL;
		return;
	}
	if (!mod->src || name_of(mod, id->s[1], sizeof(id->s[1]), RC_NAME_MAX, false) < 0) {
		id->s[0][0] = '\0';
		id->mapping[0] = '\0';
		return;
	}
	id->conf = GATE_CONF_MODEL;
	const struct gate_val *hw = &d->f[GF_HWREV], *fw = &d->f[GF_FWVER];
	if (hw->src && name_of(hw, id->s[2], sizeof(id->s[2]), RC_HWREV_MAX, true) < 0)
		id->s[2][0] = '\0'; /* an unusable revision is "not stated" */
	if (!fw->src || !rc_fwver_valid(rc_str_c(fw->v)))
		return; /* no build: model only */
	enum gate_conf c = level(fw->src);
	/* an OUI names who made the network chip, often not the device: never enforce on it */
	if (c == GATE_CONF_MODEL || ven_src == GS_OUI)
		return;
	if (c == GATE_CONF_DECLARED &&
	    (level(ven_src) != GATE_CONF_DECLARED || level(mod->src) != GATE_CONF_DECLARED))
		c = GATE_CONF_DESCRIBED;
	snprintf(id->s[3], sizeof(id->s[3]), "%.64s", fw->v);
	id->conf = c;
}

int gate_identity(struct gate_device *d, const void *aliases)
{
	if (!d)
		return -1;
	struct ident id;
	derive(d, aliases, &id);
	char map[GATE_VAL_MAX];
	rc_text_safe(map, sizeof(map), id.mapping, strlen(id.mapping), RC_TEXT_ONELINE);
	bool changed = id.conf != d->conf || strcmp(map, d->mapping);
	for (int i = 0; i < 4; i++)
		changed = changed || strcmp(id.s[i], d->id_store[i]);
	memcpy(d->id_store, id.s, sizeof(d->id_store));
	snprintf(d->mapping, sizeof(d->mapping), "%s", map);
	d->conf = id.conf;
	memset(&d->id, 0, sizeof(d->id));
	if (id.conf >= GATE_CONF_MODEL) {
		d->id.vendor = rc_str_c(d->id_store[0]);
		d->id.model = rc_str_c(d->id_store[1]);
		d->id.hwrev = rc_str_c(d->id_store[2]);
		d->id.fwver = rc_str_c(d->id_store[3]);
	}
	return changed ? 1 : 0;
}
