/* Fuzz the Merkle proof verifiers and the tile path parser (include/recall/tlog.h). First byte:
 *   0: the rest is a tile path; if it parses, formatting it back gives the same bytes.
 *   1: inclusion: index(8 BE) size(8 BE) leaf(32) root(32) then proof hashes (32 each).
 *   2: consistency: old(8 BE) new(8 BE) old root(32) new root(32) then proof hashes.
 *   3: generation: a tree of (byte 1 mod 100) leaves hashed from the rest; proofs of every
 *      index and of every older size must verify, and fail with one bit changed; every stored
 *      hash lies inside the tile that rc_tlog_tile_for names.
 * A proof that verifies must stop verifying when any of its hashes changes (each hash enters the
 * computed root). Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall/error.h"
#include "recall/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define H RC_TLOG_HASH_LEN

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tlog_proof: %s violated\n", what);
		abort();
	}
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint8_t stored[8][256][H]; /* up to 255 leaves: levels 0..7 */
static uint64_t stored_size;

static int read_mem(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	(void)ctx;
	check(level < 8 && ((index + 1) << level) <= stored_size, "reads stay inside the tree");
	memcpy(out, stored[level][index], H);
	return RC_OK;
}

static void tile(const uint8_t *d, size_t n)
{
	int level;
	uint64_t index;
	unsigned width;
	char back[RC_TLOG_PATH_MAX];
	if (rc_tlog_tile_path_parse((const char *)d, n, &level, &index, &width) != RC_OK)
		return;
	check(rc_tlog_tile_path(back, sizeof(back), level, index, width) == RC_OK, "formats");
	check(strlen(back) == n && !memcmp(back, d, n), "one spelling per tile");
}

static void proofs(const uint8_t *d, size_t n, int consistency)
{
	if (n < 80)
		return;
	uint64_t a = be64(d), b = be64(d + 8);
	uint8_t x[H], y[H], proof[RC_TLOG_PROOF_MAX + 2][H];
	memcpy(x, d + 16, H);
	memcpy(y, d + 48, H);
	size_t k = (n - 80) / H;
	if (k > RC_TLOG_PROOF_MAX + 2)
		k = RC_TLOG_PROOF_MAX + 2;
	memcpy(proof, d + 80, k * H);
	const uint8_t(*p)[H] = (const uint8_t(*)[H])proof;
	int r = consistency ? rc_tlog_verify_consistency(p, k, a, b, x, y)
			    : rc_tlog_verify_inclusion(p, k, a, b, x, y);
	check(r >= 0 && r < RC_ERR__COUNT, "an rc_err code");
	if (r != RC_OK)
		return;
	for (size_t i = 0; i < k; i++) {
		proof[i][i % H] ^= 1;
		r = consistency ? rc_tlog_verify_consistency(p, k, a, b, x, y)
				: rc_tlog_verify_inclusion(p, k, a, b, x, y);
		check(r != RC_OK, "every proof hash counts");
		proof[i][i % H] ^= 1;
	}
}

static void generate(const uint8_t *d, size_t n)
{
	if (n < 1)
		return;
	uint64_t size = d[0] % 100; /* every proof of every size: keep executions fast */
	struct rc_tlog_edge e;
	uint8_t out[63][H], root[H], old[H], proof[RC_TLOG_PROOF_MAX][H];
	unsigned levels;
	size_t k;
	rc_tlog_edge_init(&e);
	for (uint64_t i = 0; i < size; i++) {
		uint8_t leaf[H];
		uint8_t buf[2] = {(uint8_t)i, (uint8_t)(i >> 8)};
		rc_tlog_leaf_hash(leaf, i + 1 < n ? d + 1 + i : buf, i + 1 < n ? 1 : 2);
		check(rc_tlog_edge_append(&e, leaf, out, &levels) == RC_OK, "append");
		for (unsigned l = 0; l < levels && l < 8; l++)
			memcpy(stored[l][((i + 1) >> l) - 1], out[l], H);
	}
	stored_size = size;
	rc_tlog_edge_root(&e, root);
	uint8_t again[H];
	check(rc_tlog_tree_hash(again, size, read_mem, NULL) == RC_OK && !memcmp(again, root, H),
	      "edge root is the tree hash");
	/* Every stored hash maps into a tile that exists at this size, inside its width. */
	for (unsigned l = 0; l < 8; l++)
		for (uint64_t i = 0; i <= (size >> l); i++) {
			struct rc_tlog_tile_ref t;
			int r = rc_tlog_tile_for(&t, size, l, i);
			check((r == RC_OK) == (i < (size >> l)),
			      "tile_for covers the tree exactly");
			if (r == RC_OK)
				check(t.tlevel == 0 && t.pos + t.count <= t.width && t.width >= 1 &&
					  t.width <= RC_TLOG_TILE_WIDTH && t.count == 1u << l,
				      "tile_for inside the tile");
		}
	const uint8_t(*p)[H] = (const uint8_t(*)[H])proof;
	for (uint64_t i = 0; i < size; i++) {
		check(rc_tlog_prove_inclusion(proof, RC_TLOG_PROOF_MAX, &k, i, size, read_mem,
					      NULL) == RC_OK,
		      "prove inclusion");
		check(rc_tlog_verify_inclusion(p, k, i, size, stored[0][i], root) == RC_OK,
		      "inclusion verifies");
		if (k) {
			proof[i % k][0] ^= 0x40;
			check(rc_tlog_verify_inclusion(p, k, i, size, stored[0][i], root) != RC_OK,
			      "changed inclusion proof fails");
		}
		if (i == 0)
			continue;
		check(rc_tlog_tree_hash(old, i, read_mem, NULL) == RC_OK, "old root");
		check(rc_tlog_prove_consistency(proof, RC_TLOG_PROOF_MAX, &k, i, size, read_mem,
						NULL) == RC_OK,
		      "prove consistency");
		check(rc_tlog_verify_consistency(p, k, i, size, old, root) == RC_OK,
		      "consistency verifies");
		if (k) {
			proof[i % k][H - 1] ^= 0x02;
			check(rc_tlog_verify_consistency(p, k, i, size, old, root) != RC_OK,
			      "changed consistency proof fails");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	switch (data[0] & 3) {
	case 0:
		tile(data + 1, size - 1);
		break;
	case 1:
		proofs(data + 1, size - 1, 0);
		break;
	case 2:
		proofs(data + 1, size - 1, 1);
		break;
	default:
		generate(data + 1, size - 1);
		break;
	}
	return 0;
}
