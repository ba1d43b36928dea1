/* Internal to the publication sync engine (pubsync.c, pubsync_store.c). */
#ifndef RECALL_PUBSYNC_INT_H
#define RECALL_PUBSYNC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubsync.h"
#include "recall/note.h"
#include "recall/publication.h"
#include "recall/tlog.h"

#define PS_PATH_MAX 4096
#define W           RC_TLOG_TILE_WIDTH

struct sync {
	const struct pubsync_in *in;
	pubsync_get_fn get;
	void *ctx;
	struct pubsync_out *out;
	uint64_t budget;
	/* held: the cache's top file (signature checked) and its checkpoint (policy checked) */
	uint8_t *held_buf;
	size_t held_len;
	struct rc_pub held;
	bool have_held, held_log;
	uint64_t n0;
	uint8_t root0[RC_TLOG_HASH_LEN];
	/* fetched */
	uint8_t *top;
	size_t top_len;
	struct rc_pub pub;
	struct rc_checkpoint cp;
	uint64_t n;
	/* the N entries: views into buffers kept in bufs */
	const uint8_t **ent;
	uint16_t *elen;
	uint8_t (*leaf)[RC_TLOG_HASH_LEN];
	uint8_t **bufs;
	size_t nbufs, capbufs;
	uint64_t from_cache; /* entries [0, from_cache) came from the cache */
};

/* Sets out->verdict and (the first) out->err; returns -1. */
int ps_verdict(struct sync *s, enum pubsync_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Classify the verified entries, build the feed and commit everything to the cache. */
int ps_commit(struct sync *s);

/* Whole regular file of at most max bytes into a malloc'd buffer; -1 with errno (EFBIG above
 * max, ENOENT...). */
int ps_read(const char *path, size_t max, uint8_t **buf, size_t *len);
/* Creates the directories above path. */
int ps_mkdirs(const char *path);
/* Writes path atomically: a temporary file beside it, renamed over it (fsync'ed first with
 * sync). Directories above are created. -1 with errno. */
int ps_write(const char *path, const void *p, size_t n, bool sync);
/* fsync of a directory, or (whole_fs) syncfs of the file system holding it. */
int ps_sync_dir(const char *dir, bool whole_fs);

#endif
