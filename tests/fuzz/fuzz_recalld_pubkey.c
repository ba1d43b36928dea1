/* libFuzzer target: recalld's feed public key file parser. Any bytes parse or give a reason;
 * a key that parses is the one written in the file (its base64 re-encodes to the same text). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pubkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pk[RC_PK_LEN];
	const char *why = rc_pubkey_parse(data, size, pk);
	if (why) {
		if (!why[0])
			abort();
		return 0;
	}
	static const char tag[] = "recall-ed25519-public ";
	char b64[sodium_base64_ENCODED_LEN(RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), pk, RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL);
	if (size < sizeof(tag) - 1 + strlen(b64) || memcmp(data, tag, sizeof(tag) - 1) ||
	    memcmp(data + sizeof(tag) - 1, b64, strlen(b64)))
		abort();
	return 0;
}
