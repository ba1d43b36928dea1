/* Reading a log directory: the checkpoint, hashes from tiles, verifier keys (logstore.h). A
 * tile read back is checked for its exact size: a truncated or swapped file is an error
 * naming it, never a wrong hash used silently (proofs built from it would not verify). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logstore.h"
#include "util.h"

int log_path(char *out, size_t cap, const char *dir, int level, uint64_t index, unsigned width)
{
	char rel[RC_TLOG_PATH_MAX];
	if (rc_tlog_tile_path(rel, sizeof(rel), level, index, width) != RC_OK)
		return -1;
	int w = snprintf(out, cap, "%s/%s", dir, rel);
	return w < 0 || (size_t)w >= cap ? -1 : 0;
}

int log_sync_parent(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = 0;
	int fd = open(slash ? buf : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		warnx_("%s: fsync: %s", slash ? buf : ".", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int log_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		warnx_("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		warnx_("%s: %s", dir,
		       errno == EWOULDBLOCK ? "another append to this log is running"
					    : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int log_mkdirs(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		warnx_("%s: path too long", path);
		return -1;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			warnx_("%s: mkdir: %s", buf, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int log_check_note(const char *what, const char *buf, size_t len, const struct rc_note_key *k,
		   struct rc_note *n, struct rc_checkpoint *c)
{
	struct rc_diag d = {0, NULL};
	int err = rc_note_parse(n, buf, len, &d);
	if (err) {
		warnx_("%s: byte %zu: %s: %s", what, d.off, d.field, rc_strerror(err));
		return -1;
	}
	if ((err = rc_checkpoint_parse(c, n->text, n->text_len, &d)) != 0) {
		warnx_("%s: byte %zu: %s: %s", what, d.off, d.field, rc_strerror(err));
		return -1;
	}
	if (!k)
		return 0;
	if (c->origin_len != k->name_len || memcmp(c->origin, k->name, k->name_len) != 0) {
		warnx_("%s: origin '%s' is not the key's name '%s'", what,
		       tsafen(c->origin, c->origin_len), tsafe(k->name));
		return -1;
	}
	err = rc_note_verify(n, k, NULL);
	if (err == RC_ERR_MISSING) {
		warnx_("%s: no signature by the log key %s+%08x", what, tsafe(k->name),
		       (unsigned)k->keyid);
		return -1;
	}
	if (err) {
		warnx_("%s: the log signature does not verify", what);
		return -1;
	}
	return 0;
}

int log_open(struct logstore *ls, const char *dir, const struct rc_note_key *key)
{
	char path[4096];
	memset(ls, 0, sizeof(*ls));
	ls->dir = dir;
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	uint8_t *b = file_read(path, &ls->note_len, RC_NOTE_MAX_LEN);
	if (!b)
		return -1;
	ls->note = (char *)b;
	if (log_check_note(path, ls->note, ls->note_len, key, &ls->n, &ls->cp) < 0) {
		log_close(ls);
		return -1;
	}
	return 0;
}

void log_close(struct logstore *ls)
{
	free(ls->note);
	ls->note = NULL;
}

/* Loads the tile that r names into ls->tile (kept for the next hash of the same tile). */
static int load_tile(struct logstore *ls, const struct rc_tlog_tile_ref *r)
{
	char path[4096];
	if (log_path(path, sizeof(path), ls->dir, r->tlevel, r->tindex, r->width) < 0)
		return RC_ERR_INVALID;
	if (!strcmp(path, ls->tile_path))
		return RC_OK;
	size_t len;
	uint8_t *b = file_read(path, &len, RC_TLOG_TILE_WIDTH * RC_TLOG_HASH_LEN);
	if (!b)
		return RC_ERR_IO;
	if (len != (size_t)r->width * RC_TLOG_HASH_LEN) {
		warnx_("%s: %zu bytes, not the %u hashes of %u bytes the name says", path, len,
		       r->width, RC_TLOG_HASH_LEN);
		free(b);
		return RC_ERR_SIZE;
	}
	memcpy(ls->tile, b, len);
	free(b);
	ls->tile_w = r->width;
	snprintf(ls->tile_path, sizeof(ls->tile_path), "%s", path);
	return RC_OK;
}

int log_read_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[RC_TLOG_HASH_LEN])
{
	struct logstore *ls = ctx;
	struct rc_tlog_tile_ref r;
	int err = rc_tlog_tile_for(&r, ls->cp.size, level, index);
	if (!err)
		err = load_tile(ls, &r);
	if (err)
		return err;
	/* A level between tile levels is the root of 2^(level % 8) hashes of one tile. */
	if (r.pos + r.count > ls->tile_w)
		return RC_ERR_RANGE;
	return rc_tlog_root_of_leaves(out, (const uint8_t(*)[RC_TLOG_HASH_LEN])ls->tile[r.pos],
				      r.count);
}

int log_load_vkey(const char *arg, struct rc_note_key *k)
{
	char line[RC_NOTE_KEY_MAX + 2];
	const char *s = arg;
	if (access(arg, F_OK) == 0) {
		size_t len;
		uint8_t *b = file_read(arg, &len, RC_NOTE_KEY_MAX + 1);
		if (!b)
			return -1;
		size_t l = strcspn((char *)b, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)l, (char *)b);
		free(b);
		s = line;
	}
	int err = rc_note_key_parse(k, s, strlen(s));
	if (err) {
		warnx_("%s: not a verifier key (NAME+KEYID+BASE64): %s", s == arg ? "--vkey" : arg,
		       rc_strerror(err));
		return -1;
	}
	return 0;
}

int log_bundle_split(const uint8_t *b, size_t len, unsigned want, size_t off[RC_TLOG_TILE_WIDTH],
		     size_t n[RC_TLOG_TILE_WIDTH], size_t *bad, const char **why)
{
	size_t o = 0;
	for (unsigned i = 0; i < want && i < RC_TLOG_TILE_WIDTH; i++) {
		size_t el = len - o < 2 ? 0 : (size_t)b[o] << 8 | b[o + 1];
		if (len - o < 2 || len - o - 2 < el) {
			*bad = o;
			*why = "entry truncated";
			return -1;
		}
		off[i] = o + 2;
		n[i] = el;
		o += 2 + el;
	}
	if (want < 1 || want > RC_TLOG_TILE_WIDTH || o != len) {
		*bad = o;
		*why = "more than the entries its name says";
		return -1;
	}
	return 0;
}
