/* recall feed verify: a feed checked as a responder checks it before serving it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "feedtool.h"
#include "json_notice.h"
#include "keyfile.h"
#include "recall/msg.h"
#include "signed.h"

static const char verify_usage[] =
    "usage: recall feed verify -K FEED.pub -a ANCHORS [--previous OLD] [--at TIME] [--json]\n"
    "                          [-v] FEED\n"
    "\n"
    "Check a feed as a responder does before serving it: structure, the feed key's\n"
    "signature, the anchor set id, freshness at TIME (default now), every notice (threshold,\n"
    "size, index), unique ids, and with --previous a serial above OLD's (no rollback).\n"
    "Exit status 0 only if every check passes.\n"
    "\n"
    "  -K, --feed-key FEED.pub  the feed key's public key\n"
    "  -a, --anchors FILE       the anchor set\n"
    "  -p, --previous OLD       the feed this one replaces (signed by the same feed key)\n"
    "      --at TIME            judge freshness at TIME (POSIX seconds or UTC date)\n"
    "  -j, --json               print JSON for programs\n"
    "  -v, --verbose            print the time each step takes\n"
    "  -h, --help               this text\n";

int feed_load(const char *path, const char *pubpath, struct mapped *m, struct rc_feed *f)
{
	uint8_t pk[RC_PK_LEN];
	if (pubpath && key_load_public(pubpath, pk) < 0)
		return -1;
	if (file_map(path, m) < 0)
		return -1;
	struct rc_diag d = {0, NULL};
	int err =
	    pubpath ? rc_feed_open(f, m->p, m->len, pk, &d) : rc_feed_parse(f, m->p, m->len, &d);
	if (err) {
		char h[2 * RC_KID_LEN + 1], h2[2 * RC_KID_LEN + 1];
		uint8_t kid[RC_KID_LEN];
		struct rc_feed other; /* the structure is sound: the header names its key */
		if (pubpath)
			rc_kid(kid, pk);
		if (err == RC_ERR_SIG && d.field && !strcmp(d.field, "feed.key_id") &&
		    rc_feed_parse(&other, m->p, m->len, NULL) == RC_OK)
			warnx_("%s: signed by feed key kid %s, not by %s (kid %s)", path,
			       hex(h, other.meta.key_id, RC_KID_LEN), pubpath,
			       hex(h2, kid, RC_KID_LEN));
		else if (err == RC_ERR_SIG)
			warnx_("%s: feed signature does not verify with %s (tampered or damaged)",
			       path, pubpath);
		else
			warnx_("%s: %s at byte %zu: %s", path, d.field ? d.field : "feed", d.off,
			       rc_strerror(err));
		file_unmap(m);
		return -1;
	}
	return 0;
}

int feed_decode_at(const struct rc_feed *f, uint32_t i, struct rc_cose_sign *m, struct rc_notice *n,
		   struct rc_diag *d)
{
	const uint8_t *p;
	size_t len;
	int err = rc_feed_notice(f, i, &p, &len);
	if (!err)
		err = rc_cose_decode(m, p, len, d);
	if (!err && m->content_type != RC_CT_NOTICE)
		err = RC_ERR_TYPE;
	if (!err)
		err = rc_notice_decode(n, m->payload, m->payload_len, d);
	return err;
}

bool feed_notice_problem(const char *path, const struct rc_feed *f, uint32_t i,
			 const struct rc_anchors *a, bool report)
{
	struct rc_cose_sign m;
	struct rc_notice n;
	struct rc_diag d = {0, NULL};
	struct rc_verdict v;
	int err = feed_decode_at(f, i, &m, &n, &d);
	if (err) {
		if (report)
			warnx_("%s: notice %" PRIu32 ": %s: %s", path, i,
			       d.field ? d.field : "notice", rc_strerror(err));
		return true;
	}
	if (rc_anchors_verify(a, &m, &v)) {
		if (report)
			warnx_("%s: notice %" PRIu32
			       " (%.*s): threshold not met: %u valid of %" PRIu32 " needed",
			       path, i, (int)n.id.n, n.id.p, v.valid, a->k);
		return true;
	}
	uint64_t h = rc_feed_hash(f->hashkey, n.target.vendor, n.target.model);
	if (h != get_le(f->entries + (size_t)i * RC_FEED_ENTRY_LEN, 8)) {
		if (report)
			warnx_("%s: notice %" PRIu32
			       " (%.*s): index entry does not match its vendor and "
			       "model",
			       path, i, (int)n.id.n, n.id.p);
		return true;
	}
	return false;
}

int feed_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"feed-key", required_argument, NULL, 'K'}, {"anchors", required_argument, NULL, 'a'},
	    {"previous", required_argument, NULL, 'p'}, {"at", required_argument, NULL, OPT_L('t')},
	    {"json", no_argument, NULL, 'j'},           {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	const char *pub = NULL, *anchors = NULL, *prev = NULL;
	uint64_t at = now_s();
	bool json = false, verbose = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "K:a:p:t:jvh", opts, NULL)) != -1) {
		c = opt_retired(c, "t", opts);
		if (c == 'K')
			pub = optarg;
		else if (c == 'a')
			anchors = optarg;
		else if (c == 'p')
			prev = optarg;
		else if (c == OPT_L('t') && parse_time(optarg, &at) < 0)
			return bad_value(verify_usage, "feed verify", opts, c, optarg, TIME_FORMS);
		else if (c == 'j')
			json = true;
		else if (c == 'v')
			verbose = true;
		else if (c != OPT_L('t'))
			return usage_opt(c, verify_usage);
	}
	if (!pub || !anchors || argc - optind != 1)
		return usage_fail(verify_usage, "feed verify: -K, -a and one FEED are required");
	const char *path = argv[optind];
	struct rc_anchors a;
	if (anchors_load(anchors, &a) < 0)
		return EXIT_FAIL;
	struct mapped mm, pm = {0};
	struct rc_feed f, pf;
	double t0 = mono_ms();
	if (feed_load(path, pub, &mm, &f) < 0)
		return EXIT_FAIL;
	double t1 = mono_ms();
	int problems = 0;
	char h[2 * RC_KID_LEN + 1], h2[2 * RC_KID_LEN + 1], ta[32], tb[32];
	uint8_t id[RC_KID_LEN];
	if (rc_anchors_id(&a, id) || memcmp(id, f.meta.anchors_id, RC_KID_LEN)) {
		warnx_("%s: built for anchor set %s, but %s is %s", path,
		       hex(h, f.meta.anchors_id, RC_KID_LEN), anchors, hex(h2, id, RC_KID_LEN));
		problems++;
	}
	bool fresh = rc_feed_check_time(&f, at) == RC_OK;
	if (!fresh) {
		warnx_("%s: expired at %s (checked at %s)", path, fmt_time(ta, f.meta.expiry),
		       fmt_time(tb, at));
		problems++;
	}
	bool prev_ok = true;
	if (prev) {
		if (feed_load(prev, pub, &pm, &pf) < 0) {
			prev_ok = false;
		} else if (f.meta.serial <= pf.meta.serial) {
			warnx_("%s: serial %" PRIu64 " is not above %s's %" PRIu64 " (a rollback)",
			       path, f.meta.serial, prev, pf.meta.serial);
			prev_ok = false;
		}
		problems += !prev_ok;
		file_unmap(&pm);
	}
	size_t bad = 0;
	int err = rc_feed_verify_notices(&f, &a, &bad);
	double t2 = mono_ms();
	int nbad = 0;
	for (size_t i = bad; err && i < f.nnotices; i++)
		nbad += feed_notice_problem(path, &f, (uint32_t)i, &a, nbad < FEED_REPORT_MAX);
	if (nbad > FEED_REPORT_MAX)
		warnx_("%s: ... and %d more bad notices", path, nbad - FEED_REPORT_MAX);
	if (err == RC_ERR_NONCANONICAL && nbad == 0) {
		warnx_("%s: entry %zu is out of the order of PROTOCOL.md 14.2 (quarantine first, "
		       "then higher severity, then id): a responder would send the wrong notice; "
		       "build the feed again",
		       path, bad);
		nbad = 1;
	} else if (err && nbad == 0) { /* a problem only the library's check names */
		warnx_("%s: notice %zu: %s", path, bad, rc_strerror(err));
		nbad = 1;
	}
	problems += nbad;
	struct feed_ref *r = feed_refs(path, &f);
	uint32_t dups = 0, expired = 0;
	for (uint32_t i = 0; r && i < f.nnotices; i++)
		expired += r[i].expiry <= at;
	if (r) {
		/* Repeated ids: with vendor and model blanked, feed_ref_cmp orders by id alone. */
		for (uint32_t i = 0; i < f.nnotices; i++)
			r[i].vendor = r[i].model = (struct rc_str){"", 0};
		qsort(r, f.nnotices, sizeof(*r), feed_ref_cmp);
		for (uint32_t i = 1; i < f.nnotices; i++)
			if (rc_str_eq(r[i].id, r[i - 1].id) && dups++ < FEED_REPORT_MAX)
				warnx_("%s: notice id %.*s appears more than once", path,
				       (int)r[i].id.n, r[i].id.p);
	} else {
		problems++;
	}
	problems += dups;
	double t3 = mono_ms();
	if (json) {
		json_t *o = json_pack(
		    "{s:s, s:b, s:I, s:s, s:s, s:I, s:s, s:s, s:b, s:i, s:I, s:I}", "file", path,
		    "ok", problems == 0, "serial", (json_int_t)f.meta.serial, "issued",
		    fmt_time(ta, f.meta.issued), "expiry", fmt_time(tb, f.meta.expiry), "notices",
		    (json_int_t)f.nnotices, "anchors_id", hex(h, f.meta.anchors_id, RC_KID_LEN),
		    "key_id", hex(h2, f.meta.key_id, RC_KID_LEN), "fresh", fresh, "problems",
		    problems, "expired_notices", (json_int_t)expired, "size", (json_int_t)f.len);
		json_print(o);
	} else {
		printf("%s: serial %" PRIu64 ", %" PRIu32 " notices, %zu bytes\n", path,
		       f.meta.serial, f.nnotices, f.len);
		printf("  signature by feed key kid %s: valid\n",
		       hex(h, f.meta.key_id, RC_KID_LEN));
		printf("  issued %s, expires %s: %s\n", fmt_time(ta, f.meta.issued),
		       fmt_time(tb, f.meta.expiry), fresh ? "fresh" : "EXPIRED");
		if (prev)
			printf("  previous %s: %s\n", prev,
			       prev_ok ? "older serial, no rollback" : "PROBLEM (see above)");
		printf("  notices: %s", err ? "PROBLEMS (see above)" : "all meet the threshold");
		printf(", ids %s", dups ? "REPEATED" : "unique");
		if (expired)
			printf(", %" PRIu32 " expired at the check time", expired);
		printf("\n%s\n", problems ? "FEED NOT VALID" : "feed valid");
	}
	if (verbose)
		fprintf(
		    stderr,
		    "recall: feed verify: open+signature %.1f ms, notices %.1f ms, ids %.1f ms\n",
		    t1 - t0, t2 - t1, t3 - t2);
	free(r);
	file_unmap(&mm);
	return problems ? EXIT_FAIL : EXIT_OK;
}
