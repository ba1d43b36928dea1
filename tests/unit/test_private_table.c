/* Private mode end to end over a real feed: the responder's table (rc_private_table_*) and a
 * device walking it through the wire encodings reach the same decision as a normal check-in
 * (rc_feed_lookup_at) for every identity of a test catalogue: several notices per model (exact
 * versions, ranges, notify-only, not yet valid, expired), models sharing a prefix, a bucket of
 * more than one page, and models without notices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "privcat.h"
#include "recall/cose.h"
#include "recall/feed.h"
#include "recall/private.h"

#define NOW FX_NOW

/* A device in private mode, over the wire encodings of every message. 0: clear, else the
 * notice it acts on (bytes into the feed). */
static const uint8_t *device(const struct rc_private_table *t, const struct rc_identity *id)
{
	uint8_t tag[RC_PRIVATE_TAG_LEN], req[RC_CHECKIN_SIZE], ans[RC_ANSWER_MAX], ebuf[1160];
	uint16_t prefix;
	size_t len;
	rc_private_hash(id->vendor, id->model, tag, &prefix);
	unsigned count = 0;
	for (uint8_t page = 0; !count; page++) {
		struct rc_private_checkin c = {.prefix = prefix, .page = page}, rc;
		assert_int_equal(rc_private_checkin_encode(&c, req), RC_OK);
		assert_int_equal(rc_private_checkin_decode(&rc, req, sizeof(req), NULL), RC_OK);
		struct rc_bucket b = {.serial = 1}, d;
		assert_int_equal(rc_private_table_bucket(t, rc.prefix, rc.page, ebuf, &b), RC_OK);
		assert_int_equal(rc_bucket_encode(&b, ans, sizeof(ans), &len), RC_OK);
		assert_int_equal(rc_bucket_decode(&d, ans, len, NULL), RC_OK);
		count = rc_bucket_find(&d, tag);
		if (!count && page + 1 >= d.pages)
			return NULL;
	}
	for (unsigned i = 0; i < count; i++) {
		struct rc_notice_request q = {.index = (uint16_t)i}, rq;
		memcpy(q.tag, tag, sizeof(tag));
		assert_int_equal(rc_notice_request_encode(&q, req), RC_OK);
		assert_int_equal(rc_notice_request_decode(&rq, req, sizeof(req), NULL), RC_OK);
		const uint8_t *p;
		assert_true(rc_private_table_notice(t, rq.tag, rq.index, &p, &len));
		struct rc_cose_sign m;
		struct rc_notice n;
		assert_int_equal(rc_cose_decode(&m, p, len, NULL), RC_OK);
		assert_int_equal(rc_notice_decode(&n, m.payload, m.payload_len, NULL), RC_OK);
		if (rc_notice_covers(&n, id))
			return p;
	}
	return NULL;
}

static void test_same_decisions(void **state)
{
	(void)state;
	struct fx_key key;
	fx_key(&key, 1);
	static struct privcat c;
	assert_int_equal(privcat_build(&c, &key, 1, NOW), RC_OK);
	const struct rc_feed *f = &c.feed;
	static struct rc_private_row rows[PRIVCAT_NOTICES];
	static struct rc_private_table t;
	assert_int_equal(rc_private_table_build(&t, f, rows, c.nnotices - 1, NOW, NULL, NULL),
			 RC_ERR_BUFFER);
	assert_int_equal(rc_private_table_build(&t, f, rows, PRIVCAT_NOTICES, NOW, NULL, NULL),
			 RC_OK);
	assert_true(t.next_change == c.next_change);
	/* The paged bucket: two pages, the second holding what the first could not. */
	uint8_t ebuf[1160];
	struct rc_bucket b;
	assert_int_equal(rc_private_table_bucket(&t, c.paged_prefix, 0, ebuf, &b), RC_OK);
	assert_int_equal(b.pages, 2);
	assert_int_equal(b.nentries, RC_BUCKET_ENTRIES_MAX);
	assert_int_equal(rc_private_table_bucket(&t, c.paged_prefix, 1, ebuf, &b), RC_OK);
	assert_int_equal(b.nentries, PRIVCAT_PAGED + 1 - RC_BUCKET_ENTRIES_MAX);

	int recalled = 0, checked = 0;
	for (size_t i = 0; i < PRIVCAT_IDENTITIES; i++) {
		struct rc_identity id;
		privcat_identity(i, &id);
		const uint8_t *np = NULL;
		if (!rc_feed_lookup_at(f, &id, NOW, &np, NULL, NULL))
			np = NULL;
		const uint8_t *pp = device(&t, &id);
		assert_ptr_equal(pp, np);
		recalled += np != NULL;
		checked++;
	}
	assert_int_equal(checked, PRIVCAT_IDENTITIES);
	assert_int_equal(recalled, PRIVCAT_RECALLED);
	privcat_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_decisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
