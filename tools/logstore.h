/* A transparency log directory of the recall tool (docs/LOG.md): the signed checkpoint and the
 * C2SP tlog-tiles static files (hash tiles, entry bundles) under DIR. */
#ifndef RECALL_TOOL_LOGSTORE_H
#define RECALL_TOOL_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "recall/note.h"
#include "recall/tlog.h"

struct logstore {
	const char *dir;
	char *note; /* DIR/checkpoint, the whole signed note (malloc'd) */
	size_t note_len;
	struct rc_note n;
	struct rc_checkpoint cp;
	/* One tile read back, kept for the next hash of the same tile. */
	char tile_path[4096];
	uint8_t tile[RC_TLOG_TILE_WIDTH][RC_TLOG_HASH_LEN];
	unsigned tile_w;
};

/* Reads and parses DIR/checkpoint; with key, its signature must verify under key and the
 * origin must be the key's name. Messages name the file; -1 on error. */
int log_open(struct logstore *ls, const char *dir, const struct rc_note_key *key);
void log_close(struct logstore *ls);
/* rc_tlog_read_fn over the tiles of ls (ctx) at its checkpoint's size. */
int log_read_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[RC_TLOG_HASH_LEN]);
/* "DIR/<tile path>" into out (PATH_MAX bytes); -1 if it does not fit. */
int log_path(char *out, size_t cap, const char *dir, int level, uint64_t index, unsigned width);
/* fsync()s the directory holding path, so that a rename or new file in it is durable. */
int log_sync_parent(const char *path);
/* Takes an exclusive lock on DIR for one append (flock on the directory itself: no lock file
 * among the served files). The descriptor to keep open, or -1 with a message. */
int log_lock(const char *dir);
/* Creates the directories above path (mode 0755). -1 with a message on error. */
int log_mkdirs(const char *path);
/* A verifier key: a file holding it on its first line if arg names a file, else the key
 * string itself. -1 with a message on error. */
int log_load_vkey(const char *arg, struct rc_note_key *k);
/* Check a signed checkpoint note (buf) under k: signature, body, origin == key name. Fills
 * n and c; -1 with a message naming what (a file name) on error. */
int log_check_note(const char *what, const char *buf, size_t len, const struct rc_note_key *k,
		   struct rc_note *n, struct rc_checkpoint *c);

/* Largest entry and entry bundle: entries carry a 16-bit length. */
#define LOG_ENTRY_MAX  65535
#define LOG_BUNDLE_MAX ((size_t)RC_TLOG_TILE_WIDTH * (2 + LOG_ENTRY_MAX))
/* Splits an entry bundle (b, len) that must hold exactly want (1..256) entries, each a 16-bit
 * big-endian length and its bytes: off[i], n[i] locate entry i. -1 with *bad the byte offset
 * of the fault and why (a static string) on anything else. */
int log_bundle_split(const uint8_t *b, size_t len, unsigned want, size_t off[RC_TLOG_TILE_WIDTH],
		     size_t n[RC_TLOG_TILE_WIDTH], size_t *bad, const char **why);

#endif
