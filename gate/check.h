/* recall-gate: the recall check on a device's behalf and enforcement (G4). Declarations beyond
 * the binding interface of gate.h, shared by check.c, checkin.c, enforce.c and actions.c. */
#ifndef RECALL_GATE_CHECK_H
#define RECALL_GATE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"
#include "recall/anchors.h"
#include "recall/feed.h"
#include "recall/msg.h"

#define GATE_FEED_MAX    ((size_t)16 << 20) /* feed file size cap (a home gateway's memory) */
#define GATE_PEND_MAX    32                 /* check-ins outstanding at once (checkin mode) */
#define GATE_HELD_MAX    32                 /* verified notices from answers kept for the page */
#define GATE_TRIES       3                  /* attempts per check (fresh nonce each) */
#define GATE_TIMEOUT_MS  3000               /* answer timeout per attempt */
#define GATE_LATER_MIN_S 60                 /* retry-later delay clamp, as the agent's */
#define GATE_LATER_MAX_S 86400
#define GATE_ROTATIONS   16 /* rotations followed per check, as the agent's episode */
#define GATE_VERIFY_S    10 /* how often the nftables table is looked for */

/* Counters (status, logs). */
struct gate_check_stats {
	uint64_t feed_loads, feed_rejected, checks, recalled, possible;
	uint64_t checkins, answers, rx_garbage, rx_source, rx_nonce, rx_invalid, rx_threshold,
	    rx_notcovered, rx_expired, timeouts, giveups, rotations, send_errors;
	uint64_t buckets, notice_requests; /* checkin-private (PROTOCOL.md 18.4) */
};

struct gate_pend {
	bool used;
	uint8_t mac[6];
	uint8_t nonce[RC_NONCE_LEN];
	uint8_t resp;      /* responder index the nonce went to */
	uint8_t tries;     /* attempts sent */
	uint8_t rotations; /* rotations followed in this check */
	uint64_t due_ms;   /* answer deadline, or when to send the next attempt */
	bool waiting;      /* an attempt is outstanding (else: due_ms is a scheduled send) */
	/* checkin-private: the walk of PROTOCOL.md 18.4: the bucket page asked for, or (walk) the
	 * notice index asked for of count, and the bucket's serial */
	bool walk;
	uint8_t page;
	uint16_t pindex, pcount;
	/* the identity the check-in carried: an answer counts only if the device still has it */
	char s[4][RC_FWVER_MAX + 1];
};

struct gate_held {
	uint16_t len;
	char id[RC_NOTICE_ID_MAX + 1];
	uint8_t b[RC_NOTICE_MAX];
};

struct gate_check {
	bool checkin;
	bool priv; /* checkin mode with private check-ins */
	int clock; /* -1: the kernel's NTP flag decides; 0/1: fixed (tests, operator) */
	struct rc_anchors anchors;
	uint8_t feed_pk[RC_PK_LEN];
	/* feed mode */
	uint8_t *buf;
	size_t len;
	struct rc_feed feed;
	bool have_feed;
	uint64_t st_ino, st_size, st_mtime_ns, last_stat, last_verify;
	uint64_t floor; /* time floor: the feed's issued time and verified notices' issued */
	/* checkin mode */
	int fd;
	uint32_t nresp;
	uint8_t resp_family[4];
	uint8_t resp_addr[4][16];
	uint16_t resp_port[4];
	struct gate_pend pend[GATE_PEND_MAX];
	struct gate_held held[GATE_HELD_MAX];
	uint32_t held_next;
	struct gate_check_stats st;
};

/* Fix the clock verdict (0 untrusted, 1 trusted) or let the kernel decide (-1, default). */
void gate_check_clock(struct gate *g, int trusted);
/* Once a second: reload a changed feed (re-checking every device), check-in timeouts. */
void gate_check_tick(struct gate *g);
void gate_check_free(struct gate *g);
/* Is the wall clock trusted (NTP-synchronised, or fixed), and the time validity is judged by. */
bool gate_check_trusted(struct gate_check *c, uint64_t now, uint64_t *judge);
/* The result of a check: state (CLEAR, RECALLED, POSSIBLE, UNCHECKED) and notice n (when
 * RECALLED/POSSIBLE) for device d; applies the policy and calls gate_enforce_apply. */
void gate_check_result(struct gate *g, struct gate_device *d, enum gate_state st,
		       const struct rc_notice *n);
/* Is d's identity build-level (declared or described, with a firmware version)? */
bool gate_build_level(const struct gate_device *d);
/* Effective policy of d (owner's choice, or the configured default for enforce). */
enum gate_policy gate_policy_of(const struct gate *g, const struct gate_device *d);

/* checkin.c */
int gate_checkin_init(struct gate *g, char *err, size_t errlen);
void gate_checkin_send(struct gate *g, struct gate_device *d);
void gate_checkin_tick(struct gate *g, uint64_t mono_ms);
int gate_checkin_notice(struct gate_check *c, const char *id, struct rc_notice *out);
/* One datagram from fam/addr/port on the check-in socket (gate_check_input, fuzz target). */
void gate_checkin_answer(struct gate *g, const uint8_t *buf, size_t len, uint8_t fam,
			 const uint8_t addr[16], uint16_t port);
uint64_t gate_mono_ms(void);
/* Parse "addr", "addr:port" or "[v6]:port" (port default RC_PORT). 0 ok, -1 bad. */
int gate_parse_hostport(const char *s, uint8_t *family, uint8_t addr[16], uint16_t *port);

/* actions.c: the owner's action on one device (gate_action finds it by MAC). */
int gate_action_device(struct gate *g, struct gate_device *d, enum gate_action act, const char *arg,
		       char *err, size_t errlen);
/* Does d's own agent report quarantine (announcement state)? */
bool gate_agent_quarantined(const struct gate_device *d);

/* enforce.c */
void gate_enforce_free(struct gate *g);
/* Is d blocked at the gateway (state and policy)? */
bool gate_blocked(const struct gate *g, const struct gate_device *d);
/* Install the table again if another program removed it (nftables.service's flush ruleset);
 * 0 present, 1 reinstalled, -1 failed. gate_check_tick calls it every GATE_VERIFY_S. */
int gate_enforce_verify(struct gate *g);
/* The nft script that gate_enforce_init/apply run (for tests and --dry-run). */
size_t gate_enforce_script(const struct gate *g, char *out, size_t cap);

/* gate/nft.c: nftables for the daemon without libnftables in its process. gate_nft_init finds
 * recall-gate-nft (common/progpath.h); gate_nft_run has it run one script (0, or -1
 * with nftables' message); gate_nft_table_present asks the kernel for inet recall_gate over
 * netlink (1 there, 0 gone, -1 cannot tell). */
#define GATE_NFT_SCRIPT_MAX (256 * 1024)
int gate_nft_init(char *err, size_t errlen);
int gate_nft_run(const char *script, size_t len, char *err, size_t errlen);
int gate_nft_table_present(void);

#endif
