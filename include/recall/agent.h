/* The portable check-in core of recall-agent: the device-side state machine (docs/PORTING.md,
 * WIRE "Agent state machine"). Driven only through callbacks: no OS calls, no heap, no threads;
 * all state lives inline in struct rc_agent (fixed size). Not reentrant: never call rc_agent_*
 * on the same agent from inside one of its callbacks. */
#ifndef RECALL_AGENT_H
#define RECALL_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/identity.h"
#include "recall/logproof.h"
#include "recall/msg.h"
#include "recall/notice.h"
#include "recall/private.h"

#define RC_AGENT_RESPONDERS_MAX 4 /* check-in addresses (e.g. one IPv4, one IPv6 anycast) */
#define RC_AGENT_OUTSTANDING    4 /* nonces of recent attempts still accepted */
#define RC_AGENT_OVERRIDES_MAX  8 /* notice ids the owner overrode (oldest dropped) */
/* Rotation chain persisted in the state: the signed statements from the firmware's anchor set to
 * the current one (docs/PROTOCOL.md 10.3). Rotations beyond either bound are followed in memory
 * only and offered again by the responders after a restart. A port may lower the byte budget. */
#define RC_AGENT_CHAIN_MAX 8 /* statements */
#ifndef RC_AGENT_CHAIN_BYTES
#define RC_AGENT_CHAIN_BYTES 4096 /* bytes of statements */
#endif
/* Log proofs of the chain's statements that were applied under a set with a log policy
 * (docs/PROTOCOL.md 10.3): a rotation whose proof does not fit is followed in memory only, like
 * one beyond the chain's bounds. 4096 holds four proofs of a 2^20-entry log with quorum 2. */
#ifndef RC_AGENT_CHAIN_PROOF_BYTES
#define RC_AGENT_CHAIN_PROOF_BYTES 4096
#endif
/* The held notice's log proof, bytes. A build that verifies no log proof (RC_AGENT_NO_LOG,
 * lib/logproof.c) never holds one: one byte, and the state blob's budget shrinks with it. */
#ifdef RC_AGENT_NO_LOG
#define RC_AGENT_PROOF_MAX 1
#else
#define RC_AGENT_PROOF_MAX RC_PROOF_BLOB_MAX
#endif
/* Largest persisted state blob, bytes: 1920 for everything else (held notice, overrides, times),
 * plus the held notice's log proof (format 3), plus the chain and its proofs (key 12: 2 bytes of
 * heads, 3 per proof; tests/unit/test_agent_state.c checks the worst case fits). */
#define RC_AGENT_STATE_MAX                                                                         \
	(1920 + (RC_AGENT_PROOF_MAX + 4) + RC_AGENT_CHAIN_BYTES + 3 * RC_AGENT_CHAIN_MAX +         \
	 (2 + RC_AGENT_CHAIN_PROOF_BYTES + 3 * RC_AGENT_CHAIN_MAX))
/* A recalled notice or rotation statement waiting for its log proof, bytes. A build without
 * log-proof verification refuses such an answer at once (lib/agent_recall.c): one byte. */
#ifdef RC_AGENT_NO_LOG
#define RC_AGENT_CAND_MAX 1
#else
#define RC_AGENT_CAND_MAX RC_NOTICE_MAX
#endif
#define RC_AGENT_NEVER UINT64_MAX /* "no timer" from rc_agent_timeout_ms */

/* Defaults (WIRE) and the bounds that configured values are clamped to. */
#define RC_AGENT_PERIODIC_S     (30u * 86400u) /* periodic check-in, +/- 10% jitter */
#define RC_AGENT_PERIODIC_MIN_S 86400u
#define RC_AGENT_PERIODIC_MAX_S (365u * 86400u)
#define RC_AGENT_RECHECK_S      3600u /* while quarantined, +/- 10% jitter */
#define RC_AGENT_RECHECK_MIN_S  60u
#define RC_AGENT_RECHECK_MAX_S  86400u
#define RC_AGENT_TIMEOUT_MS     3000u /* wait for an answer per attempt */
#define RC_AGENT_TIMEOUT_MIN_MS 500u
#define RC_AGENT_TIMEOUT_MAX_MS 60000u
#define RC_AGENT_BACKOFF_BASE_S 30u    /* retry delay: uniform in [0, min(cap, base * 2^n)] */
#define RC_AGENT_BACKOFF_CAP_S  21600u /* 6 h */
#define RC_AGENT_RETRIES        10u    /* unanswered attempts before waiting for the next trigger */
#define RC_AGENT_DEBOUNCE_MS    2000u  /* attach events within this window become one check-in */
#define RC_AGENT_LATER_MIN_S    60u    /* retry-later delays are clamped to [60 s, 24 h] */
#define RC_AGENT_LATER_MAX_S    86400u
/* Boot and attach check-ins wait a uniform random time in [0, spread] (docs/PROTOCOL.md 12.2,
 * 12.4): a region whose power or network returns at once must not check in in one burst. */
#define RC_AGENT_START_SPREAD_MS     60000u
#define RC_AGENT_START_SPREAD_MAX_MS 600000u

/* Attach check-ins at least this far apart; events meanwhile become one check-in at its end (a
 * LAN host flapping its router lifetime must not drive check-ins and state writes). */
#define RC_AGENT_ATTACH_INTERVAL_MS     60000u
#define RC_AGENT_ATTACH_INTERVAL_MAX_MS 3600000u
/* State writes that change only timing fields (last answer, next periodic, feed serial) at most
 * this often; mode, notice, override and anchor changes are written at once. */
#define RC_AGENT_TIMING_WRITE_S     600u
#define RC_AGENT_TIMING_WRITE_MAX_S 86400u

/* Where a datagram goes to or came from. family 4: addr[0..3]; family 6: addr[0..15]. */
struct rc_src {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port; /* host byte order */
};

/* Log levels: the syslog(3) priorities, so a POSIX glue can pass them through. */
enum rc_log_level {
	RC_LOG_ALERT = 1,
	RC_LOG_ERR = 3,
	RC_LOG_WARNING = 4,
	RC_LOG_NOTICE = 5,
	RC_LOG_INFO = 6,
	RC_LOG_DEBUG = 7,
};

/* What the owner is told about (notify callback). n is the notice concerned (NULL for ROTATED). */
enum rc_agent_event {
	RC_AGENT_EV_RECALLED = 1,      /* valid recall, action quarantine: quarantine follows */
	RC_AGENT_EV_NOTICE,            /* valid recall, action notify-only: no quarantine */
	RC_AGENT_EV_OVERRIDDEN,        /* valid recall overridden by the owner: no quarantine */
	RC_AGENT_EV_RELEASED_FIRMWARE, /* firmware build changed since the recall */
	RC_AGENT_EV_RELEASED_CLEAR,    /* the responder answered clear for this build */
	RC_AGENT_EV_RELEASED_EXPIRED,  /* the notice expired (trusted wall clock) */
	RC_AGENT_EV_RELEASED_OPTOUT,   /* the owner switched check-ins off */
	RC_AGENT_EV_ROTATED,           /* trust anchors rotated to a new epoch */
	RC_AGENT_EV_RELEASED_INVALID,  /* the held notice no longer verifies (anchors rotated) */
};

/* The glue: every interaction with the outside world. All members are required. */
struct rc_agent_ops {
	/* Send one datagram to `to` (one of the configured responders); 0 on success. */
	int (*send)(void *ctx, const struct rc_src *to, const uint8_t *buf, size_t len);
	/* Monotonic milliseconds (never jumps; any origin). */
	uint64_t (*mono_ms)(void *ctx);
	/* Wall clock, POSIX seconds; *trusted = the clock is known good (NTP/RTC synced). The core
	 * also distrusts a reading below its time floor (docs/PROTOCOL.md 9.4). */
	uint64_t (*wall)(void *ctx, bool *trusted);
	/* Fill buf with n cryptographically random bytes. */
	void (*random)(void *ctx, uint8_t *buf, size_t n);
	/* Store the state blob atomically (a torn write must not replace the old blob); 0 on OK. */
	int (*persist)(void *ctx, const uint8_t *state, size_t len);
	/* Apply (on) or lift (!on) quarantine. on: n names the remedy endpoints to keep reachable;
	 * calling on again replaces the previous notice. !on: n may be NULL ("make sure it is
	 * off"). Must be idempotent; 0 on success. */
	int (*quarantine)(void *ctx, const struct rc_notice *n, bool on);
	/* Tell the owner (log at alert, hooks, LAN announcement). */
	void (*notify)(void *ctx, enum rc_agent_event ev, const struct rc_notice *n);
	/* One log line (no newline), rate-limited by the core for input-driven messages. */
	void (*log)(void *ctx, enum rc_log_level level, const char *msg);
};

/* Configuration; zero interval fields mean the defaults above (except start_spread_ms, whose
 * 0 means no spread: rc_agent_config_default sets its default). Copied by rc_agent_init. */
struct rc_agent_config {
	struct rc_identity id;     /* views; the strings are copied */
	struct rc_anchors anchors; /* anchors shipped with the firmware */
	size_t nresponders;        /* 1..RC_AGENT_RESPONDERS_MAX; attempts rotate among them */
	struct rc_src responders[RC_AGENT_RESPONDERS_MAX];
	bool checkin_off; /* opt-out: never check in, lift any quarantine */
	uint32_t periodic_s, recheck_s, timeout_ms, backoff_base_s, backoff_cap_s, retries,
	    debounce_ms;
	uint32_t attach_interval_ms; /* RC_AGENT_ATTACH_INTERVAL_MS, clamped to 1 ms..1 h */
	uint32_t timing_write_s;     /* RC_AGENT_TIMING_WRITE_S, clamped to 1 s..24 h */
	uint32_t start_spread_ms;    /* RC_AGENT_START_SPREAD_MS, at most 10 min; 0: none */
	/* Private check-ins (docs/PROTOCOL.md 18.4): send a 12-bit prefix of the (vendor, model)
	 * hash instead of the identity. No fallback to normal check-ins: a fallback is a downgrade
	 * anyone on the path could trigger by dropping the private ones. */
	bool private_mode;
};

/* Agent condition, as reported by rc_agent_status (WIRE states plus NOTIFIED). */
enum rc_agent_state {
	RC_AGENT_IDLE = 0,    /* normal, nothing outstanding */
	RC_AGENT_WAIT,        /* normal, check-in sent or being retried */
	RC_AGENT_QUARANTINED, /* valid recall applied */
	RC_AGENT_OVERRIDDEN,  /* valid recall, owner override */
	RC_AGENT_NOTIFIED,    /* valid notify-only recall held */
	RC_AGENT_OPTOUT,      /* check-ins switched off */
};

/* Counters since rc_agent_init (not persisted). */
struct rc_agent_counters {
	uint64_t checkins;    /* datagrams sent */
	uint64_t send_errors; /* send callback failed */
	uint64_t timeouts;    /* attempts without a valid answer in time */
	uint64_t giveups;     /* episodes that ran out of retries */
	uint64_t answers;     /* answers accepted (nonce + source matched, content valid) */
	uint64_t clear, recalled, retry_later, unsupported, rotations;
	uint64_t rx_garbage; /* undecodable datagrams */
	uint64_t rx_source;  /* source is not the responder the nonce was sent to */
	uint64_t rx_nonce;   /* no outstanding check-in with that nonce (late, duplicate, forged) */
	uint64_t rx_invalid; /* recall or rotation that failed verification, or unexpected */
	uint64_t rx_threshold;      /* ...of which: too few trusted signatures */
	uint64_t rx_notcovered;     /* ...of which: notice does not cover this identity */
	uint64_t rx_expired;        /* ...of which: outside validity (trusted clock) */
	uint64_t releases;          /* quarantine or notice released (any reason) */
	uint64_t persists;          /* state writes (persist callback succeeded) */
	uint64_t persist_errors;    /* persist callback failed */
	uint64_t state_corrupt;     /* rc_agent_restore rejected the saved blob or its chain */
	uint64_t quarantine_errors; /* quarantine callback failed */
	uint64_t log_suppressed;    /* log lines dropped by the rate limit */
	/* With a log policy (docs/PROTOCOL.md 12.7), for recalls and rotation statements: */
	uint64_t proof_requests; /* proof requests sent */
	uint64_t proofs;   /* proofs that verified (the recall or rotation was then acted on) */
	uint64_t unlogged; /* retry-later to a proof request: the entry is not logged */
	uint64_t rx_proof_invalid; /* proof answers that did not verify (not acted on) */
	/* Private mode (docs/PROTOCOL.md 18.4): */
	uint64_t buckets;         /* bucket answers accepted */
	uint64_t notice_requests; /* notice requests sent (also counted in checkins) */
};

struct rc_agent_status {
	enum rc_agent_state state;
	bool waiting;    /* a check-in is outstanding or a retry is scheduled */
	bool has_notice; /* a notice is held (QUARANTINED, OVERRIDDEN, NOTIFIED) */
	char notice_id[RC_NOTICE_ID_MAX + 1];
	uint64_t notice_expiry; /* POSIX seconds */
	uint8_t action, severity;
	uint64_t anchor_epoch;
	bool clock_trusted;  /* the wall clock is trusted and not below the time floor */
	bool clock_synced;   /* the glue's time source calls it trusted (wall callback); with
				clock_trusted false: the reading is below the time floor */
	uint64_t time_floor; /* POSIX seconds the true time is known to be at or after */
	uint64_t next_ms;    /* ms to the next check-in or answer deadline (RC_AGENT_NEVER: none) */
	uint8_t next_reason; /* enum rc_reason of that check-in (retry while waiting) */
	uint32_t attempt;    /* unanswered attempts in this episode */
	uint64_t last_answer;   /* wall time of the last accepted answer (0: none) */
	uint64_t next_periodic; /* wall time of the next periodic check-in (0: unknown) */
	uint64_t feed_serial;   /* serial in the last clear answer */
	size_t noverrides;
	bool override_all;
	/* Log policy (current anchor set): */
	bool has_log;                       /* the anchor set names a log: recalls need a proof */
	bool logged;                        /* the held notice has a verified proof: */
	uint64_t log_index;                 /* ... its leaf index */
	uint64_t log_size;                  /* ... in a tree of this size */
	uint32_t log_witnessed, log_quorum; /* ... cosigned by this many witnesses, of quorum */
	bool proof_pending; /* a recalled notice or rotation waits for its proof (not acted on) */
	bool rotation_pending; /* ... and it is a rotation statement */
	struct rc_agent_counters c;
};

/* One outstanding check-in or proof request. */
struct rc_agent_pending {
	uint8_t nonce[RC_NONCE_LEN];
	uint8_t responder; /* index into the configured responders */
	bool used;
	bool proof;   /* the nonce of a proof request (only a proof or retry-later answers it) */
	uint8_t priv; /* RC_AGENT_PEND_*: what a check-in nonce of private mode was sent with */
};
#define RC_AGENT_PEND_CHECKIN 0 /* a check-in (or, with proof, a proof request) */
#define RC_AGENT_PEND_BUCKET  1 /* a private check-in: a bucket answer expected */
#define RC_AGENT_PEND_NOTICE  2 /* a notice request: recalled or clear expected */

/* The whole agent. Treat as opaque; size is fixed (see docs/PORTING.md). */
struct rc_agent {
	const struct rc_agent_ops *ops;
	void *ctx;
	struct rc_agent_config cfg; /* identity views point at the arrays below */
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1], hwrev[RC_HWREV_MAX + 1],
	    fwver[RC_FWVER_MAX + 1];
	uint8_t fingerprint[32];   /* of the identity: detects a firmware change */
	struct rc_anchors anchors; /* current (the firmware's, or a newer rotated set) */
	/* Rotation statements from cfg.anchors to anchors, as verified (persisted). */
	uint8_t nchain;
	uint16_t chain_used;
	uint16_t chain_len[RC_AGENT_CHAIN_MAX];
	uint8_t chain[RC_AGENT_CHAIN_BYTES];
	/* The log proof of each statement applied under a set with a log policy (length 0: applied
	 * under a set without one), in chain order (persisted). */
	uint16_t chain_proof_used;
	uint16_t chain_proof_len[RC_AGENT_CHAIN_MAX];
	uint8_t chain_proof[RC_AGENT_CHAIN_PROOF_BYTES];
	/* Persisted condition. */
	uint8_t mode; /* enum rc_agent_state: IDLE, QUARANTINED, OVERRIDDEN, NOTIFIED */
	uint16_t notice_len;
	uint64_t notice_expiry; /* of the held notice (cached) */
	uint8_t notice[RC_NOTICE_MAX];
	uint8_t noverrides;
	bool override_all;
	char overrides[RC_AGENT_OVERRIDES_MAX][RC_NOTICE_ID_MAX + 1];
	uint64_t last_answer, next_periodic, feed_serial;
	uint64_t floor;     /* time floor: build date, verified issued times, trusted readings */
	uint16_t proof_len; /* log proof of the held notice (with a log policy; 0: none) */
	uint8_t proof[RC_AGENT_PROOF_MAX];
	uint64_t log_index, log_size; /* of the held proof (volatile summary for status) */
	uint32_t log_witnessed;
	/* Volatile. */
	bool started, optout, release_fw, dirty, quarantine_on;
	uint8_t clock;  /* last clock verdict, for logging changes: 0 unknown, 1 trusted, 2 not,
			   3 below the floor */
	uint8_t reason; /* reason of the current episode */
	uint8_t next_reason;
	uint8_t rotations; /* rotations followed in this episode */
	uint8_t rr;        /* next responder (round robin) */
	bool waiting;      /* an attempt is outstanding (t_wait valid) */
	uint32_t attempt;
	uint64_t t_next, t_wait, t_attach; /* mono ms; RC_AGENT_NEVER: off */
	uint64_t t_attach_last;            /* mono ms of the last attach check-in (rate limit) */
	uint64_t t_written; /* mono ms of the last state write (RC_AGENT_NEVER: none) */
	uint64_t t_flush;   /* a deferred timing-only write is due (RC_AGENT_NEVER: none) */
	struct rc_agent_pending pend[RC_AGENT_OUTSTANDING];
	uint8_t pend_head;
	uint64_t log_window;
	uint32_t log_count;
	/* Private mode: the model's tag and prefix (18.1), and the walk of the current episode:
	 * the bucket page asked for, or (walk) the notice index asked for of count. */
	uint8_t ptag[RC_PRIVATE_TAG_LEN];
	uint16_t pprefix;
	bool walk;
	uint8_t page;
	uint16_t pindex, pcount;
	uint64_t pserial; /* the bucket's serial: "clear" when no notice covers */
	struct rc_agent_counters c;
	uint16_t cand_len; /* a verified recalled notice or rotation waiting for its log proof */
	bool cand_rot;     /* cand is a rotation statement */
	uint8_t cand[RC_AGENT_CAND_MAX];
	union { /* scratch: one check-in, one state blob or one decoded proof at a time */
		uint8_t dgram[RC_CHECKIN_SIZE];
		uint8_t blob[RC_AGENT_STATE_MAX];
		struct rc_logproof lp;
	} buf;
	struct rc_notice scratch; /* decoded notice (views into notice or an answer) */
};

/* Fill cfg with defaults (zero identity and anchors, no responders, check-ins on). */
void rc_agent_config_default(struct rc_agent_config *cfg);

/* Initialise: validate and copy cfg (identity, anchors, responders, clamped intervals). No
 * callbacks are made. RC_OK or RC_ERR_INVALID/RC_ERR_SYNTAX. */
int rc_agent_init(struct rc_agent *a, const struct rc_agent_config *cfg,
		  const struct rc_agent_ops *ops, void *ctx);

/* Load a saved state blob (before rc_agent_start). Only log may be called. On any error
 * (torn, corrupt, unknown format) the agent keeps its empty state (fail open: the boot
 * check-in follows at once) and the error is returned. The anchor set is re-derived from
 * cfg.anchors by verifying the saved rotation chain; a chain that does not verify is dropped
 * (logged, counted in state_corrupt, the rest of the state kept, RC_OK returned). */
int rc_agent_restore(struct rc_agent *a, const uint8_t *saved, size_t len);

/* Start: lift or re-apply the saved quarantine (before any check-in), release on a firmware
 * change or opt-out, then send the boot check-in. */
int rc_agent_start(struct rc_agent *a);

/* A network attachment happened (default route or global address appeared); debounced, and
 * attach check-ins are at least attach_interval_ms apart (later events coalesce into one). */
void rc_agent_attach(struct rc_agent *a);

/* Write a deferred timing-only state change now (at shutdown); nothing if none is pending. */
void rc_agent_flush(struct rc_agent *a);

/* A datagram arrived on the check-in socket from `from`. Invalid input is counted, logged
 * (rate-limited) and ignored. Returns RC_OK if it was accepted as an answer, else the reason. */
int rc_agent_input(struct rc_agent *a, const uint8_t *buf, size_t len, const struct rc_src *from);

/* The wall clock was set (stepped) or may have become trusted (e.g. NTP synchronised): judge
 * the held notice's validity again now; an expired one is released at once. Cheap: call it on
 * every clock change event and, while rc_agent_clock_wait() is true, poll it every second. */
void rc_agent_clock_changed(struct rc_agent *a);

/* True while a notice is held and the wall clock is not trusted: the moment the clock becomes
 * trusted, expiry must be judged (rc_agent_clock_changed). */
bool rc_agent_clock_wait(const struct rc_agent *a);

/* Milliseconds until rc_agent_tick has work (0: now; RC_AGENT_NEVER: no timer). */
uint64_t rc_agent_timeout_ms(const struct rc_agent *a);

/* Run due timers (answer timeouts, retries, periodic, recheck, attach, notice expiry). */
void rc_agent_tick(struct rc_agent *a);

/* Owner override of notice `id` (NULL or "all": every notice); lifts a matching quarantine.
 * Persisted. RC_OK or RC_ERR_SYNTAX (bad id). */
int rc_agent_override(struct rc_agent *a, const char *id);

/* Remove every override; a held, still valid notice is applied again, then a check-in. */
int rc_agent_override_clear(struct rc_agent *a);

/* Switch check-ins on or off at run time (off = opt-out: lifts quarantine, stops timers). */
void rc_agent_set_checkin(struct rc_agent *a, bool on);

/* Current condition, next timer and counters. */
void rc_agent_status(const struct rc_agent *a, struct rc_agent_status *st);

/* Decode the held notice into n (views into the agent). RC_OK, or RC_ERR_MISSING if none. */
int rc_agent_notice(const struct rc_agent *a, struct rc_notice *n);

/* Serialise the persistent state (what persist receives). RC_OK or RC_ERR_BUFFER. */
int rc_agent_state_encode(const struct rc_agent *a, uint8_t *out, size_t cap, size_t *len);

/* The core's random timer draws (docs/PROTOCOL.md 12.2) as functions of its configuration
 * (cfg as rc_agent_init clamped it: a->cfg) and one uniform 64-bit random value r, so that a
 * model of many devices (bench/storm) draws exactly as the core does:
 * rc_agent_retry_ms: the wait before the next attempt after the n-th unanswered one (n >= 1);
 * rc_agent_later_ms: the wait after a retry-later answer of delay_s seconds;
 * rc_agent_spread_ms: the wait before a boot check-in, and added to an attach's debounce. */
uint64_t rc_agent_retry_ms(const struct rc_agent_config *cfg, uint32_t n, uint64_t r);
uint64_t rc_agent_later_ms(uint32_t delay_s, uint64_t r);
uint64_t rc_agent_spread_ms(const struct rc_agent_config *cfg, uint64_t r);

/* Names for logs, hooks and status: "recalled", "released-clear", ...; "idle", "wait", ... */
const char *rc_agent_event_name(unsigned ev);
const char *rc_agent_state_name(unsigned st);

#endif
