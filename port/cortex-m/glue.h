/* The glue of the recall agent on the Cortex-M3 board (docs/PORTING.md): the eight callbacks
 * of struct rc_agent_ops, the two flash slots of the persisted state, the random generator
 * (also libsodium's randombytes) and the boot sequence. The network below it is two functions:
 * m3_net_send, which the board's network provides (here the scenario's simulated responder),
 * and m3_glue_input for each datagram that arrives. */
#ifndef RECALL_M3_GLUE_H
#define RECALL_M3_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/agent.h"

/* What the board's firmware passes at boot: its build and where to check in. */
struct m3_boot {
	const char *fwver;
	uint64_t wall_base; /* POSIX seconds at reset (an RTC set by SNTP on a real board) */
	struct rc_src responder;
};

/* What the glue saw, for the owner's display and for the scenario's checks. */
struct m3_glue_trace {
	unsigned q_on, q_off, persists, sends, restored_slot_seq;
	bool quarantined;
	char notice_id[RC_NOTICE_ID_MAX + 1]; /* of the quarantine in force */
	size_t nallow;                        /* remedy endpoints kept reachable */
	enum rc_agent_event last_event;
	char order[32]; /* one letter per call: Q on, q off, P persist, S send, N notify */
	size_t norder;
};

extern struct rc_agent m3_agent;
extern struct m3_glue_trace m3_trace;

/* The network below the glue: send one datagram; 0 on success. */
int m3_net_send(const struct rc_src *to, const uint8_t *buf, size_t len);

/* Seed the generator, init the agent with the board's identity and anchors, restore the newest
 * valid slot, start (which re-applies a saved quarantine and sends the boot check-in).
 * RC_OK or the error of the step that failed. */
int m3_glue_boot(const struct m3_boot *b);
/* A datagram arrived from `from`. */
int m3_glue_input(const uint8_t *buf, size_t len, const struct rc_src *from);
/* Run due timers. */
void m3_glue_tick(void);

#endif
