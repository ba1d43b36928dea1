/* The test image: the agent on the emulated board against a responder simulated in memory.
 * Four boots separated by system resets (the state lives in the flash slots, the phase and the
 * tallies in a word area the reset keeps): 1. boot, check-in, forged, below-threshold and
 * other-model answers ignored, the genuine 2-of-3 recall applied and persisted, a recheck;
 * 2. the newest slot damaged: the older one is restored, and the recall learnt again; 3. the
 * quarantine is re-applied from flash before any check-in; 4. a new firmware build releases it.
 * Prints one "ok"/"FAIL" line per check and the instruction counts (run under qemu -icount shift=0:
 * one instruction = one virtual ns = 1/40 SysTick tick). */
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "cose_int.h"
#include "glue.h"
#include "recall/msg.h"
#include "vectors.h"

#define NOINIT_MAGIC 0x4d335343u /* "CS3M" */
enum { NI_MAGIC, NI_PHASE, NI_PASS, NI_FAIL, NI_STACK };

static const struct rc_src responder = {4, {192, 0, 2, 1}, RC_PORT};
static uint8_t nonce[RC_NONCE_LEN]; /* of the last check-in the responder saw */
static uint32_t *ni;

/* The responder: remember the nonce; answers are sent by the scenario (never from inside the
 * agent's send callback: the core is not reentrant). */
int m3_net_send(const struct rc_src *to, const uint8_t *buf, size_t len)
{
	struct rc_checkin c;
	if (to->family != 4 || memcmp(to->addr, responder.addr, 4) != 0 ||
	    rc_checkin_decode(&c, buf, len, NULL) != RC_OK)
		return -1;
	memcpy(nonce, c.nonce, sizeof(nonce));
	return 0;
}

static int answer(uint8_t type, const uint8_t *blob, size_t n)
{
	static uint8_t out[RC_ANSWER_MAX];
	struct rc_answer a;
	size_t len;
	memset(&a, 0, sizeof(a));
	a.type = type;
	memcpy(a.nonce, nonce, sizeof(nonce));
	a.blob = blob;
	a.blob_len = n;
	if (rc_answer_encode(&a, out, sizeof(out), &len) != RC_OK)
		return -1;
	return m3_glue_input(out, len, &responder);
}

static void check(int ok, const char *what)
{
	ni[ok ? NI_PASS : NI_FAIL]++;
	printf("%s - %s\n", ok ? "ok" : "FAIL", what);
}

static enum rc_agent_state state(void)
{
	struct rc_agent_status st;
	rc_agent_status(&m3_agent, &st);
	return st.state;
}

static uint64_t t0;
static void start(void)
{
	t0 = board_ticks();
}
static void measure(const char *what)
{
	uint64_t insn = (board_ticks() - t0) * (1000000000u / BOARD_CLOCK_HZ);
	printf("measure: %s: %llu instructions\n", what, (unsigned long long)insn);
}

static int boot(const char *fw)
{
	struct m3_boot b = {fw, M3_WALL_BASE, responder};
	start();
	int err = m3_glue_boot(&b);
	measure("boot (init, restore, start, boot check-in)");
	return err;
}

/* In a function of its own, so that the decoded notice is not in phase1's frame (under every
 * call whose stack is measured). The to-be-signed bytes in the agent's scratch buffer (idle
 * here), as rc_agent_input's verification has them: the stack measured is the device's. */
static __attribute__((noinline)) void verify_genuine(void)
{
	struct rc_notice n;
	struct rc_verdict v;
	start();
	int err = rc__notice_check_buf(&n, m3_genuine, m3_genuine_len, &m3_agent.anchors,
				       &m3_agent.cfg.id, M3_WALL_BASE, true, &v, NULL,
				       m3_agent.buf.blob, sizeof(m3_agent.buf));
	measure("notice verification (rc_notice_check, 2 Ed25519 signatures)");
	check(err == RC_OK && v.valid == 2, "genuine notice verifies: 2 of 3 signatures");
}

static void phase1(void)
{
	check(boot(M3_FW_OLD) == RC_OK, "boot: init and start");
	check(m3_trace.sends == 1 && m3_trace.q_on == 0, "boot check-in sent, no quarantine");
	check(m3_trace.restored_slot_seq == 0, "empty flash: nothing restored");
	unsigned persists = m3_trace.persists;

	check(answer(RC_MSG_RECALLED, m3_forged, m3_forged_len) == RC_ERR_THRESHOLD &&
		  m3_agent.c.rx_threshold == 1,
	      "forged signature: ignored (threshold not met)");
	check(answer(RC_MSG_RECALLED, m3_below, m3_below_len) == RC_ERR_THRESHOLD &&
		  m3_agent.c.rx_threshold == 2,
	      "1 of k=2 signatures: ignored");
	check(answer(RC_MSG_RECALLED, m3_other, m3_other_len) == RC_ERR_NOTCOVERED &&
		  m3_agent.c.rx_notcovered == 1,
	      "other model: ignored (not covered)");
	check(m3_trace.q_on == 0 && m3_trace.persists == persists && state() == RC_AGENT_WAIT,
	      "invalid answers: no quarantine, no state write, still waiting");

	static struct rc_anchors set;
	start();
	int err = rc_anchors_decode(&set, m3_anchors, m3_anchors_len, NULL);
	measure("anchor set decode (3 keys, each checked to be a point of the prime-order group)");
	check(err == RC_OK && set.n == 3 && set.k == 2, "the firmware's anchor set: 3 keys, k=2");

	verify_genuine();

	start();
	err = answer(RC_MSG_RECALLED, m3_genuine, m3_genuine_len);
	measure("recall answer (decode, verify, quarantine, persist)");
	check(err == RC_OK && state() == RC_AGENT_QUARANTINED, "genuine 2-of-3 recall accepted");
	check(m3_trace.q_on == 1 && m3_trace.quarantined &&
		  strcmp(m3_trace.notice_id, "RC-2026-0017") == 0 && m3_trace.nallow == 1,
	      "quarantine callback: on, RC-2026-0017, 1 remedy endpoint");
	check(m3_trace.last_event == RC_AGENT_EV_RECALLED, "owner notified: recalled");
	check(m3_trace.persists > persists, "state persisted to flash");

	/* An hour later (a deferred timing write may come first): the recheck check-in. */
	unsigned sends = m3_trace.sends;
	uint64_t skipped = 0;
	for (int i = 0; i < 4 && m3_trace.sends == sends; i++) {
		uint64_t ms = rc_agent_timeout_ms(&m3_agent);
		if (ms == RC_AGENT_NEVER)
			break;
		board_skip_ms(ms);
		skipped += ms;
		start();
		m3_glue_tick();
	}
	measure("check-in (tick: nonce, encode, send)");
	check(m3_trace.sends == sends + 1 && skipped > 3000000u,
	      "recheck check-in sent about an hour later");
	check(answer(RC_MSG_RECALLED, m3_genuine, m3_genuine_len) == RC_OK && m3_trace.q_on == 1,
	      "the same recall again: no second apply");
}

static uint32_t seq_of(unsigned i)
{
	const uint32_t *h = (const uint32_t *)(void *)board_slot(i);
	return h[0] == 0x31534352u ? h[1] : 0; /* glue.c's SLOT_MAGIC */
}

static void phase2(void)
{
	/* One bit of the newest slot's blob flipped (a write cut short, or flash that wore out):
	 * the blob's own check rejects it and the glue restores the other slot. */
	unsigned newest = seq_of(0) > seq_of(1) ? 0 : 1;
	uint32_t older = seq_of(1 - newest);
	board_slot(newest)[16 + 40] ^= 1;
	check(boot(M3_FW_OLD) == RC_OK, "after reset, newest slot damaged: boot");
	check(older > 0 && m3_trace.restored_slot_seq == older,
	      "damaged slot rejected: the older one restored");
	check(m3_trace.q_on == 0 && !m3_trace.quarantined,
	      "the older state held no recall: no quarantine (fail open)");
	check(answer(RC_MSG_RECALLED, m3_genuine, m3_genuine_len) == RC_OK &&
		  m3_trace.quarantined && m3_trace.persists > 0,
	      "the boot check-in learns the recall again: quarantined, written");
}

static void phase3(void)
{
	m3_trace.norder = 0;
	check(boot(M3_FW_OLD) == RC_OK, "after reset: boot");
	check(m3_trace.restored_slot_seq > 0, "state restored from flash");
	check(m3_trace.q_on == 1 && m3_trace.quarantined && m3_trace.order[0] == 'Q' &&
		  strchr(m3_trace.order, 'S') > strchr(m3_trace.order, 'Q'),
	      "quarantine re-applied before the boot check-in");
	check(state() == RC_AGENT_QUARANTINED, "state: quarantined");
	check(answer(RC_MSG_RECALLED, m3_genuine, m3_genuine_len) == RC_OK && m3_trace.q_on == 1,
	      "the responder still answers recalled: kept");
}

static void phase4(void)
{
	check(boot(M3_FW_NEW) == RC_OK, "after reset with firmware " M3_FW_NEW ": boot");
	check(m3_trace.restored_slot_seq > 0, "state restored from flash");
	check(!m3_trace.quarantined && m3_trace.q_off >= 1 && m3_trace.q_on == 0,
	      "quarantine lifted");
	check(m3_trace.last_event == RC_AGENT_EV_RELEASED_FIRMWARE,
	      "owner notified: released-firmware");
	check(answer(RC_MSG_RECALLED, m3_genuine, m3_genuine_len) == RC_ERR_NOTCOVERED &&
		  !m3_trace.quarantined,
	      "the old notice does not cover the new build: ignored");
	check(answer(RC_MSG_CLEAR, NULL, 0) == RC_OK && state() == RC_AGENT_IDLE,
	      "clear answer: idle");
}

int main(void)
{
	ni = board_noinit();
	if (ni[NI_MAGIC] != NOINIT_MAGIC) { /* power-on: blank flash */
		board_slot_erase(0);
		board_slot_erase(1);
		memset(ni, 0, 5 * sizeof(*ni));
		ni[NI_MAGIC] = NOINIT_MAGIC;
		ni[NI_PHASE] = 1;
	}
	unsigned phase = ni[NI_PHASE];
	printf("scenario: phase %u, sizeof(struct rc_agent) = %u\n", phase,
	       (unsigned)sizeof(struct rc_agent));
	if (phase == 1)
		phase1();
	else if (phase == 2)
		phase2();
	else if (phase == 3)
		phase3();
	else
		phase4();
	size_t peak = board_stack_peak();
	printf("measure: peak stack of phase %u: %u bytes\n", phase, (unsigned)peak);
	if (peak > ni[NI_STACK])
		ni[NI_STACK] = (uint32_t)peak;
	if (phase < 4) {
		ni[NI_PHASE] = phase + 1;
		printf("scenario: system reset\n");
		board_reset();
	}
	unsigned pass = ni[NI_PASS], fail = ni[NI_FAIL];
	printf("measure: peak stack: %u bytes\n", (unsigned)ni[NI_STACK]);
	printf("scenario: %u passed, %u failed\n", pass, fail);
	ni[NI_MAGIC] = 0;
	return fail ? 1 : 0;
}
