/* libFuzzer target: recall-agent's identity file (identity-file: os-release-style KEY=value
 * text, agentd_identity_text as identity_file() runs it on the file's first 8191 bytes), then
 * the identity checks of the configuration (agentd_identity).
 * Properties: never crash or leak; errors name the file ("fuzz-identity: ...") or the key
 * ("fwver: ..."); an identity that passes makes a check-in that encodes and decodes back to
 * it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool named(const char *err)
{
	static const char *const keys[] = {
	    "fuzz-identity: ", "vendor: ",       "model: ",    "hwrev: ",
	    "fwver: ",         "image-digest: ", "identity: ", NULL};
	for (const char *const *k = keys; *k; k++)
		if (!strncmp(err, *k, strlen(*k)))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agentd d;
	static char text[8192];
	char err[CONF_ERR_MAX] = "";
	if (size >= sizeof(text))
		return 0; /* read_small refuses it (EFBIG) */
	memcpy(text, data, size);
	text[size] = 0;
	memset(&d, 0, sizeof(d));
	int r = agentd_identity_text(&d, "fuzz-identity", text, err, sizeof(err));
	if (r == 0)
		r = agentd_identity(&d, err, sizeof(err));
	if (r < 0 && !named(err)) {
		fprintf(stderr, "error: %s\n", err);
		abort();
	}
	if (r == 0) {
		uint8_t buf[RC_CHECKIN_SIZE];
		struct rc_checkin c = {.id = d.ac.id}, back;
		if (rc_identity_check(&d.ac.id) != RC_OK || rc_checkin_encode(&c, buf) != RC_OK ||
		    rc_checkin_decode(&back, buf, sizeof(buf), NULL) != RC_OK ||
		    !rc_str_eq(back.id.vendor, c.id.vendor) ||
		    !rc_str_eq(back.id.model, c.id.model) ||
		    !rc_str_eq(back.id.hwrev, c.id.hwrev) || !rc_str_eq(back.id.fwver, c.id.fwver))
			abort();
	}
	agentd_config_free(&d);
	return 0;
}
