/* The owner's page: server-side HTML with inline CSS, no script and no external asset (it must
 * work while the Internet is blocked), readable on a phone. Every string a device or a notice
 * supplied goes through wb_html(); a URL becomes a link only when web_url_linkable() accepts it,
 * else it is shown as text. Forms post to /device/<mac>/<action> with the session's CSRF token. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "recall/notice.h"
#include "web.h"

const char web_css[] =
    "body{font:16px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f4;color:#111}"
    "header{background:#223;color:#fff;padding:.6em 1em;display:flex;flex-wrap:wrap;"
    "align-items:center;justify-content:space-between}"
    "h1{font-size:1.2em;margin:0}main{padding:.5em;max-width:60em;margin:auto}"
    ".dev{background:#fff;border-left:.4em solid #999;margin:.6em 0;padding:.6em .8em;"
    "border-radius:.3em}"
    ".dev h2{font-size:1.05em;margin:0 0 .4em}"
    ".badge{display:inline-block;padding:.05em .5em;border-radius:1em;color:#fff;"
    "background:#777;font-size:.85em;margin-left:.3em}"
    ".st-clear{border-color:#2a7}.st-clear .badge{background:#2a7}"
    ".st-possible{border-color:#d90}.st-possible .badge{background:#b70}"
    ".st-recalled,.st-quarantined,.st-agentq{border-color:#c22}"
    ".st-recalled .badge,.st-quarantined .badge,.st-agentq .badge{background:#c22}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:.3em 0}"
    "dt{color:#555}dd{margin:0}.src{color:#666;font-size:.85em}"
    ".name,dd,.val,.notice{overflow-wrap:anywhere}"
    "table{border-collapse:collapse;font-size:.9em}td,th{border-bottom:1px solid #ddd;"
    "padding:.15em .4em;text-align:left;vertical-align:top}"
    ".notice{background:#fff4f4;padding:.4em .6em;margin:.4em 0;white-space:pre-wrap}"
    ".todo{font-weight:600}.act{display:flex;flex-wrap:wrap;gap:.4em}.act form{margin:0}"
    "button{font-size:1em;padding:.35em .8em}input{font-size:1em;padding:.3em;max-width:11em}"
    ".flash{background:#ffd;padding:.5em 1em;margin:.5em}"
    "@media(max-width:30em){dl{grid-template-columns:1fr}dt{margin-top:.3em}}";

static void head(struct wbuf *b, const char *title)
{
	wb_puts(b,
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
	wb_html(b, title, strlen(title), true);
	wb_puts(b, "</title><style>");
	wb_puts(b, web_css); /* exactly these bytes: the CSP allows them by hash */
	wb_puts(b, "</style></head><body>\n");
}

static void text(struct wbuf *b, const char *s)
{
	wb_html(b, s, strlen(s), true);
}

void web_page_login(struct web_resp *r, unsigned status, const char *msg)
{
	r->status = status;
	head(&r->body, "recall-gate: log in");
	wb_puts(&r->body, "<header><h1>recall-gate</h1></header><main>");
	if (msg && *msg) {
		wb_puts(&r->body, "<p class=\"flash\" id=\"msg\">");
		text(&r->body, msg);
		wb_puts(&r->body, "</p>");
	}
	wb_puts(
	    &r->body,
	    "<form method=\"post\" action=\"/login\" class=\"dev\"><label>Owner password "
	    "<input type=\"password\" name=\"password\" id=\"password\" autofocus "
	    "autocomplete=\"current-password\" maxlength=\"128\"></label> "
	    "<button type=\"submit\" id=\"login\">Log in</button></form></main></body></html>\n");
}

void web_page_message(struct web_resp *r, unsigned status, const char *title, const char *msg)
{
	r->status = status;
	head(&r->body, title);
	wb_puts(&r->body, "<header><h1>");
	text(&r->body, title);
	wb_puts(&r->body, "</h1></header><main><p class=\"flash\" id=\"msg\">");
	text(&r->body, msg);
	wb_puts(&r->body,
		"</p><p><a href=\"/\">Back to the devices</a></p></main></body></html>\n");
}

/* "2026-12-03 15:40 UTC", or "never" for 0 */
static void when(struct wbuf *b, uint64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;
	if (t == 0 || !gmtime_r(&tt, &tm) || !strftime(s, sizeof s, "%Y-%m-%d %H:%M UTC", &tm))
		wb_puts(b, "never");
	else
		wb_puts(b, s);
}

static const char *state_class(enum gate_state st)
{
	switch (st) {
	case GATE_ST_CLEAR:
		return "st-clear";
	case GATE_ST_POSSIBLE:
		return "st-possible";
	case GATE_ST_RECALLED:
		return "st-recalled";
	case GATE_ST_QUARANTINED:
		return "st-quarantined";
	case GATE_ST_AGENT_QUAR:
		return "st-agentq";
	case GATE_ST_UNCHECKED:
		break;
	}
	return "st-unchecked";
}

static void form(struct wbuf *b, const char *mac, const char *act, const char *label,
		 const struct web_session *s, bool fw)
{
	wb_printf(b, "<form method=\"post\" action=\"/device/%s/%s\">", mac, act);
	wb_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", s->csrf);
	if (fw)
		wb_puts(b, "<input name=\"fwver\" required maxlength=\"64\" "
			   "placeholder=\"firmware version\" aria-label=\"firmware version\"> ");
	wb_printf(b, "<button type=\"submit\" name=\"do\" value=\"%s\">%s</button></form>", act,
		  label);
}

static void rstr(struct wbuf *b, struct rc_str v, bool oneline)
{
	if (v.p)
		wb_html(b, v.p, v.n, oneline);
}

static void notice_block(struct web_ctx *w, struct wbuf *b, const struct gate_device *d)
{
	struct rc_notice n;
	if (!d->notice_id[0])
		return;
	wb_puts(b, "<div class=\"notice\"><b>Notice ");
	text(b, d->notice_id);
	wb_puts(b, "</b>");
	if (gate_notice_get(w->g, d->notice_id, &n) != 0) {
		wb_puts(b, " (its text is not available)</div>");
		return;
	}
	wb_printf(b, " &middot; severity %s &middot; %s", rc_severity_name(n.severity),
		  rc_action_name(n.action));
	for (size_t i = 0; i < n.nrefs && i < RC_REFS_MAX; i++) {
		wb_puts(b, i ? ", " : " &middot; ");
		rstr(b, n.refs[i], true);
	}
	wb_puts(b, "\n");
	rstr(b, n.text, false);
	if (n.remedy_url.p && n.remedy_url.n) {
		wb_puts(b, "\nRemedy: ");
		if (web_url_linkable(n.remedy_url.p, n.remedy_url.n)) {
			wb_puts(b, "<a class=\"remedy\" rel=\"noreferrer noopener\" href=\"");
			rstr(b, n.remedy_url, true);
			wb_puts(b, "\">");
			rstr(b, n.remedy_url, true);
			wb_puts(b, "</a>");
		} else {
			rstr(b, n.remedy_url, true);
			wb_puts(b, " (not a web link)");
		}
	}
	wb_puts(b, "</div>");
}

static void device(struct web_ctx *w, struct wbuf *b, const struct gate_device *d,
		   const struct web_session *s)
{
	char mac[18], hexid[13];
	web_mac_str(d->mac, mac);
	snprintf(hexid, sizeof hexid, "%02x%02x%02x%02x%02x%02x", d->mac[0], d->mac[1], d->mac[2],
		 d->mac[3], d->mac[4], d->mac[5]);
	wb_printf(b,
		  "<section class=\"dev %s\" id=\"d-%s\" data-mac=\"%s\"><h2><span class=\"name\">",
		  state_class(d->state), hexid, mac);
	const struct gate_val *nm = web_display_name(d);
	text(b, nm ? nm->v : mac);
	wb_printf(b, "</span><span class=\"badge state\">%s</span></h2><dl>",
		  web_state_name(d->state));
	wb_printf(b, "<dt>MAC</dt><dd class=\"mac\">%s%s</dd><dt>Addresses</dt><dd>", mac,
		  d->mac_random ? " (randomised)" : "");
	for (uint32_t i = 0; i < d->naddr && i < GATE_ADDRS_MAX; i++) {
		char a[64];
		web_addr_str(&d->addr[i], a, sizeof a);
		wb_printf(b, "%s%s", i ? ", " : "", a);
	}
	if (d->naddr == 0)
		wb_puts(b, "none seen");
	wb_puts(b, "</dd><dt>Last seen</dt><dd>");
	when(b, d->last_seen);
	wb_puts(b, "</dd><dt>Identity</dt><dd class=\"identity\">");
	if (d->conf >= GATE_CONF_MODEL && d->id.vendor.p) {
		rstr(b, d->id.vendor, true);
		wb_puts(b, " / ");
		rstr(b, d->id.model, true);
		if (d->id.hwrev.n) {
			wb_puts(b, " rev ");
			rstr(b, d->id.hwrev, true);
		}
		if (d->id.fwver.n) {
			wb_puts(b, " firmware ");
			rstr(b, d->id.fwver, true);
		}
	} else {
		wb_puts(b, "not known");
	}
	wb_printf(b, " <span class=\"src\">(confidence: %s)</span></dd>", web_conf_name(d->conf));
	if (d->mapping[0]) {
		wb_puts(b, "<dt>Names mapped</dt><dd>");
		text(b, d->mapping);
		wb_puts(b, "</dd>");
	}
	wb_printf(b, "<dt>Policy</dt><dd class=\"policy\">%s</dd><dt>Checked</dt><dd>",
		  web_policy_name(d->policy));
	when(b, d->checked);
	wb_puts(b, "</dd></dl>");

	wb_puts(b, "<details><summary>What the network says about it</summary><table>"
		   "<tr><th>field</th><th>value</th><th>source</th></tr>");
	for (unsigned f = 0; f < GF__N; f++) {
		if (d->f[f].src == GS_NONE)
			continue;
		wb_printf(b, "<tr><td>%s</td><td class=\"val\">", web_field_name(f));
		text(b, d->f[f].v);
		wb_printf(b, "</td><td class=\"src\">%s</td></tr>", web_src_name(d->f[f].src));
	}
	wb_puts(b, "</table></details>");
	notice_block(w, b, d);
	wb_puts(b, "<p class=\"todo\">");
	text(b, web_todo(d));
	wb_puts(b, "</p><div class=\"act\">");
	static const char *const label[] = {
	    "",       "Quarantine", "Release", "Confirm firmware", "Always allow", "Notify only",
	    "Enforce"};
	for (int a = GATE_ACT_QUARANTINE; a <= GATE_ACT_ENFORCE; a++)
		if (web_action_offered(d, (enum gate_action)a))
			form(b, mac, web_action_name((enum gate_action)a), label[a], s,
			     a == GATE_ACT_CONFIRM_FW);
	wb_puts(b, "</div></section>\n");
}

void web_page_devices(struct web_ctx *w, struct web_session *s, struct web_resp *r)
{
	struct wbuf *b = &r->body;
	size_t n = gate_inv_count(w->g->inv);
	size_t count[GATE_ST_AGENT_QUAR + 1] = {0};
	for (size_t i = 0; i < n; i++) {
		const struct gate_device *d = gate_inv_at(w->g->inv, i);
		if (d && (unsigned)d->state <= GATE_ST_AGENT_QUAR)
			count[d->state]++;
	}
	r->status = 200;
	head(b, "recall-gate: devices");
	wb_puts(b, "<header><h1>Devices on this network</h1>");
	wb_printf(b,
		  "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" "
		  "value=\"%s\"><button type=\"submit\" id=\"logout\">Log out</button></form>"
		  "</header>",
		  s->csrf);
	if (s->flash[0]) {
		wb_puts(b, "<p class=\"flash\" id=\"msg\">");
		text(b, s->flash);
		wb_puts(b, "</p>");
		s->flash[0] = '\0';
	}
	wb_printf(b,
		  "<main><p id=\"summary\">%zu devices: %zu recalled, %zu quarantined, %zu "
		  "possibly affected, %zu clear, %zu not checked.</p>\n",
		  n, count[GATE_ST_RECALLED],
		  count[GATE_ST_QUARANTINED] + count[GATE_ST_AGENT_QUAR], count[GATE_ST_POSSIBLE],
		  count[GATE_ST_CLEAR], count[GATE_ST_UNCHECKED]);
	for (size_t i = 0; i < n; i++) {
		const struct gate_device *d = gate_inv_at(w->g->inv, i);
		if (d)
			device(w, b, d, s);
	}
	wb_puts(b, "</main></body></html>\n");
}
