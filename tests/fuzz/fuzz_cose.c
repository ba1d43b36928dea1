/* libFuzzer target: COSE_Sign decoder. Any input decodes or fails cleanly with a located error.
 * A decoded COSE_Sign merged with itself reproduces the input byte for byte (the decoder
 * accepts only the one deterministic encoding; signature items are kept verbatim); every
 * signature's Sig_structure builds; adding a signature gives a COSE_Sign that decodes and
 * verifies for the new key. The unsigned-form decoder fails cleanly on the same inputs. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "recall/cose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[RC_PK_LEN], sk[RC_SK_LEN], kid[RC_KID_LEN];
	static int ready;
	if (!ready) {
		uint8_t seed[32];
		memset(seed, 0x5a, sizeof(seed));
		if (sodium_init() < 0)
			abort();
		crypto_sign_seed_keypair(pk, sk, seed);
		rc_kid(kid, pk);
		ready = 1;
	}
	struct rc_cose_sign m, m2;
	struct rc_diag d;
	/* The unsigned form (what signers pass around) has its own entry point. */
	if (rc_cose_decode_unsigned(&m, data, size, &d) != RC_OK && (!d.field || d.off > size))
		abort();
	if (rc_cose_decode(&m, data, size, &d) != RC_OK) {
		if (!d.field || d.off > size)
			abort();
		return 0;
	}
	size_t cap = size + 256, n;
	uint8_t *out = malloc(cap);
	if (!out)
		return 0;
	if (rc_cose_merge(out, cap, &n, data, size, data, size) != RC_OK || n != size ||
	    memcmp(out, data, size) != 0)
		abort();
	uint8_t tbs[RC_COSE_PAYLOAD_MAX + 2 * RC_COSE_HDR_MAX + 32];
	for (size_t i = 0; i < m.nsig; i++) {
		if (rc_cose_tbs(&m, i, tbs, sizeof(tbs), &n) != RC_OK)
			abort();
		rc_cose_verify_sig(&m, i, pk);
	}
	int err = rc_cose_sign_add(out, cap, &n, data, size, sk);
	if (err == RC_ERR_TOOLONG && m.nsig == RC_SIG_MAX)
		goto done;
	if (err != RC_OK || rc_cose_decode(&m2, out, n, NULL) != RC_OK)
		abort();
	size_t at = m2.nsig;
	for (size_t i = 0; i < m2.nsig; i++)
		if (memcmp(m2.sigs[i].kid, kid, RC_KID_LEN) == 0)
			at = i;
	if (at == m2.nsig || rc_cose_verify_sig(&m2, at, pk) != RC_OK)
		abort();
	if (m2.nsig != m.nsig && m2.nsig != m.nsig + 1)
		abort();
done:
	free(out);
	return 0;
}
