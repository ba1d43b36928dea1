/* Notices for people (notice_print) and programs (notice_to_json, the schema of
 * docs/NOTICE-JSON.md, so that 'recall notice create' accepts the output back). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "json_notice.h"
#include "recall/text.h"
#include "util.h"

static json_t *jstr(struct rc_str s)
{
	return json_stringn(s.p ? s.p : "", s.n);
}

static json_t *jtime(uint64_t t)
{
	char b[32];
	return json_string(fmt_time(b, t));
}

static const char *endpoint_str(char *out, size_t cap, const struct rc_endpoint *e)
{
	char a[INET6_ADDRSTRLEN];
	if (!inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(out, cap, "%s/%u", a, e->plen);
	return out;
}

static json_t *strs(const struct rc_str *s, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jstr(s[i]));
	return a;
}

json_t *notice_to_json(const struct rc_notice *n)
{
	const struct rc_target *t = &n->target;
	json_t *o = json_object(), *tg = json_object(), *rm = json_object();
	char buf[2 * RC_DIGEST_LEN + 1];
	json_object_set_new(o, "id", jstr(n->id));
	json_object_set_new(o, "issued", jtime(n->issued));
	json_object_set_new(o, "not_before", jtime(n->not_before));
	json_object_set_new(o, "expiry", jtime(n->expiry));
	json_object_set_new(o, "action", json_string(rc_action_name(n->action)));
	json_object_set_new(o, "severity", json_string(rc_severity_name(n->severity)));
	if (n->nrefs)
		json_object_set_new(o, "refs", strs(n->refs, n->nrefs));
	json_object_set_new(o, "text", jstr(n->text));
	json_object_set_new(rm, "url", jstr(n->remedy_url));
	if (n->nendpoints) {
		json_t *a = json_array();
		for (size_t i = 0; i < n->nendpoints; i++)
			json_array_append_new(
			    a, json_string(endpoint_str(buf, sizeof(buf), &n->endpoints[i])));
		json_object_set_new(rm, "endpoints", a);
	}
	json_object_set_new(o, "remedy", rm);
	json_object_set_new(tg, "vendor", jstr(t->vendor));
	json_object_set_new(tg, "model", jstr(t->model));
	if (t->nhwrevs)
		json_object_set_new(tg, "hwrevs", strs(t->hwrevs, t->nhwrevs));
	if (t->nversions)
		json_object_set_new(tg, "versions", strs(t->versions, t->nversions));
	if (t->nranges) {
		json_t *a = json_array();
		for (size_t i = 0; i < t->nranges; i++) {
			const struct rc_range *g = &t->ranges[i];
			json_t *r = json_object();
			const char *sn = rc_vscheme_name(g->scheme);
			json_object_set_new(r, "scheme", json_string(sn ? sn : "unknown"));
			if (g->lo.v.p) {
				json_object_set_new(r, "lo", jstr(g->lo.v));
				json_object_set_new(r, "lo_inclusive",
						    json_boolean(g->lo.inclusive));
			}
			if (g->hi.v.p) {
				json_object_set_new(r, "hi", jstr(g->hi.v));
				json_object_set_new(r, "hi_inclusive",
						    json_boolean(g->hi.inclusive));
			}
			json_array_append_new(a, r);
		}
		json_object_set_new(tg, "ranges", a);
	}
	if (t->has_built_from)
		json_object_set_new(tg, "built_from", jtime(t->built_from));
	if (t->has_built_before)
		json_object_set_new(tg, "built_before", jtime(t->built_before));
	if (t->ndigests) {
		json_t *a = json_array();
		for (size_t i = 0; i < t->ndigests; i++)
			json_array_append_new(a,
					      json_string(hex(buf, t->digests[i], RC_DIGEST_LEN)));
		json_object_set_new(tg, "digests", a);
	}
	json_object_set_new(o, "target", tg);
	return o;
}

static void list(const char *in, const char *label, const struct rc_str *s, size_t n)
{
	if (!n)
		return;
	printf("%s%-10s ", in, label);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", tsafen(s[i].p, s[i].n));
	putchar('\n');
}

void notice_print(const struct rc_notice *n, const char *in)
{
	const struct rc_target *t = &n->target;
	char a[32], b[32], c[32];
	printf("%s%-10s %.*s\n", in, "id", (int)n->id.n, n->id.p);
	printf("%s%-10s %.*s / %.*s\n", in, "target", (int)t->vendor.n, t->vendor.p,
	       (int)t->model.n, t->model.p);
	list(in, "hwrevs", t->hwrevs, t->nhwrevs);
	list(in, "versions", t->versions, t->nversions);
	for (size_t i = 0; i < t->nranges; i++) {
		const struct rc_range *g = &t->ranges[i];
		const char *sn = rc_vscheme_name(g->scheme);
		printf("%s%-10s %s %s%.*s, %.*s%s\n", in, "range", sn ? sn : "?",
		       g->lo.v.p && g->lo.inclusive ? "[" : "(", (int)g->lo.v.n,
		       g->lo.v.p ? g->lo.v.p : "", (int)g->hi.v.n, g->hi.v.p ? g->hi.v.p : "",
		       g->hi.v.p && g->hi.inclusive ? "]" : ")");
	}
	if (t->has_built_from || t->has_built_before)
		printf("%s%-10s from %s before %s\n", in, "built",
		       t->has_built_from ? fmt_time(a, t->built_from) : "any",
		       t->has_built_before ? fmt_time(b, t->built_before) : "any");
	char d[2 * RC_DIGEST_LEN + 1];
	for (size_t i = 0; i < t->ndigests; i++)
		printf("%s%-10s %s\n", in, "digest", hex(d, t->digests[i], RC_DIGEST_LEN));
	printf("%s%-10s %s, severity %s\n", in, "action", rc_action_name(n->action),
	       rc_severity_name(n->severity));
	printf("%s%-10s %s to %s (issued %s)\n", in, "valid", fmt_time(a, n->not_before),
	       fmt_time(b, n->expiry), fmt_time(c, n->issued));
	list(in, "refs", n->refs, n->nrefs);
	/* The text keeps its line breaks, each continued under the label with the same prefix
	 * (query's "[unverified]" included); everything else hostile is escaped. */
	static char text[RC_TEXT_SAFE_CAP(RC_TEXT_MAX)];
	rc_text_safe(text, sizeof(text), n->text.p, n->text.n, 0);
	printf("%s%-10s ", in, "text");
	for (const char *p = text; *p; p++) {
		putchar(*p);
		if (*p == '\n')
			printf("%s%-10s ", in, "");
	}
	putchar('\n');
	printf("%s%-10s %s\n", in, "remedy", tsafen(n->remedy_url.p, n->remedy_url.n));
	for (size_t i = 0; i < n->nendpoints; i++)
		printf("%s%-10s %s\n", in, "reachable",
		       endpoint_str(d, sizeof(d), &n->endpoints[i]));
}
