/* recall import: the subcommand table, the options every record importer shares, the report,
 * the name map and the small parsers (CPE 2.3, version text) that nvd and cve5 both use. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "import.h"
#include "json_notice.h"
#include "recall/text.h"
#include "util.h"

static const struct subcmd import_cmds[] = {
    {"nvd", import_nvd, "NVD CVE API 2.0 records (CPE configurations) to notice drafts"},
    {"cve5", import_cve5, "CVE JSON 5.x records (affected versions) to notice drafts"},
    {"kev", import_kev, "CISA KEV: list entries and drafts, enrich drafts"},
    {NULL, NULL, NULL},
};

int cmd_import(int argc, char **argv)
{
	return subcmd_run("import", import_cmds, argc, argv);
}

void imp_report(struct imp_opts *o, const char *cve, const char *status, const char *file,
		const char *where, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Reasons quote record fields: tabs and line breaks would split the report's columns and
	 * lines (spaces, as always), anything else hostile is escaped. */
	for (char *p = reason; *p; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(o->report, "%s\t%s\t%s%s%s\t%s\n", cve && *cve ? tsafe(cve) : "-", status,
		tsafe(file), where && *where ? ":" : "", where ? tsafe(where) : "", tsafe(reason));
	if (!strcmp(status, ST_UNMAPPED))
		o->unmapped++;
	else if (!strcmp(status, ST_HELD))
		o->held++;
	else if (!strcmp(status, ST_NOTE))
		o->notes++;
}

int imp_bad(const char *file, const char *where, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx_("%s: %s%s%s", file, where && *where ? where : "", where && *where ? ": " : "", msg);
	return -1;
}

bool imp_cve_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 10 && n <= 28 && !strncmp(s, "CVE-", 4) && strspn(s + 4, "0123456789") == 4 &&
	       s[8] == '-' && strspn(s + 9, "0123456789") == n - 9;
}

const char *jget(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *imp_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int imp_tags_rank(json_t *tags, const struct imp_tag *known)
{
	int rank = 3;
	for (size_t i = 0; i < json_array_size(tags); i++) {
		const char *t = json_string_value(json_array_get(tags, i));
		int x = 3;
		for (const struct imp_tag *k = known; t && k->tag; k++) {
			if (!strcmp(t, k->tag)) {
				x = k->rank;
				break;
			}
		}
		if (x < rank || (rank == 3 && x == 4))
			rank = x;
	}
	return rank;
}

const char *imp_quote(const char *s)
{
	static char buf[4][100];
	static unsigned turn;
	char *b = buf[turn++ % 4], more[sizeof(buf[0]) + 16];
	size_t len = s ? strlen(s) : 0, max = sizeof(buf[0]) - 3;
	/* Escaped (rc_text_safe) and cut at a character boundary; "..." if something was cut. */
	size_t n = rc_text_safe(b, max, s, len, RC_TEXT_ONELINE);
	if (rc_text_safe(more, sizeof(more), s, len, RC_TEXT_ONELINE) > n)
		strcpy(b + n, "...");
	return b;
}

const char *cpe_parse(const char *s, struct cpe *c)
{
	char f[11][IMP_CPE_FIELD];
	memset(c, 0, sizeof(*c));
	if (strncmp(s, "cpe:2.3:", 8) != 0)
		return "not a CPE 2.3 formatted string (cpe:2.3:...)";
	const char *p = s + 8;
	for (int i = 0; i < 11; i++) {
		size_t n = 0;
		bool wild = false;
		const char *start = p;
		while (*p && *p != ':') {
			char ch = *p++;
			if (ch == '\\') {
				if (!*p)
					return "ends inside an escape";
				ch = *p++;
			} else if (ch == '*' || ch == '?') {
				wild = true;
			}
			if (n + 1 >= IMP_CPE_FIELD)
				return "a field is too long";
			f[i][n++] = ch;
		}
		f[i][n] = 0;
		if (wild && !(p - start == 1 && *start == '*'))
			return "wildcard inside a field";
		if (n == 0)
			return "empty field";
		if (i < 10 && *p++ != ':')
			return "fewer than 13 fields";
	}
	if (*p)
		return "more than 13 fields";
	if (strlen(f[0]) != 1 || !strchr("aoh", f[0][0]))
		return "part is not a, o or h";
	c->part = f[0][0];
	strcpy(c->vendor, f[1]);
	strcpy(c->product, f[2]);
	strcpy(c->version, f[3]);
	strcpy(c->update, f[4]);
	for (int i = 5; i < 11; i++)
		if (strcmp(f[i], "*") && strcmp(f[i], "-"))
			c->extra = true;
	return NULL;
}

bool strip_firmware(const char *product, char *out, size_t cap)
{
	static const char suffix[] = "firmware";
	size_t n = strlen(product), k = sizeof(suffix) - 1;
	if (n <= k + 1 || strcasecmp(product + n - k, suffix) != 0)
		return false;
	char sep = product[n - k - 1];
	if (sep != '_' && sep != ' ' && sep != '-')
		return false;
	n -= k + 1;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, product, n);
	out[n] = 0;
	return true;
}

const char *imp_canon(const char *raw, char *out, size_t max)
{
	char tmp[RC_NAME_MAX + 1];
	int n = rc_name_canon(tmp, sizeof(tmp), raw, strlen(raw));
	if (n == 0)
		return "empty name";
	if (n < 0 || (size_t)n > max)
		return max == RC_HWREV_MAX ? "longer than 32 bytes in canonical form"
					   : "longer than 64 bytes in canonical form";
	memcpy(out, tmp, (size_t)n + 1);
	return NULL;
}

/* Words that make a "version" a sentence (the range is then only in prose). */
static const char *const prose_words[] = {"before",     "prior",     "earlier", "through",  "up to",
					  "and ",       " or ",      "later",   "versions", "all ",
					  "build time", "buildtime", "devices", ", ",       NULL};

static bool has_word(const char *v, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = v; *p; p++)
		if (strncasecmp(p, w, n) == 0)
			return true;
	return false;
}

bool imp_is_prose(const char *s)
{
	bool prose = false;
	for (const char *const *w = prose_words; strchr(s, ' ') && *w; w++)
		prose |= has_word(s, *w);
	return prose;
}

const char *imp_version_problem(const char *v)
{
	static const char *const none[] = {"n/a", "na", "unspecified", "unknown", "all",
					   "*",   "-",  "none",        NULL};
	for (const char *const *w = none; *w; w++)
		if (!strcasecmp(v, *w))
			return "names no build (a placeholder, not a version)";
	bool space = strchr(v, ' ') != NULL;
	if (imp_is_prose(v) || (space && strlen(v) > RC_FWVER_MAX)) {
		if (has_word(v, "build") && (has_word(v, "before") || has_word(v, "after")))
			return "text, not a version: the range is only in prose, stated as build "
			       "dates (a built_before/built_from bound may express it; set it by "
			       "hand)";
		return "text, not a version: the range is only in prose";
	}
	if (!rc_fwver_valid(rc_str_c(v)))
		return strlen(v) > RC_FWVER_MAX
			   ? "longer than 64 bytes"
			   : "not a firmware version (printable ASCII, no space at either end)";
	return NULL;
}

int imp_severity_word(const char *s)
{
	if (!s)
		return -1;
	char low[16];
	size_t i = 0;
	for (; s[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = 0;
	return rc_severity_parse(low);
}

bool imp_map_apply(const struct imp_opts *o, char *vendor, char *model)
{
	const struct imp_map *best = NULL;
	for (size_t i = 0; i < o->nmap; i++) {
		const struct imp_map *m = &o->map[i];
		if (strcmp(m->from_vendor, vendor))
			continue;
		if (*m->from_model && !strcmp(m->from_model, model))
			best = m; /* vendor/model beats vendor alone */
		else if (!*m->from_model && !best)
			best = m;
	}
	if (!best)
		return false;
	strcpy(vendor, best->vendor);
	if (*best->model)
		strcpy(model, best->model);
	return true;
}

int imp_map_parse(struct imp_opts *o, const char *name, char *text)
{
	unsigned lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (*line == '#' || strspn(line, " \t\r") == strlen(line))
			continue;
		char *f[3] = {line, NULL, NULL};
		for (int i = 1; i < 3 && f[i - 1]; i++)
			if ((f[i] = strchr(f[i - 1], '\t')))
				*f[i]++ = 0;
		char *cr = strchr(f[2] ? f[2] : f[1] ? f[1] : f[0], '\r');
		if (cr)
			*cr = 0;
		struct imp_map *m = realloc(o->map, (o->nmap + 1) * sizeof(*m));
		if (!m) {
			warnx_("%s: line %u: out of memory", name, lineno);
			return -1;
		}
		o->map = m;
		m = &o->map[o->nmap];
		memset(m, 0, sizeof(*m));
		char *slash = strchr(f[0], '/');
		if (slash)
			*slash++ = 0;
		const char *why = !f[1] ? "expected FROM<TAB>VENDOR[<TAB>MODEL]" : NULL;
		if (!why)
			why = imp_canon(f[0], m->from_vendor, RC_NAME_MAX);
		if (!why && slash)
			why = imp_canon(slash, m->from_model, RC_NAME_MAX);
		if (!why)
			why = imp_canon(f[1], m->vendor, RC_NAME_MAX);
		if (!why && f[2] && strchr(f[2], '\t'))
			why = "more than three fields";
		if (!why && f[2])
			why = imp_canon(f[2], m->model, RC_NAME_MAX);
		if (why) {
			warnx_("%s: line %u: %s", name, lineno, why);
			return -1;
		}
		o->nmap++;
	}
	return 0;
}

/* --map FILE */
static int map_load(struct imp_opts *o, const char *path)
{
	size_t len;
	char *text = (char *)file_read(path, &len, 1 << 20);
	if (!text)
		return -1;
	int ret = imp_map_parse(o, path, text);
	free(text);
	return ret;
}

enum {
	O_ISSUED = 256,
	O_VALID,
	O_EXPIRY,
	O_ACTION,
	O_SEVERITY,
	O_REMEDY,
	O_MAXREFS,
	O_TEXTMAX,
	O_KEEP,
	O_CONTAINER,
};

static int options(struct imp_opts *o, const struct imp_source *src, int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
					     {"force", no_argument, NULL, OPT_L('f')},
					     {"report", required_argument, NULL, 'r'},
					     {"map", required_argument, NULL, 'm'},
					     {"issued", required_argument, NULL, O_ISSUED},
					     {"valid", required_argument, NULL, O_VALID},
					     {"expiry", required_argument, NULL, O_EXPIRY},
					     {"action", required_argument, NULL, O_ACTION},
					     {"severity", required_argument, NULL, O_SEVERITY},
					     {"remedy-url", required_argument, NULL, O_REMEDY},
					     {"max-refs", required_argument, NULL, O_MAXREFS},
					     {"text-max", required_argument, NULL, O_TEXTMAX},
					     {"keep-inconsistent", no_argument, NULL, O_KEEP},
					     {"container", required_argument, NULL, O_CONTAINER},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *u = src->usage, *map = NULL, *expiry = NULL;
	uint64_t valid = 365 * 86400, v;
	bool have_issued = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:fr:m:h", opts, NULL)) != -1) {
		switch (c = opt_retired(c, "f", opts)) {
		case 'o':
			o->out_dir = optarg;
			break;
		case OPT_L('f'):
			o->force = true;
			break;
		case 'r':
			o->report_path = optarg;
			break;
		case 'm':
			map = optarg;
			break;
		case O_ISSUED:
			if (parse_time(optarg, &o->issued) < 0)
				return usage_fail(u, "--issued: not a time: '%s'", optarg);
			have_issued = true;
			break;
		case O_VALID:
			if (parse_duration(optarg, &valid) < 0 || valid == 0)
				return usage_fail(u, "--valid: not a duration: '%s'", optarg);
			break;
		case O_EXPIRY:
			expiry = optarg;
			break;
		case O_ACTION:
			if (strcmp(optarg, "quarantine") && strcmp(optarg, "notify"))
				return usage_fail(u, "--action: quarantine or notify");
			o->action = !strcmp(optarg, "notify");
			break;
		case O_SEVERITY:
			if ((o->severity = rc_severity_parse(optarg)) < 0)
				return usage_fail(
				    u, "--severity: none, low, medium, high or critical");
			break;
		case O_REMEDY:
			if (!*optarg || strlen(optarg) > RC_URL_MAX || strpbrk(optarg, " \t\n"))
				return usage_fail(u, "--remedy-url: 1..%d bytes, no spaces",
						  RC_URL_MAX);
			o->remedy_url = optarg;
			break;
		case O_MAXREFS:
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > RC_REFS_MAX)
				return usage_fail(u, "--max-refs: 1..%d", RC_REFS_MAX);
			o->max_refs = (size_t)v;
			break;
		case O_TEXTMAX:
			if (parse_u64(optarg, &v) < 0 || v < 40 || v > RC_TEXT_MAX)
				return usage_fail(u, "--text-max: 40..%d", RC_TEXT_MAX);
			o->text_max = (size_t)v;
			break;
		case O_KEEP:
			o->keep_inconsistent = true;
			break;
		case O_CONTAINER:
			if (!src->containers)
				return usage_fail(u, "--container is for 'recall import cve5'");
			if (strcmp(optarg, "auto") && strcmp(optarg, "cna") &&
			    strcmp(optarg, "adp") && strcmp(optarg, "all"))
				return usage_fail(u, "--container: auto, cna, adp or all");
			o->container = optarg;
			break;
		case 'h':
			fputs(u, stdout);
			return -1;
		default:
			fputs(u, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_fail(u, "import %s: give one or more record files", src->name);
	if (!have_issued)
		o->issued = now_s();
	if (expiry && parse_time(expiry, &o->expiry) < 0)
		return usage_fail(u, "--expiry: not a time: '%s'", expiry);
	if (!expiry)
		o->expiry = o->issued + valid;
	if (o->expiry <= o->issued)
		return usage_fail(u, "--expiry must be after --issued");
	struct stat st;
	/* Like mkdir(1) without -p: the output directory may be new, its parent must exist. */
	if (stat(o->out_dir, &st) < 0 &&
	    (errno != ENOENT || mkdir(o->out_dir, 0755) < 0 || stat(o->out_dir, &st) < 0)) {
		warnx_("output directory %s: %s", o->out_dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (!S_ISDIR(st.st_mode)) {
		warnx_("%s: not a directory", o->out_dir);
		return EXIT_FAIL;
	}
	if (map && map_load(o, map) < 0)
		return EXIT_FAIL;
	return 0;
}

void imp_opts_init(struct imp_opts *o)
{
	*o = (struct imp_opts){.out_dir = ".",
			       .container = "auto",
			       .action = RC_ACTION_QUARANTINE,
			       .severity = RC_SEV_HIGH,
			       .max_refs = 4,
			       .text_max = 256,
			       .report = stderr};
}

int imp_main(const struct imp_source *src, int argc, char **argv)
{
	struct imp_opts o;
	imp_opts_init(&o);
	int r = options(&o, src, argc, argv);
	if (r) {
		free(o.map);
		return r < 0 ? EXIT_OK : r;
	}
	if (o.report_path && !(o.report = fopen(o.report_path, "w"))) {
		warnx_("%s: %s", o.report_path, strerror(errno));
		free(o.map);
		return EXIT_FAIL;
	}
	if (o.report_path)
		fputs("# cve\tstatus\tfile:where\treason\n", o.report);
	for (int i = optind; i < argc; i++) {
		json_t *root = json_load_path(argv[i]);
		if (!root) {
			o.bad_files++;
			continue;
		}
		if (src->file(&o, argv[i], root) < 0)
			o.bad_files++;
		json_decref(root);
	}
	if (o.report_path && fclose(o.report) != 0) {
		warnx_("%s: %s", o.report_path, strerror(errno));
		o.failed++;
	}
	fprintf(stderr,
		"recall: import %s: %u record%s, %u draft%s written, %u unmapped, %u held, %u "
		"note%s%s%s%s\n",
		src->name, o.records, o.records == 1 ? "" : "s", o.drafts, o.drafts == 1 ? "" : "s",
		o.unmapped, o.held, o.notes, o.notes == 1 ? "" : "s",
		o.report_path ? " (report: " : "", o.report_path ? o.report_path : "",
		o.report_path ? ")" : "");
	if (o.record_names)
		warnx_("import %s: %u draft%s the records' vendor and model names; check them "
		       "against what devices report (--map FILE)",
		       src->name, o.record_names, o.record_names == 1 ? " keeps" : "s keep");
	if (o.bad_files)
		warnx_("import %s: %u bad file%s", src->name, o.bad_files,
		       o.bad_files == 1 ? "" : "s");
	free(o.map);
	return o.bad_files || o.failed ? EXIT_FAIL : EXIT_OK;
}
