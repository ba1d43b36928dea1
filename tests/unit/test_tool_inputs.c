/* The tool's readers of outside files, on inputs that fuzz_tool_* found mishandled: a notice
 * description with two bad time fields (one message) or a line break in a quoted value (still
 * one line), record ids that are no CVE ids, control
 * characters in a record's description and in KEV's notes, and a KEV enrichment that would make
 * a draft too long (nothing written). */
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

#include "fixtures.h"
#include "import.h"
#include "json_notice.h"
#include "testutil.h"

static FILE *saved;
static FILE *cap;
static char *captured;
static size_t captured_len;

/* stderr into `captured` between grab() and release(). */
static void grab(void)
{
	free(captured);
	captured = NULL;
	cap = open_memstream(&captured, &captured_len);
	assert_non_null(cap);
	saved = stderr;
	stderr = cap;
}

static void release(void)
{
	stderr = saved;
	fclose(cap);
}

static size_t lines(const char *s)
{
	size_t n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static void test_notice_one_message(void **state)
{
	(void)state;
	static const char text[] =
	    "{\"id\": \"n1\", \"expiry\": 10, \"action\": \"quarantine\", \"severity\": \"high\", "
	    "\"text\": \"t\", \"remedy\": {\"url\": \"https://x\"}, \"target\": {\"vendor\": "
	    "\"acme\", "
	    "\"model\": \"cam\", \"versions\": [\"1\"], \"built_from\": \"then\", "
	    "\"built_before\": \"later\"}}";
	struct jnotice j;
	json_t *root = json_loadb(text, sizeof(text) - 1, 0, NULL);
	assert_non_null(root);
	grab();
	assert_int_equal(jnotice_parse(&j, root, "two.json", 1), -1);
	release();
	json_decref(root);
	assert_int_equal(lines(captured), 1);
	assert_non_null(strstr(captured, "recall: two.json: target.built_from: expected"));
	/* A value quoted in the message stays on its line. */
	root = json_loads("{\"id\": \"n1\", \"expiry\": 10, \"action\": \"x\\ny\"}", 0, NULL);
	assert_non_null(root);
	grab();
	assert_int_equal(jnotice_parse(&j, root, "nl.json", 1), -1);
	release();
	json_decref(root);
	assert_int_equal(lines(captured), 1);
	assert_non_null(strstr(captured, "recall: nl.json: action: \"quarantine\" or \"notify\", "
					 "not \"x\\x0ay\"\n"));
	/* So does the JSON token that a syntax error quotes. */
	grab();
	static const char syn[] = "{\"a\": \"x\\\n\"}";
	assert_null(json_load_buf("syn.json", syn, sizeof(syn) - 1));
	release();
	assert_int_equal(lines(captured), 1);
	assert_non_null(strstr(captured, "recall: syn.json: line "));
	assert_non_null(strstr(captured, "\\x0a"));
}

/* Import one JSON text with src; drafts into *sink (NULL: none kept). */
static int import(const struct imp_source *src, const char *text, struct imp_opts *o)
{
	imp_opts_init(o);
	o->issued = FX_NOW;
	o->expiry = FX_NOW + 86400;
	o->sink = json_object();
	o->report = fopen("/dev/null", "w");
	assert_non_null(o->report);
	json_t *root = json_loads(text, 0, NULL);
	assert_non_null(root);
	grab();
	int r = src->file(o, "rec.json", root);
	release();
	json_decref(root);
	fclose(o->report);
	return r;
}

static void test_cve_ids(void **state)
{
	(void)state;
	struct imp_opts o;
	assert_true(imp_cve_id("CVE-2023-1389"));
	assert_true(imp_cve_id("CVE-2014-100005"));
	assert_true(imp_cve_id("CVE-2020-1"));
	assert_false(imp_cve_id("CVE-2020-"));
	assert_false(imp_cve_id("CVE-20201-1"));
	assert_false(imp_cve_id("CVE-Technical 2020-9"));
	assert_false(imp_cve_id("CVE-2020-1234 "));
	assert_false(imp_cve_id("CVE"));
	assert_false(imp_cve_id(NULL));
	/* A space in the id made a remedy URL with a space: a draft that did not load. */
	assert_int_equal(
	    import(&imp_nvd,
		   "{\"id\": \"CVE-Technical 2020-9\", \"configurations\": [{\"nodes\": "
		   "[{\"cpeMatch\": [{\"vulnerable\": true, \"criteria\": "
		   "\"cpe:2.3:o:acme:cam_firmware:1.0:*:*:*:*:*:*:*\"}]}]}]}",
		   &o),
	    -1);
	assert_non_null(strstr(captured, "recall: rec.json: id: expected a CVE id"));
	assert_int_equal(o.drafts + o.failed, 0);
	json_decref(o.sink);
	assert_int_equal(import(&imp_cve5,
				"{\"dataType\": \"CVE_RECORD\", \"dataVersion\": \"5.1\", "
				"\"cveMetadata\": {\"cveId\": \"CVE-2020-1\\n\"}, \"containers\": "
				"{\"cna\": {}}}",
				&o),
			 -1);
	assert_non_null(strstr(captured, "recall: rec.json: cveMetadata.cveId: expected a CVE id"));
	json_decref(o.sink);
}

static void test_description_control(void **state)
{
	(void)state;
	struct imp_opts o;
	/* DEL and U+0001 in the description: they were copied into the owner text. */
	assert_int_equal(
	    import(&imp_nvd,
		   "{\"id\": \"CVE-2020-0001\", \"descriptions\": [{\"lang\": \"en\", "
		   "\"value\": \"bad\\u007fthing\\u0001 here\"}], \"configurations\": "
		   "[{\"nodes\": [{\"cpeMatch\": [{\"vulnerable\": true, \"criteria\": "
		   "\"cpe:2.3:o:acme:cam_firmware:1.0:*:*:*:*:*:*:*\"}]}]}]}",
		   &o),
	    0);
	assert_int_equal(o.failed, 0);
	assert_int_equal(o.drafts, 1);
	json_t *d = json_object_get(o.sink, "CVE-2020-0001_acme_cam.json");
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "text")),
			    "CVE-2020-0001: bad thing here");
	json_decref(o.sink);
}

static const char kev_text[] =
    "{\"catalogVersion\": \"1\", \"vulnerabilities\": [{\"cveID\": \"CVE-2023-1389\", "
    "\"vendorProject\": \"TP-Link\", \"product\": \"Archer AX21\", \"dateAdded\": "
    "\"2023-05-01\", \"notes\": \"%s\"}]}";

static json_t *base_draft(void)
{
	json_error_t e;
	json_t *d = json_load_file(
	    RECALL_TESTDATA "/import-expected/nvd/CVE-2023-1389_tp-link_archer_ax21.json", 0, &e);
	assert_non_null(d);
	return d;
}

static void test_kev_note_control(void **state)
{
	(void)state;
	char text[512];
	struct kev k;
	struct kev_enriched e;
	struct jnotice j;
	snprintf(text, sizeof(text), kev_text,
		 "https://a.example/x\\u007fy ; https://b.example/\\u0001 ; https://c.example/ok");
	json_t *root = json_loads(text, 0, NULL), *d = base_draft();
	assert_non_null(root);
	size_t before = json_array_size(json_object_get(d, "refs"));
	assert_int_equal(kev_check(&k, "kev.json", root), 0);
	assert_int_equal(kev_enrich(&k, d, "d.json", 6, &e), 0);
	assert_int_equal(e.added, 1);
	json_t *refs = json_object_get(d, "refs");
	assert_int_equal(json_array_size(refs), before + 1);
	assert_string_equal(json_string_value(json_array_get(refs, before)),
			    "https://c.example/ok");
	assert_int_equal(jnotice_parse(&j, d, "d.json", FX_NOW), 0);
	jnotice_free(&j);
	json_decref(d);
	json_decref(root);
}

static void test_kev_too_long_not_written(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_tool_inputs.XXXXXX", kev[64], draft[64], notes[512], text[1024];
	char owner[501];
	assert_non_null(mkdtemp(dir));
	snprintf(kev, sizeof(kev), "%s/kev.json", dir);
	snprintf(draft, sizeof(draft), "%s/draft.json", dir);
	/* A draft with a long owner text, and KEV notes with three long URLs. */
	json_t *d = base_draft();
	for (size_t i = 0; i < sizeof(owner) - 1; i++)
		owner[i] = i % 8 == 7 ? ' ' : 'a';
	owner[sizeof(owner) - 1] = 0;
	json_object_set_new(d, "text", json_string(owner));
	struct jnotice j;
	assert_int_equal(jnotice_parse(&j, d, "draft", FX_NOW), 0);
	jnotice_free(&j);
	assert_int_equal(json_dump_file(d, draft, JSON_INDENT(2)), 0);
	json_decref(d);
	char url[3][121];
	for (int i = 0; i < 3; i++) {
		memset(url[i], 'a' + i, 120);
		memcpy(url[i], "https://", 8);
		url[i][120] = 0;
	}
	snprintf(notes, sizeof(notes), "%s ; %s ; %s", url[0], url[1], url[2]);
	snprintf(text, sizeof(text), kev_text, notes);
	FILE *f = fopen(kev, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	size_t n0, n1;
	char *old = tu_read_file(draft, &n0);
	char *argv[] = {"kev", "--enrich", kev, draft, NULL};
	grab();
	int r = import_kev(4, argv);
	release();
	assert_int_equal(r, 1);
	assert_non_null(strstr(captured, "too long for one answer"));
	assert_non_null(strstr(captured, "not written"));
	char *now = tu_read_file(draft, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(old, now, n0); /* the draft is as it was */
	free(old);
	free(now);
	unlink(kev);
	unlink(draft);
	rmdir(dir);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notice_one_message),
	    cmocka_unit_test(test_cve_ids),
	    cmocka_unit_test(test_description_control),
	    cmocka_unit_test(test_kev_note_control),
	    cmocka_unit_test(test_kev_too_long_not_written),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	free(captured);
	return r;
}
