/* Per-worker decision cache: what the feed and the policy say about one device identity, so
 * that the many devices of one firmware build cost one notice lookup per state and validity
 * window instead of one per check-in. Direct-mapped, fixed size, allocated once. The key is a
 * 128-bit SipHash (libsodium crypto_shorthash_siphashx24) of the whole identity under a random
 * per-worker key; an entry counts only for the state generation that made it and until the
 * first time at which a notice it depends on starts or ends. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rd.h"

_Static_assert(crypto_shorthash_siphashx24_KEYBYTES == crypto_shorthash_siphashx24_KEYBYTES_,
	       "SipHash key size");
_Static_assert(crypto_shorthash_siphashx24_BYTES == RD_CACHE_KEY, "SipHash-128 output size");

int rd_cache_init(struct rd_cache *c, size_t entries)
{
	memset(c, 0, sizeof(*c));
	if (!entries)
		return 0;
	size_t n = 1;
	while (n < entries)
		n <<= 1;
	c->t = calloc(n, sizeof(*c->t));
	if (!c->t)
		return -1;
	c->mask = n - 1;
	randombytes_buf(c->key, sizeof(c->key));
	return 0;
}

void rd_cache_free(struct rd_cache *c)
{
	free(c->t);
	c->t = NULL;
}

static size_t put_str(uint8_t *p, struct rc_str s, size_t max)
{
	size_t n = s.n < max ? s.n : max;
	p[0] = (uint8_t)n;
	if (n)
		memcpy(p + 1, s.p, n);
	return n + 1;
}

void rd_cache_key(const struct rd_cache *c, const struct rc_identity *id,
		  uint8_t key[static RD_CACHE_KEY])
{
	/* length-prefixed fields: no two identities serialise alike */
	uint8_t buf[4 + RC_NAME_MAX * 2 + RC_HWREV_MAX + RC_FWVER_MAX + 1 + 8 + RC_DIGEST_LEN];
	size_t n = 0;
	n += put_str(buf + n, id->vendor, RC_NAME_MAX);
	n += put_str(buf + n, id->model, RC_NAME_MAX);
	n += put_str(buf + n, id->hwrev, RC_HWREV_MAX);
	n += put_str(buf + n, id->fwver, RC_FWVER_MAX);
	buf[n++] = (uint8_t)(id->has_build_date | id->has_digest << 1);
	if (id->has_build_date) {
		for (int i = 0; i < 8; i++)
			buf[n++] = (uint8_t)(id->build_date >> (8 * i));
	}
	if (id->has_digest) {
		memcpy(buf + n, id->digest, RC_DIGEST_LEN);
		n += RC_DIGEST_LEN;
	}
	crypto_shorthash_siphashx24(key, buf, n, c->key);
}

const struct rd_decision *rd_cache_get(const struct rd_cache *c, uint64_t gen,
				       const uint8_t key[static RD_CACHE_KEY], uint64_t now)
{
	if (!c->t)
		return NULL;
	const struct rd_cache_entry *e =
	    &c->t[(key[0] | (size_t)key[1] << 8 | (size_t)key[2] << 16 | (size_t)key[3] << 24) &
		  c->mask];
	if (e->gen != gen || now < e->d.valid_from || now >= e->d.valid_until ||
	    memcmp(e->key, key, RD_CACHE_KEY))
		return NULL;
	return &e->d;
}

void rd_cache_put(struct rd_cache *c, uint64_t gen, const uint8_t key[static RD_CACHE_KEY],
		  const struct rd_decision *d)
{
	if (!c->t)
		return;
	struct rd_cache_entry *e =
	    &c->t[(key[0] | (size_t)key[1] << 8 | (size_t)key[2] << 16 | (size_t)key[3] << 24) &
		  c->mask];
	e->gen = gen;
	memcpy(e->key, key, RD_CACHE_KEY);
	e->d = *d;
}
