/* The JSON API for phone apps (jansson): the same data as the page. GET /api/devices,
 * GET /api/devices/<mac>, POST /api/devices/<mac>/<action>; errors are {"error": "..."} with an
 * HTTP status. Keys and enum values are the words of inventory.json and `recall-gate status
 * --json` (gate_*_name); "state_text" and "todo" are the page's words. Device and notice strings
 * pass rc_text_safe first (valid UTF-8, controls and bidi overrides visible), then jansson's own
 * escaping; an app must still treat them as untrusted. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "recall/notice.h"
#include "recall/text.h"
#include "web.h"

static json_t *jtext(const char *p, size_t n, bool oneline)
{
	char small[RC_TEXT_SAFE_CAP(GATE_VAL_MAX)];
	size_t cap = RC_TEXT_SAFE_CAP(n);
	char *buf = cap <= sizeof small ? small : malloc(cap);
	if (!buf)
		return json_null();
	size_t m = rc_text_safe(buf, cap, p ? p : "", p ? n : 0, oneline ? RC_TEXT_ONELINE : 0);
	json_t *j = json_stringn(buf, m);
	if (buf != small)
		free(buf);
	return j ? j : json_null();
}

static json_t *jstr(const char *s)
{
	return jtext(s, strlen(s), true);
}

static json_t *jrstr(struct rc_str v, bool oneline)
{
	return jtext(v.p, v.p ? v.n : 0, oneline);
}

static json_t *notice_json(struct web_ctx *w, const struct gate_device *d)
{
	struct rc_notice n;
	if (!d->notice_id[0])
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "id", jstr(d->notice_id));
	if (gate_notice_get(w->g, d->notice_id, &n) != 0) {
		json_object_set_new(o, "available", json_false());
		return o;
	}
	json_object_set_new(o, "available", json_true());
	json_object_set_new(o, "severity", json_string(rc_severity_name(n.severity)));
	json_object_set_new(o, "action", json_string(rc_action_name(n.action)));
	json_t *refs = json_array();
	for (size_t i = 0; i < n.nrefs && i < RC_REFS_MAX; i++)
		json_array_append_new(refs, jrstr(n.refs[i], true));
	json_object_set_new(o, "refs", refs);
	json_object_set_new(o, "text", jrstr(n.text, false));
	json_object_set_new(o, "remedy_url", jrstr(n.remedy_url, true));
	json_object_set_new(
	    o, "remedy_linkable",
	    json_boolean(n.remedy_url.p && web_url_linkable(n.remedy_url.p, n.remedy_url.n)));
	json_object_set_new(o, "not_after", json_integer((json_int_t)n.expiry));
	return o;
}

static json_t *device_json(struct web_ctx *w, const struct gate_device *d)
{
	char mac[18];
	web_mac_str(d->mac, mac);
	json_t *o = json_object();
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "mac_random", json_boolean(d->mac_random));
	const struct gate_val *nm = web_display_name(d);
	json_object_set_new(o, "name", nm ? jstr(nm->v) : json_string(mac));
	json_object_set_new(o, "first_seen", json_integer((json_int_t)d->first_seen));
	json_object_set_new(o, "last_seen", json_integer((json_int_t)d->last_seen));
	json_t *addrs = json_array();
	for (uint32_t i = 0; i < d->naddr && i < GATE_ADDRS_MAX; i++) {
		char a[64];
		web_addr_str(&d->addr[i], a, sizeof a);
		json_array_append_new(addrs, json_string(a));
	}
	json_object_set_new(o, "addresses", addrs);
	json_t *fields = json_object();
	for (unsigned f = 0; f < GF__N; f++) {
		if (d->f[f].src == GS_NONE)
			continue;
		json_t *v = json_object();
		json_object_set_new(v, "value", jstr(d->f[f].v));
		json_object_set_new(v, "source", json_string(gate_src_name(d->f[f].src)));
		json_object_set_new(v, "seen", json_integer((json_int_t)d->f[f].seen));
		json_object_set_new(fields, gate_field_name(f), v);
	}
	json_object_set_new(o, "fields", fields);
	json_t *id = json_object();
	json_object_set_new(id, "confidence", json_string(gate_conf_name(d->conf)));
	if (d->conf >= GATE_CONF_MODEL && d->id.vendor.p) {
		json_object_set_new(id, "vendor", jrstr(d->id.vendor, true));
		json_object_set_new(id, "model", jrstr(d->id.model, true));
		json_object_set_new(id, "hwrev", jrstr(d->id.hwrev, true));
		json_object_set_new(id, "fwver", jrstr(d->id.fwver, true));
	}
	json_object_set_new(o, "identity", id);
	json_object_set_new(o, "mapping", jstr(d->mapping));
	json_object_set_new(o, "state", json_string(gate_state_name(d->state)));
	json_object_set_new(o, "state_text", json_string(web_state_name(d->state)));
	json_object_set_new(o, "policy", json_string(gate_policy_name(d->policy)));
	json_object_set_new(o, "notice", notice_json(w, d));
	json_object_set_new(o, "todo", json_string(web_todo(d)));
	json_t *acts = json_array();
	for (int a = GATE_ACT_QUARANTINE; a <= GATE_ACT_ENFORCE; a++)
		if (web_action_offered(d, (enum gate_action)a))
			json_array_append_new(acts,
					      json_string(web_action_name((enum gate_action)a)));
	json_object_set_new(o, "actions", acts);
	json_object_set_new(o, "checked", json_integer((json_int_t)d->checked));
	return o;
}

static void send_json(struct web_resp *r, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(1) | JSON_ESCAPE_SLASH) : NULL;
	json_decref(j);
	if (!s) {
		r->status = 500;
		r->ctype = "application/json";
		wb_puts(&r->body, "{\"error\": \"out of memory\"}\n");
		return;
	}
	r->status = status;
	r->ctype = "application/json";
	wb_puts(&r->body, s);
	wb_puts(&r->body, "\n");
	free(s);
}

void web_api_devices(struct web_ctx *w, const uint8_t *mac, struct web_resp *r)
{
	if (mac) {
		const struct gate_device *d = gate_inv_find(w->g->inv, mac);
		if (!d) {
			web_api_error(r, 404, "no device with that MAC address");
			return;
		}
		json_t *o = json_object();
		json_object_set_new(o, "device", device_json(w, d));
		send_json(r, 200, o);
		return;
	}
	json_t *arr = json_array();
	size_t n = gate_inv_count(w->g->inv);
	for (size_t i = 0; i < n; i++) {
		const struct gate_device *d = gate_inv_at(w->g->inv, i);
		if (d)
			json_array_append_new(arr, device_json(w, d));
	}
	json_t *o = json_object();
	json_object_set_new(o, "devices", arr);
	send_json(r, 200, o);
}

void web_api_error(struct web_resp *r, unsigned status, const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", jstr(msg));
	json_object_set_new(o, "status", json_integer(status));
	send_json(r, status, o);
}
