/* libFuzzer target: the add-checkpoint request of recall-witness (witness_core): the body
 * parser, then the whole call up to and including the log signature check, with one log
 * configured (origin example.org/log, the key of seed 32 x 0x01 that signed the seed
 * corpus/note/cosigned-checkpoint) and no state directory (a state write fails: 500).
 * Properties: never crash; a body that parses has one spelling (formatted back, the same
 * bytes) and its proof and note are bounded spans of it; an error names a place inside the
 * input; every answer is a status of the spec (or 500) with a body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "witness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_witness_request: %s violated\n", what);
		abort();
	}
}

static struct wt w;
static struct wt_config cfg;

static void setup(void)
{
	static uint8_t pk[32], sk[64], seed[32];
	if (w.logs)
		return;
	if (sodium_init() < 0)
		abort();
	log_init("fuzz_witness_request", true, 0);
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	cfg.logs.n = 1;
	rc_note_key_init(&cfg.logs.v[0], "example.org/log", 15, RC_NOTE_ALG_ED25519, pk);
	cfg.state_dir = "/nonexistent";
	cfg.evidence_max = 0;
	memset(seed, 2, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	rc_note_key_init(&w.key, "witness.example", 15, RC_NOTE_ALG_COSIG, pk);
	w.cfg = &cfg;
	w.sk = sk;
	w.dirfd = w.logsfd = w.evidencefd = -1;
	pthread_mutex_init(&w.mu, NULL);
	log_rate_init(&w.rl, 0, 0);
	static struct wt_log l;
	memcpy(l.origin, "example.org/log", 16);
	l.origin_len = 15;
	l.keys[0] = &cfg.logs.v[0];
	l.nkeys = 1;
	crypto_hash_sha256(l.root, NULL, 0);
	w.logs = &l;
	w.nlogs = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wt_request q;
	static char back[WT_BODY_MAX + 64];
	const char *s = (const char *)data;
	struct rc_diag d = {0, NULL};
	setup();
	int r = wt_request_parse(&q, s, size, &d);
	check(r >= 0 && r < RC_ERR__COUNT, "an rc_err code");
	if (r == RC_OK) {
		check(q.n <= WT_PROOF_MAX && q.old < RC_TLOG_MAX_SIZE, "bounded");
		check(q.note > s && q.note_len > 0 && q.note + q.note_len == s + size,
		      "the note is the tail");
		size_t o =
		    (size_t)snprintf(back, sizeof(back), "old %llu\n", (unsigned long long)q.old);
		for (size_t i = 0; i < q.n; i++) {
			sodium_bin2base64(back + o, sizeof(back) - o, q.proof[i], RC_TLOG_HASH_LEN,
					  sodium_base64_VARIANT_ORIGINAL);
			o += strlen(back + o);
			back[o++] = '\n';
		}
		back[o++] = '\n';
		check(o + q.note_len <= sizeof(back), "fits");
		memcpy(back + o, q.note, q.note_len);
		check(o + q.note_len == size && !memcmp(back, s, size), "one spelling per request");
	} else {
		check(d.field != NULL && d.off <= size, "a diagnostic inside the input");
	}
	struct wt_reply rep;
	wt_add_checkpoint(&w, s, size, 1700000000, &rep);
	unsigned st = rep.status;
	check(st == 200 || st == 400 || st == 403 || st == 404 || st == 409 || st == 422 ||
		  st == 500,
	      "a status of the spec");
	check(rep.len > 0 && rep.len < sizeof(rep.body) && rep.type != NULL, "an answer");
	check(r == RC_OK || st == 400, "a body that does not parse is 400");
	return 0;
}
