/* recalld internals: configuration, loaded state, per-worker context, counters. */
#ifndef RECALLD_RD_H
#define RECALLD_RD_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>

#include "conf.h"
#include "log.h"
#include "recall/anchors.h"
#include "recall/feed.h"
#include "recall/msg.h"
#include "recall/notice.h"
#include "recall/private.h"

#define RD_WORKERS_MAX       256
#define RD_LISTEN_MAX        64
#define RD_ROTATIONS_MAX     64
#define RD_RX_BUF            (RC_CHECKIN_SIZE + 1) /* one byte more: detects oversized datagrams */
#define RD_CACHELINE         64
#define RD_METRICS_CONNS_MAX 1024 /* metrics-connections at most */
#define RD_PUB_MIRRORS_MAX   16   /* publication mirrors (PUBFETCH_MIRRORS_MAX) */
#define RD_PUB_VERDICTS      8    /* pubsync verdicts (PUBFETCH_VERDICTS) */

/* ---- policy (policy.c) ---- */

enum rd_action { RD_ENFORCE = 0, RD_MONITOR = 1 };
enum rd_rule_kind { RD_RULE_NOTICE, RD_RULE_VENDOR, RD_RULE_SEVERITY };
enum rd_sev_op { RD_OP_EQ, RD_OP_LT, RD_OP_LE, RD_OP_GT, RD_OP_GE };

struct rd_rule {
	uint8_t action; /* enum rd_action */
	uint8_t kind;   /* enum rd_rule_kind */
	uint8_t op;     /* severity rules */
	uint8_t severity;
	char name[RC_NOTICE_ID_MAX + 1]; /* notice id or canonical vendor */
	size_t name_len;
};

struct rd_policy {
	size_t n;
	struct rd_rule *v;
};

/* conf.h custom key parser/free for `policy = <enforce|monitor> <notice|vendor|severity> ...` */
int rd_policy_parse(void *field, const char *value, char *err, size_t cap);
void rd_policy_free(void *field);
/* Action for a notice: notice-id rules first, then vendor, then severity, then dflt. */
unsigned rd_policy_action(const struct rd_policy *p, unsigned dflt, const struct rc_notice *n);
/* One rule as configuration text. */
void rd_rule_format(const struct rd_rule *r, char *out, size_t cap);

/* ---- configuration (config.c) ---- */

enum rd_log_target { RD_LOG_AUTO, RD_LOG_SYSLOG, RD_LOG_STDERR };
enum rd_rl_action { RD_RL_RETRY, RD_RL_DROP };

struct rd_config {
	struct conf_addr_list listen;
	uint64_t port;
	uint64_t workers; /* 0: one per CPU */
	uint64_t batch;
	uint64_t socket_buffer;
	bool freebind; /* bind listen addresses not (yet) on an interface (anycast) */
	char *feed;
	char *feed_key;
	char *anchors;
	struct conf_str_list rotation;
	uint64_t feed_poll_ms;
	char *user;
	char *chroot;
	char *pid_file;
	unsigned log_target;
	bool debug;
	char *event_log;
	uint64_t event_prefix4, event_prefix6;
	uint64_t event_queue;
	bool metrics;
	struct conf_addr_list metrics_listen;
	uint64_t metrics_conns;      /* connections at once, all clients */
	uint64_t metrics_per_client; /* connections at once from one address */
	uint64_t metrics_timeout_ms; /* per request, idle time before it included */
	unsigned default_action;
	struct rd_policy policy;
	struct conf_prefix_list exempt;
	bool rl_enable;
	uint64_t rl_rate, rl_burst;
	uint64_t rl_prefix4, rl_prefix6;
	unsigned rl_action;
	uint64_t rl_slip;
	uint64_t rl_delay_ms;
	uint64_t rl_table;
	struct conf_prefix_list rl_exempt;
	uint64_t expired_delay_ms;
	uint64_t cache_entries;
	char *tlog;      /* transparency-log: a tlog-tiles directory ("": none) */
	char *state_dir; /* where the last accepted log checkpoint is kept */
	uint64_t proof_delay_ms;
	struct conf_str_list publication; /* mirrors, in the order they are tried */
	uint64_t pub_poll_ms;
	char *pub_cache; /* the verified copy ("" in the file: state-dir/publication) */
	uint64_t pub_timeout_ms;
	uint64_t pub_max_bytes;
	char *open_key; /* publication: the local key that opens cache/feed (else NULL) */
	/* what is loaded (set by the whole-file check): feed and transparency-log, or with
	 * publication the cache's feed and log; and the cache directory itself (else NULL) */
	char *feed_file, *log_dir, *pub_dir;
	unsigned refs; /* states using this configuration (main thread only) */
};

extern const struct conf_key rd_config_keys[];

/* Parse a configuration file (defaults for everything unset) and check it as a whole.
 * 0, or -1 with "file:line: key: reason" in err. cfg must be zeroed; free with rd_config_free
 * either way. */
int rd_config_load(struct rd_config *cfg, const char *path, char *err, size_t cap);
/* The same from a buffer (tests, fuzzing). */
int rd_config_load_buf(struct rd_config *cfg, const char *name, const char *buf, size_t len,
		       char *err, size_t cap);
void rd_config_free(struct rd_config *cfg);
/* The public key file that opens the feed: feed-key, or with publication the local one. */
const char *rd_feed_key_path(const struct rd_config *cfg);
/* Path as seen by the daemon after chroot (path itself without chroot). */
const char *rd_path(const struct rd_config *cfg, const char *path, bool chrooted);

/* ---- counters (written by one worker each, read by the metrics thread) ---- */

enum rd_ctr {
	RD_C_RX,        /* datagrams received */
	RD_C_ANS_CLEAR, /* answers by kind */
	RD_C_ANS_RECALLED,
	RD_C_ANS_RETRY,
	RD_C_ANS_UNSUPPORTED,
	RD_C_ANS_ROTATE,
	RD_C_DROP_SHORT, /* drops by reason */
	RD_C_DROP_OVERSIZED,
	RD_C_DROP_MALFORMED,
	RD_C_DROP_BADSRC,
	RD_C_DROP_RATELIMIT,
	RD_C_DROP_INTERNAL,
	RD_C_DROP_SEND,
	RD_C_RL_RETRY, /* rate-limited packets by outcome */
	RD_C_RL_DROP,
	RD_C_HIT_ENFORCE, /* policy decisions on check-ins covered by a notice */
	RD_C_HIT_MONITOR,
	RD_C_HIT_EXEMPT,
	RD_C_EVENTS_LOST,    /* event log queue full */
	RD_C_RL_EVICT,       /* rate-limit table entries replaced (idle ones only) */
	RD_C_RL_OVERFLOW,    /* check-ins charged to a set's shared bucket (no idle entry) */
	RD_C_CACHE_HIT,      /* check-ins found in the check-in cache */
	RD_C_CACHE_MISS,     /* check-ins decoded */
	RD_C_LOOKUP,         /* decisions made by a feed lookup */
	RD_C_PROOF_REQ,      /* proof requests of full size (answered or not) */
	RD_C_ANS_PROOF,      /* proof answers */
	RD_C_PROOF_UNKNOWN,  /* proof requests for a leaf no proof is held for */
	RD_C_PROOF_WITHHELD, /* ... for a notice policy monitors, or from an exempt source */
	RD_C_ANS_BUCKET,     /* bucket answers (to private check-ins) */
	RD_C_PC_BUCKET,      /* private check-ins (PROTOCOL.md 18.3) by answer */
	RD_C_PC_RETRY,
	RD_C_PC_UNSUPPORTED,
	RD_C_PC_ROTATE,
	RD_C_NR_RECALLED, /* notice requests by answer */
	RD_C_NR_CLEAR,
	RD_C_NR_RETRY,
	RD_C_NR_UNSUPPORTED,
	RD_C_NR_ROTATE,
	RD_C_PRIV_TOOLARGE, /* private check-ins for a bucket of more than 16 pages */
	RD_C_PRIV_STALE,    /* ... or notice requests met between a next_change and the rebuild */
	RD_C__COUNT
};

struct rd_counters {
	alignas(RD_CACHELINE) _Atomic uint64_t c[RD_C__COUNT];
};

/* One writer per counter set: a plain load and store, no locked instruction. */
static inline void rd_count(struct rd_counters *k, enum rd_ctr i)
{
	uint64_t v = atomic_load_explicit(&k->c[i], memory_order_relaxed);
	atomic_store_explicit(&k->c[i], v + 1, memory_order_relaxed);
}

/* ---- rate limiting (ratelimit.c) ---- */

struct rd_rl_entry {
	uint64_t k0, k1;  /* masked prefix (IPv4 mapped into IPv6) */
	uint64_t utokens; /* millionths of a token */
	uint64_t last_ms; /* 0: empty */
};

/* A set's shared bucket for prefixes that find no entry to take (see ratelimit.c). */
struct rd_rl_bucket {
	uint64_t utokens;
	uint64_t last_ms; /* 0: never used (full) */
};

struct rd_ratelimit {
	struct rd_rl_entry *t;
	struct rd_rl_bucket *over; /* one per set */
	struct log_rate *log;      /* where to say that sets overflow (NULL: nowhere) */
	size_t mask;               /* entries - 1 (a power of two) */
	uint64_t seed0, seed1;
	uint64_t slip;
};

/* Allocate a table of at least `entries` entries (rounded up to a power of two). */
int rd_rl_init(struct rd_ratelimit *rl, size_t entries);
void rd_rl_free(struct rd_ratelimit *rl);
/* Take a token for the source's prefix at now_ms; true if the packet is within the limit. */
bool rd_rl_allow(struct rd_ratelimit *rl, const struct rd_config *cfg, unsigned nworkers,
		 int family, const uint8_t *addr, uint64_t now_ms, struct rd_counters *cnt);

/* ---- event log (eventlog.c) ---- */

enum rd_event_kind { RD_EV_HIT, RD_EV_PROOF, RD_EV_NOTICE_REQ };
enum rd_nreq_result { RD_NR_RECALLED, RD_NR_CLEAR, RD_NR_EXEMPT };
enum rd_proof_result { RD_PR_PROOF, RD_PR_UNKNOWN, RD_PR_WITHHELD };

struct rd_event {
	uint64_t time;
	uint8_t kind;     /* enum rd_event_kind */
	uint8_t result;   /* RD_EV_PROOF: enum rd_proof_result; RD_EV_NOTICE_REQ: rd_nreq_result */
	uint8_t leaf[32]; /* RD_EV_PROOF: the leaf hash asked for; RD_EV_NOTICE_REQ: the tag */
	uint16_t index;   /* RD_EV_NOTICE_REQ: the index asked for */
	uint8_t family;
	uint8_t action; /* enum rd_action */
	uint8_t severity;
	uint8_t has_build_date;
	uint8_t sender; /* enum rc_sender: a gateway's check-in on a device's behalf (13.1) */
	uint8_t addr[16];
	uint16_t port; /* source port: behind a CGNAT the address alone names no subscriber */
	uint64_t build_date;
	uint64_t feed_serial;
	uint8_t vlen, mlen, hlen, flen, idlen;
	char vendor[RC_NAME_MAX], model[RC_NAME_MAX], hwrev[RC_HWREV_MAX], fwver[RC_FWVER_MAX];
	char id[RC_NOTICE_ID_MAX];
};

/* Single-producer single-consumer queue: a worker pushes, the main thread drains. */
struct rd_ring {
	alignas(RD_CACHELINE) _Atomic size_t head; /* consumer */
	alignas(RD_CACHELINE) _Atomic size_t tail; /* producer */
	size_t mask;
	struct rd_event *ev;
};

int rd_ring_init(struct rd_ring *r, size_t entries);
void rd_ring_free(struct rd_ring *r);
/* Producer: a slot to fill, or NULL when full; then rd_ring_push(). */
struct rd_event *rd_ring_slot(struct rd_ring *r);
void rd_ring_push(struct rd_ring *r);
/* Consumer: write every queued event to f as JSON lines; returns how many. */
size_t rd_ring_drain(struct rd_ring *r, FILE *f, uint64_t prefix4, uint64_t prefix6);
/* One event as a JSON object (no newline) into out; returns its length. */
size_t rd_event_json(const struct rd_event *e, char *out, size_t cap, uint64_t prefix4,
		     uint64_t prefix6);

/* ---- loaded state (state.c): published to workers by an atomic pointer ---- */

struct rd_rotation_stmt {
	uint64_t from_epoch;
	uint8_t *bytes;
	size_t len;
};

#define RD_DIGEST_LEN 32 /* BLAKE2b of a verified notice's bytes */

/* What answering needs of one notice, decoded once at load: validity, id, severity and the
 * target, as views into the feed (lists in the feedmap's arenas). */
struct rd_nsum {
	uint64_t not_before, expiry, built_from, built_before;
	struct rc_str id, vendor, model;
	uint32_t strs;   /* first of nhwrevs hwrevs then nversions versions in strs[] */
	uint32_t ranges; /* first of nranges in ranges[] */
	uint32_t digs;   /* first of ndigests in digs[] */
	uint8_t nhwrevs, nversions, nranges, ndigests;
	uint8_t severity, action, has_from, has_before;
};

/* A verified feed in a private read-only mapping; shared by states until none uses it. */
struct rd_feedmap {
	unsigned refs; /* main thread only */
	uint8_t *map;
	size_t len;    /* bytes read */
	size_t maplen; /* bytes mapped */
	struct rc_feed feed;
	uint64_t loaded_at;
	/* digests of its notices, sorted, all verified with the anchors of this id */
	uint8_t (*digests)[RD_DIGEST_LEN];
	size_t ndigests;
	uint8_t anchors_id[RC_KID_LEN];
	/* notice summaries by entry index, and their list arenas */
	struct rd_nsum *sum;
	struct rc_str *strs;
	struct rc_range *ranges;
	const uint8_t **digs;
	size_t nstrs, nranges, ndigs;
};

/* The parts of notice i that answering uses (target, validity, id, severity, action) into n;
 * its other fields are left as they are. */
void rd_nsum_notice(const struct rd_feedmap *fm, uint32_t i, struct rc_notice *n);

/* Verify every notice of fm's feed with the anchors (verify.c); notices identical to one of
 * prev (verified with the same anchors) are not verified again. Records fm's digests. On
 * failure *bad is the notice index. *reused counts notices whose verdict was kept. */
int rd_verify_feed(struct rd_feedmap *fm, const struct rc_anchors *a, const struct rd_feedmap *prev,
		   size_t *bad, size_t *reused);

/* ---- transparency log (logload.c): proofs of the served notices and rotation statements,
 * made at load ---- */

#define RD_PROOF_NONCE_AT 7 /* where the nonce's 16 bytes are in a proof answer */
#define RD_LOG_STATE_FILE "log-checkpoint"

#define RD_PROOF_ROTATION UINT32_MAX /* rd_proof.notice of a rotation statement */

/* The proof answer of one served notice or rotation statement, but for the nonce. */
struct rd_proof {
	uint8_t leaf[32]; /* RFC 6962 leaf hash of the notice or statement bytes */
	uint32_t notice;  /* its entry in the state's feed, or RD_PROOF_ROTATION */
	uint32_t off;     /* body in rd_log.bodies */
	uint32_t len;
};

/* An accepted checkpoint and the proofs built from it, sorted by leaf hash. */
struct rd_log {
	char *note; /* the checkpoint note, verbatim */
	size_t note_len;
	uint64_t size;
	uint8_t root[32];
	uint64_t quorum_time; /* the q-th newest counted cosignature's timestamp */
	uint32_t witnesses;   /* witnesses of the anchor set whose cosignature verifies */
	size_t n;
	struct rd_proof *v;
	uint8_t *bodies;
	size_t unlogged;    /* served notices with no proof */
	size_t oversized;   /* ... of which in the log but with a proof too large for an answer */
	size_t rotations;   /* proofs of served rotation statements (among the n) */
	uint64_t index_max; /* highest leaf index proved (tests) */
};

/* What the last load did with the log (counted by recalld.c). */
enum rd_log_res {
	RD_LOGR_NONE,         /* no transparency-log configured */
	RD_LOGR_OK,           /* a checkpoint accepted, proofs built from it */
	RD_LOGR_IO,           /* a file of the log cannot be read */
	RD_LOGR_FORMAT,       /* checkpoint or tile malformed */
	RD_LOGR_POLICY,       /* the anchor set names no log, or another one */
	RD_LOGR_SIGNATURE,    /* no valid log signature */
	RD_LOGR_QUORUM,       /* fewer valid witness cosignatures than the quorum */
	RD_LOGR_TILES,        /* tiles do not give the signed root */
	RD_LOGR_STATE,        /* the kept checkpoint cannot be read */
	RD_LOGR_INCONSISTENT, /* fork or rollback against the kept checkpoint */
	RD_LOGR__COUNT
};
const char *rd_log_res_name(int r);

struct rd_state;
/* Load cfg->tlog for st (its anchors and feed loaded); cur is the state served now. Never
 * fails the state: when the log is refused, the proofs of cur's log are carried over for the
 * notices st still serves. Sets st->log, st->log_res, st->log_msg. */
void rd_log_load(struct rd_state *st, const struct rd_state *cur, bool chrooted);
void rd_log_free(struct rd_log *l);
/* Where the accepted checkpoint is kept: state-dir/RD_LOG_STATE_FILE. -1 if too long. */
int rd_log_state_path(char *out, size_t cap, const struct rd_config *cfg, bool chrooted);
/* Keep st's checkpoint in state-dir (atomically; no link followed; state.c). -1 with err. */
int rd_log_persist(const struct rd_state *st, bool chrooted, char *err, size_t cap);
/* The proof for a leaf hash, or NULL. */
const struct rd_proof *rd_log_find(const struct rd_log *l, const uint8_t leaf[32]);
/* p's answer with nonce into out (cap bytes): its length, or 0 if larger than cap. */
size_t rd_proof_answer(const struct rd_log *l, const struct rd_proof *p,
		       const uint8_t nonce[RC_NONCE_LEN], uint8_t *out, size_t cap);
/* Read a regular file of at most max bytes into malloc memory (O_NOFOLLOW if nofollow).
 * -1 with errno; rd_read_err(errno) says why. */
int rd_read_file(const char *path, size_t max, bool nofollow, uint8_t **out, size_t *len);
const char *rd_read_err(int e);

/* The private check-in table of a state (private.c): the notices valid at the time it was
 * built that policy enforces, by model tag. Replaced at its next_change
 * (rd_server_refresh_private). */
struct rd_ptab {
	struct rc_private_table t;
	size_t toolarge; /* buckets of more than RC_BUCKET_PAGES_MAX pages (not served) */
	struct rc_private_row rows[];
};

struct rd_state {
	uint64_t gen; /* unique, increasing */
	/* the table workers answer private check-ins from; swapped by the main thread, read
	 * under the worker's using_pt hazard pointer */
	_Atomic(struct rd_ptab *) priv;
	struct rd_log *log; /* NULL: no proofs */
	int log_res;        /* enum rd_log_res of this load */
	bool log_new;       /* log made at this load from a newly accepted checkpoint */
	char log_msg[768];
	struct rd_config *cfg;
	struct rd_feedmap *fm;
	size_t reused; /* notices whose verification was carried over from the previous feed */
	struct rc_anchors anchors;
	size_t nrot;
	struct rd_rotation_stmt rot[RD_ROTATIONS_MAX];
};

enum rd_load_err {
	RD_LOAD_OK,
	RD_LOAD_IO,        /* cannot read a file */
	RD_LOAD_FORMAT,    /* truncated or malformed feed */
	RD_LOAD_SIGNATURE, /* feed signature or key id */
	RD_LOAD_EXPIRED,   /* feed expired */
	RD_LOAD_STALE,     /* serial not above the current one */
	RD_LOAD_ANCHORS,   /* anchors file bad, or feed made for other anchors */
	RD_LOAD_NOTICE,    /* a notice fails verification */
	RD_LOAD_ROTATION,  /* a rotation statement is bad */
	RD_LOAD_CONFIG,    /* the configuration file does not parse (reload only) */
	RD_LOAD__COUNT
};
const char *rd_load_err_name(int e);

/* Load and verify everything named by cfg into a new state (gen given); cur (may be NULL) is
 * the state held now, for the rollback check and to share an unchanged feed. On success the
 * state holds a reference to cfg. On failure returns the reason and a message in err; *out
 * is NULL. */
int rd_state_load(struct rd_state **out, struct rd_config *cfg, const struct rd_state *cur,
		  uint64_t gen, bool chrooted, uint64_t now, char *err, size_t cap);
/* Free a state no worker can see any more; its configuration too when no other state uses it. */
void rd_state_free(struct rd_state *st);
/* Statement to answer a device at this anchor epoch, or NULL. */
const struct rd_rotation_stmt *rd_state_rotation(const struct rd_state *st, uint64_t epoch);

/* ---- private check-ins (private.c, PROTOCOL.md 18.3) ---- */

/* A table over st's feed and policy at now (malloc; NULL when out of memory). */
struct rd_ptab *rd_ptab_build(const struct rd_state *st, uint64_t now);

/* ---- check-in cache (cache.c) ---- */

enum rd_dec_kind { RD_DEC_NONE, RD_DEC_ENFORCE, RD_DEC_MONITOR };

/* What the feed and the policy say about one identity. */
struct rd_decision {
	const uint8_t *notice; /* ENFORCE: the signed notice in the feed */
	uint64_t valid_from;   /* wall clock second it was made at (clocks may step back) */
	uint64_t valid_until;  /* wall clock second from which it may differ */
	uint32_t idx;          /* ENFORCE, MONITOR: the notice's entry in the feed */
	uint32_t len;
	uint8_t kind; /* enum rd_dec_kind */
	uint8_t severity;
};

#define RD_CACHE_BYTES    192 /* check-in bytes an entry holds: up to byte 207 of a check-in */
#define RD_CACHE_NONCE_AT 7   /* where the nonce's content starts in a cached check-in */
#define RD_CACHE_ANS      30  /* answer bytes an entry holds (a recalled one without its notice) */

/* One decoded check-in (its bytes but the nonce's content), and the decision and answer for it
 * under state generation gen. Five cache lines: what a hit reads first, then the check-in's
 * fields and the answer, then the bytes. */
struct rd_cache_entry {
	alignas(RD_CACHELINE) uint64_t tag; /* hash of the bytes (0: empty) */
	uint8_t alen, atype;                /* ans: answer bytes (0: none) and type */
	uint32_t stamp; /* when it was stored (the oldest of a key's places goes first) */
	uint64_t gen;   /* state generation of d and ans (0: none yet) */
	struct rd_decision d;
	uint64_t epoch, build_date;
	uint16_t soff[4]; /* vendor, model, hwrev, fwver: offsets and lengths in the check-in */
	uint8_t slen[4];
	uint16_t dig; /* offset of the digest (has_digest) */
	uint8_t has_digest, has_build_date, reason, state;
	uint8_t ans[RD_CACHE_ANS];
	uint8_t b[RD_CACHE_BYTES]; /* check-in bytes [0, 7) and [23, 207); the rest are zeros */
};

/* Sets of two entries; a check-in may be in either of two sets (its hash names both). */
struct rd_cache {
	struct rd_cache_entry *t; /* NULL: no cache */
	size_t set_mask;
	uint32_t clock; /* entries stored so far */
	uint64_t seed[2];
};

/* Where a datagram would be in the cache (ok: it can be). */
struct rd_cache_probe {
	uint64_t tag;
	size_t set[2];
	bool ok;
};

/* A table of at least `entries` entries (0: no cache). */
int rd_cache_init(struct rd_cache *c, size_t entries);
void rd_cache_free(struct rd_cache *c);
/* Hash a datagram; false if it cannot be a cached check-in. */
bool rd_cache_probe(const struct rd_cache *c, const uint8_t *req, size_t len,
		    struct rd_cache_probe *pr);
/* Start loading what looking pr up will read: stage 0 the set's first lines, stage 1 (some
 * time after stage 0) the rest of the entry whose tag matches and the notice it answers with. */
void rd_cache_prefetch(const struct rd_cache *c, const struct rd_cache_probe *pr, int stage);
/* The entry holding the datagram's bytes (all but the nonce's content), or NULL. */
struct rd_cache_entry *rd_cache_find(struct rd_cache *c, const struct rd_cache_probe *pr,
				     const uint8_t *req);
/* Store a datagram that rc_checkin_decode accepted as ck (no decision yet); NULL if it cannot
 * be stored. */
struct rd_cache_entry *rd_cache_add(struct rd_cache *c, const struct rd_cache_probe *pr,
				    const uint8_t *req, const struct rc_checkin *ck);
/* The check-in a datagram matching e decodes to (views into req). */
void rd_cache_checkin(const struct rd_cache_entry *e, const uint8_t *req, struct rc_checkin *ck);
/* Keep the answer out (alen bytes, encoded from a) for e's decision, if it fits. */
void rd_cache_set_answer(struct rd_cache_entry *e, const uint8_t *out, size_t alen,
			 const struct rc_answer *a);
/* Write e's answer with the nonce of req into out; returns its length. */
size_t rd_cache_answer(const struct rd_cache_entry *e, const uint8_t *req, uint8_t *out);

/* ---- answering (answer.c): one datagram in, at most one answer out ---- */

struct rd_ctx {
	unsigned id;
	unsigned nworkers;
	struct rd_counters *cnt;
	struct log_rate lograte; /* this worker's lines about bad input (zeroed: none) */
	struct rd_ratelimit rl;
	struct rd_ring ring;
	struct rd_cache cache;
	uint64_t now_s;           /* wall clock, seconds: notice validity, event times */
	uint64_t now_ms;          /* monotonic milliseconds: rate limiting */
	uint16_t port;            /* source port of the request being answered (events) */
	const struct rd_ptab *pt; /* the private table announced for this batch (NULL: st's) */
};

/* Why a datagram's source cannot be answered (checked before anything else is looked at). */
enum rd_src {
	RD_SRC_OK,
	RD_SRC_PORT0,       /* source port 0 */
	RD_SRC_UNSPECIFIED, /* 0.0.0.0/8, :: */
	RD_SRC_MULTICAST,   /* 224.0.0.0/4, ff00::/8 */
	RD_SRC_BROADCAST,   /* 255.255.255.255 */
	RD_SRC_RESERVED,    /* 240.0.0.0/4 but the limited broadcast */
	RD_SRC_MAPPED,      /* ::ffff:0:0/96 (never a source on the wire; the IPv4 form decides
			       the reason when it is itself bad) */
	RD_SRC__COUNT
};
/* Classify a source (family AF_INET: 4 address bytes, AF_INET6: 16). Pure, no state. */
enum rd_src rd_src_check(int family, const uint8_t *addr, uint16_t port);
const char *rd_src_name(enum rd_src s);

/* Answer one request from (family, addr, port). Writes at most len bytes to out; returns the
 * answer length, or 0 to drop. Counts everything. */
size_t rd_answer(struct rd_ctx *x, const struct rd_state *st, int family, const uint8_t *addr,
		 uint16_t port, const uint8_t *req, size_t len, uint8_t out[static RC_ANSWER_MAX]);
/* The same with the request's cache probe made beforehand (rd_cache_probe on x->cache). */
size_t rd_answer_probed(struct rd_ctx *x, const struct rd_state *st, int family,
			const uint8_t *addr, uint16_t port, const uint8_t *req, size_t len,
			const struct rd_cache_probe *pr, uint8_t out[static RC_ANSWER_MAX]);

/* Whether a source is in a prefix list (exempt, ratelimit-exempt). */
bool rd_exempt(const struct conf_prefix_list *l, int family, const uint8_t *addr);
/* A new event of kind for a request from (family, addr) with its time, source and feed serial,
 * the rest zero; NULL (counted as lost) when the worker's queue is full. Push it when filled. */
struct rd_event *rd_event_start(struct rd_ctx *x, const struct rd_state *st, int family,
				const uint8_t *addr, uint8_t kind, uint8_t result);
/* private.c: Answer a private check-in or a notice request (type given) whose source, size and rate
 * limit are checked; limited: answer retry-later. Returns the answer length, 0 to drop. */
size_t rd_answer_private(struct rd_ctx *x, const struct rd_state *st, int type, int family,
			 const uint8_t *addr, const uint8_t *req, size_t len, bool limited,
			 uint8_t out[static RC_ANSWER_MAX]);

/* ---- workers and sockets (worker.c) ---- */

struct rd_server;

struct rd_worker {
	struct rd_ctx x;
	struct rd_server *srv;
	pthread_t thread;
	bool started;
	size_t nfds;
	int fds[RD_LISTEN_MAX];
	bool pktinfo[RD_LISTEN_MAX]; /* wildcard socket: answer from the address asked */
	/* hazard pointer: the state in use (NULL: none); announced before it is dereferenced */
	alignas(RD_CACHELINE) _Atomic(const struct rd_state *) using_st;
	_Atomic(const struct rd_ptab *) using_pt; /* the same for the state's private table */
	/* monotonic ms of its latest loop (a worker loops at least every 200 ms): /health */
	_Atomic uint64_t beat_ms;
	struct rd_counters cnt;
};

struct rd_server {
	_Atomic(struct rd_state *) cur;
	atomic_bool stop;
	unsigned nworkers;
	unsigned batch;
	struct rd_worker *w;
	/* states replaced but maybe still in use by a worker; the main thread frees them */
	size_t nretired;
	struct rd_state *retired[8];
	/* private tables replaced in a state but maybe still in use by a worker */
	size_t npt_retired;
	struct rd_ptab *pt_retired[8];
	/* written by the main thread, read by the metrics thread */
	_Atomic uint64_t feed_serial, feed_issued, feed_expiry, feed_loaded, notices, rotations;
	_Atomic uint64_t anchor_epoch, start_time;
	/* the log whose proofs are served (log_has 0: none) and what its loads did */
	_Atomic uint64_t log_has, log_size, log_quorum_time, log_witnesses, log_quorum;
	_Atomic uint64_t log_unlogged, log_oversized;
	_Atomic uint64_t log_loads[RD_LOGR__COUNT];
	_Atomic uint64_t reloads[RD_LOAD__COUNT]; /* [RD_LOAD_OK]: successes; others: failures */
	_Atomic uint64_t events_written;
	/* metrics endpoint: connections refused (per client, total) and cut for slowness */
	_Atomic uint64_t http_refused_client, http_refused_total, http_timed_out;
	const char *version; /* recalld_build_info */
	/* publication (set before the metrics thread starts; pub_n 0: not configured) */
	size_t pub_n;
	char *pub_mirror[RD_PUB_MIRRORS_MAX];
	_Atomic uint64_t pub_fetch[RD_PUB_MIRRORS_MAX][RD_PUB_VERDICTS];
	_Atomic uint64_t pub_bytes, pub_requests, pub_last_success, pub_serial;
	_Atomic uint64_t pub_fetcher_restarts, pub_fetcher_up;
};

/* ---- publication (pubchild.c): a child process fetches and verifies, the main thread
 * reloads from the verified cache when told ---- */

#define RD_LOCAL_KEY "local-feed.key" /* in state-dir: signs cache/feed (the fetcher) */
#define RD_LOCAL_PUB "local-feed.pub" /* ... opens it (the main thread) */

enum rd_pubmsg_kind {
	RD_PUBMSG_RESULT = 1, /* one mirror tried: verdict, serial, bytes, requests */
	RD_PUBMSG_STARTED,    /* the fetcher process started (pid in status) */
	RD_PUBMSG_DIED,       /* ... died (wait status in status, restart in backoff_s) */
};

/* What the fetcher's side writes on the pipe: fixed size, well under PIPE_BUF (atomic), and
 * checked field by field by the reader as untrusted. */
struct rd_pubmsg {
	uint32_t magic;
	uint8_t kind, mirror, verdict, pad;
	int32_t status;
	uint32_t backoff_s;
	uint64_t serial, expiry, log_size, bytes, requests;
};

struct rd_pub {
	int pid; /* the supervisor of the fetcher (0: none) */
	int fd;  /* read end of the pipe (-1: closed) */
};

/* The local feed key in state-dir: read, or made (0600) when missing; its public half written
 * to state-dir/RD_LOCAL_PUB. Root when run by root with user set: both handed to user. */
int rd_pub_local_key(const struct rd_config *cfg, uint8_t sk[64], char *err, size_t cap);
/* Fork the fetcher's supervisor (drops to user; no chroot: it needs DNS and the CA store),
 * which runs the fetcher and restarts it with backoff when it dies. The parent keeps p. */
int rd_pub_start(struct rd_pub *p, const struct rd_config *cfg, const uint8_t sk[64], char *err,
		 size_t cap);
/* Next message: 1 (valid, in *msg), 0 (none now), -1 (the supervisor is gone: p->fd closed). */
int rd_pub_read(struct rd_pub *p, size_t nmirrors, struct rd_pubmsg *msg);
/* SIGHUP: the fetcher restarts at once and reads feed-key and anchors again. */
void rd_pub_hup(struct rd_pub *p);
void rd_pub_stop(struct rd_pub *p);

/* ---- metrics (metrics.c): Prometheus text format over libmicrohttpd ---- */

/* The whole exposition into a malloc'd buffer (*len bytes); NULL if out of memory. */
char *rd_metrics_text(struct rd_server *srv, uint64_t now, size_t *len);
/* GET /health: 200 when the feed served has not expired and every worker looped within the
 * last RD_HEALTH_STALL_MS, else 503; body: one line of JSON saying which (cap bytes). */
#define RD_HEALTH_STALL_MS 5000
unsigned rd_health(struct rd_server *srv, uint64_t now, uint64_t mono_ms, char *body, size_t cap);
/* Serve GET /metrics on every metrics-listen address, with cfg's connection limits and
 * timeout; -1 with a message in err. */
int rd_metrics_start(struct rd_server *srv, const struct rd_config *cfg, char *err, size_t cap);
/* Close connections whose request has taken longer than the timeout (main thread, each tick). */
void rd_metrics_sweep(struct rd_server *srv);
void rd_metrics_stop(void);

/* Open every worker's sockets (SO_REUSEPORT, one per listen address per worker) and allocate
 * their buffers and tables. -1 with a message in err. */
int rd_workers_open(struct rd_server *srv, const struct rd_config *cfg, unsigned nworkers,
		    char *err, size_t cap);
/* Start the worker threads (the first state must be published). */
int rd_workers_start(struct rd_server *srv, char *err, size_t cap);
/* Ask the workers to stop, join them and close their sockets. */
void rd_workers_stop(struct rd_server *srv);
/* Stop if running, then free everything of the workers (queues included). */
void rd_workers_free(struct rd_server *srv);
/* The current state, announced as in use by w until rd_worker_release (one batch). */
const struct rd_state *rd_worker_acquire(struct rd_worker *w);
void rd_worker_release(struct rd_worker *w);
/* Make st the state workers answer from; the previous one is retired. Main thread only. */
void rd_server_publish(struct rd_server *srv, struct rd_state *st);
/* Free retired states no worker uses any more; wait (sleeping) until all are free if wait. */
void rd_server_reclaim(struct rd_server *srv, bool wait);
/* The current state's private table, rebuilt when a notice has started or ended since it was
 * built (now >= its next_change); the old one is retired. Main thread only. */
void rd_server_refresh_private(struct rd_server *srv, uint64_t now);

#endif
