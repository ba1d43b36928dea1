/* Loading what recalld serves: the feed (read into a private read-only mapping, so that a file
 * replaced or truncated on disk can never change or fault a feed in use), the feed public key,
 * the trust anchors and the rotation statements; everything verified before it can be used. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "filekind.h"
#include "pubkey.h"
#include "rd.h"

#define RD_FEED_MAX ((size_t)1 << 31)
#define RD_ENOTREG  (-1) /* errno value of read_whole: not a regular file */

static const char *const load_err_names[] = {
    "ok",    "io",      "format", "signature", "expired",
    "stale", "anchors", "notice", "rotation",  "config",
};

const char *rd_load_err_name(int e)
{
	return e >= 0 && e < RD_LOAD__COUNT ? load_err_names[e] : "unknown";
}

static int fail(char *err, size_t cap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t cap, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return code;
}

/* RFC 3339 UTC of POSIX seconds t, for messages that an operator reads. */
static const char *utc(char out[static 32], uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t > (uint64_t)253402300799 || !gmtime_r(&tt, &tm)) /* after the year 9999 */
		snprintf(out, 32, "%llu", (unsigned long long)t);
	else
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

/* What went wrong reading a file (errno as read_whole leaves it). */
static const char *read_err(int e)
{
	return e == RD_ENOTREG ? "not a regular file (a FIFO, device or directory is refused)"
			       : strerror(e);
}

/* Read a whole regular file of at most max bytes. into_map: into an anonymous mapping that is
 * then made read-only (free with munmap), else into malloc memory. -1 with errno on error;
 * EFBIG when larger than max, RD_ENOTREG when not a regular file (read_err names both).
 * Opened with O_NONBLOCK: a FIFO (or a device) at the path must not block the main thread in
 * open(2) or read(2) until someone writes to it; it is refused after fstat. Symbolic links are
 * followed (a feed published through a link is legitimate); the file is only read. */
static int read_whole(const char *path, size_t max, bool into_map, uint8_t **out, size_t *len,
		      size_t *maplen, int oflags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | oflags);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = RD_ENOTREG;
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *buf;
	if (into_map) {
		void *m = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		buf = m == MAP_FAILED ? NULL : m;
	} else {
		buf = malloc(n ? n : 1);
	}
	if (!buf)
		goto fail;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* shrank while reading: the parser reports it truncated */
		got += (size_t)r;
	}
	close(fd);
	if (into_map)
		mprotect(buf, n ? n : 1, PROT_READ);
	*out = buf;
	*len = got;
	if (maplen)
		*maplen = n ? n : 1;
	return 0;
fail : {
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}
}

int rd_read_file(const char *path, size_t max, bool nofollow, uint8_t **out, size_t *len)
{
	return read_whole(path, max, false, out, len, NULL, nofollow ? O_NOFOLLOW : 0);
}

const char *rd_read_err(int e)
{
	return read_err(e);
}

/* Public key file of the recall tool: "recall-ed25519-public <base64 of 32 bytes> [comment]". */
static int load_pubkey(const char *path, uint8_t pk[static RC_PK_LEN], char *err, size_t cap)
{
	uint8_t *buf;
	size_t n;
	if (read_whole(path, 4096, false, &buf, &n, NULL, 0) < 0)
		return fail(err, cap, RD_LOAD_IO, "feed-key %s: %s", path, read_err(errno));
	const char *why = rc_pubkey_parse(buf, n, pk);
	free(buf);
	if (why)
		return fail(err, cap, RD_LOAD_SIGNATURE, "feed-key %s: line 1: %s", path, why);
	return RD_LOAD_OK;
}

static int load_anchors(const char *path, struct rc_anchors *a, char *err, size_t cap)
{
	uint8_t *buf;
	size_t n;
	struct rc_diag d = {0, NULL};
	if (read_whole(path, 4096, false, &buf, &n, NULL, 0) < 0)
		return fail(err, cap, RD_LOAD_IO, "anchors %s: %s", path, read_err(errno));
	int e = rc_anchors_decode(a, buf, n, &d);
	const char *kind = e ? file_kind(buf, n) : NULL;
	free(buf);
	if (kind)
		return fail(err, cap, RD_LOAD_ANCHORS,
			    "anchors %s: this is %s, not an anchor set: set 'anchors' to the file "
			    "'recall anchors create' wrote",
			    path, kind);
	if (e)
		return fail(
		    err, cap, RD_LOAD_ANCHORS,
		    "anchors %s: not a valid anchor set: %s at byte %zu (%s): set 'anchors' "
		    "to the file 'recall anchors create' wrote",
		    path, rc_strerror(e), d.off, d.field ? d.field : "anchor set");
	return RD_LOAD_OK;
}

static bool same_anchors(const struct rc_anchors *a, const struct rc_anchors *b)
{
	uint8_t x[RC_KID_LEN], y[RC_KID_LEN];
	return rc_anchors_id(a, x) == RC_OK && rc_anchors_id(b, y) == RC_OK &&
	       !memcmp(x, y, RC_KID_LEN);
}

/* With publication, the rotation statements are the log's, written by the fetcher as
 * publication-cache/rotation/<from epoch> (absent: none). */
static int pub_rotations(const struct rd_config *cfg, bool chrooted, struct conf_str_list *l,
			 char *err, size_t cap)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/rotation", rd_path(cfg, cfg->pub_dir, chrooted));
	DIR *d = opendir(dir);
	if (!d && errno == ENOENT)
		return 0;
	if (!d) {
		snprintf(err, cap, "rotation %s: %s", dir, strerror(errno));
		return -1;
	}
	err[0] = 0;
	l->v = calloc(RD_ROTATIONS_MAX, sizeof(*l->v));
	struct dirent *e;
	int rc = l->v ? 0 : -1;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    strspn(e->d_name, "0123456789") != strlen(e->d_name))
			continue; /* ".", "..", the fetcher's temporary files */
		if (l->n == RD_ROTATIONS_MAX) {
			snprintf(err, cap, "rotation %s: more than %d statements", dir,
				 RD_ROTATIONS_MAX);
			rc = -1;
		} else if (asprintf(&l->v[l->n], "%s/%s", dir, e->d_name) < 0) {
			rc = -1;
		} else {
			l->n++;
		}
	}
	closedir(d);
	if (rc && !err[0])
		snprintf(err, cap, "rotation %s: out of memory", dir);
	return rc;
}

static int cmp_rot(const void *a, const void *b)
{
	const struct rd_rotation_stmt *x = a, *y = b;
	return x->from_epoch < y->from_epoch ? -1 : x->from_epoch > y->from_epoch;
}

/* Rotation statements: each decodes, fits an answer, and they form one chain of consecutive
 * epochs whose last step leads to the configured anchors; every step after the first is
 * signed by k of the set the step before introduced. */
static int load_rotations(struct rd_state *st, const struct rd_config *cfg, bool chrooted,
			  char *err, size_t cap)
{
	struct rc_anchors next[RD_ROTATIONS_MAX];
	struct conf_str_list pubrot = {0, NULL, NULL};
	const struct conf_str_list *list = &cfg->rotation;
	if (cfg->publication.n) {
		if (pub_rotations(cfg, chrooted, &pubrot, err, cap) < 0)
			return RD_LOAD_ROTATION;
		list = &pubrot;
	}
	int rc = RD_LOAD_OK;
	for (size_t i = 0; i < list->n && !rc; i++) {
		const char *path =
		    list == &pubrot ? list->v[i] : rd_path(cfg, list->v[i], chrooted);
		struct rd_rotation_stmt *r = &st->rot[st->nrot];
		struct rc_cose_sign m;
		struct rc_rotation rot;
		struct rc_diag d = {0, NULL};
		if (read_whole(path, RC_NOTICE_MAX, false, &r->bytes, &r->len, NULL, 0) < 0) {
			rc = fail(err, cap, errno == EFBIG ? RD_LOAD_ROTATION : RD_LOAD_IO,
				  "rotation %s: %s", path,
				  errno == EFBIG ? "too large for an answer" : read_err(errno));
			break;
		}
		st->nrot++;
		int e = rc_cose_decode(&m, r->bytes, r->len, &d);
		if (!e && m.content_type != RC_CT_ROTATION)
			e = RC_ERR_TYPE, d.field = "content type";
		if (!e)
			e = rc_rotation_decode(&rot, m.payload, m.payload_len, &d);
		if (e)
			rc = fail(err, cap, RD_LOAD_ROTATION, "rotation %s: %s (%s)", path,
				  rc_strerror(e), d.field ? d.field : "statement");
		else
			r->from_epoch = rot.from_epoch;
	}
	for (size_t i = 0; i < pubrot.n; i++)
		free(pubrot.v[i]);
	free(pubrot.v);
	if (rc)
		return rc;
	qsort(st->rot, st->nrot, sizeof(st->rot[0]), cmp_rot);
	for (size_t i = 0; i < st->nrot; i++) {
		struct rc_cose_sign m;
		struct rc_rotation rot;
		rc_cose_decode(&m, st->rot[i].bytes, st->rot[i].len, NULL);
		rc_rotation_decode(&rot, m.payload, m.payload_len, NULL);
		next[i] = rot.next;
		if (i && st->rot[i].from_epoch != st->rot[i - 1].from_epoch + 1)
			return fail(err, cap, RD_LOAD_ROTATION,
				    "rotation: no statement from epoch %llu to %llu",
				    (unsigned long long)st->rot[i - 1].from_epoch + 1,
				    (unsigned long long)st->rot[i].from_epoch);
		if (i) {
			struct rc_anchors cur = next[i - 1];
			int e = rc_anchors_rotate(&cur, st->rot[i].bytes, st->rot[i].len, NULL);
			if (e)
				return fail(
				    err, cap, RD_LOAD_ROTATION,
				    "rotation from epoch %llu: %s by the epoch %llu anchors",
				    (unsigned long long)st->rot[i].from_epoch, rc_strerror(e),
				    (unsigned long long)st->rot[i].from_epoch);
		}
	}
	if (st->nrot && !same_anchors(&next[st->nrot - 1], &st->anchors))
		return fail(err, cap, RD_LOAD_ROTATION,
			    "rotation: the last statement (from epoch %llu) does not lead to the "
			    "configured anchors (epoch %llu)",
			    (unsigned long long)st->rot[st->nrot - 1].from_epoch,
			    (unsigned long long)st->anchors.epoch);
	uint8_t tmp[RC_ANSWER_MAX];
	for (size_t i = 0; i < st->nrot; i++) {
		struct rc_answer a = {
		    .type = RC_MSG_ROTATE, .blob = st->rot[i].bytes, .blob_len = st->rot[i].len};
		size_t len;
		if (rc_answer_encode(&a, tmp, sizeof(tmp), &len) != RC_OK)
			return fail(err, cap, RD_LOAD_ROTATION,
				    "rotation from epoch %llu: does not fit in an answer",
				    (unsigned long long)st->rot[i].from_epoch);
	}
	return RD_LOAD_OK;
}

static void feedmap_put(struct rd_feedmap *fm)
{
	if (!fm || --fm->refs)
		return;
	free(fm->digests);
	free(fm->sum);
	free(fm->strs);
	free(fm->ranges);
	free(fm->digs);
	munmap(fm->map, fm->maplen);
	free(fm);
}

void rd_state_free(struct rd_state *st)
{
	if (!st)
		return;
	feedmap_put(st->fm);
	free(atomic_load(&st->priv));
	rd_log_free(st->log);
	for (size_t i = 0; i < st->nrot; i++)
		free(st->rot[i].bytes);
	if (st->cfg && --st->cfg->refs == 0) {
		rd_config_free(st->cfg);
		free(st->cfg);
	}
	free(st);
}

const struct rd_rotation_stmt *rd_state_rotation(const struct rd_state *st, uint64_t epoch)
{
	for (size_t i = 0; i < st->nrot; i++) {
		if (st->rot[i].from_epoch == epoch)
			return &st->rot[i];
	}
	return NULL;
}

int rd_state_load(struct rd_state **out, struct rd_config *cfg, const struct rd_state *cur,
		  uint64_t gen, bool chrooted, uint64_t now, char *err, size_t cap)
{
	uint8_t pk[RC_PK_LEN];
	struct rd_feedmap *fm = NULL;
	struct rd_state *st = calloc(1, sizeof(*st));
	const char *feed = rd_path(cfg, cfg->feed_file, chrooted);
	int rc;
	*out = NULL;
	if (!st)
		return fail(err, cap, RD_LOAD_IO, "out of memory");
	st->gen = gen;
	st->cfg = cfg;
	if ((rc = load_pubkey(rd_path(cfg, rd_feed_key_path(cfg), chrooted), pk, err, cap)) ||
	    (rc = load_anchors(rd_path(cfg, cfg->anchors, chrooted), &st->anchors, err, cap)))
		goto out;
	fm = calloc(1, sizeof(*fm));
	if (!fm) {
		rc = fail(err, cap, RD_LOAD_IO, "out of memory");
		goto out;
	}
	fm->refs = 1;
	if (read_whole(feed, RD_FEED_MAX, true, &fm->map, &fm->len, &fm->maplen, 0) < 0) {
		rc = fail(err, cap, RD_LOAD_IO, "feed %s: %s", feed, read_err(errno));
		free(fm);
		fm = NULL;
		goto out;
	}
	struct rc_feed *f = &fm->feed;
	struct rc_diag d = {0, NULL};
	int e = rc_feed_open(f, fm->map, fm->len, pk, &d);
	if (e == RC_ERR_SIG && d.field && !strcmp(d.field, "feed.key_id")) {
		uint8_t kid[RC_KID_LEN];
		char want[2 * RC_KID_LEN + 1], have[2 * RC_KID_LEN + 1];
		rc_kid(kid, pk);
		sodium_bin2hex(want, sizeof(want), fm->map + d.off, RC_KID_LEN); /* parsed */
		sodium_bin2hex(have, sizeof(have), kid, RC_KID_LEN);
		rc = fail(err, cap, RD_LOAD_SIGNATURE,
			  "feed %s is signed by the key with kid %s, but feed-key %s is kid %s: "
			  "set feed-key to the public key the feed was built with",
			  feed, want, cfg->feed_key, have);
		goto out;
	}
	if (e) {
		rc = fail(err, cap, e == RC_ERR_SIG ? RD_LOAD_SIGNATURE : RD_LOAD_FORMAT,
			  "feed %s: %s at byte %zu (%s): %s", feed, rc_strerror(e), d.off,
			  d.field ? d.field : "feed",
			  e == RC_ERR_SIG
			      ? "the file was altered or damaged; fetch or build it again"
			      : "not a feed 'recall feed build' wrote, or damaged");
		goto out;
	}
	if (rc_feed_check_time(f, now) != RC_OK) {
		char at[32], nw[32];
		rc = fail(err, cap, RD_LOAD_EXPIRED,
			  "feed %s: serial %llu expired at %s (the time now is %s): build and "
			  "publish a newer feed ('recall feed build'), then reload (SIGHUP)",
			  feed, (unsigned long long)f->meta.serial, utc(at, f->meta.expiry),
			  utc(nw, now));
		goto out;
	}
	uint8_t aid[RC_KID_LEN];
	if (rc_anchors_id(&st->anchors, aid) != RC_OK || memcmp(aid, f->meta.anchors_id, 8)) {
		rc = fail(err, cap, RD_LOAD_ANCHORS,
			  "feed %s: made for other trust anchors than %s", feed, cfg->anchors);
		goto out;
	}
	bool same = false;
	if (cur) {
		const struct rc_feed *c = &cur->fm->feed;
		if (f->meta.serial < c->meta.serial ||
		    (f->meta.serial == c->meta.serial &&
		     (fm->len != cur->fm->len || memcmp(fm->map, cur->fm->map, fm->len)))) {
			rc = fail(err, cap, RD_LOAD_STALE,
				  "feed %s: serial %llu is not above the serial %llu held", feed,
				  (unsigned long long)f->meta.serial,
				  (unsigned long long)c->meta.serial);
			goto out;
		}
		same = f->meta.serial == c->meta.serial;
	}
	if (!same || !same_anchors(&st->anchors, &cur->anchors)) {
		size_t bad = 0;
		e = rd_verify_feed(fm, &st->anchors, cur ? cur->fm : NULL, &bad, &st->reused);
		if (e == RC_ERR_NONCANONICAL) {
			rc = fail(err, cap, RD_LOAD_NOTICE,
				  "feed %s: entry %zu is out of the order of PROTOCOL.md 14.2 "
				  "(quarantine first, then higher severity, then id), so a device "
				  "could be sent the wrong notice: build the feed again with "
				  "'recall feed build'",
				  feed, bad);
			goto out;
		}
		if (e) {
			rc = fail(err, cap, RD_LOAD_NOTICE, "feed %s: notice %zu: %s", feed, bad,
				  rc_strerror(e));
			goto out;
		}
		if (same) { /* every notice verified with the new anchors too */
			memcpy(cur->fm->anchors_id, fm->anchors_id, RC_KID_LEN);
		}
	}
	if ((rc = load_rotations(st, cfg, chrooted, err, cap)))
		goto out;
	if (same) {
		feedmap_put(fm);
		fm = cur->fm;
		fm->refs++;
	} else {
		fm->loaded_at = now;
	}
	st->fm = fm;
	/* private check-ins are answered from a table of the feed under this policy */
	struct rd_ptab *pt = rd_ptab_build(st, now);
	if (!pt) {
		rc = fail(err, cap, RD_LOAD_IO, "out of memory for the private check-in table");
		fm = NULL; /* st->fm holds the reference */
		goto out;
	}
	atomic_init(&st->priv, pt);
	rd_log_load(st, cur, chrooted);
	cfg->refs++;
	*out = st;
	return RD_LOAD_OK;
out:
	st->cfg = NULL;
	if (fm)
		st->fm = fm;
	rd_state_free(st);
	return rc;
}

/* The log checkpoint kept in state-dir (logload.c reads it back for the consistency check). */
int rd_log_persist(const struct rd_state *st, bool chrooted, char *err, size_t cap)
{
	char path[4200], tmp[4300];
	if (!st->log || !st->log_new)
		return 0;
	if (rd_log_state_path(path, sizeof(path), st->cfg, chrooted) < 0) {
		snprintf(err, cap, "state-dir: path too long");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp); /* a leftover of a crash; O_EXCL below never follows a link */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640);
	bool ok = fd >= 0 &&
		  write(fd, st->log->note, st->log->note_len) == (ssize_t)st->log->note_len &&
		  fsync(fd) == 0;
	int e = errno;
	if (fd >= 0 && close(fd) < 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok && rename(tmp, path) < 0) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		snprintf(err, cap, "%s: %s", fd < 0 ? tmp : path, strerror(e));
		return -1;
	}
	/* the rename itself durable */
	int dfd = open(rd_path(st->cfg, st->cfg->state_dir, chrooted),
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
