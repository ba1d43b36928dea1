/* Notice drafts of one imported record: targets with their versions and ranges, the check of
 * sibling models' ranges, the draft JSON (docs/NOTICE-JSON.md) and its file. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "import.h"
#include "json_notice.h"
#include "recall/cose.h"
#include "recall/msg.h"
#include "recall/text.h"
#include "signed.h"
#include "util.h"

void imp_rec_init(struct imp_rec *r, struct imp_opts *o, const char *file, const char *source,
		  const char *cve)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->file = file;
	r->source = source;
	snprintf(r->cve, sizeof(r->cve), "%s", cve);
	r->severity = -1;
	r->refs = json_array();
	o->records++;
}

void imp_rec_desc(struct imp_rec *r, json_t *descs)
{
	for (size_t i = 0; !r->desc && i < json_array_size(descs); i++) {
		json_t *d = json_array_get(descs, i);
		const char *lang = jget(d, "lang"), *v = jget(d, "value");
		if (lang && !strncmp(lang, "en", 2) && v)
			r->desc = strdup(v);
	}
}

static int cmp_hw(const void *a, const void *b)
{
	return strcmp(a, b);
}

struct imp_draft *imp_draft_get(struct imp_rec *r, const char *vendor, const char *model,
				char (*hw)[RC_HWREV_MAX + 1], size_t nhw)
{
	char v[RC_NAME_MAX + 1], m[RC_NAME_MAX + 1];
	snprintf(v, sizeof(v), "%s", vendor);
	snprintf(m, sizeof(m), "%s", model);
	bool mapped = imp_map_apply(r->o, v, m);
	qsort(hw, nhw, sizeof(hw[0]), cmp_hw);
	size_t k = 0;
	for (size_t i = 0; i < nhw; i++)
		if (k == 0 || strcmp(hw[k - 1], hw[i]))
			memmove(hw[k++], hw[i], sizeof(hw[0]));
	nhw = k;
	for (size_t i = 0; i < r->nd; i++) {
		struct imp_draft *d = &r->d[i];
		bool same = !strcmp(d->vendor, v) && !strcmp(d->model, m) && d->nhw == nhw;
		for (size_t j = 0; same && j < nhw; j++)
			same = !strcmp(d->hw[j], hw[j]);
		if (same)
			return d;
	}
	if (r->nd == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct imp_draft *p = realloc(r->d, cap * sizeof(*p));
		if (!p)
			return NULL;
		r->d = p;
		r->cap = cap;
	}
	struct imp_draft *d = &r->d[r->nd++];
	memset(d, 0, sizeof(*d));
	strcpy(d->vendor, v);
	strcpy(d->model, m);
	d->nhw = nhw;
	memcpy(d->hw, hw, nhw * sizeof(hw[0]));
	d->matches = json_array();
	d->notes = json_array();
	d->mapped = mapped;
	return d;
}

void imp_draft_note(struct imp_draft *d, const char *fmt, ...)
{
	char s[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < json_array_size(d->notes); i++)
		if (!strcmp(json_string_value(json_array_get(d->notes, i)), s))
			return;
	json_array_append_new(d->notes, json_string(s));
}

static void hold(struct imp_draft *d, const char *why)
{
	if (!d->held)
		d->held = strdup(why);
}

void imp_draft_match(struct imp_draft *d, const char *match)
{
	for (size_t i = 0; i < json_array_size(d->matches); i++)
		if (!strcmp(json_string_value(json_array_get(d->matches, i)), match))
			return;
	json_array_append_new(d->matches, json_string(match));
}

void imp_add_version(struct imp_draft *d, const char *v, const char *match)
{
	imp_draft_match(d, match);
	for (size_t i = 0; i < d->nver; i++)
		if (!strcmp(d->ver[i], v))
			return;
	if (d->nver == RC_VERSIONS_MAX) {
		hold(d, "more than 16 exact versions: split the target by hand");
		return;
	}
	snprintf(d->ver[d->nver++], IMP_VER_MAX, "%s", v);
}

static bool range_eq(const struct imp_range *a, const struct imp_range *b)
{
	return a->scheme == b->scheme && a->has_lo == b->has_lo && a->has_hi == b->has_hi &&
	       (!a->has_lo || (a->lo_incl == b->lo_incl && !strcmp(a->lo, b->lo))) &&
	       (!a->has_hi || (a->hi_incl == b->hi_incl && !strcmp(a->hi, b->hi)));
}

void imp_add_range(struct imp_rec *r, struct imp_draft *d, const struct imp_range *g,
		   const char *match)
{
	if (g->has_lo && g->has_hi) {
		int c = rc_version_cmp(g->scheme, g->lo, strlen(g->lo), g->hi, strlen(g->hi));
		if (c > 0 || (c == 0 && !(g->lo_incl && g->hi_incl))) {
			imp_report(
			    r->o, r->cve, ST_UNMAPPED, r->file, NULL,
			    "%s: an empty range (its start is not below its end under the %s "
			    "scheme)",
			    match, rc_vscheme_name(g->scheme));
			return;
		}
	}
	imp_draft_match(d, match);
	for (size_t i = 0; i < d->nrng; i++)
		if (range_eq(&d->rng[i], g))
			return;
	if (d->nrng == RC_RANGES_MAX) {
		hold(d, "more than 8 ranges: split the target by hand");
		return;
	}
	d->rng[d->nrng++] = *g;
}

void imp_ref(struct imp_rec *r, const char *url, int rank)
{
	size_t n = strlen(url);
	if (n < 1 || n > RC_REF_MAX)
		return;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return;
	for (size_t i = 0; i < json_array_size(r->refs); i++) {
		json_t *e = json_array_get(r->refs, i);
		if (!strcmp(json_string_value(json_array_get(e, 1)), url)) {
			if (rank < json_integer_value(json_array_get(e, 0)))
				json_array_set_new(e, 0, json_integer(rank));
			return;
		}
	}
	json_array_append_new(r->refs, json_pack("[is]", rank, url));
}

static const char *fmt_range(char *out, size_t cap, const struct imp_range *g)
{
	snprintf(out, cap, "%s%s, %s%s", g->has_lo ? (g->lo_incl ? "[" : "(") : "(",
		 g->has_lo ? g->lo : "*", g->has_hi ? g->hi : "*",
		 g->has_hi ? (g->hi_incl ? "]" : ")") : ")");
	return out;
}

/* Leading letters and separators of a model name, up to its first digit ("atp", "usg_flex_"):
 * models of one family share it. Empty if the name starts with a digit. */
static size_t family(const char *model)
{
	size_t n = strcspn(model, "0123456789");
	return model[n] ? n : 0;
}

/* Sibling models (same vendor and family) whose ranges start at the same version but end
 * elsewhere: an outlier against a clear majority is held back, no majority is noted. */
static void siblings(struct imp_rec *r)
{
	char *verdict = calloc(r->nd ? r->nd : 1, 1); /* 1 note, 2 hold */
	char(*why)[1024] = calloc(r->nd ? r->nd : 1, sizeof(*why));
	if (!verdict || !why)
		goto out;
	for (size_t i = 0; i < r->nd; i++) {
		struct imp_draft *a = &r->d[i];
		size_t fa = family(a->model);
		for (size_t gi = 0; fa && gi < a->nrng && !verdict[i]; gi++) {
			const struct imp_range *g = &a->rng[gi];
			if (!g->has_lo || !g->has_hi)
				continue;
			const struct imp_range *mem[64];
			const char *names[64];
			size_t m = 0;
			for (size_t j = 0; j < r->nd && m < 64; j++) {
				struct imp_draft *b = &r->d[j];
				if (strcmp(a->vendor, b->vendor) || family(b->model) != fa ||
				    strncmp(a->model, b->model, fa) ||
				    (j != i && !strcmp(a->model, b->model)))
					continue;
				for (size_t gj = 0; gj < b->nrng; gj++) {
					const struct imp_range *h = &b->rng[gj];
					if (h->scheme == g->scheme && h->has_lo && h->has_hi &&
					    h->lo_incl == g->lo_incl && !strcmp(h->lo, g->lo)) {
						mem[m] = h;
						names[m++] = b->model;
						break;
					}
				}
			}
			if (m < 2)
				continue;
			size_t best = 0, best_n = 0, mine = 0;
			for (size_t x = 0; x < m; x++) {
				size_t c = 0;
				for (size_t y = 0; y < m; y++)
					c += mem[x]->hi_incl == mem[y]->hi_incl &&
					     !strcmp(mem[x]->hi, mem[y]->hi);
				if (c > best_n) {
					best = x;
					best_n = c;
				}
				if (mem[x] == g)
					mine = c;
			}
			if (mine == m)
				continue; /* all agree */
			char rg[160], rb[160], list[256] = "";
			for (size_t x = 0, shown = 0; x < m; x++) {
				if (mem[x]->hi_incl != mem[best]->hi_incl ||
				    strcmp(mem[x]->hi, mem[best]->hi) || names[x] == a->model)
					continue;
				if (shown++ < 6)
					snprintf(list + strlen(list), sizeof(list) - strlen(list),
						 "%s%s", shown > 1 ? ", " : "", names[x]);
				else if (shown == 7)
					strncat(list, ", ...", sizeof(list) - strlen(list) - 1);
			}
			fmt_range(rg, sizeof(rg), g);
			fmt_range(rb, sizeof(rb), mem[best]);
			if (2 * best_n > m && mine < best_n) {
				verdict[i] = 2;
				snprintf(
				    why[i], sizeof(why[i]),
				    "inconsistent range: %s %s, but %zu of %zu sibling models "
				    "with the same start (%s) have %s: an upstream mistake or a "
				    "real difference? check the vendor advisory",
				    a->model, rg, best_n, m, list, rb);
			} else if (2 * best_n <= m) {
				verdict[i] = 1;
				snprintf(why[i], sizeof(why[i]),
					 "sibling models with the same start disagree on the end "
					 "(%s here; %s has %s): check the vendor advisory",
					 rg, list[0] ? list : names[best], rb);
			}
		}
	}
	for (size_t i = 0; i < r->nd; i++) {
		if (verdict[i] == 2 && !r->o->keep_inconsistent)
			hold(&r->d[i], why[i]);
		else if (verdict[i])
			imp_draft_note(&r->d[i], "%s%s", why[i],
				       verdict[i] == 2 ? " (kept: --keep-inconsistent)" : "");
	}
out:
	free(verdict);
	free(why);
}

/* Owner-facing text: the CVE id and the record's description, whitespace and control
 * characters collapsed into single spaces, cut at a word boundary to text_max bytes. */
static char *make_text(struct imp_rec *r)
{
	size_t max = r->o->text_max;
	char *t = malloc(max + 1);
	if (!t)
		return NULL;
	const char *src = r->desc;
	if (!src || !*src)
		src = "a known vulnerability affects this firmware build.";
	/* The record's words become a signed notice's text: C0 controls collapse into spaces
	 * below; C1, bidi and invisible characters and invalid UTF-8 go in as visible escapes,
	 * which the reviewer sees (rc_text_safe). */
	size_t sl = strlen(src);
	char *sp = strdup(src), *esc = malloc(RC_TEXT_SAFE_CAP(sl));
	if (!sp || !esc) {
		free(sp);
		free(esc);
		free(t);
		return NULL;
	}
	for (char *p = sp; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	rc_text_safe(esc, RC_TEXT_SAFE_CAP(sl), sp, sl, 0);
	free(sp);
	src = esc;
	size_t n = (size_t)snprintf(t, max + 1, "%s: ", r->cve);
	bool space = false, cut = false;
	for (const char *p = src; *p; p++) {
		bool ws = (unsigned char)*p <= ' ' || *p == 0x7f; /* a notice's text has none */
		if (ws) {
			space = n > 0 && t[n - 1] != ' ';
			continue;
		}
		if (n + (space ? 1 : 0) + 1 > max) {
			cut = true;
			break;
		}
		if (space)
			t[n++] = ' ';
		space = false;
		t[n++] = *p;
	}
	if (cut) {
		while (n > 0 && n + 3 > max)
			n--;
		while (n > 0 && t[n - 1] != ' ')
			n--; /* back to a word boundary (never inside a UTF-8 sequence) */
		while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '.' || t[n - 1] == ','))
			n--;
		memcpy(t + n, "...", 3);
		n += 3;
	}
	t[n] = 0;
	free(esc);
	return t;
}

static int cmp_rank(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t rx = json_integer_value(json_array_get(x, 0));
	json_int_t ry = json_integer_value(json_array_get(y, 0));
	return rx < ry ? -1 : rx > ry;
}

static json_t *range_json(const struct imp_range *g)
{
	json_t *o = json_object();
	json_object_set_new(o, "scheme", json_string(rc_vscheme_name(g->scheme)));
	if (g->has_lo) {
		json_object_set_new(o, "lo", json_string(g->lo));
		json_object_set_new(o, "lo_inclusive", json_boolean(g->lo_incl));
	}
	if (g->has_hi) {
		json_object_set_new(o, "hi", json_string(g->hi));
		json_object_set_new(o, "hi_inclusive", json_boolean(g->hi_incl));
	}
	return o;
}

/* The notice id: CVE:vendor:model[:hwrevs], escapes as '-', other characters outside
 * [A-Za-z0-9._:-] as '_', long ids shortened with a hash. */
static void make_id(char *id, const struct imp_rec *r, const struct imp_draft *d)
{
	char full[512];
	int n = snprintf(full, sizeof(full), "%s:%s:%s", r->cve, d->vendor, d->model);
	for (size_t i = 0; i < d->nhw; i++)
		n += snprintf(full + n, sizeof(full) - (size_t)n, "%s%s", i ? "." : ":", d->hw[i]);
	/* An escaped byte of a canonical name (%20 for a space) reads best as '-'. */
	char *w = full;
	for (const char *p = full; *p; p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			*w++ = '-';
			p += 2;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || strchr("._:-", *p)) {
			*w++ = *p;
		} else {
			*w++ = '_';
		}
	}
	*w = 0;
	if (strlen(full) <= RC_NOTICE_ID_MAX) {
		strcpy(id, full);
		return;
	}
	uint8_t h[32];
	char hx[65];
	crypto_hash_sha256(h, (const uint8_t *)full, strlen(full));
	snprintf(id, RC_NOTICE_ID_MAX + 1, "%.55s.%.8s", full, hex(hx, h, 4));
}

static json_t *draft_json(struct imp_rec *r, struct imp_draft *d, const char *id, const char *text,
			  const char *remedy, json_t *refs)
{
	char a[32], b[32];
	json_t *imp = json_pack("{s:s, s:s, s:s, s:O, s:O}", "source", r->source, "record", r->file,
				"cve", r->cve, "matches", d->matches, "notes", d->notes);
	json_t *t = json_pack("{s:s, s:s}", "vendor", d->vendor, "model", d->model);
	if (d->nhw) {
		json_t *hw = json_array();
		for (size_t i = 0; i < d->nhw; i++)
			json_array_append_new(hw, json_string(d->hw[i]));
		json_object_set_new(t, "hwrevs", hw);
	}
	if (d->nver) {
		json_t *v = json_array();
		for (size_t i = 0; i < d->nver; i++)
			json_array_append_new(v, json_string(d->ver[i]));
		json_object_set_new(t, "versions", v);
	}
	if (d->nrng) {
		json_t *g = json_array();
		for (size_t i = 0; i < d->nrng; i++)
			json_array_append_new(g, range_json(&d->rng[i]));
		json_object_set_new(t, "ranges", g);
	}
	int sev = r->severity >= 0 ? r->severity : r->o->severity;
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:{s:s}, s:o}", "_import", imp,
			 "id", id, "issued", fmt_time(a, r->o->issued), "expiry",
			 fmt_time(b, r->o->expiry), "action", rc_action_name(r->o->action),
			 "severity", rc_severity_name((unsigned)sev), "refs", refs, "text", text,
			 "remedy", "url", remedy, "target", t);
}

/* Load the draft back with the parser of 'recall notice create' and measure it; messages name
 * the draft `name`. */
static int check_draft(json_t *root, const char *name, uint64_t issued, size_t *len, size_t *room)
{
	struct jnotice j;
	if (!root || jnotice_parse(&j, root, name, issued) < 0)
		return -1;
	uint8_t buf[SIGNED_BUF];
	int err = notice_unsigned(&j.n, buf, len, room);
	jnotice_free(&j);
	return err ? -1 : 0;
}

/* The draft text s (n bytes) as the file name in out_dir would hold it, or into o->sink:
 * 0 written and checked, -1 not written, -2 written but it does not load (removed again). */
static int put_draft(struct imp_opts *o, const char *name, const char *path, const char *s,
		     size_t n, size_t *len, size_t *room)
{
	if (!o->sink) {
		if (file_write(path, s, n, 0644, !o->force) < 0)
			return -1;
		json_t *root = json_load_path(path);
		int bad = check_draft(root, path, o->issued, len, room);
		json_decref(root);
		if (bad)
			unlink(path);
		return bad ? -2 : 0;
	}
	if (!o->force && json_object_get(o->sink, name)) {
		warnx_("%s: already exists; not overwriting it", name);
		return -1;
	}
	json_t *root = json_load_buf(name, s, n);
	if (check_draft(root, name, o->issued, len, room) < 0) {
		json_decref(root);
		return -2;
	}
	json_object_set_new(o->sink, name, root);
	return 0;
}

static int write_draft(struct imp_rec *r, struct imp_draft *d, json_t *refs, const char *text,
		       const char *remedy, size_t nreport)
{
	struct imp_opts *o = r->o;
	char id[RC_NOTICE_ID_MAX + 1], name[RC_NOTICE_ID_MAX + 8], path[4096];
	make_id(id, r, d);
	snprintf(name, sizeof(name), "%s.json", id);
	for (char *p = name; *p; p++)
		if (*p == ':')
			*p = '_';
	snprintf(path, sizeof(path), "%s/%s", o->out_dir, name);
	json_t *j = draft_json(r, d, id, text, remedy, refs);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	size_t n = s ? strlen(s) : 0;
	if (s)
		s[n++] = '\n'; /* json_dumps leaves room for its NUL */
	size_t len = 0, room = 0;
	int ret = s ? put_draft(o, name, path, s, n, &len, &room) : -1;
	free(s);
	if (ret == -2) {
		imp_report(o, r->cve, ST_UNMAPPED, r->file, NULL,
			   "%s: the draft does not load as a notice (message above)", name);
		ret = -1;
	}
	if (ret < 0) {
		o->failed++;
		return -1;
	}
	o->drafts++;
	char hw[RC_HWREVS_MAX * (RC_HWREV_MAX + 1) + 16] = "";
	for (size_t i = 0; i < d->nhw; i++)
		snprintf(hw + strlen(hw), sizeof(hw) - strlen(hw), "%s%s", i ? "," : " hwrevs ",
			 d->hw[i]);
	imp_report(o, r->cve, ST_DRAFT, r->file, NULL,
		   "%s: %s/%s%s, %zu version%s, %zu range%s; %zu bytes unsigned, room for %zu "
		   "signatures",
		   name, d->vendor, d->model, hw, d->nver, d->nver == 1 ? "" : "s", d->nrng,
		   d->nrng == 1 ? "" : "s", len, room);
	for (size_t i = 0; i < nreport; i++)
		imp_report(o, r->cve, ST_NOTE, r->file, NULL, "%s: %s", name,
			   json_string_value(json_array_get(d->notes, i)));
	return 0;
}

int imp_rec_finish(struct imp_rec *r)
{
	struct imp_opts *o = r->o;
	int ret = 0;
	size_t nwrite = r->bad ? 0 : r->nd; /* a malformed record yields nothing */
	if (nwrite)
		siblings(r);
	size_t nrefs = json_array_size(r->refs);
	json_t **sorted = calloc(nrefs ? nrefs : 1, sizeof(*sorted));
	json_t *refs = json_array();
	json_array_append_new(refs, json_string(r->cve));
	const char *remedy = o->remedy_url, *advisory = NULL;
	for (size_t i = 0; sorted && i < nrefs; i++)
		sorted[i] = json_array_get(r->refs, i);
	if (sorted)
		qsort(sorted, nrefs, sizeof(*sorted), cmp_rank); /* ties keep record order */
	for (size_t i = 0; sorted && i < nrefs; i++) {
		const char *u = json_string_value(json_array_get(sorted[i], 1));
		if (json_array_size(refs) < o->max_refs)
			json_array_append_new(refs, json_string(u));
		if (!advisory && json_integer_value(json_array_get(sorted[i], 0)) == 0)
			advisory = u;
	}
	char cveorg[96];
	snprintf(cveorg, sizeof(cveorg), "https://www.cve.org/CVERecord?id=%s", r->cve);
	if (!remedy)
		remedy = advisory ? advisory : cveorg;
	char *text = make_text(r), no_severity[96];
	const char *no_advisory = "no vendor advisory in the record: remedy.url is the CVE record; "
				  "replace it with the vendor's fix (or --remedy-url)";
	snprintf(no_severity, sizeof(no_severity),
		 "no CVSS severity in the record: severity is --severity (%s)",
		 rc_severity_name((unsigned)o->severity));
	size_t written = 0;
	for (size_t i = 0; text && i < nwrite; i++) {
		struct imp_draft *d = &r->d[i];
		if (!d->nver && !d->nrng)
			continue; /* every match of it was reported unmapped */
		if (d->held) {
			imp_report(o, r->cve, ST_HELD, r->file, NULL,
				   "%s/%s: %s (no draft written; --keep-inconsistent writes it as "
				   "recorded)",
				   d->vendor, d->model, d->held);
			continue;
		}
		/* Notes about the whole record go into every draft but are reported once. */
		size_t nreport = json_array_size(d->notes);
		if (remedy == cveorg)
			imp_draft_note(d, "%s", no_advisory);
		if (r->severity < 0)
			imp_draft_note(d, "%s", no_severity);
		if (!d->mapped) {
			imp_draft_note(d, "vendor and model are the record's names: devices may "
					  "report others; --map FILE translates them");
			o->record_names++;
		}
		if (write_draft(r, d, refs, text, remedy, nreport) < 0)
			ret = -1;
		else
			written++;
	}
	if (written && remedy == cveorg)
		imp_report(o, r->cve, ST_NOTE, r->file, NULL, "%s", no_advisory);
	if (written && r->severity < 0)
		imp_report(o, r->cve, ST_NOTE, r->file, NULL, "%s", no_severity);
	free(text);
	free(sorted);
	json_decref(refs);
	for (size_t i = 0; i < r->nd; i++) {
		json_decref(r->d[i].matches);
		json_decref(r->d[i].notes);
		free(r->d[i].held);
	}
	free(r->d);
	free(r->desc);
	json_decref(r->refs);
	return ret;
}
