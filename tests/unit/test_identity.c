/* Identity canonicalisation and validity checks, with real vendor/model strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "recall/error.h"
#include "recall/identity.h"

static struct rc_str S(const char *s) {
	return rc_str_c(s);
}

static int
canon(char *out, size_t cap, const char *in)
{
	return rc_name_canon(out, cap, in, strlen(in));
}

struct canon_case {
	const char *in, *want;
};

/* Real names from /work/shared/data/firmware-versions/ (imup_firmware_versions.tsv,
 * iotbec_device_under_test.tsv, hikvision_fw_archive_extract.tsv) and the examples of
 * docs/PROTOCOL.md. */
static const struct canon_case cases[] = {
    {"TP-Link", "tp-link"},
    {"TP-LINK", "tp-link"},
    {"Archer AX21", "archer%20ax21"},
    {"DS-2CD2032-I", "ds-2cd2032-i"},
    {"DS-2CD1363G2P-LIUF", "ds-2cd1363g2p-liuf"},
    {"IPC_G0", "ipc_g0"},
    {"TL-WR941ND v6", "tl-wr941nd%20v6"},
    {"TP-Link Archer C7 v2", "tp-link%20archer%20c7%20v2"},
    {"ZenFone C (ZC451CG)", "zenfone%20c%20%28zc451cg%29"},
    {"WNDR3300v1  RangeMax", "wndr3300v1%20%20rangemax"},
    /* '/' and U+2162 ROMAN NUMERAL THREE (e2 85 a2): every byte escaped, lowercase hex. */
    {"DS-D4218FI-CWFH/\xe2\x85\xa2", "ds-d4218fi-cwfh%2f%e2%85%a2"},
    {"TOTOLINK", "totolink"},
    {"D-Link", "d-link"},
    {"  Netgear\t\r\n", "netgear"},
    {"\v\fZyxel ", "zyxel"},
    {"100%", "100%25"},
    {"%20", "%2520"},
    {"a+b.c_d-e", "a+b.c_d-e"},
    {"A:B", "a%3ab"},
    {"tab\there", "tab%09here"},
    {"\x7f\x80\xff", "%7f%80%ff"},
    {"", ""},
    {" \t ", ""},
};

static void test_canon_table(void **state)
{
	char out[RC_NAME_MAX + 1];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = canon(out, sizeof(out), cases[i].in);
		if (n < 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("canon(\"%s\") = %d \"%s\", want \"%s\"", cases[i].in, n,
				 n >= 0 ? out : "", cases[i].want);
		assert_int_equal((size_t)n, strlen(cases[i].want));
		assert_true(rc_name_valid((struct rc_str){out, (size_t)n}, RC_NAME_MAX, true));
		assert_int_equal(rc_name_valid((struct rc_str){out, (size_t)n}, RC_NAME_MAX, false),
				 n > 0);
	}
}

static void test_canon_limits(void **state)
{
	char out[RC_NAME_MAX + 1], in[200];
	/* Real model name whose canonical form is longer than 64 bytes. */
	assert_int_equal(
	    canon(out, sizeof(out),
		  "UTM9S  ProSECURE Unified Threat Management (UTM) Appliance with DSL "
		  "and Wireless modules"),
	    -RC_ERR_TOOLONG);
	assert_string_equal(out, "");
	memset(in, 'A', 64);
	in[64] = '\0';
	assert_int_equal(canon(out, sizeof(out), in), 64);
	in[64] = 'B';
	in[65] = '\0';
	assert_int_equal(canon(out, sizeof(out), in), -RC_ERR_TOOLONG);
	/* 21 escapes = 63 bytes fit, 22 = 66 do not; an escape is never split. */
	memset(in, '/', 21);
	in[21] = '\0';
	assert_int_equal(canon(out, sizeof(out), in), 63);
	strcat(in, "x");
	assert_int_equal(canon(out, sizeof(out), in), 64);
	strcpy(in + 21, "/");
	assert_int_equal(canon(out, sizeof(out), in), -RC_ERR_TOOLONG);
	/* Trimmed whitespace does not count. */
	memset(in, ' ', 100);
	memset(in + 100, 'z', 64);
	memset(in + 164, '\n', 30);
	in[194] = '\0';
	assert_int_equal(canon(out, sizeof(out), in), 64);
	/* Output buffer: needs length + 1 for the NUL. */
	assert_int_equal(canon(out, 8, "tp-link"), 7);
	assert_int_equal(canon(out, 7, "tp-link"), -RC_ERR_BUFFER);
	assert_int_equal(canon(out, 3, "a b"), -RC_ERR_BUFFER);
	assert_int_equal(canon(out, 1, ""), 0);
	assert_int_equal(rc_name_canon(NULL, 10, "x", 1), -RC_ERR_INVALID);
	assert_int_equal(rc_name_canon(out, 0, "x", 1), -RC_ERR_INVALID);
	assert_int_equal(rc_name_canon(out, 10, NULL, 1), -RC_ERR_INVALID);
	assert_int_equal(rc_name_canon(out, 10, NULL, 0), 0);
	/* Embedded NUL is just another byte to escape. */
	assert_int_equal(rc_name_canon(out, sizeof(out), "a\0b", 3), 5);
	assert_string_equal(out, "a%00b");
}

/* Every single byte, alone and between letters: the result is canonical and as specified. */
static void test_canon_every_byte(void **state)
{
	char out[RC_NAME_MAX + 1], in[3] = {'a', 0, 'b'}, want[8];
	for (int c = 0; c < 256; c++) {
		in[1] = (char)c;
		int n = rc_name_canon(out, sizeof(out), in, 3);
		bool kept = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '+' || c == '-';
		if (c >= 'A' && c <= 'Z')
			snprintf(want, sizeof(want), "a%cb", c - 'A' + 'a');
		else if (kept)
			snprintf(want, sizeof(want), "a%cb", c);
		else
			snprintf(want, sizeof(want), "a%%%02xb", c);
		assert_int_equal(n, (int)strlen(want));
		assert_string_equal(out, want);
		assert_true(rc_name_valid(S(out), RC_NAME_MAX, false));
	}
}

static void test_valid(void **state)
{
	const char *ok[] = {"tp-link", "archer%20ax21", "a%2fb", "%2f", "a%20b", "100%25",
			    "x",       "%e2%85%a2",     "a..b",  "-",   "0"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!rc_name_valid(S(ok[i]), RC_NAME_MAX, false))
			fail_msg("\"%s\" should be canonical", ok[i]);
	const char *bad[] = {
	    "TP-Link",   /* uppercase */
	    "a b",       /* raw space */
	    "a/b",       /* raw slash */
	    "%2F",       /* uppercase hex */
	    "%2",        /* short escape */
	    "%",         /* bare percent */
	    "a%g0",      /* not hex */
	    "%41",       /* escaped 'A': canon lowercases instead */
	    "%61",       /* escaped kept byte */
	    "%2e",       /* escaped '.' */
	    "%20abc",    /* escaped leading whitespace: canon trims it */
	    "abc%0a",    /* escaped trailing whitespace */
	    "%09",       /* both */
	    "a\xc3\xa9", /* raw UTF-8 */
	    "a\x7f",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rc_name_valid(S(bad[i]), RC_NAME_MAX, true))
			fail_msg("\"%s\" should not be canonical", bad[i]);
	/* Interior escaped whitespace is fine. */
	assert_true(rc_name_valid(S("a%0ab"), RC_NAME_MAX, false));
	/* Empty and length bounds. */
	assert_false(rc_name_valid(S(""), RC_NAME_MAX, false));
	assert_true(rc_name_valid(S(""), RC_HWREV_MAX, true));
	assert_true(rc_name_valid((struct rc_str){NULL, 0}, RC_HWREV_MAX, true));
	assert_false(rc_name_valid((struct rc_str){NULL, 3}, RC_NAME_MAX, true));
	char s[RC_NAME_MAX + 2];
	memset(s, 'v', sizeof(s) - 1);
	s[RC_NAME_MAX] = '\0';
	assert_true(rc_name_valid(S(s), RC_NAME_MAX, false));
	assert_false(rc_name_valid(S(s), RC_HWREV_MAX, true));
	s[RC_NAME_MAX] = 'v';
	s[RC_NAME_MAX + 1] = '\0';
	assert_false(rc_name_valid(S(s), RC_NAME_MAX, false));
	/* An escape cut by the length view is not an escape. */
	assert_false(rc_name_valid((struct rc_str){"ab%2f", 4}, RC_NAME_MAX, false));
}

/* Every escape "a%xxb" is canonical exactly when canon would produce it. */
static void test_valid_every_escape(void **state)
{
	char s[6];
	for (int c = 0; c < 256; c++) {
		snprintf(s, sizeof(s), "a%%%02xb", c);
		bool kept = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			    c == '_' || c == '+' || c == '-';
		bool upper = c >= 'A' && c <= 'Z';
		assert_int_equal(rc_name_valid(S(s), RC_NAME_MAX, false), !kept && !upper);
	}
}

static void test_fwver(void **state)
{
	/* Real version strings (firmware_version_strings_corpus.tsv, iotbec). */
	const char *ok[] = {"1.2.8",
			    "V1.2.8_260509",
			    "5.8.1",
			    "DIR-619L  B1 2.06",
			    "DIR-816A2_FWv1.10CNB05",
			    "A15 V15.13.07.13",
			    "unknown",
			    "~",
			    "x"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!rc_fwver_valid(S(ok[i])))
			fail_msg("fwver \"%s\" should be valid", ok[i]);
	const char *bad[] = {"", " 1.0", "1.0 ", " ", "1.0\t", "1\n0", "1\x7f", "v\xc3\xa9"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rc_fwver_valid(S(bad[i])))
			fail_msg("fwver \"%s\" should be invalid", bad[i]);
	char s[RC_FWVER_MAX + 2];
	memset(s, '1', sizeof(s) - 1);
	s[RC_FWVER_MAX] = '\0';
	assert_true(rc_fwver_valid(S(s)));
	s[RC_FWVER_MAX] = '1';
	s[RC_FWVER_MAX + 1] = '\0';
	assert_false(rc_fwver_valid(S(s)));
	assert_false(rc_fwver_valid((struct rc_str){NULL, 0}));
	assert_false(rc_fwver_valid((struct rc_str){"1.0", 0}));
}

static void test_identity_check(void **state)
{
	struct rc_identity id = {
	    .vendor = S("hikvision"),
	    .model = S("ds-2cd2032-i"),
	    .hwrev = S(""),
	    .fwver = S("V5.5.800_210628"),
	};
	assert_int_equal(rc_identity_check(&id), RC_OK);
	id.hwrev = (struct rc_str){NULL, 0};
	assert_int_equal(rc_identity_check(&id), RC_OK);
	id.hwrev = S("ipc_g0");
	assert_int_equal(rc_identity_check(&id), RC_OK);

	char big[RC_NAME_MAX + 2];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct rc_identity t = id;
	t.vendor = S(big);
	assert_int_equal(rc_identity_check(&t), RC_ERR_TOOLONG);
	t = id;
	t.model = S(big);
	assert_int_equal(rc_identity_check(&t), RC_ERR_TOOLONG);
	t = id;
	t.fwver = S(big);
	assert_int_equal(rc_identity_check(&t), RC_ERR_TOOLONG);
	t = id;
	big[RC_HWREV_MAX + 1] = '\0';
	t.hwrev = S(big);
	assert_int_equal(rc_identity_check(&t), RC_ERR_TOOLONG);

	t = id;
	t.vendor = S("Hikvision");
	assert_int_equal(rc_identity_check(&t), RC_ERR_SYNTAX);
	t = id;
	t.vendor = S("");
	assert_int_equal(rc_identity_check(&t), RC_ERR_SYNTAX);
	t = id;
	t.model = S("ds 2cd");
	assert_int_equal(rc_identity_check(&t), RC_ERR_SYNTAX);
	t = id;
	t.hwrev = S("G0");
	assert_int_equal(rc_identity_check(&t), RC_ERR_SYNTAX);
	t = id;
	t.fwver = S("");
	assert_int_equal(rc_identity_check(&t), RC_ERR_SYNTAX);
	t = id;
	t.fwver = S("5.5 ");
	assert_int_equal(rc_identity_check(&t), RC_ERR_SYNTAX);
	assert_int_equal(rc_identity_check(NULL), RC_ERR_SYNTAX);
}

static void test_str(void **state)
{
	struct rc_str a = rc_str_c("abc"), n = rc_str_c(NULL);
	assert_int_equal(a.n, 3);
	assert_null(n.p);
	assert_int_equal(n.n, 0);
	assert_true(rc_str_eq(a, S("abc")));
	assert_false(rc_str_eq(a, S("abd")));
	assert_false(rc_str_eq(a, S("ab")));
	assert_true(rc_str_eq(n, S("")));
	assert_true(rc_str_eq((struct rc_str){"abcdef", 3}, a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canon_table),        cmocka_unit_test(test_canon_limits),
	    cmocka_unit_test(test_canon_every_byte),   cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_valid_every_escape), cmocka_unit_test(test_fwver),
	    cmocka_unit_test(test_identity_check),     cmocka_unit_test(test_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
