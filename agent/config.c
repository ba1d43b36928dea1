/* recall-agent.conf(5): the key table, the identity (inline or from an os-release-style file),
 * the anchors file, and the translation into the core's configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentd.h"
#include "filekind.h"

#define F(x) offsetof(struct agentd_conf, x)
#define DAY  86400000ull

static const char *const clock_names[] = {"auto", "trusted", "untrusted", NULL};
static const char *const system_names[] = {"linux", "dummy", NULL};
/* Index = enum agentd_mode. */
static const char *const mode_names[] = {"normal", "private", NULL};

static const struct conf_key keys[] = {
    {"vendor", CONF_STRING, F(vendor), 0, 256, NULL, NULL, NULL, NULL},
    {"model", CONF_STRING, F(model), 0, 256, NULL, NULL, NULL, NULL},
    {"hwrev", CONF_STRING, F(hwrev), 0, 128, NULL, NULL, NULL, NULL},
    {"fwver", CONF_STRING, F(fwver), 0, RC_FWVER_MAX, NULL, NULL, NULL, NULL},
    {"build-date", CONF_UINT, F(build_date), 0, UINT64_MAX, "0", NULL, NULL, NULL},
    {"image-digest", CONF_STRING, F(image_digest), 0, 64, NULL, NULL, NULL, NULL},
    {"identity-file", CONF_PATH, F(identity_file), 0, 0, NULL, NULL, NULL, NULL},
    {"checkin-address", CONF_ADDR_LIST, F(checkin_address), 0, RC_AGENT_RESPONDERS_MAX, NULL, NULL,
     NULL, NULL},
    {"port", CONF_UINT, F(port), 1, 65535, "7412", NULL, NULL, NULL},
    {"anchors", CONF_PATH, F(anchors), 1, 0, "/etc/recall/anchors.cbor", NULL, NULL, NULL},
    {"checkin", CONF_BOOL, F(checkin), 0, 0, "yes", NULL, NULL, NULL},
    {"mode", CONF_ENUM, F(mode), 0, 0, "normal", mode_names, NULL, NULL},
    {"periodic", CONF_DURATION, F(periodic), DAY, 365 * DAY, "30d", NULL, NULL, NULL},
    {"recheck", CONF_DURATION, F(recheck), 60000, DAY, "1h", NULL, NULL, NULL},
    {"timeout", CONF_DURATION, F(timeout), 500, 60000, "3s", NULL, NULL, NULL},
    {"backoff-base", CONF_DURATION, F(backoff_base), 1000, DAY, "30s", NULL, NULL, NULL},
    {"backoff-cap", CONF_DURATION, F(backoff_cap), 1000, 7 * DAY, "6h", NULL, NULL, NULL},
    {"retries", CONF_UINT, F(retries), 1, 1000, "10", NULL, NULL, NULL},
    {"debounce", CONF_DURATION, F(debounce), 0, 600000, "2s", NULL, NULL, NULL},
    {"attach-interval", CONF_DURATION, F(attach_interval), 1, 3600000, "1m", NULL, NULL, NULL},
    {"start-spread", CONF_DURATION, F(start_spread), 0, 600000, "1m", NULL, NULL, NULL},
    {"timing-write-interval", CONF_DURATION, F(timing_write_interval), 1000, DAY, "10m", NULL, NULL,
     NULL},
    {"wall-clock", CONF_ENUM, F(wall_clock), 0, 0, "auto", clock_names, NULL, NULL},
    {"state-dir", CONF_PATH, F(state_dir), 1, 0, "/var/lib/recall-agent", NULL, NULL, NULL},
    {"hooks-dir", CONF_PATH, F(hooks_dir), 0, 0, "/etc/recall-agent/hooks.d", NULL, NULL, NULL},
    {"hook-timeout", CONF_DURATION, F(hook_timeout), 100, 600000, "10s", NULL, NULL, NULL},
    {"announce", CONF_BOOL, F(announce), 0, 0, "no", NULL, NULL, NULL},
    {"announce-to", CONF_ADDR_LIST, F(announce_to), 0, 4, AGENTD_ANN_V4 " [" AGENTD_ANN_V6 "]",
     NULL, NULL, NULL},
    {"announce-interface", CONF_STRING, F(announce_interface), 0, 15, NULL, NULL, NULL, NULL},
    {"announce-interval", CONF_DURATION, F(announce_interval), 10000, DAY, "10m", NULL, NULL, NULL},
    {"system", CONF_ENUM, F(system), 0, 0, "linux", system_names, NULL, NULL},
    {"table", CONF_UINT, F(table), 1, 0xfffffffe, "7412", NULL, NULL, NULL},
    {"rule-priority", CONF_UINT, F(rule_priority), 1, 32765, "74", NULL, NULL, NULL},
    {"dummy-record", CONF_PATH, F(dummy_record), 0, 0, NULL, NULL, NULL, NULL},
    CONF_END,
};

const char *agentd_mode_name(unsigned mode)
{
	return mode < sizeof(mode_names) / sizeof(mode_names[0]) - 1 ? mode_names[mode] : "unknown";
}

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read a small whole file into buf (NUL-terminated). -1 with errno. */
static long read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (len += (size_t)r) == cap - 1)
			break;
	}
	int e = errno;
	close(fd);
	errno = e;
	if (len == cap - 1) {
		errno = EFBIG;
		return -1;
	}
	buf[len] = 0;
	return (long)len;
}

/* Value of KEY in an os-release-style text (KEY=value, optionally "quoted" or 'quoted'; in
 * double quotes backslash escapes the next character). Written to out; false if absent. */
static bool osrel_get(const char *text, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, key, kl) != 0 || l[kl] != '=')
			continue;
		const char *v = l + kl + 1;
		char q = (*v == '"' || *v == '\'') ? *v++ : 0;
		size_t n = 0;
		for (; *v && *v != '\n' && *v != q; v++) {
			if (q == '"' && *v == '\\' && v[1] && v[1] != '\n')
				v++;
			if (n + 1 < cap)
				out[n++] = *v;
		}
		while (!q && n && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r'))
			n--;
		out[n] = 0;
		return true;
	}
	return false;
}

int agentd_identity_text(struct agentd *d, const char *name, const char *text, char *err,
			 size_t cap)
{
	static const char *const names[][2] = {
	    {"RECALL_VENDOR", "VENDOR_NAME"}, {"RECALL_MODEL", NULL},        {"RECALL_HWREV", NULL},
	    {"RECALL_FWVER", "VERSION_ID"},   {"RECALL_IMAGE_DIGEST", NULL},
	};
	char **fields[] = {&d->c.vendor, &d->c.model, &d->c.hwrev, &d->c.fwver, &d->c.image_digest};
	char v[512];
	for (size_t i = 0; i < 5; i++) {
		if (*fields[i])
			continue;
		if (osrel_get(text, names[i][0], v, sizeof(v)) ||
		    (names[i][1] && osrel_get(text, names[i][1], v, sizeof(v))))
			if (!(*fields[i] = strdup(v)))
				return fail(err, cap, "%s: %s", name, strerror(errno));
	}
	if (!d->c.build_date && osrel_get(text, "RECALL_BUILD_DATE", v, sizeof(v))) {
		char e[CONF_ERR_MAX];
		if (conf_parse_uint(v, 0, UINT64_MAX, &d->c.build_date, e, sizeof(e)) < 0)
			return fail(err, cap, "%s: RECALL_BUILD_DATE: %s", name, e);
	}
	return 0;
}

/* Fill identity fields the configuration left unset from the identity file. */
static int identity_file(struct agentd *d, char *err, size_t cap)
{
	char text[8192];
	const char *path = d->c.identity_file;
	if (read_small(path, text, sizeof(text)) < 0)
		return fail(err, cap, "%s: %s", path, strerror(errno));
	return agentd_identity_text(d, path, text, err, cap);
}

static int canon(char *out, size_t cap, const char *in, const char *key, bool empty_ok, char *err,
		 size_t ecap)
{
	if (!in || !*in) {
		if (empty_ok) {
			out[0] = 0;
			return 0;
		}
		return fail(err, ecap, "%s: required (set %s or identity-file)", key, key);
	}
	if (rc_name_canon(out, cap, in, strlen(in)) < 0)
		return fail(err, ecap, "%s: '%s' is too long or empty once canonicalised", key, in);
	return 0;
}

int agentd_identity(struct agentd *d, char *err, size_t cap)
{
	struct rc_identity *id = &d->ac.id;
	if (d->c.identity_file && *d->c.identity_file && identity_file(d, err, cap) < 0)
		return -1;
	if (canon(d->vendor, sizeof(d->vendor), d->c.vendor, "vendor", false, err, cap) < 0 ||
	    canon(d->model, sizeof(d->model), d->c.model, "model", false, err, cap) < 0 ||
	    canon(d->hwrev, sizeof(d->hwrev), d->c.hwrev, "hwrev", true, err, cap) < 0)
		return -1;
	if (!d->c.fwver || !*d->c.fwver || strlen(d->c.fwver) > RC_FWVER_MAX)
		return fail(err, cap, "fwver: %s%s",
			    !d->c.fwver   ? "required"
			    : *d->c.fwver ? "too long"
					  : "empty",
			    " (set fwver to the firmware version, or set identity-file)");
	strcpy(d->fwver, d->c.fwver);
	id->vendor = rc_str_c(d->vendor);
	id->model = rc_str_c(d->model);
	id->hwrev = rc_str_c(d->hwrev);
	id->fwver = rc_str_c(d->fwver);
	if (!rc_fwver_valid(id->fwver))
		return fail(err, cap, "fwver: '%s' %s", d->fwver,
			    "must be 1..64 printable ASCII bytes without edge spaces");
	id->has_build_date = d->c.build_date != 0;
	id->build_date = d->c.build_date;
	const char *hex = d->c.image_digest;
	if (hex && *hex) {
		for (size_t i = 0; i < RC_DIGEST_LEN; i++) {
			unsigned b;
			if (strlen(hex) != 64 || sscanf(hex + 2 * i, "%2x", &b) != 1 ||
			    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
			    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
				return fail(err, cap, "image-digest: '%s' %s", hex,
					    "is not 64 hex digits (SHA-256)");
			id->digest[i] = (uint8_t)b;
		}
		id->has_digest = true;
	}
	if (rc_identity_check(id) != RC_OK)
		return fail(err, cap, "identity: %s%s", "invalid vendor, model, hwrev or fwver",
			    "");
	return 0;
}

static int anchors(struct agentd *d, char *err, size_t cap)
{
	char buf[2048];
	struct rc_diag diag = {0, NULL};
	long n = read_small(d->c.anchors, buf, sizeof(buf));
	if (n < 0)
		return fail(err, cap, "anchors: %s: %s", d->c.anchors, strerror(errno));
	int rc = rc_anchors_decode(&d->ac.anchors, (const uint8_t *)buf, (size_t)n, &diag);
	if (rc != RC_OK) {
		const char *kind = file_kind((const uint8_t *)buf, (size_t)n);
		if (kind)
			snprintf(err, cap,
				 "anchors: %s is %s, not an anchor set: set anchors to the file "
				 "'recall anchors create' wrote",
				 d->c.anchors, kind);
		else
			snprintf(err, cap,
				 "anchors: %s: not a valid anchor set: %s at byte %zu (%s): set "
				 "anchors to the file 'recall anchors create' wrote",
				 d->c.anchors, rc_strerror(rc), diag.off,
				 diag.field ? diag.field : "-");
		return -1;
	}
	return 0;
}

/* The checks and translations after parsing (errors name path, and the line of the key when
 * the file sets it: buf holds the file's text, or NULL to read it again from path). */
static int finish(struct agentd *d, const char *path, const char *buf, size_t len, char *err,
		  size_t cap)
{
	rc_agent_config_default(&d->ac);
	if (agentd_identity(d, err, cap) < 0 || anchors(d, err, cap) < 0)
		goto prefix;
	if (d->c.checkin_address.n == 0) {
		fail(err, cap, "checkin-address: %s%s", "required (the responder's address)", "");
		goto prefix;
	}
	d->ac.nresponders = d->c.checkin_address.n;
	for (size_t i = 0; i < d->c.checkin_address.n; i++) {
		const struct conf_addr *a = &d->c.checkin_address.v[i];
		struct rc_src *s = &d->ac.responders[i];
		s->family = a->family == AF_INET ? 4 : 6;
		memcpy(s->addr, a->addr, s->family == 4 ? 4 : 16);
		s->port = a->port ? a->port : (uint16_t)d->c.port;
	}
	d->ac.checkin_off = !d->c.checkin;
	d->ac.private_mode = d->c.mode == AGENTD_MODE_PRIVATE;
	d->ac.periodic_s = (uint32_t)(d->c.periodic / 1000);
	d->ac.recheck_s = (uint32_t)(d->c.recheck / 1000);
	d->ac.timeout_ms = (uint32_t)d->c.timeout;
	d->ac.backoff_base_s = (uint32_t)(d->c.backoff_base / 1000);
	d->ac.backoff_cap_s = (uint32_t)(d->c.backoff_cap / 1000);
	d->ac.retries = (uint32_t)d->c.retries;
	d->ac.debounce_ms = (uint32_t)d->c.debounce;
	d->ac.attach_interval_ms = (uint32_t)d->c.attach_interval;
	d->ac.timing_write_s = (uint32_t)(d->c.timing_write_interval / 1000);
	d->ac.start_spread_ms = (uint32_t)d->c.start_spread;
	d->sp.table = (uint32_t)d->c.table;
	d->sp.pref = (uint32_t)d->c.rule_priority;
	d->sys = d->c.system == SYSTEM_DUMMY ? &sys_dummy : &sys_linux;
	if (d->c.table == 253 || d->c.table == 254 || d->c.table == 255) {
		fail(err, cap, "table: %s%s", "must not be a reserved table (253-255)", "");
		goto prefix;
	}
	return 0;
prefix:
	/* Errors found after parsing name the file too, and the line of the key they are
	 * about ("anchors: ..."). */
	{
		char tmp[CONF_ERR_MAX], key[64];
		size_t kn = strcspn(err, ":");
		snprintf(key, sizeof(key), "%.*s", (int)(kn < sizeof(key) ? kn : 0), err);
		unsigned line = !*key ? 0
				: buf ? conf_key_line(buf, len, key)
				      : conf_key_line_file(path, key);
		if (line)
			snprintf(tmp, sizeof(tmp), "%s:%u: %s", path, line, err);
		else
			snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		snprintf(err, cap, "%s", tmp);
	}
	return -1;
}

int agentd_config_load(struct agentd *d, const char *path, char *err, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->path = path;
	if (conf_parse_file(keys, &d->c, path, err, cap) < 0)
		return -1;
	return finish(d, path, NULL, 0, err, cap);
}

int agentd_config_load_buf(struct agentd *d, const char *name, const char *buf, size_t len,
			   char *err, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->path = name;
	if (conf_parse_buf(keys, &d->c, name, buf, len, err, cap) < 0)
		return -1;
	return finish(d, name, buf, len, err, cap);
}

void agentd_config_free(struct agentd *d)
{
	conf_free(keys, &d->c);
}
