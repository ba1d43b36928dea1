/* recall-gate-pub: the publication fetcher of recall-gate (recall-gate.conf(5) "publication"),
 * started by the daemon (gate/pub.c) when publication URLs are configured, never by hand. The
 * resident daemon does not link libcurl: every byte from a mirror is handled here. Each round
 * (every publication-poll, with jitter) it syncs the cache directory from the first mirror
 * that gives a verified publication (common/pubfetch.c, common/pubsync.c, as recalld's
 * fetcher): the top file under the authority's feed key, every notice under the anchors, the
 * log. It builds cache/feed signed by the gate's local feed key; the daemon reloads that file
 * when it changes and verifies it again. One message per mirror tried goes to fd 3.
 *
 *   recall-gate-pub FEED-KEY ANCHORS CACHE-DIR LOCAL-KEY POLL-MS TIMEOUT-MS MAX-BYTES URL...
 *
 * Confined before it reads anything: no capabilities, no new privileges, no core dumps. It
 * exits when the daemon goes (the pipe breaks, or PR_SET_PDEATHSIG). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "localkey.h"
#include "log.h"
#include "parse.h"
#include "pubfetch.h"
#include "pubkey.h"
#include "pubmsg.h"
#include "recall/anchors.h"
#include "recall/error.h"
#include "seccomp.h"

#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0.1.0"
#endif

/* The whole of a small regular file; NULL with errno. */
static uint8_t *slurp(const char *path, size_t max, size_t *n)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return NULL;
	uint8_t *b = malloc(max + 1);
	*n = b ? fread(b, 1, max + 1, f) : 0;
	bool bad = !b || ferror(f) || *n > max;
	fclose(f);
	if (bad) {
		free(b);
		errno = b ? EFBIG : ENOMEM;
		return NULL;
	}
	return b;
}

static void die(const char *what, const char *path, const char *why)
{
	log_warnx("publication: %s%s%s: %s", what, path[0] ? " " : "", path, why);
	exit(2);
}

static void load(char **argv, uint8_t pk[32], struct rc_anchors *a, uint8_t sk[64])
{
	size_t n;
	uint8_t *b = slurp(argv[1], 4096, &n);
	if (!b)
		die("feed-key", argv[1], strerror(errno));
	const char *why = rc_pubkey_parse(b, n, pk);
	free(b);
	if (why)
		die("feed-key", argv[1], why);
	if (!(b = slurp(argv[2], 65536, &n)))
		die("anchors", argv[2], strerror(errno));
	struct rc_diag d = {0, NULL};
	int e = rc_anchors_decode(a, b, n, &d);
	free(b);
	if (e)
		die("anchors", argv[2], rc_strerror(e));
	char err[512];
	if (local_key(argv[4], false, sk, err, sizeof(err)) < 0)
		die("local key", "", err);
}

static void report(void *arg, size_t mirror, const struct pubsync_out *out)
{
	(void)arg;
	struct gate_pubmsg m;
	memset(&m, 0, sizeof(m));
	m.magic = GATE_PUB_MAGIC;
	m.mirror = (uint8_t)mirror;
	m.verdict = (uint8_t)out->verdict;
	m.serial = out->serial;
	m.expiry = out->expiry;
	m.log_size = out->log_size;
	m.bytes = out->bytes;
	m.requests = out->requests;
	snprintf(m.err, sizeof(m.err), "%s", out->err);
	if (write(GATE_PUB_FD, &m, sizeof(m)) != (ssize_t)sizeof(m))
		exit(0); /* the daemon is gone */
}

int main(int argc, char **argv)
{
	if (argc < 9 || argc - 8 > GATE_PUB_MIRRORS || isatty(GATE_PUB_FD) ||
	    gate_confine_writer(64) != 0) {
		fprintf(stderr, "recall-gate-pub: started by recall-gate only\n");
		return 2;
	}
	log_init("recall-gate-pub", true, 0);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	char serr[256];
	if (gate_seccomp(serr, sizeof(serr)) != 0)
		die("seccomp", "", serr);
	if (sodium_init() < 0)
		return 1;
	uint8_t pk[32], sk[64];
	struct rc_anchors anchors;
	load(argv, pk, &anchors, sk);
	char *end;
	uint64_t poll_ms = strtoull(argv[5], &end, 10), timeout_ms = strtoull(argv[6], &end, 10),
		 max_bytes = strtoull(argv[7], &end, 10);
	struct pubfetch_limits lim;
	pubfetch_limits_default(&lim);
	if (timeout_ms)
		lim.timeout_ms = timeout_ms;
	if (max_bytes)
		lim.max_bytes = max_bytes;
	struct pubfetch f;
	char err[512];
	if (pubfetch_init(&f, argv + 8, (size_t)argc - 8, &lim,
			  "recall-gate/" RECALL_VERSION_STRING, err, sizeof(err)) < 0)
		die("mirrors", "", err);
	struct pubsync_in in = {
	    .feed_pk = pk,
	    .anchors = &anchors,
	    .cache_dir = argv[3],
	    .local_sk = sk,
	    .max_bytes = lim.max_bytes,
	};
	for (;;) {
		struct pubsync_out out;
		in.now = (uint64_t)time(NULL);
		pubfetch_round(&f, &in, report, NULL, &out);
		uint64_t ms = pubfetch_jitter_ms(poll_ms ? poll_ms : 300000);
		struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (getppid() == 1)
			return 0; /* the daemon is gone */
	}
}
