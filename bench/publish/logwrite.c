/* recall-bench-publish: the input of bench/publish/run, made quickly and honestly.
 *
 *   recall-bench-publish log SEQ COUNT DIR ORIGIN LOG.key [WITNESS=W.key]...
 *       Writes DIR/log: a complete C2SP tlog-tiles log of the first COUNT signed notices of the
 *       CBOR sequence SEQ (as recall-bench-feedgen writes them), in one process: tiles, entry
 *       bundles and the checkpoint signed by LOG.key under ORIGIN and cosigned (now) by each
 *       witness key under its name. The same files `recall log append` and `recall log
 *       witness` would write (the tiles and bundles are byte-identical; the per-entry files
 *       log/entry/ come along and are ignored by a log reader). It does not check thresholds:
 *       `recall publish` does, as part of what is measured.
 * Appending 100,000 notices with `recall log append` costs minutes of CPU (docs/PERFORMANCE.md,
 * "Transparency log"); this takes seconds, and what is measured starts after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyfile.h"
#include "pubdir.h"
#include "pubsync_int.h"
#include "recall/note.h"
#include "signed.h"
#include "util.h"

static int sign_note(char *note, size_t cap, size_t *nl, const char *origin, uint64_t n,
		     const uint8_t root[32], const char *logkey, int nw, char **wit)
{
	struct seckey k;
	struct rc_note_key nk;
	struct rc_checkpoint c = {.origin = origin, .origin_len = strlen(origin), .size = n};
	char text[512];
	size_t tl;
	memcpy(c.root, root, 32);
	if (key_load_secret(logkey, &k) < 0)
		return -1;
	int e = rc_checkpoint_format(text, sizeof(text), &tl, &c);
	if (!e)
		e = rc_note_key_init(&nk, origin, strlen(origin), RC_NOTE_ALG_ED25519, k.pk);
	if (!e)
		e = rc_note_sign(note, cap, nl, text, tl, &nk, k.sk);
	key_free(&k);
	for (int i = 0; i < nw && !e; i++) {
		char *eq = strchr(wit[i], '=');
		uint8_t cs[RC_COSIG_LEN];
		if (!eq || key_load_secret(eq + 1, &k) < 0)
			return -1;
		size_t nlen = (size_t)(eq - wit[i]);
		e = rc_note_key_init(&nk, wit[i], nlen, RC_NOTE_ALG_COSIG, k.pk);
		if (!e)
			e = rc_cosig_sign(cs, now_s(), text, tl, &nk, k.sk);
		if (!e)
			e = rc_note_append_sig(note, cap, nl, wit[i], nlen, nk.keyid, cs,
					       sizeof(cs));
		key_free(&k);
	}
	return e ? -1 : 0;
}

static int write_log(const char *seq, uint64_t count, const char *dir, const char *origin,
		     const char *logkey, int nw, char **wit)
{
	struct mapped m;
	if (file_map(seq, &m) < 0)
		return 1;
	const uint8_t **ent = calloc(count ? count : 1, sizeof(*ent));
	uint16_t *len = calloc(count ? count : 1, sizeof(*len));
	uint8_t(*leaf)[32] = calloc(count ? count : 1, 32);
	if (!ent || !len || !leaf)
		return 1;
	uint64_t i = 0;
	for (size_t off = 0, l; off < m.len && i < count; off += l, i++) {
		if (!(l = seq_item(m.p, m.len, off, NULL)) || l > 65535) {
			fprintf(stderr, "%s: byte %zu: not a CBOR item\n", seq, off);
			return 1;
		}
		ent[i] = m.p + off;
		len[i] = (uint16_t)l;
		rc_tlog_leaf_hash(leaf[i], ent[i], l);
	}
	if (i != count) {
		fprintf(stderr, "%s: %llu items, not %llu\n", seq, (unsigned long long)i,
			(unsigned long long)count);
		return 1;
	}
	uint8_t root[32];
	char note[RC_NOTE_MAX_LEN], err[300];
	size_t nl;
	rc_tlog_root_of_leaves(root, (const uint8_t(*)[32])leaf, count);
	if (sign_note(note, sizeof(note), &nl, origin, count, root, logkey, nw, wit) < 0) {
		fprintf(stderr, "cannot sign the checkpoint\n");
		return 1;
	}
	struct pubdir_log lg = {ent, len, (const uint8_t(*)[32])leaf, count,
				0,   0,   (const uint8_t *)note,      nl};
	if (pubdir_write_log(dir, &lg, NULL, err, sizeof(err)) < 0 || ps_sync_dir(dir, true) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	free(ent);
	free(len);
	free(leaf);
	file_unmap(&m);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n;
	if (sodium_init() < 0)
		return 1;
	if (argc >= 7 && !strcmp(argv[1], "log") && parse_u64(argv[3], &n) == 0)
		return write_log(argv[2], n, argv[4], argv[5], argv[6], argc - 7, argv + 7);
	fprintf(stderr, "usage: recall-bench-publish log SEQ COUNT DIR ORIGIN LOG.key "
			"[WITNESS=W.key]...\n");
	return 2;
}
