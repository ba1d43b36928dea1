/* recalld test worlds (rdfix.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "rdfix.h"
#include "recall/tlog.h"

void rdfix_defaults(struct rdfix_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->now = (uint64_t)time(NULL);
	o->serial = 1;
	o->nnotices = 3;
	o->expiry_off = 30 * 86400;
	o->epoch = 1;
}

bool rdfix_has_log;
struct rc_log_policy rdfix_log;

int rdfix_anchors(struct rc_anchors *a, struct fx_key keys[RDFIX_N], uint64_t epoch)
{
	int e = fx_anchors(a, keys, RDFIX_N, RDFIX_K, epoch, (uint8_t)(0x40 + 3 * (epoch % 40)));
	if (!e && rdfix_has_log)
		e = rc_anchors_set_log(a, &rdfix_log);
	return e;
}

void rdfix_witness(struct rc_note_key *k, uint8_t sk[64], unsigned i)
{
	struct fx_key fk;
	char name[32];
	fx_key(&fk, (uint8_t)(RDFIX_WITNESS_SEED + i));
	snprintf(name, sizeof(name), "w%u.example", i);
	rc_note_key_init(k, name, strlen(name), RC_NOTE_ALG_COSIG, fk.pk);
	memcpy(sk, fk.sk, 64);
}

int rdfix_log_world(const char *origin, const uint8_t log_pk[32], unsigned nwit, unsigned quorum,
		    uint32_t max_age)
{
	struct rc_log_policy *p = &rdfix_log;
	memset(p, 0, sizeof(*p));
	if (strlen(origin) > RC_LOG_NAME_MAX || nwit > RC_LOG_WITNESS_MAX)
		return RC_ERR_INVALID;
	snprintf(p->origin, sizeof(p->origin), "%s", origin);
	memcpy(p->log_pk, log_pk, 32);
	for (unsigned i = 0; i < nwit; i++) {
		struct rc_note_key k;
		uint8_t sk[64];
		rdfix_witness(&k, sk, i);
		snprintf(p->wit[i].name, sizeof(p->wit[i].name), "%.64s", k.name);
		memcpy(p->wit[i].pk, k.pk, 32);
	}
	p->nwit = nwit;
	p->quorum = quorum;
	p->max_age = max_age;
	rdfix_has_log = true;
	struct rc_anchors a; /* validate once */
	struct fx_key keys[RDFIX_N];
	return rdfix_anchors(&a, keys, 1);
}

int rdfix_cosign(char *buf, size_t cap, size_t *len, unsigned i, uint64_t t)
{
	struct rc_note n;
	struct rc_note_key k;
	uint8_t sk[64], sig[RC_COSIG_LEN];
	rdfix_witness(&k, sk, i);
	int e = rc_note_parse(&n, buf, *len, NULL);
	if (!e)
		e = rc_cosig_sign(sig, t, n.text, n.text_len, &k, sk);
	if (!e)
		e = rc_note_append_sig(buf, cap, len, k.name, k.name_len, k.keyid, sig,
				       sizeof(sig));
	return e;
}

const char *rdfix_model;

int rdfix_notice(uint8_t *out, size_t cap, size_t *len, unsigned i, uint64_t now, uint64_t epoch,
		 unsigned nsign)
{
	struct rc_anchors a;
	struct fx_key keys[RDFIX_N];
	struct rc_notice n;
	char id[32], model[32];
	int err = rdfix_anchors(&a, keys, epoch);
	if (err)
		return err;
	fx_notice(&n, now);
	snprintf(id, sizeof(id), "RC-TEST-%u", i);
	snprintf(model, sizeof(model), "cam-%u", i);
	n.id = rc_str_c(id);
	n.target.model = rc_str_c(rdfix_model ? rdfix_model : model);
	n.severity = i == 1 ? RC_SEV_HIGH : (uint8_t)(i % 5);
	return fx_signed_notice(out, cap, len, &n, keys, nsign > RDFIX_N ? RDFIX_N : nsign);
}

int rdfix_feed(uint8_t **out, size_t *len, const struct rdfix_opts *o)
{
	size_t n = o->nnotices;
	uint8_t *blob = malloc(n ? n * RC_NOTICE_MAX : 1);
	const uint8_t **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	size_t *lens = calloc(n ? n : 1, sizeof(*lens));
	int err = blob && ptrs && lens ? RC_OK : RC_ERR_NOMEM;
	bool bad_notice = o->corrupt && !strcmp(o->corrupt, "notice");
	for (size_t i = 0; !err && i < n; i++) {
		ptrs[i] = blob + i * RC_NOTICE_MAX;
		err =
		    rdfix_notice(blob + i * RC_NOTICE_MAX, RC_NOTICE_MAX, &lens[i], (unsigned)i + 1,
				 o->now, o->epoch, bad_notice && i == n / 2 ? 1 : RDFIX_K);
	}
	struct rc_feed_meta meta;
	struct rc_anchors a;
	struct fx_key keys[RDFIX_N], fk;
	memset(&meta, 0, sizeof(meta));
	meta.serial = o->serial;
	meta.issued = o->now - 60;
	meta.expiry = (uint64_t)((int64_t)o->now + o->expiry_off);
	if (meta.expiry < meta.issued)
		meta.issued = meta.expiry;
	bool wrongkey = o->corrupt && !strcmp(o->corrupt, "wrongkey");
	fx_key(&fk, wrongkey ? RDFIX_OTHER_SEED : RDFIX_FEED_SEED);
	if (!err)
		err = rdfix_anchors(&a, keys,
				    o->corrupt && !strcmp(o->corrupt, "anchors") ? o->epoch + 7
										 : o->epoch);
	if (!err)
		err = rc_anchors_id(&a, meta.anchors_id);
	rc_kid(meta.key_id, fk.pk);
	if (wrongkey) { /* claims the real feed key's id, signed by another key */
		struct fx_key real;
		fx_key(&real, RDFIX_FEED_SEED);
		rc_kid(meta.key_id, real.pk);
	}
	if (!err)
		err = rc_feed_build(out, len, &meta, ptrs, lens, n, fk.sk, NULL);
	if (!err && wrongkey) {
		/* rc_feed_build wrote fk's kid: put the real one back (signature now wrong) */
		struct fx_key real;
		fx_key(&real, RDFIX_FEED_SEED);
		rc_kid(*out + 48, real.pk);
	}
	if (!err && o->corrupt && !strcmp(o->corrupt, "sig"))
		(*out)[*len - 1] ^= 0x01;
	if (!err && o->corrupt && !strcmp(o->corrupt, "truncate"))
		*len -= *len / 3;
	free(blob);
	free(ptrs);
	free(lens);
	return err;
}

int rdfix_rotation(uint8_t *out, size_t cap, size_t *len, uint64_t from_epoch)
{
	struct rc_anchors from, next;
	struct fx_key fkeys[RDFIX_N], nkeys[RDFIX_N];
	int err = rdfix_anchors(&from, fkeys, from_epoch);
	if (!err)
		err = rdfix_anchors(&next, nkeys, from_epoch + 1);
	if (!err)
		err = fx_rotation(out, cap, len, &from, &next, fkeys, RDFIX_K);
	return err;
}

void rdfix_publine(char out[128], const uint8_t pk[static RC_PK_LEN])
{
	char b64[64];
	sodium_bin2base64(b64, sizeof(b64), pk, RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, 128, "recall-ed25519-public %s test feed key\n", b64);
}

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp%ld", dir, name, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "rdfix: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int rdfix_write_dir(const char *dir, const struct rdfix_opts *o, bool rotations)
{
	uint8_t *feed;
	size_t len;
	int err = rdfix_feed(&feed, &len, o);
	if (err) {
		fprintf(stderr, "rdfix: feed: %s\n", rc_strerror(err));
		return -1;
	}
	int rc = write_file(dir, "feed", feed, len);
	free(feed);
	struct fx_key fk;
	char line[128];
	fx_key(&fk, RDFIX_FEED_SEED);
	rdfix_publine(line, fk.pk);
	if (!rc)
		rc = write_file(dir, "feed.pub", line, strlen(line));
	struct rc_anchors a;
	struct fx_key keys[RDFIX_N];
	uint8_t buf[2048];
	size_t n;
	if (!rc &&
	    (rdfix_anchors(&a, keys, o->epoch) || rc_anchors_encode(&a, buf, sizeof(buf), &n)))
		rc = -1;
	if (!rc)
		rc = write_file(dir, "anchors", buf, n);
	for (unsigned i = 1; !rc && rdfix_has_log && i <= o->nnotices; i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%u.notice", i);
		if (rdfix_notice(buf, sizeof(buf), &n, i, o->now, o->epoch, RDFIX_K))
			rc = -1;
		else
			rc = write_file(dir, name, buf, n);
	}
	for (uint64_t e = 0; !rc && rotations && e < o->epoch; e++) {
		char name[32];
		snprintf(name, sizeof(name), "rot-%llu", (unsigned long long)e);
		if (rdfix_rotation(buf, sizeof(buf), &n, e))
			rc = -1;
		else
			rc = write_file(dir, name, buf, n);
		/* the set it rotates from, as a device on that epoch holds it */
		snprintf(name, sizeof(name), "anchors-%llu", (unsigned long long)e);
		if (!rc &&
		    (rdfix_anchors(&a, keys, e) || rc_anchors_encode(&a, buf, sizeof(buf), &n)))
			rc = -1;
		if (!rc)
			rc = write_file(dir, name, buf, n);
	}
	return rc;
}

void rdfix_log_key(struct rc_note_key *k, uint8_t sk[64])
{
	struct fx_key fk;
	fx_key(&fk, RDFIX_LOG_SEED);
	rc_note_key_init(k, RDFIX_LOG_ORIGIN, strlen(RDFIX_LOG_ORIGIN), RC_NOTE_ALG_ED25519, fk.pk);
	memcpy(sk, fk.sk, 64);
}

/* Write the hashes of one tile (level 0 or 1) of the tree; dirs made as needed. */
static int write_tile(const char *dir, int level, uint64_t index, unsigned width,
		      const uint8_t (*h)[32])
{
	char rel[RC_TLOG_PATH_MAX], path[4200];
	if (rc_tlog_tile_path(rel, sizeof(rel), level, index, width) != RC_OK)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *q = path + strlen(dir) + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*q = '/';
	}
	char *slash = strrchr(path, '/');
	*slash = 0;
	return write_file(path, slash + 1, h, (size_t)width * 32);
}

unsigned rdfix_log_rotations;

int rdfix_write_log(const char *dir, const struct rdfix_opts *o, uint64_t size, uint64_t at,
		    unsigned nlogged, unsigned ncosig, uint64_t t0)
{
	char d[4096];
	uint8_t(*leaf)[32] = calloc(size ? size : 1, 32);
	uint8_t up[256][32], root[32], nb[RC_NOTICE_MAX];
	int rc = leaf && size < 65536 && at + nlogged + rdfix_log_rotations <= size ? 0 : -1;
	snprintf(d, sizeof(d), "%s/tlog", dir);
	if (!rc && mkdir(d, 0755) < 0 && errno != EEXIST)
		rc = -1;
	for (uint64_t i = 0; !rc && i < size; i++) {
		char e[32];
		size_t n;
		if (i >= at && i < at + nlogged) {
			unsigned k = (unsigned)(i - at) + 1;
			rc =
			    rdfix_notice(nb, sizeof(nb), &n, k, o->now, o->epoch, RDFIX_K) ? -1 : 0;
			rc_tlog_leaf_hash(leaf[i], nb, n);
		} else if (i >= at + nlogged && i < at + nlogged + rdfix_log_rotations) {
			rc = rdfix_rotation(nb, sizeof(nb), &n, i - at - nlogged) ? -1 : 0;
			rc_tlog_leaf_hash(leaf[i], nb, n);
		} else {
			n = (size_t)snprintf(e, sizeof(e), "entry %llu", (unsigned long long)i);
			rc_tlog_leaf_hash(leaf[i], (const uint8_t *)e, n);
		}
	}
	for (uint64_t t = 0; !rc && t * 256 < size; t++) {
		unsigned w = size - t * 256 >= 256 ? 256 : (unsigned)(size - t * 256);
		rc = write_tile(d, 0, t, w, (const uint8_t(*)[32])leaf[t * 256]);
		if (!rc && w == 256)
			rc = rc_tlog_root_of_leaves(up[t], (const uint8_t(*)[32])leaf[t * 256], 256)
				 ? -1
				 : 0;
	}
	if (!rc && size >= 256)
		rc = write_tile(d, 1, 0, (unsigned)(size / 256), (const uint8_t(*)[32])up);
	if (!rc)
		rc = rc_tlog_root_of_leaves(root, (const uint8_t(*)[32])leaf, size) ? -1 : 0;
	free(leaf);
	struct rc_checkpoint c = {
	    .origin = RDFIX_LOG_ORIGIN, .origin_len = strlen(RDFIX_LOG_ORIGIN), .size = size};
	memcpy(c.root, root, 32);
	char text[512], note[4096];
	size_t tl, nl;
	struct rc_note_key k;
	uint8_t sk[64];
	rdfix_log_key(&k, sk);
	if (!rc && (rc_checkpoint_format(text, sizeof(text), &tl, &c) ||
		    rc_note_sign(note, sizeof(note), &nl, text, tl, &k, sk)))
		rc = -1;
	for (unsigned i = 0; !rc && i < ncosig; i++)
		rc = rdfix_cosign(note, sizeof(note), &nl, i, t0 + i) ? -1 : 0;
	if (!rc)
		rc = write_file(d, "checkpoint", note, nl);
	return rc;
}
