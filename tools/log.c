/* recall log: create a transparency log of signed notices and rotation statements, append to
 * it, print its checkpoint and the verifier key (docs/LOG.md). Proofs are in log_proof.c. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cmds.h"
#include "keyfile.h"
#include "signer.h"
#include "logcmds.h"
#include "logstore.h"
#include "recall/anchors.h"
#include "recall/notice.h"
#include "signed.h"
#include "util.h"

#define ENTRY_MAX LOG_ENTRY_MAX

static const char create_usage[] =
    "usage: recall log create --origin NAME --key LOGKEY DIR\n"
    "\n"
    "Make an empty log in DIR (created; must not hold a log): its checkpoint of size 0 signed\n"
    "with the Ed25519 secret key LOGKEY (a key file or a pkcs11: URI) under the note name NAME.\n"
    "Prints the verifier key.\n";

static const char append_usage[] =
    "usage: recall log append --key LOGKEY --anchors ANCHORS DIR FILE...\n"
    "\n"
    "Append each FILE (one signed notice or rotation statement, its exact bytes) to the log in\n"
    "DIR, in order, and sign the new checkpoint. Every FILE must meet its threshold under\n"
    "ANCHORS (a rotation statement moves the anchors on for the files after it); one that does\n"
    "not stops the whole append before anything is written.\n";

static const char checkpoint_usage[] =
    "usage: recall log checkpoint [--vkey KEY] DIR\n"
    "\n"
    "Print the log's signed checkpoint; with --vkey (a verifier key or a file holding one)\n"
    "only if its signature verifies.\n";

static const char vkey_usage[] =
    "usage: recall log vkey --origin NAME PUBKEY\n"
    "\n"
    "Print the verifier key (NAME+KEYID+BASE64, c2sp.org/signed-note) of a log's public key.\n";

/* Parses --origin/--key/--anchors/--vkey style options: fills the pointers for the letters
 * in spec. Returns -1 to go on, else an exit code. */
static int opts(int argc, char **argv, const char *usage, const char *spec, const char **origin,
		const char **key, const char **anchors, const char **vkey)
{
	static const struct option lo[] = {{"origin", required_argument, NULL, OPT_L('o')},
					   {"key", required_argument, NULL, 'k'},
					   {"anchors", required_argument, NULL, 'a'},
					   {"vkey", required_argument, NULL, OPT_L('v')},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, spec, lo, NULL)) != -1) {
		c = opt_retired(c, "ov", lo);
		if (c == OPT_L('o') && origin)
			*origin = optarg;
		else if (c == 'k' && key)
			*key = optarg;
		else if (c == 'a' && anchors)
			*anchors = optarg;
		else if (c == OPT_L('v') && vkey)
			*vkey = optarg;
		else
			return usage_opt(c, usage);
	}
	return -1;
}

/* Signs a checkpoint body with k/sk and writes DIR/checkpoint atomically. */
static int write_checkpoint(const char *dir, const struct rc_checkpoint *c,
			    const struct rc_note_key *k, struct signer *sk)
{
	char body[RC_NOTE_MAX_LEN], note[RC_NOTE_MAX_LEN], path[4096];
	size_t bl, nl;
	int err = rc_checkpoint_format(body, sizeof(body), &bl, c);
	if (!err)
		err = signer_note(sk, note, sizeof(note), &nl, body, bl, k);
	if (err) {
		if (err != RC_ERR_IO)
			warnx_("%s: cannot format the checkpoint", dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	if (file_write(path, note, nl, 0644, false) < 0)
		return -1;
	return log_sync_parent(path);
}

static int load_log_key(const char *path, const char *name, struct signer *sk,
			struct rc_note_key *k)
{
	if (signer_open(sk, path) < 0)
		return -1;
	if (rc_note_key_init(k, name, strlen(name), RC_NOTE_ALG_ED25519, sk->rc.pk) != RC_OK) {
		warnx_("--origin: '%s' is not a valid note name (no spaces, no '+')", tsafe(name));
		signer_close(sk);
		return -1;
	}
	return 0;
}

static int log_create(int argc, char **argv)
{
	const char *origin = NULL, *key = NULL;
	int r = opts(argc, argv, create_usage, "o:k:h", &origin, &key, NULL, NULL);
	if (r >= 0)
		return r;
	if (!origin || !key || optind != argc - 1)
		return usage_fail(create_usage, "log create: --origin, --key and one DIR");
	const char *dir = argv[optind];
	char path[4096];
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		warnx_("%s: mkdir: %s", dir, strerror(errno));
		return EXIT_FAIL;
	}
	struct signer sk;
	struct rc_note_key k;
	if (load_log_key(key, origin, &sk, &k) < 0)
		return EXIT_FAIL;
	struct rc_checkpoint c = {.origin = origin, .origin_len = strlen(origin), .size = 0};
	crypto_hash_sha256(c.root, NULL, 0);
	char body[RC_NOTE_MAX_LEN], note[RC_NOTE_MAX_LEN], vk[RC_NOTE_KEY_MAX];
	size_t bl, nl;
	int err = rc_checkpoint_format(body, sizeof(body), &bl, &c);
	if (!err)
		err = signer_note(&sk, note, sizeof(note), &nl, body, bl, &k);
	signer_close(&sk);
	if (err) {
		if (err != RC_ERR_IO)
			warnx_("--origin: '%s' cannot be a checkpoint origin", tsafe(origin));
		return EXIT_FAIL;
	}
	if (file_write(path, note, nl, 0644, true) < 0)
		return EXIT_FAIL;
	rc_note_key_format(vk, sizeof(vk), &k);
	printf("%s\n", vk);
	return EXIT_OK;
}

/* One FILE for the log: exactly one signed notice or rotation statement meeting its threshold
 * under *a (a rotation then replaces *a). */
static int admit(const char *path, const uint8_t *b, size_t len, struct rc_anchors *a)
{
	struct rc_diag d = {0, NULL};
	struct rc_cose_sign m;
	size_t il = len ? seq_item(b, len, 0, &d) : 0;
	if (!il || il != len) {
		report_decode(path, -1, 0, il ? RC_ERR_TRAILING : RC_ERR_TRUNCATED, &d);
		return -1;
	}
	int err = cose_view(&m, b, len, &d);
	if (err) {
		report_decode(path, -1, 0, err, &d);
		return -1;
	}
	if (m.content_type == RC_CT_NOTICE) {
		struct rc_notice n;
		if ((err = rc_notice_decode(&n, m.payload, m.payload_len, &d)) != 0) {
			report_decode(path, -1, 0, err, &d);
			return -1;
		}
		struct rc_verdict v;
		if (rc_anchors_verify(a, &m, &v) != RC_OK) {
			warnx_(
			    "%s: notice %.*s: threshold not met: %u valid of %u needed; not logged",
			    path, (int)n.id.n, n.id.p, v.valid, (unsigned)a->k);
			return -1;
		}
		return 0;
	}
	if (m.content_type == RC_CT_ROTATION) {
		struct rc_verdict v;
		if ((err = rc_anchors_rotate(a, b, len, &v)) != RC_OK) {
			warnx_(
			    "%s: rotation statement not accepted under the anchors: %s; not logged",
			    path, rc_strerror(err));
			return -1;
		}
		return 0;
	}
	warnx_("%s: a %s, not a notice or rotation statement", path, ct_name(m.content_type));
	return -1;
}

/* The last, partial tile of each level and the last entry bundle while appending. */
struct tails {
	uint8_t hash[8][RC_TLOG_TILE_WIDTH][RC_TLOG_HASH_LEN];
	unsigned count[8];
	uint8_t *bundle; /* 256 entries of at most 2 + ENTRY_MAX bytes */
	size_t bundle_len;
	unsigned entries;
};

static int flush_tile(const char *dir, struct tails *t, unsigned level, uint64_t index)
{
	char path[4096];
	if (log_path(path, sizeof(path), dir, (int)level, index, t->count[level]) < 0 ||
	    log_mkdirs(path) < 0)
		return -1;
	/* Durable before the checkpoint that names it (the parent may be new too). */
	if (file_write(path, t->hash[level], t->count[level] * RC_TLOG_HASH_LEN, 0644, false) < 0)
		return -1;
	return log_sync_parent(path);
}

static int flush_bundle(const char *dir, struct tails *t, uint64_t index)
{
	char path[4096];
	if (log_path(path, sizeof(path), dir, RC_TLOG_ENTRIES, index, t->entries) < 0 ||
	    log_mkdirs(path) < 0)
		return -1;
	if (file_write(path, t->bundle, t->bundle_len, 0644, false) < 0)
		return -1;
	return log_sync_parent(path);
}

/* Reads the partial tiles and bundle of a log of the given size into t. */
static int load_tails(struct logstore *ls, struct tails *t)
{
	uint64_t size = ls->cp.size;
	char path[4096];
	for (unsigned l = 0; l < 8; l++) {
		uint64_t count = size >> (8 * l);
		t->count[l] = (unsigned)(count % RC_TLOG_TILE_WIDTH);
		for (unsigned i = 0; i < t->count[l]; i++)
			if (log_read_hash(ls, 8 * l, count - t->count[l] + i, t->hash[l][i]) != 0)
				return -1;
	}
	t->entries = (unsigned)(size % RC_TLOG_TILE_WIDTH);
	if (!t->entries)
		return 0;
	if (log_path(path, sizeof(path), ls->dir, RC_TLOG_ENTRIES, size / RC_TLOG_TILE_WIDTH,
		     t->entries) < 0)
		return -1;
	size_t len;
	uint8_t *b = file_read(path, &len, RC_TLOG_TILE_WIDTH * (2 + ENTRY_MAX));
	if (!b)
		return -1;
	/* The bundle must hold exactly the entries its name says, and they must be the entries
	 * whose hashes the (root-checked) level-0 tile holds: the log's tail is all authentic. */
	size_t off[RC_TLOG_TILE_WIDTH], el[RC_TLOG_TILE_WIDTH], bad;
	const char *why;
	if (log_bundle_split(b, len, t->entries, off, el, &bad, &why) < 0) {
		warnx_("%s: byte %zu: %s", path, bad, why);
		free(b);
		return -1;
	}
	for (unsigned i = 0; i < t->entries; i++) {
		uint8_t leaf[RC_TLOG_HASH_LEN];
		rc_tlog_leaf_hash(leaf, b + off[i], el[i]);
		if (memcmp(leaf, t->hash[0][i], RC_TLOG_HASH_LEN) != 0) {
			warnx_("%s: byte %zu: entry %u is not the one the log's hashes name", path,
			       off[i] - 2, i);
			free(b);
			return -1;
		}
	}
	memcpy(t->bundle, b, len);
	t->bundle_len = len;
	free(b);
	return 0;
}

static int do_append(struct logstore *ls, struct tails *t, char **files, int nfiles, uint8_t **data,
		     size_t *lens, const struct rc_note_key *k, struct signer *sk)
{
	struct rc_tlog_edge e;
	uint8_t root[RC_TLOG_HASH_LEN];
	if (rc_tlog_edge_load(&e, ls->cp.size, log_read_hash, ls) != RC_OK) {
		warnx_("%s: cannot read the log's tiles back", ls->dir);
		return -1;
	}
	/* The tiles appended to must give the signed root: never extend a damaged tree. The
	 * partial tiles loaded next feed the same hashes, so they are covered too. */
	rc_tlog_edge_root(&e, root);
	if (memcmp(root, ls->cp.root, RC_TLOG_HASH_LEN) != 0) {
		warnx_("%s: the tiles do not give the checkpoint's root hash; not appending",
		       ls->dir);
		return -1;
	}
	if (load_tails(ls, t) < 0)
		return -1;
	uint8_t out[63][RC_TLOG_HASH_LEN];
	unsigned levels;
	for (int f = 0; f < nfiles; f++) {
		uint8_t leaf[RC_TLOG_HASH_LEN];
		rc_tlog_leaf_hash(leaf, data[f], lens[f]);
		if (rc_tlog_edge_append(&e, leaf, out, &levels) != RC_OK) {
			warnx_("%s: the log is full", files[f]);
			return -1;
		}
		uint8_t *o = t->bundle + t->bundle_len;
		o[0] = (uint8_t)(lens[f] >> 8);
		o[1] = (uint8_t)lens[f];
		memcpy(o + 2, data[f], lens[f]);
		t->bundle_len += 2 + lens[f];
		if (++t->entries == RC_TLOG_TILE_WIDTH) {
			if (flush_bundle(ls->dir, t, (e.size - 1) / RC_TLOG_TILE_WIDTH) < 0)
				return -1;
			t->entries = 0;
			t->bundle_len = 0;
		}
		/* Stored hashes at levels 0, 8, 16... go to tiles; a full tile is final. */
		for (unsigned l = 0; l < levels; l += RC_TLOG_TILE_H) {
			unsigned tl = l / RC_TLOG_TILE_H;
			uint64_t idx = (e.size >> l) - 1;
			memcpy(t->hash[tl][t->count[tl]], out[l], RC_TLOG_HASH_LEN);
			if (++t->count[tl] == RC_TLOG_TILE_WIDTH) {
				if (flush_tile(ls->dir, t, tl, idx / RC_TLOG_TILE_WIDTH) < 0)
					return -1;
				t->count[tl] = 0;
			}
		}
	}
	for (unsigned l = 0; l < 8; l++)
		if (t->count[l] && flush_tile(ls->dir, t, l, (e.size >> (8 * l)) / 256) < 0)
			return -1;
	if (t->entries && flush_bundle(ls->dir, t, e.size / RC_TLOG_TILE_WIDTH) < 0)
		return -1;
	/* Only now, with every tile in place, does the new checkpoint name them. */
	struct rc_checkpoint c = ls->cp;
	c.size = e.size;
	c.ext_len = 0;
	rc_tlog_edge_root(&e, c.root);
	if (write_checkpoint(ls->dir, &c, k, sk) < 0)
		return -1;
	printf("%s: %llu entries\n", ls->dir, (unsigned long long)e.size);
	return 0;
}

static int log_append(int argc, char **argv)
{
	const char *key = NULL, *anchors = NULL;
	int r = opts(argc, argv, append_usage, "k:a:h", NULL, &key, &anchors, NULL);
	if (r >= 0)
		return r;
	if (!key || !anchors || argc - optind < 2)
		return usage_fail(append_usage, "log append: --key, --anchors, DIR and FILEs");
	const char *dir = argv[optind];
	char **files = argv + optind + 1;
	int nfiles = argc - optind - 1, ret = EXIT_FAIL, lock = -1;
	struct rc_anchors a;
	struct signer sk;
	struct rc_note_key k;
	struct logstore ls;
	if (anchors_load(anchors, &a) < 0 || signer_open(&sk, key) < 0)
		return EXIT_FAIL;
	uint8_t **data = calloc((size_t)nfiles, sizeof(*data));
	size_t *lens = calloc((size_t)nfiles, sizeof(*lens));
	struct tails *t = calloc(1, sizeof(*t));
	if (t)
		t->bundle = malloc(RC_TLOG_TILE_WIDTH * (2 + ENTRY_MAX));
	if (!data || !lens || !t || !t->bundle) {
		warnx_("out of memory");
		goto out;
	}
	if ((lock = log_lock(dir)) < 0 || log_open(&ls, dir, NULL) < 0)
		goto out;
	/* The key must be the one that signed the log so far. */
	char origin[RC_NOTE_NAME_MAX + 1];
	snprintf(origin, sizeof(origin), "%.*s", (int)ls.cp.origin_len, ls.cp.origin);
	if (rc_note_key_init(&k, origin, strlen(origin), RC_NOTE_ALG_ED25519, sk.rc.pk) != RC_OK ||
	    rc_note_verify(&ls.n, &k, NULL) != RC_OK) {
		warnx_("%s/checkpoint: not signed by the key in %s", dir, key);
		goto close;
	}
	int bad = 0;
	for (int f = 0; f < nfiles; f++) {
		data[f] = file_read(files[f], &lens[f], ENTRY_MAX);
		if (!data[f] || admit(files[f], data[f], lens[f], &a) < 0)
			bad++;
	}
	if (bad) {
		warnx_("%d of %d files refused; nothing appended", bad, nfiles);
		goto close;
	}
	if (do_append(&ls, t, files, nfiles, data, lens, &k, &sk) == 0)
		ret = EXIT_OK;
close:
	log_close(&ls);
out:
	for (int f = 0; data && f < nfiles; f++)
		free(data[f]);
	free(data);
	free(lens);
	if (t)
		free(t->bundle);
	free(t);
	signer_close(&sk);
	if (lock >= 0)
		close(lock);
	return ret;
}

static int log_checkpoint(int argc, char **argv)
{
	const char *vkey = NULL;
	int r = opts(argc, argv, checkpoint_usage, "v:h", NULL, NULL, NULL, &vkey);
	if (r >= 0)
		return r;
	if (optind != argc - 1)
		return usage_fail(checkpoint_usage, "log checkpoint: one DIR");
	struct rc_note_key k;
	struct logstore ls;
	if ((vkey && log_load_vkey(vkey, &k) < 0) || log_open(&ls, argv[optind], vkey ? &k : NULL))
		return EXIT_FAIL;
	fwrite(ls.note, 1, ls.note_len, stdout);
	log_close(&ls);
	return EXIT_OK;
}

static int log_vkey(int argc, char **argv)
{
	const char *origin = NULL;
	int r = opts(argc, argv, vkey_usage, "o:h", &origin, NULL, NULL, NULL);
	if (r >= 0)
		return r;
	if (!origin || optind != argc - 1)
		return usage_fail(vkey_usage, "log vkey: --origin and one PUBKEY");
	uint8_t pk[RC_PK_LEN];
	struct rc_note_key k;
	char vk[RC_NOTE_KEY_MAX];
	if (key_load_public(argv[optind], pk) < 0)
		return EXIT_FAIL;
	if (rc_note_key_init(&k, origin, strlen(origin), RC_NOTE_ALG_ED25519, pk) != RC_OK) {
		warnx_("--origin: '%s' is not a valid note name (no spaces, no '+')",
		       tsafe(origin));
		return EXIT_FAIL;
	}
	rc_note_key_format(vk, sizeof(vk), &k);
	printf("%s\n", vk);
	return EXIT_OK;
}

static const struct subcmd log_cmds[] = {
    {"create", log_create, "make an empty log signed by a log key"},
    {"append", log_append, "append notices and rotation statements that meet their threshold"},
    {"checkpoint", log_checkpoint, "print the signed checkpoint"},
    {"proof", log_proof, "inclusion or consistency proof from the log's tiles"},
    {"verify", log_verify, "check a checkpoint, an inclusion or a consistency proof"},
    {"monitor", log_monitor, "follow a log (directory or URL), check it, print new entries"},
    {"vkey", log_vkey, "print the verifier key of a log public key"},
    {"witness", log_witness, "get the checkpoint cosigned by witnesses (c2sp.org/tlog-witness)"},
    {NULL, NULL, NULL},
};

int cmd_log(int argc, char **argv)
{
	return subcmd_run("log", log_cmds, argc, argv);
}
