/* recall feed show and lookup: a feed inspected, and searched for the notice a responder would
 * answer with. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "feedtool.h"
#include "json_notice.h"
#include "keyfile.h"
#include "recall/msg.h"
#include "signed.h"

static const char show_usage[] =
    "usage: recall feed show [-K FEED.pub] [--summary] [--json] FEED\n"
    "\n"
    "Print a feed: header, size, counts, then its vendors and models with their notices.\n"
    "Without -K the signature is not checked (the output says so).\n"
    "\n"
    "  -K, --feed-key FEED.pub  check the signature with this key\n"
    "  -s, --summary            header and counts only\n"
    "  -j, --json               print JSON for programs\n"
    "  -h, --help               this text\n";

static const char lookup_usage[] =
    "usage: recall feed lookup [-K FEED.pub] [--at TIME] [--json] --vendor V --model M\n"
    "                          --fwver F [--hwrev H] [--build-date TIME] [--digest HEX] FEED\n"
    "\n"
    "Find the notice a responder holding FEED would send to a device with this identity\n"
    "(the first covering notice valid at TIME, default now), or say it is clear. Names are\n"
    "canonicalised as in a check-in.\n"
    "\n"
    "  -K, --feed-key FEED.pub  check the feed signature with this key\n"
    "      --at TIME            validity time (POSIX seconds or UTC date)\n"
    "  -j, --json               print JSON for programs\n"
    "  -h, --help               this text\n";

static int strcmp_v(struct rc_str a, struct rc_str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = n ? memcmp(a.p, b.p, n) : 0;
	return c ? c : (a.n > b.n) - (a.n < b.n);
}

int feed_ref_cmp(const void *pa, const void *pb)
{
	const struct feed_ref *a = pa, *b = pb;
	int c = strcmp_v(a->vendor, b->vendor);
	if (!c)
		c = strcmp_v(a->model, b->model);
	if (!c)
		c = strcmp_v(a->id, b->id);
	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

struct feed_ref *feed_refs(const char *path, const struct rc_feed *f)
{
	struct feed_ref *r = calloc(f->nnotices ? f->nnotices : 1, sizeof(*r));
	if (!r) {
		warnx_("%s: out of memory", path);
		return NULL;
	}
	for (uint32_t i = 0; i < f->nnotices; i++) {
		struct rc_cose_sign m;
		struct rc_notice n;
		struct rc_diag d = {0, NULL};
		int err = feed_decode_at(f, i, &m, &n, &d);
		if (err) {
			warnx_("%s: notice %" PRIu32 ": %s: %s", path, i,
			       d.field ? d.field : "notice", rc_strerror(err));
			free(r);
			return NULL;
		}
		r[i] = (struct feed_ref){n.target.vendor, n.target.model, n.id,    i,
					 n.action,        n.severity,     n.expiry};
	}
	qsort(r, f->nnotices, sizeof(*r), feed_ref_cmp);
	return r;
}

int feed_show(int argc, char **argv)
{
	static const struct option opts[] = {{"feed-key", required_argument, NULL, 'K'},
					     {"summary", no_argument, NULL, 's'},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *pub = NULL;
	bool json = false, summary = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "K:sjh", opts, NULL)) != -1) {
		if (c == 'K') {
			pub = optarg;
		} else if (c == 's') {
			summary = true;
		} else if (c == 'j') {
			json = true;
		} else {
			return usage_opt(c, show_usage);
		}
	}
	if (argc - optind != 1)
		return usage_fail(show_usage, "feed show: give one FEED");
	const char *path = argv[optind];
	struct mapped mm;
	struct rc_feed f;
	if (feed_load(path, pub, &mm, &f) < 0)
		return EXIT_FAIL;
	struct feed_ref *r = feed_refs(path, &f);
	if (!r) {
		file_unmap(&mm);
		return EXIT_FAIL;
	}
	uint32_t vendors = 0, models = 0, maxb = 0;
	for (uint32_t i = 0; i < f.nnotices; i++) {
		bool nv = !i || !rc_str_eq(r[i].vendor, r[i - 1].vendor);
		vendors += nv;
		models += nv || !rc_str_eq(r[i].model, r[i - 1].model);
	}
	for (uint32_t b = 0; b < f.nbuckets; b++) {
		const uint8_t *p = f.buckets + 4 * (size_t)b;
		uint32_t size = (uint32_t)(get_le(p + 4, 4) - get_le(p, 4));
		if (size > maxb)
			maxb = size;
	}
	size_t index = (size_t)(f.notices - f.base) - RC_FEED_HDR_LEN;
	char h[2 * RC_KID_LEN + 1], h2[2 * RC_KID_LEN + 1], ta[32], tb[32];
	const char *sig = pub ? "valid" : "not checked (no -K)";
	if (json) {
		json_t *o = json_pack(
		    "{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		    "file", path, "serial", (json_int_t)f.meta.serial, "issued",
		    fmt_time(ta, f.meta.issued), "expiry", fmt_time(tb, f.meta.expiry),
		    "anchors_id", hex(h, f.meta.anchors_id, RC_KID_LEN), "key_id",
		    hex(h2, f.meta.key_id, RC_KID_LEN), "signature", sig, "size", (json_int_t)f.len,
		    "index_bytes", (json_int_t)index, "notice_bytes", (json_int_t)f.notices_len,
		    "notices", (json_int_t)f.nnotices, "vendors", (json_int_t)vendors, "models",
		    (json_int_t)models, "buckets", (json_int_t)f.nbuckets, "largest_bucket",
		    (json_int_t)maxb);
		json_t *vs = json_array(), *v = NULL, *ms = NULL, *ns = NULL;
		for (uint32_t i = 0; !summary && i < f.nnotices; i++) {
			if (!i || !rc_str_eq(r[i].vendor, r[i - 1].vendor)) {
				v = json_pack("{s:s%, s:[]}", "vendor", r[i].vendor.p,
					      r[i].vendor.n, "models");
				ms = json_object_get(v, "models");
				json_array_append_new(vs, v);
				ns = NULL;
			}
			if (!ns || !rc_str_eq(r[i].model, r[i - 1].model)) {
				json_t *m = json_pack("{s:s%, s:[]}", "model", r[i].model.p,
						      r[i].model.n, "notices");
				ns = json_object_get(m, "notices");
				json_array_append_new(ms, m);
			}
			json_array_append_new(ns, json_pack("{s:s%, s:s, s:s, s:s}", "id",
							    r[i].id.p, r[i].id.n, "action",
							    rc_action_name(r[i].action), "severity",
							    rc_severity_name(r[i].severity),
							    "expiry", fmt_time(ta, r[i].expiry)));
		}
		if (!summary)
			json_object_set_new(o, "by_vendor", vs);
		else
			json_decref(vs);
		json_print(o);
	} else {
		printf("%s: recall feed, format %d\n", path, RC_FEED_VERSION);
		printf("  serial     %" PRIu64 "\n", f.meta.serial);
		printf("  issued     %s\n  expires    %s\n", fmt_time(ta, f.meta.issued),
		       fmt_time(tb, f.meta.expiry));
		printf("  anchors    %s\n", hex(h, f.meta.anchors_id, RC_KID_LEN));
		printf("  feed key   %s, signature %s\n", hex(h, f.meta.key_id, RC_KID_LEN), sig);
		printf("  size       %zu bytes (header %d, index %zu, notices %zu, signature %d)\n",
		       f.len, RC_FEED_HDR_LEN, index, f.notices_len, RC_FEED_SIG_LEN);
		printf("  notices    %" PRIu32 " (%" PRIu32 " vendors, %" PRIu32 " models)\n",
		       f.nnotices, vendors, models);
		printf("  index      %" PRIu32 " buckets, largest holds %" PRIu32 "\n", f.nbuckets,
		       maxb);
		for (uint32_t i = 0; !summary && i < f.nnotices; i++) {
			if (!i || !rc_str_eq(r[i].vendor, r[i - 1].vendor))
				printf("vendor %.*s\n", (int)r[i].vendor.n, r[i].vendor.p);
			if (!i || !rc_str_eq(r[i].vendor, r[i - 1].vendor) ||
			    !rc_str_eq(r[i].model, r[i - 1].model))
				printf("  model %.*s\n", (int)r[i].model.n, r[i].model.p);
			printf("    %.*s  %s, %s, expires %s\n", (int)r[i].id.n, r[i].id.p,
			       rc_action_name(r[i].action), rc_severity_name(r[i].severity),
			       fmt_time(ta, r[i].expiry));
		}
	}
	free(r);
	file_unmap(&mm);
	return EXIT_OK;
}

int feed_lookup(int argc, char **argv)
{
	static const struct option opts[] = {{"feed-key", required_argument, NULL, 'K'},
					     {"at", required_argument, NULL, OPT_L('t')},
					     {"json", no_argument, NULL, 'j'},
					     {"vendor", required_argument, NULL, 'V'},
					     {"model", required_argument, NULL, 'M'},
					     {"fwver", required_argument, NULL, 'F'},
					     {"hwrev", required_argument, NULL, 'R'},
					     {"build-date", required_argument, NULL, 'B'},
					     {"digest", required_argument, NULL, 'D'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *pub = NULL, *vendor = NULL, *model = NULL, *hwrev = "";
	struct rc_identity id;
	memset(&id, 0, sizeof(id));
	uint64_t at = now_s();
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "K:t:jh", opts, NULL)) != -1) {
		int bad = 0;
		c = opt_retired(c, "t", opts);
		if (c == 'K') {
			pub = optarg;
		} else if (c == OPT_L('t')) {
			bad = parse_time(optarg, &at);
		} else if (c == 'j') {
			json = true;
		} else if (c == 'V') {
			vendor = optarg;
		} else if (c == 'M') {
			model = optarg;
		} else if (c == 'F') {
			id.fwver = rc_str_c(optarg);
		} else if (c == 'R') {
			hwrev = optarg;
		} else if (c == 'B') {
			bad = parse_time(optarg, &id.build_date);
			id.has_build_date = true;
		} else if (c == 'D') {
			bad = unhex(id.digest, RC_DIGEST_LEN, optarg);
			id.has_digest = true;
		} else {
			return usage_opt(c, lookup_usage);
		}
		if (bad)
			return bad_value(lookup_usage, "feed lookup", opts, c, optarg,
					 c == 'D' ? "not 64 hex digits (a SHA-256)" : TIME_FORMS);
	}
	if (!vendor || !model || !id.fwver.p || argc - optind != 1)
		return usage_fail(
		    lookup_usage,
		    "feed lookup: --vendor, --model, --fwver and one FEED are required");
	char cv[RC_NAME_MAX + 1], cm[RC_NAME_MAX + 1], ch[RC_NAME_MAX + 1];
	if (rc_name_canon(cv, sizeof(cv), vendor, strlen(vendor)) < 1 ||
	    rc_name_canon(cm, sizeof(cm), model, strlen(model)) < 1 ||
	    rc_name_canon(ch, sizeof(ch), hwrev, strlen(hwrev)) < 0)
		return usage_fail(lookup_usage, "feed lookup: a name is empty or too long");
	id.vendor = rc_str_c(cv);
	id.model = rc_str_c(cm);
	id.hwrev = rc_str_c(ch);
	if (rc_identity_check(&id) != RC_OK)
		return usage_fail(lookup_usage,
				  "feed lookup: not a valid identity (hwrev at most "
				  "%d bytes, fwver printable ASCII)",
				  RC_HWREV_MAX);
	const char *path = argv[optind];
	struct mapped mm;
	struct rc_feed f;
	if (feed_load(path, pub, &mm, &f) < 0)
		return EXIT_FAIL;
	const uint8_t *p;
	size_t len;
	struct rc_notice n;
	bool hit = rc_feed_lookup_at(&f, &id, at, &p, &len, &n);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "vendor", cv, "model", cm, "fwver",
				      id.fwver.p, "answer", hit ? "recalled" : "clear");
		if (hit) {
			json_object_set_new(o, "size", json_integer((json_int_t)len));
			json_object_set_new(o, "notice", notice_to_json(&n));
		} else {
			json_object_set_new(o, "serial", json_integer((json_int_t)f.meta.serial));
		}
		json_object_set_new(o, "exit", json_integer(hit ? EXIT_RECALLED : EXIT_OK));
		json_print(o);
	} else if (hit) {
		printf("recalled: %s/%s %s is covered by notice %.*s (%zu bytes)\n", cv, cm,
		       id.fwver.p, (int)n.id.n, n.id.p, len);
		notice_print(&n, "  ");
	} else {
		printf("clear: no notice in %s (serial %" PRIu64 ") covers %s/%s %s\n", path,
		       f.meta.serial, cv, cm, id.fwver.p);
	}
	file_unmap(&mm);
	return hit ? EXIT_RECALLED : EXIT_OK;
}
