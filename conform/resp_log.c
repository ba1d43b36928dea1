/* The log of recall-conform-responder (resp_log.h): a log policy for the suite's logged anchor
 * set and compact log proofs (PROTOCOL.md 7.8, 12.7), honest and forged, made with librecall's
 * note, checkpoint and proof encoders. The "log" is a tree of two entries, a filler and the
 * notice just sent: enough for an inclusion path that the device must follow. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "recall/note.h"
#include "recall/tlog.h"
#include "resp_log.h"

#define ORIGIN  "conform.example/log"
#define NWIT    3
#define QUORUM  2
#define MAX_AGE 3600u
#define FILLER  "recall-conform filler entry"

void rl_key(const char *label, int i, uint8_t pk[32], uint8_t sk[64])
{
	char s[64];
	uint8_t seed[32];
	snprintf(s, sizeof(s), "%s-%d", label, i);
	crypto_hash_sha256(seed, (const uint8_t *)s, strlen(s));
	crypto_sign_seed_keypair(pk, sk, seed);
}

/* Key 0: the log; 1..NWIT: the witnesses. */
static void log_key(int i, uint8_t pk[32], uint8_t sk[64])
{
	rl_key("recall-conform-log-key", i, pk, sk);
}

static void wit_name(char *out, size_t cap, int i)
{
	snprintf(out, cap, "witness-%d.conform.example", i);
}

int rl_policy(struct rc_anchors *a)
{
	struct rc_log_policy p;
	uint8_t sk[64];
	memset(&p, 0, sizeof(p));
	snprintf(p.origin, sizeof(p.origin), "%s", ORIGIN);
	log_key(0, p.log_pk, sk);
	p.nwit = NWIT;
	for (int i = 0; i < NWIT; i++) {
		wit_name(p.wit[i].name, sizeof(p.wit[i].name), i);
		log_key(1 + i, p.wit[i].pk, sk);
	}
	p.quorum = QUORUM;
	p.max_age = MAX_AGE;
	return rc_anchors_set_log(a, &p);
}

bool rl_mode(const char *mode)
{
	return !strcmp(mode, "logok") || !strcmp(mode, "lognone") || !strcmp(mode, "logother") ||
	       !strcmp(mode, "logbelow") || !strcmp(mode, "logstale");
}

/* The signed checkpoint note of a tree (size, root), cosigned at time t by the first ncosig
 * witnesses. */
static int note(char *out, size_t cap, size_t *len, uint64_t size, const uint8_t root[32],
		uint64_t t, int ncosig)
{
	struct rc_checkpoint c = {.origin = ORIGIN, .origin_len = strlen(ORIGIN), .size = size};
	struct rc_note_key k;
	uint8_t pk[32], sk[64];
	char text[256];
	size_t tl;
	memcpy(c.root, root, 32);
	int err = rc_checkpoint_format(text, sizeof(text), &tl, &c);
	log_key(0, pk, sk);
	if (!err)
		err = rc_note_key_init(&k, ORIGIN, strlen(ORIGIN), RC_NOTE_ALG_ED25519, pk);
	if (!err)
		err = rc_note_sign(out, cap, len, text, tl, &k, sk);
	for (int i = 0; i < ncosig && !err; i++) {
		char name[RC_LOG_NAME_MAX + 1];
		uint8_t cs[RC_COSIG_LEN];
		wit_name(name, sizeof(name), i);
		log_key(1 + i, pk, sk);
		err = rc_note_key_init(&k, name, strlen(name), RC_NOTE_ALG_COSIG, pk);
		if (!err)
			err = rc_cosig_sign(cs, t, text, tl, &k, sk);
		if (!err)
			err = rc_note_append_sig(out, cap, len, name, strlen(name), k.keyid, cs,
						 sizeof(cs));
	}
	return err;
}

int rl_proof(uint8_t *out, size_t cap, size_t *len, const struct rc_anchors *a,
	     const uint8_t *entry, size_t entry_len, const char *mode, uint64_t now)
{
	uint8_t leaf[2][32], root[32], path[1][32];
	static struct rc_logproof p; /* 1.4 kB: not on the stack */
	char buf[2048];
	size_t nl = 0;
	rc_tlog_leaf_hash(leaf[0], (const uint8_t *)FILLER, strlen(FILLER));
	rc_tlog_leaf_hash(leaf[1], entry, entry_len);
	rc_tlog_node_hash(root, leaf[0], leaf[1]);
	/* Honest: the notice is entry 1, its path the filler's hash. Another leaf: a valid proof
	 * of entry 0 (the filler) in the same checkpoint. */
	bool other = !strcmp(mode, "logother");
	memcpy(path[0], leaf[other ? 1 : 0], 32);
	uint64_t t = !strcmp(mode, "logstale") ? now - MAX_AGE - 600 : now - 10;
	int err =
	    note(buf, sizeof(buf), &nl, 2, root, t, !strcmp(mode, "logbelow") ? QUORUM - 1 : NWIT);
	if (!err)
		err = rc_logproof_from_note(&p, a, buf, nl, other ? 0 : 1,
					    (const uint8_t(*)[32])path, 1);
	return err ? err : rc_logproof_encode(&p, out, cap, len);
}
