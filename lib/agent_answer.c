/* The agent's answer acceptance (WIRE "Agent state machine"): which outstanding datagram an
 * answer belongs to and whether its type may answer it, in normal and private mode
 * (PROTOCOL.md 12.3, 18.4); and the unsigned answer that ends an episode, clear. */
#include <sodium.h>

#include "agent_state.h"

/* The outstanding datagram that nonce answers (from responder r), if an answer of type t fits
 * it: a proof request is answered by a proof or retry-later (or unsupported) only, a check-in
 * never by a proof; in private mode a private check-in by a bucket, and a notice request by
 * recalled or clear; each by retry-later, unsupported or rotate. Else counted and logged. */
int rc__agent_pending(struct rc_agent *a, uint8_t t, const uint8_t nonce[RC_NONCE_LEN], uint8_t r,
		      struct rc_agent_pending **out)
{
	struct rc_agent_pending *p = NULL;
	for (size_t i = 0; i < RC_AGENT_OUTSTANDING; i++)
		if (a->pend[i].used && sodium_memcmp(a->pend[i].nonce, nonce, RC_NONCE_LEN) == 0)
			p = &a->pend[i];
	if (!p) {
		a->c.rx_nonce++;
		rc__agent_sayr(a, RC_LOG_INFO,
			       "%s answer ignored: no outstanding check-in with its nonce",
			       rc_msg_type_name(t));
		return RC_ERR_NONCE;
	}
	if (p->responder != r) {
		a->c.rx_source++;
		rc__agent_sayr(a, RC_LOG_INFO,
			       "answer ignored: nonce was sent to another responder");
		return RC_ERR_INVALID;
	}
	bool any = t == RC_MSG_RETRY || t == RC_MSG_UNSUPPORTED;
	bool ok = p->proof ? any || t == RC_MSG_PROOF
		  : p->priv == RC_AGENT_PEND_BUCKET
		      ? any || t == RC_MSG_ROTATE || t == RC_MSG_BUCKET
		  : p->priv == RC_AGENT_PEND_NOTICE
		      ? any || t == RC_MSG_ROTATE || t == RC_MSG_RECALLED || t == RC_MSG_CLEAR
		      : t != RC_MSG_PROOF && t != RC_MSG_BUCKET;
	if (!ok) {
		static const char *const what[] = {"check-in", "private check-in",
						   "notice request"};
		a->c.rx_invalid++;
		rc__agent_sayr(a, RC_LOG_INFO, "%s answer to a %s ignored", rc_msg_type_name(t),
			       p->proof ? "proof request" : what[p->priv % 3]);
		return RC_ERR_TYPE;
	}
	*out = p;
	return RC_OK;
}

/* A clear answer, or its equal in private mode (18.4): the episode is over, a held notice is
 * released. Unsigned: it can release, never recall. */
void rc__agent_on_clear(struct rc_agent *a, uint8_t responder, uint64_t serial)
{
	rc__agent_settle(a, responder);
	a->c.clear++;
	a->feed_serial = serial;
	if (a->mode != RC_AGENT_IDLE)
		rc__agent_release(a, RC_AGENT_EV_RELEASED_CLEAR); /* written at once */
	rc__agent_schedule(a);
	rc__agent_persist_timing(a);
}
