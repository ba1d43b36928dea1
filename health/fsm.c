/* The announcement state machine: rise/fall counts and a re-announce hold-down, as anycast
 * operators run them (anycast-healthchecker, ExaBGP's healthcheck): one failed check is noise,
 * `fall` in a row withdraw the route; after a withdrawal the node comes back only once its
 * checks have passed without a break for the hold-down (and at least `rise` of them), so a
 * flapping node does not flap the route (each flap moves clients between nodes, and BGP
 * route flap dampening upstream would punish it for longer). At start no hold-down applies. */
#include "hc.h"

void hc_fsm_init(struct hc_fsm *f, unsigned rise, unsigned fall, uint64_t hold_ms)
{
	*f = (struct hc_fsm){.rise = rise ? rise : 1, .fall = fall ? fall : 1, .hold_ms = hold_ms};
}

uint64_t hc_fsm_hold_left(const struct hc_fsm *f, uint64_t now_ms)
{
	if (!f->withdrawn_once || f->up)
		return 0;
	if (!f->ok_run) /* the hold-down starts with the first pass */
		return f->hold_ms;
	uint64_t passed = now_ms - f->ok_since;
	return passed >= f->hold_ms ? 0 : f->hold_ms - passed;
}

enum hc_change hc_fsm_step(struct hc_fsm *f, bool ok, uint64_t now_ms)
{
	if (ok) {
		f->bad_run = 0;
		if (!f->ok_run)
			f->ok_since = now_ms;
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
		return HC_WITHDRAW;
	}
	if (!f->up && f->ok_run >= f->rise && !hc_fsm_hold_left(f, now_ms)) {
		f->up = true;
		return HC_ANNOUNCE;
	}
	return HC_SAME;
}
