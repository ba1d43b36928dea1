/* recalld's check-in cache (responder/cache.c): a datagram is answered from the cache only if
 * it equals a check-in decoded before in every byte but the nonce's content, so a responder
 * with the cache answers every datagram exactly as one without it; what a cached check-in
 * decodes to is what the decoder gives; the cache holds the newest check-ins of each place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "probe/rdworld.h"

static const uint8_t SRC4[4] = {192, 0, 2, 10};

struct pair {
	struct world w;          /* w.x: with the cache */
	struct rd_ctx plain;     /* no cache */
	struct rd_counters pcnt; /* plain's counters */
	uint8_t out[2][RC_ANSWER_MAX];
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	world_init(&p->w);
	p->w.o.nnotices = 4;
	if (rd_cache_init(&p->w.x.cache, 8) || world_load(&p->w, "ratelimit = no\n", NULL))
		return -1;
	p->plain = p->w.x;
	memset(&p->plain.cache, 0, sizeof(p->plain.cache));
	p->plain.cnt = &p->pcnt;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;
	rd_cache_free(&p->w.x.cache);
	world_free(&p->w);
	free(p);
	return 0;
}

/* Answer req with and without the cache: the same length and bytes, the same drops. */
static size_t both(struct pair *p, const uint8_t *req, size_t len)
{
	size_t a = rd_answer(&p->w.x, p->w.st, AF_INET, SRC4, 40000, req, len, p->out[0]);
	size_t b = rd_answer(&p->plain, p->w.st, AF_INET, SRC4, 40000, req, len, p->out[1]);
	assert_int_equal(a, b);
	if (a)
		assert_memory_equal(p->out[0], p->out[1], a);
	for (int c = RD_C_RX; c <= RD_C_DROP_SEND; c++)
		assert_int_equal(ctr(&p->w, (enum rd_ctr)c), atomic_load(&p->pcnt.c[c]));
	return a;
}

/* Every one-byte change of a cached check-in is answered as the decoder says: the cache never
 * answers for bytes it has not seen decoded (a changed nonce byte is still the same check-in). */
static void test_one_byte_changes(void **state)
{
	struct pair *p = *state;
	static const char *const models[] = {"cam-1", "cam-9"}; /* recalled, clear */
	uint8_t req[RC_CHECKIN_SIZE], mut[RC_CHECKIN_SIZE];
	for (size_t m = 0; m < 2; m++) {
		world_checkin(req, models[m], "1.2.3", 2, 7);
		assert_true(both(p, req, sizeof(req)) > 0);
		uint64_t hits = ctr(&p->w, RD_C_CACHE_HIT);
		assert_true(both(p, req, sizeof(req)) > 0);
		assert_int_equal(ctr(&p->w, RD_C_CACHE_HIT), hits + 1);
		static const uint8_t flips[] = {0x01, 0x20, 0x80, 0xff};
		for (size_t i = 0; i < sizeof(req); i++) {
			for (size_t f = 0; f < sizeof(flips); f++) {
				memcpy(mut, req, sizeof(req));
				mut[i] ^= flips[f];
				size_t n = both(p, mut, sizeof(mut));
				if (i >= 7 && i < 7 + RC_NONCE_LEN)
					assert_true(n > 0); /* a nonce byte: still a check-in */
				assert_true(both(p, req, sizeof(req)) > 0);
			}
		}
	}
	assert_true(ctr(&p->w, RD_C_CACHE_HIT) > 2 * sizeof(req));
	assert_true(ctr(&p->w, RD_C_DROP_MALFORMED) > sizeof(req));
}

/* Every answer from the cache carries its own request's nonce. */
static void test_nonce_echo(void **state)
{
	struct pair *p = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	for (int i = 0; i < 50; i++) {
		world_checkin(req, i % 2 ? "cam-2" : "cam-3", "1.2.3", 2, (uint8_t)i);
		for (int k = 0; k < RC_NONCE_LEN; k++)
			req[7 + k] = (uint8_t)(i * 31 + k);
		size_t n = both(p, req, sizeof(req));
		assert_int_equal(rc_answer_decode(&a, p->out[0], n, NULL), RC_OK);
		assert_memory_equal(a.nonce, req + 7, RC_NONCE_LEN);
		assert_int_equal(a.type, RC_MSG_RECALLED);
	}
	assert_true(ctr(&p->w, RD_C_CACHE_HIT) >= 48);
}

/* What a cached check-in decodes to equals the decoder's result, for identities with and
 * without build date and digest; check-ins too long to keep are answered, never cached. */
static void test_fields(void **state)
{
	struct pair *p = *state;
	struct rd_cache *c = &p->w.x.cache;
	char longname[RC_NAME_MAX + 1];
	memset(longname, 'x', RC_NAME_MAX);
	longname[RC_NAME_MAX] = 0;
	for (int v = 0; v < 4; v++) {
		struct rc_checkin ck, dec, got;
		uint8_t req[RC_CHECKIN_SIZE];
		memset(&ck, 0, sizeof(ck));
		memset(ck.nonce, 0x5a, RC_NONCE_LEN);
		fx_identity(&ck.id);
		ck.reason = RC_REASON_BOOT;
		ck.anchor_epoch = 2;
		ck.id.has_build_date = v & 1;
		ck.id.build_date = 1700000000u + (uint64_t)v;
		ck.id.has_digest = (v & 2) != 0;
		for (int k = 0; k < RC_DIGEST_LEN; k++)
			ck.id.digest[k] = (uint8_t)(k * 7 + v);
		assert_int_equal(rc_checkin_encode(&ck, req), RC_OK);
		assert_int_equal(rc_checkin_decode(&dec, req, sizeof(req), NULL), RC_OK);
		struct rd_cache_probe pr;
		assert_true(rd_cache_probe(c, req, sizeof(req), &pr));
		assert_null(rd_cache_find(c, &pr, req));
		assert_non_null(rd_cache_add(c, &pr, req, &dec));
		req[10] ^= 0x33; /* another nonce */
		assert_true(rd_cache_probe(c, req, sizeof(req), &pr));
		const struct rd_cache_entry *e = rd_cache_find(c, &pr, req);
		assert_non_null(e);
		rd_cache_checkin(e, req, &got);
		assert_int_equal(rc_checkin_decode(&dec, req, sizeof(req), NULL), RC_OK);
		assert_memory_equal(got.nonce, dec.nonce, RC_NONCE_LEN);
		assert_int_equal(got.reason, dec.reason);
		assert_int_equal(got.state, dec.state);
		assert_int_equal(got.anchor_epoch, dec.anchor_epoch);
		assert_true(rc_str_eq(got.id.vendor, dec.id.vendor));
		assert_true(rc_str_eq(got.id.model, dec.id.model));
		assert_true(rc_str_eq(got.id.hwrev, dec.id.hwrev));
		assert_true(rc_str_eq(got.id.fwver, dec.id.fwver));
		assert_int_equal(got.id.has_build_date, dec.id.has_build_date);
		assert_int_equal(got.id.build_date, dec.id.build_date);
		assert_int_equal(got.id.has_digest, dec.id.has_digest);
		assert_memory_equal(got.id.digest, dec.id.digest, RC_DIGEST_LEN);
		/* the longest identity does not fit an entry: decoded every time */
		ck.id.vendor = ck.id.model = ck.id.fwver = rc_str_c(longname);
		assert_int_equal(rc_checkin_encode(&ck, req), RC_OK);
		assert_false(rd_cache_probe(c, req, sizeof(req), &pr));
		uint64_t miss = ctr(&p->w, RD_C_CACHE_MISS);
		assert_true(both(p, req, sizeof(req)) > 0);
		assert_true(both(p, req, sizeof(req)) > 0);
		assert_int_equal(ctr(&p->w, RD_C_CACHE_MISS), miss + 2);
	}
}

/* A full cache keeps the newest check-ins: with 8 entries, the last few of many distinct
 * check-ins are found, the first ones were replaced, and all are answered alike. */
static void test_replacement(void **state)
{
	struct pair *p = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	char fw[16];
	for (int i = 0; i < 64; i++) {
		snprintf(fw, sizeof(fw), "2.%d", i);
		world_checkin(req, "cam-4", fw, 2, (uint8_t)i);
		assert_true(both(p, req, sizeof(req)) > 0);
	}
	uint64_t hits = ctr(&p->w, RD_C_CACHE_HIT);
	world_checkin(req, "cam-4", "2.63", 2, 1);
	assert_true(both(p, req, sizeof(req)) > 0);
	assert_int_equal(ctr(&p->w, RD_C_CACHE_HIT), hits + 1);
	world_checkin(req, "cam-4", "2.0", 2, 1);
	assert_true(both(p, req, sizeof(req)) > 0);
	assert_int_equal(ctr(&p->w, RD_C_CACHE_HIT), hits + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_byte_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonce_echo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replacement, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
