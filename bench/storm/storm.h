/* recall-storm: a region's power returns at once (docs/PERFORMANCE.md, issue 14). Devices boot
 * within a window, check in at anycast responder nodes of fixed capacity with a finite socket
 * queue; a sample of devices runs the real agent core (lib/agent*.c on the simulated clock of
 * tests/helpers/sim.c), the rest are modelled with the core's own timer draws
 * (rc_agent_retry_ms, rc_agent_spread_ms). Time is simulated in 1 ms steps. */
#ifndef RECALL_STORM_H
#define RECALL_STORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/agent.h"

struct storm_opts {
	uint64_t devices;    /* region size */
	uint64_t sample;     /* devices run by the real core, in all rounds together */
	uint64_t chunk;      /* real cores in memory at once (one round each) */
	unsigned nodes;      /* responder nodes (anycast: each device reaches one) */
	double capacity;     /* answers per second per node */
	uint64_t queue;      /* datagrams a node's socket holds */
	uint64_t boot_ms;    /* agents start uniformly within this window after power-on */
	uint32_t spread_ms;  /* the agent's start spread (0: today's boot check-in at once) */
	uint64_t rtt_ms;     /* round trip device-node-device */
	uint64_t horizon_ms; /* simulated time at most */
	uint64_t seed;
	const char *csv; /* per-second, per-node figures (NULL: none) */
	bool quiet;
	bool check;  /* exit 2 unless all answered, none gave up, model and core agree */
	bool attach; /* devices were up: their network returns at the "boot" time (an attach) */
};

/* Per-second figures of one node. */
struct storm_sec {
	uint64_t arrived, answered, dropped, qmax;
};

/* A distribution of times in ms (histogram, 1 ms bins up to the horizon). */
struct storm_hist {
	uint64_t n;
	uint32_t *bin;
};

struct storm_result {
	uint64_t devices, answered, gaveup, waiting; /* waiting: unanswered at the end */
	uint64_t datagrams, dropped, qmax;           /* all nodes */
	uint64_t t_999, t_all, t_end;                /* ms: 99.9% answered, all answered, end */
	uint64_t real_answered, real_gaveup;
	uint64_t nsec;             /* seconds in secs[] per node */
	struct storm_sec *secs;    /* [node * nsec + second] */
	uint64_t *answered_by_sec; /* devices answered in each second */
	/* real cores against model devices: attempt send times, first answer times, attempts */
	struct storm_hist sent[2], ans[2]; /* [0] model, [1] real */
	uint64_t attempts[2][16];          /* devices by attempts until answered (15: more) */
};

/* Run all rounds; 0 or -1 (message on stderr). */
int storm_run(const struct storm_opts *o, struct storm_result *r);
void storm_result_free(struct storm_result *r);

/* Kolmogorov-Smirnov distance between two histograms. */
double storm_ks(const struct storm_hist *a, const struct storm_hist *b, uint64_t bins);

#endif
