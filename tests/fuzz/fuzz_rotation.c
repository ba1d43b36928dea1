/* libFuzzer target: rotation-statement payload decoder. Any input decodes or fails cleanly
 * with a located error; a decoded payload re-encodes to the same bytes (shorter only when it
 * carried extension keys) and decodes again to the same value. The input is also signed as a
 * rotation statement by a one-key set at the payload's from_epoch: rc_anchors_rotate must then
 * succeed exactly when the payload decodes, and install the decoded next set. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "recall/anchors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t sk[RC_SK_LEN];
static struct rc_anchors cur;

static void init(void)
{
	uint8_t seed[32], pk[1][RC_PK_LEN];
	memset(seed, 0x6b, sizeof(seed));
	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(pk[0], sk, seed);
	if (rc_anchors_init(&cur, 0, 1, (const uint8_t(*)[RC_PK_LEN])pk, 1) != RC_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready)
		init(), ready = 1;
	struct rc_rotation r, back;
	struct rc_diag d;
	int derr = rc_rotation_decode(&r, data, size, &d);
	if (derr != RC_OK && (!d.field || d.off > size))
		abort();
	if (derr == RC_OK) {
		uint8_t out[2048];
		size_t n;
		if (rc_rotation_encode(&r, out, sizeof(out), &n) != RC_OK || n > size)
			abort();
		if (n == size && memcmp(out, data, size) != 0)
			abort();
		if (rc_rotation_decode(&back, out, n, NULL) != RC_OK ||
		    memcmp(&back, &r, sizeof(r)) != 0)
			abort();
	}
	uint8_t u[4096], stmt[4096];
	size_t un, sn;
	if (rc_cose_encode_unsigned(u, sizeof(u), &un, RC_CT_ROTATION, data, size) != RC_OK)
		return 0;
	if (rc_cose_sign_add(stmt, sizeof(stmt), &sn, u, un, sk) != RC_OK)
		abort();
	struct rc_anchors a = cur;
	a.epoch = derr == RC_OK ? r.from_epoch : 0;
	int err = rc_anchors_rotate(&a, stmt, sn, NULL);
	if (err != derr)
		abort();
	if (err == RC_OK && memcmp(&a, &r.next, sizeof(a)) != 0)
		abort();
	return 0;
}
