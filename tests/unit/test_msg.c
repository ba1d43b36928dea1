/* Check-ins and answers: round trips, pinned encodings and every rejection path.
 * `test_msg --write-seeds DIR` writes the fuzz seed corpora DIR/checkin and DIR/answer from the
 * case tables below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recall/error.h"
#include "recall/msg.h"

/* Messages are written in a small notation: hex bytes ("a8 00 01"), "text" (a CBOR text string
 * with its head), T<n> (text string of n 'a'), B<n> (byte string of n 0xab), and PAD (a byte
 * string of zeros sized so the datagram is exactly RC_CHECKIN_SIZE bytes; PAD+1 / PAD-1 state
 * a length one more / less than the bytes that follow; PAD! ends with a 0x01 byte). */
#define BUFCAP 4096

static size_t head(uint8_t *o, int major, size_t n)
{
	if (n < 24) {
		o[0] = (uint8_t)(major << 5 | n);
		return 1;
	}
	if (n < 256) {
		o[0] = (uint8_t)(major << 5 | 24);
		o[1] = (uint8_t)n;
		return 2;
	}
	o[0] = (uint8_t)(major << 5 | 25);
	o[1] = (uint8_t)(n >> 8);
	o[2] = (uint8_t)n;
	return 3;
}

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t build(uint8_t *out, const char *s)
{
	size_t n = 0, pad_at = SIZE_MAX;
	int delta = 0, bang = 0;
	while (*s) {
		if (*s == ' ') {
			s++;
		} else if (*s == '"') {
			const char *e = strchr(s + 1, '"');
			if (!e)
				fail_msg("unterminated text in %s", s);
			size_t l = (size_t)(e - s - 1);
			n += head(out + n, 3, l);
			memcpy(out + n, s + 1, l);
			n += l;
			s = e + 1;
		} else if (*s == 'T' || *s == 'B') {
			char *e;
			size_t l = strtoul(s + 1, &e, 10);
			n += head(out + n, *s == 'T' ? 3 : 2, l);
			memset(out + n, *s == 'T' ? 'a' : 0xab, l);
			n += l;
			s = e;
		} else if (!strncmp(s, "PAD", 3)) {
			pad_at = n;
			s += 3;
			delta = *s == '+' ? 1 : *s == '-' ? -1 : 0;
			bang = *s == '!';
			s += delta ? 2 : bang ? 1 : 0;
		} else {
			int h = hexv(s[0]), l = hexv(s[1]);
			if (h < 0 || l < 0)
				fail_msg("bad notation at \"%s\"", s);
			out[n++] = (uint8_t)(h << 4 | l);
			s += 2;
		}
		assert_true(n < BUFCAP / 2);
	}
	if (pad_at == SIZE_MAX)
		return n;
	assert_true(n + 3 + 256 <= RC_CHECKIN_SIZE);
	size_t pad = RC_CHECKIN_SIZE - n - 3;
	memmove(out + pad_at + 3 + pad, out + pad_at, n - pad_at);
	head(out + pad_at, 2, (size_t)((long)pad + delta));
	memset(out + pad_at + 3, 0, pad);
	if (bang)
		out[pad_at + 3 + pad - 1] = 1;
	return RC_CHECKIN_SIZE;
}

#define NONCE     "50 000102030405060708090a0b0c0d0e0f"
#define COMMON    "01 01 02 " NONCE
#define VENDOR    "01 \"hikvision\" "
#define MODEL     "02 \"ds-2cd2032-i\" "
#define HWREV     "03 \"\" "
#define FWVER     "04 \"V5.5.800_210628\" "
#define IDENT     "05 a4 " VENDOR MODEL HWREV FWVER
#define CI_HEAD   "a8 00 01 " COMMON " 03 00 04 00 "
#define CHECKIN   CI_HEAD IDENT " 06 03 07 PAD"
#define CI(ident) CI_HEAD "05 " ident " 06 03 07 PAD"

struct dcase {
	const char *name; /* also the seed file name */
	const char *text;
	int want;
	const char *field; /* expected rc_diag field (NULL: not checked) */
};

static const struct dcase checkins[] = {
    {"ok-minimal", CHECKIN, RC_OK, NULL},
    {"ok-full",
     CI_HEAD "05 a6 " VENDOR MODEL "03 \"ipc_g0\" " FWVER
	     "05 1a60d9a800 06 B32 06 1b0000000100000000 "
	     "07 PAD",
     RC_OK, NULL},
    {"ok-ext-top", "a9 00 01 " COMMON " 03 02 04 01 " IDENT " 06 00 07 PAD 20 a1 01 82 01 02",
     RC_OK, NULL},
    /* a home gateway's check-in (PROTOCOL.md 13.1); another value of the mark is ignored */
    {"ok-gateway", "a9 00 01 " COMMON " 03 02 04 01 " IDENT " 06 00 07 PAD 20 01", RC_OK, NULL},
    {"ok-sender-other", "a9 00 01 " COMMON " 03 02 04 01 " IDENT " 06 00 07 PAD 20 63 \"gw\"",
     RC_OK, NULL},
    {"ok-ext-identity", CI("a5 " VENDOR MODEL HWREV FWVER "37 \"later\""), RC_OK, NULL},
    {"ok-escaped-names",
     CI("a4 01 \"tp-link\" 02 \"archer%20ax21\" 03 \"v1.0\" 04 \"1.1.0 Build 20230105\""), RC_OK,
     NULL},
    {"size-short", "a0", RC_ERR_SIZE, "checkin"},
    {"truncated-pad", CI_HEAD IDENT " 06 03 07 PAD+1", RC_ERR_TRUNCATED, "pad"},
    {"truncated-count", "a9 00 01 " COMMON " 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_TRUNCATED,
     "checkin"},
    {"trailing", CI_HEAD IDENT " 06 03 07 PAD-1", RC_ERR_TRAILING, "checkin"},
    {"type-top-array", "88 00 01 " COMMON " 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_TYPE,
     "checkin"},
    {"type-reason", "a8 00 01 " COMMON " 03 \"x\" 04 00 " IDENT " 06 03 07 PAD", RC_ERR_TYPE,
     "reason"},
    {"type-epoch", CI_HEAD IDENT " 06 \"3\" 07 PAD", RC_ERR_TYPE, "anchor_epoch"},
    {"type-nonce",
     "a8 00 01 01 01 02 70 000102030405060708090a0b0c0d0e0f 03 00 04 00 " IDENT " 06 03 07 PAD",
     RC_ERR_TYPE, "nonce"},
    {"type-vendor", CI("a4 01 49 6869 6b76 6973 696f 6e " MODEL HWREV FWVER), RC_ERR_TYPE,
     "identity.vendor"},
    {"type-float-epoch", CI_HEAD IDENT " 06 f93c00 07 PAD", RC_ERR_TYPE, "anchor_epoch"},
    {"type-pad-text", CI_HEAD IDENT " 06 03 07 62 0000 20 PAD", RC_ERR_TYPE, "pad"},
    {"noncanon-reason", "a8 00 01 " COMMON " 03 1800 04 00 " IDENT " 06 03 07 PAD",
     RC_ERR_NONCANONICAL, "reason"},
    {"noncanon-key", "a8 00 01 " COMMON " 1803 00 04 00 " IDENT " 06 03 07 PAD",
     RC_ERR_NONCANONICAL, "checkin"},
    {"noncanon-map", "b808 00 01 " COMMON " 03 00 04 00 " IDENT " 06 03 07 PAD",
     RC_ERR_NONCANONICAL, "checkin"},
    {"noncanon-pad", CI_HEAD IDENT " 06 03 07 5a00000001 00 20 PAD", RC_ERR_NONCANONICAL, "pad"},
    {"indef-identity", CI("bf " VENDOR MODEL HWREV FWVER "ff"), RC_ERR_INDEFINITE, "identity"},
    {"indef-vendor", CI("a4 01 7f 62 6869 ff " MODEL HWREV FWVER), RC_ERR_INDEFINITE,
     "identity.vendor"},
    {"dup-key", "a8 00 01 " COMMON " 03 00 03 00 " IDENT " 06 03 07 PAD", RC_ERR_DUPKEY, "checkin"},
    {"order-key", "a8 00 01 " COMMON " 04 00 03 00 " IDENT " 06 03 07 PAD", RC_ERR_NONCANONICAL,
     "checkin"},
    {"dup-identity", CI("a4 " VENDOR VENDOR HWREV FWVER), RC_ERR_DUPKEY, "identity"},
    {"critical-top", "a9 00 01 " COMMON " 03 00 04 00 " IDENT " 06 03 07 PAD 08 00",
     RC_ERR_CRITICAL, "checkin"},
    {"critical-identity", CI("a5 " VENDOR MODEL HWREV FWVER "07 00"), RC_ERR_CRITICAL, "identity"},
    {"critical-identity-0", CI("a5 00 00 " VENDOR MODEL HWREV FWVER), RC_ERR_CRITICAL, "identity"},
    {"depth-ext", "a9 00 01 " COMMON " 03 00 04 00 " IDENT " 06 03 07 PAD 20 818181818181818181 00",
     RC_ERR_DEPTH, "checkin"},
    {"toolong-vendor", CI("a4 01 T65 " MODEL HWREV FWVER), RC_ERR_TOOLONG, "identity.vendor"},
    {"toolong-model", CI("a4 " VENDOR "02 T65 " HWREV FWVER), RC_ERR_TOOLONG, "identity.model"},
    {"toolong-hwrev", CI("a4 " VENDOR MODEL "03 T33 " FWVER), RC_ERR_TOOLONG, "identity.hwrev"},
    {"toolong-fwver", CI("a4 " VENDOR MODEL HWREV "04 T65"), RC_ERR_TOOLONG, "identity.fwver"},
    {"toolong-nonce", "a8 00 01 01 01 02 B17 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_TOOLONG,
     "nonce"},
    {"size-nonce", "a8 00 01 01 01 02 B15 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_SIZE,
     "nonce"},
    {"size-digest", CI("a5 " VENDOR MODEL HWREV FWVER "06 B31"), RC_ERR_SIZE, "identity.digest"},
    {"ok-max-names", CI("a4 01 T64 02 T64 03 T32 04 T64"), RC_OK, NULL},
    {"syntax-vendor-case", CI("a4 01 \"Hikvision\" " MODEL HWREV FWVER), RC_ERR_SYNTAX,
     "identity.vendor"},
    {"syntax-model-space", CI("a4 " VENDOR "02 \"archer ax21\" " HWREV FWVER), RC_ERR_SYNTAX,
     "identity.model"},
    {"syntax-hwrev-hex", CI("a4 " VENDOR MODEL "03 \"a%2Fb\" " FWVER), RC_ERR_SYNTAX,
     "identity.hwrev"},
    {"syntax-vendor-empty", CI("a4 01 \"\" " MODEL HWREV FWVER), RC_ERR_SYNTAX, "identity.vendor"},
    {"syntax-fwver-space", CI("a4 " VENDOR MODEL HWREV "04 \" 1.0\""), RC_ERR_SYNTAX,
     "identity.fwver"},
    {"syntax-fwver-utf8", CI("a4 " VENDOR MODEL HWREV "04 62 c3a9"), RC_ERR_SYNTAX,
     "identity.fwver"},
    {"syntax-bad-utf8", CI("a4 " VENDOR "02 62 61ff " HWREV FWVER), RC_ERR_SYNTAX,
     "identity.model"},
    {"pad-nonzero", CI_HEAD IDENT " 06 03 07 PAD!", RC_ERR_SYNTAX, "pad"},
    {"version-2", "a8 00 01 01 02 02 " NONCE " 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_VERSION,
     "version"},
    {"version-0", "a8 00 01 01 00 02 " NONCE " 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_VERSION,
     "version"},
    {"version-2-other-layout", "a4 00 01 01 02 02 " NONCE " 03 \"new\" 04 PAD", RC_ERR_VERSION,
     "version"},
    {"version-2-no-nonce", "a3 00 01 01 02 03 PAD", RC_ERR_MISSING, "nonce"},
    {"version-2-end", "a2 00 01 01 02 20 PAD", RC_ERR_MISSING, "nonce"},
    {"type-answer", "a8 00 02 " COMMON " 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_RANGE, "type"},
    {"range-reason", "a8 00 01 " COMMON " 03 05 04 00 " IDENT " 06 03 07 PAD", RC_ERR_RANGE,
     "reason"},
    {"range-state", "a8 00 01 " COMMON " 03 00 04 03 " IDENT " 06 03 07 PAD", RC_ERR_RANGE,
     "state"},
    {"missing-type", "a7 " COMMON " 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_MISSING, "type"},
    {"missing-version", "a7 00 01 02 " NONCE " 03 00 04 00 " IDENT " 06 03 07 PAD", RC_ERR_MISSING,
     "version"},
    {"missing-identity", "a7 00 01 " COMMON " 03 00 04 00 06 03 07 PAD", RC_ERR_MISSING,
     "identity"},
    {"missing-epoch", "a7 00 01 " COMMON " 03 00 04 00 " IDENT " 07 PAD", RC_ERR_MISSING,
     "anchor_epoch"},
    {"missing-pad", "a8 00 01 " COMMON " 03 00 04 00 " IDENT " 06 03 20 PAD", RC_ERR_MISSING,
     "pad"},
    {"missing-fwver", CI("a3 " VENDOR MODEL HWREV), RC_ERR_MISSING, "identity.fwver"},
    {"missing-hwrev", CI("a3 " VENDOR MODEL FWVER), RC_ERR_MISSING, "identity.hwrev"},
};

#define AHEAD(t) "a4 00 " t " " COMMON " "

static const struct dcase answers[] = {
    {"ok-clear", AHEAD("02") "03 1a00012345", RC_OK, NULL},
    {"ok-recalled", AHEAD("03") "04 B200", RC_OK, NULL},
    {"ok-recalled-max", AHEAD("03") "04 B1160", RC_OK, NULL},
    {"ok-retry", AHEAD("04") "05 19 0e10", RC_OK, NULL},
    {"ok-unsupported", AHEAD("05") "06 01", RC_OK, NULL},
    {"ok-rotate", AHEAD("06") "07 B300", RC_OK, NULL},
    {"ok-ext", "a5 00 02 " COMMON " 03 00 38ff \"x\"", RC_OK, NULL},
    {"empty", "", RC_ERR_TRUNCATED, "answer"},
    {"truncated", AHEAD("02") "03 1a000123", RC_ERR_TRUNCATED, "serial"},
    {"trailing", AHEAD("02") "03 00 00", RC_ERR_TRAILING, "answer"},
    {"type-serial", AHEAD("02") "03 \"1\"", RC_ERR_TYPE, "serial"},
    {"type-top", "84 00 02 01 01", RC_ERR_TYPE, "answer"},
    {"noncanon", AHEAD("02") "03 1900ff", RC_ERR_NONCANONICAL, "serial"},
    {"indef", "bf 00 02 " COMMON " 03 00 ff", RC_ERR_INDEFINITE, "answer"},
    {"dup", "a5 00 02 " COMMON " 03 00 03 00", RC_ERR_DUPKEY, "answer"},
    {"order", "a4 00 02 02 " NONCE " 01 01 03 00", RC_ERR_NONCANONICAL, "answer"},
    {"unknown-type-7", AHEAD("07") "08 00", RC_ERR_RANGE, "type"},
    {"unknown-type-1", AHEAD("01") "03 00", RC_ERR_RANGE, "type"},
    {"unknown-type-0", AHEAD("00") "03 00", RC_ERR_RANGE, "type"},
    {"version-2", "a4 00 02 01 02 02 " NONCE " 03 00", RC_ERR_VERSION, "version"},
    {"other-type-key", "a5 00 02 " COMMON " 03 00 04 B10", RC_ERR_CRITICAL, "notice"},
    {"wrong-key", AHEAD("02") "05 01", RC_ERR_CRITICAL, "delay"},
    {"critical", "a5 00 02 " COMMON " 03 00 08 00", RC_ERR_CRITICAL, "answer"},
    {"depth-ext", "a5 00 02 " COMMON " 03 00 20 818181818181818181 00", RC_ERR_DEPTH, "answer"},
    {"notice-toolong", AHEAD("03") "04 B1161", RC_ERR_TOOLONG, "notice"},
    {"notice-empty", AHEAD("03") "04 40", RC_ERR_SYNTAX, "notice"},
    {"rotation-toolong", AHEAD("06") "07 B1161", RC_ERR_TOOLONG, "rotation"},
    {"delay-0", AHEAD("04") "05 00", RC_ERR_RANGE, "delay"},
    {"delay-big", AHEAD("04") "05 1a00015181", RC_ERR_RANGE, "delay"},
    {"nonce-short", "a4 00 02 01 01 02 B15 03 00", RC_ERR_SIZE, "nonce"},
    {"missing-serial", "a3 00 02 " COMMON, RC_ERR_MISSING, "serial"},
    {"missing-notice", "a4 00 03 " COMMON " 20 00", RC_ERR_MISSING, "notice"},
    {"missing-nonce", "a3 00 02 01 01 03 00", RC_ERR_MISSING, "nonce"},
    {"missing-version", "a3 00 02 02 " NONCE " 03 00", RC_ERR_MISSING, "version"},
    {"missing-type", "a3 " COMMON " 03 00", RC_ERR_MISSING, "type"},
    {"too-big", AHEAD("03") "04 B1160 20 B20", RC_ERR_SIZE, "answer"},
};

typedef int (*decode_fn)(const uint8_t *buf, size_t len, struct rc_diag *d);

static int dec_checkin(const uint8_t *buf, size_t len, struct rc_diag *d)
{
	struct rc_checkin c;
	return rc_checkin_decode(&c, buf, len, d);
}

static int dec_answer(const uint8_t *buf, size_t len, struct rc_diag *d)
{
	struct rc_answer a;
	return rc_answer_decode(&a, buf, len, d);
}

static void run_cases(const struct dcase *cs, size_t n, decode_fn dec)
{
	uint8_t buf[BUFCAP];
	for (size_t i = 0; i < n; i++) {
		size_t len = build(buf, cs[i].text);
		struct rc_diag d = {0};
		int e = dec(buf, len, &d);
		if (e != cs[i].want)
			fail_msg("%s: got %s (%d) at %zu field %s, want %s", cs[i].name,
				 rc_strerror(e), e, d.off, d.field ? d.field : "-",
				 rc_strerror(cs[i].want));
		if (cs[i].field && (!d.field || strcmp(d.field, cs[i].field)))
			fail_msg("%s: diag field %s, want %s", cs[i].name,
				 d.field ? d.field : "(null)", cs[i].field);
		assert_true(d.off <= len);
		/* The same bytes heap-copied to their exact size decode the same way. */
		uint8_t *exact = malloc(len ? len : 1);
		assert_non_null(exact);
		memcpy(exact, buf, len);
		assert_int_equal(dec(exact, len, &d), e);
		free(exact);
	}
}

static void test_checkin_cases(void **state)
{
	run_cases(checkins, sizeof(checkins) / sizeof(checkins[0]), dec_checkin);
}

static void test_answer_cases(void **state)
{
	run_cases(answers, sizeof(answers) / sizeof(answers[0]), dec_answer);
}

static const struct rc_checkin sample = {
    .nonce = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    .reason = RC_REASON_ATTACH,
    .state = RC_STATE_QUARANTINED,
    .anchor_epoch = 3,
    .id = {.vendor = {"tp-link", 7},
	   .model = {"archer%20ax21", 13},
	   .hwrev = {"v1.0", 4},
	   .fwver = {"1.1.0 Build 20230105", 20}},
};

static void test_checkin_roundtrip(void **state)
{
	uint8_t out[RC_CHECKIN_SIZE], again[RC_CHECKIN_SIZE];
	struct rc_checkin c = sample, d;
	struct rc_diag diag;
	for (int variant = 0; variant < 4; variant++) {
		c.id.has_build_date = variant & 1;
		c.id.build_date = 1672876800;
		c.id.has_digest = variant & 2;
		memset(c.id.digest, 0x5a, sizeof(c.id.digest));
		assert_int_equal(rc_checkin_encode(&c, out), RC_OK);
		assert_int_equal(rc_checkin_decode(&d, out, sizeof(out), &diag), RC_OK);
		assert_memory_equal(d.nonce, c.nonce, RC_NONCE_LEN);
		assert_int_equal(d.reason, c.reason);
		assert_int_equal(d.state, c.state);
		assert_int_equal(d.anchor_epoch, c.anchor_epoch);
		assert_true(rc_str_eq(d.id.vendor, c.id.vendor));
		assert_true(rc_str_eq(d.id.model, c.id.model));
		assert_true(rc_str_eq(d.id.hwrev, c.id.hwrev));
		assert_true(rc_str_eq(d.id.fwver, c.id.fwver));
		assert_int_equal(d.id.has_build_date, c.id.has_build_date);
		assert_int_equal(d.id.has_digest, c.id.has_digest);
		if (d.id.has_build_date)
			assert_int_equal(d.id.build_date, c.id.build_date);
		if (d.id.has_digest)
			assert_memory_equal(d.id.digest, c.id.digest, RC_DIGEST_LEN);
		/* Views point into the datagram. */
		assert_true((const uint8_t *)d.id.vendor.p > out &&
			    (const uint8_t *)d.id.vendor.p < out + sizeof(out));
		assert_int_equal(rc_checkin_encode(&d, again), RC_OK);
		assert_memory_equal(out, again, RC_CHECKIN_SIZE);
	}
	/* Every reason and state. */
	for (unsigned r = 0; r <= RC_REASON_RECHECK; r++)
		for (unsigned s = 0; s <= RC_STATE_OVERRIDDEN; s++) {
			c.reason = (uint8_t)r;
			c.state = (uint8_t)s;
			c.anchor_epoch = UINT64_MAX;
			assert_int_equal(rc_checkin_encode(&c, out), RC_OK);
			assert_int_equal(rc_checkin_decode(&d, out, sizeof(out), NULL), RC_OK);
			assert_int_equal(d.reason, r);
			assert_int_equal(d.state, s);
			assert_int_equal(d.anchor_epoch, UINT64_MAX);
		}
}

/* The encoding is pinned byte for byte: map head, field order, 0x59 pad head, zero pad. */
static void test_checkin_pinned(void **state)
{
	uint8_t out[RC_CHECKIN_SIZE], want[BUFCAP];
	struct rc_checkin c = sample;
	assert_int_equal(rc_checkin_encode(&c, out), RC_OK);
	size_t n = build(
	    want, "a8 00 01 01 01 02 " NONCE " 03 01 04 01 05 a4 01 \"tp-link\" "
		  "02 \"archer%20ax21\" 03 \"v1.0\" 04 \"1.1.0 Build 20230105\" 06 03 07 PAD");
	assert_int_equal(n, RC_CHECKIN_SIZE);
	assert_memory_equal(out, want, RC_CHECKIN_SIZE);
	/* Largest identity: the pad still has a 0x59 head. */
	char big[65];
	memset(big, 'z', 64);
	big[64] = '\0';
	struct rc_checkin m = {.anchor_epoch = UINT64_MAX,
			       .id = {.vendor = {big, 64},
				      .model = {big, 64},
				      .hwrev = {big, 32},
				      .fwver = {big, 64},
				      .has_build_date = true,
				      .build_date = UINT64_MAX,
				      .has_digest = true}};
	assert_int_equal(rc_checkin_encode(&m, out), RC_OK);
	size_t pad_head = 1 + 2 + 2 + 18 + 2 + 2 + 1 + (1 + 6 + 3 * 66 + 34 + 9 + 34) + 1 + 9 + 1;
	assert_int_equal(out[pad_head], 0x59);
	size_t pad = (size_t)out[pad_head + 1] << 8 | out[pad_head + 2];
	assert_true(pad >= 256);
	assert_int_equal(pad_head + 3 + pad, RC_CHECKIN_SIZE);
	struct rc_checkin d;
	assert_int_equal(rc_checkin_decode(&d, out, sizeof(out), NULL), RC_OK);
}

/* The gateway mark (PROTOCOL.md 13.1): key -1 = 1 after the pad, paid for out of the pad; the
 * rest of the datagram is a device's check-in with a pad 2 bytes shorter, which a decoder that
 * skips ignorable keys (every version-1 responder) reads as the device's. */
/* A check-in whose extension (key -2, a byte string) leaves a pad of p bytes written with a
 * head of hl bytes (PROTOCOL.md 6.2): the decode result. */
static int short_pad(size_t p, size_t hl)
{
	uint8_t out[BUFCAP];
	size_t n = build(out, "a9 00 01 " COMMON " 03 02 04 01 " IDENT " 06 00 07");
	uint8_t h[3];
	size_t ph = head(h, 2, p);
	if (hl == 3 && ph < 3) /* the same length with a longer head than needed */
		h[0] = 0x59, h[1] = (uint8_t)(p >> 8), h[2] = (uint8_t)p, ph = 3;
	memcpy(out + n, h, ph);
	memset(out + n + ph, 0, p);
	n += ph + p;
	size_t x = RC_CHECKIN_SIZE - n - 1; /* key -2, then the byte string */
	assert_true(x > 259);
	out[n++] = 0x21;
	n += head(out + n, 2, x - 3);
	memset(out + n, 0xab, x - 3);
	n += x - 3;
	assert_int_equal(n, RC_CHECKIN_SIZE);
	struct rc_diag d = {0, NULL};
	return dec_checkin(out, n, &d);
}

static void test_checkin_short_pad(void **state)
{
	/* Extensions may shrink the pad below 256 bytes: its head is then the shortest one, as
	 * every head; a receiver only requires 1200 bytes in all. */
	assert_int_equal(short_pad(100, 2), RC_OK);
	assert_int_equal(short_pad(10, 1), RC_OK);
	assert_int_equal(short_pad(0, 1), RC_OK);
	assert_int_equal(short_pad(100, 3), RC_ERR_NONCANONICAL);
}

static void test_checkin_gateway(void **state)
{
	(void)state;
	uint8_t dev[RC_CHECKIN_SIZE], gw[RC_CHECKIN_SIZE];
	struct rc_checkin c = sample, d;
	assert_int_equal(rc_checkin_encode(&c, dev), RC_OK);
	c.sender = RC_SENDER_GATEWAY;
	assert_int_equal(rc_checkin_encode(&c, gw), RC_OK);
	assert_int_equal(gw[0], 0xa9); /* nine keys */
	assert_int_equal(gw[RC_CHECKIN_SIZE - 2], 0x20);
	assert_int_equal(gw[RC_CHECKIN_SIZE - 1], 0x01);
	/* same bytes up to the pad's head, whose length is 2 less */
	size_t h = 0;
	while (dev[h] == gw[h] || h == 0)
		h++;
	h -= 2; /* the pad lengths' low bytes differ: the pad head (59 hh ll) starts 2 before */
	assert_int_equal(dev[h], 0x59);
	assert_int_equal((dev[h + 1] << 8 | dev[h + 2]) - (gw[h + 1] << 8 | gw[h + 2]), 2);
	assert_int_equal(rc_checkin_decode(&d, gw, sizeof(gw), NULL), RC_OK);
	assert_int_equal(d.sender, RC_SENDER_GATEWAY);
	assert_true(rc_str_eq(d.id.fwver, c.id.fwver));
	assert_int_equal(rc_checkin_decode(&d, dev, sizeof(dev), NULL), RC_OK);
	assert_int_equal(d.sender, RC_SENDER_DEVICE);
	/* another value, or another type, under key -1: ignorable, so a device's check-in */
	gw[RC_CHECKIN_SIZE - 1] = 0x02;
	assert_int_equal(rc_checkin_decode(&d, gw, sizeof(gw), NULL), RC_OK);
	assert_int_equal(d.sender, RC_SENDER_DEVICE);
	gw[RC_CHECKIN_SIZE - 1] = 0x60; /* empty text string */
	assert_int_equal(rc_checkin_decode(&d, gw, sizeof(gw), NULL), RC_OK);
	assert_int_equal(d.sender, RC_SENDER_DEVICE);
	c.sender = 2;
	assert_int_equal(rc_checkin_encode(&c, gw), RC_ERR_RANGE);
}

static void test_checkin_encode_errors(void **state)
{
	uint8_t out[RC_CHECKIN_SIZE];
	struct rc_checkin c = sample;
	c.reason = 5;
	assert_int_equal(rc_checkin_encode(&c, out), RC_ERR_RANGE);
	c = sample;
	c.state = 3;
	assert_int_equal(rc_checkin_encode(&c, out), RC_ERR_RANGE);
	c = sample;
	c.id.vendor = rc_str_c("TP-Link");
	assert_int_equal(rc_checkin_encode(&c, out), RC_ERR_SYNTAX);
	c = sample;
	c.id.fwver = rc_str_c("");
	assert_int_equal(rc_checkin_encode(&c, out), RC_ERR_SYNTAX);
	c = sample;
	c.id.hwrev = rc_str_c("abcdefghijklmnopqrstuvwxyz0123456");
	assert_int_equal(rc_checkin_encode(&c, out), RC_ERR_TOOLONG);
	assert_int_equal(rc_checkin_encode(NULL, out), RC_ERR_INVALID);
}

static void test_checkin_size_and_version(void **state)
{
	uint8_t out[RC_CHECKIN_SIZE + 1] = {0};
	struct rc_checkin c = sample, d;
	struct rc_diag diag;
	assert_int_equal(rc_checkin_encode(&c, out), RC_OK);
	assert_int_equal(rc_checkin_decode(&d, out, RC_CHECKIN_SIZE - 1, &diag), RC_ERR_SIZE);
	assert_int_equal(rc_checkin_decode(&d, out, RC_CHECKIN_SIZE + 1, &diag), RC_ERR_SIZE);
	assert_int_equal(rc_checkin_decode(&d, out, 0, &diag), RC_ERR_SIZE);
	assert_int_equal(rc_checkin_decode(&d, NULL, 0, &diag), RC_ERR_SIZE);
	assert_int_equal(rc_checkin_decode(NULL, out, RC_CHECKIN_SIZE, &diag), RC_ERR_INVALID);
	/* A different version: the nonce is still returned. */
	out[4] = 0x02;
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(rc_checkin_decode(&d, out, RC_CHECKIN_SIZE, &diag), RC_ERR_VERSION);
	assert_memory_equal(d.nonce, c.nonce, RC_NONCE_LEN);
	assert_string_equal(diag.field, "version");
	/* A non-zero pad byte is located exactly. */
	out[4] = 0x01;
	out[1000] = 0x80;
	assert_int_equal(rc_checkin_decode(&d, out, RC_CHECKIN_SIZE, &diag), RC_ERR_SYNTAX);
	assert_int_equal(diag.off, 1000);
	assert_string_equal(diag.field, "pad");
}

static void test_answer_roundtrip(void **state)
{
	static uint8_t blob[RC_NOTICE_MAX];
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7);
	struct rc_answer as[] = {
	    {.type = RC_MSG_CLEAR, .serial = 0},
	    {.type = RC_MSG_CLEAR, .serial = UINT64_MAX},
	    {.type = RC_MSG_RECALLED, .blob = blob, .blob_len = 1},
	    {.type = RC_MSG_RECALLED, .blob = blob, .blob_len = RC_NOTICE_MAX},
	    {.type = RC_MSG_RETRY, .delay = RC_RETRY_MIN},
	    {.type = RC_MSG_RETRY, .delay = RC_RETRY_MAX},
	    {.type = RC_MSG_UNSUPPORTED, .max_version = 1},
	    {.type = RC_MSG_ROTATE, .blob = blob, .blob_len = 700},
	};
	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		uint8_t out[RC_ANSWER_MAX], again[RC_ANSWER_MAX];
		size_t len, len2;
		struct rc_answer d;
		memset(as[i].nonce, (int)i + 1, RC_NONCE_LEN);
		assert_int_equal(rc_answer_encode(&as[i], out, sizeof(out), &len), RC_OK);
		assert_true(len <= RC_ANSWER_MAX);
		assert_int_equal(rc_answer_decode(&d, out, len, NULL), RC_OK);
		assert_int_equal(d.type, as[i].type);
		assert_memory_equal(d.nonce, as[i].nonce, RC_NONCE_LEN);
		assert_int_equal(d.serial, as[i].serial);
		assert_int_equal(d.delay, as[i].delay);
		assert_int_equal(d.max_version, as[i].max_version);
		assert_int_equal(d.blob_len, as[i].blob_len);
		if (d.blob_len)
			assert_memory_equal(d.blob, as[i].blob, d.blob_len);
		assert_int_equal(rc_answer_encode(&d, again, sizeof(again), &len2), RC_OK);
		assert_int_equal(len, len2);
		assert_memory_equal(out, again, len);
	}
}

static void test_answer_pinned(void **state)
{
	uint8_t out[64], want[64];
	size_t len;
	struct rc_answer a = {.type = RC_MSG_RETRY, .delay = 3600};
	for (int i = 0; i < RC_NONCE_LEN; i++)
		a.nonce[i] = (uint8_t)i;
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_OK);
	size_t n = build(want, "a4 00 04 01 01 02 " NONCE " 05 190e10");
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);
}

static void test_answer_encode_errors(void **state)
{
	uint8_t out[RC_ANSWER_MAX], blob[RC_NOTICE_MAX + 1] = {1};
	size_t len = 99;
	struct rc_answer a = {.type = RC_MSG_CHECKIN};
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_RANGE);
	assert_int_equal(len, 0);
	a.type = 0;
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_RANGE);
	a.type = 7;
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_RANGE);
	a = (struct rc_answer){
	    .type = RC_MSG_RECALLED, .blob = blob, .blob_len = RC_NOTICE_MAX + 1};
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_TOOLONG);
	a.blob_len = 0;
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_SYNTAX);
	a = (struct rc_answer){.type = RC_MSG_ROTATE, .blob = NULL, .blob_len = 10};
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_SYNTAX);
	a = (struct rc_answer){.type = RC_MSG_RETRY, .delay = 0};
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_RANGE);
	a.delay = RC_RETRY_MAX + 1;
	assert_int_equal(rc_answer_encode(&a, out, sizeof(out), &len), RC_ERR_RANGE);
	a = (struct rc_answer){.type = RC_MSG_CLEAR, .serial = 1};
	assert_int_equal(rc_answer_encode(&a, out, 24, &len), RC_ERR_BUFFER);
	assert_int_equal(rc_answer_encode(&a, out, 25, &len), RC_OK);
	assert_int_equal(len, 25);
	assert_int_equal(rc_answer_encode(NULL, out, 25, &len), RC_ERR_INVALID);
	assert_int_equal(rc_answer_encode(&a, NULL, 25, &len), RC_ERR_INVALID);
	struct rc_answer d;
	assert_int_equal(rc_answer_decode(&d, out, RC_ANSWER_MAX + 1, NULL), RC_ERR_SIZE);
	assert_int_equal(rc_answer_decode(NULL, out, 25, NULL), RC_ERR_INVALID);
}

static void test_names(void **state)
{
	assert_string_equal(rc_msg_type_name(RC_MSG_CHECKIN), "checkin");
	assert_string_equal(rc_msg_type_name(RC_MSG_CLEAR), "clear");
	assert_string_equal(rc_msg_type_name(RC_MSG_RECALLED), "recalled");
	assert_string_equal(rc_msg_type_name(RC_MSG_RETRY), "retry-later");
	assert_string_equal(rc_msg_type_name(RC_MSG_UNSUPPORTED), "unsupported");
	assert_string_equal(rc_msg_type_name(RC_MSG_ROTATE), "rotate");
	assert_string_equal(rc_msg_type_name(0), "unknown");
	assert_string_equal(rc_msg_type_name(RC_MSG_PRIVATE), "private-checkin");
	assert_string_equal(rc_msg_type_name(12), "unknown");
	assert_string_equal(rc_reason_name(RC_REASON_BOOT), "boot");
	assert_string_equal(rc_reason_name(RC_REASON_ATTACH), "attach");
	assert_string_equal(rc_reason_name(RC_REASON_PERIODIC), "periodic");
	assert_string_equal(rc_reason_name(RC_REASON_RETRY), "retry");
	assert_string_equal(rc_reason_name(RC_REASON_RECHECK), "recheck");
	assert_string_equal(rc_reason_name(5), "unknown");
	assert_string_equal(rc_devstate_name(RC_STATE_NORMAL), "normal");
	assert_string_equal(rc_devstate_name(RC_STATE_QUARANTINED), "quarantined");
	assert_string_equal(rc_devstate_name(RC_STATE_OVERRIDDEN), "overridden");
	assert_string_equal(rc_devstate_name(3), "unknown");
}

static int write_seeds(const char *dir, const char *sub, const struct dcase *cs, size_t n)
{
	uint8_t buf[BUFCAP];
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, cs[i].name);
		size_t len = build(buf, cs[i].text);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			fprintf(stderr, "%s: cannot write\n", path);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
		return write_seeds(argv[2], "checkin", checkins,
				   sizeof(checkins) / sizeof(checkins[0])) ||
		       write_seeds(argv[2], "answer", answers,
				   sizeof(answers) / sizeof(answers[0]));
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checkin_cases),
	    cmocka_unit_test(test_answer_cases),
	    cmocka_unit_test(test_checkin_roundtrip),
	    cmocka_unit_test(test_checkin_pinned),
	    cmocka_unit_test(test_checkin_gateway),
	    cmocka_unit_test(test_checkin_short_pad),
	    cmocka_unit_test(test_checkin_encode_errors),
	    cmocka_unit_test(test_checkin_size_and_version),
	    cmocka_unit_test(test_answer_roundtrip),
	    cmocka_unit_test(test_answer_pinned),
	    cmocka_unit_test(test_answer_encode_errors),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
