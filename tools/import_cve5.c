/* recall import cve5: CVE JSON 5.x records (containers.cna.affected[] and adp[].affected[]:
 * vendor, product, versions with lessThan/lessThanOrEqual) to notice drafts. docs/IMPORT.md. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "util.h"

static const char cve5_usage[] =
    "usage: recall import cve5 [OPTIONS] RECORD.json...\n"
    "\n"
    "Turn CVE JSON 5.x records into unsigned notice drafts, one file per (CVE, vendor, model,\n"
    "hardware revisions), and report every affected entry or version that could not be mapped\n"
    "and why. docs/IMPORT.md has the rules.\n"
    "\n"
    "      --container C      whose affected[] to use: auto (default: the CNA's, or the ADP\n"
    "                         containers' when the CNA's yields no draft), cna, adp or "
    "all\n" IMP_COMMON_HELP;

#define HWREV_SETS 32

/* Hardware revisions named by hardware (cpe h:) entries of one container, per model. */
struct hwset {
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1];
	char hw[RC_HWREVS_MAX][RC_HWREV_MAX + 1];
	size_t nhw;
	bool used;
};

struct ctx {
	struct imp_rec *r;
	const char *path;
	char apps[16][RC_NAME_MAX + 1]; /* models that CISA-ADP calls applications */
	size_t napps;
	struct hwset hs[HWREV_SETS];
	size_t nhs;
};

/* 'a', 'o' or 'h' from the entry's cpes (o wins over h, h over a); 0 if none. */
static char kind(json_t *e, char *cpe0, size_t cap)
{
	json_t *cpes = json_object_get(e, "cpes");
	char k = 0;
	for (size_t i = 0; i < json_array_size(cpes); i++) {
		struct cpe c;
		const char *s = json_string_value(json_array_get(cpes, i));
		if (!s || cpe_parse(s, &c))
			continue;
		if (!k)
			snprintf(cpe0, cap, "%s", s);
		if (!k || c.part == 'o' || (c.part == 'h' && k == 'a'))
			k = c.part;
	}
	return k;
}

/* Type checks of one affected entry; -1 (bad file) if malformed. */
static int check_entry(struct ctx *x, const char *w, json_t *e)
{
	char p[320];
	if (!json_is_object(e))
		return imp_bad(x->path, w, "expected an object");
	static const char *const strs[] = {"vendor", "product", "defaultStatus", NULL};
	for (const char *const *k = strs; *k; k++)
		if (json_object_get(e, *k) && !jget(e, *k))
			return imp_bad(x->path, (snprintf(p, sizeof(p), "%s.%s", w, *k), p),
				       "expected a string");
	json_t *cpes = json_object_get(e, "cpes"), *vs = json_object_get(e, "versions");
	if (cpes && !json_is_array(cpes))
		return imp_bad(x->path, (snprintf(p, sizeof(p), "%s.cpes", w), p),
			       "expected an array");
	if (vs && !json_is_array(vs))
		return imp_bad(x->path, (snprintf(p, sizeof(p), "%s.versions", w), p),
			       "expected an array");
	for (size_t i = 0; i < json_array_size(vs); i++) {
		json_t *v = json_array_get(vs, i);
		snprintf(p, sizeof(p), "%s.versions[%zu]", w, i);
		if (!json_is_object(v))
			return imp_bad(x->path, p, "expected an object");
		if (!jget(v, "version"))
			return imp_bad(x->path, p, "version: missing or not a string");
		const char *st = jget(v, "status");
		if (!st ||
		    (strcmp(st, "affected") && strcmp(st, "unaffected") && strcmp(st, "unknown")))
			return imp_bad(
			    x->path, p,
			    "status: expected \"affected\", \"unaffected\" or \"unknown\"");
		static const char *const opt[] = {"lessThan", "lessThanOrEqual", "versionType",
						  NULL};
		for (const char *const *k = opt; *k; k++)
			if (json_object_get(v, *k) && !jget(v, *k))
				return imp_bad(x->path, p, "%s: expected a string", *k);
		if (jget(v, "lessThan") && jget(v, "lessThanOrEqual"))
			return imp_bad(x->path, p, "both lessThan and lessThanOrEqual");
	}
	return 0;
}

/* Hardware entries with exact versions: the revisions of their model. */
static void collect_hw(struct ctx *x, json_t *aff)
{
	x->nhs = 0;
	for (size_t i = 0; i < json_array_size(aff); i++) {
		json_t *e = json_array_get(aff, i), *vs = json_object_get(e, "versions");
		char cpe0[IMP_CPE_FIELD], v[RC_NAME_MAX + 1], m[RC_NAME_MAX + 1];
		if (kind(e, cpe0, sizeof(cpe0)) != 'h' || !jget(e, "vendor") ||
		    !jget(e, "product") || imp_canon(jget(e, "vendor"), v, RC_NAME_MAX) ||
		    imp_canon(jget(e, "product"), m, RC_NAME_MAX) || x->nhs == HWREV_SETS)
			continue;
		struct hwset *h = &x->hs[x->nhs];
		memset(h, 0, sizeof(*h));
		for (size_t k = 0; k < json_array_size(vs); k++) {
			json_t *ver = json_array_get(vs, k);
			const char *s = jget(ver, "version");
			if (strcmp(jget(ver, "status"), "affected") || jget(ver, "lessThan") ||
			    jget(ver, "lessThanOrEqual") || h->nhw == RC_HWREVS_MAX ||
			    imp_canon(s, h->hw[h->nhw], RC_HWREV_MAX) || !strcmp(s, "0") ||
			    imp_version_problem(s))
				continue;
			h->nhw++;
		}
		if (h->nhw) {
			strcpy(h->vendor, v);
			strcpy(h->model, m);
			x->nhs++;
		}
	}
}

static struct hwset *find_hw(struct ctx *x, const char *v, const char *m)
{
	for (size_t i = 0; i < x->nhs; i++)
		if (!strcmp(x->hs[i].vendor, v) && !strcmp(x->hs[i].model, m))
			return &x->hs[i];
	return NULL;
}

static int scheme_of(const char *t)
{
	if (!t)
		return RC_VS_GENERIC;
	if (!strcmp(t, "rpm"))
		return RC_VS_RPM;
	if (!strcmp(t, "deb") || !strcmp(t, "dpkg") || !strcmp(t, "debian"))
		return RC_VS_DPKG;
	if (!strcmp(t, "git"))
		return -1;
	return RC_VS_GENERIC;
}

/* One affected version of a device entry: into the draft, or a report line. */
static void one_version(struct ctx *x, const char *w, json_t *v, const char *vendor,
			const char *model, struct hwset *hs, bool from_cpe, struct imp_draft **dp)
{
	struct imp_rec *r = x->r;
	const char *ver = jget(v, "version"), *lt = jget(v, "lessThan"),
		   *le = jget(v, "lessThanOrEqual"), *p;
	const char *hi = lt ? lt : le;
	char match[512];
	int sc = scheme_of(jget(v, "versionType"));
	if (sc < 0) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "versionType git: commits are not firmware versions");
		return;
	}
	if (json_object_get(v, "changes")) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "changes[] inside a range (status changes at some versions): a target "
			   "cannot express them");
		return;
	}
	struct imp_range g = {.scheme = (uint8_t)sc};
	if (hi) {
		bool lo_any = !strcmp(ver, "0") || !strcmp(ver, "*"), hi_any = !strcmp(hi, "*");
		if (lo_any && hi_any) {
			imp_report(
			    r->o, r->cve, ST_UNMAPPED, r->file, w,
			    "every version (%s to %s): no build is named; if the whole model "
			    "is to be recalled, write the target by hand (built_before, "
			    "digests)",
			    ver, hi);
			return;
		}
		if ((!lo_any && (p = imp_version_problem(ver))) ||
		    (!hi_any && (p = imp_version_problem(hi)))) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "'%s': %s",
				   imp_quote(lo_any ? hi : ver), p);
			return;
		}
		g.has_lo = !lo_any;
		g.lo_incl = true;
		snprintf(g.lo, sizeof(g.lo), "%s", lo_any ? "" : ver);
		g.has_hi = !hi_any;
		g.hi_incl = le != NULL;
		snprintf(g.hi, sizeof(g.hi), "%s", hi_any ? "" : hi);
		snprintf(match, sizeof(match), "%s: version %s %s %s", w, ver,
			 lt ? "lessThan" : "lessThanOrEqual", hi);
	} else {
		if ((p = imp_version_problem(ver))) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "version '%s': %s",
				   imp_quote(ver), p);
			return;
		}
		if (!strcmp(ver, "0")) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
				   "version '0' without lessThan: names no build");
			return;
		}
		snprintf(match, sizeof(match), "%s: version %s", w, ver);
	}
	if (!*dp) {
		char hw[RC_HWREVS_MAX][RC_HWREV_MAX + 1];
		size_t nhw = hs ? hs->nhw : 0;
		if (hs)
			memcpy(hw, hs->hw, sizeof(hw));
		if (!(*dp = imp_draft_get(r, vendor, model, hw, nhw)))
			return;
		if (hs) {
			hs->used = true;
			imp_draft_note(
			    *dp, "hardware revisions from the hardware entry of the same model "
				 "in this container (CVE 5 has no AND of firmware and "
				 "hardware)");
		}
	}
	if (hi) {
		imp_add_range(r, *dp, &g, match);
	} else {
		imp_add_version(*dp, ver, match);
		if (from_cpe && strpbrk(ver, "abcdefghijklmnopqrstuvwxyz"))
			imp_draft_note(
			    *dp,
			    "exact version %s comes with a CPE, and CPE writes lower case: "
			    "check the device's own spelling (exact versions compare byte "
			    "for byte)",
			    ver);
	}
}

/* True if some affected version of vs has a real bound (not just "0" to "*"). */
static bool bounded(json_t *vs)
{
	for (size_t i = 0; i < json_array_size(vs); i++) {
		json_t *v = json_array_get(vs, i);
		const char *lo = jget(v, "version"), *lt = jget(v, "lessThan"),
			   *le = jget(v, "lessThanOrEqual");
		const char *hi = lt ? lt : le;
		if (!strcmp(jget(v, "status"), "affected") &&
		    ((strcmp(lo, "0") && strcmp(lo, "*")) || (hi && strcmp(hi, "*"))))
			return true;
	}
	return false;
}

static void entry(struct ctx *x, const char *w, json_t *e)
{
	struct imp_rec *r = x->r;
	const char *vendor = jget(e, "vendor"), *product = jget(e, "product");
	json_t *vs = json_object_get(e, "versions");
	char cpe0[IMP_CPE_FIELD] = "", v[RC_NAME_MAX + 1], m[RC_NAME_MAX + 1], model[IMP_CPE_FIELD],
	     p[320];
	char k = kind(e, cpe0, sizeof(cpe0));
	const char *why = NULL, *vwhy = NULL;
	for (size_t i = 0; !vwhy && i < json_array_size(vs); i++)
		vwhy = imp_version_problem(jget(json_array_get(vs, i), "version"));
	if (k == 'a') {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "application CPE (%s): software, not device firmware", cpe0);
		return;
	}
	if (!vendor || !product || !strcasecmp(vendor, "n/a") || !strcasecmp(product, "n/a") ||
	    imp_is_prose(product)) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "vendor '%s', product '%s': not a device model%s%s",
			   vendor ? imp_quote(vendor) : "", product ? imp_quote(product) : "",
			   vwhy ? "; version: " : "", vwhy ? vwhy : "");
		return;
	}
	if (!strip_firmware(product, model, sizeof(model)))
		snprintf(model, sizeof(model), "%s", product);
	if ((why = imp_canon(vendor, v, RC_NAME_MAX)) || (why = imp_canon(model, m, RC_NAME_MAX))) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "vendor '%s', product '%s': %s",
			   imp_quote(vendor), imp_quote(product), why);
		return;
	}
	if (k == 'h') {
		struct hwset *hs = find_hw(x, v, m);
		if (hs && hs->used)
			imp_report(
			    r->o, r->cve, ST_SKIPPED, r->file, w,
			    "hardware entry (%s): its versions are the hardware revisions of "
			    "the firmware entry's drafts",
			    cpe0);
		else if (hs)
			imp_report(
			    r->o, r->cve, ST_UNMAPPED, r->file, w,
			    "hardware entry (%s) with versions and no firmware entry for the "
			    "model: hardware revisions or firmware builds? not mapped",
			    cpe0);
		else if (bounded(vs))
			imp_report(
			    r->o, r->cve, ST_UNMAPPED, r->file, w,
			    "hardware entry (%s) with a version range: hardware revisions are "
			    "not ranges, and firmware builds are not hardware; not mapped",
			    cpe0);
		else
			imp_report(r->o, r->cve, ST_SKIPPED, r->file, w,
				   "hardware entry (%s): names the platform (every revision), not "
				   "builds",
				   cpe0);
		return;
	}
	for (size_t i = 0; i < x->napps; i++)
		if (!strcmp(x->apps[i], m)) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
				   "product '%s': the ADP container names it an application (cpe "
				   "a:), not a device",
				   imp_quote(product));
			return;
		}
	const char *ds = jget(e, "defaultStatus");
	if (ds && !strcmp(ds, "affected")) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "defaultStatus \"affected\": every version not listed is affected; a "
			   "target cannot express exclusions");
		return;
	}
	if (!json_array_size(vs)) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "no versions listed");
		return;
	}
	struct imp_draft *d = NULL;
	struct hwset *hs = find_hw(x, v, m);
	size_t affected = 0;
	for (size_t i = 0; i < json_array_size(vs); i++) {
		json_t *ver = json_array_get(vs, i);
		if (strcmp(jget(ver, "status"), "affected"))
			continue;
		affected++;
		snprintf(p, sizeof(p), "%s.versions[%zu]", w, i);
		one_version(x, p, ver, v, m, hs, k != 0, &d);
	}
	if (!affected)
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "no affected versions listed");
}

/* The affected[] of one container. Hardware entries go last so that they know whether a
 * firmware entry used their revisions. */
static int container(struct ctx *x, const char *w, json_t *c, size_t *made)
{
	char p[160];
	json_t *aff = json_object_get(c, "affected");
	if (!aff)
		return 0;
	snprintf(p, sizeof(p), "%s.affected", w);
	if (!json_is_array(aff))
		return imp_bad(x->path, p, "expected an array");
	for (size_t i = 0; i < json_array_size(aff); i++) {
		snprintf(p, sizeof(p), "%s.affected[%zu]", w, i);
		if (check_entry(x, p, json_array_get(aff, i)) < 0)
			return -1;
	}
	collect_hw(x, aff);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < json_array_size(aff); i++) {
			json_t *e = json_array_get(aff, i);
			char cpe0[IMP_CPE_FIELD];
			if ((kind(e, cpe0, sizeof(cpe0)) == 'h') != (pass == 1))
				continue;
			snprintf(p, sizeof(p), "%s.affected[%zu]", w, i);
			entry(x, p, e);
		}
	*made = 0;
	for (size_t i = 0; i < x->r->nd; i++)
		*made += x->r->d[i].nver || x->r->d[i].nrng;
	return 0;
}

/* Models that an ADP container names as applications (cpe a: without a _firmware product). */
static void collect_apps(struct ctx *x, json_t *adps)
{
	for (size_t j = 0; j < json_array_size(adps); j++) {
		json_t *aff = json_object_get(json_array_get(adps, j), "affected");
		for (size_t i = 0; i < json_array_size(aff); i++) {
			json_t *e = json_array_get(aff, i);
			char cpe0[IMP_CPE_FIELD], tmp[IMP_CPE_FIELD];
			const char *prod = jget(e, "product");
			if (x->napps < 16 && prod && kind(e, cpe0, sizeof(cpe0)) == 'a' &&
			    !strip_firmware(prod, tmp, sizeof(tmp)) &&
			    !imp_canon(prod, x->apps[x->napps], RC_NAME_MAX))
				x->napps++;
		}
	}
}

static int severity(json_t *metrics)
{
	static const char *const keys[] = {"cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0", NULL};
	for (const char *const *k = keys; *k; k++)
		for (size_t i = 0; i < json_array_size(metrics); i++) {
			json_t *m = json_object_get(json_array_get(metrics, i), *k);
			int s = imp_severity_word(jget(m, "baseSeverity"));
			if (s >= 0)
				return s;
		}
	return -1;
}

static void refs(struct imp_rec *r, json_t *c)
{
	static const struct imp_tag known[] = {
	    {"vendor-advisory", 0},     {"patch", 1},         {"third-party-advisory", 2},
	    {"mitigation", 2},          {"release-notes", 2}, {"government-resource", 2},
	    {"x_refsource_CONFIRM", 2}, {"exploit", 4},       {NULL, 0}};
	json_t *a = json_object_get(c, "references");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *ref = json_array_get(a, i);
		if (jget(ref, "url"))
			imp_ref(r, jget(ref, "url"),
				imp_tags_rank(json_object_get(ref, "tags"), known));
	}
}

static int cve5_file(struct imp_opts *o, const char *path, json_t *root)
{
	json_t *meta = json_object_get(root, "cveMetadata"),
	       *cs = json_object_get(root, "containers");
	json_t *cna = json_object_get(cs, "cna"), *adps = json_object_get(cs, "adp");
	const char *dv = jget(root, "dataVersion"), *dt = jget(root, "dataType");
	const char *id = jget(meta, "cveId"), *state = jget(meta, "state");
	if (!json_is_object(root))
		return imp_bad(path, NULL, "expected a JSON object (a CVE JSON 5.x record)");
	if (dt && strcmp(dt, "CVE_RECORD"))
		return imp_bad(path, "dataType", "expected \"CVE_RECORD\"");
	if (!dv || strncmp(dv, "5.", 2))
		return imp_bad(path, "dataVersion", "expected \"5.x\" (a CVE JSON 5 record)");
	if (!imp_cve_id(id))
		return imp_bad(path, "cveMetadata.cveId", "expected a CVE id (CVE-YYYY-N...)");
	if (!json_is_object(cna) && !(state && !strcmp(state, "REJECTED")))
		return imp_bad(path, "containers.cna", "expected an object");
	if (adps && !json_is_array(adps))
		return imp_bad(path, "containers.adp", "expected an array");
	struct imp_rec r;
	struct ctx x = {.r = &r, .path = path};
	imp_rec_init(&r, o, imp_basename(path), "cve5", id);
	imp_rec_desc(&r, json_object_get(cna, "descriptions"));
	r.severity = severity(json_object_get(cna, "metrics"));
	refs(&r, cna);
	for (size_t j = 0; j < json_array_size(adps); j++) {
		if (r.severity < 0)
			r.severity = severity(json_object_get(json_array_get(adps, j), "metrics"));
		refs(&r, json_array_get(adps, j));
	}
	const char *mode = o->container;
	size_t made = 0;
	if (state && !strcmp(state, "REJECTED")) {
		imp_report(o, r.cve, ST_UNMAPPED, r.file, "cveMetadata.state",
			   "the record is rejected");
		imp_rec_finish(&r);
		return 0;
	}
	if (strcmp(mode, "adp"))
		collect_apps(&x, adps);
	if (strcmp(mode, "adp") && container(&x, "containers.cna", cna, &made) < 0)
		r.bad = true;
	for (size_t j = 0; !r.bad && j < json_array_size(adps); j++) {
		char w[64];
		json_t *a = json_array_get(adps, j);
		snprintf(w, sizeof(w), "containers.adp[%zu]", j);
		if (!json_is_object(a)) {
			r.bad = imp_bad(path, w, "expected an object");
			break;
		}
		json_t *aff = json_object_get(a, "affected");
		if (!strcmp(mode, "cna") || (!strcmp(mode, "auto") && made)) {
			if (json_array_size(aff))
				imp_report(
				    o, r.cve, ST_SKIPPED, r.file, w,
				    "%zu affected entr%s: the CNA's data is used (--container "
				    "all or adp to import these)",
				    json_array_size(aff), json_array_size(aff) == 1 ? "y" : "ies");
			continue;
		}
		x.napps = 0;
		if (container(&x, w, a, &made) < 0)
			r.bad = true;
	}
	if (!r.bad && !json_array_size(json_object_get(cna, "affected")) && !made &&
	    !json_array_size(adps))
		imp_report(o, r.cve, ST_UNMAPPED, r.file, "containers", "no affected entries");
	bool bad = r.bad;
	imp_rec_finish(&r);
	return bad ? -1 : 0;
}

const struct imp_source imp_cve5 = {"cve5", cve5_usage, true, cve5_file};

int import_cve5(int argc, char **argv)
{
	return imp_main(&imp_cve5, argc, argv);
}
