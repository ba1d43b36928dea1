/* The Merkle tree of the transparency log: roots, inclusion and consistency proofs against
 * vectors computed by golang.org/x/mod/sumdb/tlog (tests/data/tlog/vectors.txt: the eight
 * RFC 6962 test leaves and a 1000-entry tree), every proof of small trees generated and
 * verified both ways, tampering rejected, and the tlog-tiles path spelling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recall/error.h"
#include "recall/tlog.h"
#include "testutil.h"

#define H      RC_TLOG_HASH_LEN
#define MAXLOG 1000

/* A log held in memory: every stored hash, [level][index]. */
struct mem {
	uint64_t size;
	uint8_t (*lv[11])[H];
};

static int mem_read(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	struct mem *m = ctx;
	if (level > 10 || ((index + 1) << level) > m->size)
		return RC_ERR_RANGE; /* a hash outside the tree must never be asked for */
	memcpy(out, m->lv[level][index], H);
	return RC_OK;
}

static void mem_build(struct mem *m, const char *name, uint64_t n)
{
	static const uint8_t ct[8][16] = {{0},
					  {0x00},
					  {0x10},
					  {0x20, 0x21},
					  {0x30, 0x31},
					  {0x40, 0x41, 0x42, 0x43},
					  {0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
					  {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
					   0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f}};
	static const size_t ctlen[8] = {0, 1, 1, 2, 2, 4, 8, 16};
	struct rc_tlog_edge e;
	uint8_t out[63][H];
	unsigned levels;
	memset(m, 0, sizeof(*m));
	for (int l = 0; l < 11; l++)
		m->lv[l] = calloc(MAXLOG, H);
	rc_tlog_edge_init(&e);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t leaf[H];
		char buf[32];
		if (!strcmp(name, "ct")) {
			rc_tlog_leaf_hash(leaf, ct[i], ctlen[i]);
		} else {
			int len = snprintf(buf, sizeof(buf), "entry %u", (unsigned)i);
			rc_tlog_leaf_hash(leaf, (const uint8_t *)buf, (size_t)len);
		}
		assert_int_equal(rc_tlog_edge_append(&e, leaf, out, &levels), RC_OK);
		for (unsigned l = 0; l < levels; l++)
			memcpy(m->lv[l][((i + 1) >> l) - 1], out[l], H);
	}
	m->size = n;
}

static void mem_free(struct mem *m)
{
	for (int l = 0; l < 11; l++)
		free(m->lv[l]);
}

static size_t parse_hashes(char *s, uint8_t (*out)[H])
{
	size_t n = 0;
	if (!strcmp(s, "-"))
		return 0;
	for (char *t = strtok(s, ","); t; t = strtok(NULL, ","))
		assert_int_equal(tu_unhex(out[n++], H, t), H);
	return n;
}

static void test_vectors(void **state)
{
	(void)state;
	size_t len;
	char *text = tu_read_data("tlog/vectors.txt", &len);
	struct mem ct, big;
	mem_build(&ct, "ct", 8);
	mem_build(&big, "big", 1000);
	int roots = 0, incls = 0, conss = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind[8], name[8], hashes[8192];
		unsigned long long a, b;
		uint8_t proof[RC_TLOG_PROOF_MAX][H], got[RC_TLOG_PROOF_MAX][H], want[H];
		size_t n, gn;
		if (sscanf(line, "root %7s %llu %64s", name, &a, hashes) == 3) {
			struct mem *m = !strcmp(name, "ct") ? &ct : &big;
			struct mem pre = *m;
			pre.size = a;
			assert_int_equal(tu_unhex(want, H, hashes), H);
			assert_int_equal(rc_tlog_tree_hash(got[0], a, mem_read, &pre), RC_OK);
			assert_memory_equal(got[0], want, H);
			roots++;
			continue;
		}
		assert_int_equal(
		    sscanf(line, "%7s %7s %llu %llu %8191s", kind, name, &a, &b, hashes), 5);
		struct mem *m = !strcmp(name, "ct") ? &ct : &big;
		n = parse_hashes(hashes, proof);
		uint8_t root_b[H], root_a[H];
		assert_int_equal(rc_tlog_tree_hash(root_b, b, mem_read, m), RC_OK);
		if (!strcmp(kind, "incl")) {
			assert_int_equal(
			    rc_tlog_prove_inclusion(got, RC_TLOG_PROOF_MAX, &gn, a, b, mem_read, m),
			    RC_OK);
			assert_int_equal(gn, n);
			assert_memory_equal(got, proof, n * H);
			assert_int_equal(rc_tlog_verify_inclusion((const uint8_t(*)[H])proof, n, a,
								  b, m->lv[0][a], root_b),
					 RC_OK);
			incls++;
		} else {
			assert_string_equal(kind, "cons");
			assert_int_equal(rc_tlog_prove_consistency(got, RC_TLOG_PROOF_MAX, &gn, a,
								   b, mem_read, m),
					 RC_OK);
			assert_int_equal(gn, n);
			assert_memory_equal(got, proof, n * H);
			assert_int_equal(rc_tlog_tree_hash(root_a, a, mem_read, m), RC_OK);
			assert_int_equal(rc_tlog_verify_consistency((const uint8_t(*)[H])proof, n,
								    a, b, root_a, root_b),
					 RC_OK);
			conss++;
		}
	}
	/* Every root of the CT tree, and the proofs of every pair up to 8 leaves. */
	assert_int_equal(roots, 9);
	assert_true(incls >= 36 && conss >= 36);
	mem_free(&ct);
	mem_free(&big);
	free(text);
}

static void test_known_roots(void **state)
{
	(void)state;
	uint8_t got[H], want[H];
	/* RFC 9162 §2.1.1: the empty tree's root is SHA-256 of nothing. */
	tu_unhex(want, H, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(rc_tlog_root_of_leaves(got, NULL, 0), RC_OK);
	assert_memory_equal(got, want, H);
	struct mem ct;
	mem_build(&ct, "ct", 8);
	tu_unhex(want, H, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
	assert_int_equal(rc_tlog_root_of_leaves(got, (const uint8_t(*)[H])ct.lv[0], 8), RC_OK);
	assert_memory_equal(got, want, H);
	/* The edge loaded back from stored hashes gives the same root and appends the same. */
	struct rc_tlog_edge e;
	assert_int_equal(rc_tlog_edge_load(&e, 8, mem_read, &ct), RC_OK);
	rc_tlog_edge_root(&e, got);
	assert_memory_equal(got, want, H);
	mem_free(&ct);
}

/* Every proof of every tree up to 70 leaves verifies, and a changed hash, leaf, index or
 * length breaks it. (A changed size alone need not: the signed checkpoint binds the size.) */
static void test_exhaustive_and_tamper(void **state)
{
	(void)state;
	struct mem m;
	mem_build(&m, "big", 70);
	uint8_t proof[RC_TLOG_PROOF_MAX][H], ra[H], rb[H];
	size_t n;
	for (uint64_t b = 1; b <= 70; b++) {
		struct mem t = m;
		t.size = b;
		assert_int_equal(rc_tlog_tree_hash(rb, b, mem_read, &t), RC_OK);
		for (uint64_t a = 0; a < b; a++) {
			assert_int_equal(rc_tlog_prove_inclusion(proof, RC_TLOG_PROOF_MAX, &n, a, b,
								 mem_read, &t),
					 RC_OK);
			const uint8_t(*p)[H] = (const uint8_t(*)[H])proof;
			assert_int_equal(rc_tlog_verify_inclusion(p, n, a, b, m.lv[0][a], rb),
					 RC_OK);
			if (b > 1)
				assert_int_equal(
				    rc_tlog_verify_inclusion(p, n, a, b, m.lv[0][(a + 1) % b], rb),
				    RC_ERR_SIG);
			if (a + 1 < b)
				assert_int_not_equal(
				    rc_tlog_verify_inclusion(p, n, a + 1, b, m.lv[0][a], rb),
				    RC_OK);
			if (n) {
				assert_int_not_equal(
				    rc_tlog_verify_inclusion(p, n - 1, a, b, m.lv[0][a], rb),
				    RC_OK);
				proof[n / 2][3] ^= 1;
				assert_int_equal(
				    rc_tlog_verify_inclusion(p, n, a, b, m.lv[0][a], rb),
				    RC_ERR_SIG);
				proof[n / 2][3] ^= 1;
			}
			if (a == 0)
				continue;
			assert_int_equal(rc_tlog_tree_hash(ra, a, mem_read, &t), RC_OK);
			assert_int_equal(rc_tlog_prove_consistency(proof, RC_TLOG_PROOF_MAX, &n, a,
								   b, mem_read, &t),
					 RC_OK);
			assert_int_equal(rc_tlog_verify_consistency(p, n, a, b, ra, rb), RC_OK);
			assert_int_not_equal(rc_tlog_verify_consistency(p, n, a, b, rb, ra), RC_OK);
			if (n) {
				proof[n - 1][0] ^= 0x80;
				assert_int_not_equal(rc_tlog_verify_consistency(p, n, a, b, ra, rb),
						     RC_OK);
				proof[n - 1][0] ^= 0x80;
				assert_int_not_equal(
				    rc_tlog_verify_consistency(p, n - 1, a, b, ra, rb), RC_OK);
			}
		}
	}
	/* Limits: sizes, indexes and proof lengths out of range are errors, not crashes. */
	assert_int_equal(rc_tlog_verify_inclusion(NULL, 0, 5, 5, ra, rb), RC_ERR_RANGE);
	assert_int_equal(rc_tlog_verify_inclusion(NULL, 65, 0, 5, ra, rb), RC_ERR_SIZE);
	assert_int_equal(rc_tlog_verify_inclusion(NULL, 0, 0, RC_TLOG_MAX_SIZE, ra, rb),
			 RC_ERR_RANGE);
	assert_int_equal(rc_tlog_verify_consistency(NULL, 0, 6, 5, ra, rb), RC_ERR_RANGE);
	assert_int_equal(rc_tlog_verify_consistency(NULL, 0, 3, 5, ra, rb), RC_ERR_SIZE);
	assert_int_equal(rc_tlog_verify_consistency(NULL, 0, 5, 5, ra, ra), RC_OK);
	assert_int_equal(rc_tlog_verify_consistency(NULL, 0, 5, 5, ra, rb), RC_ERR_SIG);
	assert_int_equal(rc_tlog_verify_consistency(NULL, 0, 0, 5, ra, rb), RC_ERR_SIG);
	assert_int_equal(rc_tlog_prove_inclusion(proof, 3, &n, 0, 70, mem_read, &m), RC_ERR_BUFFER);
	assert_int_equal(rc_tlog_prove_consistency(proof, 64, &n, 0, 70, mem_read, &m),
			 RC_ERR_RANGE);
	mem_free(&m);
}

static void test_tile_paths(void **state)
{
	(void)state;
	static const struct {
		int level;
		uint64_t index;
		unsigned width;
		const char *path;
	} ok[] = {
	    {0, 0, 256, "tile/0/000"},
	    {0, 1, 256, "tile/0/001"},
	    {1, 1, 5, "tile/1/001.p/5"},
	    {3, 123456078, 256, "tile/3/x123/x456/078"},
	    {3, 123456078, 2, "tile/3/x123/x456/078.p/2"},
	    {0, 1234067, 256, "tile/0/x001/x234/067"},
	    {RC_TLOG_ENTRIES, 1000, 255, "tile/entries/x001/000.p/255"},
	    {63, 999, 1, "tile/63/999.p/1"},
	};
	char buf[RC_TLOG_PATH_MAX];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int level;
		uint64_t index;
		unsigned width;
		assert_int_equal(
		    rc_tlog_tile_path(buf, sizeof(buf), ok[i].level, ok[i].index, ok[i].width),
		    RC_OK);
		assert_string_equal(buf, ok[i].path);
		assert_int_equal(rc_tlog_tile_path_parse(buf, strlen(buf), &level, &index, &width),
				 RC_OK);
		assert_int_equal(level, ok[i].level);
		assert_int_equal(index, ok[i].index);
		assert_int_equal(width, ok[i].width);
	}
	/* Tile coordinates: leaf 300 of 1000 is hash 44 of tile 0/1 (full); level 3 index 120 of
	 * 1000 is the root of hashes 192..199 of the partial tile 0/3 (width 232); level 8 index
	 * 2 is hash 2 of tile 1/0, width 3 at size 1000. */
	struct rc_tlog_tile_ref r;
	assert_int_equal(rc_tlog_tile_for(&r, 1000, 0, 300), RC_OK);
	assert_true(r.tlevel == 0 && r.tindex == 1 && r.width == 256 && r.pos == 44 &&
		    r.count == 1);
	assert_int_equal(rc_tlog_tile_for(&r, 1000, 3, 120), RC_OK);
	assert_true(r.tlevel == 0 && r.tindex == 3 && r.width == 232 && r.pos == 192 &&
		    r.count == 8);
	assert_int_equal(rc_tlog_tile_for(&r, 1000, 8, 2), RC_OK);
	assert_true(r.tlevel == 1 && r.tindex == 0 && r.width == 3 && r.pos == 2 && r.count == 1);
	assert_int_equal(rc_tlog_tile_for(&r, 1000, 3, 125), RC_ERR_RANGE); /* 1000..1007 */
	assert_int_equal(rc_tlog_tile_for(&r, 1000, 10, 0), RC_ERR_RANGE);
	assert_int_equal(rc_tlog_tile_for(&r, RC_TLOG_MAX_SIZE, 0, 0), RC_ERR_RANGE);
	/* The longest path fits RC_TLOG_PATH_MAX; a short buffer is an error, not a cut. */
	assert_int_equal(
	    rc_tlog_tile_path(buf, sizeof(buf), RC_TLOG_ENTRIES, RC_TLOG_MAX_SIZE - 1, 255), RC_OK);
	assert_int_equal(rc_tlog_tile_path(buf, 10, 0, 5, 256), RC_ERR_BUFFER);
	assert_int_equal(rc_tlog_tile_path(buf, sizeof(buf), 0, 5, 0), RC_ERR_INVALID);
	assert_int_equal(rc_tlog_tile_path(buf, sizeof(buf), 64, 5, 1), RC_ERR_INVALID);
	static const char *bad[] = {
	    "tile/0/1",        "tile/0/0001",    "tile/00/001",
	    "tile/0/x000/001", "tile/0/001.p/0", "tile/0/001.p/256",
	    "tile/0/001.p/05", "tile/0/001/",    "tile/64/001",
	    "tile/entries/01", "tile/0/x001",    "tile/0/x001/x002",
	    "tile/-1/001",     "tile//001",      "tile/0/001.p/",
	    "Tile/0/001",      "tile/0/x1/001",  "tile/0/001.p/5/",
	    "tile/data/001",   "tile/0/001 ",    "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int level;
		uint64_t index;
		unsigned width;
		assert_int_not_equal(
		    rc_tlog_tile_path_parse(bad[i], strlen(bad[i]), &level, &index, &width), RC_OK);
	}
}

/* Proof files: a tlog-proof round-trips; each malformed one is refused with its code. */
static void test_proof_files(void **state)
{
	(void)state;
	static struct rc_tlog_proof p, q;
	static const char cp[] = "log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
				 "\xe2\x80\x94 log AAAAAAAA\n";
	p.index = 1234;
	p.n = 3;
	for (size_t i = 0; i < 3; i++)
		memset(p.hash[i], (int)i + 1, H);
	memcpy(p.extra, "hello", 5);
	p.extra_len = 5;
	p.checkpoint = cp;
	p.checkpoint_len = strlen(cp);
	static char buf[8192];
	size_t len;
	struct rc_diag d;
	assert_int_equal(rc_tlog_proof_format(buf, sizeof(buf), &len, &p), RC_OK);
	assert_memory_equal(buf, "c2sp.org/tlog-proof@v1\nextra aGVsbG8=\nindex 1234\nAQEB", 52);
	assert_int_equal(rc_tlog_proof_parse(&q, buf, len, &d), RC_OK);
	assert_int_equal(q.index, 1234);
	assert_int_equal(q.n, 3);
	assert_memory_equal(q.hash, p.hash, 3 * H);
	assert_int_equal(q.extra_len, 5);
	assert_int_equal(q.checkpoint_len, strlen(cp));
	assert_memory_equal(q.checkpoint, cp, strlen(cp));
	assert_int_equal(rc_tlog_proof_format(buf, 50, &len, &p), RC_ERR_BUFFER);
	static const char *h = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
	static const struct {
		const char *head;
		int err;
	} bad[] = {
	    {"c2sp.org/tlog-proof@v2\nindex 1\n", RC_ERR_SYNTAX},
	    {"c2sp.org/tlog-proof@v1\nindex 01\n", RC_ERR_NONCANONICAL},
	    {"c2sp.org/tlog-proof@v1\nindex -1\n", RC_ERR_SYNTAX},
	    {"c2sp.org/tlog-proof@v1\nindex \n", RC_ERR_SYNTAX},
	    {"c2sp.org/tlog-proof@v1\nindex 4611686018427387904\n", RC_ERR_RANGE},
	    {"c2sp.org/tlog-proof@v1\nextra aGVsbG8\nindex 1\n", RC_ERR_SYNTAX},
	    {"c2sp.org/tlog-proof@v1\nindex 1\nAQEB\n", RC_ERR_SIZE},
	    {"c2sp.org/tlog-proof@v1\nindex 1\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=\n",
	     RC_ERR_SYNTAX},
	    {"c2sp.org/tlog-proof@v1\nindex 1 \n", RC_ERR_SYNTAX},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = (size_t)snprintf(buf, sizeof(buf), "%s\n%s", bad[i].head, cp);
		if (rc_tlog_proof_parse(&q, buf, len, &d) != bad[i].err)
			fail_msg("proof %zu: got %d, want %d", i,
				 rc_tlog_proof_parse(&q, buf, len, &d), bad[i].err);
	}
	/* No blank line before the checkpoint, or no checkpoint after it. */
	len = (size_t)snprintf(buf, sizeof(buf), "c2sp.org/tlog-proof@v1\nindex 1\n%s\n", h);
	assert_int_equal(rc_tlog_proof_parse(&q, buf, len, &d), RC_ERR_TRUNCATED);
	len = (size_t)snprintf(buf, sizeof(buf), "c2sp.org/tlog-proof@v1\nindex 1\n%s\n\n", h);
	assert_int_equal(rc_tlog_proof_parse(&q, buf, len, &d), RC_ERR_TRUNCATED);
	/* 64 hashes are a proof, 65 are not; the same for hash-line files. */
	uint8_t hs[RC_TLOG_PROOF_MAX][H];
	size_t n;
	len = (size_t)snprintf(buf, sizeof(buf), "c2sp.org/tlog-proof@v1\nindex 1\n");
	size_t hdr = len;
	for (int i = 0; i < RC_TLOG_PROOF_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", h);
	assert_int_equal(rc_tlog_hashes_parse(hs, &n, buf + hdr, len - hdr, &d), RC_OK);
	assert_int_equal(n, RC_TLOG_PROOF_MAX);
	size_t with64 = len;
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", h);
	assert_int_equal(rc_tlog_hashes_parse(hs, &n, buf + hdr, len - hdr, &d), RC_ERR_TOOLONG);
	snprintf(buf + len, sizeof(buf) - len, "\n%s", cp);
	assert_int_equal(rc_tlog_proof_parse(&q, buf, strlen(buf), &d), RC_ERR_TOOLONG);
	snprintf(buf + with64, sizeof(buf) - with64, "\n%s", cp);
	assert_int_equal(rc_tlog_proof_parse(&q, buf, strlen(buf), &d), RC_OK);
	assert_int_equal(rc_tlog_hashes_parse(hs, &n, "", 0, &d), RC_OK);
	assert_int_equal(n, 0);
	assert_int_equal(rc_tlog_hashes_parse(hs, &n, h, strlen(h), &d), RC_ERR_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_known_roots),
	    cmocka_unit_test(test_exhaustive_and_tamper),
	    cmocka_unit_test(test_tile_paths),
	    cmocka_unit_test(test_proof_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
