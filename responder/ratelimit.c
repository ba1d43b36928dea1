/* Per-source-prefix token buckets in a fixed table per worker: 4-way set associative, keyed
 * by a seeded hash of the masked prefix, least recently used entry replaced when a set is
 * full. Allocated once; nothing allocated or locked per packet.
 *
 * The kernel spreads one prefix's packets over the workers (SO_REUSEPORT hashes the ports
 * too), so each worker allows rate/workers and burst/workers (at least one token): together
 * they allow about the configured rate. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "rd.h"

#define WAYS 4
#define UNIT 1000000ull /* utokens per token */

int rd_rl_init(struct rd_ratelimit *rl, size_t entries)
{
	size_t n = WAYS;
	while (n < entries)
		n <<= 1;
	memset(rl, 0, sizeof(*rl));
	rl->t = calloc(n, sizeof(*rl->t));
	if (!rl->t)
		return -1;
	rl->mask = n - 1;
	randombytes_buf(&rl->seed0, sizeof(rl->seed0));
	randombytes_buf(&rl->seed1, sizeof(rl->seed1));
	return 0;
}

void rd_rl_free(struct rd_ratelimit *rl)
{
	free(rl->t);
	rl->t = NULL;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	return x;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The source's prefix as 16 bytes (IPv4 mapped into ::ffff:0:0/96) with host bits cleared. */
static void prefix_key(int family, const uint8_t *addr, unsigned plen4, unsigned plen6,
		       uint8_t key[16])
{
	unsigned plen;
	memset(key, 0, 16);
	if (family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, addr, 4);
		plen = 96 + plen4;
	} else {
		memcpy(key, addr, 16);
		plen = plen6;
	}
	for (unsigned bit = plen; bit < 128; bit++)
		key[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

bool rd_rl_allow(struct rd_ratelimit *rl, const struct rd_config *cfg, unsigned nworkers,
		 int family, const uint8_t *addr, uint64_t now_ms, struct rd_counters *cnt)
{
	uint8_t key[16];
	prefix_key(family, addr, (unsigned)cfg->rl_prefix4, (unsigned)cfg->rl_prefix6, key);
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t h = mix(k0 ^ rl->seed0) ^ mix(k1 ^ rl->seed1 ^ 0x9e3779b97f4a7c15ull);
	struct rd_rl_entry *set = rl->t + ((size_t)h & rl->mask & ~(size_t)(WAYS - 1));
	uint64_t nw = nworkers ? nworkers : 1;
	uint64_t per_ms = cfg->rl_rate * (UNIT / 1000) / nw; /* utokens added per millisecond */
	uint64_t burst = cfg->rl_burst * UNIT / nw;
	if (burst < UNIT)
		burst = UNIT;
	if (now_ms == 0)
		now_ms = 1; /* 0 marks an empty entry */
	struct rd_rl_entry *e = NULL, *victim = set;
	for (size_t i = 0; i < WAYS; i++) {
		if (set[i].last_ms && set[i].k0 == k0 && set[i].k1 == k1) {
			e = &set[i];
			break;
		}
		if (set[i].last_ms < victim->last_ms)
			victim = &set[i];
	}
	if (!e) {
		if (victim->last_ms && cnt)
			rd_count(cnt, RD_C_RL_EVICT);
		e = victim;
		e->k0 = k0;
		e->k1 = k1;
		e->utokens = burst;
		e->last_ms = now_ms;
	} else if (now_ms > e->last_ms) {
		uint64_t dt = now_ms - e->last_ms;
		uint64_t add = per_ms && dt > burst / per_ms ? burst : dt * per_ms;
		e->utokens = e->utokens + add > burst ? burst : e->utokens + add;
		e->last_ms = now_ms;
	}
	if (e->utokens > burst)
		e->utokens = burst; /* the burst may have been lowered by a reload */
	if (e->utokens < UNIT)
		return false;
	e->utokens -= UNIT;
	return true;
}
