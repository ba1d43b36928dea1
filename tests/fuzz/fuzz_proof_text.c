/* Fuzz the proof file parsers (include/recall/tlog.h): a c2sp.org/tlog-proof that parses
 * formats back to the same bytes (one spelling), and its hash count and extra data are
 * bounded; the same bytes as a consistency proof (hash lines) give a bounded count. Any
 * violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall/error.h"
#include "recall/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_proof_text: %s violated\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rc_tlog_proof p;
	static char back[1 << 16];
	static uint8_t hashes[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN];
	const char *s = (const char *)data;
	struct rc_diag d = {0, NULL};
	if (size > sizeof(back))
		return 0;
	int r = rc_tlog_proof_parse(&p, s, size, &d);
	check(r >= 0 && r < RC_ERR__COUNT, "an rc_err code");
	if (r == RC_OK) {
		check(p.n <= RC_TLOG_PROOF_MAX && p.extra_len <= RC_TLOG_EXTRA_MAX, "bounded");
		check(p.checkpoint > s && p.checkpoint + p.checkpoint_len == s + size,
		      "the checkpoint is the tail");
		size_t len;
		check(rc_tlog_proof_format(back, sizeof(back), &len, &p) == RC_OK, "formats");
		check(len == size && !memcmp(back, s, size), "one spelling per proof");
	} else {
		check(d.field != NULL && d.off <= size, "a diagnostic inside the input");
	}
	size_t n = 99;
	r = rc_tlog_hashes_parse(hashes, &n, s, size, &d);
	check(r != RC_OK || n <= RC_TLOG_PROOF_MAX, "hash count bounded");
	return 0;
}
