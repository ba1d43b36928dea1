/* Signed notes, checkpoints and cosignatures: Go's sumdb/note vectors (tests/data/note) are
 * reproduced byte for byte and verified; every kind of malformed note, key and checkpoint is
 * refused with the expected code. With RECALL_WRITE_SEEDS=tests/fuzz/corpus set, the notes
 * and checkpoints built here are written as fuzz seeds (corpus/note, corpus/checkpoint). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "note_b64.h"
#include "recall/note.h"
#include "testutil.h"

static char vec[8][160];

/* The value of "key value" in tests/data/note/sumdb-note.txt. */
static const char *vector(const char *key)
{
	static char *text;
	static int used;
	if (!text)
		text = tu_read_data("note/sumdb-note.txt", NULL);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t kl = strlen(key);
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			snprintf(vec[used % 8], sizeof(vec[0]), "%.*s", (int)(nl - p - kl - 1),
				 p + kl + 1);
			return vec[used++ % 8];
		}
		p = nl + 1;
	}
	fail_msg("no vector %s", key);
	return NULL;
}

static char *go_text(size_t *len)
{
	return tu_read_data("note/text.txt", len);
}

/* Peter's Ed25519 key pair from Go's signer key string ("PRIVATE+KEY+name+id+b64(1||seed)"). */
static void peter_keys(struct rc_note_key *k, uint8_t sk[64])
{
	const char *skey = vector("peter.skey");
	const char *b64 = skey;
	for (int plus = 0; plus < 4; plus++) /* PRIVATE+KEY+name+id+: base64 may hold '+' too */
		b64 = strchr(b64, '+') + 1;
	uint8_t raw[33], pk[32];
	size_t rl;
	assert_int_equal(rc_b64_decode(raw, sizeof(raw), &rl, b64, strlen(b64)), RC_OK);
	assert_int_equal(rl, 33);
	assert_int_equal(raw[0], 1);
	crypto_sign_seed_keypair(pk, sk, raw + 1);
	assert_int_equal(rc_note_key_init(k, "PeterNeumann", 12, RC_NOTE_ALG_ED25519, pk), RC_OK);
}

static void test_go_sign_and_open(void **state)
{
	(void)state;
	struct rc_note_key peter, enoch, k;
	uint8_t sk[64];
	char key[RC_NOTE_KEY_MAX], buf[2048];
	size_t tl, len;
	char *text = go_text(&tl);
	peter_keys(&peter, sk);
	assert_int_equal(peter.keyid, 0xc74f20a3);
	assert_int_equal(rc_note_key_format(key, sizeof(key), &peter), RC_OK);
	assert_string_equal(key, vector("peter.vkey"));
	assert_int_equal(rc_note_key_parse(&k, key, strlen(key)), RC_OK);
	assert_memory_equal(&k, &peter, sizeof(k));
	const char *ek = vector("enoch.vkey");
	assert_int_equal(rc_note_key_parse(&enoch, ek, strlen(ek)), RC_OK);
	assert_int_equal(enoch.keyid, 0xaf0cfe78);

	/* Signing reproduces Go's note exactly (Ed25519 is deterministic). */
	assert_int_equal(rc_note_sign(buf, sizeof(buf), &len, text, tl, &peter, sk), RC_OK);
	char want[2048];
	int wl = snprintf(want, sizeof(want), "%s\n\xe2\x80\x94 PeterNeumann %s\n", text,
			  vector("peter.sig"));
	assert_int_equal(len, (size_t)wl);
	assert_memory_equal(buf, want, len);
	tu_write_seed("note", "go-peter", (const uint8_t *)buf, len);

	/* Go's two-signature note: both verify, each with its own key, and the text is Go's. */
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\xe2\x80\x94 EnochRoot %s\n",
				vector("enoch.sig"));
	tu_write_seed("note", "go-peter-enoch", (const uint8_t *)buf, len);
	struct rc_note n;
	struct rc_diag d;
	assert_int_equal(rc_note_parse(&n, buf, len, &d), RC_OK);
	assert_int_equal(n.nsigs, 2);
	assert_int_equal(n.text_len, tl);
	assert_memory_equal(n.text, text, tl);
	assert_int_equal(rc_note_verify(&n, &peter, NULL), RC_OK);
	assert_int_equal(rc_note_verify(&n, &enoch, NULL), RC_OK);
	/* A key the note does not name is missing, not a bad signature. */
	struct rc_note_key other = peter;
	other.keyid ^= 1;
	assert_int_equal(rc_note_verify(&n, &other, NULL), RC_ERR_MISSING);
	/* A changed text fails under the named key. */
	buf[3] ^= 0x20;
	assert_int_equal(rc_note_parse(&n, buf, len, &d), RC_OK);
	assert_int_equal(rc_note_verify(&n, &peter, NULL), RC_ERR_SIG);
	free(text);
}

static void test_bad_keys(void **state)
{
	(void)state;
	struct rc_note_key k;
	const char *vk = vector("peter.vkey");
	char b[RC_NOTE_KEY_MAX];
	/* Go's own rejects, then every proper substring and every single-byte change. */
	const char *badlen = vector("badlen.vkey"), *badalg = vector("badalg.vkey");
	assert_int_not_equal(rc_note_key_parse(&k, badlen, strlen(badlen)), RC_OK);
	assert_int_not_equal(rc_note_key_parse(&k, badalg, strlen(badalg)), RC_OK);
	size_t n = strlen(vk);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j <= n; j++)
			if (i || j != n)
				assert_int_not_equal(rc_note_key_parse(&k, vk + i, j - i), RC_OK);
	for (size_t i = 0; i < n; i++) {
		memcpy(b, vk, n);
		b[i]++;
		assert_int_not_equal(rc_note_key_parse(&k, b, n), RC_OK);
	}
	/* Uppercase hex is a second spelling of the key id. */
	snprintf(b, sizeof(b), "%s", vk);
	memcpy(b + 13, "C74F20A3", 8);
	assert_int_equal(rc_note_key_parse(&k, b, n), RC_ERR_SYNTAX);
	uint8_t pk[32] = {0};
	assert_int_not_equal(rc_note_key_init(&k, "a+b", 3, 1, pk), RC_OK);
	assert_int_not_equal(rc_note_key_init(&k, "a b", 3, 1, pk), RC_OK);
	assert_int_not_equal(rc_note_key_init(&k,
					      "a\xc2\xa0"
					      "b",
					      4, 1, pk),
			     RC_OK);
	assert_int_not_equal(rc_note_key_init(&k, "", 0, 1, pk), RC_OK);
	assert_int_not_equal(rc_note_key_init(&k, "ab", 2, 2, pk), RC_OK);
}

static int parse(const char *s)
{
	struct rc_note n;
	struct rc_diag d;
	return rc_note_parse(&n, s, strlen(s), &d);
}

/* Copies a note template with each '@' replaced by the em dash and space of a signature line. */
static void dashes(char *out, size_t cap, const char *t)
{
	size_t o = 0;
	for (; *t && o + 5 < cap; t++) {
		if (*t == '@') {
			memcpy(out + o, "\xe2\x80\x94 ", 4);
			o += 4;
		} else {
			out[o++] = *t;
		}
	}
	out[o] = 0;
}

#define SIG                                                                                        \
	"x08go/ZJkuBS9UG/"                                                                         \
	"SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="

static void test_bad_notes(void **state)
{
	(void)state;
	const char *D = "\xe2\x80\x94 ";
	char b[4096];
	snprintf(b, sizeof(b), "hello\n\n%sPeter %s\n", D, SIG);
	assert_int_equal(parse(b), RC_OK);
	static const struct {
		const char *note;
		int err;
	} bad[] = {
	    {"hello\n@Peter " SIG "\n", RC_ERR_SYNTAX},          /* no blank line */
	    {"hello\n\n@Peter " SIG, RC_ERR_SYNTAX},             /* last line unterminated */
	    {"hello\n\n@Peter " SIG "\nextra\n", RC_ERR_SYNTAX}, /* a line that is no signature */
	    {"hello\n\n@Peter " SIG "\n\n", RC_ERR_SYNTAX},      /* blank line after the sigs */
	    {"hello\n\n- Peter " SIG "\n@", RC_ERR_SYNTAX},      /* hyphen, not em dash */
	    {"hello\n\n@Pe+ter " SIG "\n", RC_ERR_SYNTAX},       /* '+' in the name */
	    {"hello\n\n@Peter  " SIG "\n", RC_ERR_SYNTAX},       /* two spaces */
	    {"hello\n\n@Peter " SIG " \n", RC_ERR_SYNTAX},       /* trailing space */
	    {"hello\n\n@Peter x08go/ZJku\n", RC_ERR_SYNTAX},     /* base64 not a multiple of 4 */
	    {"hello\n\n@Peter x08g\n", RC_ERR_SYNTAX},           /* 3 bytes: shorter than an id */
	    {"hello\n\n@Peter x08go/Z=\n", RC_ERR_SYNTAX},       /* nonzero pad bits */
	    {"hello\n\n@Peter x08go/ZJ\n", RC_OK},               /* 6 bytes: id and a stub */
	    {"hello\n\n@Peter x08go_ZJ\n", RC_ERR_SYNTAX},       /* URL alphabet */
	    {"hello\n\n@Peter x08g\xcd\x96ZJ\n", RC_ERR_SYNTAX}, /* bytes libsodium misreads */
	    {"hel\tlo\n\n@Peter " SIG "\n", RC_ERR_SYNTAX},      /* control character */
	    {"hel\xc0\xafo\n\n@Peter " SIG "\n", RC_ERR_SYNTAX}, /* overlong UTF-8 */
	    {"hel\xed\xa0\x80o\n\n@Peter " SIG "\n", RC_ERR_SYNTAX}, /* surrogate */
	    {"\n\n@Peter " SIG "\n", RC_ERR_SYNTAX},                 /* empty text */
	    {"hello\n\n@ " SIG "\n", RC_ERR_SYNTAX},                 /* empty name */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dashes(b, sizeof(b), bad[i].note);
		if (parse(b) != bad[i].err)
			fail_msg("note %zu: got %d, want %d", i, parse(b), bad[i].err);
	}
	/* RC_NOTE_MAX_SIGS lines are fine, one more is refused; so is a note over the size cap. */
	size_t l = (size_t)snprintf(b, sizeof(b), "hello\n\n");
	for (int i = 0; i < RC_NOTE_MAX_SIGS; i++)
		l += (size_t)snprintf(b + l, sizeof(b) - l, "%sw%d AAAAAAAA\n", D, i);
	assert_int_equal(parse(b), RC_OK);
	snprintf(b + l, sizeof(b) - l, "%sone-more AAAAAAAA\n", D);
	assert_int_equal(parse(b), RC_ERR_TOOLONG);
	static char big[RC_NOTE_MAX_LEN + 100];
	memset(big, 'a', RC_NOTE_MAX_LEN - 20);
	snprintf(big + RC_NOTE_MAX_LEN - 20, 100, "\n\n%sPeter x08go/ZJ\n", D);
	assert_int_equal(parse(big), RC_ERR_TOOLONG);
}

/* Appends "— name base64(keyid || sig)\n" for a signature of any length (test only: the
 * library writes only the short signatures it makes). */
static int append_raw(char *out, size_t cap, size_t *len, const char *name, size_t nl,
		      uint32_t keyid, const uint8_t *sig, size_t sl)
{
	uint8_t *raw = malloc(4 + sl);
	size_t bl = sodium_base64_ENCODED_LEN(4 + sl, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(bl);
	assert_non_null(raw);
	assert_non_null(b64);
	raw[0] = (uint8_t)(keyid >> 24);
	raw[1] = (uint8_t)(keyid >> 16);
	raw[2] = (uint8_t)(keyid >> 8);
	raw[3] = (uint8_t)keyid;
	memcpy(raw + 4, sig, sl);
	sodium_bin2base64(b64, bl, raw, 4 + sl, sodium_base64_VARIANT_ORIGINAL);
	int w = snprintf(out + *len, cap - *len, "\xe2\x80\x94 %.*s %s\n", (int)nl, name, b64);
	free(raw);
	free(b64);
	if (w < 0 || (size_t)w >= cap - *len)
		return RC_ERR_BUFFER;
	*len += (size_t)w;
	return RC_OK;
}

/* c2sp.org/signed-note: verifiers accept at least 16 signatures, and ignore lines of unknown
 * keys however long (post-quantum cosignatures are kilobytes); DEL is not a control character
 * the spec forbids. A long line naming our own key is a bad signature, not ours. */
static void test_foreign_signatures(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], seed[32] = {7};
	crypto_sign_seed_keypair(pk, sk, seed);
	struct rc_note_key k;
	assert_int_equal(rc_note_key_init(&k, "example.org/log", 15, 1, pk), RC_OK);
	static char note[RC_NOTE_MAX_LEN];
	size_t len;
	const char text[] = "example.org/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	assert_int_equal(rc_note_sign(note, sizeof(note), &len, text, strlen(text), &k, sk), RC_OK);
	static uint8_t big[2420 + 8]; /* an ML-DSA-44 cosignature's size */
	memset(big, 0x5a, sizeof(big));
	for (int i = 0; i < 15; i++) {
		char name[32];
		int nl = snprintf(name, sizeof(name), "witness%d.example", i);
		assert_int_equal(append_raw(note, sizeof(note), &len, name, (size_t)nl, (uint32_t)i,
					    big, sizeof(big)),
				 RC_OK);
	}
	tu_write_seed("note", "sixteen-with-pq-sizes", (const uint8_t *)note, len);
	struct rc_note n;
	struct rc_diag d;
	assert_int_equal(rc_note_parse(&n, note, len, &d), RC_OK);
	assert_int_equal(n.nsigs, 16);
	assert_int_equal(n.sigs[5].sig_len, sizeof(big));
	assert_int_equal(rc_note_verify(&n, &k, NULL), RC_OK);
	/* The same long line under our name and key id. */
	assert_int_equal(rc_note_sign(note, sizeof(note), &len, text, strlen(text), &k, sk), RC_OK);
	size_t ours = len;
	assert_int_equal(
	    append_raw(note, sizeof(note), &len, k.name, k.name_len, k.keyid, big, sizeof(big)),
	    RC_OK);
	memmove(note + strlen(text) + 1, note + ours, len - ours); /* only the long line */
	len -= ours - strlen(text) - 1;
	assert_int_equal(rc_note_parse(&n, note, len, &d), RC_OK);
	assert_int_equal(rc_note_verify(&n, &k, NULL), RC_ERR_SIG);
	/* Signatures longer than RC_NOTE_SIG_LINE are refused. */
	static uint8_t huge[RC_NOTE_SIG_LINE + 1];
	len = 0;
	len += (size_t)snprintf(note, sizeof(note), "%s\n", text);
	assert_int_equal(append_raw(note, sizeof(note), &len, "w", 1, 1, huge, sizeof(huge)),
			 RC_OK);
	assert_int_equal(rc_note_parse(&n, note, len, &d), RC_ERR_TOOLONG);
	assert_int_equal(parse("a\x7f"
			       "b\n\n\xe2\x80\x94 Peter x08go/ZJ\n"),
			 RC_OK);
}

static int cp_parse(const char *s, struct rc_checkpoint *c)
{
	struct rc_diag d;
	return rc_checkpoint_parse(c, s, strlen(s), &d);
}

static void test_checkpoint(void **state)
{
	(void)state;
	struct rc_checkpoint c;
	/* The example of c2sp.org/tlog-checkpoint. */
	const char *ex = "example.com/behind-the-sofa\n20852163\n"
			 "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	assert_int_equal(cp_parse(ex, &c), RC_OK);
	assert_int_equal(c.size, 20852163);
	assert_int_equal(c.origin_len, 27);
	assert_int_equal(c.ext_len, 0);
	char out[512];
	size_t len;
	assert_int_equal(rc_checkpoint_format(out, sizeof(out), &len, &c), RC_OK);
	assert_int_equal(len, strlen(ex));
	assert_memory_equal(out, ex, len);
	tu_write_seed("checkpoint", "c2sp-example", (const uint8_t *)ex, strlen(ex));
	const char *ext = "log\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx y z\n— ext\n";
	assert_int_equal(cp_parse(ext, &c), RC_OK);
	assert_int_equal(c.ext_len, strlen("x y z\n— ext\n"));
	assert_int_equal(rc_checkpoint_format(out, sizeof(out), &len, &c), RC_OK);
	assert_memory_equal(out, ext, len);
	tu_write_seed("checkpoint", "extensions", (const uint8_t *)ext, strlen(ext));
	static const struct {
		const char *cp;
		int err;
	} bad[] = {
	    {"log\n007\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_NONCANONICAL},
	    {"log\n+7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_SYNTAX},
	    {"log\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_SYNTAX},
	    {"log\n 7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_SYNTAX},
	    {"log\n7 \nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_SYNTAX},
	    {"log\n\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_SYNTAX},
	    {"log\n4611686018427387904\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	     RC_ERR_RANGE}, /* 2^62 */
	    {"log\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	     RC_ERR_RANGE},
	    {"log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", RC_ERR_SYNTAX},
	    {"log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", RC_ERR_SYNTAX},
	    {"log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n", RC_ERR_SIZE},
	    {"log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", RC_ERR_TRUNCATED},
	    {"log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", RC_ERR_SYNTAX},
	    {"log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next", RC_ERR_TRUNCATED},
	    {"\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_SYNTAX},
	    {"lo\tg\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", RC_ERR_SYNTAX},
	    {"log\n7\n", RC_ERR_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cp_parse(bad[i].cp, &c) != bad[i].err)
			fail_msg("checkpoint %zu: got %d, want %d", i, cp_parse(bad[i].cp, &c),
				 bad[i].err);
	tu_write_seed("checkpoint", "leading-zero", (const uint8_t *)bad[0].cp, strlen(bad[0].cp));
	tu_write_seed("checkpoint", "too-big", (const uint8_t *)bad[6].cp, strlen(bad[6].cp));
}

/* A log signs a checkpoint, a witness cosigns it; both verify, and changes are caught. */
static void test_cosignature(void **state)
{
	(void)state;
	uint8_t lpk[32], lsk[64], wpk[32], wsk[64], seed[32];
	memset(seed, 1, 32);
	crypto_sign_seed_keypair(lpk, lsk, seed);
	memset(seed, 2, 32);
	crypto_sign_seed_keypair(wpk, wsk, seed);
	struct rc_note_key log, wit, wit_as_note;
	assert_int_equal(rc_note_key_init(&log, "example.org/log", 15, 1, lpk), RC_OK);
	assert_int_equal(rc_note_key_init(&wit, "witness.example", 15, 4, wpk), RC_OK);
	assert_int_equal(rc_note_key_init(&wit_as_note, "witness.example", 15, 1, wpk), RC_OK);
	assert_int_not_equal(wit.keyid, wit_as_note.keyid); /* the algorithm is in the id */
	char key[RC_NOTE_KEY_MAX];
	struct rc_note_key back;
	assert_int_equal(rc_note_key_format(key, sizeof(key), &wit), RC_OK);
	assert_int_equal(rc_note_key_parse(&back, key, strlen(key)), RC_OK);
	assert_memory_equal(&back, &wit, sizeof(back));

	struct rc_checkpoint c = {.origin = "example.org/log", .origin_len = 15, .size = 12345};
	memset(c.root, 0xab, sizeof(c.root));
	char text[256], note[2048];
	size_t tl, nl;
	assert_int_equal(rc_checkpoint_format(text, sizeof(text), &tl, &c), RC_OK);
	assert_int_equal(rc_note_sign(note, sizeof(note), &nl, text, tl, &log, lsk), RC_OK);
	uint8_t cs[RC_COSIG_LEN];
	assert_int_equal(rc_cosig_sign(cs, 1700000000, text, tl, &wit, wsk), RC_OK);
	assert_int_equal(rc_note_append_sig(note, sizeof(note), &nl, wit.name, wit.name_len,
					    wit.keyid, cs, sizeof(cs)),
			 RC_OK);
	tu_write_seed("note", "cosigned-checkpoint", (const uint8_t *)note, nl);
	struct rc_note n;
	struct rc_diag d;
	uint64_t t = 0;
	assert_int_equal(rc_note_parse(&n, note, nl, &d), RC_OK);
	assert_int_equal(rc_note_verify(&n, &log, NULL), RC_OK);
	assert_int_equal(rc_note_verify(&n, &wit, &t), RC_OK);
	assert_int_equal(t, 1700000000);
	/* The witness key under algorithm 1 is a different key id: not found. */
	assert_int_equal(rc_note_verify(&n, &wit_as_note, NULL), RC_ERR_MISSING);
	/* A moved timestamp breaks the cosignature (it is signed); one above 2^63 - 1 is out of
	 * range before any signature check. */
	n.sigs[1].sig[7] ^= 1;
	assert_int_equal(rc_note_verify(&n, &wit, &t), RC_ERR_SIG);
	n.sigs[1].sig[0] ^= 0x80;
	assert_int_equal(rc_note_verify(&n, &wit, &t), RC_ERR_RANGE);
	assert_int_equal(rc_cosig_sign(cs, (uint64_t)1 << 63, text, tl, &wit, wsk), RC_ERR_INVALID);
	uint8_t msg[512];
	size_t ml;
	assert_int_equal(rc_cosig_message(msg, sizeof(msg), &ml, 42, text, tl), RC_OK);
	assert_memory_equal(msg, "cosignature/v1\ntime 42\nexample.org/log\n12345\n", 45);
	/* Cosigning needs an algorithm-4 key; a note signature an algorithm-1 key. */
	assert_int_equal(rc_cosig_sign(cs, 1, text, tl, &log, lsk), RC_ERR_INVALID);
	assert_int_equal(rc_note_sign(note, sizeof(note), &nl, text, tl, &wit, wsk),
			 RC_ERR_INVALID);
	assert_int_equal(rc_note_sign(note, 10, &nl, text, tl, &log, lsk), RC_ERR_BUFFER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_go_sign_and_open), cmocka_unit_test(test_bad_keys),
	    cmocka_unit_test(test_bad_notes),        cmocka_unit_test(test_checkpoint),
	    cmocka_unit_test(test_cosignature),      cmocka_unit_test(test_foreign_signatures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
