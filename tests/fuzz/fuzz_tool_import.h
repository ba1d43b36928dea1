/* Shared by fuzz_tool_import_nvd.c and fuzz_tool_import_cve5.c: one record file through an
 * importer's record parser (src->file, as `recall import` runs it on each file) with drafts kept
 * in memory (imp_opts.sink) and the report in memory, and the properties every run must keep:
 *   - an input the importer rejects (returns -1) says why on stderr, naming the input;
 *   - every line on stderr names the input, or is a draft the importer made that did not load
 *     only because it is too long for one answer (the importer checks its drafts; any other
 *     reason is an importer bug);
 *   - every report line is "CVE<TAB>status<TAB>fuzz.json[:where]<TAB>reason" with a known
 *     status, and the number of "draft" lines is the number of drafts kept. */
#ifndef RECALL_FUZZ_TOOL_IMPORT_H
#define RECALL_FUZZ_TOOL_IMPORT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "fuzz_capture.h"
#include "import.h"
#include "json_notice.h"

/* A name map like the one tests/integration/tool_import.sh uses (docs/IMPORT.md). */
static const char fuzz_map_text[] = "# record\tvendor\tmodel\n"
				    "tp-link/archer_ax21\tTP-Link\tArcher AX21\n"
				    "dlink\tD-Link\n"
				    "zyxel/atp100\tZyXEL\tATP 100\n"
				    "d-link\tD-Link\n";

static struct imp_map *fuzz_map;
static size_t fuzz_nmap;

static void fuzz_map_init(void)
{
	if (fuzz_map)
		return;
	struct imp_opts o;
	char text[sizeof(fuzz_map_text)];
	memcpy(text, fuzz_map_text, sizeof(text));
	imp_opts_init(&o);
	if (imp_map_parse(&o, "fuzz.map", text) < 0)
		abort();
	fuzz_map = o.map;
	fuzz_nmap = o.nmap;
}

/* Every report line well-formed; returns the number of "draft" lines, or -1. */
static long fuzz_report_check(const char *rep)
{
	static const char *const st[] = {ST_DRAFT, ST_UNMAPPED, ST_HELD, ST_NOTE, ST_SKIPPED, NULL};
	long drafts = 0;
	for (const char *l = rep; l && *l;) {
		const char *end = strchr(l, '\n');
		if (!end)
			return -1;
		const char *t1 = memchr(l, '\t', (size_t)(end - l));
		const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(end - t1 - 1)) : NULL;
		const char *t3 = t2 ? memchr(t2 + 1, '\t', (size_t)(end - t2 - 1)) : NULL;
		if (!t3 || memchr(t3 + 1, '\t', (size_t)(end - t3 - 1)) || t1 == l)
			return -1;
		size_t sl = (size_t)(t2 - t1 - 1);
		const char *const *s = st;
		while (*s && (strlen(*s) != sl || memcmp(*s, t1 + 1, sl)))
			s++;
		if (!*s || strncmp(t2 + 1, "fuzz.json", 9) || (t2[10] != '\t' && t2[10] != ':'))
			return -1;
		drafts += *s == st[0];
		l = end + 1;
	}
	return drafts;
}

/* Every stderr line names the input or is a too-long draft. */
static int fuzz_stderr_ok(const char *text)
{
	for (const char *l = text; l && *l;) {
		const char *end = strchr(l, '\n');
		if (!end)
			return 0;
		size_t n = (size_t)(end - l);
		char line[2048];
		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		if (strncmp(line, "recall: fuzz.json: ", 19) &&
		    !(strncmp(line, "recall: CVE-", 12) == 0 && strstr(line, ".json: ") &&
		      strstr(line, "too long for one answer")))
			return 0;
		l = end + 1;
	}
	return 1;
}

static int fuzz_import(const struct imp_source *src, const char *container, bool map,
		       const uint8_t *data, size_t size)
{
	fuzz_map_init();
	struct imp_opts o;
	char *rep = NULL;
	size_t replen = 0;
	imp_opts_init(&o);
	o.issued = FX_NOW;
	o.expiry = FX_NOW + 365 * 86400;
	o.force = true; /* two records of one CVE in one file: the second replaces the first */
	o.container = container;
	o.map = map ? fuzz_map : NULL;
	o.nmap = map ? fuzz_nmap : 0;
	o.sink = json_object();
	o.report = open_memstream(&rep, &replen);
	if (!o.sink || !o.report)
		abort();
	capture_begin();
	json_t *root = json_load_buf("fuzz.json", data, size);
	int r = root ? src->file(&o, "fuzz.json", root) : -1;
	json_decref(root);
	capture_end();
	fclose(o.report);
	if (r < 0 && !capture_len)
		capture_fail("a rejected input without a message");
	if (!fuzz_stderr_ok(capture_text))
		capture_fail("a message that names neither the input nor a too-long draft");
	if (o.failed && !capture_len)
		capture_fail("a draft failed without a message");
	long drafts = fuzz_report_check(rep);
	if (drafts < 0 || (size_t)drafts != o.drafts || json_object_size(o.sink) > o.drafts) {
		fprintf(stderr, "report:\n%s", rep ? rep : "");
		capture_fail("a malformed report or wrong draft count");
	}
	capture_free();
	free(rep);
	json_decref(o.sink);
	return 0;
}

#endif
