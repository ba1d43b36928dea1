/* The inventory store's layout, shared by inventory.c (merging) and store.c (JSON). */
#ifndef RECALL_GATE_INV_INT_H
#define RECALL_GATE_INV_INT_H

#include "gated.h"

struct gate_inv {
	struct gate_device *dev; /* GATE_DEVICES_MAX slots, n used */
	size_t n;
	uint64_t absent_after; /* seconds */
	bool dirty;            /* a device, field, address or state changed: write soon */
	bool seen_dirty; /* only times of sightings changed: write now and then (flash wear) */
	struct gate_inv_stats st;
};

/* Index of a name in the tables of inventory.c, or -1. */
int inv_src_index(const char *s);
int inv_field_index(const char *s);
int inv_state_index(const char *s);
int inv_policy_index(const char *s);

#endif
