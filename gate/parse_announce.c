/* recall-agent LAN announcements (docs/ANNOUNCE.md) with jansson: one JSON object of at most
 * 1400 bytes. "recall-agent" must be 1; vendor, model and hwrev must be canonical names
 * (PROTOCOL.md 5.2) and fwver a valid firmware version (5.3), as the agent sends them in its
 * check-ins; state and notice are kept for the page. Unknown members are ignored, as the format
 * asks; url and text are not taken (the gate shows notices it verified itself). */
#include <string.h>

#include <jansson.h>

#include "parse.h"
#include "recall/notice.h"

/* An agent state name: a short lowercase word with dashes ("quarantined", "released-clear"). */
static bool state_valid(const char *s, size_t n)
{
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return false;
	return true;
}

static int member(const json_t *root, const char *key, enum gate_field f, bool need, char *err,
		  size_t errlen, struct gate_obs *o)
{
	const json_t *v = json_object_get(root, key);
	if (!v) {
		if (need)
			return gate_err(err, errlen, "announcement: \"%s\" missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return gate_err(err, errlen, "announcement: \"%s\" is not a string", key);
	struct rc_str s = {json_string_value(v), json_string_length(v)};
	bool ok;
	switch (f) {
	case GF_MANUFACTURER:
	case GF_MODEL:
		ok = rc_name_valid(s, RC_NAME_MAX, false);
		break;
	case GF_HWREV:
		ok = rc_name_valid(s, RC_HWREV_MAX, true);
		break;
	case GF_FWVER:
		ok = rc_fwver_valid(s);
		break;
	case GF_AGENT_STATE:
		ok = state_valid(s.p, s.n);
		break;
	default: /* the notice id: printable ASCII, bounded */
		ok = s.n > 0 && s.n <= RC_NOTICE_ID_MAX;
		for (size_t i = 0; ok && i < s.n; i++)
			ok = s.p[i] > 0x20 && s.p[i] < 0x7f;
		break;
	}
	if (!ok)
		return gate_err(err, errlen, "announcement: \"%s\" is not a valid value", key);
	return gate_obs_set(o, f, GS_AGENT, s.p, s.n, key, err, errlen);
}

int gate_announce_parse(const uint8_t *buf, size_t len, struct gate_obs *o, char *err,
			size_t errlen)
{
	gate_obs_init(o);
	json_t *root =
	    gate_json_load((const char *)buf, len, GATE_ANNOUNCE_MAX, "announcement", err, errlen);
	if (!root)
		return -1;
	int r = -1;
	const json_t *ver = json_object_get(root, "recall-agent");
	if (!json_is_object(root) || !json_is_integer(ver) || json_integer_value(ver) != 1) {
		gate_err(err, errlen, "announcement: not a version 1 recall-agent object");
		goto out;
	}
	if (member(root, "vendor", GF_MANUFACTURER, true, err, errlen, o) < 0 ||
	    member(root, "model", GF_MODEL, true, err, errlen, o) < 0 ||
	    member(root, "hwrev", GF_HWREV, false, err, errlen, o) < 0 ||
	    member(root, "fwver", GF_FWVER, true, err, errlen, o) < 0 ||
	    member(root, "state", GF_AGENT_STATE, true, err, errlen, o) < 0 ||
	    member(root, "notice", GF_AGENT_NOTICE, false, err, errlen, o) < 0)
		goto out;
	r = 0;
out:
	json_decref(root);
	if (r < 0)
		gate_obs_init(o);
	return r;
}
