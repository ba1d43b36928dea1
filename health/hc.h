/* recall-healthcheck (recall-healthcheck(8)): a node's anycast announcement follows real
 * check-ins to its own recalld. The state machine (fsm.c) is free of OS calls and clocks so
 * that tests drive it with a fake clock; check.c does one check-in, bird.c tells BIRD. */
#ifndef RECALL_HC_H
#define RECALL_HC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "recall/anchors.h"
#include "recall/msg.h"

/* ---- the announcement state machine (fsm.c) ---- */

enum hc_change { HC_SAME, HC_ANNOUNCE, HC_WITHDRAW };

struct hc_fsm {
	unsigned rise;    /* passed checks in a row to announce */
	unsigned fall;    /* failed checks in a row to withdraw */
	uint64_t hold_ms; /* after a withdrawal, passes for this long before announcing */
	bool up;          /* announced */
	unsigned ok_run, bad_run;
	bool withdrawn_once; /* hold-down applies only after a withdrawal, not at start */
	uint64_t ok_since;   /* time of the first pass of the current run */
};

/* Start withdrawn: a node is announced only after `rise` passed checks. */
void hc_fsm_init(struct hc_fsm *f, unsigned rise, unsigned fall, uint64_t hold_ms);
/* One check's result at time now_ms (any monotonic clock): whether the announcement changes. */
enum hc_change hc_fsm_step(struct hc_fsm *f, bool ok, uint64_t now_ms);
/* Milliseconds of hold-down left at now_ms (0: none; the whole hold-down while failing). */
uint64_t hc_fsm_hold_left(const struct hc_fsm *f, uint64_t now_ms);

/* ---- one check-in to the node's own recalld (check.c) ---- */

#define HC_TARGETS_MAX 4

struct hc_target {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[64]; /* the address as given, for logs */
};

struct hc_check {
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1];
	char fwver[RC_FWVER_MAX + 1];
	struct rc_identity id; /* views of the strings above */
	unsigned timeout_ms;
	unsigned expect; /* bit (1 << RC_MSG_CLEAR) and/or (1 << RC_MSG_RECALLED) */
	bool have_anchors;
	struct rc_anchors anchors; /* to verify a recalled answer with */
};

/* Fill id from vendor, model, fwver (canonicalised): 0, or -1 with a reason in err. */
int hc_check_identity(struct hc_check *c, const char *vendor, const char *model, const char *fwver,
		      char *err, size_t cap);
/* Parse a numeric address with a port into t: 0 or -1. */
int hc_target_parse(struct hc_target *t, const char *addr, unsigned port);
/* Send one 1200-byte check-in to t and wait for its answer: 0 if it is an accepted, verified
 * answer (why: a summary), -1 otherwise (why: the reason). */
int hc_check_once(const struct hc_check *c, const struct hc_target *t, char *why, size_t cap);

/* ---- BIRD's control socket (bird.c) ---- */

#define HC_PROTOCOLS_MAX 4

/* Parse one reply line of BIRD's control protocol (without its newline): the 4-digit code
 * (-1 for a continuation line, which starts with a space) and whether it ends the reply.
 * 0, or -1 if the line is not in that form. */
int hc_bird_line(const char *line, size_t n, int *code, bool *last);
/* A protocol name BIRD accepts as a symbol: [A-Za-z_][A-Za-z0-9_]*, 1..63 bytes. */
bool hc_bird_name_ok(const char *name);
/* Over a connected stream fd (greeting not yet read; fd stays open): `enable NAME` or
 * `disable NAME` for every protocol. 0 if BIRD acknowledged each, -1 with a reason in err. */
int hc_bird_exchange(int fd, const char *const *protos, size_t n, bool enable, char *err,
		     size_t cap);
/* The same over BIRD's control socket at path (connected and closed here). */
int hc_bird_set(const char *path, const char *const *protos, size_t n, bool enable, char *err,
		size_t cap);

#endif
