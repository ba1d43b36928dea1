/* The declarative configuration parser (common/conf.h): every type, defaults, lists, errors
 * with file:line, quoting and comments, and the value parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "conf.h"

struct demo {
	bool on;
	uint64_t n;
	uint64_t wait;
	char *name;
	char *path;
	unsigned mode;
	struct conf_str_list tags;
	struct conf_addr_list addrs;
	struct conf_prefix_list nets;
	int sum;
};

static int parse_sum(void *field, const char *value, char *err, size_t cap)
{
	int *sum = field;
	if (strcmp(value, "one") && strcmp(value, "two")) {
		snprintf(err, cap, "'%s' is not one or two", value);
		return -1;
	}
	*sum += value[0] == 'o' ? 1 : 2;
	return 0;
}

static const char *const modes[] = {"fast", "slow", NULL};

static const struct conf_key keys[] = {
    {"on", CONF_BOOL, offsetof(struct demo, on), 0, 0, "yes", NULL, NULL, NULL},
    {"n", CONF_UINT, offsetof(struct demo, n), 2, 10, "5", NULL, NULL, NULL},
    {"wait", CONF_DURATION, offsetof(struct demo, wait), 0, 86400000, "30s", NULL, NULL, NULL},
    {"name", CONF_STRING, offsetof(struct demo, name), 0, 8, "x", NULL, NULL, NULL},
    {"path", CONF_PATH, offsetof(struct demo, path), 1, 0, NULL, NULL, NULL, NULL},
    {"mode", CONF_ENUM, offsetof(struct demo, mode), 0, 0, "slow", modes, NULL, NULL},
    {"tag", CONF_STR_LIST, offsetof(struct demo, tags), 0, 3, NULL, NULL, NULL, NULL},
    {"addr", CONF_ADDR_LIST, offsetof(struct demo, addrs), 0, 4, "127.0.0.1", NULL, NULL, NULL},
    {"net", CONF_PREFIX_LIST, offsetof(struct demo, nets), 0, 0, NULL, NULL, NULL, NULL},
    {"sum", CONF_CUSTOM, offsetof(struct demo, sum), 0, 0, NULL, NULL, parse_sum, NULL},
    CONF_END,
};

static int parse(struct demo *d, const char *text, char *err)
{
	memset(d, 0, sizeof(*d));
	return conf_parse_buf(keys, d, "t.conf", text, strlen(text), err, CONF_ERR_MAX);
}

static void test_defaults_and_values(void **state)
{
	struct demo d;
	char err[CONF_ERR_MAX] = "";
	assert_int_equal(parse(&d, "path = /x\n", err), 0);
	assert_true(d.on);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.wait, 30000);
	assert_string_equal(d.name, "x");
	assert_int_equal(d.mode, 1);
	assert_int_equal(d.addrs.n, 1);
	assert_int_equal(d.addrs.v[0].family, AF_INET);
	conf_free(keys, &d);
	assert_null(d.name);

	const char *text = "# comment\n"
			   "  on = off   # trailing comment\n"
			   "n=10\r\n"
			   "wait = 1h30m\n"
			   "name = \"a # b\"\n"
			   "path = /var/lib/x#y\n"
			   "mode = fast\n"
			   "tag = first tag\n"
			   "tag = second\n"
			   "addr = 192.0.2.1:7412, [2001:db8::1]:53\n"
			   "addr = 2001:db8::2\n"
			   "net = 10.0.0.0/8 2001:db8::/32\n"
			   "sum = one\n"
			   "sum = two\n"
			   "\n";
	assert_int_equal(parse(&d, text, err), 0);
	assert_false(d.on);
	assert_int_equal(d.n, 10);
	assert_int_equal(d.wait, 5400000);
	assert_string_equal(d.name, "a # b");
	assert_string_equal(d.path, "/var/lib/x#y");
	assert_int_equal(d.mode, 0);
	assert_int_equal(d.tags.n, 2);
	assert_string_equal(d.tags.v[0], "first tag");
	assert_int_equal(d.tags.line[1], 9);
	assert_int_equal(d.addrs.n, 3); /* the file's entries replace the default */
	assert_int_equal(d.addrs.v[0].port, 7412);
	assert_int_equal(d.addrs.v[1].family, AF_INET6);
	assert_int_equal(d.addrs.v[1].port, 53);
	assert_int_equal(d.addrs.v[2].port, 0);
	assert_int_equal(d.nets.n, 2);
	assert_int_equal(d.nets.v[0].plen, 8);
	assert_int_equal(d.sum, 3);
	FILE *f = tmpfile();
	assert_non_null(f);
	conf_dump(keys, &d, f);
	rewind(f);
	char dump[4096];
	size_t n = fread(dump, 1, sizeof(dump) - 1, f);
	dump[n] = 0;
	fclose(f);
	conf_free(keys, &d);
	/* the dump parses back to the same values (the custom key is a comment) */
	assert_int_equal(parse(&d, dump, err), 0);
	assert_int_equal(d.wait, 5400000);
	assert_string_equal(d.name, "a # b");
	assert_int_equal(d.addrs.n, 3);
	assert_int_equal(d.tags.n, 2);
	conf_free(keys, &d);
}

struct bad_case {
	const char *text, *want;
};

static const struct bad_case bad[] = {
    {"path = /x\nbogus = 1\n", "t.conf:2: unknown key 'bogus'"},
    {"path = /x\nn = 11\n", "t.conf:2: n: 11 is out of range 2..10"},
    {"path = /x\nn = 1\n", "t.conf:2: n: 1 is out of range 2..10"},
    {"path = /x\nn = -3\n", "t.conf:2: n: '-3' is not an unsigned decimal number"},
    {"path = /x\nn = 99999999999999999999999\n", "out of range"},
    {"path = /x\nn = 3\nn = 4\n", "t.conf:3: n: set twice (first at line 2)"},
    {"path = /x\non = maybe\n", "t.conf:2: on: 'maybe' is not a boolean"},
    {"path = /x\nwait = 2x\n", "t.conf:2: wait: '2x' is not a duration"},
    {"path = /x\nwait = 2d\n", "t.conf:2: wait: duration 2d is out of range 0s..1d"},
    {"path = /x\nwait = s\n", "not a duration"},
    {"path = /x\nname = 123456789\n", "t.conf:2: name: longer than 8 bytes"},
    {"path = relative\n", "t.conf:1: path: 'relative' is not an absolute path"},
    {"n = 3\n", "t.conf: path: required but not set"},
    {"path = /x\nmode = medium\n", "t.conf:2: mode: 'medium' is not one of: fast, slow"},
    {"path = /x\ntag = a\ntag = b\ntag = c\ntag = d\n", "t.conf:5: tag: more than 3 entries"},
    {"path = /x\naddr = 300.1.1.1\n", "t.conf:2: addr: '300.1.1.1' is not an IPv4 or IPv6"},
    {"path = /x\naddr = 192.0.2.1:0\n", "addr: '0' is not a port"},
    {"path = /x\naddr = [::1\n", "is not an IPv4 or IPv6"},
    {"path = /x\nnet = 192.0.2.1/24\n",
     "t.conf:2: net: '192.0.2.1/24' has host bits set (did you mean 192.0.2.0/24?)"},
    {"path = /x\nnet = 192.0.2.0/33\n", "prefix length must be 0..32"},
    {"path = /x\nnet = 2001:db8::/129\n", "prefix length must be 0..128"},
    {"path = /x\nsum = three\n", "t.conf:2: sum: 'three' is not one or two"},
    {"path = /x\njust words\n", "t.conf:2: expected 'key = value'"},
    {"path = /x\n= 3\n", "t.conf:2: expected 'key = value'"},
    {"path = /x\nname = \"open\n", "t.conf:2: name: unterminated quoted value"},
    {"path = /x\nname = \"a\" b\n", "t.conf:2: name: text after the closing quote"},
    {"path = /x\nname = \"a\\nb\"\n", "only \\\" and \\\\ may be escaped"},
    {"path = /x\nn =\n", "t.conf:2: n: missing value"},
    {"path = /x\nname = a\tb\x01\n", "control character 0x01"},
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct demo d;
		char err[CONF_ERR_MAX] = "";
		int r = parse(&d, bad[i].text, err);
		if (r == 0 || !strstr(err, bad[i].want))
			fail_msg("case %zu: got %d '%s', want '%s'", i, r, err, bad[i].want);
		conf_free(keys, &d);
	}
}

static void test_nul_and_long_lines(void **state)
{
	struct demo d;
	char err[CONF_ERR_MAX];
	const char text[] = "path = /x\nname = a\0b\n";
	memset(&d, 0, sizeof(d));
	assert_int_equal(
	    conf_parse_buf(keys, &d, "t.conf", text, sizeof(text) - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: NUL byte"));
	conf_free(keys, &d);
	size_t n = CONF_LINE_MAX + 100;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = 0;
	memcpy(big, "name = ", 7);
	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_parse_buf(keys, &d, "t.conf", big, n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:1: line longer than"));
	conf_free(keys, &d);
	free(big);
	/* a missing file names the file; the object still frees cleanly */
	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_parse_file(keys, &d, "/nonexistent/x.conf", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.conf: No such file"));
	conf_free(keys, &d);
}

/* Found by fuzz_recalld_config: a value whose bytes all need escaping was accepted, but its dump
 * was a line longer than CONF_LINE_MAX that did not load again. Values are bounded so that any
 * value's dump fits in a line; the longest one round-trips. */
static void test_longest_value_round_trips(void **state)
{
	(void)state;
	struct demo d, e;
	char err[CONF_ERR_MAX];
	size_t cap = 16 + 2 * CONF_VALUE_MAX + 4;
	char *text = malloc(cap), *out = NULL;
	size_t outlen = 0;
	assert_non_null(text);
	/* path = "/\\\...": a slash and CONF_VALUE_MAX - 1 backslashes, each written escaped. */
	size_t n = (size_t)snprintf(text, cap, "path = \"/");
	for (size_t i = 1; i < CONF_VALUE_MAX; i++) {
		text[n++] = '\\';
		text[n++] = '\\';
	}
	text[n++] = '"';
	text[n++] = '\n';
	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_parse_buf(keys, &d, "t.conf", text, n, err, sizeof(err)), 0);
	assert_int_equal(strlen(d.path), CONF_VALUE_MAX);
	FILE *f = open_memstream(&out, &outlen);
	assert_non_null(f);
	conf_dump(keys, &d, f);
	fclose(f);
	memset(&e, 0, sizeof(e));
	assert_int_equal(conf_parse_buf(keys, &e, "dump", out, outlen, err, sizeof(err)), 0);
	assert_string_equal(e.path, d.path);
	conf_free(keys, &e);
	conf_free(keys, &d);
	free(out);
	/* One byte more is refused, naming the line. */
	memmove(text + 10, text + 8, n - 8);
	text[8] = '\\';
	text[9] = '\\';
	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_parse_buf(keys, &d, "t.conf", text, n + 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:1:"));
	conf_free(keys, &d);
	free(text);
}

static void test_value_parsers(void **state)
{
	uint64_t ms;
	char err[CONF_ERR_MAX], txt[64];
	assert_int_equal(conf_parse_duration("500ms", 0, UINT64_MAX, &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(conf_parse_duration("1w2d3h4m5s6ms", 0, UINT64_MAX, &ms, err, sizeof(err)),
			 0);
	assert_int_equal(ms, 604800000ull + 2 * 86400000ull + 3 * 3600000ull + 4 * 60000 + 5006);
	conf_duration_format(ms, txt, sizeof(txt));
	assert_string_equal(txt, "1w2d3h4m5s6ms");
	assert_int_equal(conf_parse_duration("7", 0, UINT64_MAX, &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, 7000);
	assert_int_equal(conf_parse_duration("1h5", 0, UINT64_MAX, &ms, err, sizeof(err)), -1);
	assert_int_equal(
	    conf_parse_duration("99999999999999999w", 0, UINT64_MAX, &ms, err, sizeof(err)), -1);
	conf_duration_format(0, txt, sizeof(txt));
	assert_string_equal(txt, "0s");

	struct conf_prefix p;
	assert_int_equal(conf_parse_prefix("192.0.2.0/24", &p, err, sizeof(err)), 0);
	assert_true(conf_prefix_match(&p, AF_INET, (const uint8_t[]){192, 0, 2, 200}));
	assert_false(conf_prefix_match(&p, AF_INET, (const uint8_t[]){192, 0, 3, 1}));
	assert_false(conf_prefix_match(&p, AF_INET6, (const uint8_t[16]){192, 0, 2}));
	assert_int_equal(conf_parse_prefix("2001:db8:ff00::/40", &p, err, sizeof(err)), 0);
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0x12};
	assert_true(conf_prefix_match(&p, AF_INET6, a6));
	a6[4] = 0xfe;
	assert_false(conf_prefix_match(&p, AF_INET6, a6));
	assert_int_equal(conf_parse_prefix("0.0.0.0/0", &p, err, sizeof(err)), 0);
	assert_true(conf_prefix_match(&p, AF_INET, (const uint8_t[]){8, 8, 8, 8}));
	assert_int_equal(conf_parse_prefix("192.0.2.7", &p, err, sizeof(err)), 0);
	assert_int_equal(p.plen, 32);
	conf_prefix_format(&p, txt, sizeof(txt));
	assert_string_equal(txt, "192.0.2.7/32");

	struct conf_addr a;
	assert_int_equal(conf_parse_addr("[::1]:9", &a, err, sizeof(err)), 0);
	conf_addr_format(&a, txt, sizeof(txt));
	assert_string_equal(txt, "[::1]:9");
	assert_int_equal(conf_parse_addr("::", &a, err, sizeof(err)), 0);
	assert_int_equal(a.port, 0);
	assert_int_equal(conf_parse_addr("[::1]x", &a, err, sizeof(err)), -1);
	assert_int_equal(conf_parse_addr("host.example:80", &a, err, sizeof(err)), -1);
	assert_int_equal(conf_parse_addr("1.2.3.4:65536", &a, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_values),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_nul_and_long_lines),
	    cmocka_unit_test(test_longest_value_round_trips),
	    cmocka_unit_test(test_value_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
