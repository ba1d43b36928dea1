/* The optional log policy of an anchor set (docs/PROTOCOL.md 10.1): the log's origin and key,
 * the witnesses, the quorum and the largest cosignature age. Deterministic CBOR like the rest
 * of the set: witnesses sorted by key bytes, every field present. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "anchors_log.h"
#include "recall/note.h"

enum { L_ORIGIN = 1, L_KEY = 2, L_WITNESSES = 3, L_QUORUM = 4, L_MAXAGE = 5 };

const struct rc__log_names rc__log_top_names = {
    "anchors.log",         "anchors.log.origin", "anchors.log.key",    "anchors.log.witnesses",
    "anchors.log.witness", "anchors.log.quorum", "anchors.log.max_age"};
const struct rc__log_names rc__log_next_names = {
    "rotation.next.log",           "rotation.next.log.origin",  "rotation.next.log.key",
    "rotation.next.log.witnesses", "rotation.next.log.witness", "rotation.next.log.quorum",
    "rotation.next.log.max_age"};

void rc__log_kid(uint8_t kid[4], const char *name, uint8_t alg, const uint8_t pk[RC_PK_LEN])
{
	uint32_t id = rc_note_keyid(name, strlen(name), alg, pk);
	kid[0] = (uint8_t)(id >> 24);
	kid[1] = (uint8_t)(id >> 16);
	kid[2] = (uint8_t)(id >> 8);
	kid[3] = (uint8_t)id;
}

/* A NUL-terminated name of 1..RC_LOG_NAME_MAX bytes that is a note key name. */
static bool name_ok(const char *s)
{
	size_t n = strnlen(s, RC_LOG_NAME_MAX + 1);
	return n >= 1 && n <= RC_LOG_NAME_MAX && rc_note_name_ok(s, n);
}

/* Witnesses 0..n-1 of p: valid names and keys, key ids that belong to them, sorted by key,
 * distinct keys and key ids. */
static int witnesses_check(const struct rc_log_policy *p, uint32_t n)
{
	uint8_t kid[4];
	for (uint32_t i = 0; i < n; i++) {
		const struct rc_log_witness *w = &p->wit[i];
		if (!name_ok(w->name) || !crypto_core_ed25519_is_valid_point(w->pk))
			return RC_ERR_SYNTAX;
		rc__log_kid(kid, w->name, RC_NOTE_ALG_COSIG, w->pk);
		if (memcmp(kid, w->kid, 4) != 0)
			return RC_ERR_SYNTAX;
		if (i > 0) {
			int c = memcmp(p->wit[i - 1].pk, w->pk, RC_PK_LEN);
			if (c == 0)
				return RC_ERR_DUPKEY;
			if (c > 0)
				return RC_ERR_NONCANONICAL;
		}
		/* A proof names witnesses by key id: two with one id could not be told apart. */
		for (uint32_t j = 0; j < i; j++)
			if (memcmp(p->wit[j].kid, w->kid, 4) == 0)
				return RC_ERR_DUPKEY;
	}
	return RC_OK;
}

int rc__log_policy_check(const struct rc_log_policy *p)
{
	uint8_t kid[4];
	if (!name_ok(p->origin))
		return RC_ERR_SYNTAX;
	if (!crypto_core_ed25519_is_valid_point(p->log_pk))
		return RC_ERR_SYNTAX;
	rc__log_kid(kid, p->origin, RC_NOTE_ALG_ED25519, p->log_pk);
	if (memcmp(kid, p->log_kid, 4) != 0)
		return RC_ERR_SYNTAX;
	if (p->nwit == 0 || p->nwit > RC_LOG_WITNESS_MAX)
		return RC_ERR_RANGE;
	int e = witnesses_check(p, p->nwit);
	if (e)
		return e;
	if (p->quorum == 0 || p->quorum > p->nwit)
		return RC_ERR_RANGE;
	if (p->max_age < RC_LOG_AGE_MIN || p->max_age > RC_LOG_AGE_MAX)
		return RC_ERR_RANGE;
	return RC_OK;
}

/* A name (tstr) into out[RC_LOG_NAME_MAX + 1]. */
static void read_name(struct rc_rd *r, char *out)
{
	size_t n, at = r->off;
	const char *s = rc_rd_tstr(r, &n, RC_LOG_NAME_MAX);
	if (!s)
		return;
	if (n == 0 || !rc_note_name_ok(s, n)) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_SYNTAX);
		return;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

static void read_pk(struct rc_rd *r, uint8_t pk[RC_PK_LEN])
{
	size_t at = r->off;
	const uint8_t *k = rc_rd_bstr_exact(r, RC_PK_LEN);
	if (!k)
		return;
	memcpy(pk, k, RC_PK_LEN);
	if (!crypto_core_ed25519_is_valid_point(pk)) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_SYNTAX);
	}
}

static void read_witnesses(struct rc_rd *r, struct rc_log_policy *p, const struct rc__log_names *nm)
{
	size_t at = r->off;
	r->field = nm->witnesses;
	p->nwit = (uint32_t)rc_rd_array(r, RC_LOG_WITNESS_MAX);
	if (!r->err && p->nwit == 0) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_MISSING);
	}
	for (uint32_t i = 0; i < p->nwit && !r->err; i++) {
		struct rc_log_witness *w = &p->wit[i];
		size_t wat = r->off;
		r->field = nm->witness;
		if (rc_rd_array(r, 2) != 2 && !r->err) {
			r->off = wat;
			rc_rd_fail(r, RC_ERR_SIZE);
		}
		read_name(r, w->name);
		read_pk(r, w->pk);
		if (r->err)
			break;
		rc__log_kid(w->kid, w->name, RC_NOTE_ALG_COSIG, w->pk);
		int e = witnesses_check(p, i + 1);
		if (e) {
			r->off = wat;
			rc_rd_fail(r, e);
		}
	}
}

void rc__log_policy_read(struct rc_rd *r, struct rc_log_policy *p, const struct rc__log_names *nm)
{
	struct rc_keys ks = {0};
	unsigned seen = 0;
	memset(p, 0, sizeof(*p));
	r->field = nm->map;
	size_t cnt = rc_rd_map(r, 16);
	for (size_t i = 0; i < cnt && !r->err; i++) {
		r->field = nm->map;
		int64_t key = rc_rd_key(r, &ks);
		size_t at = r->off;
		switch (key) {
		case L_ORIGIN:
			r->field = nm->origin;
			read_name(r, p->origin);
			break;
		case L_KEY:
			r->field = nm->key;
			read_pk(r, p->log_pk);
			break;
		case L_WITNESSES:
			read_witnesses(r, p, nm);
			break;
		case L_QUORUM:
			r->field = nm->quorum;
			p->quorum = (uint32_t)rc_rd_uint_max(r, RC_LOG_WITNESS_MAX);
			if (!r->err && p->quorum == 0) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_RANGE);
			}
			break;
		case L_MAXAGE:
			r->field = nm->max_age;
			p->max_age = (uint32_t)rc_rd_uint_max(r, RC_LOG_AGE_MAX);
			if (!r->err && p->max_age < RC_LOG_AGE_MIN) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_RANGE);
			}
			break;
		default:
			rc_rd_unknown(r, key);
			continue;
		}
		seen |= 1u << key;
	}
	if (r->err)
		return;
	static const uint8_t order[] = {L_ORIGIN, L_KEY, L_WITNESSES, L_QUORUM, L_MAXAGE};
	const char *const names[] = {nm->origin, nm->key, nm->witnesses, nm->quorum, nm->max_age};
	for (size_t i = 0; i < sizeof(order); i++) {
		if (!(seen & 1u << order[i])) {
			r->field = names[i];
			rc_rd_fail(r, RC_ERR_MISSING);
			return;
		}
	}
	if (p->quorum > p->nwit) {
		r->field = nm->quorum;
		rc_rd_fail(r, RC_ERR_RANGE);
		return;
	}
	rc__log_kid(p->log_kid, p->origin, RC_NOTE_ALG_ED25519, p->log_pk);
}

void rc__log_policy_write(struct rc_wr *w, const struct rc_log_policy *p)
{
	rc_wr_map(w, 5);
	rc_wr_uint(w, L_ORIGIN);
	rc_wr_tstr(w, p->origin, strlen(p->origin));
	rc_wr_uint(w, L_KEY);
	rc_wr_bstr(w, p->log_pk, RC_PK_LEN);
	rc_wr_uint(w, L_WITNESSES);
	rc_wr_array(w, p->nwit);
	for (uint32_t i = 0; i < p->nwit; i++) {
		rc_wr_array(w, 2);
		rc_wr_tstr(w, p->wit[i].name, strlen(p->wit[i].name));
		rc_wr_bstr(w, p->wit[i].pk, RC_PK_LEN);
	}
	rc_wr_uint(w, L_QUORUM);
	rc_wr_uint(w, p->quorum);
	rc_wr_uint(w, L_MAXAGE);
	rc_wr_uint(w, p->max_age);
}

#ifndef RC_AGENT_NO_LOG
static int wit_cmp(const void *a, const void *b)
{
	return memcmp(((const struct rc_log_witness *)a)->pk,
		      ((const struct rc_log_witness *)b)->pk, RC_PK_LEN);
}
#endif

int rc_anchors_set_log(struct rc_anchors *s, const struct rc_log_policy *p)
{
	if (!s)
		return RC_ERR_INVALID;
	if (!p) {
		s->has_log = false;
#ifndef RC_AGENT_NO_LOG
		memset(&s->log, 0, sizeof(s->log));
#endif
		return RC_OK;
	}
#ifdef RC_AGENT_NO_LOG
	return RC_ERR_VERSION; /* no policy is kept (struct rc_anchors) */
#else
	if (p->nwit == 0 || p->nwit > RC_LOG_WITNESS_MAX)
		return RC_ERR_INVALID;
	struct rc_log_policy q;
	memset(&q, 0, sizeof(q));
	if (!name_ok(p->origin))
		return RC_ERR_INVALID;
	memcpy(q.origin, p->origin, strlen(p->origin));
	memcpy(q.log_pk, p->log_pk, RC_PK_LEN);
	q.nwit = p->nwit;
	q.quorum = p->quorum;
	q.max_age = p->max_age;
	for (uint32_t i = 0; i < p->nwit; i++) {
		if (!name_ok(p->wit[i].name))
			return RC_ERR_INVALID;
		memcpy(q.wit[i].name, p->wit[i].name, strlen(p->wit[i].name));
		memcpy(q.wit[i].pk, p->wit[i].pk, RC_PK_LEN);
	}
	qsort(q.wit, q.nwit, sizeof(q.wit[0]), wit_cmp);
	rc__log_kid(q.log_kid, q.origin, RC_NOTE_ALG_ED25519, q.log_pk);
	for (uint32_t i = 0; i < q.nwit; i++)
		rc__log_kid(q.wit[i].kid, q.wit[i].name, RC_NOTE_ALG_COSIG, q.wit[i].pk);
	if (rc__log_policy_check(&q))
		return RC_ERR_INVALID;
	s->log = q;
	s->has_log = true;
	return RC_OK;
#endif
}
