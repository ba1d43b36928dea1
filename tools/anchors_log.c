/* `recall anchors create` log policy options (--log-vkey/--log-key, --witness, --quorum,
 * --max-age) and how a set's policy is shown. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "anchors_log.h"
#include "keyfile.h"
#include "logstore.h"
#include "recall/note.h"
#include "util.h"

#define DEFAULT_MAX_AGE (7u * 86400u)

int log_args_add(struct log_args *la, int c, const char *arg)
{
	switch (c) {
	case 'L':
		la->vkey = arg;
		break;
	case 'K':
		la->key = arg;
		break;
	case 'O':
		la->origin = arg;
		break;
	case 'W':
		if (la->nwit == RC_LOG_WITNESS_MAX) {
			warnx_("--witness: at most %d witnesses", RC_LOG_WITNESS_MAX);
			return -1;
		}
		la->witness[la->nwit++] = arg;
		break;
	case 'Q':
		la->quorum = arg;
		break;
	case 'A':
		la->max_age = arg;
		break;
	default:
		return -1;
	}
	return 0;
}

bool log_args_any(const struct log_args *la)
{
	return la->vkey || la->key || la->origin || la->nwit || la->quorum || la->max_age;
}

/* A name for the policy: a note key name of 1..64 bytes. */
static int name_copy(char *out, const char *name, size_t n, const char *opt)
{
	if (n == 0 || n > RC_LOG_NAME_MAX || !rc_note_name_ok(name, n)) {
		warnx_("%s: '%s' is not a valid name (1..%d bytes, no spaces, no '+')", opt,
		       tsafen(name, n), RC_LOG_NAME_MAX);
		return -1;
	}
	memcpy(out, name, n);
	out[n] = '\0';
	return 0;
}

/* The log key: a verifier key string (algorithm 0x01), or a .pub file with --log-origin. */
static int log_key(const struct log_args *la, struct rc_log_policy *p)
{
	if (la->vkey && (la->key || la->origin)) {
		warnx_("--log-vkey names the key and origin: not with --log-key or --log-origin");
		return -1;
	}
	if (la->vkey) {
		struct rc_note_key k;
		if (log_load_vkey(la->vkey, &k) < 0)
			return -1;
		if (k.alg != RC_NOTE_ALG_ED25519) {
			warnx_("--log-vkey: not an Ed25519 signing key (algorithm %u)",
			       (unsigned)k.alg);
			return -1;
		}
		memcpy(p->log_pk, k.pk, RC_PK_LEN);
		return name_copy(p->origin, k.name, k.name_len, "--log-vkey");
	}
	if (!la->key || !la->origin) {
		warnx_("a log policy needs --log-vkey, or --log-key with --log-origin");
		return -1;
	}
	if (key_load_public(la->key, p->log_pk) < 0)
		return -1;
	return name_copy(p->origin, la->origin, strlen(la->origin), "--log-origin");
}

/* NAME=KEY.pub, or a verifier key string of the cosignature algorithm. */
static int witness(const char *arg, struct rc_log_witness *w)
{
	const char *eq = strchr(arg, '=');
	if (eq) {
		if (name_copy(w->name, arg, (size_t)(eq - arg), "--witness") < 0)
			return -1;
		return key_load_public(eq + 1, w->pk);
	}
	struct rc_note_key k;
	if (rc_note_key_parse(&k, arg, strlen(arg)) != RC_OK || k.alg != RC_NOTE_ALG_COSIG) {
		warnx_("--witness: '%s' is neither NAME=KEY.pub nor a witness verifier key "
		       "(NAME+KEYID+BASE64, algorithm 4)",
		       tsafe(arg));
		return -1;
	}
	memcpy(w->pk, k.pk, RC_PK_LEN);
	return name_copy(w->name, k.name, k.name_len, "--witness");
}

int log_args_apply(const struct log_args *la, struct rc_anchors *a)
{
	struct rc_log_policy p;
	uint64_t q, age = DEFAULT_MAX_AGE;
	memset(&p, 0, sizeof(p));
	if (log_key(la, &p) < 0)
		return -1;
	if (la->nwit == 0) {
		warnx_("a log policy needs at least one --witness");
		return -1;
	}
	for (int i = 0; i < la->nwit; i++) {
		if (witness(la->witness[i], &p.wit[i]) < 0)
			return -1;
		for (int j = 0; j < i; j++)
			if (!memcmp(p.wit[i].pk, p.wit[j].pk, RC_PK_LEN)) {
				warnx_("--witness: %s has the same key as %s",
				       tsafe(la->witness[i]), tsafe(la->witness[j]));
				return -1;
			}
	}
	p.nwit = (uint32_t)la->nwit;
	q = p.nwit;
	if (la->quorum && (parse_u64(la->quorum, &q) < 0 || q < 1 || q > p.nwit)) {
		warnx_("--quorum: must be 1..%u (the number of witnesses), not '%s'",
		       (unsigned)p.nwit, tsafe(la->quorum));
		return -1;
	}
	if (la->max_age && (parse_duration(la->max_age, &age) < 0 || age < RC_LOG_AGE_MIN ||
			    age > RC_LOG_AGE_MAX)) {
		warnx_("--max-age: must be a duration from 60s to 365d, not '%s'",
		       tsafe(la->max_age));
		return -1;
	}
	p.quorum = (uint32_t)q;
	p.max_age = (uint32_t)age;
	if (rc_anchors_set_log(a, &p) != RC_OK) {
		warnx_("log policy refused: a key is not a usable Ed25519 public key, or two "
		       "witnesses share a key id");
		return -1;
	}
	return 0;
}

static void vkey(char *out, size_t cap, const char *name, uint8_t alg, const uint8_t pk[32])
{
	struct rc_note_key k;
	if (rc_note_key_init(&k, name, strlen(name), alg, pk) != RC_OK ||
	    rc_note_key_format(out, cap, &k) != RC_OK)
		snprintf(out, cap, "?");
}

void log_policy_print(const struct rc_anchors *a, const char *in)
{
	char v[RC_NOTE_KEY_MAX];
	if (!a->has_log) {
		printf("%slog       none (recalls are acted on without a log proof)\n", in);
		return;
	}
	const struct rc_log_policy *p = &a->log;
	vkey(v, sizeof(v), p->origin, RC_NOTE_ALG_ED25519, p->log_pk);
	printf("%slog       %s\n", in, v);
	printf("%squorum    %" PRIu32 " of %" PRIu32 " witnesses, cosignatures at most %" PRIu32
	       " s old\n",
	       in, p->quorum, p->nwit, p->max_age);
	for (uint32_t i = 0; i < p->nwit; i++) {
		vkey(v, sizeof(v), p->wit[i].name, RC_NOTE_ALG_COSIG, p->wit[i].pk);
		printf("%switness   %s\n", in, v);
	}
}

void log_policy_json(const struct rc_anchors *a, json_t *o)
{
	char v[RC_NOTE_KEY_MAX];
	if (!a->has_log) {
		json_object_set_new(o, "log", json_null());
		return;
	}
	const struct rc_log_policy *p = &a->log;
	json_t *l = json_object(), *ws = json_array();
	json_object_set_new(l, "origin", json_string(p->origin));
	vkey(v, sizeof(v), p->origin, RC_NOTE_ALG_ED25519, p->log_pk);
	json_object_set_new(l, "vkey", json_string(v));
	for (uint32_t i = 0; i < p->nwit; i++) {
		vkey(v, sizeof(v), p->wit[i].name, RC_NOTE_ALG_COSIG, p->wit[i].pk);
		json_array_append_new(ws,
				      json_pack("{s:s, s:s}", "name", p->wit[i].name, "vkey", v));
	}
	json_object_set_new(l, "witnesses", ws);
	json_object_set_new(l, "quorum", json_integer(p->quorum));
	json_object_set_new(l, "max_age", json_integer(p->max_age));
	json_object_set_new(o, "log", l);
}
