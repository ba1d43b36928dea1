/* recall-bench-log: the library side of the transparency log measurements (docs/PERFORMANCE.md,
 * "Transparency log"), driven by bench/log/run.
 *
 *   recall-bench-log split SEQ DIR BATCH
 *       Writes each entry of the CBOR sequence SEQ (signed notices, as recall-bench-feedgen
 *       writes them) as DIR/b<batch>/<index>.notice, BATCH a directory, for `recall log
 *       append`.
 *   recall-bench-log lib LOG SEQ ANCHORS [PROOFS]
 *       On the first checkpoint-size entries of SEQ and the log directory LOG: the threshold
 *       check that `recall log append` makes of each notice (rc_anchors_verify), the tree
 *       alone (leaf hash and rc_tlog_edge_append of every entry, in memory), then PROOFS
 *       (default 100000) inclusion proofs and as many consistency proofs made from LOG's tiles
 *       (rc_tlog_prove_*, log_read_hash: reads tiles as `recall log proof` does) and verified.
 * Times are wall-clock (CLOCK_MONOTONIC), printed as "name value unit" lines. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "logstore.h"
#include "signed.h"
#include "util.h"

static int split(const char *seq, const char *dir, uint64_t batch)
{
	struct mapped m;
	if (file_map(seq, &m) < 0)
		return 1;
	char path[4096];
	uint64_t i = 0;
	/* Plain writes, no fsync: these are inputs, not part of what is measured. */
	for (size_t off = 0, l; off < m.len; off += l, i++) {
		if (!(l = seq_item(m.p, m.len, off, NULL))) {
			fprintf(stderr, "%s: byte %zu: not a CBOR item\n", seq, off);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/b%05" PRIu64, dir, i / batch);
		if (i % batch == 0 && log_mkdirs(strcat(path, "/")) < 0)
			return 1;
		snprintf(path, sizeof(path), "%s/b%05" PRIu64 "/%07" PRIu64 ".notice", dir, i / batch,
			 i);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(m.p + off, 1, l, f) != l || fclose(f)) {
			perror(path);
			return 1;
		}
	}
	file_unmap(&m);
	return 0;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int proofs(struct logstore *ls, uint64_t count)
{
	uint64_t size = ls->cp.size, s = 88172645463325252ull;
	uint8_t p[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN], leaf[RC_TLOG_HASH_LEN];
	size_t n;
	double t0 = mono_ms(), tv = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t idx = rnd(&s) % size;
		if (rc_tlog_prove_inclusion(p, RC_TLOG_PROOF_MAX, &n, idx, size, log_read_hash, ls) ||
		    log_read_hash(ls, 0, idx, leaf)) {
			fprintf(stderr, "inclusion proof of %" PRIu64 " failed\n", idx);
			return 1;
		}
		double t1 = mono_ms();
		if (rc_tlog_verify_inclusion((const uint8_t(*)[RC_TLOG_HASH_LEN])p, n, idx, size, leaf,
					     ls->cp.root)) {
			fprintf(stderr, "inclusion proof of %" PRIu64 " does not verify\n", idx);
			return 1;
		}
		tv += mono_ms() - t1;
	}
	double t = mono_ms() - t0 - tv;
	printf("inclusion_proofs %" PRIu64 " count\ninclusion_prove_each %.2f us\n", count,
	       t * 1e3 / (double)count);
	printf("inclusion_prove_per_s %.0f per_s\ninclusion_verify_each %.2f us\n",
	       (double)count / t * 1e3, tv * 1e3 / (double)count);
	uint8_t old_root[RC_TLOG_HASH_LEN];
	t0 = mono_ms();
	tv = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t old = 1 + rnd(&s) % size;
		if (rc_tlog_prove_consistency(p, RC_TLOG_PROOF_MAX, &n, old, size, log_read_hash,
					      ls) ||
		    rc_tlog_tree_hash(old_root, old, log_read_hash, ls)) {
			fprintf(stderr, "consistency proof from %" PRIu64 " failed\n", old);
			return 1;
		}
		double t1 = mono_ms();
		if (rc_tlog_verify_consistency((const uint8_t(*)[RC_TLOG_HASH_LEN])p, n, old, size,
					       old_root, ls->cp.root)) {
			fprintf(stderr, "consistency proof from %" PRIu64 " does not verify\n", old);
			return 1;
		}
		tv += mono_ms() - t1;
	}
	/* The old root (what a verifier already has) is computed with each proof here. */
	t = mono_ms() - t0 - tv;
	printf("consistency_prove_and_old_root_each %.2f us\nconsistency_prove_per_s %.0f per_s\n",
	       t * 1e3 / (double)count, (double)count / t * 1e3);
	printf("consistency_verify_each %.2f us\n", tv * 1e3 / (double)count);
	return 0;
}

static int lib(const char *dir, const char *seq, const char *anchors, uint64_t count)
{
	struct rc_anchors a;
	struct logstore ls;
	struct mapped m;
	if (anchors_load(anchors, &a) < 0 || log_open(&ls, dir, NULL) < 0 ||
	    file_map(seq, &m) < 0)
		return 1;
	uint64_t size = ls.cp.size;
	size_t *off = malloc(size * sizeof(*off)), *len = malloc(size * sizeof(*len));
	size_t o = 0;
	for (uint64_t i = 0; off && len && i < size; i++) {
		len[i] = o < m.len ? seq_item(m.p, m.len, o, NULL) : 0;
		off[i] = o;
		o += len[i];
		if (!len[i]) {
			fprintf(stderr, "%s: fewer entries than the log's %" PRIu64 "\n", seq, size);
			return 1;
		}
	}
	double t0 = mono_ms();
	for (uint64_t i = 0; i < size; i++) {
		struct rc_cose_sign c;
		struct rc_verdict v;
		if (rc_cose_decode(&c, m.p + off[i], len[i], NULL) || rc_anchors_verify(&a, &c, &v)) {
			fprintf(stderr, "entry %" PRIu64 ": threshold not met\n", i);
			return 1;
		}
	}
	double t1 = mono_ms();
	struct rc_tlog_edge e;
	uint8_t leaf[RC_TLOG_HASH_LEN], out[63][RC_TLOG_HASH_LEN], root[RC_TLOG_HASH_LEN];
	unsigned levels;
	rc_tlog_edge_init(&e);
	for (uint64_t i = 0; i < size; i++) {
		rc_tlog_leaf_hash(leaf, m.p + off[i], len[i]);
		rc_tlog_edge_append(&e, leaf, out, &levels);
	}
	rc_tlog_edge_root(&e, root);
	double t2 = mono_ms();
	if (memcmp(root, ls.cp.root, RC_TLOG_HASH_LEN) != 0) {
		fprintf(stderr, "the entries do not give the log's root\n");
		return 1;
	}
	printf("entries %" PRIu64 " count\nthreshold_verify %.1f ms\nthreshold_verify_each %.2f us\n",
	       size, t1 - t0, (t1 - t0) * 1e3 / (double)size);
	printf("tree_append %.1f ms\ntree_append_each %.3f us\n", t2 - t1,
	       (t2 - t1) * 1e3 / (double)size);
	int r = proofs(&ls, count);
	free(off);
	free(len);
	file_unmap(&m);
	log_close(&ls);
	return r;
}

int main(int argc, char **argv)
{
	uint64_t a;
	if (sodium_init() < 0)
		return 1;
	if (argc == 5 && !strcmp(argv[1], "split") && !parse_u64(argv[4], &a) && a)
		return split(argv[2], argv[3], a);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "lib")) {
		uint64_t count = 100000;
		if (argc == 6 && parse_u64(argv[5], &count))
			return 2;
		return lib(argv[2], argv[3], argv[4], count);
	}
	fprintf(stderr, "usage: recall-bench-log split SEQ DIR BATCH\n"
			"       recall-bench-log lib LOG SEQ ANCHORS [PROOFS]\n");
	return 2;
}
