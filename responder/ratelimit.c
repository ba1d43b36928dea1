/* Per-source-prefix token buckets in a fixed table per worker: 4-way set associative, keyed
 * by a seeded hash of the masked prefix. Allocated once; nothing allocated or locked per
 * packet.
 *
 * Eviction must not reward an attacker: a prefix that gets a new entry starts with a full
 * bucket, so if any entry could be replaced, spoofed check-ins from other prefixes (cheap: the
 * source is forged) would push a limited victim out of its set and hand it a fresh burst. So
 * only an entry whose bucket has refilled completely by now (idle: exactly what a new entry
 * would hold, nothing is forgotten) is replaced, the least recently seen of those first.
 * A prefix that finds its set full of active entries gets no entry: it takes tokens from the
 * set's shared overflow bucket (rate and burst of one prefix), which can only limit more,
 * never less; it is counted (recalld_ratelimit_overflow_total) and said in a rate-limited log
 * line. Keeping every set full of active entries takes a flood touching every entry of the
 * table at least once per 1/rate seconds.
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
	rl->over = calloc(n / WAYS, sizeof(*rl->over));
	if (!rl->t || !rl->over) {
		rd_rl_free(rl);
		return -1;
	}
	rl->mask = n - 1;
	randombytes_buf(&rl->seed0, sizeof(rl->seed0));
	randombytes_buf(&rl->seed1, sizeof(rl->seed1));
	return 0;
}

void rd_rl_free(struct rd_ratelimit *rl)
{
	free(rl->t);
	free(rl->over);
	rl->t = NULL;
	rl->over = NULL;
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

/* Tokens of a bucket at now_ms (never above burst). last_ms 0: never used, full. */
static uint64_t refilled(uint64_t utokens, uint64_t last_ms, uint64_t now_ms, uint64_t per_ms,
			 uint64_t burst)
{
	if (!last_ms)
		return burst;
	if (now_ms > last_ms) {
		uint64_t dt = now_ms - last_ms;
		uint64_t add = per_ms && dt > burst / per_ms ? burst : dt * per_ms;
		utokens = utokens + add > burst ? burst : utokens + add;
	}
	return utokens > burst ? burst : utokens; /* the burst may have been lowered by a reload */
}

bool rd_rl_allow(struct rd_ratelimit *rl, const struct rd_config *cfg, unsigned nworkers,
		 int family, const uint8_t *addr, uint64_t now_ms, struct rd_counters *cnt)
{
	uint8_t key[16];
	prefix_key(family, addr, (unsigned)cfg->rl_prefix4, (unsigned)cfg->rl_prefix6, key);
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t h = mix(k0 ^ rl->seed0) ^ mix(k1 ^ rl->seed1 ^ 0x9e3779b97f4a7c15ull);
	size_t first = (size_t)h & rl->mask & ~(size_t)(WAYS - 1);
	struct rd_rl_entry *set = rl->t + first;
	uint64_t nw = nworkers ? nworkers : 1;
	uint64_t per_ms = cfg->rl_rate * (UNIT / 1000) / nw; /* utokens added per millisecond */
	uint64_t burst = cfg->rl_burst * UNIT / nw;
	if (burst < UNIT)
		burst = UNIT;
	if (now_ms == 0)
		now_ms = 1; /* 0 marks an empty entry */
	struct rd_rl_entry *e = NULL, *victim = NULL;
	for (size_t i = 0; i < WAYS; i++) {
		struct rd_rl_entry *x = &set[i];
		if (x->last_ms && x->k0 == k0 && x->k1 == k1) {
			e = x;
			break;
		}
		/* replaceable: empty, or idle (its bucket full again); empty first, then the least
		 * recently seen */
		if (x->last_ms && refilled(x->utokens, x->last_ms, now_ms, per_ms, burst) < burst)
			continue;
		if (!victim || (victim->last_ms && x->last_ms < victim->last_ms))
			victim = x;
	}
	uint64_t *tokens, *last;
	if (e) {
		tokens = &e->utokens;
		last = &e->last_ms;
	} else if (victim) {
		if (victim->last_ms && cnt)
			rd_count(cnt, RD_C_RL_EVICT);
		e = victim;
		e->k0 = k0;
		e->k1 = k1;
		e->utokens = burst; /* what the idle entry it replaces held */
		e->last_ms = now_ms;
		tokens = &e->utokens;
		last = &e->last_ms;
	} else {
		/* every entry of the set is in use: no entry, the set's shared bucket */
		struct rd_rl_bucket *o = &rl->over[first / WAYS];
		if (cnt)
			rd_count(cnt, RD_C_RL_OVERFLOW);
		if (rl->log)
			log_warnx_rl(rl->log,
				     "rate limit: a set of the table is full of active prefixes; "
				     "new prefixes share its overflow bucket (ratelimit-table too "
				     "small for the traffic, or a flood of spoofed sources)");
		tokens = &o->utokens;
		last = &o->last_ms;
	}
	*tokens = refilled(*tokens, *last, now_ms, per_ms, burst);
	if (now_ms > *last)
		*last = now_ms;
	if (*tokens < UNIT)
		return false;
	*tokens -= UNIT;
	return true;
}
