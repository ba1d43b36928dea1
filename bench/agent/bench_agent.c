/* Footprint and CPU cost of the agent core: sizeof(struct rc_agent), and per-operation cost of
 * a check-in (nonce, encode, send), a notice verification (rc_notice_check, k = 2 of 3) and a
 * whole recall answer through rc_agent_input. Usage:
 *   bench_agent sizes
 *   bench_agent checkin|verify|recall|clear|logproof N     (N operations, prints ns/op)
 *   bench_agent stack    (peak stack of each entry point, measured on a painted thread stack)
 * logproof: decode and verify the compact log proof a device with a log policy needs (a tree of
 * 2^20 entries, quorum 2 of 3 witnesses; PROTOCOL.md 7.4), built once at start.
 * For instruction counts run one mode under callgrind with --toggle-collect=op_<mode>
 * (docs/PERFORMANCE.md, "recall-agent core"). Uses the shared simulated world (tests/helpers). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"
#include "logfix.h"
#include "sim.h"

static struct world w, wl; /* wl: an agent whose anchor set names a log */
static struct rc_notice scratch;
static struct rc_anchors lanc;
static uint8_t proof[RC_LOGPROOF_ENC_MAX];
static size_t proof_len;
static struct rc_logproof lp;

#define LOG_SIZE  ((uint64_t)1 << 20)
#define LOG_INDEX 654321u

/* Each op_* is one measured operation; kept out of line so callgrind can isolate it. */
__attribute__((noinline)) void op_checkin(void);
__attribute__((noinline)) int op_verify(void);
__attribute__((noinline)) int op_recall(const uint8_t *ans, size_t len);
__attribute__((noinline)) int op_clear(const uint8_t *ans, size_t len);
__attribute__((noinline)) int op_logproof(void);

void op_checkin(void)
{
	rc_agent_attach(&w.a);
	w.s.mono += RC_AGENT_DEBOUNCE_MS;
	rc_agent_tick(&w.a);
}

int op_verify(void)
{
	struct rc_identity id;
	fx_identity(&id);
	return rc_notice_check(&scratch, w.blob, w.blob_len, &w.anc, &id, FX_NOW, true, NULL, NULL);
}

int op_recall(const uint8_t *ans, size_t len)
{
	struct rc_src from = sim_responder(0);
	return rc_agent_input(&w.a, ans, len, &from);
}

int op_clear(const uint8_t *ans, size_t len)
{
	struct rc_src from = sim_responder(0);
	return rc_agent_input(&w.a, ans, len, &from);
}

int op_logproof(void)
{
	int err = rc_logproof_decode(&lp, proof, proof_len, NULL);
	return err ? err
		   : rc_logproof_verify(&lanc, w.blob, w.blob_len, &lp, FX_NOW, true, NULL, NULL);
}

/* The log proof of w.blob at LOG_INDEX of LOG_SIZE, cosigned by 2 of 3 witnesses. */
static void log_setup(void)
{
	static const uint64_t times[] = {FX_NOW - 600, FX_NOW - 300, 0};
	struct rc_logproof p;
	lanc = w.anc;
	if (fx_log_policy(&lanc, 3, 2, 86400, 0x70) ||
	    fx_log_proof(&p, &lanc, w.blob, w.blob_len, LOG_INDEX, LOG_SIZE, times, 0x70) ||
	    rc_logproof_encode(&p, proof, sizeof(proof), &proof_len)) {
		fprintf(stderr, "bench: cannot build the log proof\n");
		exit(1);
	}
}

/* wl: started, answered recalled; the proof answer to its proof request in ans. */
static void log_agent(uint8_t *ans, size_t *len)
{
	struct rc_proofreq q;
	world_init(&wl, 1);
	wl.cfg.anchors = lanc;
	if (rc_agent_init(&wl.a, &wl.cfg, &sim_ops, &wl.s) || rc_agent_start(&wl.a) ||
	    sim_answer(&wl.s, &wl.a, RC_MSG_RECALLED, 0, w.blob, w.blob_len) ||
	    sim_last_proofreq(&wl.s, &q) ||
	    fx_answer(ans, RC_ANSWER_MAX, len, RC_MSG_PROOF, q.nonce, 0, proof, proof_len)) {
		fprintf(stderr, "bench: cannot ready the logged agent\n");
		exit(1);
	}
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* A fresh agent that has just sent a check-in; ans = the answer of type t to it. */
static void ready(uint8_t t, uint8_t *ans, size_t *len)
{
	struct rc_checkin c;
	w.a.mode = RC_AGENT_IDLE;
	op_checkin();
	if (sim_last_checkin(&w.s, &c) ||
	    fx_answer(ans, RC_ANSWER_MAX, len, t, c.nonce, 1, w.blob, w.blob_len)) {
		fprintf(stderr, "bench: cannot build the answer\n");
		exit(1);
	}
}

/* Stack measurement: run one job on a thread whose stack is painted, count what was touched. */
static uint8_t tstack[1 << 16] __attribute__((aligned(64)));
static uint8_t job_ans[RC_ANSWER_MAX];
static size_t job_len;

static void *job(void *arg)
{
	struct rc_agent_status st;
	switch (*(int *)arg) {
	case 1:
		op_checkin();
		break;
	case 2:
		op_recall(job_ans, job_len);
		break;
	case 3:
		rc_agent_status(&w.a, &st);
		break;
	case 4:
		op_verify();
		break;
	case 5:
		op_logproof();
		break;
	case 6: {
		struct rc_src from = sim_responder(0);
		rc_agent_input(&wl.a, job_ans, job_len, &from);
		break;
	}
	}
	return NULL;
}

static size_t stack_used(int which)
{
	pthread_t t;
	pthread_attr_t at;
	memset(tstack, 0xa5, sizeof(tstack));
	pthread_attr_init(&at);
	pthread_attr_setstack(&at, tstack, sizeof(tstack));
	if (pthread_create(&t, &at, job, &which) != 0)
		return 0;
	pthread_join(t, NULL);
	size_t i = 0;
	while (i < sizeof(tstack) && tstack[i] == 0xa5)
		i++;
	return sizeof(tstack) - i;
}

static void ready(uint8_t t, uint8_t *ans, size_t *len);

static int stack_report(void)
{
	size_t base = stack_used(0);
	printf("stack bytes beyond an empty thread (glibc x86_64, this build):\n");
	printf("  check-in (attach + tick)     %zu\n", stack_used(1) - base);
	ready(RC_MSG_RECALLED, job_ans, &job_len);
	printf("  recall answer (input)        %zu\n", stack_used(2) - base);
	printf("  rc_notice_check alone        %zu\n", stack_used(4) - base);
	printf("  rc_agent_status              %zu\n", stack_used(3) - base);
	log_setup();
	printf("  log proof decode + verify    %zu\n", stack_used(5) - base);
	log_agent(job_ans, &job_len);
	printf("  proof answer (input), acts   %zu\n", stack_used(6) - base);
	if (!wl.s.q_on)
		fprintf(stderr, "bench: the logged agent did not act\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "sizes";
	long n = argc > 2 ? atol(argv[2]) : 1000;
	world_init(&w, 1);
	if (w.init_err || world_notice(&w, NULL, 2) || rc_agent_start(&w.a)) {
		fprintf(stderr, "bench: setup failed\n");
		return 1;
	}
	if (strcmp(mode, "sizes") == 0) {
		printf("sizeof(struct rc_agent)        %zu\n", sizeof(struct rc_agent));
		printf("  of which state/datagram buf  %zu\n", sizeof(w.a.buf));
		printf("  of which held notice bytes   %zu\n", sizeof(w.a.notice));
		printf("  of which decoded notice      %zu\n", sizeof(w.a.scratch));
		printf("  of which anchor sets (2)     %zu\n", 2 * sizeof(struct rc_anchors));
		printf("sizeof(struct rc_agent_status) %zu\n", sizeof(struct rc_agent_status));
		printf("notice used here               %zu bytes, 2 signatures\n", w.blob_len);
		printf("sizeof(struct rc_logproof)     %zu (shares the state buffer)\n",
		       sizeof(struct rc_logproof));
		log_setup();
		uint8_t ans[RC_ANSWER_MAX];
		size_t al;
		log_agent(ans, &al);
		printf("log proof, 2^20 entries, q=2   %zu bytes, proof answer %zu bytes, proof "
		       "request %d bytes\n",
		       proof_len, al, RC_CHECKIN_SIZE);
		return 0;
	}
	if (strcmp(mode, "stack") == 0)
		return stack_report();
	uint8_t ans[RC_ANSWER_MAX];
	size_t len = 0;
	double t0 = 0, total = 0;
	if (strcmp(mode, "logproof") == 0)
		log_setup();
	for (long i = 0; i < n; i++) {
		int err = 0;
		if (strcmp(mode, "checkin") == 0) {
			t0 = now_ns();
			op_checkin();
		} else if (strcmp(mode, "verify") == 0) {
			t0 = now_ns();
			err = op_verify();
		} else if (strcmp(mode, "logproof") == 0) {
			t0 = now_ns();
			err = op_logproof();
		} else if (strcmp(mode, "recall") == 0 || strcmp(mode, "clear") == 0) {
			bool recall = mode[0] == 'r';
			ready(recall ? RC_MSG_RECALLED : RC_MSG_CLEAR, ans, &len);
			t0 = now_ns();
			err = recall ? op_recall(ans, len) : op_clear(ans, len);
			w.a.notice_len = 0; /* the next recall is new again */
		} else {
			fprintf(
			    stderr,
			    "usage: bench_agent sizes|checkin|verify|recall|clear|logproof [N]\n");
			return 2;
		}
		total += now_ns() - t0;
		if (err) {
			fprintf(stderr, "bench: %s failed: %s\n", mode, rc_strerror(err));
			return 1;
		}
	}
	printf("%s: %ld ops, %.0f ns/op\n", mode, n, total / (double)n);
	return 0;
}
