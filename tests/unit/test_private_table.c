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
#include "recall/cose.h"
#include "recall/feed.h"
#include "recall/private.h"

#define NOW     FX_NOW
#define NMODELS 12
#define NPAGED  (RC_BUCKET_ENTRIES_MAX + 4) /* models under one prefix: two pages */
#define NMAX    (NMODELS * 4 + NPAGED + 2)

static char names[NMODELS + NPAGED + 2][24];
static char ids[NMAX][24];
static uint8_t signed_buf[NMAX][RC_NOTICE_MAX];
static const uint8_t *sp[NMAX];
static size_t sl[NMAX];
static size_t nn;
static struct fx_key key;

static void add(const char *vendor, const char *model, const char *exact, const char *lo,
		const char *hi, uint8_t action, uint64_t not_before, uint64_t expiry)
{
	struct rc_notice n;
	fx_notice(&n, NOW);
	snprintf(ids[nn], sizeof(ids[nn]), "N-%zu", nn);
	n.id = rc_str_c(ids[nn]);
	n.target.vendor = rc_str_c(vendor);
	n.target.model = rc_str_c(model);
	n.target.nhwrevs = 0;
	n.target.nversions = 0;
	n.target.nranges = 0;
	if (exact) {
		n.target.nversions = 1;
		n.target.versions[0] = rc_str_c(exact);
	} else {
		n.target.nranges = 1;
		n.target.ranges[0] =
		    (struct rc_range){RC_VS_GENERIC,
				      {lo ? rc_str_c(lo) : (struct rc_str){0}, true},
				      {hi ? rc_str_c(hi) : (struct rc_str){0}, false}};
	}
	n.action = action;
	n.severity = action == RC_ACTION_QUARANTINE ? RC_SEV_HIGH : RC_SEV_LOW;
	n.issued = NOW - 2000;
	n.not_before = not_before;
	n.expiry = expiry;
	assert_int_equal(fx_signed_notice(signed_buf[nn], RC_NOTICE_MAX, &sl[nn], &n, &key, 1),
			 RC_OK);
	sp[nn] = signed_buf[nn];
	nn++;
}

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
	fx_key(&key, 1);
	nn = 0;
	for (int m = 0; m < NMODELS; m++) {
		snprintf(names[m], sizeof(names[m]), "m%d", m);
		const char *v = m % 3 ? "acme" : "tp-link";
		add(v, names[m], "1.0", NULL, NULL, RC_ACTION_QUARANTINE, NOW - 1000, NOW + 1000);
		add(v, names[m], NULL, "1.0", "2.0", RC_ACTION_NOTIFY, NOW - 1000, NOW + 1000);
		if (m % 2 == 0) /* not yet valid */
			add(v, names[m], NULL, "3.0", NULL, RC_ACTION_QUARANTINE, NOW + 100,
			    NOW + 1000);
		if (m % 3 == 0) /* expired */
			add(v, names[m], "2.5", NULL, NULL, RC_ACTION_QUARANTINE, NOW - 1000,
			    NOW - 1);
	}
	/* NPAGED models under the prefix of m0's, and one more model under it without notice. */
	uint8_t tag[RC_PRIVATE_TAG_LEN], t2[RC_PRIVATE_TAG_LEN];
	uint16_t p0, p;
	rc_private_hash(rc_str_c("tp-link"), rc_str_c("m0"), tag, &p0);
	int found = 0;
	for (int k = 0; found < NPAGED + 1 && k < 2000000; k++) {
		char *name = names[NMODELS + found];
		snprintf(name, sizeof(names[0]), "pg-%d", k);
		rc_private_hash(rc_str_c("acme"), rc_str_c(name), t2, &p);
		if (p != p0)
			continue;
		if (found < NPAGED)
			add("acme", name, "1.0", NULL, NULL, RC_ACTION_QUARANTINE, NOW - 1000,
			    NOW + 1000);
		found++;
	}
	assert_int_equal(found, NPAGED + 1);
	snprintf(names[NMODELS + NPAGED + 1], sizeof(names[0]), "none");

	struct rc_feed_meta meta = {.serial = 1, .issued = NOW - 10, .expiry = NOW + 5000};
	uint8_t *buf;
	size_t blen, bad;
	assert_int_equal(rc_feed_build(&buf, &blen, &meta, sp, sl, nn, key.sk, &bad), RC_OK);
	struct rc_feed f;
	/* The feed key is the anchor key here: only the structure matters to this test. */
	assert_int_equal(rc_feed_open(&f, buf, blen, key.pk, NULL), RC_OK);
	static struct rc_private_row rows[NMAX];
	static struct rc_private_table t;
	assert_int_equal(rc_private_table_build(&t, &f, rows, nn - 1, NOW, NULL, NULL),
			 RC_ERR_BUFFER);
	assert_int_equal(rc_private_table_build(&t, &f, rows, NMAX, NOW, NULL, NULL), RC_OK);
	assert_true(t.next_change == NOW + 100);
	/* The paged bucket: two pages, the second holding what the first could not. */
	uint8_t ebuf[1160];
	struct rc_bucket b;
	assert_int_equal(rc_private_table_bucket(&t, p0, 0, ebuf, &b), RC_OK);
	assert_int_equal(b.pages, 2);
	assert_int_equal(b.nentries, RC_BUCKET_ENTRIES_MAX);
	assert_int_equal(rc_private_table_bucket(&t, p0, 1, ebuf, &b), RC_OK);
	assert_int_equal(b.nentries, NPAGED + 1 - RC_BUCKET_ENTRIES_MAX);

	static const char *const versions[] = {"0.9", "1.0", "1.5", "2.0", "2.5", "3.0", "9"};
	int recalled = 0, checked = 0;
	for (int m = 0; m < NMODELS + NPAGED + 2; m++) {
		for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
			struct rc_identity id;
			fx_identity(&id);
			id.vendor = rc_str_c(m < NMODELS && m % 3 == 0 ? "tp-link" : "acme");
			id.model = rc_str_c(names[m]);
			id.fwver = rc_str_c(versions[v]);
			const uint8_t *np = NULL;
			if (!rc_feed_lookup_at(&f, &id, NOW, &np, NULL, NULL))
				np = NULL;
			const uint8_t *pp = device(&t, &id);
			assert_ptr_equal(pp, np);
			recalled += np != NULL;
			checked++;
		}
	}
	/* Both modes recall per model 1.0 (exact, first in feed order) and 1.5 (the notify range
	 * [1.0, 2.0)); not 2.5 (expired) or 3.0 and 9 (not yet valid); the paged models at 1.0. */
	assert_int_equal(checked, (NMODELS + NPAGED + 2) * 7);
	assert_int_equal(recalled, NMODELS * 2 + NPAGED);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_decisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
