/* MUD files (RFC 8520) with jansson. Taken from the "ietf-mud:mud" container: mfg-name,
 * model-name, firmware-rev (or software-rev when firmware-rev is absent: both name the build
 * the device runs), systeminfo as friendly name and mud-url (which must be the URL the file
 * came from). The access lists are not read: the gate does not enforce MUD policy. Limits:
 * GATE_MUD_MAX bytes, GATE_MUD_DEPTH levels, duplicate keys refused (JSON_REJECT_DUPLICATES),
 * mud-version 1. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "parse.h"

int gate_json_field(const json_t *obj, const char *key, struct gate_obs *o, enum gate_field f,
		    enum gate_src src, const char *where, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return gate_err(err, errlen, "%s: \"%s\" is not a string", where, key);
	char what[64];
	snprintf(what, sizeof(what), "%s %s", where, key);
	return gate_obs_set(o, f, src, json_string_value(v), json_string_length(v), what, err,
			    errlen);
}

json_t *gate_json_load(const char *buf, size_t len, size_t max, const char *what, char *err,
		       size_t errlen)
{
	if (!buf || !len) {
		gate_err(err, errlen, "%s: empty", what);
		return NULL;
	}
	if (len > max) {
		gate_err(err, errlen, "%s: %zu bytes, more than %zu", what, len, max);
		return NULL;
	}
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		gate_err(err, errlen, "%s: line %d column %d: %s", what, je.line, je.column,
			 je.text);
	return root;
}

/* Nesting depth, stopping as soon as it passes max (so recursion is bounded by max). */
static bool too_deep(json_t *j, unsigned max)
{
	if (!json_is_object(j) && !json_is_array(j))
		return false;
	if (max == 0)
		return true;
	if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v) if (too_deep(v, max - 1)) return true;
		return false;
	}
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) if (too_deep(v, max - 1)) return true;
	return false;
}

int gate_mud_check(const char *json, size_t len, const char *fetched_url, struct gate_obs *o,
		   char *err, size_t errlen)
{
	gate_obs_init(o);
	json_t *root = gate_json_load(json, len, GATE_MUD_MAX, "MUD file", err, errlen);
	if (!root)
		return -1;
	int r = -1;
	const json_t *mud = json_object_get(root, "ietf-mud:mud");
	if (too_deep(root, GATE_MUD_DEPTH)) {
		gate_err(err, errlen, "MUD file: nested deeper than %d", GATE_MUD_DEPTH);
		goto out;
	}
	if (!json_is_object(mud)) {
		gate_err(err, errlen, "MUD file: no \"ietf-mud:mud\" object");
		goto out;
	}
	const json_t *ver = json_object_get(mud, "mud-version");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		gate_err(err, errlen, "MUD file: mud-version is not 1");
		goto out;
	}
	const json_t *url = json_object_get(mud, "mud-url");
	if (!json_is_string(url)) {
		gate_err(err, errlen, "MUD file: mud-url missing or not a string");
		goto out;
	}
	if (fetched_url && strcmp(json_string_value(url), fetched_url)) {
		gate_err(err, errlen, "MUD file: mud-url is not the URL the file came from");
		goto out;
	}
	static const struct {
		const char *key;
		enum gate_field f;
	} keys[] = {{"mud-url", GF_MUD_URL},    {"mfg-name", GF_MANUFACTURER},
		    {"model-name", GF_MODEL},   {"firmware-rev", GF_FWVER},
		    {"software-rev", GF_FWVER}, {"systeminfo", GF_FRIENDLY}};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].f == GF_FWVER && o->f[GF_FWVER].src)
			continue; /* firmware-rev was there */
		if (gate_json_field(mud, keys[i].key, o, keys[i].f, GS_MUD, "MUD", err, errlen) < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(root);
	if (r < 0)
		gate_obs_init(o);
	return r;
}

int gate_mud_parse(const char *json, size_t len, struct gate_obs *o, char *err, size_t errlen)
{
	return gate_mud_check(json, len, NULL, o, err, errlen);
}
