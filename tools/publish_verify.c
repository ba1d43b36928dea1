/* recall publish verify: read a publication (a directory or an http(s) URL: a mirror, or the
 * authority's own PUBDIR) as recalld does, through the sync engine (common/pubsync.c), and say
 * what a reader would conclude. The verified copy goes to --cache DIR (kept, so that a second
 * run checks a refresh against it: stale, rollback and fork need a held copy) or to a
 * temporary directory that is removed. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "logfetch.h"
#include "publish.h"
#include "pubsync.h"
#include "signed.h"
#include "util.h"

static const char usage[] =
    "usage: recall publish verify -K FEED.pub -a ANCHORS [--cache DIR] [--at TIME]\n"
    "                             [--max-bytes N] [--timeout SECONDS] DIR|URL\n"
    "\n"
    "Fetch and verify the publication at DIR or URL (http, https) as a responder does: the\n"
    "top file's signature by the feed key, its times, the log checkpoint under ANCHORS' log\n"
    "policy, every tile and entry, every served notice's threshold, and (with a --cache that\n"
    "holds an earlier copy) no stale serial, rollback or fork. Prints the verdict and what was\n"
    "fetched. Exit status 0 for a publication a reader accepts (new or the same as cached).\n"
    "\n"
    "  -K, --feed-key FEED.pub  the authority's feed public key\n"
    "  -a, --anchors FILE       the anchor set (with its log policy)\n"
    "  -c, --cache DIR          keep the verified copy (and the feed built) in DIR\n"
    "  -t, --at TIME            judge times at TIME (default now)\n"
    "  -m, --max-bytes N        bytes fetched at most (default 256 MiB)\n"
    "  -T, --timeout SECONDS    per file over HTTP (default 30)\n"
    "  -h, --help               this text\n";

/* pubsync_get_fn over logsrc (a directory or a URL). */
static int src_get(void *ctx, const char *rel, size_t max, uint8_t **buf, size_t *len, char *errbuf,
		   size_t errlen)
{
	int r = logsrc_get(ctx, rel, max, buf, len);
	if (r == FETCH_NOTFOUND)
		return PUBSYNC_GET_NOTFOUND;
	if (r == FETCH_TOOBIG)
		return PUBSYNC_GET_TOOBIG;
	if (r < 0)
		snprintf(errbuf, errlen, "%s: fetch failed (above)", tsafe(rel));
	return r < 0 ? -1 : 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int publish_verify(int argc, char **argv)
{
	static const struct option lo[] = {{"feed-key", required_argument, NULL, 'K'},
					   {"anchors", required_argument, NULL, 'a'},
					   {"cache", required_argument, NULL, 'c'},
					   {"at", required_argument, NULL, 't'},
					   {"max-bytes", required_argument, NULL, 'm'},
					   {"timeout", required_argument, NULL, 'T'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	const char *pkf = NULL, *af = NULL, *cache = NULL;
	uint64_t at = now_s(), max = 0, timeout = 30;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "K:a:c:t:m:T:h", lo, NULL)) != -1) {
		int bad = 0;
		if (c == 'K')
			pkf = optarg;
		else if (c == 'a')
			af = optarg;
		else if (c == 'c')
			cache = optarg;
		else if (c == 't')
			bad = parse_time(optarg, &at);
		else if (c == 'm')
			bad = parse_u64(optarg, &max);
		else if (c == 'T')
			bad = parse_u64(optarg, &timeout) || !timeout || timeout > 3600;
		else
			return usage_opt(c, usage);
		if (bad)
			return usage_fail(usage, "publish verify: -%c: '%s' is not valid", c,
					  tsafe(optarg));
	}
	if (!pkf || !af || optind != argc - 1)
		return usage_fail(usage, "publish verify: --feed-key, --anchors and one DIR|URL");
	const char *where = argv[optind];
	uint8_t pk[RC_PK_LEN], sk[RC_SK_LEN];
	struct rc_anchors a;
	if (key_load_public(pkf, pk) < 0 || anchors_load(af, &a) < 0)
		return EXIT_FAIL;
	if (!a.has_log) {
		warnx_("%s: the anchor set has no log policy (key 4)", af);
		return EXIT_FAIL;
	}
	char tmp[] = "/tmp/recall-publish-verify.XXXXXX";
	if (!cache && !(cache = mkdtemp(tmp))) {
		warnx_("%s: %s", tmp, strerror(errno));
		return EXIT_FAIL;
	}
	struct logsrc src;
	if (logsrc_open(&src, where, (long)timeout) < 0)
		return EXIT_FAIL;
	crypto_sign_keypair(sk + 32, sk); /* the local feed key: this run's only */
	struct pubsync_in in = {.feed_pk = pk,
				.anchors = &a,
				.cache_dir = cache,
				.local_sk = sk,
				.now = at,
				.max_bytes = max};
	struct pubsync_out out;
	int r = pubsync_run(&in, src_get, &src, &out);
	sodium_memzero(sk, sizeof(sk));
	logsrc_close(&src);
	if (cache == tmp)
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	char t[32];
	if (r == 0 && out.verdict == PUBSYNC_SAME)
		printf("%s: same: serial %llu, log size %llu, expires %s (the copy in the cache); "
		       "fetched %llu bytes in %llu requests\n",
		       where, (unsigned long long)out.serial, (unsigned long long)out.log_size,
		       fmt_time(t, out.expiry), (unsigned long long)out.bytes,
		       (unsigned long long)out.requests);
	else if (r == 0)
		printf("%s: new: serial %llu, log size %llu, %u notices, %u rotation statements, "
		       "expires %s; fetched %llu bytes in %llu requests\n",
		       where, (unsigned long long)out.serial, (unsigned long long)out.log_size,
		       out.notices, out.rotations, fmt_time(t, out.expiry),
		       (unsigned long long)out.bytes, (unsigned long long)out.requests);
	else
		warnx_("%s: refused (%s): %s", where, pubsync_verdict_name(out.verdict), out.err);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
