/* mDNS / DNS-SD responses (RFC 6762, RFC 6763) with ldns: ldns_wire2pkt decodes the packet
 * (name compression, loops and lengths are ldns's job), this file only reads the decoded
 * records of the answer and additional sections:
 *   - TXT key=value strings (RFC 6763 section 6; keys case-insensitive):
 *       model:        md (HomeKit _hap, Google Cast _googlecast, Apple _device-info),
 *                     model (AirPlay _airplay/_raop), ty (IPP _ipp/_ipps: make and model),
 *                     usb_MDL (IPP), product (IPP/LPD: "(name)", parentheses removed)
 *       manufacturer: manufacturer, mfg, vendor, usb_MFG
 *       firmware:     fw, fwver, fw_ver, firmware, fv (AirPlay firmware)
 *     The first value of each field in the packet wins.
 *   - the instance name of the first TXT record's owner (its first label) as friendly name;
 *   - the host name of the first A/AAAA record's owner (its first label).
 * Queries (QR=0) carry nothing about the sender and give an empty observation. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "parse.h"

static const struct {
	const char *key;
	enum gate_field f;
} txt_keys[] = {
    {"md", GF_MODEL},
    {"model", GF_MODEL},
    {"ty", GF_MODEL},
    {"usb_MDL", GF_MODEL},
    {"product", GF_MODEL},
    {"manufacturer", GF_MANUFACTURER},
    {"mfg", GF_MANUFACTURER},
    {"vendor", GF_MANUFACTURER},
    {"usb_MFG", GF_MANUFACTURER},
    {"fw", GF_FWVER},
    {"fwver", GF_FWVER},
    {"fw_ver", GF_FWVER},
    {"firmware", GF_FWVER},
    {"fv", GF_FWVER},
};

/* First label of a decoded (uncompressed wire form) owner name. */
static int first_label(const ldns_rdf *name, const char **p, size_t *n)
{
	if (!name || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -1;
	const uint8_t *d = ldns_rdf_data(name);
	size_t sz = ldns_rdf_size(name);
	if (sz < 2 || d[0] == 0 || (size_t)d[0] + 1 > sz)
		return -1;
	*p = (const char *)d + 1;
	*n = d[0];
	return 0;
}

static int txt_string(const uint8_t *d, size_t sz, struct gate_obs *o, char *err, size_t errlen)
{
	if (sz < 1 || (size_t)d[0] + 1 != sz)
		return gate_err(err, errlen, "mDNS TXT: string length does not match");
	const char *s = (const char *)d + 1;
	size_t n = d[0];
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return 0; /* a boolean attribute (RFC 6763 6.4): nothing we use */
	size_t kn = (size_t)(eq - s);
	const char *v = eq + 1;
	size_t vn = n - kn - 1;
	for (size_t i = 0; i < sizeof(txt_keys) / sizeof(txt_keys[0]); i++) {
		const char *k = txt_keys[i].key;
		if (strlen(k) != kn || strncasecmp(k, s, kn))
			continue;
		if (o->f[txt_keys[i].f].src)
			return 0;
		if (!strcmp(k, "product") && vn >= 2 && v[0] == '(' && v[vn - 1] == ')') {
			v++;
			vn -= 2;
		}
		char what[32];
		snprintf(what, sizeof(what), "mDNS TXT %s", k);
		return gate_obs_set(o, txt_keys[i].f, GS_MDNS, v, vn, what, err, errlen);
	}
	return 0;
}

static int take_rr(const ldns_rr *rr, struct gate_obs *o, char *err, size_t errlen)
{
	const char *p;
	size_t n;
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_TXT:
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			const ldns_rdf *rd = ldns_rr_rdf(rr, i);
			if (!rd ||
			    txt_string(ldns_rdf_data(rd), ldns_rdf_size(rd), o, err, errlen) < 0)
				return -1;
		}
		if (!o->f[GF_FRIENDLY].src && first_label(ldns_rr_owner(rr), &p, &n) == 0)
			return gate_obs_set(o, GF_FRIENDLY, GS_MDNS, p, n, "mDNS instance name",
					    err, errlen);
		return 0;
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
		if (!o->f[GF_HOSTNAME].src && first_label(ldns_rr_owner(rr), &p, &n) == 0)
			return gate_obs_set(o, GF_HOSTNAME, GS_MDNS, p, n, "mDNS host name", err,
					    errlen);
		return 0;
	default:
		return 0;
	}
}

int gate_mdns_parse(const uint8_t *pkt, size_t len, struct gate_obs *o, char *err, size_t errlen)
{
	gate_obs_init(o);
	if (!pkt || len < 12)
		return gate_err(err, errlen, "mDNS: %zu bytes, shorter than a DNS header", len);
	if (len > GATE_MDNS_MAX)
		return gate_err(err, errlen, "mDNS: %zu bytes, more than %d", len, GATE_MDNS_MAX);
	ldns_pkt *p = NULL;
	ldns_status st = ldns_wire2pkt(&p, pkt, len);
	if (st != LDNS_STATUS_OK)
		return gate_err(err, errlen, "mDNS: %s", ldns_get_errorstr_by_id(st));
	int r = 0;
	if (ldns_pkt_qr(p)) {
		const ldns_rr_list *sec[2] = {ldns_pkt_answer(p), ldns_pkt_additional(p)};
		for (int s = 0; s < 2 && r == 0; s++)
			for (size_t i = 0; sec[s] && i < ldns_rr_list_rr_count(sec[s]) && r == 0;
			     i++)
				r = take_rr(ldns_rr_list_rr(sec[s], i), o, err, errlen);
	}
	ldns_pkt_free(p);
	if (r < 0)
		gate_obs_init(o);
	return r;
}
