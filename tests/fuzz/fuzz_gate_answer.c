/* libFuzzer target: recall-gate's check-in answers (gate/checkin.c, checkin mode): any datagram
 * from the responder for an outstanding check-in of one device (ACME / cam-1 / 1.2.3, described
 * by UPnP). Whatever it holds, the device ends up quarantined only by a notice that passes
 * rc_notice_check for its identity with the fixture anchors (2 of 3); nothing crashes. Seeds
 * (corpus/gate_answer, written by test_gate_check with RECALL_WRITE_SEEDS) hold a genuine
 * recall, a forged one, clear, retry-later, unsupported and a rotation, all for nonce 0; and
 * (written by test_gate_checkin_private) bucket answers listing cam-1 or not.
 * Every input is judged three times: as the answer to a check-in, and with checkin-private as
 * the answer to a private check-in (which nothing may turn into a quarantine: a bucket is
 * unsigned) and to a notice request. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixtures.h"
#include "gated.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gate g;
static struct gate_device *dev;
static struct rc_anchors anchors0; /* a rotation answer replaces them: back for every input */
static const uint8_t resp[16] = {127, 0, 0, 1};

static void init(void)
{
	static struct gate_check c;
	struct fx_key keys[3];
	if (fx_anchors(&c.anchors, keys, 3, 2, 1, 0x40))
		abort();
	anchors0 = c.anchors;
	c.checkin = true;
	c.clock = 1;
	c.fd = -1; /* a rotation's new attempt fails to send: counted, harmless */
	c.nresp = 1;
	c.resp_family[0] = 4;
	memcpy(c.resp_addr[0], resp, 16);
	c.resp_port[0] = RC_PORT;
	g.check = &c;
	g.now = FX_NOW;
	g.inv = gate_inv_new(3600);
	struct gate_obs o;
	memset(&o, 0, sizeof(o));
	o.has_mac = true;
	o.mac[0] = 2;
	const char *v[] = {"ACME", "cam-1", "1.2.3"};
	const enum gate_field f[] = {GF_MANUFACTURER, GF_MODEL, GF_FWVER};
	for (int i = 0; i < 3; i++) {
		strcpy(o.f[f[i]].v, v[i]);
		o.f[f[i]].src = GS_UPNP;
	}
	dev = gate_inv_observe(&g, &o);
	if (!dev || gate_identity(dev, NULL) < 0 || !gate_build_level(dev))
		abort();
}

/* One answer to the device's outstanding check: priv, walk: checkin-private, a notice request
 * outstanding (index 0 of 2) rather than a private check-in. */
static void one(const uint8_t *data, size_t size, bool priv, bool walk)
{
	struct gate_check *c = g.check;
	c->priv = priv;
	c->anchors = anchors0;
	c->floor = 0;
	memset(c->held, 0, sizeof(c->held));
	dev->state = GATE_ST_UNCHECKED;
	dev->policy = GATE_POL_ENFORCE;
	dev->notice_id[0] = '\0';
	memset(c->pend, 0, sizeof(c->pend));
	struct gate_pend *p = &c->pend[0];
	p->used = p->waiting = true;
	memcpy(p->mac, dev->mac, 6);
	p->walk = walk;
	p->pcount = walk ? 2 : 0;
	const struct rc_str *s[4] = {&dev->id.vendor, &dev->id.model, &dev->id.hwrev,
				     &dev->id.fwver};
	for (int i = 0; i < 4; i++)
		memcpy(p->s[i], s[i]->p, s[i]->n + 1);
	gate_checkin_answer(&g, data, size, 4, resp, RC_PORT);
	if (dev->state == GATE_ST_QUARANTINED) {
		/* only a verified notice for this identity, kept for the page */
		struct rc_notice n;
		if (gate_checkin_notice(c, dev->notice_id, &n) || !rc_notice_covers(&n, &dev->id))
			abort();
		bool found = false;
		for (size_t i = 0; i < GATE_HELD_MAX && !found; i++) {
			struct rc_notice m;
			found = c->held[i].len && !strcmp(c->held[i].id, dev->notice_id) &&
				rc_notice_check(&m, c->held[i].b, c->held[i].len, &c->anchors,
						&dev->id, g.now, true, NULL, NULL) == RC_OK;
		}
		if (!found)
			abort();
	}
	if (dev->state != GATE_ST_UNCHECKED && dev->state != GATE_ST_CLEAR &&
	    dev->state != GATE_ST_QUARANTINED)
		abort();
	if (priv && !walk && dev->state == GATE_ST_QUARANTINED)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dev)
		init();
	one(data, size, false, false);
	one(data, size, true, false);
	one(data, size, true, true);
	return 0;
}
