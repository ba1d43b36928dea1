/* All Wycheproof Ed25519 vectors (tests/data/wycheproof/ed25519_test.json, 151 tests) must get
 * their expected verdict from rc_ed25519_verify, the primitive under every COSE signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "recall/cose.h"
#include "testutil.h"

#define MSG_MAX 1024

struct tally {
	int total, valid, invalid, wrong;
};

/* Run one vector; a signature of the wrong length is rejected before verification, as our
 * COSE decoder does (RC_ERR_SIZE), and counts as "invalid". */
static void run_vector(const uint8_t pk[32], json_t *t, struct tally *c)
{
	const char *msg_hex, *sig_hex, *result;
	json_int_t id;
	assert_int_equal(json_unpack(t, "{s:I, s:s, s:s, s:s}", "tcId", &id, "msg", &msg_hex, "sig",
				     &sig_hex, "result", &result),
			 0);
	static uint8_t msg[MSG_MAX];
	uint8_t sig[128];
	long mn = tu_unhex(msg, sizeof(msg), msg_hex);
	long sn = tu_unhex(sig, sizeof(sig), sig_hex);
	assert_true(mn >= 0);
	bool want = strcmp(result, "valid") == 0;
	assert_true(want || strcmp(result, "invalid") == 0);
	bool got = sn == RC_SIG_LEN && rc_ed25519_verify(sig, msg, (size_t)mn, pk) == RC_OK;
	c->total++;
	if (want)
		c->valid++;
	else
		c->invalid++;
	if (got != want) {
		c->wrong++;
		printf("tcId %lld: expected %s, got %s\n", (long long)id, result,
		       got ? "valid" : "invalid");
	}
}

static void test_wycheproof_ed25519(void **state)
{
	size_t n;
	char *text = tu_read_data("wycheproof/ed25519_test.json", &n);
	json_error_t e;
	json_t *root = json_loadb(text, n, 0, &e);
	free(text);
	if (!root)
		fail_msg("ed25519_test.json: %s", e.text);
	json_int_t declared;
	json_t *groups;
	assert_int_equal(
	    json_unpack(root, "{s:I, s:o}", "numberOfTests", &declared, "testGroups", &groups), 0);
	struct tally c = {0};
	size_t gi;
	json_t *g;
	json_array_foreach(groups, gi, g)
	{
		const char *pk_hex;
		json_t *tests;
		assert_int_equal(
		    json_unpack(g, "{s:{s:s}, s:o}", "publicKey", "pk", &pk_hex, "tests", &tests),
		    0);
		uint8_t pk[32];
		assert_int_equal(tu_unhex(pk, sizeof(pk), pk_hex), 32);
		size_t ti;
		json_t *t;
		json_array_foreach(tests, ti, t) run_vector(pk, t, &c);
	}
	printf("wycheproof ed25519: %d vectors (%d valid, %d invalid), %d wrong verdicts\n",
	       c.total, c.valid, c.invalid, c.wrong);
	assert_int_equal(c.total, 151);
	assert_int_equal(c.total, (int)declared);
	assert_int_equal(c.wrong, 0);
	json_decref(root);
}

/* The verifier must be able to say no: a valid vector with one flipped bit fails. */
static void test_flip_fails(void **state)
{
	uint8_t pk[32], sig[64];
	tu_unhex(pk, 32, "7d4d0e7f6153a69b6242b522abbee685fda4420f8834b108c3bdae369ef549fa");
	tu_unhex(sig, 64,
		 "d4fbdb52bfa726b44d1786a8c0d171c3e62ca83c9e5bbe63de0bb2483f8fd6cc"
		 "1429ab72cafc41ab56af02ff8fcc43b99bfe4c7ae940f60f38ebaa9d311c4007");
	assert_int_equal(rc_ed25519_verify(sig, NULL, 0, pk), RC_OK);
	for (int bit = 0; bit < 512; bit += 7) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(rc_ed25519_verify(sig, NULL, 0, pk), RC_ERR_SIG);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	uint8_t one = 0;
	assert_int_equal(rc_ed25519_verify(sig, &one, 1, pk), RC_ERR_SIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wycheproof_ed25519),
	    cmocka_unit_test(test_flip_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
