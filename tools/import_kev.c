/* recall import kev: the CISA Known Exploited Vulnerabilities catalogue. KEV names vendors and
 * products in free text and has no versions, so it never makes a target: it selects entries
 * (by CVE, vendor or product text, date), says whether a draft exists for each, and enriches
 * drafts made by the nvd and cve5 importers (references, dates, required action, severity). */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import.h"
#include "json_notice.h"
#include "signed.h"
#include "util.h"

static const char kev_usage[] =
    "usage: recall import kev [--cve ID]... [--vendor TEXT] [--product TEXT] [--since DATE]\n"
    "                         [--drafts DIR] [--json] KEV.json\n"
    "       recall import kev --enrich [-o DIR] [--force] [--max-refs N] KEV.json DRAFT.json...\n"
    "\n"
    "List entries of the CISA KEV catalogue (all, or those selected; selectors combine with\n"
    "AND, several --cve with OR) and, with --drafts, the notice drafts in DIR for each. KEV\n"
    "never makes a draft: import the NVD or CVE 5 record of a listed CVE for that.\n"
    "--enrich adds KEV's facts to drafts: its references, the date it was added, its due date\n"
    "and required action (under _import.kev), severity raised to high (critical when KEV\n"
    "knows of ransomware use), and one sentence in the owner text if it fits.\n"
    "\n"
    "      --cve ID          select this CVE (repeatable)\n"
    "      --vendor TEXT     select entries whose vendorProject contains TEXT (any case)\n"
    "  -P, --product TEXT    select entries whose product contains TEXT (any case)\n"
    "  -s, --since DATE      select entries added on or after DATE\n"
    "      --drafts DIR      list the drafts in DIR that name each selected CVE\n"
    "  -j, --json            print JSON for programs\n"
    "  -e, --enrich          enrich DRAFT.json files (in place unless -o)\n"
    "  -o, --output DIR      write enriched drafts into DIR\n"
    "      --force           with -o: replace files that exist\n"
    "      --max-refs N      references per draft after enriching (default 6)\n"
    "  -h, --help            this text\n";

#define KEV_CVES_MAX 256

int kev_check(struct kev *k, const char *path, json_t *root)
{
	k->path = path;
	k->root = root;
	k->v = json_object_get(k->root, "vulnerabilities");
	k->version = jget(k->root, "catalogVersion");
	if (!json_is_array(k->v))
		return imp_bad(path, "vulnerabilities",
			       "expected an array (is this the KEV catalogue?)");
	static const char *const keys[] = {"cveID", "vendorProject", "product", "dateAdded", NULL};
	for (size_t i = 0; i < json_array_size(k->v); i++) {
		json_t *x = json_array_get(k->v, i);
		char w[64];
		uint64_t t;
		snprintf(w, sizeof(w), "vulnerabilities[%zu]", i);
		if (!json_is_object(x))
			return imp_bad(path, w, "expected an object");
		for (const char *const *key = keys; *key; key++)
			if (!jget(x, *key))
				return imp_bad(path, w, "%s: missing or not a string", *key);
		if (!imp_cve_id(jget(x, "cveID")))
			return imp_bad(path, w, "cveID: expected a CVE id, not '%s'",
				       imp_quote(jget(x, "cveID")));
		if (parse_time(jget(x, "dateAdded"), &t) < 0)
			return imp_bad(path, w, "dateAdded: expected YYYY-MM-DD, not '%s'",
				       imp_quote(jget(x, "dateAdded")));
	}
	return 0;
}

static int kev_load(struct kev *k, const char *path)
{
	json_t *root = json_load_path(path);
	if (!root)
		return -1;
	return kev_check(k, path, root);
}

static json_t *kev_find(const struct kev *k, const char *cve)
{
	for (size_t i = 0; i < json_array_size(k->v); i++)
		if (!strcmp(jget(json_array_get(k->v, i), "cveID"), cve))
			return json_array_get(k->v, i);
	return NULL;
}

/* The CVE a draft is about: _import.cve, else a CVE id among refs, else the id's first part. */
static const char *draft_cve(json_t *d, char *buf, size_t cap)
{
	const char *c = jget(json_object_get(d, "_import"), "cve");
	if (c)
		return c;
	json_t *refs = json_object_get(d, "refs");
	for (size_t i = 0; i < json_array_size(refs); i++) {
		const char *s = json_string_value(json_array_get(refs, i));
		if (s && !strncmp(s, "CVE-", 4))
			return s;
	}
	const char *id = jget(d, "id");
	if (!id || strncmp(id, "CVE-", 4))
		return NULL;
	snprintf(buf, cap, "%.*s", (int)strcspn(id, ":"), id);
	return buf;
}

/* Case-insensitive "contains", both sides trimmed. */
static bool contains(const char *hay, const char *needle)
{
	while (*needle == ' ')
		needle++;
	size_t n = strlen(needle);
	while (n && needle[n - 1] == ' ')
		n--;
	for (const char *p = hay; *p; p++)
		if (!strncasecmp(p, needle, n))
			return true;
	return n == 0;
}

/* Draft files in dir that name cve (a JSON array of file names); -1 on a bad draft. */
static int drafts_for(const char *dir, const char *cve, json_t *out)
{
	DIR *d = opendir(dir);
	if (!d) {
		warnx_("%s: cannot open the drafts directory", dir);
		return -1;
	}
	int ret = 0;
	struct dirent *e;
	json_t *names = json_array();
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && !strcmp(e->d_name + n - 5, ".json"))
			json_array_append_new(names, json_string(e->d_name));
	}
	closedir(d);
	for (size_t i = 0; i < json_array_size(names); i++) {
		const char *name = json_string_value(json_array_get(names, i));
		char path[4096], buf[64];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		json_t *j = json_load_path(path);
		const char *c = j ? draft_cve(j, buf, sizeof(buf)) : NULL;
		if (!j) {
			ret = -1;
		} else if (c && !strcmp(c, cve)) {
			size_t k = 0;
			while (k < json_array_size(out) &&
			       strcmp(json_string_value(json_array_get(out, k)), name) < 0)
				k++;
			json_array_insert_new(out, k, json_string(name));
		}
		json_decref(j);
	}
	json_decref(names);
	return ret;
}

static int kev_list(const struct kev *k, char **cves, size_t ncve, const char *vendor,
		    const char *product, uint64_t since, const char *dir, bool js)
{
	json_t *arr = json_array();
	size_t nsel = 0, nwith = 0;
	int ret = EXIT_OK;
	for (size_t i = 0; i < json_array_size(k->v); i++) {
		json_t *x = json_array_get(k->v, i);
		const char *cve = jget(x, "cveID");
		uint64_t t = 0;
		parse_time(jget(x, "dateAdded"), &t);
		bool sel = !ncve;
		for (size_t c = 0; c < ncve; c++)
			sel |= !strcmp(cves[c], cve);
		if (!sel || (vendor && !contains(jget(x, "vendorProject"), vendor)) ||
		    (product && !contains(jget(x, "product"), product)) || t < since)
			continue;
		nsel++;
		json_t *o = json_deep_copy(x), *dr = json_array();
		if (dir && drafts_for(dir, cve, dr) < 0)
			ret = EXIT_FAIL;
		nwith += json_array_size(dr) > 0;
		if (dir)
			json_object_set(o, "drafts", dr);
		if (!js) {
			/* Every field is the catalogue's: shown escaped (rc_text_safe). */
			printf("%-16s %s  ransomware:%-7s %s | %s", tsafe(cve),
			       tsafe(jget(x, "dateAdded")),
			       jget(x, "knownRansomwareCampaignUse")
				   ? tsafe(jget(x, "knownRansomwareCampaignUse"))
				   : "?",
			       tsafe(jget(x, "vendorProject")), tsafe(jget(x, "product")));
			if (dir && !json_array_size(dr))
				printf(" | no draft (import its NVD or CVE 5 record)");
			for (size_t d = 0; d < json_array_size(dr); d++)
				printf("%s%s", d ? ", " : " | drafts: ",
				       tsafe(json_string_value(json_array_get(dr, d))));
			putchar('\n');
		}
		json_decref(dr);
		json_array_append_new(arr, o);
	}
	for (size_t c = 0; c < ncve; c++)
		if (!kev_find(k, cves[c]))
			warnx_("%s: not in the KEV catalogue", cves[c]);
	if (js)
		json_print(arr);
	else
		json_decref(arr);
	fprintf(stderr, "recall: import kev: catalogue %s, %zu entries, %zu selected",
		k->version ? tsafe(k->version) : "(no version)", json_array_size(k->v), nsel);
	if (dir)
		fprintf(stderr, ", %zu with drafts in %s", nwith, tsafe(dir));
	fputc('\n', stderr);
	return ret;
}

int kev_enrich(const struct kev *k, json_t *d, const char *path, size_t max_refs,
	       struct kev_enriched *e)
{
	memset(e, 0, sizeof(*e));
	strcpy(e->sevmsg, "unchanged");
	e->cve = json_is_object(d) ? draft_cve(d, e->cvebuf, sizeof(e->cvebuf)) : NULL;
	json_t *x = e->cve ? kev_find(k, e->cve) : NULL;
	json_t *refs = json_object_get(d, "refs"), *imp = json_object_get(d, "_import");
	const char *sev = jget(d, "severity"), *text = jget(d, "text");
	if (!e->cve) {
		warnx_("%s: names no CVE (_import.cve, refs or id)", path);
		return -1;
	}
	if (!x)
		return 1;
	e->entry = x;
	if ((refs && !json_is_array(refs)) || (imp && !json_is_object(imp)) || !sev || !text) {
		warnx_("%s: not a notice draft (refs, _import, severity, text)", path);
		return -1;
	}
	if (!refs)
		json_object_set_new(d, "refs", refs = json_array());
	if (!imp)
		json_object_set_new(d, "_import", imp = json_object());
	json_object_set_new(
	    imp, "kev",
	    json_pack("{s:s?, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "catalogVersion", k->version,
		      "vendorProject", jget(x, "vendorProject"), "product", jget(x, "product"),
		      "dateAdded", jget(x, "dateAdded"), "dueDate", jget(x, "dueDate"),
		      "requiredAction", jget(x, "requiredAction"), "knownRansomwareCampaignUse",
		      jget(x, "knownRansomwareCampaignUse"), "vulnerabilityName",
		      jget(x, "vulnerabilityName")));
	/* References: URLs in KEV's notes ("url; url"), as long as there is room. */
	char *notes = strdup(jget(x, "notes") ? jget(x, "notes") : "");
	for (char *save = NULL, *tok = strtok_r(notes, "; \t", &save); tok;
	     tok = strtok_r(NULL, "; \t", &save)) {
		/* a reference must be printable ASCII (imp_ref's rule), a URL has no spaces */
		bool dup = strncmp(tok, "http", 4) != 0 || strlen(tok) > RC_REF_MAX;
		for (const char *c = tok; !dup && *c; c++)
			dup = (unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f;
		for (size_t i = 0; !dup && i < json_array_size(refs); i++)
			dup = json_is_string(json_array_get(refs, i)) &&
			      !strcmp(json_string_value(json_array_get(refs, i)), tok);
		if (!dup && json_array_size(refs) < max_refs) {
			json_array_append_new(refs, json_string(tok));
			e->added++;
		}
	}
	free(notes);
	/* A placeholder remedy (the CVE record) and a vendor-looking URL in KEV's notes: say so,
	 * but do not decide that it is the fix. */
	const char *rem = jget(json_object_get(d, "remedy"), "url");
	for (size_t i = 0; rem && strstr(rem, "cve.org/CVERecord") && i < json_array_size(refs);
	     i++) {
		const char *u = json_string_value(json_array_get(refs, i));
		if (u && !strncmp(u, "http", 4) && !strstr(u, "nvd.nist.gov") && !*e->remhint &&
		    strstr(jget(x, "notes") ? jget(x, "notes") : "", u))
			snprintf(e->remhint, sizeof(e->remhint),
				 "; KEV's notes name %s: if that is the vendor's fix, make it "
				 "remedy.url",
				 u);
	}
	/* Severity: exploited in the wild is at least high; known ransomware use is critical. */
	const char *ransom = jget(x, "knownRansomwareCampaignUse");
	int hint = ransom && !strcmp(ransom, "Known") ? RC_SEV_CRITICAL : RC_SEV_HIGH;
	int cur = rc_severity_parse(sev);
	if (cur < hint) {
		snprintf(e->sevmsg, sizeof(e->sevmsg), "%s -> %s", sev,
			 rc_severity_name((unsigned)hint));
		json_object_set_new(d, "severity", json_string(rc_severity_name((unsigned)hint)));
	}
	char sentence[96], *t = NULL;
	snprintf(sentence, sizeof(sentence), " Exploited in the wild (CISA KEV, %s).",
		 tsafe(jget(x, "dateAdded")));
	bool has = strstr(text, "CISA KEV") != NULL;
	bool fits = strlen(text) + strlen(sentence) <= RC_TEXT_MAX;
	e->textmsg = has ? "already says so" : fits ? "+ KEV sentence" : "full (unchanged)";
	if (!has && fits && (t = malloc(strlen(text) + sizeof(sentence)))) {
		strcpy(t, text);
		strcat(t, sentence);
		json_object_set_new(d, "text", json_string(t));
		free(t);
	}
	return 0;
}

/* Add KEV's facts to one draft; returns an exit code. */
static int enrich_one(const struct kev *k, const char *path, const char *outdir, bool force,
		      size_t max_refs)
{
	json_t *d = json_load_path(path);
	char out[4096];
	struct kev_enriched e;
	if (!d)
		return EXIT_FAIL;
	int ret = EXIT_FAIL, r = kev_enrich(k, d, path, max_refs, &e);
	if (r < 0)
		goto done;
	if (r > 0) {
		printf("%s: %s: not in the KEV catalogue; unchanged\n", tsafe(path), tsafe(e.cve));
		ret = EXIT_OK;
		goto done;
	}
	snprintf(out, sizeof(out), "%s%s%s", outdir ? outdir : "", outdir ? "/" : "",
		 outdir ? imp_basename(path) : path);
	char *s = json_dumps(d, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t n = s ? strlen(s) : 0;
	if (s)
		s[n++] = '\n';
	/* The enriched draft must still load (it may have grown too long for one answer):
	 * checked before it replaces anything. */
	json_t *back = s ? json_load_buf(out, s, n) : NULL;
	struct jnotice j;
	bool loads = back && jnotice_parse(&j, back, out, now_s()) == 0;
	if (loads)
		jnotice_free(&j);
	json_decref(back);
	if (s && !loads)
		warnx_("%s: not written: the enriched draft would not load (message above)", out);
	if (loads && file_write(out, s, n, 0644, outdir && !force) == 0) {
		printf("%s: %s (KEV %s, %s): %zu ref%s added, severity %s, text %s%s\n", tsafe(out),
		       tsafe(e.cve), tsafe(jget(e.entry, "dateAdded")),
		       tsafe(jget(e.entry, "vendorProject")), e.added, e.added == 1 ? "" : "s",
		       tsafe(e.sevmsg), e.textmsg, tsafe(e.remhint));
		ret = EXIT_OK;
	}
	free(s);
done:
	json_decref(d);
	return ret;
}

int import_kev(int argc, char **argv)
{
	static const struct option opts[] = {{"cve", required_argument, NULL, OPT_L('c')},
					     {"vendor", required_argument, NULL, OPT_L('V')},
					     {"product", required_argument, NULL, 'P'},
					     {"since", required_argument, NULL, 's'},
					     {"drafts", required_argument, NULL, OPT_L('d')},
					     {"json", no_argument, NULL, 'j'},
					     {"enrich", no_argument, NULL, 'e'},
					     {"output", required_argument, NULL, 'o'},
					     {"force", no_argument, NULL, OPT_L('f')},
					     {"max-refs", required_argument, NULL, 'M'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	char *cves[KEV_CVES_MAX];
	size_t ncve = 0;
	const char *vendor = NULL, *product = NULL, *dir = NULL, *outdir = NULL;
	uint64_t since = 0, mr = 6;
	bool js = false, enrich = false, force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:V:P:s:d:jeo:fh", opts, NULL)) != -1) {
		switch (c = opt_retired(c, "cVdf", opts)) {
		case OPT_L('c'):
			if (ncve == KEV_CVES_MAX || strncmp(optarg, "CVE-", 4))
				return usage_fail(kev_usage, "--cve: a CVE id (at most %d)",
						  KEV_CVES_MAX);
			cves[ncve++] = optarg;
			break;
		case OPT_L('V'):
			vendor = optarg;
			break;
		case 'P':
			product = optarg;
			break;
		case 's':
			if (parse_time(optarg, &since) < 0)
				return usage_fail(kev_usage, "--since: not a date: '%s'", optarg);
			break;
		case OPT_L('d'):
			dir = optarg;
			break;
		case 'j':
			js = true;
			break;
		case 'e':
			enrich = true;
			break;
		case 'o':
			outdir = optarg;
			break;
		case OPT_L('f'):
			force = true;
			break;
		case 'M':
			if (parse_u64(optarg, &mr) < 0 || mr < 1 || mr > RC_REFS_MAX)
				return usage_fail(kev_usage, "--max-refs: 1..%d", RC_REFS_MAX);
			break;
		default:
			return usage_opt(c, kev_usage);
		}
	}
	if (!enrich && (outdir || force))
		return usage_fail(kev_usage, "-o and --force go with --enrich");
	if (enrich && (ncve || vendor || product || since || dir || js))
		return usage_fail(kev_usage, "--enrich takes no selectors, --drafts or --json");
	if (enrich ? argc - optind < 2 : argc - optind != 1)
		return usage_fail(kev_usage, enrich ? "give KEV.json and one or more DRAFT.json"
						    : "give one KEV.json");
	struct kev k = {0};
	int ret = EXIT_FAIL;
	if (kev_load(&k, argv[optind]) == 0) {
		if (!enrich) {
			ret = kev_list(&k, cves, ncve, vendor, product, since, dir, js);
		} else {
			ret = EXIT_OK;
			for (int i = optind + 1; i < argc; i++)
				if (enrich_one(&k, argv[i], outdir, force, (size_t)mr) != EXIT_OK)
					ret = EXIT_FAIL;
		}
	}
	json_decref(k.root);
	return ret;
}
