/* recall log proof and recall log verify: inclusion proofs as c2sp.org/tlog-proof files,
 * consistency proofs as lines of base64 hashes, and their verification against signed
 * checkpoints (docs/LOG.md). Everything read is untrusted: the proof, the checkpoints and the
 * entry are checked with librecall's strict parsers and RFC 9162 verifiers. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "logcmds.h"
#include "logstore.h"
#include "util.h"

static const char proof_usage[] =
    "usage: recall log proof --index N [--size S] DIR\n"
    "       recall log proof --consistency OLD [--size NEW] DIR\n"
    "\n"
    "Print the inclusion proof of entry N as a c2sp.org/tlog-proof file holding the log's\n"
    "current checkpoint, or, with --size S below the checkpoint's size, the bare proof hashes\n"
    "for the tree of size S. With --consistency, print the consistency proof (base64 hashes,\n"
    "one a line) from the tree of size OLD to the checkpoint's (or size NEW).\n";

static const char verify_usage[] =
    "usage: recall log verify --vkey KEY CHECKPOINT\n"
    "       recall log verify --vkey KEY --proof PROOF ENTRY\n"
    "       recall log verify --vkey KEY --consistency PROOF OLD NEW\n"
    "\n"
    "Check a signed checkpoint; that ENTRY (the exact bytes of a logged notice or rotation\n"
    "statement) is in the checkpoint a tlog-proof file carries; or that checkpoint NEW extends\n"
    "checkpoint OLD. KEY is the log's verifier key or a file holding it.\n";

static void print_hashes(uint8_t (*h)[RC_TLOG_HASH_LEN], size_t n)
{
	char b64[sodium_base64_ENCODED_LEN(RC_TLOG_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
	for (size_t i = 0; i < n; i++) {
		sodium_bin2base64(b64, sizeof(b64), h[i], RC_TLOG_HASH_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		printf("%s\n", b64);
	}
}

int log_proof(int argc, char **argv)
{
	static const struct option lo[] = {{"index", required_argument, NULL, 'i'},
					   {"size", required_argument, NULL, 's'},
					   {"consistency", required_argument, NULL, OPT_L('c')},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	uint64_t index = 0, size = 0, old = 0;
	int have_i = 0, have_s = 0, have_c = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:s:c:h", lo, NULL)) != -1) {
		c = opt_retired(c, "c", lo);
		uint64_t *v = c == 'i' ? &index : c == 's' ? &size : c == OPT_L('c') ? &old : NULL;
		if (!v)
			return usage_opt(c, proof_usage);
		if (parse_u64(optarg, v) < 0)
			return usage_fail(proof_usage, "log proof: not a number: %s", optarg);
		*(c == 'i' ? &have_i : c == 's' ? &have_s : &have_c) = 1;
	}
	if (optind != argc - 1 || have_i == have_c)
		return usage_fail(proof_usage, "log proof: --index or --consistency, and one DIR");
	struct logstore ls;
	if (log_open(&ls, argv[optind], NULL) < 0)
		return EXIT_FAIL;
	int ret = EXIT_FAIL;
	if (!have_s)
		size = ls.cp.size;
	static struct rc_tlog_proof p;
	size_t n;
	int err;
	if (size > ls.cp.size) {
		warnx_("%s: --size %" PRIu64 " is beyond the checkpoint's %" PRIu64, argv[optind],
		       size, ls.cp.size);
		goto out;
	}
	if (have_c) {
		err = rc_tlog_prove_consistency(p.hash, RC_TLOG_PROOF_MAX, &n, old, size,
						log_read_hash, &ls);
		if (err) {
			warnx_("%s: no consistency proof from size %" PRIu64 " to %" PRIu64 ": %s",
			       argv[optind], old, size, rc_strerror(err));
			goto out;
		}
		print_hashes(p.hash, n);
		ret = EXIT_OK;
		goto out;
	}
	err = rc_tlog_prove_inclusion(p.hash, RC_TLOG_PROOF_MAX, &p.n, index, size, log_read_hash,
				      &ls);
	if (err) {
		warnx_("%s: no inclusion proof of entry %" PRIu64 " in size %" PRIu64 ": %s",
		       argv[optind], index, size, rc_strerror(err));
		goto out;
	}
	if (size != ls.cp.size) {
		print_hashes(p.hash, p.n);
		ret = EXIT_OK;
		goto out;
	}
	p.index = index;
	p.checkpoint = ls.note;
	p.checkpoint_len = ls.note_len;
	static char buf[RC_NOTE_MAX_LEN + 8192];
	size_t len;
	if (rc_tlog_proof_format(buf, sizeof(buf), &len, &p) != RC_OK) {
		warnx_("%s: cannot format the proof", argv[optind]);
		goto out;
	}
	fwrite(buf, 1, len, stdout);
	ret = EXIT_OK;
out:
	log_close(&ls);
	return ret;
}

/* Reads and checks a signed checkpoint file under k. */
static int read_checkpoint(const char *path, const struct rc_note_key *k, char **buf,
			   struct rc_note *n, struct rc_checkpoint *c)
{
	size_t len;
	*buf = (char *)file_read(path, &len, RC_NOTE_MAX_LEN);
	if (!*buf)
		return -1;
	return log_check_note(path, *buf, len, k, n, c);
}

static void show(const char *what, const struct rc_checkpoint *c)
{
	char h[2 * RC_TLOG_HASH_LEN + 1];
	printf("%s: %s size %" PRIu64 " root %s\n", what, tsafen(c->origin, c->origin_len), c->size,
	       hex(h, c->root, RC_TLOG_HASH_LEN));
}

static int verify_inclusion(const struct rc_note_key *k, const char *proof, const char *entry)
{
	static struct rc_tlog_proof p;
	static struct rc_note n;
	struct rc_checkpoint c;
	struct rc_diag d = {0, NULL};
	size_t pl, el;
	int ret = EXIT_FAIL;
	char *pb = (char *)file_read(proof, &pl, RC_NOTE_MAX_LEN + 8192);
	uint8_t *eb = file_read(entry, &el, 65535);
	if (!pb || !eb)
		goto out;
	int err = rc_tlog_proof_parse(&p, pb, pl, &d);
	if (err) {
		warnx_("%s: byte %zu: %s: %s", proof, d.off, d.field, rc_strerror(err));
		goto out;
	}
	if (log_check_note(proof, p.checkpoint, p.checkpoint_len, k, &n, &c) < 0)
		goto out;
	uint8_t leaf[RC_TLOG_HASH_LEN];
	rc_tlog_leaf_hash(leaf, eb, el);
	err = rc_tlog_verify_inclusion((const uint8_t(*)[RC_TLOG_HASH_LEN])p.hash, p.n, p.index,
				       c.size, leaf, c.root);
	if (err) {
		warnx_("%s: %s is not entry %" PRIu64 " of the checkpoint (size %" PRIu64 "): %s",
		       proof, entry, p.index, c.size,
		       err == RC_ERR_SIG ? "the proof does not lead to its root hash"
					 : rc_strerror(err));
		goto out;
	}
	printf("%s: entry %" PRIu64 " of ", entry, p.index);
	show("checkpoint", &c);
	ret = EXIT_OK;
out:
	free(pb);
	free(eb);
	return ret;
}

static int verify_consistency(const struct rc_note_key *k, const char *proof, const char *oldf,
			      const char *newf)
{
	static struct rc_note n1, n2;
	struct rc_checkpoint c1, c2;
	uint8_t h[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN];
	struct rc_diag d = {0, NULL};
	char *b1 = NULL, *b2 = NULL, *pb = NULL;
	size_t pl, n;
	int ret = EXIT_FAIL;
	if (read_checkpoint(oldf, k, &b1, &n1, &c1) < 0 ||
	    read_checkpoint(newf, k, &b2, &n2, &c2) < 0)
		goto out;
	pb = (char *)file_read(proof, &pl, 64 * RC_TLOG_PROOF_MAX);
	if (!pb)
		goto out;
	int err = rc_tlog_hashes_parse(h, &n, pb, pl, &d);
	if (err) {
		warnx_("%s: byte %zu: %s: %s", proof, d.off, d.field, rc_strerror(err));
		goto out;
	}
	err = rc_tlog_verify_consistency((const uint8_t(*)[RC_TLOG_HASH_LEN])h, n, c1.size, c2.size,
					 c1.root, c2.root);
	if (err) {
		warnx_("%s: %s (size %" PRIu64 ") is not a prefix of %s (size %" PRIu64 "): %s",
		       proof, oldf, c1.size, newf, c2.size,
		       err == RC_ERR_SIG ? "the proof does not lead to both root hashes"
					 : rc_strerror(err));
		goto out;
	}
	show(oldf, &c1);
	show(newf, &c2);
	printf("consistent\n");
	ret = EXIT_OK;
out:
	free(b1);
	free(b2);
	free(pb);
	return ret;
}

int log_verify(int argc, char **argv)
{
	static const struct option lo[] = {{"vkey", required_argument, NULL, OPT_L('v')},
					   {"proof", required_argument, NULL, 'p'},
					   {"consistency", required_argument, NULL, OPT_L('c')},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	const char *vkey = NULL, *proof = NULL, *cons = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "v:p:c:h", lo, NULL)) != -1) {
		c = opt_retired(c, "vc", lo);
		if (c == OPT_L('v'))
			vkey = optarg;
		else if (c == 'p')
			proof = optarg;
		else if (c == OPT_L('c'))
			cons = optarg;
		else
			return usage_opt(c, verify_usage);
	}
	int rest = argc - optind;
	if (!vkey || (proof && cons) || (cons ? rest != 2 : rest != 1))
		return usage_fail(verify_usage, "log verify: --vkey and a CHECKPOINT, --proof and "
						"an ENTRY, or --consistency and OLD NEW");
	struct rc_note_key k;
	if (log_load_vkey(vkey, &k) < 0)
		return EXIT_FAIL;
	if (proof)
		return verify_inclusion(&k, proof, argv[optind]);
	if (cons)
		return verify_consistency(&k, cons, argv[optind], argv[optind + 1]);
	static struct rc_note n;
	struct rc_checkpoint cp;
	char *b = NULL;
	int ok = read_checkpoint(argv[optind], &k, &b, &n, &cp) == 0;
	if (ok)
		show(argv[optind], &cp);
	free(b);
	return ok ? EXIT_OK : EXIT_FAIL;
}
