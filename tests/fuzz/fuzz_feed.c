/* Fuzz rc_feed_open, rc_feed_verify_notices, rc_feed_notice and rc_feed_lookup on arbitrary
 * bytes. Each input is tried twice: as it is (signature and all), and re-signed with the fixed
 * test feed key (seed 0x77..., as in test_feed.c), so that mutations get past the signature to
 * the structure checks, the index and the lookups. Seeds: feeds written by test_feed
 * (RECALL_FEED_SEEDS=DIR). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "recall/feed.h"
#include "recall/msg.h"

static uint8_t fpk[RC_PK_LEN], fsk[RC_SK_LEN];
static struct rc_anchors anchors;

static void init(void)
{
	uint8_t seed[32], pks[3][RC_PK_LEN], sk[RC_SK_LEN];
	if (sodium_init() < 0)
		abort();
	for (int i = 0; i < 3; i++) {
		memset(seed, i + 1, sizeof(seed));
		crypto_sign_seed_keypair(pks[i], sk, seed);
	}
	memset(seed, 0x77, sizeof(seed));
	crypto_sign_seed_keypair(fpk, fsk, seed);
	if (rc_anchors_init(&anchors, 1, 2, (const uint8_t(*)[RC_PK_LEN])pks, 3) != RC_OK)
		abort();
}

/* Everything a responder does with an opened feed. */
static void exercise(const struct rc_feed *f)
{
	size_t bad = 0;
	(void)rc_feed_verify_notices(f, &anchors, &bad);
	(void)rc_feed_check_time(f, 1500);
	struct rc_identity id;
	memset(&id, 0, sizeof(id));
	id.vendor = rc_str_c("acme"), id.model = rc_str_c("cam-1"), id.fwver = rc_str_c("1.0");
	const uint8_t *p;
	size_t len;
	struct rc_notice n;
	(void)rc_feed_lookup(f, &id, &p, &len, &n);
	(void)rc_feed_lookup_at(f, &id, 1500, &p, &len, NULL);
	/* Look up each of the first notices' own identities. */
	for (uint32_t i = 0; i < f->nnotices && i < 32; i++) {
		struct rc_cose_sign m;
		if (rc_feed_notice(f, i, &p, &len) != RC_OK)
			abort(); /* every index below nnotices must be readable */
		if (p < f->base || p + len > f->base + f->len)
			abort();
		if (rc_cose_decode(&m, p, len, NULL) ||
		    rc_notice_decode(&n, m.payload, m.payload_len, NULL))
			continue;
		id.vendor = n.target.vendor, id.model = n.target.model;
		id.fwver = n.target.nversions ? n.target.versions[0] : rc_str_c("1.0");
		struct rc_notice got;
		if (rc_feed_lookup(f, &id, &p, &len, &got) &&
		    (p < f->base || p + len > f->base + f->len || !rc_notice_covers(&got, &id)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		init();
		ready = 1;
	}
	struct rc_feed f;
	struct rc_diag d;
	if (rc_feed_open(&f, data, size, fpk, &d) == RC_OK)
		exercise(&f);
	if (rc_feed_parse(&f, data, size, &d) == RC_OK)
		exercise(&f);
	if (size < RC_FEED_SIG_LEN || size > (1u << 20))
		return 0;
	uint8_t *copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	crypto_sign_detached(copy + size - RC_FEED_SIG_LEN, NULL, copy, size - RC_FEED_SIG_LEN,
			     fsk);
	if (rc_feed_open(&f, copy, size, fpk, &d) == RC_OK)
		exercise(&f);
	free(copy);
	return 0;
}
