/* Shared checks of the recall-gate fuzz targets (fuzz_gate_*.c): what every parser of LAN input
 * promises about the observation it fills, and what the identity and URL policies built on it
 * promise. Any violation aborts. */
#ifndef RECALL_FUZZ_GATE_H
#define RECALL_FUZZ_GATE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "recall/text.h"

static void gate_fuzz_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_gate: %s violated\n", what);
		abort();
	}
}

/* A shown value: bounded, NUL-terminated, and already what rc_text_safe makes of it (valid
 * UTF-8, no control, bidi or invisible characters: one line). */
static void gate_fuzz_text(const char *v, size_t cap, const char *what)
{
	size_t n = strnlen(v, cap);
	gate_fuzz_check(n < cap, what);
	char again[RC_TEXT_SAFE_CAP(GATE_VAL_MAX * 2)];
	size_t m = rc_text_safe(again, sizeof(again), v, n, RC_TEXT_ONELINE);
	gate_fuzz_check(m == n && !memcmp(again, v, n), what);
}

/* After a parser: r is its result, err its message. Then the identity and URL policies. */
static void gate_fuzz_obs(int r, const struct gate_obs *o, const char *err)
{
	static const void *al;
	if (!al) {
		char e[256];
		al = gate_aliases_load(RECALL_SOURCE_DIR "/gate/data/vendors.map",
				       RECALL_SOURCE_DIR "/gate/data/oui.txt", e, sizeof(e));
		gate_fuzz_check(al != NULL, "tables load");
	}
	gate_fuzz_check(r == 0 || r == -1, "result 0 or -1");
	if (r < 0)
		gate_fuzz_check(err[0] != '\0', "an error says why");
	struct gate_device d;
	memset(&d, 0, sizeof(d));
	memcpy(d.mac, "\x44\x47\xcc\x01\x02\x03", 6);
	for (int f = 0; f < GF__N; f++) {
		gate_fuzz_check(o->f[f].src < GS__N, "source in range");
		if (!o->f[f].src) {
			gate_fuzz_check(o->f[f].v[0] == '\0', "unset field empty");
			continue;
		}
		gate_fuzz_check(r == 0, "a refused input leaves no field");
		gate_fuzz_check(o->f[f].v[0] != '\0', "a set field is not empty");
		gate_fuzz_text(o->f[f].v, sizeof(o->f[f].v), "field sanitised");
		d.f[f] = o->f[f];
	}
	int c = gate_identity(&d, al);
	gate_fuzz_check(c == 1 || c == 0, "identity result");
	gate_fuzz_text(d.mapping, sizeof(d.mapping), "mapping sanitised");
	if (d.conf >= GATE_CONF_MODEL) {
		gate_fuzz_check(rc_name_valid(d.id.vendor, RC_NAME_MAX, false), "canonical vendor");
		gate_fuzz_check(rc_name_valid(d.id.model, RC_NAME_MAX, false), "canonical model");
		gate_fuzz_check(rc_name_valid(d.id.hwrev, RC_HWREV_MAX, true), "canonical hwrev");
	}
	if (d.conf >= GATE_CONF_DESCRIBED) {
		gate_fuzz_check(rc_identity_check(&d.id) == 0, "build-level identity valid");
		/* the MAC's OUI (Hikvision's 44:47:cc) never makes a build-level identity */
		gate_fuzz_check(o->f[GF_MANUFACTURER].src != GS_NONE, "no build-level OUI vendor");
	} else
		gate_fuzz_check(d.id.fwver.n == 0, "no build below described");
	gate_fuzz_check(gate_identity(&d, al) == 0, "identity is stable");
	char e[256];
	struct gate_addr from = {.family = 4, .a = {192, 168, 1, 64}};
	if (o->f[GF_UPNP_URL].src &&
	    gate_url_check_upnp(o->f[GF_UPNP_URL].v, &from, e, sizeof(e)) == 0)
		gate_fuzz_check(!strncmp(o->f[GF_UPNP_URL].v + 7, "192.168.1.64", 12),
				"UPnP URL goes to the sender only");
	if (o->f[GF_MUD_URL].src && gate_url_check_mud(o->f[GF_MUD_URL].v, e, sizeof(e)) == 0) {
		const char *u = o->f[GF_MUD_URL].v;
		gate_fuzz_check(!strncasecmp(u, "https://", 8), "MUD URL is https");
		/* '@' may stand in the path, never in the authority (userinfo) */
		size_t an = strcspn(u + 8, "/?#");
		gate_fuzz_check(!memchr(u + 8, '@', an), "MUD URL without userinfo");
	}
}

#endif
