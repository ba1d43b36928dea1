/* The owner's actions on one device (page, JSON API, `recall-gate action`): quarantine and
 * release by hand, the per-device policy (enforce, notify only, always allow), and the firmware
 * version the owner reads off a device known by model only. Policy: a verified build-level
 * recall with action quarantine is enforced unless the owner chose otherwise; a model-only
 * guess or an unknown device is never enforced by a check, only by the owner's own hand. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "recall/text.h"

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

int gate_action_device(struct gate *g, struct gate_device *d, enum gate_action act, const char *arg,
		       char *err, size_t errlen)
{
	switch (act) {
	case GATE_ACT_QUARANTINE:
		/* The owner's own quarantine: no notice, and no check lifts it (check.c). */
		d->state = GATE_ST_QUARANTINED;
		d->notice_id[0] = '\0';
		if (d->policy == GATE_POL_ALLOW)
			d->policy = GATE_POL_ENFORCE;
		break;
	case GATE_ACT_RELEASE:
		if (gate_agent_quarantined(d)) {
			/* The agent's own quarantine stays on the device; the gateway lets it go.
			 */
			d->policy = GATE_POL_ALLOW;
		} else if (d->state == GATE_ST_QUARANTINED && d->notice_id[0]) {
			/* The recall stands (shown), it is no longer enforced: notify only. */
			d->policy = GATE_POL_NOTIFY;
			d->state = GATE_ST_RECALLED;
		} else {
			d->state = GATE_ST_UNCHECKED;
			d->notice_id[0] = '\0';
			if (g->check)
				gate_check_device(g, d);
		}
		break;
	case GATE_ACT_ALLOW:
		d->policy = GATE_POL_ALLOW;
		if (d->state == GATE_ST_QUARANTINED && d->notice_id[0])
			d->state = GATE_ST_RECALLED;
		break;
	case GATE_ACT_NOTIFY:
		d->policy = GATE_POL_NOTIFY;
		if (d->state == GATE_ST_QUARANTINED && d->notice_id[0])
			d->state = GATE_ST_RECALLED;
		break;
	case GATE_ACT_ENFORCE:
		d->policy = GATE_POL_ENFORCE;
		if (g->check && d->state != GATE_ST_QUARANTINED)
			gate_check_device(g, d);
		break;
	case GATE_ACT_CONFIRM_FW: {
		size_t n = arg ? strlen(arg) : 0;
		if (!n || n > RC_FWVER_MAX || !rc_fwver_valid((struct rc_str){arg, n}))
			return fail(
			    err, errlen,
			    "firmware version: 1-64 printable ASCII characters, no edge spaces");
		struct gate_val *v = &d->f[GF_FWVER];
		snprintf(v->v, sizeof(v->v), "%s", arg);
		v->src = GS_OWNER;
		v->seen = g->now;
		/* The identity now has a build: derive it again and check it. */
		if (gate_identity(d, g->aliases) < 0)
			return fail(err, errlen, "identity: not usable with this firmware version");
		if (d->state == GATE_ST_POSSIBLE)
			d->state = GATE_ST_UNCHECKED;
		if (g->check)
			gate_check_device(g, d);
		break;
	}
	default:
		return fail(err, errlen, "unknown action");
	}
	if (gate_enforce_apply(g, d))
		return fail(err, errlen, "nftables: the change could not be applied (see the log)");
	static const char *const names[] = {"?",     "quarantine", "release", "confirm-fw",
					    "allow", "notify",     "enforce"};
	log_info("owner action %s on %02x:%02x:%02x:%02x:%02x:%02x: %s, policy %s", names[act],
		 d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5],
		 gate_state_name(d->state), gate_policy_name(d->policy));
	return 0;
}

int gate_action(struct gate *g, const uint8_t mac[6], enum gate_action act, const char *arg,
		char *err, size_t errlen)
{
	struct gate_device *d = g->inv ? gate_inv_find(g->inv, mac) : NULL;
	if (!d)
		return fail(err, errlen, "no such device");
	if (gate_action_device(g, d, act, arg, err, errlen))
		return -1;
	if (gate_inv_save(g))
		log_warnx("inventory not saved after an owner action");
	return 0;
}
