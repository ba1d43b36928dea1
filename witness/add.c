/* add-checkpoint (c2sp.org/tlog-witness): the checks in the spec's order, each with its status
 * code, then the cosignature, persisted before it is returned. The check against the stored
 * checkpoint and the write of the new one happen under one lock, so two requests can never
 * both pass against the same old state (the spec's rollback race). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "witness.h"

const char *const wt_counter_names[WT_NCOUNTERS] = {
    "requests",  "cosigned", "bad_request", "bad_signature", "unknown_log",  "conflict",
    "bad_proof", "fork",     "rollback",    "evidence",      "state_errors",
};

static void reply(struct wt_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply(struct wt_reply *r, unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->body, sizeof(r->body), fmt, ap);
	va_end(ap);
	r->len = n < 0 ? 0 : (size_t)n < sizeof(r->body) ? (size_t)n : sizeof(r->body) - 1;
	r->status = status;
	r->type = "text/plain; charset=utf-8";
}

/* The log's signature: 403 unless a trusted key signed, and none that a line names failed
 * (such a note is malformed, c2sp.org/signed-note). */
static int check_sig(const struct wt_log *l, const struct rc_note *n, bool ok[WT_KEYS_MAX])
{
	int good = 0;
	for (size_t i = 0; i < l->nkeys; i++) {
		int e = rc_note_verify(n, l->keys[i], NULL);
		ok[i] = e == RC_OK;
		if (e != RC_OK && e != RC_ERR_MISSING)
			return -1;
		good += ok[i];
	}
	return good ? 0 : -1;
}

/* The note to keep: the checkpoint text, the log's verified signature lines and the
 * cosignature. */
static int build_note(char *out, size_t cap, size_t *len, const struct wt *w,
		      const struct wt_log *l, const struct rc_note *n, const bool ok[WT_KEYS_MAX],
		      const uint8_t cosig[RC_COSIG_LEN])
{
	if (n->text_len + 1 > cap)
		return -1;
	memcpy(out, n->text, n->text_len);
	out[n->text_len] = '\n';
	*len = n->text_len + 1;
	for (size_t k = 0; k < l->nkeys; k++) {
		if (!ok[k])
			continue;
		const struct rc_note_key *key = l->keys[k];
		for (size_t i = 0; i < n->nsigs; i++) {
			const struct rc_note_sig *s = &n->sigs[i];
			if (s->keyid != key->keyid || s->name_len != key->name_len ||
			    memcmp(s->name, key->name, key->name_len))
				continue;
			if (rc_note_append_sig(out, cap, len, s->name, s->name_len, s->keyid,
					       s->sig, s->sig_len) != RC_OK)
				return -1;
			break; /* the first line of a key is the one verified */
		}
	}
	return rc_note_append_sig(out, cap, len, w->key.name, w->key.name_len, w->key.keyid, cosig,
				  RC_COSIG_LEN) == RC_OK
		   ? 0
		   : -1;
}

/* Everything after the signature check, under w->mu. */
static void add_locked(struct wt *w, struct wt_log *l, const struct wt_request *q,
		       const struct rc_note *n, const struct rc_checkpoint *c, const bool *ok,
		       const char *body, size_t len, uint64_t now, struct wt_reply *r)
{
	/* A second root for a size already cosigned is a fork whatever else the request says:
	 * kept before any status is chosen. */
	if (l->have && c->size == l->size && memcmp(c->root, l->root, RC_TLOG_HASH_LEN)) {
		w->count[WT_FORK]++;
		log_warnx_rl(&w->rl,
			     "%s: FORK: a signed checkpoint of size %" PRIu64
			     " with another root hash than the one cosigned",
			     l->origin, c->size);
		wt_evidence(w, l, "fork", n->text, n->text_len, body, len, now);
	}
	if (q->old > c->size) {
		w->count[WT_BAD_REQUEST]++;
		reply(r, 400, "old size %" PRIu64 " is above the checkpoint's size %" PRIu64 "\n",
		      q->old, c->size);
		return;
	}
	if (c->size < l->size) {
		/* An older checkpoint proves nothing by itself (anyone can replay one): refused
		 * and counted, not kept. */
		w->count[WT_ROLLBACK]++;
		log_warnx_rl(&w->rl,
			     "%s: refused a checkpoint of size %" PRIu64 ", below the %" PRIu64
			     " cosigned",
			     l->origin, c->size, l->size);
	}
	if (q->old != l->size) {
		w->count[WT_CONFLICT]++;
		reply(r, 409, "%" PRIu64 "\n", l->size);
		r->type = "text/x.tlog.size";
		return;
	}
	uint8_t empty[RC_TLOG_HASH_LEN];
	crypto_hash_sha256(empty, NULL, 0);
	if (c->size == 0 && memcmp(c->root, empty, sizeof(empty))) {
		w->count[WT_BAD_PROOF]++;
		reply(r, 422, "a checkpoint of size 0 must have the empty tree's root hash\n");
		return;
	}
	if (q->old == 0
		? q->n != 0
		: rc_tlog_verify_consistency((const uint8_t(*)[RC_TLOG_HASH_LEN])q->proof, q->n,
					     l->size, c->size, l->root, c->root) != RC_OK) {
		w->count[WT_BAD_PROOF]++;
		if (q->old != 0 && q->old != c->size)
			wt_evidence(w, l, "inconsistent", n->text, n->text_len, body, len, now);
		log_warnx_rl(&w->rl, "%s: size %" PRIu64 " to %" PRIu64 ": %s", l->origin, q->old,
			     c->size,
			     q->old == 0 ? "a proof from size 0 must be empty"
					 : "the consistency proof does not verify");
		reply(r, 422, "%s\n",
		      q->old == 0         ? "the proof from size 0 must be empty"
		      : q->old == c->size ? "not the root hash cosigned for this size"
					  : "the consistency proof does not verify");
		return;
	}
	/* Never a timestamp before one already given: a cosignature says "as of this time, the
	 * largest tree seen", which must not move back with the clock. */
	uint64_t t = now > l->time ? now : l->time;
	uint8_t cosig[RC_COSIG_LEN];
	static char note[RC_NOTE_MAX_LEN];
	size_t nl;
	if (t == 0 || t >= (uint64_t)1 << 63 ||
	    rc_cosig_sign(cosig, t, n->text, n->text_len, &w->key, w->sk) != RC_OK ||
	    build_note(note, sizeof(note), &nl, w, l, n, ok, cosig) < 0) {
		w->count[WT_STATE_ERRORS]++;
		reply(r, 500, "cannot cosign\n");
		return;
	}
	if (wt_state_write(w, l, note, nl) < 0) {
		w->count[WT_STATE_ERRORS]++;
		reply(r, 500, "cannot save the state; not cosigned\n");
		return;
	}
	char *keep = malloc(nl);
	if (keep) {
		memcpy(keep, note, nl);
		free(l->note);
		l->note = keep;
		l->note_len = nl;
	}
	l->have = true;
	l->size = c->size;
	memcpy(l->root, c->root, RC_TLOG_HASH_LEN);
	l->time = t;
	w->count[WT_COSIGNED]++;
	/* The answer: the cosignature line, the last line of the note kept. */
	r->len = 0;
	if (rc_note_append_sig(r->body, sizeof(r->body), &r->len, w->key.name, w->key.name_len,
			       w->key.keyid, cosig, RC_COSIG_LEN) != RC_OK) {
		reply(r, 500, "cannot format the cosignature\n");
		return;
	}
	r->status = 200;
	r->type = "text/plain; charset=utf-8";
	log_debug("%s: cosigned size %" PRIu64 " at %" PRIu64, l->origin, c->size, t);
}

void wt_add_checkpoint(struct wt *w, const char *body, size_t len, uint64_t now, struct wt_reply *r)
{
	static _Thread_local struct wt_request q;
	static _Thread_local struct rc_note n;
	struct rc_checkpoint c;
	struct rc_diag d = {0, NULL};
	bool ok[WT_KEYS_MAX];
	pthread_mutex_lock(&w->mu);
	w->count[WT_REQUESTS]++;
	pthread_mutex_unlock(&w->mu);
	int e = wt_request_parse(&q, body, len, &d);
	size_t base = 0;
	if (!e) {
		base = (size_t)(q.note - body);
		e = rc_note_parse(&n, q.note, q.note_len, &d);
	}
	if (!e)
		e = rc_checkpoint_parse(&c, n.text, n.text_len, &d);
	if (e) {
		pthread_mutex_lock(&w->mu);
		w->count[WT_BAD_REQUEST]++;
		pthread_mutex_unlock(&w->mu);
		reply(r, 400, "byte %zu: %s: %s\n", base + d.off, d.field ? d.field : "request",
		      rc_strerror(e));
		return;
	}
	struct wt_log *l = wt_find(w, c.origin, c.origin_len);
	if (!l || check_sig(l, &n, ok) < 0) {
		pthread_mutex_lock(&w->mu);
		w->count[l ? WT_BAD_SIG : WT_UNKNOWN_LOG]++;
		pthread_mutex_unlock(&w->mu);
		if (l)
			reply(r, 403, "no valid signature by a key of %s\n", l->origin);
		else
			reply(r, 404, "unknown log\n");
		return;
	}
	pthread_mutex_lock(&w->mu);
	add_locked(w, l, &q, &n, &c, ok, body, len, now, r);
	pthread_mutex_unlock(&w->mu);
}
