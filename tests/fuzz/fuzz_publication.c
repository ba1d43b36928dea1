/* Fuzz the publication top file (include/recall/publication.h): rc_pub_open on arbitrary bytes
 * under the fixture feed key (tests/unit/test_pubsync.c writes signed seeds), then the covered
 * checkpoint under the fixture anchor set's log policy. An accepted top file has issued <
 * expiry, a checkpoint inside the input, a strictly increasing withdrawn list that the lookup
 * finds item by item, and builds back (same key, same fields) to a top file that opens to the
 * same fields. Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "logfix.h"
#include "recall/publication.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_publication: %s violated\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fx_key feed, keys[3];
	static struct rc_anchors a;
	static int ready;
	if (!ready) {
		fx_key(&feed, 0x50);
		if (fx_anchors(&a, keys, 3, 2, 0, 0x10) || fx_log_policy(&a, 2, 2, 86400, 0x70))
			abort();
		ready = 1;
	}
	struct rc_pub p;
	struct rc_diag d = {0, NULL};
	int r = rc_pub_open(&p, data, size, feed.pk, &d);
	check(r >= 0 && r < RC_ERR__COUNT, "an rc_err code");
	if (r != RC_OK) {
		check(d.field != NULL, "a diagnostic field");
		return 0;
	}
	check(p.issued < p.expiry, "issued before expiry");
	check(p.checkpoint >= data && p.checkpoint + p.checkpoint_len <= data + size,
	      "checkpoint inside the input");
	check(p.nwithdrawn <= RC_PUB_WITHDRAWN_MAX, "withdrawn bounded");
	static uint64_t wd[RC_PUB_WITHDRAWN_MAX];
	for (size_t i = 0; i < p.nwithdrawn; i++) {
		wd[i] = rc_pub_withdrawn_item(&p, i);
		check(i == 0 || wd[i] > wd[i - 1], "withdrawn increasing");
		check(rc_pub_withdrawn(&p, wd[i]), "withdrawn found");
		check(wd[i] == 0 || wd[i] - 1 == (i ? wd[i - 1] : UINT64_MAX) ||
			  !rc_pub_withdrawn(&p, wd[i] - 1),
		      "no false positive below");
	}
	struct rc_checkpoint cp;
	r = rc_pub_checkpoint(&p, &a, &cp, &d);
	check(r >= 0 && r < RC_ERR__COUNT, "an rc_err code (checkpoint)");
	if (r == RC_OK)
		check(cp.size <= RC_PUB_LOG_MAX &&
			  (!p.nwithdrawn || wd[p.nwithdrawn - 1] < cp.size),
		      "checkpoint size and withdrawn range");
	uint8_t *b;
	size_t bl;
	check(rc_pub_build(&b, &bl, &p, wd, p.nwithdrawn, feed.sk) == RC_OK, "builds back");
	struct rc_pub q;
	check(rc_pub_open(&q, b, bl, feed.pk, NULL) == RC_OK, "rebuilt opens");
	check(q.serial == p.serial && q.issued == p.issued && q.expiry == p.expiry &&
		  q.nwithdrawn == p.nwithdrawn && q.checkpoint_len == p.checkpoint_len &&
		  !memcmp(q.checkpoint, p.checkpoint, p.checkpoint_len) &&
		  !memcmp(q.anchors_id, p.anchors_id, 8),
	      "same fields");
	free(b);
	return 0;
}
