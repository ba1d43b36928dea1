/* The transparency log (transparency-log = DIR, a c2sp.org/tlog-tiles directory): at every
 * state load, on the main thread, the checkpoint is checked (log signature, witness quorum of
 * the anchor set's log policy), the tiles must give its root and be consistent with the last
 * checkpoint accepted (kept in state-dir), and the complete proof answer of every served
 * notice and rotation statement found in the log is built (a device on a logged anchor set
 * applies a rotation only with its proof, PROTOCOL.md 10.3). Workers then only copy an answer
 * and patch its nonce.
 *
 * Served notices are found through the level-0 tiles (32 bytes per entry, read from the end of
 * the log, where new notices are) rather than the entry bundles (up to 1162 bytes per entry):
 * a leaf hash found there is used only after its inclusion path, read from the same tiles,
 * leads to the signed root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "rd.h"
#include "recall/logproof.h"
#include "recall/note.h"
#include "recall/tlog.h"

#define TILE_BYTES (RC_TLOG_TILE_WIDTH * RC_TLOG_HASH_LEN)

static const char *const res_names[RD_LOGR__COUNT] = {"none",   "ok",          "io",     "format",
						      "policy", "signature",   "quorum", "tiles",
						      "state",  "inconsistent"};

const char *rd_log_res_name(int r)
{
	return r >= 0 && r < RD_LOGR__COUNT ? res_names[r] : "unknown";
}

#define TILE_LEVELS 8 /* tile levels of trees below 2^62 */

/* One tile held, with the hashes of the complete subtrees inside it as far as asked for:
 * h[0] the tile's hashes, h[j] the nodes j levels above them. */
struct tile {
	int level; /* -2: none */
	uint64_t index;
	unsigned width;
	unsigned built; /* h[1..built] are filled */
	uint8_t h[RC_TLOG_TILE_H][RC_TLOG_TILE_WIDTH][RC_TLOG_HASH_LEN];
};

/* Tiles of one log directory for a tree of the given size; the last two tiles read of each
 * tile level are kept: a proof reads the leaf's tiles and those of the tree's right edge, and
 * proofs are built in index order. */
struct tiles {
	const char *dir;
	uint64_t size;
	struct tile s[TILE_LEVELS][2];
	uint8_t next[TILE_LEVELS]; /* the slot to replace */
	char err[384];             /* the first problem */
	int res;                   /* ... as an rd_log_res */
};

static void tile_err(struct tiles *t, int res, const char *path, const char *why)
{
	if (t->err[0])
		return;
	snprintf(t->err, sizeof(t->err), "%.250s: %s", path, why);
	t->res = res;
}

static struct tile *tile_load(struct tiles *t, int level, uint64_t index, unsigned width)
{
	if (level < 0 || level >= TILE_LEVELS)
		return NULL;
	for (int i = 0; i < 2; i++) {
		struct tile *h = &t->s[level][i];
		if (h->level == level && h->index == index && h->width == width) {
			t->next[level] = (uint8_t)!i;
			return h;
		}
	}
	struct tile *s = &t->s[level][t->next[level]];
	t->next[level] ^= 1;
	char rel[RC_TLOG_PATH_MAX], path[4096 + RC_TLOG_PATH_MAX];
	if (rc_tlog_tile_path(rel, sizeof(rel), level, index, width) != RC_OK)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", t->dir, rel);
	uint8_t *b;
	size_t n;
	s->level = -2;
	if (rd_read_file(path, TILE_BYTES, false, &b, &n) < 0) {
		tile_err(t, errno == EFBIG ? RD_LOGR_FORMAT : RD_LOGR_IO, path,
			 errno == EFBIG ? "larger than a tile" : rd_read_err(errno));
		return NULL;
	}
	if (n != (size_t)width * RC_TLOG_HASH_LEN) {
		free(b);
		tile_err(t, RD_LOGR_FORMAT, path, "not the size its name says");
		return NULL;
	}
	memcpy(s->h[0], b, n);
	free(b);
	s->level = level;
	s->index = index;
	s->width = width;
	s->built = 0;
	return s;
}

/* rc_tlog_read_fn over the tiles of t->size. */
static int read_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[RC_TLOG_HASH_LEN])
{
	struct tiles *t = ctx;
	struct rc_tlog_tile_ref r;
	int e = rc_tlog_tile_for(&r, t->size, level, index);
	if (e)
		return e;
	struct tile *s = tile_load(t, r.tlevel, r.tindex, r.width);
	if (!s)
		return RC_ERR_IO;
	/* a level between tile levels: the root of 2^j aligned hashes of the tile */
	unsigned j = level % RC_TLOG_TILE_H;
	for (; s->built < j; s->built++) {
		unsigned b = s->built;
		for (unsigned k = 0; k < s->width >> (b + 1); k++)
			rc_tlog_node_hash(s->h[b + 1][k], s->h[b][2 * k], s->h[b][2 * k + 1]);
	}
	if ((r.pos >> j) >= s->width >> j)
		return RC_ERR_RANGE;
	memcpy(out, s->h[j][r.pos >> j], RC_TLOG_HASH_LEN);
	return RC_OK;
}

static int cmp_leaf(const void *a, const void *b)
{
	return memcmp(a, b, RC_TLOG_HASH_LEN);
}

const struct rd_proof *rd_log_find(const struct rd_log *l, const uint8_t leaf[32])
{
	return l ? bsearch(leaf, l->v, l->n, sizeof(*l->v), cmp_leaf) : NULL;
}

size_t rd_proof_answer(const struct rd_log *l, const struct rd_proof *p,
		       const uint8_t nonce[RC_NONCE_LEN], uint8_t *out, size_t cap)
{
	if (p->len > cap)
		return 0;
	memcpy(out, l->bodies + p->off, p->len);
	memcpy(out + RD_PROOF_NONCE_AT, nonce, RC_NONCE_LEN);
	return p->len;
}

void rd_log_free(struct rd_log *l)
{
	if (!l)
		return;
	free(l->note);
	free(l->v);
	free(l->bodies);
	free(l);
}

/* A new log with room for one proof per notice of st's feed and per rotation statement. */
static struct rd_log *log_new(const struct rd_state *st, const char *note, size_t note_len)
{
	size_t n = st->fm->feed.nnotices + st->nrot;
	struct rd_log *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->note = malloc(note_len ? note_len : 1);
	l->v = calloc(n ? n : 1, sizeof(*l->v));
	l->bodies = malloc(n ? n * RC_ANSWER_MAX : 1);
	if (!l->note || !l->v || !l->bodies) {
		rd_log_free(l);
		return NULL;
	}
	memcpy(l->note, note, note_len);
	l->note_len = note_len;
	return l;
}

/* Sort by leaf hash (one proof per leaf) and count the served notices without one. */
static void log_finish(struct rd_log *l, size_t nnotices)
{
	qsort(l->v, l->n, sizeof(*l->v), cmp_leaf);
	size_t k = 0;
	l->rotations = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (!k || memcmp(l->v[k - 1].leaf, l->v[i].leaf, RC_TLOG_HASH_LEN)) {
			l->v[k++] = l->v[i];
			l->rotations += l->v[i].notice == RD_PROOF_ROTATION;
		}
	}
	l->n = k;
	/* a notice twice in the feed is served once per copy but has one leaf */
	size_t np = l->n - l->rotations;
	l->unlogged = nnotices - (np < nnotices ? np : nnotices);
}

/* A checked checkpoint. */
struct ckpt {
	struct rc_note note;
	struct rc_checkpoint cp;
	uint64_t quorum_time;
	uint32_t witnesses;
};

static bool same_origin(const struct rc_log_policy *p, const struct rc_checkpoint *c)
{
	return c->origin_len == strlen(p->origin) && !memcmp(c->origin, p->origin, c->origin_len);
}

/* Parse a checkpoint note and check its log signature (and, with quorum, the cosignatures).
 * An rd_log_res, with the reason in err. */
static int check_note(struct ckpt *k, const struct rc_log_policy *p, const char *buf, size_t len,
		      bool quorum, char *err, size_t cap)
{
	struct rc_diag d = {0, NULL};
	struct rc_note_key key;
	int e = rc_note_parse(&k->note, buf, len, &d);
	if (!e)
		e = rc_checkpoint_parse(&k->cp, k->note.text, k->note.text_len, &d);
	if (e) {
		snprintf(err, cap, "byte %zu: %s: %s", d.off, d.field ? d.field : "note",
			 rc_strerror(e));
		return RD_LOGR_FORMAT;
	}
	if (!same_origin(p, &k->cp)) {
		snprintf(err, cap, "origin '%.*s' is not the anchor set's log '%s'",
			 (int)(k->cp.origin_len < 64 ? k->cp.origin_len : 64), k->cp.origin,
			 p->origin);
		return RD_LOGR_POLICY;
	}
	if (k->cp.ext_len) {
		snprintf(err, cap,
			 "extension lines: a device rebuilds the checkpoint without them");
		return RD_LOGR_FORMAT;
	}
	if (rc_note_key_init(&key, p->origin, strlen(p->origin), RC_NOTE_ALG_ED25519, p->log_pk) ||
	    (e = rc_note_verify(&k->note, &key, NULL)) != RC_OK) {
		snprintf(err, cap, "%s log signature", e == RC_ERR_MISSING ? "no" : "not a valid");
		return RD_LOGR_SIGNATURE;
	}
	if (!quorum)
		return RD_LOGR_OK;
	uint64_t t[8];
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->nwit && i < 8; i++) {
		uint64_t ts;
		if (!rc_note_key_init(&key, p->wit[i].name, strlen(p->wit[i].name),
				      RC_NOTE_ALG_COSIG, p->wit[i].pk) &&
		    rc_note_verify(&k->note, &key, &ts) == RC_OK)
			t[n++] = ts;
	}
	k->witnesses = n;
	if (n < p->quorum) {
		snprintf(err, cap, "%u valid witness cosignatures, the quorum is %u", n, p->quorum);
		return RD_LOGR_QUORUM;
	}
	/* the q-th newest: how old the freshest quorum is */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i + 1; j < n; j++)
			if (t[j] > t[i]) {
				uint64_t x = t[i];
				t[i] = t[j];
				t[j] = x;
			}
	k->quorum_time = t[p->quorum - 1];
	return RD_LOGR_OK;
}

/* The new tiles must hold the kept checkpoint's tree as their prefix. */
static int check_kept(struct tiles *t, const struct rd_state *st, const char *state_path,
		      const struct ckpt *nk, char *msg, size_t cap)
{
	uint8_t *b;
	size_t n;
	char why[256];
	if (rd_read_file(state_path, RC_NOTE_MAX_LEN, true, &b, &n) < 0) {
		if (errno == ENOENT)
			return RD_LOGR_OK; /* the first log this recalld sees */
		snprintf(msg, cap, "%.300s: %s", state_path, rd_read_err(errno));
		return RD_LOGR_STATE;
	}
	struct ckpt ok;
	int r = check_note(&ok, &st->anchors.log, (const char *)b, n, false, why, sizeof(why));
	if (r == RD_LOGR_POLICY || r == RD_LOGR_SIGNATURE) {
		free(
		    b); /* another log (the anchor set changed it): nothing to be consistent with */
		return RD_LOGR_OK;
	}
	if (r != RD_LOGR_OK) {
		snprintf(msg, cap, "%.300s: %s", state_path, why);
		free(b);
		return RD_LOGR_STATE;
	}
	uint64_t os = ok.cp.size;
	uint8_t oroot[RC_TLOG_HASH_LEN];
	memcpy(oroot, ok.cp.root, sizeof(oroot));
	free(b);
	int e = 0; /* 1: not a prefix, -1: the tiles cannot say */
	if (os <= nk->cp.size)
		e = rc_tlog_tree_hash(oroot, os, read_hash, t) != RC_OK
			? -1
			: memcmp(oroot, ok.cp.root, sizeof(oroot)) != 0;
	if (e < 0) {
		snprintf(msg, cap, "%s",
			 t->err[0] ? t->err : "the tiles miss the kept tree's hashes");
		return t->err[0] ? t->res : RD_LOGR_TILES;
	}
	if (os > nk->cp.size || e) {
		char a[45], c[45];
		sodium_bin2base64(a, sizeof(a), ok.cp.root, 32, sodium_base64_VARIANT_ORIGINAL);
		sodium_bin2base64(c, sizeof(c), nk->cp.root, 32, sodium_base64_VARIANT_ORIGINAL);
		snprintf(msg, cap,
			 "log %s: size %llu root %s is not consistent with the checkpoint kept, "
			 "size %llu root %s",
			 os > nk->cp.size ? "rollback" : "fork", (unsigned long long)nk->cp.size, c,
			 (unsigned long long)os, a);
		return RD_LOGR_INCONSISTENT;
	}
	return RD_LOGR_OK;
}

/* A served notice (or rotation statement: notice is RD_PROOF_ROTATION) to find in the log. */
struct want {
	uint8_t leaf[RC_TLOG_HASH_LEN];
	uint32_t notice;
	bool found;
	uint64_t index;
};

/* Found ones first, by leaf index. */
static int cmp_index(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	if (x->found != y->found)
		return x->found ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Find each wanted leaf in the level-0 tiles, newest first; stops when all are found. */
static int locate(struct tiles *t, struct want *w, size_t n)
{
	size_t left = n;
	uint64_t ntiles = (t->size + RC_TLOG_TILE_WIDTH - 1) / RC_TLOG_TILE_WIDTH;
	for (uint64_t k = ntiles; k-- > 0 && left;) {
		unsigned width = k == t->size / RC_TLOG_TILE_WIDTH
				     ? (unsigned)(t->size % RC_TLOG_TILE_WIDTH)
				     : RC_TLOG_TILE_WIDTH;
		const struct tile *s = tile_load(t, 0, k, width);
		if (!s)
			return -1;
		for (unsigned j = width; j-- > 0;) {
			struct want *x = bsearch(s->h[0][j], w, n, sizeof(*w), cmp_leaf);
			if (x && !x->found) {
				x->found = true;
				x->index = k * RC_TLOG_TILE_WIDTH + j;
				left--;
			}
		}
	}
	return 0;
}

/* The answer body for a proof: the nonce is patched in per request. When the cosignatures of
 * every witness make it too large, the oldest go first (the kid order kept), down to quorum. */
static int encode_body(uint8_t *out, size_t cap, size_t *len, struct rc_logproof *p,
		       uint32_t quorum)
{
	uint8_t blob[RC_LOGPROOF_ENC_MAX];
	size_t bl;
	int e;
	for (;;) {
		e = rc_logproof_encode(p, blob, sizeof(blob), &bl);
		if (e || bl <= RC_PROOF_BLOB_MAX)
			break;
		if (p->ncosig <= quorum)
			return RC_ERR_TOOLONG;
		uint32_t old = 0;
		for (uint32_t i = 1; i < p->ncosig; i++)
			if (p->cosig[i].time < p->cosig[old].time)
				old = i;
		memmove(&p->cosig[old], &p->cosig[old + 1],
			(p->ncosig - old - 1) * sizeof(p->cosig[0]));
		p->ncosig--;
	}
	if (e)
		return e;
	struct rc_answer a = {.type = RC_MSG_PROOF, .blob = blob, .blob_len = bl};
	memset(a.nonce, 0x5a, sizeof(a.nonce));
	e = rc_answer_encode(&a, out, cap, len);
	/* the hot path patches these bytes: make sure they are the nonce */
	if (!e && (*len < RD_PROOF_NONCE_AT + RC_NONCE_LEN ||
		   memcmp(out + RD_PROOF_NONCE_AT, a.nonce, RC_NONCE_LEN)))
		e = RC_ERR_INVALID;
	return e;
}

/* Build the proof answer of one found notice into l. An rd_log_res. */
static int build(struct rd_log *l, const struct rd_state *st, struct tiles *t, const struct want *x,
		 char *msg, size_t cap)
{
	uint8_t path[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN];
	size_t np;
	int e =
	    rc_tlog_prove_inclusion(path, RC_TLOG_PROOF_MAX, &np, x->index, l->size, read_hash, t);
	if (!e)
		e = rc_tlog_verify_inclusion((const uint8_t(*)[RC_TLOG_HASH_LEN])path, np, x->index,
					     l->size, x->leaf, l->root);
	if (e) {
		if (t->err[0])
			snprintf(msg, cap, "%s", t->err);
		else
			snprintf(msg, cap, "leaf %llu: the tiles' path does not lead to the root",
				 (unsigned long long)x->index);
		return t->err[0] ? t->res : RD_LOGR_TILES;
	}
	struct rc_logproof p;
	uint8_t *body = l->bodies + l->n * (size_t)RC_ANSWER_MAX;
	size_t len;
	if (np > RC_LOGPROOF_PATH_MAX ||
	    rc_logproof_from_note(&p, &st->anchors, l->note, l->note_len, x->index,
				  (const uint8_t(*)[32])path, np) != RC_OK ||
	    encode_body(body, RC_ANSWER_MAX, &len, &p, st->anchors.log.quorum) != RC_OK) {
		if (x->notice != RD_PROOF_ROTATION)
			l->oversized++; /* counted with the unlogged notices: no device gets one */
		return RD_LOGR_OK;
	}
	struct rd_proof *v = &l->v[l->n++];
	memcpy(v->leaf, x->leaf, sizeof(v->leaf));
	v->notice = x->notice;
	v->off = (uint32_t)(body - l->bodies);
	v->len = (uint32_t)len;
	if (x->index > l->index_max)
		l->index_max = x->index;
	return RD_LOGR_OK;
}

/* The served notices' and rotation statements' leaf hashes, sorted, one per leaf. NULL if out of
 * memory. */
static struct want *wanted(const struct rd_state *st, size_t *n)
{
	const struct rc_feed *f = &st->fm->feed;
	struct want *w = calloc(f->nnotices + st->nrot + 1, sizeof(*w));
	if (!w)
		return NULL;
	size_t k = 0;
	for (uint32_t i = 0; i < f->nnotices; i++) {
		const uint8_t *p;
		size_t len;
		if (rc_feed_notice(f, i, &p, &len) != RC_OK)
			continue;
		rc_tlog_leaf_hash(w[k].leaf, p, len);
		w[k++].notice = i;
	}
	for (size_t i = 0; i < st->nrot; i++) {
		rc_tlog_leaf_hash(w[k].leaf, st->rot[i].bytes, st->rot[i].len);
		w[k++].notice = RD_PROOF_ROTATION;
	}
	qsort(w, k, sizeof(*w), cmp_leaf);
	size_t u = 0;
	for (size_t i = 0; i < k; i++) {
		if (!u || memcmp(w[u - 1].leaf, w[i].leaf, RC_TLOG_HASH_LEN))
			w[u++] = w[i];
	}
	*n = u;
	return w;
}

int rd_log_state_path(char *out, size_t cap, const struct rd_config *cfg, bool chrooted)
{
	int n =
	    snprintf(out, cap, "%s/%s", rd_path(cfg, cfg->state_dir, chrooted), RD_LOG_STATE_FILE);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Everything from the log directory; an rd_log_res. */
static int load_dir(struct rd_state *st, struct tiles *t, bool chrooted, char *msg, size_t cap)
{
	const struct rd_config *cfg = st->cfg;
	char path[4200], why[384];
	uint8_t *b;
	size_t n;
	snprintf(path, sizeof(path), "%s/checkpoint", t->dir);
	if (rd_read_file(path, RC_NOTE_MAX_LEN, false, &b, &n) < 0) {
		snprintf(msg, cap, "%.300s: %s", path, rd_read_err(errno));
		return errno == EFBIG ? RD_LOGR_FORMAT : RD_LOGR_IO;
	}
	struct ckpt k;
	int r = check_note(&k, &st->anchors.log, (const char *)b, n, true, why, sizeof(why));
	if (r != RD_LOGR_OK) {
		snprintf(msg, cap, "%.300s: %s", path, why);
		free(b);
		return r;
	}
	t->size = k.cp.size;
	uint8_t root[RC_TLOG_HASH_LEN];
	if (rc_tlog_tree_hash(root, k.cp.size, read_hash, t) != RC_OK ||
	    memcmp(root, k.cp.root, sizeof(root))) {
		snprintf(msg, cap, "%s",
			 t->err[0] ? t->err : "the tiles do not give the signed root");
		free(b);
		return t->err[0] ? t->res : RD_LOGR_TILES;
	}
	char sp[4200];
	if (rd_log_state_path(sp, sizeof(sp), cfg, chrooted) < 0) {
		snprintf(msg, cap, "state-dir: path too long");
		free(b);
		return RD_LOGR_STATE;
	}
	if ((r = check_kept(t, st, sp, &k, msg, cap)) != RD_LOGR_OK) {
		free(b);
		return r;
	}
	struct rd_log *l = log_new(st, (const char *)b, n);
	free(b);
	size_t nw = 0;
	struct want *w = l ? wanted(st, &nw) : NULL;
	if (!w) {
		rd_log_free(l);
		snprintf(msg, cap, "out of memory");
		return RD_LOGR_IO;
	}
	l->size = k.cp.size;
	memcpy(l->root, k.cp.root, sizeof(l->root));
	l->quorum_time = k.quorum_time;
	l->witnesses = k.witnesses;
	if (locate(t, w, nw) < 0)
		r = t->res;
	else
		qsort(w, nw, sizeof(*w), cmp_index); /* proofs of nearby leaves share tiles */
	for (size_t i = 0; r == RD_LOGR_OK && i < nw; i++) {
		if (w[i].found)
			r = build(l, st, t, &w[i], msg, cap);
	}
	free(w);
	if (r != RD_LOGR_OK) {
		if (!msg[0])
			snprintf(msg, cap, "%s", t->err);
		rd_log_free(l);
		return r;
	}
	log_finish(l, st->fm->feed.nnotices);
	st->log = l;
	return RD_LOGR_OK;
}

static bool same_log(const struct rc_anchors *a, const struct rc_anchors *b)
{
	return a->has_log && b->has_log && !strcmp(a->log.origin, b->log.origin) &&
	       !memcmp(a->log.log_pk, b->log.log_pk, RC_PK_LEN);
}

/* Copy o's proof of entry (a notice, or a statement: RD_PROOF_ROTATION) into l, if it has one. */
static void carry_one(struct rd_log *l, const struct rd_log *o, const uint8_t *entry, size_t len,
		      uint32_t notice)
{
	uint8_t leaf[RC_TLOG_HASH_LEN];
	rc_tlog_leaf_hash(leaf, entry, len);
	const struct rd_proof *op = rd_log_find(o, leaf);
	if (!op)
		return;
	struct rd_proof *v = &l->v[l->n];
	*v = *op;
	v->notice = notice;
	v->off = (uint32_t)(l->n++ * (size_t)RC_ANSWER_MAX);
	memcpy(l->bodies + v->off, o->bodies + op->off, op->len);
}

/* The log refused: keep serving cur's proofs for the notices and statements st still serves. */
static void carry(struct rd_state *st, const struct rd_state *cur)
{
	if (!cur || !cur->log || !same_log(&st->anchors, &cur->anchors))
		return;
	const struct rd_log *o = cur->log;
	const struct rc_feed *f = &st->fm->feed;
	struct rd_log *l = log_new(st, o->note, o->note_len);
	if (!l)
		return;
	l->size = o->size;
	memcpy(l->root, o->root, sizeof(l->root));
	l->quorum_time = o->quorum_time;
	l->witnesses = o->witnesses;
	l->index_max = o->index_max;
	for (uint32_t i = 0; i < f->nnotices; i++) {
		const uint8_t *p;
		size_t len;
		if (rc_feed_notice(f, i, &p, &len) == RC_OK)
			carry_one(l, o, p, len, i);
	}
	for (size_t i = 0; i < st->nrot; i++)
		carry_one(l, o, st->rot[i].bytes, st->rot[i].len, RD_PROOF_ROTATION);
	log_finish(l, f->nnotices);
	st->log = l;
}

void rd_log_load(struct rd_state *st, const struct rd_state *cur, bool chrooted)
{
	const struct rd_config *cfg = st->cfg;
	st->log = NULL;
	st->log_new = false;
	st->log_msg[0] = '\0';
	if (!cfg->log_dir || !cfg->log_dir[0]) {
		st->log_res = RD_LOGR_NONE;
		return;
	}
	if (!st->anchors.has_log) {
		snprintf(st->log_msg, sizeof(st->log_msg),
			 "the anchor set names no log: no proofs are served");
		st->log_res = RD_LOGR_POLICY;
		return;
	}
	struct tiles *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(st->log_msg, sizeof(st->log_msg), "out of memory");
		st->log_res = RD_LOGR_IO;
	} else {
		t->dir = rd_path(cfg, cfg->log_dir, chrooted);
		for (int i = 0; i < TILE_LEVELS; i++)
			t->s[i][0].level = t->s[i][1].level = -2;
		st->log_res = load_dir(st, t, chrooted, st->log_msg, sizeof(st->log_msg));
		free(t);
	}
	if (st->log_res == RD_LOGR_OK)
		/* new: to say and to keep (a reload for the feed alone reads the same one) */
		st->log_new = !cur || !cur->log || cur->log->note_len != st->log->note_len ||
			      memcmp(cur->log->note, st->log->note, st->log->note_len);
	else
		carry(st, cur);
}
