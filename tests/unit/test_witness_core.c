/* recall-witness (witness_core): the add-checkpoint body parser's bounds and one spelling,
 * the configuration checks, and the add-checkpoint call on a scratch state directory: first
 * cosignature, state file written and loaded again, and timestamps that never go back with
 * the clock. The HTTP side, proofs, forks and crashes are in tests/integration/witness.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "witness.h"

#define HASH "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n"

static int parse(const char *s, struct rc_diag *d)
{
	static struct wt_request r;
	return wt_request_parse(&r, s, strlen(s), d);
}

static void test_request(void **state)
{
	static struct wt_request r;
	static char buf[8192];
	struct rc_diag d = {0, NULL};
	const char *ok = "old 5\n" HASH HASH "\nexample.org/log\n";
	assert_int_equal(wt_request_parse(&r, ok, strlen(ok), &d), RC_OK);
	assert_int_equal(r.old, 5);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.proof[1][0], 0xab);
	assert_string_equal(r.note, "example.org/log\n");
	assert_int_equal(parse("old 0\n\nx\n", &d), RC_OK);
	assert_int_equal(parse("old 05\n\nx\n", &d), RC_ERR_NONCANONICAL);
	assert_int_equal(parse("old \n\nx\n", &d), RC_ERR_SYNTAX);
	assert_int_equal(parse("old -1\n\nx\n", &d), RC_ERR_SYNTAX);
	assert_int_equal(parse("Old 1\n\nx\n", &d), RC_ERR_SYNTAX);
	assert_int_equal(parse("old 4611686018427387904\n\nx\n", &d), RC_ERR_RANGE);
	assert_int_equal(parse("old 4611686018427387903\n\nx\n", &d), RC_OK);
	assert_int_equal(parse("old 1", &d), RC_ERR_TRUNCATED);
	assert_int_equal(parse("old 1\n" HASH, &d), RC_ERR_TRUNCATED);
	assert_int_equal(parse("old 1\n" HASH "\n", &d), RC_ERR_TRUNCATED);
	assert_int_equal(parse("old 1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urqw==\n\nx\n", &d),
			 RC_ERR_SIZE);
	assert_int_equal(parse("old 1\n" HASH " \n\nx\n", &d), RC_ERR_SYNTAX);
	assert_string_equal(d.field, "proof");
	assert_int_equal(d.off, 6 + 45);
	/* 63 proof lines, not 64 (the spec's limit). */
	size_t o = (size_t)sprintf(buf, "old 1\n");
	for (int i = 0; i < 63; i++)
		o += (size_t)sprintf(buf + o, HASH);
	strcpy(buf + o, "\nx\n");
	assert_int_equal(parse(buf, &d), RC_OK);
	strcpy(buf + o, HASH "\nx\n");
	assert_int_equal(parse(buf, &d), RC_ERR_TOOLONG);
}

static const char *vkey(char *out, const char *name, uint8_t alg, uint8_t seedbyte, uint8_t *sk)
{
	uint8_t seed[32], pk[32], skb[64];
	struct rc_note_key k;
	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk ? sk : skb, seed);
	rc_note_key_init(&k, name, strlen(name), alg, pk);
	rc_note_key_format(out, RC_NOTE_KEY_MAX, &k);
	return out;
}

static int conf(const char *text, char *err)
{
	static struct wt_config c;
	memset(&c, 0, sizeof(c));
	int r = wt_config_load_buf(&c, "w.conf", text, strlen(text), err, CONF_ERR_MAX + 512);
	wt_config_free(&c);
	return r;
}

static void test_config(void **state)
{
	char err[CONF_ERR_MAX + 512], k1[RC_NOTE_KEY_MAX], k4[RC_NOTE_KEY_MAX], t[2048];
	vkey(k1, "example.org/log", RC_NOTE_ALG_ED25519, 1, NULL);
	vkey(k4, "example.org/log", RC_NOTE_ALG_COSIG, 1, NULL);
	snprintf(t, sizeof(t), "name = w.example/1\nlog = %s\n", k1);
	assert_int_equal(conf(t, err), 0);
	snprintf(t, sizeof(t), "log = %s\n", k1);
	assert_int_equal(conf(t, err), -1);
	assert_non_null(strstr(err, "name: the witness needs a name"));
	assert_int_equal(conf("name = w.example/1\n", err), -1);
	assert_non_null(strstr(err, "log: no log to witness"));
	snprintf(t, sizeof(t), "name = w.example/1\nlog = %s\n", k4);
	assert_int_equal(conf(t, err), -1);
	assert_non_null(strstr(err, "w.conf:2: log:"));
	assert_non_null(strstr(err, "a cosignature key"));
	snprintf(t, sizeof(t), "name = w.example/1\nlog = %s\nlog = %s\n", k1, k1);
	assert_int_equal(conf(t, err), -1);
	assert_non_null(strstr(err, "given twice"));
	snprintf(t, sizeof(t), "name = w.example/1\nlog = %s\nlisten = 127.0.0.1\n", k1);
	assert_int_equal(conf(t, err), -1);
	assert_non_null(strstr(err, "needs a :port"));
	snprintf(t, sizeof(t), "name = w ex\nlog = %s\n", k1);
	assert_int_equal(conf(t, err), -1);
	assert_int_equal(conf("name = w.example/1\nlog = example.org/log+00000000+AAAA\n", err),
			 -1);
}

/* A request "old <old>\n\n" and a checkpoint of size n (root: n bytes of 0x11..) signed by
 * the log key. */
static size_t request(char *out, uint64_t old, uint64_t n, const uint8_t *logsk)
{
	struct rc_checkpoint c = {.origin = "example.org/log", .origin_len = 15, .size = n};
	struct rc_note_key k;
	char body[256];
	size_t bl, nl;
	memset(c.root, 0x11, sizeof(c.root));
	assert_int_equal(rc_checkpoint_format(body, sizeof(body), &bl, &c), RC_OK);
	rc_note_key_init(&k, "example.org/log", 15, RC_NOTE_ALG_ED25519, logsk + 32);
	size_t o = (size_t)sprintf(out, "old %llu\n\n", (unsigned long long)old);
	assert_int_equal(rc_note_sign(out + o, 4096, &nl, body, bl, &k, logsk), RC_OK);
	return o + nl;
}

static uint64_t cosig_time(const struct wt *w, const char *line)
{
	static char note[4096];
	static struct rc_note n;
	struct rc_diag d = {0, NULL};
	uint64_t t = 0;
	const struct wt_log *l = &w->logs[0];
	size_t tl = strstr(l->note, "\n\n") - l->note + 2;
	memcpy(note, l->note, tl);
	strcpy(note + tl, line);
	assert_int_equal(rc_note_parse(&n, note, strlen(note), &d), RC_OK);
	assert_int_equal(rc_note_verify(&n, &w->key, &t), RC_OK);
	return t;
}

static void test_add(void **state)
{
	char k1[RC_NOTE_KEY_MAX], t[1024], dir[] = "/tmp/test_witness.XXXXXX", err[600];
	static char req[4096];
	uint8_t logsk[64], wsk[64], wpk[32], seed[32];
	assert_non_null(mkdtemp(dir));
	vkey(k1, "example.org/log", RC_NOTE_ALG_ED25519, 1, logsk);
	memset(seed, 2, sizeof(seed));
	crypto_sign_seed_keypair(wpk, wsk, seed);
	snprintf(t, sizeof(t), "name = w.example/1\nlog = %s\nstate-dir = %s\n", k1, dir);
	static struct wt_config cfg;
	static struct wt w;
	assert_int_equal(wt_config_load_buf(&cfg, "w.conf", t, strlen(t), err, sizeof(err)), 0);
	assert_int_equal(wt_open(&w, &cfg, wsk, wpk, err, sizeof(err)), 0);
	assert_false(w.logs[0].have);
	struct wt_reply r;
	/* Size 0 with a root that is not the empty tree's: 422. */
	size_t n = request(req, 0, 0, logsk);
	wt_add_checkpoint(&w, req, n, 2000, &r);
	assert_int_equal(r.status, 422);
	n = request(req, 0, 7, logsk);
	wt_add_checkpoint(&w, req, n, 2000, &r);
	assert_int_equal(r.status, 200);
	r.body[r.len] = 0;
	assert_int_equal(cosig_time(&w, r.body), 2000);
	/* The clock goes back: the same checkpoint cosigned again, not before 2000. */
	n = request(req, 7, 7, logsk);
	wt_add_checkpoint(&w, req, n, 1000, &r);
	assert_int_equal(r.status, 200);
	r.body[r.len] = 0;
	assert_int_equal(cosig_time(&w, r.body), 2000);
	wt_add_checkpoint(&w, req, n, 3000, &r);
	r.body[r.len] = 0;
	assert_int_equal(cosig_time(&w, r.body), 3000);
	/* Stale old size: 409 "7\n". */
	n = request(req, 0, 9, logsk);
	wt_add_checkpoint(&w, req, n, 3000, &r);
	assert_int_equal(r.status, 409);
	assert_memory_equal(r.body, "7\n", 2);
	assert_string_equal(r.type, "text/x.tlog.size");
	wt_close(&w);
	/* Loaded again: size 7, time 3000. */
	assert_int_equal(wt_open(&w, &cfg, wsk, wpk, err, sizeof(err)), 0);
	assert_true(w.logs[0].have);
	assert_int_equal(w.logs[0].size, 7);
	assert_int_equal(w.logs[0].time, 3000);
	wt_close(&w);
	/* Another witness key cannot take over the state. */
	memset(seed, 3, sizeof(seed));
	crypto_sign_seed_keypair(wpk, wsk, seed);
	assert_int_equal(wt_open(&w, &cfg, wsk, wpk, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not cosigned by this witness's key"));
	wt_close(&w);
	wt_config_free(&cfg);
	snprintf(t, sizeof(t), "rm -rf '%s'", dir);
	assert_int_equal(system(t), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_init("test_witness_core", true, 0);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
