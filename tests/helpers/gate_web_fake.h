/* Test doubles of the parts of recall-gate the owner's page calls (inventory, notices, owner
 * actions), for tests/unit/test_gate_web.c and tests/fuzz/fuzz_gate_http.c only: a two-device
 * inventory whose names carry script-injection payloads, one notice, and a recorder of
 * gate_action calls. Include it in exactly one file of a program (it defines the functions). */
#ifndef RECALL_GATE_WEB_FAKE_H
#define RECALL_GATE_WEB_FAKE_H

#include <stdio.h>
#include <string.h>

#include "web.h"

static struct gate_device fake_devs[2];
static size_t fake_ndevs;
static const char *fake_notice_text, *fake_notice_url;
static int fake_last_act, fake_nacts;
static uint8_t fake_last_mac[6];
static char fake_last_arg[80];

static const char *const fake_xss[] = {"<script>alert(1)</script>",
				       "\"><img src=x onerror=alert(1)>", "'><svg onload=alert(1)>",
				       "</style><script>alert(2)</script>", "a&b<c>d\"e'f"};

size_t gate_inv_count(const struct gate_inv *inv)
{
	return fake_ndevs;
}
struct gate_device *gate_inv_at(struct gate_inv *inv, size_t i)
{
	return i < fake_ndevs ? &fake_devs[i] : NULL;
}
struct gate_device *gate_inv_find(struct gate_inv *inv, const uint8_t mac[6])
{
	for (size_t i = 0; i < fake_ndevs; i++)
		if (memcmp(fake_devs[i].mac, mac, 6) == 0)
			return &fake_devs[i];
	return NULL;
}
int gate_action(struct gate *g, const uint8_t mac[6], enum gate_action act, const char *arg,
		char *err, size_t errlen)
{
	fake_nacts++;
	fake_last_act = (int)act;
	memcpy(fake_last_mac, mac, 6);
	snprintf(fake_last_arg, sizeof fake_last_arg, "%s", arg ? arg : "");
	return 0;
}
int gate_notice_get(struct gate *g, const char *id, struct rc_notice *out)
{
	memset(out, 0, sizeof *out);
	out->id = rc_str_c(id);
	out->severity = RC_SEV_HIGH;
	out->text = rc_str_c(fake_notice_text);
	out->remedy_url = rc_str_c(fake_notice_url);
	out->nrefs = 1;
	out->refs[0] = rc_str_c("CVE-2021-36260");
	return 0;
}

/* The names of gate/inventory.c (G2), which the API uses. */
#define FAKE_NAME(tab, i) ((i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")
const char *gate_src_name(unsigned s)
{
	static const char *const t[] = {"none", "neigh", "dhcp",  "dhcp6", "mdns", "ssdp",
					"upnp", "mud",   "agent", "oui",   "owner"};
	return FAKE_NAME(t, s);
}
const char *gate_field_name(unsigned f)
{
	static const char *const t[] = {
	    "hostname", "vendor_class", "dhcp_prl",    "mud_url", "manufacturer",
	    "model",    "model_number", "hwrev",       "fwver",   "friendly_name",
	    "upnp_url", "agent_state",  "agent_notice"};
	return FAKE_NAME(t, f);
}
const char *gate_conf_name(unsigned c)
{
	static const char *const t[] = {"unknown", "model", "described", "declared"};
	return FAKE_NAME(t, c);
}
const char *gate_state_name(unsigned s)
{
	static const char *const t[] = {"unchecked", "clear",       "possible",
					"recalled",  "quarantined", "agent_quarantine"};
	return FAKE_NAME(t, s);
}
const char *gate_policy_name(unsigned p)
{
	static const char *const t[] = {"enforce", "notify", "allow"};
	return FAKE_NAME(t, p);
}

static void fake_setval(struct gate_val *v, const char *s, uint8_t src)
{
	snprintf(v->v, sizeof v->v, "%s", s);
	v->src = src;
}

/* A quarantined camera whose names are payloads, and a phone with a randomised MAC. */
static void fake_inventory(void)
{
	memset(fake_devs, 0, sizeof fake_devs);
	fake_ndevs = 2;
	struct gate_device *d = &fake_devs[0];
	memcpy(d->mac, "\xc0\x56\xe3\x11\x22\x33", 6);
	fake_setval(&d->f[GF_FRIENDLY], fake_xss[0], GS_UPNP);
	fake_setval(&d->f[GF_HOSTNAME], fake_xss[1], GS_DHCP);
	fake_setval(&d->f[GF_VENDOR_CLASS], fake_xss[2], GS_DHCP);
	fake_setval(&d->f[GF_MANUFACTURER], fake_xss[3], GS_SSDP);
	snprintf(d->mapping, sizeof d->mapping, "%s -> hikvision", fake_xss[4]);
	d->conf = GATE_CONF_DESCRIBED;
	d->id.vendor = rc_str_c("hikvision");
	d->id.model = rc_str_c("ds-2cd2032-i");
	d->id.fwver = rc_str_c("V5.4.0 build 160530");
	d->state = GATE_ST_QUARANTINED;
	snprintf(d->notice_id, sizeof d->notice_id, "hik-2021-36260");
	d->naddr = 1;
	d->addr[0].family = 4;
	memcpy(d->addr[0].a, "\xc0\xa8\x01\x17", 4);
	memcpy(fake_devs[1].mac, "\x02\x00\x00\xaa\xbb\xcc", 6);
	fake_devs[1].mac_random = true;
	fake_notice_text =
	    "Update <b>now</b>: <script>alert(3)</script>\nsecond line \xe2\x80\xae evil";
	fake_notice_url = "javascript:alert(1)";
	fake_nacts = 0;
}

#endif
