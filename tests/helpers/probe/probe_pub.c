/* recalld-probe publish: a publication directory for the recalld publication tests, written
 * with the same pieces `recall publish` uses (common/pubdir.c, rc_pub_build), from the log's
 * entries given as files in log order and its cosigned checkpoint. The top file is signed with
 * the fixture feed key (RDFIX_FEED_SEED; -K: another key, as a tampering mirror would). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "probe_log.h"
#include "pubdir.h"
#include "rdfix.h"
#include "recall/publication.h"
#include "recall/tlog.h"

#define PUB_MAXN 256

static uint8_t *slurp(const char *path, size_t *len, size_t max)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(max + 1);
	*len = f && b ? fread(b, 1, max + 1, f) : 0;
	if (f)
		fclose(f);
	if (!f || !b || *len > max) {
		fprintf(stderr, "publish: %s: cannot read (or larger than %zu)\n", path, max);
		free(b);
		return NULL;
	}
	return b;
}

int publish_main(int argc, char **argv)
{
	const char *ck = NULL, *anchors = NULL;
	uint64_t serial = 1, wd[PUB_MAXN];
	int64_t expiry_off = 7 * 86400;
	size_t nwd = 0;
	bool other = false;
	int c;
	while ((c = getopt(argc, argv, "c:A:s:x:w:K")) != -1) {
		switch (c) {
		case 'c':
			ck = optarg;
			break;
		case 'A':
			anchors = optarg;
			break;
		case 's':
			serial = strtoull(optarg, NULL, 10);
			break;
		case 'x':
			expiry_off = strtoll(optarg, NULL, 10);
			break;
		case 'w':
			if (nwd < PUB_MAXN)
				wd[nwd++] = strtoull(optarg, NULL, 10);
			break;
		case 'K':
			other = true;
			break;
		default:
			return 2;
		}
	}
	int n = argc - optind - 1;
	if (!ck || !anchors || n < 0 || n > PUB_MAXN) {
		fprintf(stderr, "usage: recalld-probe publish -c CHECKPOINT -A ANCHORS [-s serial] "
				"[-x expiry-offset] [-w index]... [-K] PUBDIR NOTICE...\n");
		return 2;
	}
	const char *dir = argv[optind];
	static uint8_t *ent[PUB_MAXN];
	static uint16_t len[PUB_MAXN];
	static uint8_t leaf[PUB_MAXN][RC_TLOG_HASH_LEN];
	for (int i = 0; i < n; i++) {
		size_t l;
		if (!(ent[i] = slurp(argv[optind + 1 + i], &l, RC_PUB_ENTRY_MAX)))
			return 1;
		len[i] = (uint16_t)l;
		rc_tlog_leaf_hash(leaf[i], ent[i], l);
	}
	size_t ckl, al;
	uint8_t *note = slurp(ck, &ckl, RC_PUB_CHECKPOINT_MAX);
	uint8_t *ab = slurp(anchors, &al, 4096);
	struct rc_anchors a;
	struct rc_pub m;
	memset(&m, 0, sizeof(m));
	if (!note || !ab || rc_anchors_decode(&a, ab, al, NULL) ||
	    rc_anchors_id(&a, m.anchors_id)) {
		fprintf(stderr, "publish: bad checkpoint or anchors\n");
		return 1;
	}
	struct pubdir_log lg = {.ent = (const uint8_t *const *)ent,
				.len = len,
				.leaf = (const uint8_t(*)[32])leaf,
				.n = (uint64_t)n,
				.checkpoint = note,
				.checkpoint_len = ckl};
	char err[512];
	if (pubdir_write_log(dir, &lg, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "publish: %s\n", err);
		return 1;
	}
	uint64_t now = (uint64_t)time(NULL);
	m.serial = serial;
	m.issued = now - 60;
	m.expiry = (uint64_t)((int64_t)now + expiry_off);
	m.checkpoint = note;
	m.checkpoint_len = ckl;
	struct fx_key fk;
	fx_key(&fk, other ? RDFIX_OTHER_SEED : RDFIX_FEED_SEED);
	uint8_t *top;
	size_t tl;
	int e = rc_pub_build(&top, &tl, &m, wd, nwd, fk.sk);
	if (e) {
		fprintf(stderr, "publish: rc_pub_build: %s\n", rc_strerror(e));
		return 1;
	}
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/recall-publication", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	bool ok = f && fwrite(top, 1, tl, f) == tl;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		fprintf(stderr, "publish: cannot write %s\n", path);
		return 1;
	}
	free(top);
	free(note);
	free(ab);
	for (int i = 0; i < n; i++)
		free(ent[i]);
	return 0;
}
