/* A simulated world for the agent core: clocks, a network that records every check-in, a
 * persistent store, quarantine and owner-notification recorders. Deterministic (seeded PRNG
 * for nonces and jitter). struct rc_agent_ops sim_ops uses a struct sim as ctx. */
#ifndef RECALL_SIM_H
#define RECALL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixtures.h"
#include "recall/agent.h"

#define SIM_SENT_MAX 64 /* check-ins kept (a ring; sim.nsent counts all) */
#define SIM_EV_MAX   64
#define SIM_TRACE                                                                                  \
	128 /* callback trace letters: S send, P persist, Q/q quarantine on/off, N notify */

struct sim_dgram {
	uint64_t t; /* mono ms when sent */
	struct rc_src to;
	uint8_t buf[RC_CHECKIN_SIZE];
	size_t len;
};

struct sim {
	uint64_t mono; /* ms */
	uint64_t wall; /* POSIX seconds at mono == 0; wall() adds mono / 1000 */
	bool trusted;  /* wall clock trusted */
	uint64_t rng;  /* xorshift64* state */
	size_t nsent;
	struct sim_dgram sent[SIM_SENT_MAX];
	int send_fail; /* nonzero: send returns failure */
	uint8_t state[RC_AGENT_STATE_MAX];
	size_t state_len;
	unsigned npersist;
	int persist_fail;
	bool q_on;
	unsigned q_apply, q_lift;
	char q_id[RC_NOTICE_ID_MAX + 1];
	int quarantine_fail;
	size_t nev;
	enum rc_agent_event ev[SIM_EV_MAX];
	char ev_id[SIM_EV_MAX][RC_NOTICE_ID_MAX + 1];
	char trace[SIM_TRACE + 1];
	size_t ntrace;
	unsigned nlog;
	char last_log[256];
	bool verbose; /* print log lines to stderr */
};

extern const struct rc_agent_ops sim_ops;

/* Fresh world: mono 0, wall FX-style base `wall`, trusted clock, PRNG seed. */
void sim_init(struct sim *s, uint64_t wall, uint64_t seed);

/* The i-th simulated responder address (127.0.0.1+i, port RC_PORT). */
struct rc_src sim_responder(int i);

/* Agent config for fx_identity, the given anchors and nresp simulated responders. */
void sim_config(struct rc_agent_config *c, const struct rc_anchors *anchors, size_t nresp);

/* The last check-in sent (NULL if none). */
const struct sim_dgram *sim_last(const struct sim *s);

/* Decode the last check-in (views into the sim); RC_OK or the decoder's error. */
int sim_last_checkin(const struct sim *s, struct rc_checkin *c);

/* Decode the last datagram as a proof request; RC_OK or the decoder's error. */
int sim_last_proofreq(const struct sim *s, struct rc_proofreq *q);

/* Advance simulated time by ms, running every agent timer that falls due on the way. */
void sim_advance(struct sim *s, struct rc_agent *a, uint64_t ms);

/* Advance to the agent's next timer and tick once; returns the ms advanced (or
 * RC_AGENT_NEVER and no change when no timer is set). */
uint64_t sim_step(struct sim *s, struct rc_agent *a);

/* Deliver an answer of type t to the last check-in or proof request from its responder
 * (arg/blob as fx_answer);
 * returns rc_agent_input's result. */
int sim_answer(struct sim *s, struct rc_agent *a, uint8_t t, uint64_t arg, const uint8_t *blob,
	       size_t blob_len);

/* Last event (0 if none). */
enum rc_agent_event sim_last_event(const struct sim *s);

/* A ready world for agent tests: a sim, an agent for fx_identity trusting 3 keys (seeds 10..12,
 * k = 2, epoch 1), 3 rogue keys (seeds 100..102) and a notice buffer. */
struct world {
	struct sim s;
	struct rc_agent a;
	struct rc_agent_config cfg;
	struct fx_key keys[3], rogue[3];
	struct rc_anchors anc;
	int init_err; /* rc_agent_init's result */
	uint8_t payload[RC_NOTICE_MAX];
	size_t plen;
	uint8_t blob[RC_NOTICE_MAX + 64];
	size_t blob_len;
};

/* Build the world with nresp responders (sim seed 1, wall FX_NOW, trusted clock). */
void world_init(struct world *w, size_t nresp);

/* w->blob = fx_notice(FX_NOW) changed by mut (may be NULL), signed by the first nsig keys. */
int world_notice(struct world *w, void (*mut)(struct rc_notice *), int nsig);

/* Re-sign w->payload with two rogue keys (a forgery). */
int world_forge(struct world *w);

/* Re-sign w->payload with two trusted keys but the rotation statement content type. */
int world_wrong_ct(struct world *w);

#endif
