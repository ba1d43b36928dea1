/* recall-witness.conf: the key table (documented in recall-witness.conf(5)) and whole-file
 * checks. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "witness.h"

#define OFF(f) offsetof(struct wt_config, f)
#define MS(x)  ((uint64_t)(x)*1000)

/* `log = <verifier key>`: one key a log signs its checkpoints with (algorithm 0x01); its name
 * is the log's origin. Several lines may name the same origin (a key rollover). */
static int parse_log(void *field, const char *value, char *err, size_t cap)
{
	struct wt_vkeys *l = field;
	if (!value[0])
		return 0; /* the default: none */
	if (l->n == WT_KEYS_MAX) {
		conf_err(err, cap, "more than %d log keys", WT_KEYS_MAX);
		return -1;
	}
	struct rc_note_key k;
	int e = rc_note_key_parse(&k, value, strlen(value));
	if (e) {
		conf_err(err, cap, "'%s' is not a verifier key (NAME+KEYID+BASE64): %s", value,
			 rc_strerror(e));
		return -1;
	}
	if (k.alg != RC_NOTE_ALG_ED25519) {
		conf_err(err, cap, "'%s' is a cosignature key (0x%02x); a log signs with 0x01",
			 value, k.alg);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].keyid == k.keyid && !strcmp(l->v[i].name, k.name) &&
		    !memcmp(l->v[i].pk, k.pk, sizeof(k.pk))) {
			conf_err(err, cap, "'%s' given twice", value);
			return -1;
		}
	}
	l->v[l->n++] = k;
	return 0;
}

/* clang-format off */
const struct conf_key wt_config_keys[] = {
	{"listen", CONF_ADDR_LIST, OFF(listen), 0, WT_LISTEN_MAX, "127.0.0.1:7414", NULL, NULL, NULL},
	{"state-dir", CONF_PATH, OFF(state_dir), 1, 0, "/var/lib/recall-witness", NULL, NULL, NULL},
	{"key", CONF_PATH, OFF(key), 1, 0, "/etc/recall/recall-witness.key", NULL, NULL, NULL},
	{"name", CONF_STRING, OFF(name), 0, RC_NOTE_NAME_MAX, "", NULL, NULL, NULL},
	{"log", CONF_CUSTOM, OFF(logs), 0, WT_KEYS_MAX, NULL, NULL, parse_log, NULL},
	{"connections", CONF_UINT, OFF(connections), 1, 4096, "64", NULL, NULL, NULL},
	{"connections-per-client", CONF_UINT, OFF(per_client), 1, 4096, "8", NULL, NULL, NULL},
	{"timeout", CONF_DURATION, OFF(timeout_ms), MS(1), MS(600), "10s", NULL, NULL, NULL},
	{"evidence-max", CONF_UINT, OFF(evidence_max), 0, 1000000, "1000", NULL, NULL, NULL},
	{"debug", CONF_BOOL, OFF(debug), 0, 0, "no", NULL, NULL, NULL},
	CONF_END,
};
/* clang-format on */

void wt_config_free(struct wt_config *cfg)
{
	conf_free(wt_config_keys, cfg);
}

static int check(struct wt_config *cfg, const char *name, char *err, size_t cap)
{
	if (!cfg->listen.n) {
		snprintf(err, cap, "%s: listen: no address to listen on", name);
		return -1;
	}
	for (size_t i = 0; i < cfg->listen.n; i++) {
		if (!cfg->listen.v[i].port) {
			char a[80];
			conf_addr_format(&cfg->listen.v[i], a, sizeof(a));
			snprintf(err, cap, "%s: listen: %s: an address needs a :port", name, a);
			return -1;
		}
	}
	if (!rc_note_name_ok(cfg->name, strlen(cfg->name))) {
		snprintf(err, cap, "%s: name: %s", name,
			 cfg->name[0] ? "a key name has no spaces and no '+'"
				      : "the witness needs a name (e.g. witness.example.org/w1)");
		return -1;
	}
	if (!cfg->logs.n) {
		snprintf(err, cap, "%s: log: no log to witness", name);
		return -1;
	}
	if (cfg->per_client > cfg->connections) {
		snprintf(err, cap, "%s: connections-per-client: more than connections", name);
		return -1;
	}
	return 0;
}

int wt_config_load_buf(struct wt_config *cfg, const char *name, const char *buf, size_t len,
		       char *err, size_t cap)
{
	if (conf_parse_buf(wt_config_keys, cfg, name, buf, len, err, cap) < 0)
		return -1;
	return check(cfg, name, err, cap);
}

int wt_config_load(struct wt_config *cfg, const char *path, char *err, size_t cap)
{
	if (conf_parse_file(wt_config_keys, cfg, path, err, cap) < 0)
		return -1;
	return check(cfg, path, err, cap);
}
