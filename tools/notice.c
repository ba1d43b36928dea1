/* recall notice: create a notice from a JSON description, add signatures, merge them, verify
 * them against an anchor set, and show notices. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "json_notice.h"
#include "recall/msg.h"
#include "signed.h"
#include "util.h"

static const char create_usage[] =
    "usage: recall notice create [-o OUT] [--force] DESCRIPTION.json\n"
    "\n"
    "Write an unsigned notice (COSE_Sign, no signatures yet) from a JSON description\n"
    "(docs/NOTICE-JSON.md). Vendor, model and hardware revisions are canonicalised. OUT\n"
    "defaults to DESCRIPTION with .json replaced by .notice; an existing OUT is kept unless\n"
    "--force.\n"
    "\n"
    "  -o, --output OUT  file to write\n"
    "      --force       replace OUT if it exists (its signatures are lost)\n"
    "  -h, --help        this text\n";

static const char sign_usage[] =
    "usage: recall notice sign -k KEY [-o OUT] NOTICE\n"
    "\n"
    "Add one signature to a notice (in place unless -o). Each key holder signs a copy on\n"
    "their own machine; 'recall notice merge' combines the copies in any order. Signing again\n"
    "with the same key replaces its signature.\n"
    "\n"
    "  -k, --key KEY      the secret key: a key file or a pkcs11: URI\n"
    "  -o, --output OUT   write here instead of replacing NOTICE\n"
    "  -h, --help         this text\n";

static const char merge_usage[] =
    "usage: recall notice merge -o OUT NOTICE...\n"
    "\n"
    "Merge the signatures of copies of one notice signed separately (same content required).\n"
    "\n"
    "  -o, --output OUT  file to write (may be one of the inputs)\n"
    "  -h, --help        this text\n";

static const char verify_usage[] =
    "usage: recall notice verify -a ANCHORS [--at TIME] [--json] NOTICE...\n"
    "\n"
    "Check each notice (a file may hold several, concatenated) against an anchor set: which\n"
    "keys signed, whether the threshold is met, whether it fits in one answer, and whether it\n"
    "is within its validity window at TIME (default now; informational). Exit status 0 only\n"
    "if every notice decodes and meets the threshold.\n"
    "\n"
    "  -a, --anchors FILE  the anchor set\n"
    "      --at TIME       judge the validity window at TIME (POSIX seconds or UTC date)\n"
    "  -j, --json          print JSON for programs\n"
    "  -h, --help          this text\n";

static const char show_usage[] =
    "usage: recall notice show [--json] NOTICE...\n"
    "\n"
    "Print notices (signed or not; a file may hold several) without checking signatures.\n"
    "--json prints an array with, per notice, the description in the schema that 'recall\n"
    "notice create' reads, plus file, size and signer kids.\n"
    "\n"
    "  -j, --json  print JSON for programs\n"
    "  -h, --help  this text\n";

static int notice_create(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
					     {"force", no_argument, NULL, OPT_L('f')},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *out = NULL;
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:fh", opts, NULL)) != -1) {
		c = opt_retired(c, "f", opts);
		if (c == 'o') {
			out = optarg;
		} else if (c == OPT_L('f')) {
			force = true;
		} else {
			return usage_opt(c, create_usage);
		}
	}
	if (argc - optind != 1)
		return usage_fail(create_usage, "notice create: give one DESCRIPTION.json");
	const char *in = argv[optind];
	char *def = NULL;
	if (!out) {
		size_t n = strlen(in);
		if (n > 5 && !strcmp(in + n - 5, ".json"))
			n -= 5;
		def = malloc(n + 8);
		if (!def)
			return EXIT_FAIL;
		memcpy(def, in, n);
		strcpy(def + n, ".notice");
		out = def;
	}
	struct jnotice j;
	int ret = EXIT_FAIL;
	if (jnotice_load(&j, in, now_s()) < 0)
		goto done;
	uint8_t buf[SIGNED_BUF];
	size_t len, room;
	if (notice_unsigned(&j.n, buf, &len, &room) || room == 0) {
		warnx_("%s: the notice is too long to carry even one signature within %u bytes; "
		       "shorten text or refs",
		       in, RC_NOTICE_MAX);
	} else if (file_write(out, buf, len, 0644, !force) == 0) {
		printf("%s: unsigned notice %.*s for %.*s/%.*s, %zu bytes (room for %zu "
		       "signature%s)\n",
		       out, (int)j.n.id.n, j.n.id.p, (int)j.n.target.vendor.n, j.n.target.vendor.p,
		       (int)j.n.target.model.n, j.n.target.model.p, len, room,
		       room == 1 ? "" : "s");
		ret = EXIT_OK;
	}
	jnotice_free(&j);
done:
	free(def);
	return ret;
}

static int notice_sign(int argc, char **argv)
{
	return signed_cmd(argc, argv, sign_usage, false, RC_CT_NOTICE, "notice", "NOTICE");
}

static int notice_merge(int argc, char **argv)
{
	return signed_cmd(argc, argv, merge_usage, true, RC_CT_NOTICE, "notice", "NOTICE");
}

/* What verify and show do with each notice in the files. */
struct each {
	bool json, verify;
	const struct rc_anchors *a;
	uint64_t at;
	json_t *arr;
	int failed;
};

static void one(struct each *e, const char *path, long item, size_t off, const uint8_t *p,
		size_t len)
{
	struct rc_cose_sign m;
	struct rc_notice n;
	struct rc_diag d = {0, NULL};
	int err = cose_view(&m, p, len, &d);
	if (!err && m.content_type != RC_CT_NOTICE) {
		warnx_("%s: %s is a %s, not a notice", path, item >= 0 ? "an item" : "this",
		       ct_name(m.content_type));
		e->failed++;
		return;
	}
	if (!err)
		err = rc_notice_decode(&n, m.payload, m.payload_len, &d);
	if (err) {
		report_decode(path, item, off, err, &d);
		e->failed++;
		return;
	}
	json_t *o = e->json ? json_pack("{s:s, s:I}", "file", path, "size", (json_int_t)len) : NULL;
	if (!e->json)
		printf("%s: notice %.*s, %zu bytes, %zu signature%s\n", path, (int)n.id.n, n.id.p,
		       len, m.nsig, m.nsig == 1 ? "" : "s");
	bool fits = len <= RC_NOTICE_MAX;
	if (!fits) {
		warnx_("%s: notice %.*s is %zu bytes, more than fits in one answer (%u)", path,
		       (int)n.id.n, n.id.p, len, RC_NOTICE_MAX);
		e->failed++;
	}
	if (e->verify) {
		struct rc_verdict v;
		json_t *sg = e->json ? json_array() : NULL;
		err = signers_report(e->a, &m, &v, sg);
		const char *win = e->at < n.not_before ? "not yet valid"
				  : e->at >= n.expiry  ? "expired"
						       : "valid";
		if (o) {
			json_object_set_new(o, "id", json_stringn(n.id.p, n.id.n));
			json_object_set_new(o, "signatures", sg);
			json_object_set_new(o, "valid_signatures", json_integer(v.valid));
			json_object_set_new(o, "needed", json_integer(e->a->k));
			json_object_set_new(o, "bad_signatures", json_integer(v.bad));
			json_object_set_new(o, "unknown_signatures", json_integer(v.unknown));
			json_object_set_new(o, "threshold_met", json_boolean(v.threshold_met));
			json_object_set_new(o, "window", json_string(win));
			json_object_set_new(o, "ok", json_boolean(!err && fits));
		} else {
			printf("  threshold %s: %u valid of %" PRIu32 " needed%s\n",
			       v.threshold_met ? "met" : "NOT MET", v.valid, e->a->k,
			       v.bad ? " (bad signatures by trusted keys present)" : "");
			char a[32], b[32];
			printf("  window    %s (%s to %s)\n", win, fmt_time(a, n.not_before),
			       fmt_time(b, n.expiry));
		}
		if (err) {
			warnx_("%s: notice %.*s: threshold not met: %u valid signature%s of the "
			       "%" PRIu32 " needed",
			       path, (int)n.id.n, n.id.p, v.valid, v.valid == 1 ? "" : "s",
			       e->a->k);
			e->failed++;
		}
	} else if (o) {
		json_t *sg = json_array();
		kids_report(&m, sg);
		json_object_set_new(o, "signatures", sg);
		json_object_set_new(o, "notice", notice_to_json(&n));
	} else {
		notice_print(&n, "  ");
		kids_report(&m, NULL);
	}
	if (o)
		json_array_append_new(e->arr, o);
}

/* Run one() on every notice of every file. */
static void each_file(struct each *e, char **files, int n)
{
	for (int f = 0; f < n; f++) {
		size_t len;
		uint8_t *buf = file_read(files[f], &len, SIGNED_FILE_MAX);
		if (!buf) {
			e->failed++;
			continue;
		}
		if (!len) {
			warnx_("%s: empty file", files[f]);
			e->failed++;
		}
		if (wrong_kind(files[f], buf, len, RC_CT_NOTICE)) {
			e->failed++;
			len = 0;
		}
		size_t off = 0;
		long item = 0;
		while (off < len) {
			struct rc_diag d = {0, NULL};
			size_t il = seq_item(buf, len, off, &d);
			bool several = item > 0 || (il && off + il < len);
			if (!il) {
				report_decode(files[f], several ? item : -1, off, RC_ERR_TRUNCATED,
					      &d);
				e->failed++;
				break;
			}
			one(e, files[f], several ? item : -1, off, buf + off, il);
			off += il;
			item++;
		}
		free(buf);
	}
}

static int verify_or_show(int argc, char **argv, bool verify)
{
	static const struct option opts[] = {{"anchors", required_argument, NULL, 'a'},
					     {"at", required_argument, NULL, OPT_L('t')},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *usage = verify ? verify_usage : show_usage;
	const char *anchors = NULL;
	struct each e = {.at = now_s()};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, verify ? "a:t:jh" : "jh", opts, NULL)) != -1) {
		c = opt_retired(c, "t", opts);
		if (c == 'a') {
			anchors = optarg;
		} else if (c == OPT_L('t')) {
			if (parse_time(optarg, &e.at) < 0)
				return bad_value(usage, "notice verify", opts, c, optarg,
						 TIME_FORMS);
		} else if (c == 'j') {
			e.json = true;
		} else {
			return usage_opt(c, usage);
		}
	}
	if (optind >= argc || (verify && !anchors))
		return usage_fail(usage, verify
					     ? "notice verify: -a ANCHORS and one or more NOTICEs"
					     : "notice show: give one or more NOTICEs");
	struct rc_anchors a;
	if (verify && anchors_load(anchors, &a) < 0)
		return EXIT_FAIL;
	e.verify = verify;
	e.a = &a;
	e.arr = e.json ? json_array() : NULL;
	each_file(&e, argv + optind, argc - optind);
	if (e.json)
		json_print(e.arr);
	return e.failed ? EXIT_FAIL : EXIT_OK;
}

static int notice_verify(int argc, char **argv)
{
	return verify_or_show(argc, argv, true);
}

static int notice_show(int argc, char **argv)
{
	return verify_or_show(argc, argv, false);
}

static const struct subcmd notice_cmds[] = {
    {"create", notice_create, "write an unsigned notice from a JSON description"},
    {"sign", notice_sign, "add one signature to a notice"},
    {"merge", notice_merge, "merge signatures of copies of one notice"},
    {"verify", notice_verify, "check signatures against an anchor set (k of n)"},
    {"show", notice_show, "print notices (--json for programs)"},
    {NULL, NULL, NULL},
};

int cmd_notice(int argc, char **argv)
{
	return subcmd_run("notice", notice_cmds, argc, argv);
}
