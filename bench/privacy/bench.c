/* recall-bench-private: what one answer costs a responder in normal and in private mode, over a
 * feed made by bench/feed/run (docs/PERFORMANCE.md, "Issue 18"), and the bytes and round trips
 * per device.
 *
 *   recall-bench-private FEED [REQUESTS]
 *
 * Builds the private table (rc_private_table_build), then REQUESTS (default 1000000) answers per
 * mode, half for devices whose model has a notice, half for models without one:
 *   normal:  rc_checkin_decode + rc_feed_lookup_at + rc_answer_encode (clear or recalled)
 *   private: rc_private_checkin_decode + rc_private_table_bucket + rc_bucket_encode, and for
 *            devices whose tag is listed, rc_notice_request_decode + rc_private_table_notice +
 *            rc_answer_encode per notice the device fetches (counted as answers too; which
 *            ones is found by walking each device's exchange once, untimed)
 * Times are CPU time of this process (CLOCK_PROCESS_CPUTIME_ID). Prints "name value unit". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recall/cose.h"
#include "recall/feed.h"
#include "recall/private.h"

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The identity of a device that notice i covers (its model and first exact version or lower
 * bound), or of a model without notices (miss). */
struct dev {
	struct rc_identity id;
	char model[80];
	char fwver[80];
};

static int make_dev(struct dev *d, const struct rc_feed *f, uint32_t i, bool miss)
{
	const uint8_t *p;
	size_t len;
	struct rc_cose_sign m;
	struct rc_notice n;
	if (rc_feed_notice(f, i, &p, &len) || rc_cose_decode(&m, p, len, NULL) ||
	    rc_notice_decode(&n, m.payload, m.payload_len, NULL))
		return -1;
	memset(&d->id, 0, sizeof(d->id));
	snprintf(d->model, sizeof(d->model), "%s%.*s", miss ? "none-" : "", (int)n.target.model.n,
		 n.target.model.p);
	struct rc_str v = n.target.nversions ? n.target.versions[0] : n.target.ranges[0].lo.v;
	snprintf(d->fwver, sizeof(d->fwver), "%.*s", (int)v.n, v.p);
	d->id.vendor = n.target.vendor; /* views into the feed */
	d->id.model = rc_str_c(d->model);
	d->id.hwrev = n.target.nhwrevs ? n.target.hwrevs[0] : rc_str_c("");
	d->id.fwver = rc_str_c(d->fwver);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: recall-bench-private FEED [REQUESTS]\n");
		return 2;
	}
	unsigned long requests = argc == 3 ? strtoul(argv[2], NULL, 10) : 1000000;
	FILE *fp = fopen(argv[1], "rb");
	if (!fp) {
		perror(argv[1]);
		return 1;
	}
	fseek(fp, 0, SEEK_END);
	size_t flen = (size_t)ftell(fp);
	rewind(fp);
	uint8_t *buf = malloc(flen);
	if (!buf || fread(buf, 1, flen, fp) != flen) {
		perror(argv[1]);
		return 1;
	}
	fclose(fp);
	struct rc_feed f;
	struct rc_diag diag;
	if (rc_feed_parse(&f, buf, flen, &diag) || !f.nnotices) {
		fprintf(stderr, "%s: not a feed with notices (%s)\n", argv[1], diag.field);
		return 1;
	}
	uint64_t now = f.meta.issued + 1;
	struct rc_private_row *rows = malloc(sizeof(*rows) * f.nnotices);
	static struct rc_private_table t;
	double t0 = cpu_s();
	if (!rows || rc_private_table_build(&t, &f, rows, f.nnotices, now, NULL, NULL)) {
		fprintf(stderr, "table build failed\n");
		return 1;
	}
	printf("notices %u count\ntable_build %.1f ms\ntable_bytes %zu bytes\n", f.nnotices,
	       (cpu_s() - t0) * 1e3, sizeof(t) + sizeof(*rows) * t.nrows);
	enum { NDEV = 1024 };
	static struct dev devs[NDEV];
	for (unsigned k = 0; k < NDEV; k++)
		if (make_dev(&devs[k], &f, (uint32_t)((k * 7919u) % f.nnotices), k & 1)) {
			fprintf(stderr, "notice %u does not decode\n", k);
			return 1;
		}
	/* Requests as they arrive: encoded once per device, decoded per answer. */
	static uint8_t reqn[NDEV][RC_CHECKIN_SIZE], reqp[NDEV][RC_CHECKIN_SIZE];
	static uint8_t tags[NDEV][RC_PRIVATE_TAG_LEN];
	for (unsigned k = 0; k < NDEV; k++) {
		struct rc_checkin c = {.id = devs[k].id};
		struct rc_private_checkin pc = {0};
		rc_private_hash(devs[k].id.vendor, devs[k].id.model, tags[k], &pc.prefix);
		if (rc_checkin_encode(&c, reqn[k]) || rc_private_checkin_encode(&pc, reqp[k])) {
			fprintf(stderr, "device %u: encode failed\n", k);
			return 1;
		}
	}
	uint8_t out[RC_ANSWER_MAX], ebuf[RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN];
	size_t len;
	unsigned long found = 0, bytes_n = 0;
	t0 = cpu_s();
	for (unsigned long r = 0; r < requests; r++) {
		struct rc_checkin c;
		struct rc_answer a = {.type = RC_MSG_CLEAR, .serial = f.meta.serial};
		if (rc_checkin_decode(&c, reqn[r % NDEV], RC_CHECKIN_SIZE, NULL))
			return 1;
		if (rc_feed_lookup_at(&f, &c.id, now, &a.blob, &a.blob_len, NULL))
			a.type = RC_MSG_RECALLED, found++;
		if (rc_answer_encode(&a, out, sizeof(out), &len))
			return 1;
		bytes_n += RC_CHECKIN_SIZE + len;
	}
	double tn = cpu_s() - t0;
	printf("normal_answers %lu count\nnormal_recalled %lu count\nnormal_cpu %.3f s\n", requests,
	       found, tn);
	printf("normal_answers_per_cpu_s %.0f 1/s\nnormal_bytes_per_device %.0f bytes\n",
	       requests / tn, (double)bytes_n / requests);
	/* What each private device sends, found by walking its exchange once, untimed: the
	 * notice requests up to the first notice that covers it (at most FETCH_MAX here). */
	enum { FETCH_MAX = 4 };
	static uint8_t nreq[NDEV][FETCH_MAX][RC_CHECKIN_SIZE];
	static unsigned nfetch[NDEV];
	unsigned long listed = 0;
	for (unsigned k = 0; k < NDEV; k++) {
		struct rc_bucket b;
		if (rc_private_table_bucket(&t, rc_private_tag_prefix(tags[k]), 0, ebuf, &b))
			return 1;
		unsigned count = rc_bucket_find(&b, tags[k]);
		listed += count > 0;
		for (unsigned i = 0; i < count && i < FETCH_MAX; i++) {
			struct rc_notice_request q = {.index = (uint16_t)i};
			memcpy(q.tag, tags[k], RC_PRIVATE_TAG_LEN);
			const uint8_t *np;
			size_t nl;
			struct rc_cose_sign m;
			struct rc_notice n;
			if (rc_notice_request_encode(&q, nreq[k][nfetch[k]++]) ||
			    !rc_private_table_notice(&t, tags[k], i, &np, &nl) ||
			    rc_cose_decode(&m, np, nl, NULL) ||
			    rc_notice_decode(&n, m.payload, m.payload_len, NULL))
				return 1;
			if (rc_notice_covers(&n, &devs[k].id))
				break;
		}
	}
	/* The responder's work for those datagrams, timed. */
	unsigned long answers = 0, bytes_p = 0;
	t0 = cpu_s();
	for (unsigned long r = 0; r < requests; r++) {
		unsigned k = (unsigned)(r % NDEV);
		struct rc_private_checkin pc;
		struct rc_bucket b = {.serial = f.meta.serial};
		if (rc_private_checkin_decode(&pc, reqp[k], RC_CHECKIN_SIZE, NULL) ||
		    rc_private_table_bucket(&t, pc.prefix, pc.page, ebuf, &b) ||
		    rc_bucket_encode(&b, out, sizeof(out), &len))
			return 1;
		answers++;
		bytes_p += RC_CHECKIN_SIZE + len;
		for (unsigned i = 0; i < nfetch[k]; i++) {
			struct rc_notice_request rq;
			struct rc_answer a = {.type = RC_MSG_RECALLED};
			if (rc_notice_request_decode(&rq, nreq[k][i], RC_CHECKIN_SIZE, NULL) ||
			    !rc_private_table_notice(&t, rq.tag, rq.index, &a.blob, &a.blob_len) ||
			    rc_answer_encode(&a, out, sizeof(out), &len))
				return 1;
			answers++;
			bytes_p += RC_CHECKIN_SIZE + len;
		}
	}
	double tp = cpu_s() - t0;
	printf("private_devices %lu count\nprivate_listed %lu of %u devices\n", requests, listed,
	       (unsigned)NDEV);
	printf("private_answers %lu count\n", answers);
	printf("private_cpu %.3f s\nprivate_answers_per_cpu_s %.0f 1/s\n", tp, answers / tp);
	printf("private_devices_per_cpu_s %.0f 1/s\n", requests / tp);
	printf("private_bytes_per_device %.0f bytes\nprivate_round_trips_per_device %.3f count\n",
	       (double)bytes_p / requests, (double)answers / requests);
	free(rows);
	free(buf);
	return 0;
}
