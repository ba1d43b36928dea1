/* Notice descriptions in JSON (docs/NOTICE-JSON.md). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_notice.h"
#include "util.h"

/* Parsing context: the file for messages and the path of the object being read. */
struct jc {
	const char *file;
	const char *path; /* "" at the top */
};

static int bad(const struct jc *c, const char *key, const char *fmt, ...) RC_PRINTF(3, 4);

static int bad(const struct jc *c, const char *key, const char *fmt, ...)
{
	char reason[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Keys and values quoted from the file: warnx_ keeps them on one line, escaped. */
	warnx_("%s: %s%s%s: %s", c->file, c->path, *c->path && *key ? "." : "", key, reason);
	return -1;
}

/* Every key of o must be in allowed (NULL-terminated); keys starting with '_' are comments. */
static int keys_ok(const struct jc *c, json_t *o, const char *const *allowed)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (k[0] == '_')
			continue;
		const char *const *a = allowed;
		while (*a && strcmp(*a, k))
			a++;
		if (!*a) {
			char list[256] = "";
			for (a = allowed; *a; a++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 a == allowed ? "" : ", ", *a);
			return bad(c, k, "unknown field (known here: %s)", list);
		}
	}
	return 0;
}

/* v as a string: jansson allows NUL characters inside, a notice does not. */
static int str_value(const struct jc *c, const char *key, json_t *v, struct rc_str *s)
{
	if (!json_is_string(v))
		return bad(c, key, "expected a string");
	s->p = json_string_value(v);
	s->n = json_string_length(v);
	if (strlen(s->p) != s->n)
		return bad(c, key, "contains a NUL character");
	return 0;
}

/* A string member (NULL view if absent and optional). */
static int get_str(const struct jc *c, json_t *o, const char *key, bool req, struct rc_str *s)
{
	json_t *v = json_object_get(o, key);
	*s = (struct rc_str){NULL, 0};
	if (!v)
		return req ? bad(c, key, "missing (required)") : 0;
	return str_value(c, key, v, s);
}

/* A time member: POSIX seconds or a date/time string. Returns 1 if present. */
static int get_time(const struct jc *c, json_t *o, const char *key, bool req, uint64_t *t)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return req ? bad(c, key, "missing (required)") : 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*t = (uint64_t)json_integer_value(v);
		return 1;
	}
	if (json_is_string(v) && parse_time(json_string_value(v), t) == 0)
		return 1;
	return bad(c, key, "expected POSIX seconds or a UTC time like \"2024-05-01T00:00:00Z\"");
}

/* An array member with 1..max elements (NULL if absent). */
static int get_array(const struct jc *c, json_t *o, const char *key, size_t max, json_t **a)
{
	*a = json_object_get(o, key);
	if (!*a)
		return 0;
	if (!json_is_array(*a))
		return bad(c, key, "expected an array");
	if (json_array_size(*a) == 0)
		return bad(c, key, "empty array (leave the field out instead)");
	if (json_array_size(*a) > max)
		return bad(c, key, "%zu entries, at most %zu allowed", json_array_size(*a), max);
	return 0;
}

/* Element i of an array of strings. */
static int elem_str(const struct jc *c, json_t *a, const char *key, size_t i, struct rc_str *s)
{
	char k[64];
	snprintf(k, sizeof(k), "%s[%zu]", key, i);
	return str_value(c, k, json_array_get(a, i), s);
}

/* Text without control characters (tabs and line breaks allowed where tabs_ok). */
static bool printable(struct rc_str s, bool tabs_ok)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char b = (unsigned char)s.p[i];
		if ((b < 0x20 || b == 0x7f) && !(tabs_ok && (b == '\t' || b == '\n')))
			return false;
	}
	return true;
}

/* A vendor/model/hwrev name: kept if already canonical, else canonicalised into out. */
static int name(const struct jc *c, const char *key, struct rc_str in, char *out, size_t max,
		struct rc_str *res)
{
	if (rc_name_valid(in, max, false)) {
		memcpy(out, in.p, in.n);
		out[in.n] = 0;
	} else {
		int n = rc_name_canon(out, RC_NAME_MAX + 1, in.p, in.n);
		if (n == 0)
			return bad(c, key, "empty name");
		if (n < 0 || (size_t)n > max)
			return bad(c, key, "longer than %zu bytes in canonical form (\"%.*s\")",
				   max, (int)in.n, in.p);
	}
	*res = rc_str_c(out);
	return 0;
}

static int fwver(const struct jc *c, const char *key, struct rc_str v)
{
	if (!rc_fwver_valid(v))
		return bad(
		    c, key,
		    "not a firmware version (1..64 printable ASCII bytes, no space at either "
		    "end): \"%.*s\"",
		    (int)v.n, v.p);
	return 0;
}

static int range(const struct jc *c0, json_t *o, size_t i, struct rc_range *g)
{
	static const char *const keys[] = {"scheme", "lo",           "lo_inclusive",
					   "hi",     "hi_inclusive", NULL};
	char path[96];
	snprintf(path, sizeof(path), "%s.ranges[%zu]", c0->path, i);
	struct jc c = {c0->file, path};
	if (!json_is_object(o))
		return bad(c0, path + strlen(c0->path) + 1, "expected an object");
	if (keys_ok(&c, o, keys) < 0)
		return -1;
	struct rc_str s;
	if (get_str(&c, o, "scheme", false, &s) < 0)
		return -1;
	int sc = s.p ? rc_vscheme_parse(s.p) : RC_VS_GENERIC;
	if (sc < 0)
		return bad(&c, "scheme", "unknown scheme \"%s\" (generic, dpkg or rpm)", s.p);
	g->scheme = (uint8_t)sc;
	if (get_str(&c, o, "lo", false, &g->lo.v) < 0 || get_str(&c, o, "hi", false, &g->hi.v) < 0)
		return -1;
	if (!g->lo.v.p && !g->hi.v.p)
		return bad(c0, path + strlen(c0->path) + 1, "needs \"lo\", \"hi\" or both");
	if ((g->lo.v.p && fwver(&c, "lo", g->lo.v) < 0) ||
	    (g->hi.v.p && fwver(&c, "hi", g->hi.v) < 0))
		return -1;
	const char *incl[] = {"lo_inclusive", "hi_inclusive"};
	bool *flag[] = {&g->lo.inclusive, &g->hi.inclusive};
	*flag[0] = true; /* [lo, hi): the usual "from ... up to but not including" */
	*flag[1] = false;
	for (int k = 0; k < 2; k++) {
		json_t *v = json_object_get(o, incl[k]);
		if (v && !json_is_boolean(v))
			return bad(&c, incl[k], "expected true or false");
		if (v && !(k ? g->hi.v.p : g->lo.v.p))
			return bad(&c, incl[k], "given without \"%s\"", k ? "hi" : "lo");
		if (v)
			*flag[k] = json_is_true(v);
	}
	return 0;
}

static int target(struct jnotice *j, const struct jc *c0, json_t *o)
{
	static const char *const keys[] = {"vendor",       "model",   "hwrevs",
					   "versions",     "ranges",  "built_from",
					   "built_before", "digests", NULL};
	struct jc c = {c0->file, "target"};
	struct rc_target *t = &j->n.target;
	if (!json_is_object(o))
		return bad(c0, "target", "expected an object");
	if (keys_ok(&c, o, keys) < 0)
		return -1;
	struct rc_str s;
	if (get_str(&c, o, "vendor", true, &s) < 0 ||
	    name(&c, "vendor", s, j->vendor, RC_NAME_MAX, &t->vendor) < 0 ||
	    get_str(&c, o, "model", true, &s) < 0 ||
	    name(&c, "model", s, j->model, RC_NAME_MAX, &t->model) < 0)
		return -1;
	json_t *a;
	char k[64];
	if (get_array(&c, o, "hwrevs", RC_HWREVS_MAX, &a) < 0)
		return -1;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		snprintf(k, sizeof(k), "hwrevs[%zu]", i);
		if (elem_str(&c, a, "hwrevs", i, &s) < 0)
			return -1;
		/* "" names a device that states no revision (PROTOCOL.md 9.1): kept as it is */
		if (s.n == 0) {
			j->hwrevs[i][0] = '\0';
			t->hwrevs[i] = rc_str_c(j->hwrevs[i]);
		} else if (name(&c, k, s, j->hwrevs[i], RC_HWREV_MAX, &t->hwrevs[i]) < 0) {
			return -1;
		}
		t->nhwrevs++;
	}
	if (get_array(&c, o, "versions", RC_VERSIONS_MAX, &a) < 0)
		return -1;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		snprintf(k, sizeof(k), "versions[%zu]", i);
		if (elem_str(&c, a, "versions", i, &t->versions[i]) < 0 ||
		    fwver(&c, k, t->versions[i]) < 0)
			return -1;
		t->nversions++;
	}
	if (get_array(&c, o, "ranges", RC_RANGES_MAX, &a) < 0)
		return -1;
	for (size_t i = 0; a && i < json_array_size(a); i++, t->nranges++)
		if (range(&c, json_array_get(a, i), i, &t->ranges[i]) < 0)
			return -1;
	int r1 = get_time(&c, o, "built_from", false, &t->built_from);
	if (r1 < 0)
		return -1; /* one message: the first bad field */
	int r2 = get_time(&c, o, "built_before", false, &t->built_before);
	if (r2 < 0)
		return -1;
	t->has_built_from = r1 > 0;
	t->has_built_before = r2 > 0;
	if (r1 > 0 && r2 > 0 && t->built_from >= t->built_before)
		return bad(&c, "built_before", "must be after built_from");
	if (get_array(&c, o, "digests", RC_DIGESTS_MAX, &a) < 0)
		return -1;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		snprintf(k, sizeof(k), "digests[%zu]", i);
		if (elem_str(&c, a, "digests", i, &s) < 0)
			return -1;
		if (unhex(j->digests[i], RC_DIGEST_LEN, s.p) < 0)
			return bad(&c, k, "expected a SHA-256 digest (64 hex digits)");
		t->digests[i] = j->digests[i];
		t->ndigests++;
	}
	if (!t->nversions && !t->nranges && !t->has_built_from && !t->has_built_before &&
	    !t->ndigests)
		return bad(c0, "target",
			   "names no builds: give versions, ranges, built_from/built_before or "
			   "digests");
	return 0;
}

static int endpoint(const struct jc *c, const char *key, struct rc_str s, struct rc_endpoint *e)
{
	char buf[64];
	if (s.n >= sizeof(buf))
		return bad(c, key, "not an address or prefix");
	memcpy(buf, s.p, s.n + 1);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(e, 0, sizeof(*e));
	if (inet_pton(AF_INET, buf, e->addr) == 1)
		e->family = 4;
	else if (inet_pton(AF_INET6, buf, e->addr) == 1)
		e->family = 6;
	else
		return bad(c, key, "not an IPv4 or IPv6 address: \"%s\"", buf);
	uint64_t max = e->family == 4 ? 32 : 128, plen = max;
	if (slash && (parse_u64(slash + 1, &plen) < 0 || plen > max))
		return bad(c, key, "prefix length must be 0..%" PRIu64, max);
	e->plen = (uint8_t)plen;
	return 0;
}

static int remedy(struct jnotice *j, const struct jc *c0, json_t *o)
{
	static const char *const keys[] = {"url", "endpoints", NULL};
	struct jc c = {c0->file, "remedy"};
	if (!json_is_object(o))
		return bad(c0, "remedy", "expected an object");
	if (keys_ok(&c, o, keys) < 0 || get_str(&c, o, "url", true, &j->n.remedy_url) < 0)
		return -1;
	struct rc_str u = j->n.remedy_url;
	if (u.n < 1 || u.n > RC_URL_MAX)
		return bad(&c, "url", "must be 1..%d bytes", RC_URL_MAX);
	for (size_t i = 0; i < u.n; i++)
		if (u.p[i] <= 0x20 || u.p[i] >= 0x7f)
			return bad(&c, "url", "must be printable ASCII without spaces");
	json_t *a;
	if (get_array(&c, o, "endpoints", RC_ENDPOINTS_MAX, &a) < 0)
		return -1;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		char k[32];
		struct rc_str s;
		snprintf(k, sizeof(k), "endpoints[%zu]", i);
		if (elem_str(&c, a, "endpoints", i, &s) < 0 ||
		    endpoint(&c, k, s, &j->n.endpoints[i]) < 0)
			return -1;
		j->n.nendpoints++;
	}
	return 0;
}

static int top(struct jnotice *j, const struct jc *c, json_t *o, uint64_t now)
{
	static const char *const keys[] = {"id",     "issued",   "not_before", "expiry",
					   "action", "severity", "refs",       "text",
					   "remedy", "target",   NULL};
	struct rc_notice *n = &j->n;
	if (!json_is_object(o))
		return bad(c, "notice", "expected a JSON object");
	if (keys_ok(c, o, keys) < 0 || get_str(c, o, "id", true, &n->id) < 0)
		return -1;
	if (n->id.n < 1 || n->id.n > RC_NOTICE_ID_MAX)
		return bad(c, "id", "must be 1..%d bytes", RC_NOTICE_ID_MAX);
	for (size_t i = 0; i < n->id.n; i++) {
		char ch = n->id.p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("._:-", ch)))
			return bad(c, "id", "character '%c' not allowed (A-Z a-z 0-9 . _ : -)", ch);
	}
	int r = get_time(c, o, "issued", false, &n->issued);
	if (r < 0)
		return -1;
	if (r == 0)
		n->issued = now;
	r = get_time(c, o, "not_before", false, &n->not_before);
	if (r < 0)
		return -1;
	if (r == 0)
		n->not_before = n->issued;
	if (get_time(c, o, "expiry", true, &n->expiry) < 0)
		return -1;
	if (n->expiry < n->issued || n->expiry <= n->not_before)
		return bad(c, "expiry", "must be after issued and not_before");
	struct rc_str s;
	if (get_str(c, o, "action", true, &s) < 0)
		return -1;
	if (!strcmp(s.p, "quarantine"))
		n->action = RC_ACTION_QUARANTINE;
	else if (!strcmp(s.p, "notify"))
		n->action = RC_ACTION_NOTIFY;
	else
		return bad(c, "action", "\"quarantine\" or \"notify\", not \"%s\"", s.p);
	if (get_str(c, o, "severity", true, &s) < 0)
		return -1;
	int sev = rc_severity_parse(s.p);
	if (sev < 0)
		return bad(c, "severity", "none, low, medium, high or critical, not \"%s\"", s.p);
	n->severity = (uint8_t)sev;
	json_t *a;
	if (get_array(c, o, "refs", RC_REFS_MAX, &a) < 0)
		return -1;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		char k[32];
		snprintf(k, sizeof(k), "refs[%zu]", i);
		if (elem_str(c, a, "refs", i, &n->refs[i]) < 0)
			return -1;
		if (n->refs[i].n < 1 || n->refs[i].n > RC_REF_MAX || !printable(n->refs[i], false))
			return bad(c, k, "must be 1..%d bytes without control characters",
				   RC_REF_MAX);
		n->nrefs++;
	}
	if (get_str(c, o, "text", true, &n->text) < 0)
		return -1;
	if (n->text.n > RC_TEXT_MAX)
		return bad(c, "text", "%zu bytes, at most %d", n->text.n, RC_TEXT_MAX);
	if (!printable(n->text, true))
		return bad(c, "text", "control character (only tab and line break allowed)");
	json_t *v = json_object_get(o, "remedy");
	if (!v)
		return bad(c, "remedy", "missing (required)");
	if (remedy(j, c, v) < 0)
		return -1;
	v = json_object_get(o, "target");
	if (!v)
		return bad(c, "target", "missing (required)");
	return target(j, c, v);
}

json_t *json_load_path(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (!j && e.line > 0)
		warnx_("%s: line %d, column %d: %s", path, e.line, e.column, e.text);
	else if (!j)
		warnx_("%s: %s", path, e.text);
	return j;
}

json_t *json_load_buf(const char *name, const void *buf, size_t len)
{
	json_error_t e;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (!j && e.line > 0)
		warnx_("%s: line %d, column %d: %s", name, e.line, e.column, e.text);
	else if (!j)
		warnx_("%s: %s", name, e.text);
	return j;
}

int jnotice_parse(struct jnotice *j, json_t *root, const char *name, uint64_t now)
{
	memset(j, 0, sizeof(*j));
	j->root = json_incref(root);
	struct jc c = {name, ""};
	if (top(j, &c, j->root, now) < 0) {
		jnotice_free(j);
		return -1;
	}
	struct rc_diag d = {0, NULL};
	int err = rc_notice_validate(&j->n, &d);
	if (err) {
		warnx_("%s: %s: %s", name, d.field ? d.field : "notice",
		       err == RC_ERR_TOOLONG ? "the encoded notice is too long for one answer; "
					       "shorten text, refs or lists"
					     : rc_strerror(err));
		jnotice_free(j);
		return -1;
	}
	return 0;
}

int jnotice_load(struct jnotice *j, const char *path, uint64_t now)
{
	memset(j, 0, sizeof(*j));
	json_t *root = json_load_path(path);
	if (!root)
		return -1;
	int r = jnotice_parse(j, root, path, now);
	json_decref(root);
	return r;
}

void jnotice_free(struct jnotice *j)
{
	json_decref(j->root);
	memset(j, 0, sizeof(*j));
}
