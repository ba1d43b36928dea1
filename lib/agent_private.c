/* The agent's private mode (docs/PROTOCOL.md 18.4): a private check-in names only the 12-bit
 * prefix of the model's hash; the bucket answer lists the tags of the models under it that
 * have notices; only a device whose tag is listed asks for its model's notices, one at a time,
 * and acts on the first that verifies and covers it (agent_recall.c). The walk lives in the
 * episode: retries, backoff and the attempt budget are the check-in's (agent.c). */
#include <string.h>

#include "agent_state.h"

void rc__agent_send_private(struct rc_agent *a, uint8_t reason)
{
	uint8_t nonce[RC_NONCE_LEN];
	a->ops->random(a->ctx, nonce, sizeof(nonce));
	if (a->walk) {
		struct rc_notice_request q;
		memset(&q, 0, sizeof(q));
		memcpy(q.nonce, nonce, sizeof(nonce));
		memcpy(q.tag, a->ptag, sizeof(q.tag));
		q.index = a->pindex;
		q.anchor_epoch = a->anchors.epoch;
		if (rc__agent_start_wait(a, rc_notice_request_encode(&q, a->buf.dgram),
					 "notice request"))
			rc__agent_send_dgram(a, nonce, false, RC_AGENT_PEND_NOTICE, reason);
		return;
	}
	struct rc_private_checkin c;
	memset(&c, 0, sizeof(c));
	memcpy(c.nonce, nonce, sizeof(nonce));
	c.reason = reason;
	c.state = a->mode == RC_AGENT_QUARANTINED  ? RC_STATE_QUARANTINED
		  : a->mode == RC_AGENT_OVERRIDDEN ? RC_STATE_OVERRIDDEN
						   : RC_STATE_NORMAL;
	c.prefix = a->pprefix;
	c.page = a->page;
	c.anchor_epoch = a->anchors.epoch;
	if (rc__agent_start_wait(a, rc_private_checkin_encode(&c, a->buf.dgram),
				 "private check-in"))
		rc__agent_send_dgram(a, nonce, false, RC_AGENT_PEND_BUCKET, reason);
}

/* The next step of the walk goes out at once, to the responder that answered, with a fresh
 * nonce. Every earlier nonce is forgotten, not only the answered one: a late answer to a retry
 * of the previous step (another page, another index) must not be taken for this step's. The
 * attempt count stays: one budget per episode. */
static void next_step(struct rc_agent *a, struct rc_agent_pending *p)
{
	a->rr = p->responder;
	rc__agent_clear_pending(a);
	a->waiting = false;
	rc__agent_send_private(a, a->reason);
}

int rc__agent_on_bucket(struct rc_agent *a, const uint8_t *buf, size_t len, uint8_t responder)
{
	struct rc_bucket b;
	struct rc_diag d = {0, NULL};
	int err = rc_bucket_decode(&b, buf, len, &d);
	if (err) {
		a->c.rx_garbage++;
		rc__agent_sayr(a, RC_LOG_INFO, "bucket answer ignored: %s at %s (offset %zu)",
			       rc_strerror(err), d.field ? d.field : "bucket", d.off);
		return err;
	}
	struct rc_agent_pending *p = NULL;
	err = rc__agent_pending(a, RC_MSG_BUCKET, b.nonce, responder, &p);
	if (err)
		return err;
	a->c.buckets++;
	unsigned n = rc_bucket_find(&b, a->ptag);
	if (n == 0 && a->page + 1u >= b.pages) {
		rc__agent_on_clear(a, responder, b.serial); /* as a clear answer, no more */
		return RC_OK;
	}
	if (n == 0) {
		a->page++;
		rc__agent_say(a, RC_LOG_DEBUG, "bucket page %u of %u: model not listed",
			      (unsigned)a->page, (unsigned)b.pages);
	} else {
		a->walk = true;
		a->pindex = 0;
		a->pcount = (uint16_t)n;
		a->pserial = b.serial;
		rc__agent_say(a, RC_LOG_INFO,
			      "private check-in: model listed with %u notice(s); asking for them",
			      n);
	}
	next_step(a, p);
	return RC_OK;
}

int rc__agent_walk_next(struct rc_agent *a, struct rc_agent_pending *p)
{
	rc__agent_say(a, RC_LOG_DEBUG, "notice %u of %u of the model does not cover this build",
		      (unsigned)a->pindex + 1, (unsigned)a->pcount);
	if (a->pindex + 1u >= a->pcount) {
		rc__agent_on_clear(a, p->responder, a->pserial);
		return RC_OK;
	}
	a->pindex++;
	next_step(a, p);
	return RC_OK;
}
