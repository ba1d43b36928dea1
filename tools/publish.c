/* recall publish: write or update an authority's publication directory (docs/PUBLISH.md) from
 * its transparency log: the log's files (tiles, bundles, one file per entry, the checkpoint)
 * and the top file signed by the feed key. Incremental: only files holding new entries and the
 * top file are written, the top file last. Before anything is written the result is judged as a
 * reader judges it (checkpoint under the anchor set's log policy, the tree, every served
 * notice's threshold, the feed it makes). `recall publish verify` is in publish_verify.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>

#include "cmds.h"
#include "keyfile.h"
#include "logstore.h"
#include "pubdir.h"
#include "pubsync_int.h"
#include "publish.h"
#include "recall/notice.h"
#include "signed.h"
#include "signer.h"
#include "util.h"

static const char usage[] =
    "usage: recall publish -k KEY -a ANCHORS -l LOGDIR [--valid DURATION | --expiry TIME]\n"
    "                      [--issued TIME] [--serial N] [--withdrawn FILE] PUBDIR\n"
    "       recall publish verify -K FEED.pub -a ANCHORS [options] DIR|URL\n"
    "\n"
    "Write or update the publication in PUBDIR (created if needed) from the transparency log\n"
    "in LOGDIR: PUBDIR/log/ (tiles, entry bundles, log/entry/<leaf hash>, log/checkpoint) and\n"
    "PUBDIR/recall-publication, signed by the feed key. Only files holding entries the last\n"
    "publication did not cover are written, the top file last. Nothing is written unless a\n"
    "reader would accept the result: the checkpoint under ANCHORS' log policy (log key and\n"
    "witness quorum), the entries giving its root and extending the published log, every\n"
    "served notice meeting the threshold. A notice appended again under the same id\n"
    "supersedes the earlier entry, which is withdrawn.\n"
    "\n"
    "  -k, --key KEY         feed signing key: a key file or a pkcs11: URI (docs/AUTHORITY.md)\n"
    "  -a, --anchors FILE     anchor set (with a log policy) readers verify against\n"
    "  -l, --log LOGDIR       the log (recall log create/append/witness)\n"
    "  -d, --valid DURATION   expiry = issued + DURATION (default 7d; units s m h d w)\n"
    "  -e, --expiry TIME      expiry time\n"
    "  -i, --issued TIME      issue time (default now)\n"
    "  -s, --serial N         serial (default: the published one + 1, or 1)\n"
    "  -w, --withdrawn FILE   log indexes of notices to leave out of the feed, one per line\n"
    "                         ('#' comments); default: the published list\n"
    "  -h, --help             this text\n";

/* Entries of LOGDIR: views into the bundle buffers. */
struct log_in {
	struct pubdir_log lg;
	const uint8_t **ent;
	uint16_t *len;
	uint8_t (*leaf)[RC_TLOG_HASH_LEN];
	uint8_t **bufs;
	size_t nbufs;
	char *note;
	size_t note_len;
	struct rc_checkpoint cp;
};

static void log_in_free(struct log_in *l)
{
	for (size_t i = 0; i < l->nbufs; i++)
		free(l->bufs[i]);
	free(l->bufs);
	free(l->ent);
	free(l->len);
	free(l->leaf);
	free(l->note);
}

/* LOGDIR's checkpoint under the anchors' log policy, and every entry, giving its root. */
static int read_log(struct log_in *l, const char *dir, const struct rc_anchors *a)
{
	char path[PS_PATH_MAX];
	struct rc_diag d = {0, NULL};
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	l->note = (char *)file_read(path, &l->note_len, RC_PUB_CHECKPOINT_MAX);
	if (!l->note)
		return -1;
	struct rc_pub t = {.checkpoint = (uint8_t *)l->note, .checkpoint_len = l->note_len};
	int e = rc_pub_checkpoint(&t, a, &l->cp, &d);
	if (e) {
		warnx_("%s: %s: %s%s", path, d.field ? d.field : "checkpoint", rc_strerror(e),
		       e == RC_ERR_THRESHOLD ? " (run recall log witness first)" : "");
		return -1;
	}
	uint64_t n = l->cp.size, nb = (n + W - 1) / W;
	l->ent = calloc(n ? n : 1, sizeof(*l->ent));
	l->len = calloc(n ? n : 1, sizeof(*l->len));
	l->leaf = calloc(n ? n : 1, sizeof(*l->leaf));
	l->bufs = calloc(nb ? nb : 1, sizeof(*l->bufs));
	if (!l->ent || !l->len || !l->leaf || !l->bufs) {
		warnx_("%s: out of memory for %llu entries", dir, (unsigned long long)n);
		return -1;
	}
	for (uint64_t k = 0; k < nb; k++) {
		unsigned w = (unsigned)(n - k * W < W ? n - k * W : W);
		size_t off[W], el[W], len, bad;
		const char *why;
		if (log_path(path, sizeof(path), dir, RC_TLOG_ENTRIES, k, w) < 0)
			return -1;
		uint8_t *b = file_read(path, &len, (size_t)W * (2 + LOG_ENTRY_MAX));
		if (!b)
			return -1;
		l->bufs[l->nbufs++] = b;
		if (log_bundle_split(b, len, w, off, el, &bad, &why) < 0) {
			warnx_("%s: byte %zu: %s", path, bad, why);
			return -1;
		}
		for (unsigned j = 0; j < w; j++) {
			uint64_t i = k * W + j;
			if (el[j] == 0 || el[j] > RC_PUB_ENTRY_MAX) {
				warnx_(
				    "%s: entry %u (log index %llu): %zu bytes; readers take 1 to "
				    "%u",
				    path, j, (unsigned long long)i, el[j], RC_PUB_ENTRY_MAX);
				return -1;
			}
			l->ent[i] = b + off[j];
			l->len[i] = (uint16_t)el[j];
			rc_tlog_leaf_hash(l->leaf[i], l->ent[i], el[j]);
		}
	}
	uint8_t root[RC_TLOG_HASH_LEN];
	if (rc_tlog_root_of_leaves(root, (const uint8_t(*)[RC_TLOG_HASH_LEN])l->leaf, n) ||
	    memcmp(root, l->cp.root, sizeof(root))) {
		warnx_("%s: the entry bundles do not give the checkpoint's root", dir);
		return -1;
	}
	l->lg = (struct pubdir_log){.ent = l->ent,
				    .len = l->len,
				    .leaf = (const uint8_t(*)[RC_TLOG_HASH_LEN])l->leaf,
				    .n = n,
				    .checkpoint = (uint8_t *)l->note,
				    .checkpoint_len = l->note_len};
	return 0;
}

/* The published top file, if any: it must be this feed key's, and the log must extend its. */
static int read_old(const char *pubdir, const uint8_t pk[RC_PK_LEN], const struct log_in *l,
		    struct old_pub *o)
{
	char path[PS_PATH_MAX];
	struct rc_diag d = {0, NULL};
	snprintf(path, sizeof(path), "%s/recall-publication", pubdir);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	o->buf = file_read(path, &o->len, RC_PUB_MAX);
	if (!o->buf)
		return -1;
	int e = rc_pub_open(&o->pub, o->buf, o->len, pk, &d);
	if (e) {
		warnx_("%s: byte %zu: %s: %s: not a publication of this feed key (move it away to "
		       "start a new one)",
		       path, d.off, d.field ? d.field : "publication", rc_strerror(e));
		return -1;
	}
	struct rc_note note;
	struct rc_checkpoint cp;
	if (rc_note_parse(&note, (const char *)o->pub.checkpoint, o->pub.checkpoint_len, &d) ||
	    rc_checkpoint_parse(&cp, note.text, note.text_len, &d)) {
		warnx_("%s: publication.checkpoint: does not parse", path);
		return -1;
	}
	uint8_t root[RC_TLOG_HASH_LEN];
	if (cp.size > l->lg.n ||
	    rc_tlog_root_of_leaves(root, l->lg.leaf, (size_t)cp.size) != RC_OK ||
	    memcmp(root, cp.root, sizeof(root))) {
		warnx_("%s: the log (size %llu) does not extend the published one (size %llu): "
		       "readers would refuse it as a %s",
		       path, (unsigned long long)l->lg.n, (unsigned long long)cp.size,
		       cp.size > l->lg.n ? "rollback" : "fork");
		return -1;
	}
	o->have = true;
	o->size = cp.size;
	return 0;
}

static int lock_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		warnx_("%s: mkdir: %s", dir, strerror(errno));
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		warnx_("%s: %s", dir,
		       fd >= 0 && errno == EWOULDBLOCK ? "another recall publish is running"
						       : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct opts {
	const char *key, *anchors, *log, *withdrawn, *pubdir;
	uint64_t valid, expiry, issued, serial;
	bool has_expiry, has_valid, has_issued, has_serial;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"key", required_argument, NULL, 'k'},    {"anchors", required_argument, NULL, 'a'},
	    {"log", required_argument, NULL, 'l'},    {"valid", required_argument, NULL, 'd'},
	    {"expiry", required_argument, NULL, 'e'}, {"issued", required_argument, NULL, 'i'},
	    {"serial", required_argument, NULL, 's'}, {"withdrawn", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	int c;
	o->valid = 7 * 86400;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:a:l:d:e:i:s:w:h", lo, NULL)) != -1) {
		int bad = 0;
		if (c == 'k')
			o->key = optarg;
		else if (c == 'a')
			o->anchors = optarg;
		else if (c == 'l')
			o->log = optarg;
		else if (c == 'w')
			o->withdrawn = optarg;
		else if (c == 'd')
			bad = parse_duration(optarg, &o->valid), o->has_valid = true;
		else if (c == 'e')
			bad = parse_time(optarg, &o->expiry), o->has_expiry = true;
		else if (c == 'i')
			bad = parse_time(optarg, &o->issued), o->has_issued = true;
		else if (c == 's')
			bad = parse_u64(optarg, &o->serial), o->has_serial = true;
		else
			return usage_opt(c, usage);
		if (bad)
			return usage_fail(usage, "publish: --%s: '%s' is not valid",
					  c == 'd'   ? "valid"
					  : c == 'e' ? "expiry"
					  : c == 'i' ? "issued"
						     : "serial",
					  tsafe(optarg));
	}
	if (!o->key || !o->anchors || !o->log || optind != argc - 1)
		return usage_fail(usage, "publish: --key, --anchors, --log and one PUBDIR");
	if (o->has_expiry && o->has_valid)
		return usage_fail(usage, "publish: give --expiry or --valid, not both");
	if (o->has_valid && o->valid == 0)
		return usage_fail(usage, "publish: --valid must be more than 0");
	o->pubdir = argv[optind];
	return -1;
}

static void print_result(const struct opts *o, const struct rc_pub *p, const struct log_in *l,
			 const struct old_pub *old, const struct withdrawn *wd, size_t notices,
			 size_t rotations, const struct pubdir_stats *st, size_t top_len)
{
	char t[32];
	printf("%s: serial %llu, log size %llu (%llu new), %zu notices in the feed, %zu "
	       "withdrawn (%zu superseded), %zu rotation statements, valid until %s\n",
	       o->pubdir, (unsigned long long)p->serial, (unsigned long long)l->lg.n,
	       (unsigned long long)(l->lg.n - old->size), notices, wd->n, wd->superseded, rotations,
	       fmt_time(t, p->expiry));
	printf("wrote %llu tiles, %llu entry bundles, %llu entry files, log/checkpoint (%llu "
	       "bytes in log/), recall-publication (%zu bytes)\n",
	       (unsigned long long)st->tiles, (unsigned long long)st->bundles,
	       (unsigned long long)st->entries, (unsigned long long)st->bytes, top_len);
}

static int publish(const struct opts *o, struct signer *sk, const struct rc_anchors *a)
{
	struct log_in l = {0};
	struct old_pub old = {0};
	struct withdrawn wd = {0};
	struct pubfeed f = {0};
	uint8_t *top = NULL;
	size_t top_len = 0;
	int ret = EXIT_FAIL, lock = -1;
	char err[300], path[PS_PATH_MAX];
	struct rc_pub pub = {0};
	if (read_log(&l, o->log, a) < 0 || (lock = lock_dir(o->pubdir)) < 0 ||
	    read_old(o->pubdir, sk->rc.pk, &l, &old) < 0 ||
	    withdrawn_make(&wd, o->withdrawn, old.have ? &old.pub : NULL, &l.lg) < 0)
		goto out;
	pub.serial = o->has_serial ? o->serial : old.have ? old.pub.serial + 1 : 1;
	if (old.have && pub.serial <= old.pub.serial) {
		warnx_(
		    "--serial %llu: the published serial is %llu; readers take only a higher one",
		    (unsigned long long)pub.serial, (unsigned long long)old.pub.serial);
		goto out;
	}
	pub.issued = o->has_issued ? o->issued : now_s();
	pub.expiry = o->has_expiry ? o->expiry : pub.issued + o->valid;
	pub.checkpoint = (uint8_t *)l.note;
	pub.checkpoint_len = l.note_len;
	rc_anchors_id(a, pub.anchors_id);
	int e = rc_pub_build_signer(&top, &top_len, &pub, wd.v, wd.n, &sk->rc);
	struct rc_diag d = {0, NULL};
	struct rc_checkpoint cp;
	if (e == RC_OK)
		e = rc_pub_open(&pub, top, top_len, sk->rc.pk, &d);
	if (e == RC_OK)
		e = rc_pub_checkpoint(&pub, a, &cp, &d);
	if (e) {
		warnx_("%s/recall-publication: %s: %s%s", o->pubdir,
		       d.field ? d.field : "publication", rc_strerror(e),
		       e == RC_ERR_INVALID ? " (--expiry before --issued?)" : "");
		goto out;
	}
	/* the feed every reader will make of it: refused here rather than by all of them */
	/* the published entries passed under the published anchor set: if it is this one, only
	 * the new ones need their threshold checked */
	uint64_t checked =
	    old.have && !memcmp(old.pub.anchors_id, pub.anchors_id, 8) ? old.size : 0;
	/* signed by a throwaway key: the check needs the feed built, not a token signature */
	uint8_t tpk[RC_PK_LEN], tsk[RC_SK_LEN];
	crypto_sign_keypair(tpk, tsk);
	int fe =
	    pubfeed_make(&f, &pub, a, l.lg.ent, l.lg.len, l.lg.n, checked, tsk, err, sizeof(err));
	sodium_memzero(tsk, sizeof(tsk));
	if (fe) {
		warnx_("%s: %s; nothing written (withdraw the entry with --withdrawn, or sign it)",
		       o->log, err);
		goto out;
	}
	struct pubdir_stats st;
	l.lg.from = old.size;
	if (pubdir_write_log(o->pubdir, &l.lg, &st, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/recall-publication", o->pubdir);
	if (ps_sync_dir(o->pubdir, true) < 0) {
		warnx_("%s: syncfs: %s", o->pubdir, strerror(errno));
		goto out;
	}
	if (file_write(path, top, top_len, 0644, false) < 0 || log_sync_parent(path) < 0)
		goto out;
	print_result(o, &pub, &l, &old, &wd, f.n, f.nrot, &st, top_len);
	ret = EXIT_OK;
out:
	if (lock >= 0)
		close(lock);
	pubfeed_free(&f);
	free(top);
	free(old.buf);
	free(wd.v);
	log_in_free(&l);
	return ret;
}

int cmd_publish(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return publish_verify(argc - 1, argv + 1);
	struct opts o = {0};
	int r = parse_opts(argc, argv, &o);
	if (r >= 0)
		return r;
	struct rc_anchors a;
	if (anchors_load(o.anchors, &a) < 0)
		return EXIT_FAIL;
	if (!a.has_log) {
		warnx_("%s: the anchor set has no log policy (key 4): readers verify the log "
		       "under it",
		       o.anchors);
		return EXIT_FAIL;
	}
	struct signer sk = {0};
	if (signer_open(&sk, o.key) < 0)
		return EXIT_FAIL;
	r = publish(&o, &sk, &a);
	signer_close(&sk);
	return r;
}
