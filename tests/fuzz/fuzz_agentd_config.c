/* libFuzzer target: recall-agent.conf (agentd_config_load_buf: common/conf.c with the agent's
 * key table, then the identity, anchors and address checks of agent/config.c).
 * "@D@" in the input stands for a directory made once per process that holds a good anchors
 * file (anchors) and an identity file (os-release), so that inputs reach the checks after
 * them. Inputs naming /dev, /proc, /sys or /run are skipped: a path there could block a read.
 * Properties: never crash or leak; an error names the input ("fuzz.conf..."); a configuration
 * that loads has a valid identity and is accepted by the core (rc_agent_init), as the daemon
 * requires at start. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentd.h"
#include "fixtures.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 65536

static char dir[64];
static char path_anchors[96], path_osrel[96];

static void cleanup(void)
{
	unlink(path_anchors);
	unlink(path_osrel);
	rmdir(dir);
}

static void put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static void init(void)
{
	struct rc_anchors a;
	struct fx_key keys[2];
	uint8_t buf[512];
	size_t len;
	static const char osrel[] = "NAME=\"Acme OS\"\nVENDOR_NAME=\"Acme\"\nRECALL_MODEL=Cam 1\n"
				    "RECALL_HWREV='a'\nVERSION_ID=1.2.3\n"
				    "RECALL_BUILD_DATE=1700000000\n";
	snprintf(dir, sizeof(dir), "/tmp/recall-fuzz-agentd.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path_anchors, sizeof(path_anchors), "%s/anchors", dir);
	snprintf(path_osrel, sizeof(path_osrel), "%s/os-release", dir);
	atexit(cleanup);
	if (fx_anchors(&a, keys, 2, 1, 1, 10) != RC_OK ||
	    rc_anchors_encode(&a, buf, sizeof(buf), &len) != RC_OK)
		abort();
	put(path_anchors, buf, len);
	put(path_osrel, osrel, sizeof(osrel) - 1);
}

/* The input with every "@D@" replaced by dir; NULL to skip the input. */
static char *expand(const uint8_t *data, size_t size, size_t *len)
{
	static const char *const skip[] = {"/dev", "/proc", "/sys", "/run", NULL};
	size_t dl = strlen(dir), n = 0;
	char *out = malloc(size * (dl + 1) / 3 + dl + 1);
	if (!out)
		abort();
	for (size_t i = 0; i < size; i++) {
		if (i + 3 <= size && !memcmp(data + i, "@D@", 3)) {
			memcpy(out + n, dir, dl);
			n += dl;
			i += 2;
		} else {
			out[n++] = (char)data[i];
		}
	}
	out[n] = 0;
	for (const char *const *s = skip; *s; s++) {
		if (memmem(out, n, *s, strlen(*s))) {
			free(out);
			return NULL;
		}
	}
	*len = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agentd d;
	static struct rc_agent a;
	static struct sim s;
	char err[CONF_ERR_MAX] = "";
	size_t len;
	if (!dir[0])
		init();
	if (size > INPUT_MAX)
		return 0;
	char *text = expand(data, size, &len);
	if (!text)
		return 0;
	int r = agentd_config_load_buf(&d, "fuzz.conf", text, len, err, sizeof(err));
	free(text);
	if (r < 0 && strncmp(err, "fuzz.conf", 9)) {
		fprintf(stderr, "error does not name the file: %s\n", err);
		abort();
	}
	if (r == 0) {
		sim_init(&s, FX_NOW, 1);
		int rc = rc_identity_check(&d.ac.id);
		if (rc == RC_OK)
			rc = rc_agent_init(&a, &d.ac, &sim_ops, &s);
		if (rc != RC_OK) {
			fprintf(stderr, "a configuration that loads is rejected by the core: %s\n",
				rc_strerror(rc));
			abort();
		}
	}
	agentd_config_free(&d);
	return 0;
}
