/* recall-witness: a C2SP tlog-witness (c2sp.org/tlog-witness) for recall transparency logs.
 * It cosigns (c2sp.org/tlog-cosignature, cosignature/v1) a log's checkpoint only after checking
 * that it extends the last checkpoint it cosigned for that log, and persists that checkpoint
 * before answering. See recall-witness(8), recall-witness.conf(5) and docs/LOG.md.
 *
 * Everything but main() is witness_core, which the fuzz target and the tests link. */
#ifndef RECALL_WITNESS_H
#define RECALL_WITNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "log.h"
#include "recall/error.h"
#include "recall/note.h"
#include "recall/tlog.h"

#define WT_KEYS_MAX   64 /* `log` lines */
#define WT_LISTEN_MAX 8
/* The spec's limit on consistency proof lines. */
#define WT_PROOF_MAX 63
/* A request: "old N" (at most 24 bytes), 63 lines of 45 bytes, the blank line and a note. */
#define WT_BODY_MAX (24 + WT_PROOF_MAX * 45 + 1 + RC_NOTE_MAX_LEN)

/* The `log` lines of the configuration: verifier keys of the logs (algorithm 0x01). */
struct wt_vkeys {
	size_t n;
	struct rc_note_key v[WT_KEYS_MAX];
	unsigned line[WT_KEYS_MAX];
};

struct wt_config {
	struct conf_addr_list listen;
	char *state_dir;
	char *key;
	char *name;
	struct wt_vkeys logs;
	uint64_t connections;
	uint64_t per_client;
	uint64_t timeout_ms;
	uint64_t evidence_max;
	bool debug;
};

extern const struct conf_key wt_config_keys[];
/* Loads and checks a configuration (file or buffer); "name:line: key: reason" in err. */
int wt_config_load(struct wt_config *cfg, const char *path, char *err, size_t cap);
int wt_config_load_buf(struct wt_config *cfg, const char *name, const char *buf, size_t len,
		       char *err, size_t cap);
void wt_config_free(struct wt_config *cfg);

/* An add-checkpoint request body: "old <N>\n", up to 63 lines of base64 hashes, "\n", and a
 * signed checkpoint note (a span of the body). */
struct wt_request {
	uint64_t old;
	size_t n;
	uint8_t proof[WT_PROOF_MAX][RC_TLOG_HASH_LEN];
	const char *note;
	size_t note_len;
};
/* Strict: the old size without leading zeros and below 2^62, canonical base64 hashes,
 * exactly one blank line before the note. RC_ERR_* with d->off and d->field at the fault. */
int wt_request_parse(struct wt_request *r, const char *buf, size_t len, struct rc_diag *d);

/* One log the witness serves: its origin, the keys it trusts for it, the last checkpoint it
 * cosigned (the note holds the log's verified signatures and the cosignature). */
struct wt_log {
	char origin[RC_NOTE_NAME_MAX + 1];
	size_t origin_len;
	char id[2 * 32 + 1]; /* hex SHA-256 of the origin: state file and monitoring path */
	const struct rc_note_key *keys[WT_KEYS_MAX];
	size_t nkeys;
	bool have; /* cosigned at least once */
	uint64_t size;
	uint8_t root[RC_TLOG_HASH_LEN];
	uint64_t time; /* of the last cosignature */
	char *note;
	size_t note_len;
};

enum wt_counter {
	WT_REQUESTS,
	WT_COSIGNED,
	WT_BAD_REQUEST,  /* 400 */
	WT_BAD_SIG,      /* 403 */
	WT_UNKNOWN_LOG,  /* 404 */
	WT_CONFLICT,     /* 409 */
	WT_BAD_PROOF,    /* 422: the proof does not verify */
	WT_FORK,         /* a signed checkpoint of the size cosigned with another root */
	WT_ROLLBACK,     /* a signed checkpoint smaller than the one cosigned */
	WT_EVIDENCE,     /* evidence files written */
	WT_STATE_ERRORS, /* the state could not be persisted: nothing cosigned */
	WT_NCOUNTERS
};
extern const char *const wt_counter_names[WT_NCOUNTERS];

struct wt {
	const struct wt_config *cfg;
	struct rc_note_key key; /* algorithm 0x04 */
	uint8_t *sk;            /* libsodium secret key (64 bytes, sodium_malloc) */
	struct wt_log *logs;
	size_t nlogs;
	int dirfd;  /* the state directory, locked (flock) while the witness runs */
	int logsfd; /* its logs/ and evidence/ directories */
	int evidencefd;
	uint64_t evidence_files;
	pthread_mutex_t mu; /* one check-and-persist at a time (the spec's race) */
	struct log_rate rl;
	uint64_t count[WT_NCOUNTERS];
};

/* Groups the configured keys by origin, opens and locks the state directory, removes
 * temporary files a crash left and loads each log's state; -1 with err on any doubt about
 * the state (a file that does not parse or is not cosigned by this witness's key): the
 * witness never starts without what it cosigned before. */
int wt_open(struct wt *w, const struct wt_config *cfg, const uint8_t sk[64], const uint8_t pk[32],
	    char *err, size_t cap);
void wt_close(struct wt *w);
struct wt_log *wt_find(struct wt *w, const char *origin, size_t len);
struct wt_log *wt_find_id(struct wt *w, const char *id, size_t len);

/* Writes the note of a newly cosigned checkpoint for l atomically and durably (temporary
 * file, fsync, rename, fsync of the directory). -1 (logged) if any step fails. */
int wt_state_write(struct wt *w, const struct wt_log *l, const char *note, size_t len);
/* Keeps a conflicting checkpoint: the note cosigned before and the request that conflicts
 * with it, once per (kind, checkpoint text), at most evidence-max files. */
void wt_evidence(struct wt *w, const struct wt_log *l, const char *kind, const char *text,
		 size_t text_len, const char *body, size_t body_len, uint64_t now);

/* An answer: HTTP status, content type and body. */
struct wt_reply {
	unsigned status;
	const char *type;
	char body[512];
	size_t len;
};
/* The add-checkpoint call: everything but HTTP. now is the POSIX time of the cosignature. */
void wt_add_checkpoint(struct wt *w, const char *body, size_t len, uint64_t now,
		       struct wt_reply *r);

/* HTTP front end (libmicrohttpd): one daemon per listen address. */
int wt_http_start(struct wt *w, char *err, size_t cap);
void wt_http_stop(void);

#endif
