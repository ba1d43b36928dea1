/* recall feed build: compile verified signed notices into one signed feed file; and the feed
 * subcommand table (verify, show and lookup are in feed_show.c). */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "feedtool.h"
#include "keyfile.h"
#include "signer.h"
#include "recall/msg.h"
#include "signed.h"

static const char build_usage[] =
    "usage: recall feed build -k KEY -a ANCHORS -o OUT [--serial N] [--issued TIME]\n"
    "                         [--expiry TIME | --valid DURATION] [-v] [--json] NOTICES...\n"
    "\n"
    "Compile signed notices into a feed signed by the feed key. NOTICES are files (each may\n"
    "hold several notices, concatenated) or directories (their *.notice files). Every notice\n"
    "must meet the anchor set's threshold, fit in one answer, be unexpired at the issue time\n"
    "and have an id of its own; otherwise nothing is written and each problem is named.\n"
    "\n"
    "  -k, --key KEY          feed signing key: a key file or a pkcs11: URI\n"
    "  -a, --anchors FILE     anchor set the notices are verified against (its id goes in\n"
    "                         the header)\n"
    "  -o, --output OUT       feed file to write\n"
    "  -s, --serial N         serial number (default: the issue time in POSIX seconds);\n"
    "                         must exceed the previous feed's\n"
    "  -i, --issued TIME      issue time (default now)\n"
    "  -e, --expiry TIME      expiry time\n"
    "      --valid DURATION   expiry = issued + DURATION (default 7d; units s m h d w)\n"
    "  -v, --verbose          print the time each step takes\n"
    "  -j, --json             print what was written as JSON, for scripts\n"
    "  -h, --help             this text\n";

static bool build_json; /* --json: the summary line as a JSON object */

/* Where an input notice came from, for messages. */
struct origin {
	uint32_t file; /* index into files */
	uint32_t item; /* position in its file (0-based) */
	bool single;   /* the file holds exactly this one notice */
};

/* Every input notice: its bytes (views into the file buffers, in the two arrays that
 * rc_feed_build takes) and where it came from. */
struct inputs {
	char **files;
	size_t nfiles, capfiles;
	uint8_t **bufs;
	const uint8_t **p;
	size_t *len;
	struct origin *at;
	size_t n, cap;
};

static int add_file(struct inputs *in, const char *path)
{
	if (in->nfiles == in->capfiles) {
		size_t nc = in->capfiles ? 2 * in->capfiles : 64;
		char **f = realloc(in->files, nc * sizeof(*f));
		uint8_t **b = f ? realloc(in->bufs, nc * sizeof(*b)) : NULL;
		if (f)
			in->files = f;
		if (b)
			in->bufs = b;
		if (!f || !b)
			return -1;
		in->capfiles = nc;
	}
	in->files[in->nfiles] = strdup(path);
	in->bufs[in->nfiles] = NULL;
	if (!in->files[in->nfiles])
		return -1;
	in->nfiles++;
	return 0;
}

static int is_notice_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return e->d_name[0] != '.' && n > 7 && !strcmp(e->d_name + n - 7, ".notice");
}

/* Expand arguments into files (directories: their *.notice files in name order). */
static int collect(struct inputs *in, char **args, int nargs)
{
	for (int i = 0; i < nargs; i++) {
		struct stat st;
		if (stat(args[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			if (add_file(in, args[i]) < 0)
				return -1;
			continue;
		}
		struct dirent **list;
		int n = scandir(args[i], &list, is_notice_file, alphasort);
		if (n < 0) {
			warnx_("%s: cannot read the directory", args[i]);
			return -1;
		}
		if (n == 0)
			warnx_("%s: no *.notice files in this directory", args[i]);
		int err = 0;
		for (int j = 0; j < n; j++) {
			size_t l = strlen(args[i]) + strlen(list[j]->d_name) + 2;
			char *path = malloc(l);
			if (!err && path) {
				snprintf(path, l, "%s/%s", args[i], list[j]->d_name);
				err = add_file(in, path);
			} else {
				err = -1;
			}
			free(path);
			free(list[j]);
		}
		free(list);
		if (err)
			return -1;
	}
	return 0;
}

static int add_item(struct inputs *in, const uint8_t *p, size_t len, uint32_t file, uint32_t item)
{
	if (in->n == in->cap) {
		size_t nc = in->cap ? 2 * in->cap : 1024;
		const uint8_t **np = realloc(in->p, nc * sizeof(*np));
		if (np)
			in->p = np;
		size_t *nl = np ? realloc(in->len, nc * sizeof(*nl)) : NULL;
		if (nl)
			in->len = nl;
		struct origin *na = nl ? realloc(in->at, nc * sizeof(*na)) : NULL;
		if (na)
			in->at = na;
		if (!na)
			return -1;
		in->cap = nc;
	}
	in->p[in->n] = p;
	in->len[in->n] = len;
	in->at[in->n] = (struct origin){file, item, false};
	in->n++;
	return 0;
}

/* Read every file and split it into notices. Returns the number of problems. */
static size_t load(struct inputs *in)
{
	size_t problems = 0;
	for (size_t f = 0; f < in->nfiles; f++) {
		size_t len;
		in->bufs[f] = file_read(in->files[f], &len, SIGNED_FILE_MAX);
		if (!in->bufs[f]) {
			problems++;
			continue;
		}
		if (!len) {
			warnx_("%s: empty file", in->files[f]);
			problems++;
		}
		size_t off = 0, first = in->n;
		uint32_t item = 0;
		while (off < len) {
			struct rc_diag d = {0, NULL};
			size_t il = seq_item(in->bufs[f], len, off, &d);
			if (!il) {
				report_decode(in->files[f], item, off, RC_ERR_TRUNCATED, &d);
				problems++;
				break;
			}
			if (in->n >= RC_FEED_MAX_NOTICES ||
			    add_item(in, in->bufs[f] + off, il, (uint32_t)f, item) < 0) {
				warnx_(
				    "%s: too many notices (at most %u per feed) or out of memory",
				    in->files[f], RC_FEED_MAX_NOTICES);
				return problems + 1;
			}
			off += il;
			item++;
		}
		if (in->n == first + 1)
			in->at[first].single = true;
	}
	return problems;
}

/* "FILE" or "FILE #3" for notice i. */
static const char *where(const struct inputs *in, size_t i, char *buf, size_t cap)
{
	const struct origin *o = &in->at[i];
	if (o->single)
		snprintf(buf, cap, "%s", in->files[o->file]);
	else
		snprintf(buf, cap, "%s #%" PRIu32, in->files[o->file], o->item + 1);
	return buf;
}

/* Check notice i; prints its problem (when reported) and returns false if it has one. */
static bool check(const struct inputs *in, size_t i, const struct rc_anchors *a, uint64_t issued,
		  bool report)
{
	char w[512], t[32];
	struct rc_cose_sign m;
	struct rc_notice n;
	struct rc_diag d = {0, NULL};
	struct rc_verdict v;
	where(in, i, w, sizeof(w));
	if (in->len[i] > RC_NOTICE_MAX) {
		if (report)
			warnx_("%s: %zu bytes, more than fits in one answer (%u)", w, in->len[i],
			       RC_NOTICE_MAX);
		return false;
	}
	int err = rc_cose_decode(&m, in->p[i], in->len[i], &d);
	if (!err && m.content_type != RC_CT_NOTICE) {
		if (report)
			warnx_("%s: a %s, not a notice", w, ct_name(m.content_type));
		return false;
	}
	if (!err)
		err = rc_notice_decode(&n, m.payload, m.payload_len, &d);
	if (err) {
		if (report)
			warnx_("%s: %s at byte %zu: %s%s", w, d.field ? d.field : "notice", d.off,
			       rc_strerror(err),
			       err == RC_ERR_MISSING && d.field && strstr(d.field, "signatures")
				   ? " (the notice is not signed)"
				   : "");
		return false;
	}
	err = rc_anchors_verify(a, &m, &v);
	if (err) {
		if (report)
			warnx_("%s: notice %.*s: threshold not met: %u valid signature%s of the "
			       "%" PRIu32 " needed%s",
			       w, (int)n.id.n, n.id.p, v.valid, v.valid == 1 ? "" : "s", a->k,
			       v.bad ? " (and bad signatures by trusted keys)" : "");
		return false;
	}
	if (n.expiry <= issued) {
		if (report)
			warnx_("%s: notice %.*s expired at %s, before the feed's issue time", w,
			       (int)n.id.n, n.id.p, fmt_time(t, n.expiry));
		return false;
	}
	return true;
}

/* Report the duplicate id found by rc_feed_build at input index bad. */
static void report_dup(const struct inputs *in, size_t bad)
{
	struct rc_cose_sign m;
	struct rc_notice n, o;
	char w1[512], w2[512];
	if (rc_cose_decode(&m, in->p[bad], in->len[bad], NULL) ||
	    rc_notice_decode(&n, m.payload, m.payload_len, NULL)) {
		warnx_("%s: repeats the id of another notice", where(in, bad, w1, sizeof(w1)));
		return;
	}
	for (size_t i = 0; i < in->n; i++) {
		if (i == bad || rc_cose_decode(&m, in->p[i], in->len[i], NULL) ||
		    rc_notice_decode(&o, m.payload, m.payload_len, NULL) || !rc_str_eq(n.id, o.id))
			continue;
		warnx_("%s: notice id %.*s repeats the one in %s", where(in, bad, w1, sizeof(w1)),
		       (int)n.id.n, n.id.p, where(in, i, w2, sizeof(w2)));
		return;
	}
}

static void inputs_free(struct inputs *in)
{
	for (size_t f = 0; f < in->nfiles; f++) {
		free(in->files[f]);
		free(in->bufs[f]);
	}
	free(in->files);
	free(in->bufs);
	free(in->p);
	free(in->len);
	free(in->at);
}

static int build(const char *out, const char *keypath, const struct rc_anchors *a,
		 struct rc_feed_meta *meta, char **args, int nargs, bool verbose)
{
	struct inputs in;
	memset(&in, 0, sizeof(in));
	int ret = EXIT_FAIL;
	struct signer k = {0};
	uint8_t *feed = NULL;
	size_t flen = 0, bad = 0, problems = 0;
	double t0 = mono_ms();
	if (collect(&in, args, nargs) < 0 || (problems = load(&in)) > 0)
		goto done;
	double t1 = mono_ms();
	for (size_t i = 0; i < in.n; i++) {
		if (!check(&in, i, a, meta->issued, problems < FEED_REPORT_MAX))
			problems++;
	}
	if (problems > FEED_REPORT_MAX)
		warnx_("... and %zu more problems", problems - FEED_REPORT_MAX);
	if (problems) {
		warnx_("%s: not written: %zu of %zu notices have problems", out, problems, in.n);
		goto done;
	}
	double t2 = mono_ms();
	if (signer_open(&k, keypath) < 0)
		goto done;
	int err = rc_feed_build_signer(&feed, &flen, meta, in.p, in.len, in.n, &k.rc, &bad);
	if (err == RC_ERR_IO) {
		goto done; /* the signer said why */
	} else if (err == RC_ERR_DUPKEY) {
		report_dup(&in, bad);
		goto done;
	} else if (err) {
		warnx_("%s: cannot build the feed: %s", out, rc_strerror(err));
		goto done;
	}
	double t3 = mono_ms();
	if (file_write(out, feed, flen, 0644, false) < 0)
		goto done;
	double t4 = mono_ms();
	char h[2 * RC_KID_LEN + 1], ts[32], ti[32];
	if (build_json)
		json_print(json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s}", "file", out, "serial",
				     (json_int_t)meta->serial, "notices", (json_int_t)in.n, "bytes",
				     (json_int_t)flen, "issued", fmt_time(ti, meta->issued),
				     "expiry", fmt_time(ts, meta->expiry), "key_id",
				     hex(h, k.kid, RC_KID_LEN)));
	else
		printf("%s: feed serial %" PRIu64 ", %zu notices, %zu bytes, expires %s, signed by "
		       "kid %s\n",
		       out, meta->serial, in.n, flen, fmt_time(ts, meta->expiry),
		       hex(h, k.kid, RC_KID_LEN));
	if (verbose)
		fprintf(stderr,
			"recall: feed build: read %.1f ms, verify %.1f ms, index+sign %.1f ms, "
			"write %.1f ms\n",
			t1 - t0, t2 - t1, t3 - t2, t4 - t3);
	ret = EXIT_OK;
done:
	signer_close(&k);
	free(feed);
	inputs_free(&in);
	return ret;
}

static int feed_build(int argc, char **argv)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
					     {"anchors", required_argument, NULL, 'a'},
					     {"output", required_argument, NULL, 'o'},
					     {"serial", required_argument, NULL, 's'},
					     {"issued", required_argument, NULL, 'i'},
					     {"expiry", required_argument, NULL, 'e'},
					     {"valid", required_argument, NULL, OPT_L('d')},
					     {"verbose", no_argument, NULL, 'v'},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *key = NULL, *anchors = NULL, *out = NULL;
	uint64_t serial = 0, expiry = 0, valid = 7 * 86400;
	bool has_serial = false, has_expiry = false, has_valid = false, verbose = false;
	struct rc_feed_meta meta;
	memset(&meta, 0, sizeof(meta));
	meta.issued = now_s();
	int c;
	optind = 1;
	build_json = false;
	while ((c = getopt_long(argc, argv, "k:a:o:s:i:e:d:vjh", opts, NULL)) != -1) {
		int bad = 0;
		switch (c = opt_retired(c, "d", opts)) {
		case 'k':
			key = optarg;
			break;
		case 'a':
			anchors = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			bad = parse_u64(optarg, &serial);
			has_serial = true;
			break;
		case 'i':
			bad = parse_time(optarg, &meta.issued);
			break;
		case 'e':
			bad = parse_time(optarg, &expiry);
			has_expiry = true;
			break;
		case OPT_L('d'):
			bad = parse_duration(optarg, &valid);
			has_valid = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'j':
			build_json = true;
			break;
		default:
			return usage_opt(c, build_usage);
		}
		if (bad)
			return bad_value(build_usage, "feed build", opts, c, optarg,
					 c == OPT_L('d') ? DURATION_FORMS
					 : c == 's'      ? NUMBER_FORMS
							 : TIME_FORMS);
	}
	if (!key || !anchors || !out || optind >= argc)
		return usage_fail(build_usage, "feed build: -k, -a, -o and NOTICES are required");
	if (has_expiry && has_valid)
		return usage_fail(build_usage, "feed build: give --expiry or --valid, not both");
	meta.serial = has_serial ? serial : meta.issued;
	meta.expiry = has_expiry ? expiry : meta.issued + valid;
	if (meta.expiry <= meta.issued)
		return usage_fail(build_usage,
				  "feed build: the expiry must be after the issue time");
	struct rc_anchors a;
	if (anchors_load(anchors, &a) < 0)
		return EXIT_FAIL;
	if (rc_anchors_id(&a, meta.anchors_id) != RC_OK) {
		warnx_("%s: cannot compute the anchor set id", anchors);
		return EXIT_FAIL;
	}
	return build(out, key, &a, &meta, argv + optind, argc - optind, verbose);
}

static const struct subcmd feed_cmds[] = {
    {"build", feed_build, "compile signed notices into a signed feed"},
    {"verify", feed_verify, "check a feed as a responder would (and against a previous one)"},
    {"show", feed_show, "print a feed's header, vendors, models and notices"},
    {"lookup", feed_lookup, "find the notice a responder would send for an identity"},
    {NULL, NULL, NULL},
};

int cmd_feed(int argc, char **argv)
{
	return subcmd_run("feed", feed_cmds, argc, argv);
}
