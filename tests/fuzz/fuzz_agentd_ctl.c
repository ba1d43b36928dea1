/* libFuzzer target: recall-agent's control-socket requests (ctl_handle: what the daemon does with
 * one request from a local client) on a started (waiting for its boot check-in's answer) or a
 * quarantined agent, and the status reply
 * through ctl_status_decode (what `recall-agent status` reads).
 * Input: byte 0 bit 0 = quarantined agent, bit 1 = the peer is the agent's owner; the rest is up
 * to 8 requests separated by '\n', each as recv() would hand it over (at most CTL_REQ_MAX bytes,
 * NUL-terminated by the daemon).
 * Properties: never crash; every reply fits CTL_MSG_MAX and starts with an rc_err code; a status
 * reply decodes to exactly the agent's status, hooks refused, notice text and remedy URL, and one
 * byte shorter or longer it does not decode; a peer that is not
 * the owner changes nothing; an override only succeeds for "all" or a valid notice id. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "fuzz_capture.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct world base[2], w;
static uint8_t out[CTL_MSG_MAX];

static void init(void)
{
	for (int q = 0; q < 2; q++) {
		world_init(&base[q], 1);
		if (base[q].init_err || rc_agent_start(&base[q].a) != RC_OK)
			abort();
		if (q && (world_notice(&base[q], NULL, 2) != RC_OK ||
			  sim_answer(&base[q].s, &base[q].a, RC_MSG_RECALLED, 0, base[q].blob,
				     base[q].blob_len) != RC_OK))
			abort();
		struct rc_agent_status st;
		rc_agent_status(&base[q].a, &st);
		if ((st.state == RC_AGENT_QUARANTINED) != (q == 1))
			abort();
	}
}

static void check_status(void)
{
	struct rc_agent_status st;
	struct ctl_status got;
	struct rc_notice n;
	size_t len = ctl_handle(&w.a, "S", 1, false, 1000, out);
	rc_agent_status(&w.a, &st);
	if (len > CTL_MSG_MAX || ctl_status_decode(out, len, &got) < 0 ||
	    memcmp(&st, &got.st, sizeof(st)) || got.hooks_refused != hooks_refused())
		capture_fail("a status reply does not decode to the status");
	bool held = rc_agent_notice(&w.a, &n) == RC_OK;
	if (held ? !rc_str_eq(got.text, n.text) || !rc_str_eq(got.url, n.remedy_url)
		 : got.text.n || got.url.n)
		capture_fail("a status reply with the wrong notice text or URL");
	/* A reply of another length (a daemon of another build) is refused, never misread. */
	if (ctl_status_decode(out, len - 1, &got) == 0 ||
	    (len < CTL_MSG_MAX && ctl_status_decode(out, len + 1, &got) == 0))
		capture_fail("a status reply of the wrong length decodes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		init();
		ready = true;
	}
	if (size < 1)
		return 0;
	bool owner = data[0] & 2;
	memcpy(&w, &base[data[0] & 1], sizeof(w));
	w.a.ctx = &w.s;
	const uint8_t *p = data + 1, *end = data + size;
	capture_begin(); /* overrides are logged */
	for (int i = 0; i < 8 && p < end; i++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char req[CTL_REQ_MAX + 1];
		struct rc_agent_status before, after;
		if (n > CTL_REQ_MAX)
			n = CTL_REQ_MAX;
		memcpy(req, p, n);
		req[n] = 0;
		p = nl ? nl + 1 : end;
		if (n < 1)
			continue;
		rc_agent_status(&w.a, &before);
		size_t len = ctl_handle(&w.a, req, n, owner, 1000, out);
		rc_agent_status(&w.a, &after);
		if (len > CTL_MSG_MAX)
			capture_fail("a reply out of bounds");
		if (!owner && req[0] != CTL_STATUS &&
		    (out[0] != RC_ERR_INVALID || memcmp(&before, &after, sizeof(before))))
			capture_fail("a request of someone else was not refused");
		if (len < 1 || out[0] >= RC_ERR__COUNT)
			capture_fail("a reply that is not an rc_err code");
		if (owner && req[0] == CTL_OVERRIDE && out[0] == RC_OK &&
		    (strlen(req + 1) > RC_NOTICE_ID_MAX ||
		     !(after.override_all || after.noverrides)))
			capture_fail("an override that succeeded but is not recorded");
		check_status();
	}
	capture_end();
	capture_free();
	return 0;
}
