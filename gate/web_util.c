/* Helpers of the web part: the output buffer, HTML escaping, the link check for URLs, and the
 * names the page and the API share for states, sources and fields. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall/text.h"
#include "parse.h"
#include "web.h"

void wb_put(struct wbuf *b, const char *s, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (b->cap - b->len < n + 1) {
		size_t ncap = b->cap ? b->cap : 4096;
		while (ncap - b->len < n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void wb_puts(struct wbuf *b, const char *s)
{
	wb_put(b, s, strlen(s));
}

void wb_printf(struct wbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		wb_put(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	wb_put(b, big, (size_t)n);
	free(big);
}

void wb_html(struct wbuf *b, const char *s, size_t n, bool oneline)
{
	/* Chunks of input keep the stack buffer bounded; a chunk boundary inside a UTF-8
	 * sequence would split it, so chunks end before a continuation byte. */
	char safe[RC_TEXT_SAFE_CAP(256)];
	while (n > 0) {
		size_t k = n < 256 ? n : 256;
		while (k < n && k > 1 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		size_t m = rc_text_safe(safe, sizeof safe, s, k, oneline ? RC_TEXT_ONELINE : 0);
		size_t run = 0;
		for (size_t i = 0; i < m; i++) {
			const char *ent = NULL;
			switch (safe[i]) {
			case '&':
				ent = "&amp;";
				break;
			case '<':
				ent = "&lt;";
				break;
			case '>':
				ent = "&gt;";
				break;
			case '"':
				ent = "&quot;";
				break;
			case '\'':
				ent = "&#39;";
				break;
			default:
				continue;
			}
			wb_put(b, safe + run, i - run);
			wb_puts(b, ent);
			run = i + 1;
		}
		wb_put(b, safe + run, m - run);
		s += k;
		n -= k;
	}
}

bool web_url_linkable(const char *url, size_t n)
{
	if (n == 0 || n > RC_URL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' ||
		    c == '\\' || c == '`')
			return false;
	}
	char tmp[RC_URL_MAX + 1];
	memcpy(tmp, url, n);
	tmp[n] = '\0';
	/* Scheme, host and port as the fetch policies parse them (gate/url.c); only http(s)
	 * with a host is a link. */
	char err[128];
	return gate_url_check_link(tmp, err, sizeof(err)) == 0;
}

const char *web_state_name(enum gate_state st)
{
	switch (st) {
	case GATE_ST_UNCHECKED:
		return "not checked";
	case GATE_ST_CLEAR:
		return "clear";
	case GATE_ST_POSSIBLE:
		return "possibly affected";
	case GATE_ST_RECALLED:
		return "recalled";
	case GATE_ST_QUARANTINED:
		return "quarantined";
	case GATE_ST_AGENT_QUAR:
		return "agent quarantined";
	}
	return "unknown";
}

const char *web_conf_name(enum gate_conf c)
{
	switch (c) {
	case GATE_CONF_UNKNOWN:
		return "unknown";
	case GATE_CONF_MODEL:
		return "model only";
	case GATE_CONF_DESCRIBED:
		return "described";
	case GATE_CONF_DECLARED:
		return "declared";
	}
	return "unknown";
}

const char *web_policy_name(enum gate_policy p)
{
	switch (p) {
	case GATE_POL_ENFORCE:
		return "enforce";
	case GATE_POL_NOTIFY:
		return "notify only";
	case GATE_POL_ALLOW:
		return "always allow";
	}
	return "unknown";
}

const char *web_src_name(unsigned src)
{
	static const char *const n[GS__N] = {
	    "none",     "neighbour table", "DHCP", "DHCPv6", "mDNS", "SSDP", "UPnP description",
	    "MUD file", "recall agent",    "OUI",  "owner"};
	return src < GS__N ? n[src] : "unknown";
}

const char *web_field_name(unsigned f)
{
	static const char *const n[GF__N] = {
	    "hostname", "vendor class", "DHCP parameter list", "MUD URL",  "manufacturer",
	    "model",    "model number", "hardware revision",   "firmware", "friendly name",
	    "UPnP URL", "agent state",  "agent notice"};
	return f < GF__N ? n[f] : "unknown";
}

const char *web_todo(const struct gate_device *d)
{
	switch (d->state) {
	case GATE_ST_CLEAR:
		return "Nothing to do: no recall covers this build.";
	case GATE_ST_POSSIBLE:
		return "A recall targets this model. Look up the firmware version in the device's "
		       "settings and confirm it below; the gate never blocks on a guess.";
	case GATE_ST_RECALLED:
		if (d->policy == GATE_POL_ENFORCE)
			return "This build is recalled. Install the fix from the remedy link; the "
			       "gate blocks the device from the Internet.";
		return "This build is recalled. Install the fix from the remedy link; by your "
		       "policy the gate does not block it.";
	case GATE_ST_QUARANTINED:
		return "Blocked from the Internet at the gateway; it still reaches your network "
		       "and the fix. Update it from the remedy link, then release it.";
	case GATE_ST_AGENT_QUAR:
		return "The device's own recall agent quarantined it, and the gateway blocks it "
		       "too. Update it from the remedy link.";
	case GATE_ST_UNCHECKED:
		break;
	}
	if (d->conf == GATE_CONF_MODEL)
		return "The model is known but not the firmware build: confirm the firmware "
		       "version below to have it checked.";
	if (d->conf == GATE_CONF_UNKNOWN)
		return "The device does not say what it is; nothing can be checked.";
	return "Not checked yet.";
}

void web_mac_str(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int web_mac_parse(const char *s, size_t n, uint8_t mac[6])
{
	char t[18];
	if (n != 17)
		return -1;
	memcpy(t, s, n);
	t[n] = '\0';
	return gate_mac_parse(t, mac);
}

void web_addr_str(const struct gate_addr *a, char *out, size_t cap)
{
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, out, (socklen_t)cap))
		snprintf(out, cap, "?");
}

int web_action_parse(const char *s, size_t n, enum gate_action *act)
{
	for (int a = GATE_ACT_QUARANTINE; a <= GATE_ACT_ENFORCE; a++) {
		const char *name = web_action_name((enum gate_action)a);
		if (strlen(name) == n && memcmp(name, s, n) == 0) {
			*act = (enum gate_action)a;
			return 0;
		}
	}
	return -1;
}

bool web_action_offered(const struct gate_device *d, enum gate_action a)
{
	switch (a) {
	case GATE_ACT_QUARANTINE:
		return d->state != GATE_ST_QUARANTINED;
	case GATE_ACT_RELEASE:
		return d->state == GATE_ST_QUARANTINED;
	case GATE_ACT_CONFIRM_FW:
		return d->conf >= GATE_CONF_MODEL;
	case GATE_ACT_ALLOW:
		return d->policy != GATE_POL_ALLOW;
	case GATE_ACT_NOTIFY:
		return d->policy != GATE_POL_NOTIFY;
	case GATE_ACT_ENFORCE:
		return d->policy != GATE_POL_ENFORCE;
	}
	return false;
}

const char *web_action_name(enum gate_action a)
{
	switch (a) {
	case GATE_ACT_QUARANTINE:
		return "quarantine";
	case GATE_ACT_RELEASE:
		return "release";
	case GATE_ACT_CONFIRM_FW:
		return "confirm-fw";
	case GATE_ACT_ALLOW:
		return "allow";
	case GATE_ACT_NOTIFY:
		return "notify";
	case GATE_ACT_ENFORCE:
		return "enforce";
	}
	return "?";
}

const struct gate_val *web_display_name(const struct gate_device *d)
{
	/* what it calls itself, else its hostname, else its model */
	static const enum gate_field order[] = {GF_FRIENDLY, GF_HOSTNAME, GF_MODEL};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (d->f[order[i]].src != GS_NONE && d->f[order[i]].v[0])
			return &d->f[order[i]];
	return NULL;
}
