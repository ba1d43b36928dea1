/* libFuzzer target: the agent's persisted state blob (rc_agent_restore, then rc_agent_start).
 * First input byte: bit 0 clear = the rest is the raw blob; set = the rest is the CBOR body
 * and the harness appends the valid check, so the fuzzer reaches the decoder behind it. Bit 1
 * set: the firmware's anchor set names the fixture log (logfix.h, seed 0x70), so the chain's
 * statements need their saved proofs (key 12) and a held notice its proof (key 11).
 * Properties: never crash; a blob that restores re-encodes to one that restores again; the
 * restored anchors are the firmware's set moved on by exactly the chain's statements (a stored
 * set is never trusted). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent_state.h"
#include "fixtures.h"
#include "logfix.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct world worlds[2], w;
static const struct world *base;
static uint8_t buf[RC_AGENT_STATE_MAX + RC_AGENT_CHECK_LEN];

static void fresh(void)
{
	memcpy(&w, base, sizeof(w));
	w.a.ctx = &w.s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		world_init(&worlds[0], 1);
		world_init(&worlds[1], 1);
		struct world *l = &worlds[1];
		if (worlds[0].init_err || l->init_err ||
		    fx_log_policy(&l->cfg.anchors, 3, 2, 86400, 0x70) != RC_OK ||
		    rc_agent_init(&l->a, &l->cfg, &sim_ops, &l->s) != RC_OK)
			abort();
		ready = true;
	}
	if (size < 1)
		return 0;
	base = &worlds[(data[0] >> 1) & 1];
	size_t n = size - 1;
	if (n > RC_AGENT_STATE_MAX)
		return 0;
	memcpy(buf, data + 1, n);
	size_t len = n;
	if (data[0] & 1) {
		if (n + RC_AGENT_CHECK_LEN > RC_AGENT_STATE_MAX)
			return 0;
		crypto_generichash(buf + n, RC_AGENT_CHECK_LEN, buf, n, NULL, 0);
		len = n + RC_AGENT_CHECK_LEN;
	}
	fresh();
	if (rc_agent_restore(&w.a, buf, len) != RC_OK) {
		/* Fail open: empty state, and start must still work. */
		if (w.a.mode != RC_AGENT_IDLE || rc_agent_start(&w.a) != RC_OK || w.s.q_apply)
			abort();
		return 0;
	}
	if (w.a.anchors.epoch != base->a.cfg.anchors.epoch + w.a.nchain ||
	    (w.a.nchain == 0 && memcmp(&w.a.anchors, &base->a.cfg.anchors, sizeof(w.a.anchors))))
		abort();
	if (rc_agent_start(&w.a) != RC_OK)
		abort();
	struct rc_agent_status st;
	rc_agent_status(&w.a, &st);
	size_t elen;
	if (rc_agent_state_encode(&w.a, buf, sizeof(buf), &elen) != RC_OK)
		abort();
	fresh();
	if (rc_agent_restore(&w.a, buf, elen) != RC_OK)
		abort();
	return 0;
}
