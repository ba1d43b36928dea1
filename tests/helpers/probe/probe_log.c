/* recalld-probe's transparency log commands (recalld_probe.c): the fixture's log policy from a
 * log public key file, and witness cosignatures of a checkpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "probe_log.h"
#include "rdfix.h"

int probe_log_world(const char *logpub, const char *origin, unsigned nwit, unsigned quorum,
		    uint32_t max_age)
{
	uint8_t pk[RC_PK_LEN];
	char line[256] = "", b64[64];
	FILE *f = fopen(logpub, "r");
	size_t bl = 0;
	bool ok = f && fgets(line, sizeof(line), f) &&
		  sscanf(line, "recall-ed25519-public %63s", b64) == 1 &&
		  sodium_base642bin(pk, sizeof(pk), b64, strlen(b64), NULL, &bl, NULL,
				    sodium_base64_VARIANT_ORIGINAL) == 0 &&
		  bl == RC_PK_LEN;
	if (f)
		fclose(f);
	if (!ok) {
		fprintf(stderr, "recalld-probe: %s: not a public key file\n", logpub);
		return -1;
	}
	if (rdfix_log_world(origin, pk, nwit, quorum, max_age) != RC_OK) {
		fprintf(stderr, "recalld-probe: the log policy is not valid\n");
		return -1;
	}
	return 0;
}

/* cosign CHECKPOINT -w I [-w J...] [-t time]: witness I's cosignature appended (atomically). */
int cosign_main(int argc, char **argv)
{
	unsigned wit[RC_LOG_WITNESS_MAX], nw = 0;
	uint64_t t = (uint64_t)time(NULL);
	int c;
	while ((c = getopt(argc, argv, "w:t:")) != -1) {
		if (c == 'w' && nw < RC_LOG_WITNESS_MAX)
			wit[nw++] = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 't')
			t = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	if (optind + 1 != argc || !nw) {
		fprintf(stderr, "usage: recalld-probe cosign CHECKPOINT -w WITNESS... [-t time]\n");
		return 2;
	}
	const char *path = argv[optind];
	static char buf[RC_NOTE_MAX_LEN];
	FILE *f = fopen(path, "rb");
	size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	for (unsigned i = 0; i < nw; i++) {
		if (!len || rdfix_cosign(buf, sizeof(buf), &len, wit[i], t) != RC_OK) {
			fprintf(stderr, "recalld-probe: %s: cannot cosign\n", path);
			return 1;
		}
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.cosign", path);
	f = fopen(tmp, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}
