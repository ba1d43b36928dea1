/* The inventory store: every LAN device keyed by its MAC address, each field with its source.
 *
 * Merging: an observation names its device by MAC (neighbour table, DHCP, fetched files) or
 * only by the address it came from (SSDP, mDNS, announcements: has_mac = false), which is
 * resolved through the addresses the store already holds; the store never takes a MAC from a
 * packet's body. A field is replaced by a source of the same or a higher rank (G1's
 * gate_src_rank: agent = owner = MUD > UPnP = mDNS > SSDP > DHCP > OUI, neighbour), or by any
 * source once the old value has not been repeated for a day (the owner's value never goes
 * stale: a device that stopped announcing should not pin its old claim forever). An address belongs
 * to one device: observed for another MAC, it moves there. Randomised MACs (locally administered
 * bit) are ordinary keys: a phone that changes its MAC is a new device and the old entry ages out.
 * When the table is full the device unseen longest among the absent ones is evicted, never one that
 * is recalled or quarantined; with no such device a new MAC is refused (counted) rather than
 * pushing out a present device. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gated.h"
#include "inv_int.h"
#include "parse.h"

#define FIELD_STALE_S 86400 /* a value not repeated for a day yields to any source */

static const char *const src_names[GS__N] = {"none", "neigh", "dhcp",  "dhcp6", "mdns", "ssdp",
					     "upnp", "mud",   "agent", "oui",   "owner"};
static const char *const field_names[GF__N] = {
    "hostname", "vendor_class", "dhcp_prl",    "mud_url", "manufacturer",
    "model",    "model_number", "hwrev",       "fwver",   "friendly_name",
    "upnp_url", "agent_state",  "agent_notice"};
static const char *const conf_names[] = {"unknown", "model", "described", "declared"};
static const char *const state_names[] = {"unchecked", "clear",       "possible",
					  "recalled",  "quarantined", "agent_quarantine"};
static const char *const policy_names[] = {"enforce", "notify", "allow"};
#define NAME_OF(tab, i) ((i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")
const char *gate_src_name(unsigned s)
{
	return NAME_OF(src_names, s);
}
const char *gate_field_name(unsigned f)
{
	return NAME_OF(field_names, f);
}
const char *gate_conf_name(unsigned c)
{
	return NAME_OF(conf_names, c);
}
const char *gate_state_name(unsigned s)
{
	return NAME_OF(state_names, s);
}
const char *gate_policy_name(unsigned p)
{
	return NAME_OF(policy_names, p);
}

static int inv_name_index(const char *const *tab, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tab[i], s))
			return (int)i;
	return -1;
}
int inv_src_index(const char *s)
{
	return inv_name_index(src_names, GS__N, s);
}
int inv_field_index(const char *s)
{
	return inv_name_index(field_names, GF__N, s);
}
int inv_state_index(const char *s)
{
	return inv_name_index(state_names, sizeof(state_names) / sizeof(state_names[0]), s);
}
int inv_policy_index(const char *s)
{
	return inv_name_index(policy_names, sizeof(policy_names) / sizeof(policy_names[0]), s);
}

struct gate_inv *gate_inv_new(uint64_t absent_after_s)
{
	struct gate_inv *inv = calloc(1, sizeof(*inv));
	if (!inv)
		return NULL;
	/* calloc: pages of the table the home never fills are not touched (RSS). */
	inv->dev = calloc(GATE_DEVICES_MAX, sizeof(*inv->dev));
	if (!inv->dev) {
		free(inv);
		return NULL;
	}
	inv->absent_after = absent_after_s;
	return inv;
}

void gate_inv_free(struct gate_inv *inv)
{
	if (!inv)
		return;
	free(inv->dev);
	free(inv);
}

size_t gate_inv_count(const struct gate_inv *inv)
{
	return inv->n;
}

struct gate_device *gate_inv_at(struct gate_inv *inv, size_t i)
{
	return i < inv->n ? &inv->dev[i] : NULL;
}

struct gate_device *gate_inv_find(struct gate_inv *inv, const uint8_t mac[6])
{
	for (size_t i = 0; i < inv->n; i++)
		if (!memcmp(inv->dev[i].mac, mac, 6))
			return &inv->dev[i];
	return NULL;
}

static bool addr_eq(const struct gate_addr *a, const struct gate_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, a->family == 4 ? 4 : 16);
}

static bool addr_ok(const struct gate_addr *a)
{
	return a->family == 4 || a->family == 6;
}

struct gate_device *gate_inv_by_addr(struct gate_inv *inv, const struct gate_addr *a)
{
	struct gate_device *best = NULL;
	uint64_t best_seen = 0;
	if (!addr_ok(a))
		return NULL;
	for (size_t i = 0; i < inv->n; i++)
		for (uint32_t j = 0; j < inv->dev[i].naddr; j++)
			if (addr_eq(&inv->dev[i].addr[j], a) &&
			    (!best || inv->dev[i].addr[j].seen > best_seen)) {
				best = &inv->dev[i];
				best_seen = inv->dev[i].addr[j].seen;
			}
	return best;
}

bool gate_inv_absent(const struct gate_inv *inv, const struct gate_device *d, uint64_t now)
{
	return now > d->last_seen && now - d->last_seen > inv->absent_after;
}

void gate_inv_touch(struct gate_inv *inv)
{
	inv->dirty = true;
}

bool gate_inv_dirty(const struct gate_inv *inv)
{
	return inv->dirty;
}

bool gate_inv_seen_dirty(const struct gate_inv *inv)
{
	return inv->seen_dirty;
}

const struct gate_inv_stats *gate_inv_stats(const struct gate_inv *inv)
{
	return &inv->st;
}

static bool keeps_state(const struct gate_device *d)
{
	return d->state == GATE_ST_RECALLED || d->state == GATE_ST_QUARANTINED ||
	       d->state == GATE_ST_AGENT_QUAR;
}

/* A slot for a new MAC: free, or the oldest absent device that holds no recall state. */
static struct gate_device *inv_slot(struct gate_inv *inv, uint64_t now)
{
	if (inv->n < GATE_DEVICES_MAX)
		return &inv->dev[inv->n++];
	struct gate_device *old = NULL;
	for (size_t i = 0; i < inv->n; i++) {
		struct gate_device *d = &inv->dev[i];
		if (gate_inv_absent(inv, d, now) && !keeps_state(d) &&
		    (!old || d->last_seen < old->last_seen))
			old = d;
	}
	if (!old) {
		inv->st.full++;
		return NULL;
	}
	inv->st.evicted++;
	memset(old, 0, sizeof(*old));
	return old;
}

/* Remove address a from every device but keep; true if one lost it. */
static struct gate_device *addr_take(struct gate_inv *inv, const struct gate_addr *a,
				     const struct gate_device *keep)
{
	struct gate_device *lost = NULL;
	for (size_t i = 0; i < inv->n; i++) {
		struct gate_device *d = &inv->dev[i];
		if (d == keep)
			continue;
		for (uint32_t j = 0; j < d->naddr; j++) {
			if (!addr_eq(&d->addr[j], a))
				continue;
			memmove(&d->addr[j], &d->addr[j + 1],
				(d->naddr - j - 1) * sizeof(d->addr[0]));
			d->naddr--;
			lost = d;
			break;
		}
	}
	return lost;
}

/* Record an address on d: refresh it, or add it (replacing the oldest when full). */
static bool addr_put(struct gate_device *d, const struct gate_addr *a, uint64_t now)
{
	for (uint32_t j = 0; j < d->naddr; j++)
		if (addr_eq(&d->addr[j], a)) {
			d->addr[j].seen = now;
			return false;
		}
	uint32_t k = d->naddr;
	if (k == GATE_ADDRS_MAX) {
		k = 0;
		for (uint32_t j = 1; j < d->naddr; j++)
			if (d->addr[j].seen < d->addr[k].seen)
				k = j;
	} else {
		d->naddr++;
	}
	d->addr[k] = *a;
	if (a->family == 4)
		memset(d->addr[k].a + 4, 0, 12);
	d->addr[k].seen = now;
	return true;
}

/* Merge one field; returns true if its value or source changed. */
static bool field_merge(struct gate_val *cur, const struct gate_val *in, uint64_t now)
{
	if (in->src == GS_NONE || in->src >= GS__N)
		return false;
	size_t n = strnlen(in->v, sizeof(in->v));
	if (n == sizeof(in->v))
		return false; /* not terminated: a parser bug, never stored */
	bool stale = cur->src != GS_OWNER && cur->seen + FIELD_STALE_S < now;
	if (cur->src != GS_NONE &&
	    gate_src_rank((enum gate_src)in->src) < gate_src_rank((enum gate_src)cur->src) &&
	    !stale)
		return false;
	bool changed = cur->src != in->src || strcmp(cur->v, in->v) != 0;
	memcpy(cur->v, in->v, n + 1);
	cur->src = in->src;
	cur->seen = now;
	return changed;
}

struct gate_device *gate_inv_observe_ex(struct gate *g, const struct gate_obs *o, unsigned *chg,
					struct gate_device **moved)
{
	struct gate_inv *inv = g->inv;
	uint64_t now = g->now;
	unsigned c = 0;
	struct gate_device *d;
	if (chg)
		*chg = 0;
	if (moved)
		*moved = NULL;
	if (o->has_mac) {
		static const uint8_t zero[6];
		/* Multicast/broadcast or all-zero: not a device's own address. */
		if ((o->mac[0] & 1) || !memcmp(o->mac, zero, 6)) {
			inv->st.refused_mac++;
			return NULL;
		}
		d = gate_inv_find(inv, o->mac);
		if (!d) {
			d = inv_slot(inv, now);
			if (!d)
				return NULL;
			memcpy(d->mac, o->mac, 6);
			d->mac_random = (o->mac[0] & 2) != 0;
			d->first_seen = now;
			d->policy = g->cfg.default_policy;
			c |= GATE_CHG_NEW;
		}
	} else {
		d = gate_inv_by_addr(inv, &o->addr);
		if (!d) {
			inv->st.unresolved++;
			return NULL;
		}
	}
	inv->st.observed++;
	d->last_seen = now;
	if (addr_ok(&o->addr)) {
		/* Only a MAC-keyed source (kernel, DHCP server) may move an address between
		 * devices; an address-resolved observation found d by this very address. */
		if (o->has_mac) {
			struct gate_device *lost = addr_take(inv, &o->addr, d);
			if (lost) {
				if (moved)
					*moved = lost;
				c |= GATE_CHG_ADDR;
			}
		}
		if (addr_put(d, &o->addr, now))
			c |= GATE_CHG_ADDR;
	}
	for (unsigned i = 0; i < GF__N; i++) {
		if (!field_merge(&d->f[i], &o->f[i], now))
			continue;
		c |= GATE_CHG_FIELD;
		if (i == GF_UPNP_URL)
			c |= GATE_CHG_UPNP;
		if (i == GF_MUD_URL)
			c |= GATE_CHG_MUD;
	}
	if (c)
		inv->dirty = true;
	else
		inv->seen_dirty = true;
	if (chg)
		*chg = c;
	return d;
}

struct gate_device *gate_inv_observe(struct gate *g, const struct gate_obs *o)
{
	return gate_inv_observe_ex(g, o, NULL, NULL);
}

void gate_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int gate_addr_parse(const char *s, struct gate_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = 6;
		return 0;
	}
	return -1;
}

void gate_addr_format(const struct gate_addr *a, char *out, size_t cap)
{
	if (!addr_ok(a) ||
	    !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, out, (socklen_t)cap))
		snprintf(out, cap, "?");
}
