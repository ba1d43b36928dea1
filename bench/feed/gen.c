/* recall-bench-feedgen: bulk input and load measurements for docs/PERFORMANCE.md ("recall tool
 * and feeds"), driven by bench/feed/run.
 *
 *   recall-bench-feedgen notices TEMPLATE.notice N OUT KEY.key...
 *       N signed notices made from one template (signed or not): notice i gets id
 *       "<template id>-<i>", vendor "vendor-<i mod 997>" and model "model-<i>"; each is signed
 *       by every key given. OUT is their concatenation (what 'recall feed build' reads).
 *   recall-bench-feedgen load FEED FEED.pub ANCHORS [LOOKUPS]
 *       What a responder does when it loads FEED: map, rc_feed_open (structure and feed
 *       signature), rc_feed_verify_notices (k-of-n for every notice); then LOOKUPS (default
 *       1000000) rc_feed_lookup calls, half hits, half misses, timed separately (each includes
 *       formatting the two names, as a responder's decoded check-in would not).
 * Times are wall-clock (CLOCK_MONOTONIC), printed as "name value unit" lines. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyfile.h"
#include "recall/feed.h"
#include "recall/msg.h"
#include "signed.h"
#include "util.h"

static int gen(const char *tmpl, uint64_t n, const char *out, char **keys, int nkeys)
{
	size_t tl;
	uint8_t *t = file_read(tmpl, &tl, 1 << 20);
	struct rc_cose_sign m;
	struct rc_notice base;
	if (!t || cose_view(&m, t, tl, NULL) || m.content_type != RC_CT_NOTICE ||
	    rc_notice_decode(&base, m.payload, m.payload_len, NULL)) {
		fprintf(stderr, "%s: not a notice\n", tmpl);
		return 1;
	}
	struct seckey k[RC_SIG_MAX];
	for (int i = 0; i < nkeys; i++)
		if (key_load_secret(keys[i], &k[i]) < 0)
			return 1;
	FILE *o = fopen(out, "wb");
	if (!o) {
		perror(out);
		return 1;
	}
	double enc_ms = 0, sign_ms = 0, t0;
	char id[RC_NOTICE_ID_MAX + 1], vendor[32], model[32];
	uint8_t payload[RC_COSE_PAYLOAD_MAX], a[SIGNED_BUF], b[SIGNED_BUF];
	uint64_t bytes = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct rc_notice x = base;
		snprintf(id, sizeof(id), "%.*s-%" PRIu64, (int)(base.id.n > 40 ? 40 : base.id.n),
			 base.id.p, i);
		snprintf(vendor, sizeof(vendor), "vendor-%" PRIu64, i % 997);
		snprintf(model, sizeof(model), "model-%" PRIu64, i);
		x.id = rc_str_c(id);
		x.target.vendor = rc_str_c(vendor);
		x.target.model = rc_str_c(model);
		size_t pl, len;
		t0 = mono_ms();
		if (rc_notice_encode(&x, payload, sizeof(payload), &pl) ||
		    rc_cose_encode_unsigned(a, sizeof(a), &len, RC_CT_NOTICE, payload, pl)) {
			fprintf(stderr, "notice %" PRIu64 ": cannot encode\n", i);
			return 1;
		}
		enc_ms += mono_ms() - t0;
		t0 = mono_ms();
		for (int j = 0; j < nkeys; j++) {
			if (rc_cose_sign_add(b, sizeof(b), &len, a, len, k[j].sk)) {
				fprintf(stderr, "notice %" PRIu64 ": cannot sign\n", i);
				return 1;
			}
			memcpy(a, b, len);
		}
		sign_ms += mono_ms() - t0;
		if (fwrite(a, 1, len, o) != len) {
			perror(out);
			return 1;
		}
		bytes += len;
	}
	if (fclose(o)) {
		perror(out);
		return 1;
	}
	for (int i = 0; i < nkeys; i++)
		key_free(&k[i]);
	free(t);
	printf("gen_notices %" PRIu64 " count\ngen_bytes %" PRIu64 " bytes\n", n, bytes);
	printf("gen_encode %.1f ms\ngen_sign %.1f ms\ngen_signatures %" PRIu64 " count\n", enc_ms,
	       sign_ms, n * (uint64_t)nkeys);
	return 0;
}

static int load(const char *path, const char *pub, const char *anchors, uint64_t lookups)
{
	uint8_t pk[RC_PK_LEN];
	struct rc_anchors a;
	if (key_load_public(pub, pk) < 0 || anchors_load(anchors, &a) < 0)
		return 1;
	struct mapped mm;
	double t0 = mono_ms();
	if (file_map(path, &mm) < 0)
		return 1;
	/* Touch every page, as reading the file does; the open below then measures the checks. */
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < mm.len; i += 4096)
		sink ^= mm.p[i];
	double t1 = mono_ms();
	struct rc_feed f;
	struct rc_diag d;
	int err = rc_feed_open(&f, mm.p, mm.len, pk, &d);
	double t2 = mono_ms();
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", path, d.field, rc_strerror(err));
		return 1;
	}
	size_t bad = 0;
	err = rc_feed_verify_notices(&f, &a, &bad);
	double t3 = mono_ms();
	if (err) {
		fprintf(stderr, "%s: notice %zu: %s\n", path, bad, rc_strerror(err));
		return 1;
	}
	printf("load_map %.1f ms\nload_open %.1f ms\nload_verify_notices %.1f ms\n", t1 - t0,
	       t2 - t1, t3 - t2);
	printf("load_total %.1f ms\n", t3 - t0);
	/* Lookups, half hits then half misses. A hit names a notice's vendor and model, hwrev v1
	 * and the template's exact version (a notice derived from tests/data/tool/ax21.json covers
	 * it); a miss names a model no notice has. */
	uint32_t n = f.nnotices;
	struct rc_identity id;
	memset(&id, 0, sizeof(id));
	char vendor[32], model[32];
	id.hwrev = rc_str_c("v1");
	id.fwver = rc_str_c("1.1.2 Build 20221012");
	for (int miss = 0; miss < 2 && n; miss++) {
		uint64_t hits = 0, count = lookups / 2;
		double t4 = mono_ms();
		for (uint64_t i = 0; i < count; i++) {
			uint64_t j = (i * 2654435761u) % n;
			snprintf(vendor, sizeof(vendor), "vendor-%" PRIu64, j % 997);
			snprintf(model, sizeof(model), "model-%" PRIu64, miss ? j + n : j);
			id.vendor = rc_str_c(vendor);
			id.model = rc_str_c(model);
			hits += rc_feed_lookup(&f, &id, NULL, NULL, NULL);
		}
		double t5 = mono_ms();
		const char *kind = miss ? "miss" : "hit";
		if (count)
			printf("lookup_%s_count %" PRIu64 " count\nlookup_%s_found %" PRIu64
			       " count\nlookup_%s_each %.0f ns\n",
			       kind, count, kind, hits, kind, (t5 - t4) * 1e6 / (double)count);
	}
	(void)sink;
	file_unmap(&mm);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n;
	if (sodium_init() < 0)
		return 1;
	if (argc >= 6 && !strcmp(argv[1], "notices") && !parse_u64(argv[3], &n) &&
	    argc - 5 <= RC_SIG_MAX)
		return gen(argv[2], n, argv[4], argv + 5, argc - 5);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "load")) {
		uint64_t lookups = 1000000;
		if (argc == 6 && parse_u64(argv[5], &lookups))
			return 2;
		return load(argv[2], argv[3], argv[4], lookups);
	}
	fprintf(stderr, "usage: recall-bench-feedgen notices TEMPLATE.notice N OUT KEY.key...\n"
			"       recall-bench-feedgen load FEED FEED.pub ANCHORS [LOOKUPS]\n");
	return 2;
}
