/* rc_text_safe: every class of character it escapes, the boundaries of each class, invalid
 * UTF-8, the JSON mode and truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "recall/text.h"

struct tcase {
	const char *in;
	size_t n; /* 0: strlen(in) */
	unsigned flags;
	const char *want;
};

#define ONE  RC_TEXT_ONELINE
#define JSON RC_TEXT_JSON

static const struct tcase cases[] = {
    /* Printable ASCII and ordinary UTF-8 pass. */
    {"Update to 1.2.3 now.", 0, 0, "Update to 1.2.3 now."},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", 0, 0,
     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"},
    {"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 0, 0, "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"}, /* Hebrew */
    {"\xc2\xa0\xc2\xad", 0, 0, "\xc2\xa0\xc2\xad"}, /* U+00A0, U+00AD: right after C1 */
    {"a\\x1b", 0, 0, "a\\x1b"},                     /* backslash kept: idempotent */
    /* C0: TAB and LF kept unless one line; CR, ESC, NUL, BEL never. */
    {"a\tb\nc", 0, 0, "a\tb\nc"},
    {"a\tb\nc", 0, ONE, "a\\x09b\\x0ac"},
    {"a\rb", 0, 0, "a\\x0db"},
    {"\x1b[31mred\x1b[0m", 0, 0, "\\x1b[31mred\\x1b[0m"},
    {"a\0b", 3, 0, "a\\x00b"},
    {"\x01\x07\x1f ", 0, 0, "\\x01\\x07\\x1f "},
    {"~\x7f", 0, 0, "~\\x7f"},
    /* C1: U+0080..U+009F, both ends and CSI. */
    {"\xc2\x80", 0, 0, "\\u0080"},
    {"\xc2\x9b"
     "2J",
     0, 0, "\\u009b2J"},
    {"\xc2\x9f", 0, 0, "\\u009f"},
    {"\xc2\x85", 0, ONE, "\\u0085"},
    /* Bidirectional controls. */
    {"\xd8\x9c", 0, 0, "\\u061c"},
    {"\xe2\x80\x8e\xe2\x80\x8f", 0, 0, "\\u200e\\u200f"},
    {"\xe2\x80\xaa\xe2\x80\xae", 0, 0, "\\u202a\\u202e"},
    {"\xe2\x81\xa6\xe2\x81\xa9", 0, 0, "\\u2066\\u2069"},
    {"fdp.\xe2\x80\xaegpj.exe", 0, 0, "fdp.\\u202egpj.exe"},
    /* Separators and invisible characters; the neighbours that stay. */
    {"\xe2\x80\xa8\xe2\x80\xa9", 0, 0, "\\u2028\\u2029"},
    {"\xe2\x80\x8b\xe2\x81\xa0\xef\xbb\xbf", 0, 0, "\\u200b\\u2060\\ufeff"},
    {"\xe2\x80\x8c\xe2\x80\x8d", 0, 0, "\xe2\x80\x8c\xe2\x80\x8d"}, /* ZWNJ, ZWJ kept */
    {"\xe2\x80\xa7\xe2\x80\xaf", 0, 0, "\xe2\x80\xa7\xe2\x80\xaf"}, /* U+2027, U+202F */
    {"\xe2\x81\x9f\xe2\x81\xb0", 0, 0, "\xe2\x81\x9f\xe2\x81\xb0"}, /* U+205F, U+2070 */
    {"\xef\xbf\xb9\xef\xbf\xbc", 0, 0, "\\ufff9\xef\xbf\xbc"},
    {"\xe1\xa0\x8e", 0, 0, "\\u180e"},
    {"\xf3\xa0\x80\x81\xf3\xa0\x81\xbf", 0, 0, "\\U000e0001\\U000e007f"},
    {"\xf3\xa0\x82\x80", 0, 0, "\xf3\xa0\x82\x80"}, /* U+E0080: not a tag */
    /* Invalid UTF-8: each offending byte shown. */
    {"\x80", 0, 0, "\\x80"},
    {"\xc0\xaf", 0, 0, "\\xc0\\xaf"},                   /* overlong '/' */
    {"\xe0\x80\xaf", 0, 0, "\\xe0\\x80\\xaf"},          /* overlong, 3 bytes */
    {"\xed\xa0\x80", 0, 0, "\\xed\\xa0\\x80"},          /* surrogate U+D800 */
    {"\xf4\x90\x80\x80", 0, 0, "\\xf4\\x90\\x80\\x80"}, /* above U+10FFFF */
    {"\xf5\xff", 0, 0, "\\xf5\\xff"},
    {"ab\xe2\x80", 0, 0, "ab\\xe2\\x80"},   /* truncated at the end of the input */
    {"\xe2\x80\xaeok", 2, 0, "\\xe2\\x80"}, /* n cuts a sequence */
    {"\xc3(", 0, 0, "\\xc3("},
    /* JSON: quotes, backslashes, C0 as \u00NN, the same characters escaped, U+FFFD. */
    {"say \"hi\" \\ ok", 0, JSON, "say \\\"hi\\\" \\\\ ok"},
    {"a\tb\n\x1b\x7f", 0, JSON, "a\\u0009b\\u000a\\u001b\\u007f"},
    {"\xc2\x9b\xe2\x80\xae\xc3\xa9", 0, JSON, "\\u009b\\u202e\xc3\xa9"},
    {"\xf3\xa0\x80\x81", 0, JSON, "\\udb40\\udc01"},
    {"\xff\xed\xa0\x80", 0, JSON, "\\ufffd\\ufffd\\ufffd\\ufffd"},
};

static void test_cases(void **state)
{
	(void)state;
	char out[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		size_t n = c->n ? c->n : strlen(c->in);
		size_t got = rc_text_safe(out, sizeof(out), c->in, n, c->flags);
		if (strcmp(out, c->want) || got != strlen(c->want))
			fail_msg("case %zu: got \"%s\" (%zu), want \"%s\"", i, out, got, c->want);
	}
}

/* Every code point the classifier escapes, and its neighbours, at the class edges. */
static void test_classes(void **state)
{
	(void)state;
	static const uint32_t esc[] = {0x80,   0x9f,   0x61c,  0x180e,  0x200b, 0x200e,
				       0x200f, 0x2028, 0x202e, 0x2060,  0x2069, 0x206f,
				       0xfeff, 0xfff9, 0xfffb, 0xe0000, 0xe007f};
	static const uint32_t keep[] = {0x7e,   0xa0,   0x61b,  0x61d,  0x180d,  0x180f,  0x200a,
					0x200c, 0x200d, 0x2027, 0x202f, 0x205f,  0x2070,  0xfefe,
					0xff00, 0xfff8, 0xfffc, 0xfffd, 0xdffff, 0xe0080, 0x10ffff};
	for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++)
		assert_true(rc_text_cp_escaped(esc[i]));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_false(rc_text_cp_escaped(keep[i]));
}

/* Truncation: bounded, NUL-terminated, whole characters and escapes only, a prefix. */
static void test_truncation(void **state)
{
	(void)state;
	const char *in = "ab\xc3\xa9\x1b\xe2\x80\xae\xf0\x9f\x94\x92z";
	const char *full = "ab\xc3\xa9\\x1b\\u202e\xf0\x9f\x94\x92z";
	char out[64];
	size_t fl = strlen(full);
	/* (cap, length): é needs 2, \x1b 4, \u202e 6, the lock 4. */
	static const size_t want[][2] = {{1, 0}, {2, 1},  {3, 2},   {4, 2},   {5, 4},   {8, 4},
					 {9, 8}, {14, 8}, {15, 14}, {18, 14}, {19, 18}, {20, 19}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		memset(out, 'X', sizeof(out));
		size_t got = rc_text_safe(out, want[i][0], in, strlen(in), 0);
		assert_int_equal(got, want[i][1]);
		assert_int_equal(out[got], 0);
		assert_memory_equal(out, full, got);
		assert_int_equal(out[want[i][0]], 'X'); /* nothing written past cap */
	}
	assert_int_equal(rc_text_safe(out, sizeof(out), in, strlen(in), 0), fl);
	/* cap 0 writes nothing; NULL input is empty. */
	out[0] = 'X';
	assert_int_equal(rc_text_safe(out, 0, in, strlen(in), 0), 0);
	assert_int_equal(out[0], 'X');
	assert_int_equal(rc_text_safe(out, sizeof(out), NULL, 5, 0), 0);
	assert_string_equal(out, "");
}

/* The worst case fits RC_TEXT_SAFE_CAP, and text mode is idempotent. */
static void test_worst_case(void **state)
{
	(void)state;
	char in[64], out[RC_TEXT_SAFE_CAP(64)], again[RC_TEXT_SAFE_CAP(64) * 4];
	memset(in, 0x1b, sizeof(in));
	assert_int_equal(rc_text_safe(out, sizeof(out), in, sizeof(in), RC_TEXT_JSON), 6 * 64);
	memset(in, 0xff, sizeof(in));
	assert_int_equal(rc_text_safe(out, sizeof(out), in, sizeof(in), RC_TEXT_JSON), 6 * 64);
	assert_int_equal(rc_text_safe(out, sizeof(out), in, sizeof(in), 0), 4 * 64);
	size_t n = rc_text_safe(out, sizeof(out), in, sizeof(in), 0);
	assert_int_equal(rc_text_safe(again, sizeof(again), out, n, 0), n);
	assert_string_equal(again, out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_classes),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_worst_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
