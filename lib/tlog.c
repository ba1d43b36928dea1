/* Merkle tree hashing, proofs and tile paths of the transparency log (include/recall/tlog.h).
 * Everything is iterative with fixed-size state: a proof of a 2^62-entry tree is 62 hashes,
 * and a device verifying one must not recurse on attacker-chosen sizes. */
#include <string.h>

#include <sodium.h>

#include "recall/error.h"
#include "recall/tlog.h"

#define H RC_TLOG_HASH_LEN

void rc_tlog_leaf_hash(uint8_t out[H], const uint8_t *entry, size_t n)
{
	static const uint8_t prefix = 0x00;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	crypto_hash_sha256_update(&st, entry, n);
	crypto_hash_sha256_final(&st, out);
}

void rc_tlog_node_hash(uint8_t out[H], const uint8_t left[H], const uint8_t right[H])
{
	uint8_t buf[1 + 2 * H];
	buf[0] = 0x01;
	memcpy(buf + 1, left, H);
	memcpy(buf + 1 + H, right, H);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

/* Largest power of two strictly below n (n >= 2): RFC 9162's split point k. */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

void rc_tlog_edge_init(struct rc_tlog_edge *e)
{
	memset(e, 0, sizeof(*e));
}

int rc_tlog_edge_append(struct rc_tlog_edge *e, const uint8_t leaf[H], uint8_t out[63][H],
			unsigned *levels)
{
	if (e->size >= RC_TLOG_MAX_SIZE - 1)
		return RC_ERR_RANGE;
	uint8_t carry[H];
	memcpy(carry, leaf, H);
	memcpy(out[0], carry, H);
	unsigned l = 0;
	/* Each set low bit is a complete subtree that the new leaf's subtree now pairs with. */
	while (e->size >> l & 1) {
		rc_tlog_node_hash(carry, e->hash[l], carry);
		l++;
		memcpy(out[l], carry, H);
	}
	memcpy(e->hash[l], carry, H);
	e->size++;
	*levels = l + 1;
	return RC_OK;
}

void rc_tlog_edge_root(const struct rc_tlog_edge *e, uint8_t out[H])
{
	if (e->size == 0) {
		crypto_hash_sha256(out, NULL, 0);
		return;
	}
	/* Fold right to left: the smallest subtree is the rightmost. */
	int have = 0;
	for (unsigned l = 0; l < 63; l++) {
		if (!(e->size >> l & 1))
			continue;
		if (!have)
			memcpy(out, e->hash[l], H);
		else
			rc_tlog_node_hash(out, e->hash[l], out);
		have = 1;
	}
}

int rc_tlog_edge_load(struct rc_tlog_edge *e, uint64_t size, rc_tlog_read_fn read, void *ctx)
{
	if (size >= RC_TLOG_MAX_SIZE)
		return RC_ERR_RANGE;
	rc_tlog_edge_init(e);
	for (unsigned l = 0; l < 63; l++) {
		if (!(size >> l & 1))
			continue;
		int err = read(ctx, l, (size >> l) - 1, e->hash[l]);
		if (err)
			return err;
	}
	e->size = size;
	return RC_OK;
}

int rc_tlog_root_of_leaves(uint8_t out[H], const uint8_t (*leaves)[H], size_t n)
{
	uint64_t count = n; /* a variable, so a 32-bit size_t draws no -Wtype-limits warning */
	if (count >= RC_TLOG_MAX_SIZE)
		return RC_ERR_RANGE;
	struct rc_tlog_edge e;
	uint8_t scratch[63][H];
	unsigned levels;
	rc_tlog_edge_init(&e);
	for (size_t i = 0; i < n; i++) {
		int err = rc_tlog_edge_append(&e, leaves[i], scratch, &levels);
		if (err)
			return err;
	}
	rc_tlog_edge_root(&e, out);
	return RC_OK;
}

/* MTH(D[lo:hi]) for the ranges that RFC 9162's recursion produces: lo a multiple of a power
 * of two >= hi - lo, so the range splits into complete stored subtrees, largest first. They
 * are read smallest (rightmost) first and folded right to left, without a stack. */
static int range_hash(uint8_t out[H], uint64_t lo, uint64_t hi, rc_tlog_read_fn read, void *ctx)
{
	uint64_t m = hi - lo, pos = hi;
	int have = 0;
	for (unsigned b = 0; b < 63; b++) {
		if (!(m >> b & 1))
			continue;
		pos -= (uint64_t)1 << b;
		if (pos & (((uint64_t)1 << b) - 1))
			return RC_ERR_INVALID;
		uint8_t h[H];
		int err = read(ctx, b, pos >> b, h);
		if (err)
			return err;
		if (!have)
			memcpy(out, h, H);
		else
			rc_tlog_node_hash(out, h, out);
		have = 1;
	}
	return have ? RC_OK : RC_ERR_INVALID;
}

int rc_tlog_tree_hash(uint8_t out[H], uint64_t size, rc_tlog_read_fn read, void *ctx)
{
	if (size >= RC_TLOG_MAX_SIZE)
		return RC_ERR_RANGE;
	if (size == 0) {
		crypto_hash_sha256(out, NULL, 0);
		return RC_OK;
	}
	return range_hash(out, 0, size, read, ctx);
}

/* Proofs are built top-down (the recursion unrolled) and reversed: RFC order is bottom-up. */
static void reverse(uint8_t (*p)[H], size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t t[H];
		memcpy(t, p[i], H);
		memcpy(p[i], p[n - 1 - i], H);
		memcpy(p[n - 1 - i], t, H);
	}
}

int rc_tlog_prove_inclusion(uint8_t (*proof)[H], size_t cap, size_t *n, uint64_t index,
			    uint64_t size, rc_tlog_read_fn read, void *ctx)
{
	*n = 0;
	if (size >= RC_TLOG_MAX_SIZE || index >= size)
		return RC_ERR_RANGE;
	uint64_t lo = 0, hi = size;
	size_t k = 0;
	while (hi - lo > 1) {
		uint64_t mid = lo + split(hi - lo);
		if (k >= cap)
			return RC_ERR_BUFFER;
		int err = index < mid ? range_hash(proof[k], mid, hi, read, ctx)
				      : range_hash(proof[k], lo, mid, read, ctx);
		if (err)
			return err;
		k++;
		if (index < mid)
			hi = mid;
		else
			lo = mid;
	}
	reverse(proof, k);
	*n = k;
	return RC_OK;
}

int rc_tlog_prove_consistency(uint8_t (*proof)[H], size_t cap, size_t *n, uint64_t old_size,
			      uint64_t new_size, rc_tlog_read_fn read, void *ctx)
{
	*n = 0;
	if (new_size >= RC_TLOG_MAX_SIZE || old_size == 0 || old_size > new_size)
		return RC_ERR_RANGE;
	/* SUBPROOF(m, D[lo:hi], whole): m counts leaves of the old tree inside [lo, hi). */
	uint64_t lo = 0, hi = new_size, m = old_size;
	int whole = 1;
	size_t k = 0;
	int err;
	while (m != hi - lo) {
		uint64_t s = split(hi - lo);
		if (k >= cap)
			return RC_ERR_BUFFER;
		if (m <= s) {
			err = range_hash(proof[k], lo + s, hi, read, ctx);
			hi = lo + s;
		} else {
			err = range_hash(proof[k], lo, lo + s, read, ctx);
			lo += s;
			m -= s;
			whole = 0;
		}
		if (err)
			return err;
		k++;
	}
	/* The old tree's own subtree ends the recursion unless it is the whole old tree, which
	 * the verifier knows (its root). */
	if (!whole) {
		if (k >= cap)
			return RC_ERR_BUFFER;
		if ((err = range_hash(proof[k], lo, hi, read, ctx)) != 0)
			return err;
		k++;
	}
	reverse(proof, k);
	*n = k;
	return RC_OK;
}

int rc_tlog_inclusion_root(uint8_t root[H], const uint8_t (*proof)[H], size_t n, uint64_t index,
			   uint64_t size, const uint8_t leaf[H])
{
	if (size >= RC_TLOG_MAX_SIZE || index >= size)
		return RC_ERR_RANGE;
	if (n > RC_TLOG_PROOF_MAX)
		return RC_ERR_SIZE;
	uint64_t fn = index, sn = size - 1;
	uint8_t r[H];
	memcpy(r, leaf, H);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return RC_ERR_SIZE;
		if ((fn & 1) || fn == sn) {
			rc_tlog_node_hash(r, proof[i], r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			rc_tlog_node_hash(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return RC_ERR_SIZE;
	memcpy(root, r, H);
	return RC_OK;
}

int rc_tlog_verify_inclusion(const uint8_t (*proof)[H], size_t n, uint64_t index, uint64_t size,
			     const uint8_t leaf[H], const uint8_t root[H])
{
	uint8_t r[H];
	int err = rc_tlog_inclusion_root(r, proof, n, index, size, leaf);
	if (err)
		return err;
	return sodium_memcmp(r, root, H) == 0 ? RC_OK : RC_ERR_SIG;
}

int rc_tlog_verify_consistency(const uint8_t (*proof)[H], size_t n, uint64_t old_size,
			       uint64_t new_size, const uint8_t old_root[H],
			       const uint8_t new_root[H])
{
	if (new_size >= RC_TLOG_MAX_SIZE || old_size > new_size)
		return RC_ERR_RANGE;
	if (n > RC_TLOG_PROOF_MAX)
		return RC_ERR_SIZE;
	if (old_size == 0 || old_size == new_size) {
		/* Nothing to prove: the empty tree is a prefix of any tree, a tree of itself. The
		 * old root must still be the right one, or a verifier would trust a bogus hash. */
		uint8_t empty[H];
		crypto_hash_sha256(empty, NULL, 0);
		if (n != 0)
			return RC_ERR_SIZE;
		if (old_size == 0)
			return sodium_memcmp(old_root, empty, H) == 0 ? RC_OK : RC_ERR_SIG;
		return sodium_memcmp(old_root, new_root, H) == 0 ? RC_OK : RC_ERR_SIG;
	}
	if (n == 0)
		return RC_ERR_SIZE;
	/* When old_size is a power of two the old root is the proof's implicit first hash. */
	size_t i = 0;
	const uint8_t *first = proof[0];
	if ((old_size & (old_size - 1)) == 0)
		first = old_root;
	else
		i = 1;
	uint64_t fn = old_size - 1, sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[H], sr[H];
	memcpy(fr, first, H);
	memcpy(sr, first, H);
	for (; i < n; i++) {
		if (sn == 0)
			return RC_ERR_SIZE;
		if ((fn & 1) || fn == sn) {
			rc_tlog_node_hash(fr, proof[i], fr);
			rc_tlog_node_hash(sr, proof[i], sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			rc_tlog_node_hash(sr, sr, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return RC_ERR_SIZE;
	int ok_old = sodium_memcmp(fr, old_root, H) == 0;
	int ok_new = sodium_memcmp(sr, new_root, H) == 0;
	return ok_old && ok_new ? RC_OK : RC_ERR_SIG;
}
