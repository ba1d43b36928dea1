/* recall anchors: create and show anchor sets; write, sign, merge and verify rotation
 * statements (a next set signed by k keys of the current one). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "anchors_log.h"
#include "keyfile.h"
#include "signer.h"
#include "recall/msg.h"
#include "signed.h"
#include "util.h"

static const char create_usage[] =
    "usage: recall anchors create --k K [--epoch E] [LOG POLICY] -o OUT KEY.pub...\n"
    "\n"
    "Write the anchor set of the given public keys (1 to 16) with threshold K (a notice needs K\n"
    "distinct signatures of them) as CBOR to OUT, and print its id.\n"
    "\n"
    "      --k, --threshold K  signatures needed, 1..number of keys\n"
    "  -e, --epoch E           epoch number (default 1); each rotation adds one\n"
    "  -o, --output OUT        file to write\n"
    "  -h, --help              this text\n" LOG_OPT_HELP;

static const char show_usage[] =
    "usage: recall anchors show [--json] FILE\n"
    "\n"
    "Print an anchor set or a rotation statement (its next set, revoked kids, signer kids).\n"
    "\n"
    "  -j, --json  print JSON for programs\n"
    "  -h, --help  this text\n";

static const char rotate_usage[] =
    "usage: recall anchors rotate --from CUR --to NEXT [--revoke KEY.pub|KID]...\n"
    "                             [-k KEY]... -o OUT\n"
    "\n"
    "Write a rotation statement that replaces anchor set CUR (epoch E) with NEXT (epoch E+1),\n"
    "optionally revoking keys of CUR, signed by the secret keys given (none is fine: each key\n"
    "holder can add theirs with 'recall anchors sign', then 'recall anchors merge').\n"
    "\n"
    "      --from CUR       the current anchor set\n"
    "  -n, --to NEXT        the next anchor set (from 'recall anchors create --epoch E+1')\n"
    "  -r, --revoke KEY     a revoked key of CUR: its .pub file or its kid (16 hex digits)\n"
    "  -k, --key KEY        sign with this key: a key file or a pkcs11: URI (repeatable)\n"
    "  -o, --output OUT     file to write\n"
    "  -h, --help           this text\n";

static const char sign_usage[] =
    "usage: recall anchors sign -k KEY [-o OUT] STATEMENT\n"
    "\n"
    "Add one signature to a rotation statement (in place unless -o). Signing again with the\n"
    "same key replaces its signature; signature order never matters.\n"
    "\n"
    "  -k, --key KEY      the secret key: a key file or a pkcs11: URI\n"
    "  -o, --output OUT   write here instead of replacing STATEMENT\n"
    "  -h, --help         this text\n";

static const char merge_usage[] =
    "usage: recall anchors merge -o OUT STATEMENT...\n"
    "\n"
    "Merge the signatures of copies of one rotation statement signed separately.\n"
    "\n"
    "  -o, --output OUT  file to write (may be one of the inputs)\n"
    "  -h, --help        this text\n";

static const char verify_usage[] =
    "usage: recall anchors verify [--json] [-o FINAL] INITIAL [STATEMENT...]\n"
    "\n"
    "Starting from anchor set INITIAL, apply each rotation statement in order: each must be\n"
    "signed by K keys of the set before it and move its epoch by one. Prints who signed each\n"
    "step and the resulting set. Exit status 0 only if every step holds.\n"
    "\n"
    "  -o, --output FINAL  write the resulting anchor set here\n"
    "  -j, --json          print JSON for programs\n"
    "  -h, --help          this text\n";

static int anchors_create(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"k", required_argument, NULL, OPT_L('t')},
	    {"threshold", required_argument, NULL, OPT_L('t')},
	    {"epoch", required_argument, NULL, 'e'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    LOG_LONG_OPTS,
	    {NULL, 0, NULL, 0},
	};
	uint64_t k = 0, epoch = 1;
	const char *out = NULL;
	struct log_args la;
	int c;
	memset(&la, 0, sizeof(la));
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:e:o:h" LOG_OPT_LETTERS, opts, NULL)) != -1) {
		c = opt_retired(c, "t", opts);
		if (c != ':' && c != '?' && strchr(LOG_OPT_LETTERS, c)) {
			if (log_args_add(&la, c, optarg) < 0)
				return EXIT_USAGE;
		} else if (c == OPT_L('t') && parse_u64(optarg, &k) < 0) {
			return usage_fail(create_usage, "anchors create: --k: not a number: %s",
					  optarg);
		} else if (c == 'e' && parse_u64(optarg, &epoch) < 0) {
			return usage_fail(create_usage, "anchors create: --epoch: not a number: %s",
					  optarg);
		} else if (c == 'o') {
			out = optarg;
		} else if (c != OPT_L('t') && c != 'e') {
			return usage_opt(c, create_usage);
		}
	}
	int n = argc - optind;
	if (!out)
		return usage_fail(create_usage, "anchors create: -o OUT is required");
	if (n < 1 || n > RC_ANCHOR_MAX)
		return usage_fail(create_usage, "anchors create: give 1 to %d public key files",
				  RC_ANCHOR_MAX);
	if (k < 1 || k > (uint64_t)n)
		return usage_fail(create_usage,
				  "anchors create: --k must be 1..%d (the number of "
				  "keys given), not %" PRIu64,
				  n, k);
	uint8_t pks[RC_ANCHOR_MAX][RC_PK_LEN];
	for (int i = 0; i < n; i++) {
		if (key_load_public(argv[optind + i], pks[i]) < 0)
			return EXIT_FAIL;
		for (int j = 0; j < i; j++)
			if (!memcmp(pks[i], pks[j], RC_PK_LEN)) {
				warnx_("%s: the same key as %s; anchors must be distinct",
				       argv[optind + i], argv[optind + j]);
				return EXIT_FAIL;
			}
	}
	struct rc_anchors a;
	int err =
	    rc_anchors_init(&a, epoch, (uint32_t)k, (const uint8_t(*)[RC_PK_LEN])pks, (size_t)n);
	uint8_t buf[RC_ANCHORS_ENC_MAX];
	size_t len = 0;
	if (err) {
		warnx_("anchors create: %s (a key may not be a usable Ed25519 public key)",
		       rc_strerror(err));
		return EXIT_FAIL;
	}
	if (log_args_any(&la) && log_args_apply(&la, &a) < 0)
		return EXIT_FAIL;
	err = rc_anchors_encode(&a, buf, sizeof(buf), &len);
	if (err) {
		warnx_("anchors create: cannot encode: %s", rc_strerror(err));
		return EXIT_FAIL;
	}
	if (file_write(out, buf, len, 0644, false) < 0)
		return EXIT_FAIL;
	printf("%s: anchor set\n", out);
	anchors_print(&a, "  ");
	return EXIT_OK;
}

/* Parse --revoke: a .pub file or a kid in hex. */
static int revoked_kid(const char *arg, uint8_t kid[static RC_KID_LEN])
{
	if (unhex(kid, RC_KID_LEN, arg) == 0)
		return 0;
	uint8_t pk[RC_PK_LEN];
	if (key_load_public(arg, pk) < 0)
		return -1;
	rc_kid(kid, pk);
	return 0;
}

static int cmp_kid(const void *a, const void *b)
{
	return memcmp(a, b, RC_KID_LEN);
}

static int anchors_rotate_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, OPT_L('f')},
	    {"to", required_argument, NULL, 'n'},
	    {"revoke", required_argument, NULL, 'r'},
	    {"key", required_argument, NULL, 'k'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *to = NULL, *out = NULL;
	const char *keys[RC_SIG_MAX];
	int nkeys = 0, c;
	struct rc_rotation rot;
	memset(&rot, 0, sizeof(rot));
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:n:r:k:o:h", opts, NULL)) != -1) {
		switch (opt_retired(c, "f", opts)) {
		case OPT_L('f'):
			from = optarg;
			break;
		case 'n':
			to = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'k':
			if (nkeys == RC_SIG_MAX)
				return usage_fail(rotate_usage, "anchors rotate: at most %d keys",
						  RC_SIG_MAX);
			keys[nkeys++] = optarg;
			break;
		case 'r':
			if (rot.nrevoked == RC_REVOKED_MAX)
				return usage_fail(rotate_usage,
						  "anchors rotate: at most %d revoked keys",
						  RC_REVOKED_MAX);
			if (revoked_kid(optarg, rot.revoked[rot.nrevoked]) < 0)
				return EXIT_FAIL;
			rot.nrevoked++;
			break;
		default:
			return usage_opt(c, rotate_usage);
		}
	}
	if (!from || !to || !out || optind != argc)
		return usage_fail(rotate_usage, "anchors rotate: --from, --to and -o are required, "
						"and nothing else");
	struct rc_anchors cur;
	if (anchors_load(from, &cur) < 0 || anchors_load(to, &rot.next) < 0)
		return EXIT_FAIL;
	if (rot.next.epoch != cur.epoch + 1) {
		warnx_("%s: anchors.epoch: is %" PRIu64 ", but the set after %s (epoch %" PRIu64
		       ") must have epoch %" PRIu64,
		       to, rot.next.epoch, from, cur.epoch, cur.epoch + 1);
		return EXIT_FAIL;
	}
	rot.from_epoch = cur.epoch;
	qsort(rot.revoked, rot.nrevoked, RC_KID_LEN, cmp_kid);
	char h[2 * RC_KID_LEN + 1];
	for (size_t i = 0; i < rot.nrevoked; i++) {
		hex(h, rot.revoked[i], RC_KID_LEN);
		if (i && !memcmp(rot.revoked[i], rot.revoked[i - 1], RC_KID_LEN)) {
			warnx_("anchors rotate: --revoke: kid %s given twice", h);
			return EXIT_FAIL;
		}
		if (rc_anchors_find(&cur, rot.revoked[i]) < 0) {
			warnx_("anchors rotate: --revoke: kid %s is not a key of %s", h, from);
			return EXIT_FAIL;
		}
		if (rc_anchors_find(&rot.next, rot.revoked[i]) >= 0) {
			warnx_("%s: revoked kid %s is still in the next set", to, h);
			return EXIT_FAIL;
		}
	}
	uint8_t payload[RC_COSE_PAYLOAD_MAX], buf[SIGNED_BUF], tmp[SIGNED_BUF];
	size_t plen, len;
	int err = rc_rotation_encode(&rot, payload, sizeof(payload), &plen);
	if (!err)
		err =
		    rc_cose_encode_unsigned(buf, sizeof(buf), &len, RC_CT_ROTATION, payload, plen);
	if (err) {
		warnx_("anchors rotate: cannot encode the statement: %s", rc_strerror(err));
		return EXIT_FAIL;
	}
	for (int i = 0; i < nkeys; i++) {
		struct signer k;
		if (signer_open(&k, keys[i]) < 0)
			return EXIT_FAIL;
		err = rc_cose_sign_add_signer(tmp, sizeof(tmp), &len, buf, len, &k.rc);
		signer_close(&k);
		if (err == RC_ERR_IO)
			return EXIT_FAIL; /* the signer said why */
		if (err) {
			warnx_("%s: cannot sign: %s", keys[i], rc_strerror(err));
			return EXIT_FAIL;
		}
		memcpy(buf, tmp, len);
	}
	if (len > RC_NOTICE_MAX) {
		warnx_("anchors rotate: the statement would be %zu bytes, more than fits in one "
		       "answer (%u)",
		       len, RC_NOTICE_MAX);
		return EXIT_FAIL;
	}
	if (file_write(out, buf, len, 0644, false) < 0)
		return EXIT_FAIL;
	printf("%s: rotation statement from epoch %" PRIu64 " to %" PRIu64
	       ", %zu revoked, %d signature%s (%zu bytes)\n",
	       out, cur.epoch, rot.next.epoch, rot.nrevoked, nkeys, nkeys == 1 ? "" : "s", len);
	return EXIT_OK;
}

/* Show one rotation statement (bytes already read). */
static int show_rotation(const char *path, const uint8_t *buf, size_t n, bool json)
{
	struct rc_cose_sign m;
	struct rc_rotation rot;
	struct rc_diag d = {0, NULL};
	int err = cose_view(&m, buf, n, &d);
	if (!err && m.content_type != RC_CT_ROTATION) {
		warnx_("%s: this is a %s, not an anchor set or rotation statement (see 'recall "
		       "notice show')",
		       path, ct_name(m.content_type));
		return EXIT_FAIL;
	}
	if (!err)
		err = rc_rotation_decode(&rot, m.payload, m.payload_len, &d);
	if (err) {
		report_decode(path, -1, 0, err, &d);
		return EXIT_FAIL;
	}
	char h[2 * RC_KID_LEN + 1];
	if (json) {
		json_t *o = json_object(), *rv = json_array(), *sg = json_array();
		json_object_set_new(o, "type", json_string("rotation"));
		json_object_set_new(o, "from_epoch", json_integer((json_int_t)rot.from_epoch));
		json_object_set_new(o, "next", anchors_json(&rot.next));
		for (size_t i = 0; i < rot.nrevoked; i++)
			json_array_append_new(rv, json_string(hex(h, rot.revoked[i], RC_KID_LEN)));
		json_object_set_new(o, "revoked", rv);
		kids_report(&m, sg);
		json_object_set_new(o, "signatures", sg);
		json_object_set_new(o, "size", json_integer((json_int_t)n));
		json_print(o);
		return EXIT_OK;
	}
	printf("%s: rotation statement, %zu bytes\n  from epoch %" PRIu64 "\n  next set:\n", path,
	       n, rot.from_epoch);
	anchors_print(&rot.next, "    ");
	for (size_t i = 0; i < rot.nrevoked; i++)
		printf("  revoked kid %s\n", hex(h, rot.revoked[i], RC_KID_LEN));
	printf("  %zu signature%s (not checked here: use 'recall anchors verify')\n", m.nsig,
	       m.nsig == 1 ? "" : "s");
	kids_report(&m, NULL);
	return EXIT_OK;
}

static int anchors_show(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else {
			return usage_opt(c, show_usage);
		}
	}
	if (argc - optind != 1)
		return usage_fail(show_usage, "anchors show: give one FILE");
	const char *path = argv[optind];
	size_t n;
	uint8_t *buf = file_read(path, &n, ANCHORS_FILE_MAX);
	if (!buf)
		return EXIT_FAIL;
	struct rc_anchors a;
	int ret = EXIT_OK;
	if (looks_signed(buf, n)) {
		ret = show_rotation(path, buf, n, json);
	} else if (anchors_parse(path, buf, n, &a) < 0) {
		ret = EXIT_FAIL;
	} else if (json) {
		json_t *o = anchors_json(&a);
		json_object_set_new(o, "type", json_string("anchors"));
		json_print(o);
	} else {
		printf("%s: anchor set\n", path);
		anchors_print(&a, "  ");
	}
	free(buf);
	return ret;
}

static int anchors_sign(int argc, char **argv)
{
	return signed_cmd(argc, argv, sign_usage, false, RC_CT_ROTATION, "anchors", "STATEMENT");
}

static int anchors_merge(int argc, char **argv)
{
	return signed_cmd(argc, argv, merge_usage, true, RC_CT_ROTATION, "anchors", "STATEMENT");
}

static int anchors_verify(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool json = false;
	const char *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jo:h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'o') {
			out = optarg;
		} else {
			return usage_opt(c, verify_usage);
		}
	}
	if (optind >= argc)
		return usage_fail(verify_usage, "anchors verify: give the INITIAL anchor set");
	struct rc_anchors cur;
	if (anchors_load(argv[optind], &cur) < 0)
		return EXIT_FAIL;
	json_t *steps = json ? json_array() : NULL;
	int ret = EXIT_OK;
	if (!json) {
		printf("%s: initial anchor set\n", argv[optind]);
		anchors_print(&cur, "  ");
	}
	for (int i = optind + 1; i < argc && ret == EXIT_OK; i++) {
		struct rc_cose_sign m;
		struct rc_rotation rot;
		struct rc_verdict v;
		struct rc_diag d = {0, NULL};
		size_t n;
		uint8_t *buf = signed_read_one(argv[i], RC_CT_ROTATION, &n, &m);
		if (!buf) {
			ret = EXIT_FAIL;
			break;
		}
		int err = rc_rotation_decode(&rot, m.payload, m.payload_len, &d);
		if (err) {
			report_decode(argv[i], -1, 0, err, &d);
			free(buf);
			ret = EXIT_FAIL;
			break;
		}
		json_t *sg = json ? json_array() : NULL;
		if (!json)
			printf("%s: rotation from epoch %" PRIu64 " to %" PRIu64 "\n", argv[i],
			       rot.from_epoch, rot.next.epoch);
		signers_report(&cur, &m, &v, sg);
		struct rc_anchors before = cur;
		/* Out of order first: its signers are judged against the wrong set otherwise. */
		err = rot.from_epoch != cur.epoch ? RC_ERR_RANGE
						  : rc_anchors_rotate(&cur, buf, n, &v);
		free(buf);
		const char *why = NULL;
		char reason[160];
		if (err == RC_ERR_THRESHOLD || (err && !v.threshold_met && m.nsig == 0)) {
			snprintf(reason, sizeof(reason),
				 "%u valid signature%s of the %" PRIu32
				 " needed from epoch %" PRIu64 "'s keys",
				 v.valid, v.valid == 1 ? "" : "s", before.k, before.epoch);
			why = reason;
		} else if (err == RC_ERR_STALE || err == RC_ERR_RANGE) {
			snprintf(reason, sizeof(reason),
				 "it rotates from epoch %" PRIu64 ", but the set at this point has "
				 "epoch %" PRIu64 " (statements out of order?)",
				 rot.from_epoch, before.epoch);
			why = reason;
		} else if (err) {
			why = rc_strerror(err);
		}
		if (json) {
			json_t *o =
			    json_pack("{s:s, s:I, s:I, s:o, s:i, s:i, s:b}", "file", argv[i],
				      "from_epoch", (json_int_t)rot.from_epoch, "to_epoch",
				      (json_int_t)rot.next.epoch, "signatures", sg, "valid",
				      (int)v.valid, "needed", (int)before.k, "ok", !err);
			if (why)
				json_object_set_new(o, "error", json_string(why));
			json_array_append_new(steps, o);
		} else if (!err) {
			printf("  accepted: %u of %" PRIu32 " needed signatures\n", v.valid,
			       before.k);
		}
		if (err) {
			warnx_("%s: rotation not accepted: %s", argv[i], why);
			ret = EXIT_FAIL;
		}
	}
	if (json) {
		json_t *o = json_pack("{s:o, s:o, s:b}", "steps", steps, "final",
				      anchors_json(&cur), "ok", ret == EXIT_OK);
		json_print(o);
	} else if (ret == EXIT_OK) {
		printf("resulting anchor set:\n");
		anchors_print(&cur, "  ");
	}
	if (ret == EXIT_OK && out) {
		uint8_t enc[RC_ANCHORS_ENC_MAX];
		size_t len;
		if (rc_anchors_encode(&cur, enc, sizeof(enc), &len) != RC_OK ||
		    file_write(out, enc, len, 0644, false) < 0)
			return EXIT_FAIL;
	}
	return ret;
}

static const struct subcmd anchors_cmds[] = {
    {"create", anchors_create, "write an anchor set (n public keys, threshold k, epoch)"},
    {"show", anchors_show, "print an anchor set or a rotation statement"},
    {"rotate", anchors_rotate_cmd, "write a rotation statement to a next anchor set"},
    {"sign", anchors_sign, "add one signature to a rotation statement"},
    {"merge", anchors_merge, "merge signatures of copies of one rotation statement"},
    {"verify", anchors_verify, "verify a chain of rotations from an initial set"},
    {NULL, NULL, NULL},
};

int cmd_anchors(int argc, char **argv)
{
	return subcmd_run("anchors", anchors_cmds, argc, argv);
}
