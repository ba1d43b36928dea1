/* recall import nvd: NVD CVE API 2.0 records (configurations of CPE matches with version ranges,
 * "firmware AND hardware" configurations) to notice drafts. See docs/IMPORT.md. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "util.h"

static const char nvd_usage[] =
    "usage: recall import nvd [OPTIONS] RECORD.json...\n"
    "\n"
    "Turn NVD CVE API 2.0 records (a response with \"vulnerabilities\", or single CVE objects\n"
    "as in the NVD JSON feeds) into unsigned notice drafts, one file per (CVE, vendor, model,\n"
    "hardware revisions), and report every CPE match that could not be mapped and why.\n"
    "Review the drafts, then 'recall notice create' them. docs/IMPORT.md has the rules.\n"
    "\n" IMP_COMMON_HELP;

/* One hardware model of a platform node, with the revisions it names. */
struct hwgrp {
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1];
	char hw[RC_HWREVS_MAX][RC_HWREV_MAX + 1];
	size_t nhw;
	bool all;
	char cpe[IMP_CPE_FIELD];
};

#define HWGRP_MAX 32

/* "PFX.what" (or "what" at the top). */
static const char *at(char *out, size_t cap, const char *pfx, const char *fmt, ...) RC_PRINTF(4, 5);
static const char *at(char *out, size_t cap, const char *pfx, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(out, cap, "%s%s", pfx, *pfx ? "." : "");
	va_list ap;
	va_start(ap, fmt);
	if (n < cap)
		vsnprintf(out + n, cap - n, fmt, ap);
	va_end(ap);
	return out;
}

static int nvd_severity(json_t *metrics)
{
	static const char *const keys[] = {"cvssMetricV40", "cvssMetricV31", "cvssMetricV30",
					   "cvssMetricV2", NULL};
	for (const char *const *k = keys; *k; k++) {
		json_t *a = json_object_get(metrics, *k);
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < json_array_size(a); i++) {
				json_t *m = json_array_get(a, i);
				const char *type = jget(m, "type");
				if (pass == 0 && (!type || strcmp(type, "Primary")))
					continue;
				const char *s =
				    jget(json_object_get(m, "cvssData"), "baseSeverity");
				int sev = imp_severity_word(s ? s : jget(m, "baseSeverity"));
				if (sev >= 0)
					return sev;
			}
	}
	return -1;
}

static int ref_rank(json_t *tags)
{
	static const struct imp_tag known[] = {{"Vendor Advisory", 0},
					       {"Patch", 1},
					       {"Third Party Advisory", 2},
					       {"Mitigation", 2},
					       {"Release Notes", 2},
					       {"US Government Resource", 2},
					       {"Exploit", 4},
					       {NULL, 0}};
	return imp_tags_rank(tags, known);
}

/* Type checks of one cpeMatch entry; -1 (bad file) if malformed. */
static int check_match(const char *path, const char *w, json_t *m)
{
	static const char *const vk[] = {"versionStartIncluding", "versionStartExcluding",
					 "versionEndIncluding", "versionEndExcluding", NULL};
	char p[256];
	if (!json_is_object(m))
		return imp_bad(path, w, "expected an object");
	if (!jget(m, "criteria"))
		return imp_bad(path, at(p, sizeof(p), w, "criteria"), "expected a string");
	if (!json_is_boolean(json_object_get(m, "vulnerable")))
		return imp_bad(path, at(p, sizeof(p), w, "vulnerable"), "expected true or false");
	for (const char *const *k = vk; *k; k++)
		if (json_object_get(m, *k) && !jget(m, *k))
			return imp_bad(path, at(p, sizeof(p), w, "%s", *k), "expected a string");
	return 0;
}

/* The selector (exact version or range) of a vulnerable firmware match; NULL if it maps, else the
 * reason. */
static const char *selector(struct imp_rec *r, json_t *m, const struct cpe *c, struct imp_range *g,
			    const char **exact, char *why, size_t cap)
{
	const char *b[4] = {jget(m, "versionStartIncluding"), jget(m, "versionStartExcluding"),
			    jget(m, "versionEndIncluding"), jget(m, "versionEndExcluding")};
	static const char *const bn[4] = {"versionStartIncluding", "versionStartExcluding",
					  "versionEndIncluding", "versionEndExcluding"};
	*exact = NULL;
	memset(g, 0, sizeof(*g));
	g->scheme = RC_VS_GENERIC;
	if ((b[0] && b[1]) || (b[2] && b[3]))
		return "both the Including and the Excluding form of one bound";
	if (b[0] || b[1] || b[2] || b[3]) {
		if (strcmp(c->version, "*")) {
			snprintf(why, cap, "CPE version '%s' together with a range",
				 imp_quote(c->version));
			return why;
		}
		if (strcmp(c->update, "*") && strcmp(c->update, "-")) {
			snprintf(why, cap, "CPE update '%s' qualifies a range",
				 imp_quote(c->update));
			return why;
		}
		for (int i = 0; i < 4; i++) {
			const char *p = b[i] ? imp_version_problem(b[i]) : NULL;
			if (p) {
				snprintf(why, cap, "%s '%s': %s", bn[i], imp_quote(b[i]), p);
				return why;
			}
		}
		g->has_lo = b[0] || b[1];
		g->lo_incl = b[0] != NULL;
		snprintf(g->lo, sizeof(g->lo), "%s", b[0] ? b[0] : b[1] ? b[1] : "");
		g->has_hi = b[2] || b[3];
		g->hi_incl = b[2] != NULL;
		snprintf(g->hi, sizeof(g->hi), "%s", b[2] ? b[2] : b[3] ? b[3] : "");
		return NULL;
	}
	if (!strcmp(c->version, "*"))
		return "every version (CPE version '*' and no range): no build is named; if the "
		       "whole model is to be recalled, write the target by hand (built_before, "
		       "digests)";
	if (!strcmp(c->version, "-")) {
		snprintf(why, cap,
			 "CPE version '-' and no range: the record names no builds (description: "
			 "\"%s\")",
			 imp_quote(r->desc ? r->desc : ""));
		return why;
	}
	const char *p = imp_version_problem(c->version);
	if (p) {
		snprintf(why, cap, "CPE version '%s': %s", imp_quote(c->version), p);
		return why;
	}
	if (strcmp(c->update, "*") && strcmp(c->update, "-")) {
		snprintf(why, cap,
			 "CPE update '%s' qualifies version %s: the build's own version string is "
			 "not in the record",
			 imp_quote(c->update), imp_quote(c->version));
		return why;
	}
	*exact = c->version;
	return NULL;
}

static void nvd_match(struct imp_rec *r, const char *w, json_t *m, const struct hwgrp *grp,
		      size_t ng)
{
	const char *crit = jget(m, "criteria");
	struct cpe c;
	char why[512], match[1024];
	const char *bad = cpe_parse(crit, &c);
	if (bad) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "criteria '%s': %s",
			   imp_quote(crit), bad);
		return;
	}
	if (c.part == 'a') {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "application CPE (%s:%s): software, not device firmware", c.vendor,
			   c.product);
		return;
	}
	if (c.part == 'h') {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "vulnerable hardware CPE (%s:%s): names no firmware builds", c.vendor,
			   c.product);
		return;
	}
	if (c.extra) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "CPE '%s' restricts edition, language or target fields: a target cannot "
			   "express that",
			   crit);
		return;
	}
	struct imp_range g;
	const char *exact;
	if ((bad = selector(r, m, &c, &g, &exact, why, sizeof(why)))) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "%s", bad);
		return;
	}
	int n = snprintf(match, sizeof(match), "%s: %s", w, crit);
	static const char *const bn[4] = {"versionStartIncluding", "versionStartExcluding",
					  "versionEndIncluding", "versionEndExcluding"};
	for (int i = 0; i < 4; i++)
		if (jget(m, bn[i]) && n > 0 && (size_t)n < sizeof(match))
			n += snprintf(match + n, sizeof(match) - (size_t)n, " %s %s", bn[i],
				      jget(m, bn[i]));
	char fwmodel[IMP_CPE_FIELD], cv[RC_NAME_MAX + 1], cm[RC_NAME_MAX + 1];
	bool has_fw = strip_firmware(c.product, fwmodel, sizeof(fwmodel));
	if (!ng) {
		if (!has_fw) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
				   "operating system CPE (%s:%s) without a hardware platform: no "
				   "device model (the product is not MODEL_firmware)",
				   c.vendor, c.product);
			return;
		}
		if ((bad = imp_canon(c.vendor, cv, RC_NAME_MAX)) ||
		    (bad = imp_canon(fwmodel, cm, RC_NAME_MAX))) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w, "name in '%s': %s", crit,
				   bad);
			return;
		}
	}
	for (size_t i = 0; i < (ng ? ng : 1); i++) {
		char hw[RC_HWREVS_MAX][RC_HWREV_MAX + 1];
		size_t nhw = 0;
		if (ng) {
			nhw = grp[i].all ? 0 : grp[i].nhw;
			memcpy(hw, grp[i].hw, sizeof(hw));
		}
		struct imp_draft *d =
		    imp_draft_get(r, ng ? grp[i].vendor : cv, ng ? grp[i].model : cm, hw, nhw);
		if (!d)
			continue;
		if (ng) {
			char fv[RC_NAME_MAX + 1] = "", fm[RC_NAME_MAX + 1] = "";
			imp_canon(c.vendor, fv, RC_NAME_MAX);
			if (has_fw)
				imp_canon(fwmodel, fm, RC_NAME_MAX);
			if (strcmp(fv, grp[i].vendor) || strcmp(fm, grp[i].model))
				imp_draft_note(d,
					       "firmware %s:%s runs on hardware %s:%s: vendor and "
					       "model are the hardware's",
					       c.vendor, c.product, grp[i].vendor, grp[i].model);
		}
		if (exact) {
			imp_add_version(d, exact, match);
			if (strpbrk(exact, "abcdefghijklmnopqrstuvwxyz"))
				imp_draft_note(
				    d,
				    "exact version %s comes from a CPE, and CPE writes lower "
				    "case: check the device's own spelling (exact versions "
				    "compare byte for byte)",
				    exact);
			if (!strcmp(c.update, "*"))
				imp_draft_note(d,
					       "CPE update '*' on version %s: its updates (patch "
					       "levels) are not listed",
					       exact);
		} else {
			imp_add_range(r, d, &g, match);
		}
		if (ng) {
			char plat[IMP_CPE_FIELD + 16];
			snprintf(plat, sizeof(plat), "platform: %s", grp[i].cpe);
			imp_draft_match(d, plat);
		}
	}
}

/* The hardware models of a platform node; 0 groups (and a report line) if it cannot be used. */
static size_t platform(struct imp_rec *r, const char *w, json_t *node, struct hwgrp *grp)
{
	json_t *ms = json_object_get(node, "cpeMatch");
	size_t ng = 0;
	for (size_t k = 0; k < json_array_size(ms); k++) {
		const char *crit = jget(json_array_get(ms, k), "criteria");
		struct cpe c;
		char v[RC_NAME_MAX + 1], m[RC_NAME_MAX + 1], h[RC_HWREV_MAX + 1] = "";
		const char *bad = cpe_parse(crit, &c);
		if (!bad && c.part != 'h')
			bad = "not a hardware CPE";
		if (!bad)
			bad = imp_canon(c.vendor, v, RC_NAME_MAX);
		if (!bad)
			bad = imp_canon(c.product, m, RC_NAME_MAX);
		bool all = !strcmp(c.version, "*") || !strcmp(c.version, "-");
		if (!bad && !all)
			bad = imp_canon(c.version, h, RC_HWREV_MAX);
		size_t i = 0;
		while (!bad && i < ng && (strcmp(grp[i].vendor, v) || strcmp(grp[i].model, m)))
			i++;
		if (!bad && i == ng && ng == HWGRP_MAX)
			bad = "more than 32 hardware models";
		if (!bad && i == ng) {
			memset(&grp[i], 0, sizeof(grp[i]));
			strcpy(grp[i].vendor, v);
			strcpy(grp[i].model, m);
			snprintf(grp[i].cpe, sizeof(grp[i].cpe), "%s", crit);
			ng++;
		}
		if (!bad && !all && !grp[i].all && grp[i].nhw == RC_HWREVS_MAX)
			bad = "more than 8 hardware revisions of one model";
		if (bad) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
				   "platform CPE '%s': %s: the configuration is not mapped",
				   imp_quote(crit), bad);
			return 0;
		}
		if (all)
			grp[i].all = true;
		else
			strcpy(grp[i].hw[grp[i].nhw++], h);
		if (strlen(grp[i].cpe) + strlen(crit) + 2 < IMP_CPE_FIELD &&
		    strstr(grp[i].cpe, crit) == NULL)
			snprintf(grp[i].cpe + strlen(grp[i].cpe),
				 IMP_CPE_FIELD - strlen(grp[i].cpe), " %s", crit);
	}
	return ng;
}

static bool node_vulnerable(json_t *node)
{
	json_t *ms = json_object_get(node, "cpeMatch");
	for (size_t k = 0; k < json_array_size(ms); k++)
		if (json_is_true(json_object_get(json_array_get(ms, k), "vulnerable")))
			return true;
	return false;
}

static int nvd_config(struct imp_rec *r, const char *path, const char *w, json_t *cfg)
{
	char p[256], q[320];
	json_t *nodes = json_object_get(cfg, "nodes");
	if (!json_is_object(cfg))
		return imp_bad(path, w, "expected an object");
	if (!json_is_array(nodes))
		return imp_bad(path, at(p, sizeof(p), w, "nodes"), "expected an array");
	const char *op = jget(cfg, "operator");
	if (json_object_get(cfg, "operator") && (!op || (strcmp(op, "AND") && strcmp(op, "OR"))))
		return imp_bad(path, at(p, sizeof(p), w, "operator"), "expected AND or OR");
	json_t *neg = json_object_get(cfg, "negate");
	if (neg && !json_is_boolean(neg))
		return imp_bad(path, at(p, sizeof(p), w, "negate"), "expected true or false");
	size_t nv = 0, nn = json_array_size(nodes), fw = 0, hwn = 0;
	for (size_t i = 0; i < nn; i++) {
		json_t *node = json_array_get(nodes, i);
		at(p, sizeof(p), w, "nodes[%zu]", i);
		json_t *ms = json_object_get(node, "cpeMatch");
		if (!json_is_object(node))
			return imp_bad(path, p, "expected an object");
		if (!json_is_array(ms))
			return imp_bad(path, at(q, sizeof(q), p, "cpeMatch"), "expected an array");
		const char *nop = jget(node, "operator");
		if (nop && strcmp(nop, "AND") && strcmp(nop, "OR"))
			return imp_bad(path, at(q, sizeof(q), p, "operator"), "expected AND or OR");
		json_t *nneg = json_object_get(node, "negate");
		if (nneg && !json_is_boolean(nneg))
			return imp_bad(path, at(q, sizeof(q), p, "negate"),
				       "expected true or false");
		for (size_t k = 0; k < json_array_size(ms); k++)
			if (check_match(path, at(q, sizeof(q), p, "cpeMatch[%zu]", k),
					json_array_get(ms, k)) < 0)
				return -1;
		if (node_vulnerable(node)) {
			nv++;
			fw = i;
		} else {
			hwn = i;
		}
	}
	if (json_is_true(neg)) {
		imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
			   "negated configuration: a target cannot express NOT");
		return 0;
	}
	struct hwgrp grp[HWGRP_MAX];
	size_t ng = 0;
	bool and = op && !strcmp(op, "AND");
	if (and) {
		json_t *hn = json_array_get(nodes, hwn), *fn = json_array_get(nodes, fw);
		const char *fop = jget(fn, "operator");
		if (nn != 2 || nv != 1) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
				   "AND of %zu nodes, %zu with vulnerable matches: only 'firmware "
				   "AND hardware' maps to a target",
				   nn, nv);
			return 0;
		}
		if (json_is_true(json_object_get(hn, "negate")) ||
		    json_is_true(json_object_get(fn, "negate")) || (fop && !strcmp(fop, "AND"))) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file, w,
				   "negated node or AND inside the firmware node: not mapped");
			return 0;
		}
		if (!(ng = platform(r, at(p, sizeof(p), w, "nodes[%zu]", hwn), hn, grp)))
			return 0;
	}
	for (size_t i = 0; i < nn; i++) {
		json_t *node = json_array_get(nodes, i);
		json_t *ms = json_object_get(node, "cpeMatch");
		const char *nop = jget(node, "operator");
		if (and&&i != fw)
			continue;
		if (!and&&node_vulnerable(node) &&
		    (json_is_true(json_object_get(node, "negate")) ||
		     (nop && !strcmp(nop, "AND") && json_array_size(ms) > 1))) {
			imp_report(r->o, r->cve, ST_UNMAPPED, r->file,
				   at(p, sizeof(p), w, "nodes[%zu]", i),
				   "negated node or AND of matches without a platform: not mapped");
			continue;
		}
		for (size_t k = 0; k < json_array_size(ms); k++) {
			json_t *m = json_array_get(ms, k);
			if (json_is_true(json_object_get(m, "vulnerable")))
				nvd_match(r, at(p, sizeof(p), w, "nodes[%zu].cpeMatch[%zu]", i, k),
					  m, grp, ng);
		}
	}
	return 0;
}

static int nvd_cve(struct imp_opts *o, const char *path, const char *pfx, json_t *cve)
{
	char p[256], q[320];
	const char *id = jget(cve, "id");
	if (!imp_cve_id(id))
		return imp_bad(path, at(p, sizeof(p), pfx, "id"),
			       "expected a CVE id (CVE-YYYY-N...)");
	struct imp_rec r;
	imp_rec_init(&r, o, imp_basename(path), "nvd", id);
	const char *status = jget(cve, "vulnStatus");
	json_t *descs = json_object_get(cve, "descriptions");
	json_t *refs = json_object_get(cve, "references");
	json_t *cfgs = json_object_get(cve, "configurations");
	if (descs && !json_is_array(descs))
		r.bad = imp_bad(path, at(p, sizeof(p), pfx, "descriptions"), "expected an array");
	imp_rec_desc(&r, descs);
	json_t *metrics = json_object_get(cve, "metrics");
	r.severity = json_is_object(metrics) ? nvd_severity(metrics) : -1;
	if (refs && !json_is_array(refs))
		r.bad = imp_bad(path, at(p, sizeof(p), pfx, "references"), "expected an array");
	for (size_t i = 0; !r.bad && i < json_array_size(refs); i++) {
		json_t *ref = json_array_get(refs, i);
		if (!jget(ref, "url"))
			r.bad = imp_bad(path, at(p, sizeof(p), pfx, "references[%zu].url", i),
					"expected a string");
		else
			imp_ref(&r, jget(ref, "url"), ref_rank(json_object_get(ref, "tags")));
	}
	if (cfgs && !json_is_array(cfgs))
		r.bad = imp_bad(path, at(p, sizeof(p), pfx, "configurations"), "expected an array");
	if (!r.bad && status && !strcmp(status, "Rejected"))
		imp_report(o, r.cve, ST_UNMAPPED, r.file, pfx, "the record is rejected");
	else if (!r.bad && json_array_size(cfgs) == 0)
		imp_report(o, r.cve, ST_UNMAPPED, r.file, pfx,
			   "no CPE configurations (NVD status '%s'): nothing names the affected "
			   "builds",
			   status ? status : "?");
	for (size_t i = 0; !r.bad && i < json_array_size(cfgs); i++)
		if (nvd_config(&r, path, at(q, sizeof(q), pfx, "configurations[%zu]", i),
			       json_array_get(cfgs, i)) < 0)
			r.bad = true;
	bool bad = r.bad;
	imp_rec_finish(&r);
	return bad ? -1 : 0;
}

static int nvd_file(struct imp_opts *o, const char *path, json_t *root)
{
	if (!json_is_object(root))
		return imp_bad(path, NULL,
			       "expected a JSON object (an NVD API 2.0 response or a CVE record)");
	json_t *v = json_object_get(root, "vulnerabilities");
	if (!v && jget(root, "id"))
		return nvd_cve(o, path, "", root);
	if (!v)
		return imp_bad(path, NULL,
			       "neither an NVD API 2.0 response (\"vulnerabilities\") nor a CVE "
			       "record (\"id\")");
	if (!json_is_array(v))
		return imp_bad(path, "vulnerabilities", "expected an array");
	int ret = 0;
	for (size_t i = 0; i < json_array_size(v); i++) {
		char p[64];
		snprintf(p, sizeof(p), "vulnerabilities[%zu].cve", i);
		json_t *cve = json_object_get(json_array_get(v, i), "cve");
		if (!json_is_object(cve))
			ret = imp_bad(path, p, "expected an object");
		else if (nvd_cve(o, path, p, cve) < 0)
			ret = -1;
	}
	return ret;
}

const struct imp_source imp_nvd = {"nvd", nvd_usage, false, nvd_file};

int import_nvd(int argc, char **argv)
{
	return imp_main(&imp_nvd, argc, argv);
}
