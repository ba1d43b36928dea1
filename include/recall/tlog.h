/* Merkle tree of a transparency log: RFC 6962 / RFC 9162 hashing, tree roots, inclusion and
 * consistency proofs (generation and verification), and the C2SP tlog-tiles coordinates and
 * paths. Pure functions: no heap, no OS calls, bounded recursion (none) and bounded stack.
 *
 * Hashes: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), the root of
 * the empty tree is SHA-256(""). A "stored hash" is the hash of a complete subtree: level L,
 * index N covers leaves [N * 2^L, (N + 1) * 2^L); level 0 are the leaf hashes. Tiles
 * (c2sp.org/tlog-tiles) hold the stored hashes of levels 0, 8, 16...: tile level T, index N
 * holds the level-8T hashes N * 256 .. N * 256 + W - 1, W = 256 for a full tile. */
#ifndef RECALL_TLOG_H
#define RECALL_TLOG_H

#include <stddef.h>
#include <stdint.h>

#define RC_TLOG_HASH_LEN 32
/* Trees hold fewer than 2^62 entries, so no shift or index arithmetic below can overflow. */
#define RC_TLOG_MAX_SIZE ((uint64_t)1 << 62)
/* Hashes in any inclusion or consistency proof of a tree below RC_TLOG_MAX_SIZE. */
#define RC_TLOG_PROOF_MAX  64
#define RC_TLOG_TILE_H     8
#define RC_TLOG_TILE_WIDTH 256
/* Longest tile path: "tile/entries/" + 7 groups of "x123/" + ".p/255" and NUL. */
#define RC_TLOG_PATH_MAX 64
/* The tile level that names entry bundles ("tile/entries/..."). */
#define RC_TLOG_ENTRIES (-1)

/* Reads the stored hash at (level, index) into out; returns 0 or an rc_err code, which the
 * caller passes on. Only hashes of complete subtrees inside the tree are asked for. */
typedef int (*rc_tlog_read_fn)(void *ctx, unsigned level, uint64_t index,
			       uint8_t out[RC_TLOG_HASH_LEN]);

void rc_tlog_leaf_hash(uint8_t out[RC_TLOG_HASH_LEN], const uint8_t *entry, size_t n);
void rc_tlog_node_hash(uint8_t out[RC_TLOG_HASH_LEN], const uint8_t left[RC_TLOG_HASH_LEN],
		       const uint8_t right[RC_TLOG_HASH_LEN]);

/* The right edge of a tree: for every bit L set in size, the stored hash of the complete
 * subtree at level L that the bit stands for. Enough to append and to compute the root. */
struct rc_tlog_edge {
	uint64_t size;
	uint8_t hash[63][RC_TLOG_HASH_LEN];
};

/* Empties *e (size 0). */
void rc_tlog_edge_init(struct rc_tlog_edge *e);
/* Appends one leaf hash. The stored hashes the append completes are written to out: out[0]
 * the leaf itself (level 0, index old size), out[L] the level-L hash of index
 * (new size >> L) - 1; *levels is how many (1..63). RC_ERR_RANGE if the tree is full. */
int rc_tlog_edge_append(struct rc_tlog_edge *e, const uint8_t leaf[RC_TLOG_HASH_LEN],
			uint8_t out[63][RC_TLOG_HASH_LEN], unsigned *levels);
/* Root hash of the tree the edge describes. */
void rc_tlog_edge_root(const struct rc_tlog_edge *e, uint8_t out[RC_TLOG_HASH_LEN]);
/* Loads the edge of a tree of the given size from stored hashes. */
int rc_tlog_edge_load(struct rc_tlog_edge *e, uint64_t size, rc_tlog_read_fn read, void *ctx);

/* Root of the tree of n leaf hashes (n < RC_TLOG_MAX_SIZE). */
int rc_tlog_root_of_leaves(uint8_t out[RC_TLOG_HASH_LEN], const uint8_t (*leaves)[RC_TLOG_HASH_LEN],
			   size_t n);
/* Root of the tree of the given size from stored hashes. */
int rc_tlog_tree_hash(uint8_t out[RC_TLOG_HASH_LEN], uint64_t size, rc_tlog_read_fn read,
		      void *ctx);

/* Inclusion proof of leaf index in the tree of the given size (RFC 9162 §2.1.3.1), into
 * proof[cap]; *n is the number of hashes. RC_ERR_RANGE if index >= size or size too large. */
int rc_tlog_prove_inclusion(uint8_t (*proof)[RC_TLOG_HASH_LEN], size_t cap, size_t *n,
			    uint64_t index, uint64_t size, rc_tlog_read_fn read, void *ctx);
/* Consistency proof from the tree of size old to the tree of size new (RFC 9162 §2.1.4.1),
 * 0 < old <= new; empty when old == new. */
int rc_tlog_prove_consistency(uint8_t (*proof)[RC_TLOG_HASH_LEN], size_t cap, size_t *n,
			      uint64_t old_size, uint64_t new_size, rc_tlog_read_fn read,
			      void *ctx);

/* The root that an inclusion proof of leaf at index in a tree of the given size leads to (RFC
 * 9162 §2.1.3.2 without the final comparison): RC_ERR_RANGE, RC_ERR_SIZE as below. */
int rc_tlog_inclusion_root(uint8_t root[RC_TLOG_HASH_LEN], const uint8_t (*proof)[RC_TLOG_HASH_LEN],
			   size_t n, uint64_t index, uint64_t size,
			   const uint8_t leaf[RC_TLOG_HASH_LEN]);
/* RFC 9162 §2.1.3.2: RC_OK if leaf is at index in the tree (size, root); RC_ERR_SIG if the
 * proof does not lead to root, RC_ERR_RANGE for an index or size out of range, RC_ERR_SIZE
 * for a proof of the wrong length. */
int rc_tlog_verify_inclusion(const uint8_t (*proof)[RC_TLOG_HASH_LEN], size_t n, uint64_t index,
			     uint64_t size, const uint8_t leaf[RC_TLOG_HASH_LEN],
			     const uint8_t root[RC_TLOG_HASH_LEN]);
/* RFC 9162 §2.1.4.2: RC_OK if the tree (old_size, old_root) is a prefix of (new_size,
 * new_root). old_size == new_size needs an empty proof and equal roots; old_size 0 is
 * consistent with everything only with an empty proof and the empty root. */
int rc_tlog_verify_consistency(const uint8_t (*proof)[RC_TLOG_HASH_LEN], size_t n,
			       uint64_t old_size, uint64_t new_size,
			       const uint8_t old_root[RC_TLOG_HASH_LEN],
			       const uint8_t new_root[RC_TLOG_HASH_LEN]);

/* Where the stored hash (level, index) of a tree of the given size lives in tiles: tile level
 * *tlevel = level / 8 and index *tindex, of width *width at that size (256: full), and the
 * *count (2^(level % 8)) level-8*tlevel hashes from position *pos whose subtree root it is.
 * RC_ERR_RANGE unless the subtree is complete inside the tree. */
struct rc_tlog_tile_ref {
	int tlevel;
	uint64_t tindex;
	unsigned width, pos, count;
};
int rc_tlog_tile_for(struct rc_tlog_tile_ref *t, uint64_t size, unsigned level, uint64_t index);

/* The path of a tile: "tile/<level>/<N>" or "tile/entries/<N>", N in groups of three digits
 * with all but the last prefixed by 'x' (1234067: "x001/x234/067"), and ".p/<width>" for a
 * partial tile (width 1..255; 256 is a full tile). level is 0..63 or RC_TLOG_ENTRIES. */
int rc_tlog_tile_path(char *out, size_t cap, int level, uint64_t index, unsigned width);
/* Strict inverse of rc_tlog_tile_path (the only spelling of each tile is accepted). */
int rc_tlog_tile_path_parse(const char *path, size_t n, int *level, uint64_t *index,
			    unsigned *width);

/* A proof of inclusion as a file (c2sp.org/tlog-proof, v1):
 *   "c2sp.org/tlog-proof@v1\n" ["extra <base64>\n"] "index <N>\n" (<base64 hash>"\n")*
 *   "\n" <signed checkpoint note>
 * The checkpoint is kept as a span for the note parser. */
#define RC_TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1\n"
#define RC_TLOG_EXTRA_MAX    512 /* bytes of opaque extra data */
struct rc_tlog_proof {
	uint64_t index;
	size_t n;
	uint8_t hash[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN];
	uint8_t extra[RC_TLOG_EXTRA_MAX];
	size_t extra_len;
	const char *checkpoint;
	size_t checkpoint_len;
};
struct rc_diag;
int rc_tlog_proof_parse(struct rc_tlog_proof *p, const char *buf, size_t len, struct rc_diag *d);
/* Writes a proof file (no NUL) for p (its checkpoint span included). */
int rc_tlog_proof_format(char *out, size_t cap, size_t *len, const struct rc_tlog_proof *p);
/* Lines of base64 hashes (a consistency proof file): at most RC_TLOG_PROOF_MAX. */
int rc_tlog_hashes_parse(uint8_t (*out)[RC_TLOG_HASH_LEN], size_t *n, const char *buf, size_t len,
			 struct rc_diag *d);

#endif
