/* The announcement state machine: rise/fall counts and a re-announce hold-down, as anycast
 * operators run them (anycast-healthchecker, ExaBGP's healthcheck): one failed check is noise,
 * `fall` in a row withdraw the route; after a withdrawal the node comes back only when `rise`
 * checks in a row pass and the hold-down is over, so a flapping node does not flap the
 * route (each flap moves every client of the address, and BGP dampening would punish it). */
#include "hc.h"

void hc_fsm_init(struct hc_fsm *f, unsigned rise, unsigned fall, uint64_t hold_ms)
{
	*f = (struct hc_fsm){.rise = rise ? rise : 1, .fall = fall ? fall : 1, .hold_ms = hold_ms};
}

uint64_t hc_fsm_hold_left(const struct hc_fsm *f, uint64_t now_ms)
{
	if (!f->withdrawn_once || now_ms - f->down_at >= f->hold_ms)
		return 0;
	return f->hold_ms - (now_ms - f->down_at);
}

enum hc_change hc_fsm_step(struct hc_fsm *f, bool ok, uint64_t now_ms)
{
	if (ok) {
		f->bad_run = 0;
		if (f->ok_run < f->rise)
			f->ok_run++;
	} else {
		f->ok_run = 0;
		if (f->bad_run < f->fall)
			f->bad_run++;
	}
	if (f->up && f->bad_run >= f->fall) {
		f->up = false;
		f->withdrawn_once = true;
		f->down_at = now_ms;
		return HC_WITHDRAW;
	}
	if (!f->up && f->ok_run >= f->rise && !hc_fsm_hold_left(f, now_ms)) {
		f->up = true;
		return HC_ANNOUNCE;
	}
	return HC_SAME;
}
