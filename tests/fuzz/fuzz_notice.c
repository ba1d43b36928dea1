/* libFuzzer target: notice payload decoder. Any input decodes or fails cleanly with a located
 * error; a decoded notice re-encodes to the same bytes (shorter only when it carried extension
 * keys), decodes again, and re-encodes identically. The input is also signed as a notice by a
 * one-key anchor set and run through rc_notice_check: its verdict must agree with the decoder
 * and with rc_notice_covers. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "recall/msg.h"
#include "recall/notice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t sk[RC_SK_LEN];
static struct rc_anchors anchors;

static void init(void)
{
	uint8_t seed[32], pk[1][RC_PK_LEN];
	memset(seed, 0x7c, sizeof(seed));
	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(pk[0], sk, seed);
	if (rc_anchors_init(&anchors, 1, 1, (const uint8_t(*)[RC_PK_LEN])pk, 1) != RC_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready)
		init(), ready = 1;
	static const uint8_t digest[RC_DIGEST_LEN] = {1, 2, 3};
	struct rc_identity id = {.vendor = rc_str_c("acme"),
				 .model = rc_str_c("cam-1"),
				 .hwrev = rc_str_c("a"),
				 .fwver = rc_str_c("1.0"),
				 .build_date = 150,
				 .has_build_date = true,
				 .has_digest = true};
	memcpy(id.digest, digest, sizeof(digest));
	struct rc_notice n, back, checked;
	struct rc_diag d;
	int derr = rc_notice_decode(&n, data, size, &d);
	if (derr != RC_OK && (!d.field || d.off > size))
		abort();
	bool covers = false;
	if (derr == RC_OK) {
		uint8_t out[RC_NOTICE_MAX], again[RC_NOTICE_MAX];
		size_t len, len2;
		if (rc_notice_encode(&n, out, sizeof(out), &len) != RC_OK || len > size)
			abort();
		if (len == size && memcmp(out, data, size) != 0)
			abort();
		if (rc_notice_decode(&back, out, len, NULL) != RC_OK ||
		    rc_notice_encode(&back, again, sizeof(again), &len2) != RC_OK || len2 != len ||
		    memcmp(again, out, len) != 0)
			abort();
		covers = rc_notice_covers(&n, &id);
	}
	uint8_t u[2048], msg[2048];
	size_t un, mn;
	if (rc_cose_encode_unsigned(u, sizeof(u), &un, RC_CT_NOTICE, data, size) != RC_OK)
		return 0;
	if (rc_cose_sign_add(msg, sizeof(msg), &mn, u, un, sk) != RC_OK)
		abort();
	if (mn > RC_NOTICE_MAX)
		return 0;
	int err = rc_notice_check(&checked, msg, mn, &anchors, &id, 0, false, NULL, &d);
	int want = derr != RC_OK ? derr : covers ? RC_OK : RC_ERR_NOTCOVERED;
	if (err != want)
		abort();
	return 0;
}
