/* recall-bench-log: the library side of the transparency log measurements (docs/PERFORMANCE.md,
 * "Transparency log"), driven by bench/log/run.
 *
 *   recall-bench-log split SEQ DIR BATCH
 *       Writes each entry of the CBOR sequence SEQ (signed notices, as recall-bench-feedgen
 *       writes them) as DIR/b<batch>/<index>.notice, BATCH a directory, for `recall log
 *       append`.
 *   recall-bench-log lib LOG SEQ ANCHORS [PROOFS]
 *       On the first checkpoint-size entries of SEQ and the log directory LOG: the threshold
 *       check that `recall log append` makes of each notice (rc_anchors_verify; the first
 *       100,000), the tree alone (leaf hash and rc_tlog_edge_append of every entry, in
 *       memory), then PROOFS (default 100000) inclusion proofs and as many consistency proofs
 *       (rc_tlog_prove_*, with the old tree's root) verified, made from LOG's tiles
 *       (log_read_hash reads them as `recall log proof` does) and from the same hashes in
 *       memory (the proof functions alone).
 * Times are CPU time of this process (CLOCK_PROCESS_CPUTIME_ID: the machine may be shared),
 * printed as "name value unit" lines. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
		snprintf(path, sizeof(path), "%s/b%05" PRIu64 "/%07" PRIu64 ".notice", dir,
			 i / batch, i);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(m.p + off, 1, l, f) != l || fclose(f)) {
			perror(path);
			return 1;
		}
	}
	file_unmap(&m);
	return 0;
}

static double cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The stored hashes of tile levels 0, 1 and 2 in memory (trees below 2^24 entries), read as
 * log_read_hash reads them from files: the proof functions alone, without file reads. */
struct memtiles {
	uint64_t size;
	uint8_t (*h[3])[RC_TLOG_HASH_LEN];
};

static int mem_read(void *ctx, unsigned level, uint64_t index, uint8_t out[RC_TLOG_HASH_LEN])
{
	struct memtiles *m = ctx;
	struct rc_tlog_tile_ref r;
	int err = rc_tlog_tile_for(&r, m->size, level, index);
	if (err || r.tlevel > 2)
		return err ? err : RC_ERR_RANGE;
	return rc_tlog_root_of_leaves(out,
				      (const uint8_t(*)[RC_TLOG_HASH_LEN])m->h[r.tlevel] +
					  r.tindex * RC_TLOG_TILE_WIDTH + r.pos,
				      r.count);
}

static int proofs(const char *what, rc_tlog_read_fn read, void *ctx, uint64_t size,
		  const uint8_t root[RC_TLOG_HASH_LEN], uint64_t count)
{
	uint64_t s = 88172645463325252ull;
	uint8_t p[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN], leaf[RC_TLOG_HASH_LEN];
	size_t n;
	double t0 = cpu_ms(), tv = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t idx = rnd(&s) % size;
		if (rc_tlog_prove_inclusion(p, RC_TLOG_PROOF_MAX, &n, idx, size, read, ctx) ||
		    read(ctx, 0, idx, leaf)) {
			fprintf(stderr, "inclusion proof of %" PRIu64 " failed\n", idx);
			return 1;
		}
		double t1 = cpu_ms();
		if (rc_tlog_verify_inclusion((const uint8_t(*)[RC_TLOG_HASH_LEN])p, n, idx, size,
					     leaf, root)) {
			fprintf(stderr, "inclusion proof of %" PRIu64 " does not verify\n", idx);
			return 1;
		}
		tv += cpu_ms() - t1;
	}
	double t = cpu_ms() - t0 - tv;
	printf("%s_inclusion_proofs %" PRIu64 " count\n%s_inclusion_prove_each %.2f us\n", what,
	       count, what, t * 1e3 / (double)count);
	printf("%s_inclusion_prove_per_s %.0f per_s\n%s_inclusion_verify_each %.2f us\n", what,
	       (double)count / t * 1e3, what, tv * 1e3 / (double)count);
	uint8_t old_root[RC_TLOG_HASH_LEN];
	t0 = cpu_ms();
	tv = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t old = 1 + rnd(&s) % size;
		if (rc_tlog_prove_consistency(p, RC_TLOG_PROOF_MAX, &n, old, size, read, ctx) ||
		    rc_tlog_tree_hash(old_root, old, read, ctx)) {
			fprintf(stderr, "consistency proof from %" PRIu64 " failed\n", old);
			return 1;
		}
		double t1 = cpu_ms();
		if (rc_tlog_verify_consistency((const uint8_t(*)[RC_TLOG_HASH_LEN])p, n, old, size,
					       old_root, root)) {
			fprintf(stderr, "consistency proof from %" PRIu64 " does not verify\n",
				old);
			return 1;
		}
		tv += cpu_ms() - t1;
	}
	/* The old root (what a verifier already has) is computed with each proof here. */
	t = cpu_ms() - t0 - tv;
	printf("%s_consistency_prove_and_old_root_each %.2f us\n%s_consistency_prove_per_s %.0f "
	       "per_s\n",
	       what, t * 1e3 / (double)count, what, (double)count / t * 1e3);
	printf("%s_consistency_verify_each %.2f us\n", what, tv * 1e3 / (double)count);
	return 0;
}

static int lib(const char *dir, const char *seq, const char *anchors, uint64_t count)
{
	struct rc_anchors a;
	struct logstore ls;
	struct mapped m;
	if (anchors_load(anchors, &a) < 0 || log_open(&ls, dir, NULL) < 0 || file_map(seq, &m) < 0)
		return 1;
	uint64_t size = ls.cp.size;
	size_t *off = malloc(size * sizeof(*off)), *len = malloc(size * sizeof(*len));
	size_t o = 0;
	for (uint64_t i = 0; off && len && i < size; i++) {
		len[i] = o < m.len ? seq_item(m.p, m.len, o, NULL) : 0;
		off[i] = o;
		o += len[i];
		if (!len[i]) {
			fprintf(stderr, "%s: fewer entries than the log's %" PRIu64 "\n", seq,
				size);
			return 1;
		}
	}
	/* The threshold check costs the same for every notice: the first 100,000 tell it. */
	uint64_t nv = size < 100000 ? size : 100000;
	double t0 = cpu_ms();
	for (uint64_t i = 0; i < nv; i++) {
		struct rc_cose_sign c;
		struct rc_verdict v;
		if (rc_cose_decode(&c, m.p + off[i], len[i], NULL) ||
		    rc_anchors_verify(&a, &c, &v)) {
			fprintf(stderr, "entry %" PRIu64 ": threshold not met\n", i);
			return 1;
		}
	}
	double t1 = cpu_ms();
	struct rc_tlog_edge e;
	uint8_t leaf[RC_TLOG_HASH_LEN], out[63][RC_TLOG_HASH_LEN], root[RC_TLOG_HASH_LEN];
	unsigned levels;
	rc_tlog_edge_init(&e);
	for (uint64_t i = 0; i < size; i++) {
		rc_tlog_leaf_hash(leaf, m.p + off[i], len[i]);
		rc_tlog_edge_append(&e, leaf, out, &levels);
	}
	double t2 = cpu_ms();
	/* The same again, keeping the tiles' hashes for the in-memory proofs. */
	struct memtiles mt = {size, {NULL, NULL, NULL}};
	for (int l = 0; l < 3; l++)
		mt.h[l] = calloc((size >> (8 * l)) + 1, RC_TLOG_HASH_LEN);
	rc_tlog_edge_init(&e);
	for (uint64_t i = 0; size < ((uint64_t)1 << 24) && i < size; i++) {
		rc_tlog_leaf_hash(leaf, m.p + off[i], len[i]);
		rc_tlog_edge_append(&e, leaf, out, &levels);
		for (unsigned l = 0; l < levels && l <= 16; l += 8)
			memcpy(mt.h[l / 8][(e.size >> l) - 1], out[l], RC_TLOG_HASH_LEN);
	}
	rc_tlog_edge_root(&e, root);
	if (memcmp(root, ls.cp.root, RC_TLOG_HASH_LEN) != 0) {
		fprintf(stderr, "the entries do not give the log's root\n");
		return 1;
	}
	printf("entries %" PRIu64 " count\nthreshold_verified %" PRIu64
	       " count\nthreshold_verify %.1f ms\nthreshold_verify_each %.2f us\n",
	       size, nv, t1 - t0, (t1 - t0) * 1e3 / (double)nv);
	printf("tree_append %.1f ms\ntree_append_each %.3f us\n", t2 - t1,
	       (t2 - t1) * 1e3 / (double)size);
	int r = proofs("tiles", log_read_hash, &ls, size, ls.cp.root, count) ||
		size >= ((uint64_t)1 << 24) || proofs("memory", mem_read, &mt, size, root, count);
	for (int l = 0; l < 3; l++)
		free(mt.h[l]);
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
