/* Test driver of common/pubfetch.c (tests/integration/pubfetch_limits.sh): reads files of one
 * mirror through pubfetch_get as pubsync would, and prints what it got.
 *   pubget [-t timeout_ms] [-l low_speed_bytes/low_speed_s] [-b max_bytes] MIRROR REL MAX...
 * Each REL MAX pair is one get; the output is one line per get: "REL ok LEN", "REL notfound",
 * "REL toobig", "REL notmodified" or "REL error MESSAGE". A second get of recall-publication
 * is conditional on the validators of the first (as after a sync that verified it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pubfetch.h"

int main(int argc, char **argv)
{
	struct pubfetch_limits lim;
	pubfetch_limits_default(&lim);
	int c;
	while ((c = getopt(argc, argv, "t:l:b:")) != -1) {
		switch (c) {
		case 't':
			lim.timeout_ms = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			lim.low_speed_bytes = strtoull(optarg, NULL, 10);
			lim.low_speed_s = strtoull(strchr(optarg, '/') + 1, NULL, 10);
			break;
		case 'b':
			lim.max_bytes = strtoull(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 3 || (argc - optind) % 2 != 1) {
		fprintf(stderr, "usage: pubget [-t ms] [-l bytes/s] [-b max] MIRROR REL MAX...\n");
		return 2;
	}
	log_init("pubget", true, 0);
	struct pubfetch f;
	char err[512];
	char *url = argv[optind];
	if (pubfetch_init(&f, &url, 1, &lim, "recall-pubget", err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (int i = optind + 1; i + 1 < argc; i += 2) {
		uint8_t *buf = NULL;
		size_t len = 0;
		err[0] = 0;
		int r = pubfetch_get(&f, argv[i], strtoull(argv[i + 1], NULL, 10), &buf, &len, err,
				     sizeof(err));
		if (r == 0)
			printf("%s ok %zu\n", argv[i], len);
		else if (r == PUBSYNC_GET_NOTFOUND)
			printf("%s notfound\n", argv[i]);
		else if (r == PUBSYNC_GET_TOOBIG)
			printf("%s toobig\n", argv[i]);
		else if (r == PUBSYNC_GET_NOTMODIFIED)
			printf("%s notmodified\n", argv[i]);
		else
			printf("%s error %s\n", argv[i], err);
		free(buf);
		struct pubfetch_mirror *m = &f.m[0];
		if (r == 0 && !strcmp(argv[i], PUBFETCH_TOP)) {
			/* as pubfetch_round after a verdict of new */
			memcpy(m->etag, m->p_etag, sizeof(m->etag));
			memcpy(m->lastmod, m->p_lastmod, sizeof(m->lastmod));
			m->has_cond = true;
			m->cond_serial = 1;
			f.held = true;
			f.held_serial = 1;
		}
	}
	printf("bytes %llu requests %llu\n", (unsigned long long)f.m[0].bytes,
	       (unsigned long long)f.m[0].requests);
	pubfetch_free(&f);
	return 0;
}
