/* Log fixtures (logfix.h): real trees, checkpoints and cosignatures made with librecall. */
#include <stdio.h>
#include <string.h>

#include "logfix.h"
#include "recall/note.h"
#include "recall/tlog.h"

static void wit_name(char *out, size_t cap, uint32_t i)
{
	snprintf(out, cap, "w%u.example.org", (unsigned)i);
}

void fx_log_keys(struct fx_key *log, struct fx_key *wit, uint32_t nwit, uint8_t seed)
{
	fx_key(log, seed);
	for (uint32_t i = 0; i < nwit && wit; i++)
		fx_key(&wit[i], (uint8_t)(seed + 1 + i));
}

int fx_log_policy(struct rc_anchors *a, uint32_t nwit, uint32_t q, uint32_t max_age, uint8_t seed)
{
	struct fx_key log, wit[FX_LOG_WIT_MAX];
	struct rc_log_policy p;
	if (nwit > FX_LOG_WIT_MAX)
		return RC_ERR_INVALID;
	fx_log_keys(&log, wit, nwit, seed);
	memset(&p, 0, sizeof(p));
	snprintf(p.origin, sizeof(p.origin), "%s", FX_LOG_ORIGIN);
	memcpy(p.log_pk, log.pk, 32);
	p.nwit = nwit;
	for (uint32_t i = 0; i < nwit; i++) {
		wit_name(p.wit[i].name, sizeof(p.wit[i].name), i);
		memcpy(p.wit[i].pk, wit[i].pk, 32);
	}
	p.quorum = q;
	p.max_age = max_age;
	return rc_anchors_set_log(a, &p);
}

static void leaf(const struct fx_log_tree *t, uint64_t i, uint8_t out[32])
{
	char buf[32];
	if (i == t->at) {
		rc_tlog_leaf_hash(out, t->entry, t->entry_len);
		return;
	}
	int n = snprintf(buf, sizeof(buf), "entry %llu", (unsigned long long)i);
	rc_tlog_leaf_hash(out, (const uint8_t *)buf, (size_t)n);
}

/* Largest power of two below n (n >= 2). */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* MTH(D[lo:lo+n]) of RFC 6962 2.1. */
static void mth(const struct fx_log_tree *t, uint64_t lo, uint64_t n, uint8_t out[32])
{
	if (n == 1) {
		leaf(t, lo, out);
		return;
	}
	uint8_t l[32], r[32];
	uint64_t k = split(n);
	mth(t, lo, k, l);
	mth(t, lo + k, n - k, r);
	rc_tlog_node_hash(out, l, r);
}

/* PATH(m, D[lo:lo+n]) of RFC 6962 2.1.1, leaf side first, appended at *np. */
static void path(const struct fx_log_tree *t, uint64_t m, uint64_t lo, uint64_t n,
		 uint8_t (*out)[32], size_t *np)
{
	if (n <= 1)
		return;
	uint64_t k = split(n);
	if (m < k) {
		path(t, m, lo, k, out, np);
		mth(t, lo + k, n - k, out[(*np)++]);
	} else {
		path(t, m - k, lo + k, n - k, out, np);
		mth(t, lo, k, out[(*np)++]);
	}
}

int fx_log_path(const struct fx_log_tree *t, uint8_t root[32], uint8_t (*p)[32], size_t *npath)
{
	if (t->size == 0 || t->at >= t->size || t->size > (uint64_t)1 << 40)
		return RC_ERR_RANGE;
	*npath = 0;
	path(t, t->at, 0, t->size, p, npath);
	mth(t, 0, t->size, root);
	return RC_OK;
}

int fx_log_note(char *out, size_t cap, size_t *len, uint64_t size, const uint8_t root[32],
		uint32_t nwit, const uint64_t *times, uint8_t seed)
{
	struct fx_key log, wit[FX_LOG_WIT_MAX];
	struct rc_note_key k;
	char text[256];
	size_t tl;
	if (nwit > FX_LOG_WIT_MAX)
		return RC_ERR_INVALID;
	fx_log_keys(&log, wit, nwit, seed);
	struct rc_checkpoint c = {
	    .origin = FX_LOG_ORIGIN, .origin_len = strlen(FX_LOG_ORIGIN), .size = size};
	memcpy(c.root, root, 32);
	int err = rc_checkpoint_format(text, sizeof(text), &tl, &c);
	if (!err)
		err = rc_note_key_init(&k, FX_LOG_ORIGIN, strlen(FX_LOG_ORIGIN),
				       RC_NOTE_ALG_ED25519, log.pk);
	if (!err)
		err = rc_note_sign(out, cap, len, text, tl, &k, log.sk);
	for (uint32_t i = 0; i < nwit && !err; i++) {
		char name[RC_LOG_NAME_MAX + 1];
		uint8_t cs[RC_COSIG_LEN];
		if (!times || !times[i])
			continue;
		wit_name(name, sizeof(name), i);
		err = rc_note_key_init(&k, name, strlen(name), RC_NOTE_ALG_COSIG, wit[i].pk);
		if (!err)
			err = rc_cosig_sign(cs, times[i], text, tl, &k, wit[i].sk);
		if (!err)
			err = rc_note_append_sig(out, cap, len, name, strlen(name), k.keyid, cs,
						 sizeof(cs));
	}
	return err;
}

int fx_log_proof(struct rc_logproof *p, const struct rc_anchors *a, const uint8_t *entry,
		 size_t entry_len, uint64_t at, uint64_t size, const uint64_t *times, uint8_t seed)
{
	struct fx_log_tree t = {size, at, entry, entry_len};
	uint8_t root[32], path_[RC_LOGPROOF_PATH_MAX][32];
	char note[4096];
	size_t np, nl = 0;
	int err = fx_log_path(&t, root, path_, &np);
	if (!err)
#ifdef RC_AGENT_NO_LOG
		err = RC_ERR_VERSION; /* no policy kept (struct rc_anchors) */
#else
		err = fx_log_note(note, sizeof(note), &nl, size, root, a->log.nwit, times, seed);
#endif
	if (!err)
		err = rc_logproof_from_note(p, a, note, nl, at, (const uint8_t(*)[32])path_, np);
	return err;
}
