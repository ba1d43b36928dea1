/* Test driver for recall-gate's enforcement (tests/netns/gate_enforce.sh): the real check,
 * enforcement and owner-action code (gate_enforce) and the real inventory store (gate_core)
 * behind a line protocol on stdin, so a namespace test can drive quarantine without the whole
 * daemon. Prints "ready" once gate_enforce_init has installed the table and the persisted
 * sets (as the daemon does before it reports ready), then one "ok" or "err ..." per line of
 * tab-separated words (values may hold spaces):
 *   dev MAC ADDR...              the device is seen at these addresses (neighbour table)
 *   id MAC VENDOR MODEL [FWVER]  its UPnP manufacturer, model and firmware: identity, check
 *   quarantine|release|allow|notify|enforce MAC     owner action
 *   confirm MAC FWVER            owner confirms the firmware version
 *   state MAC                    prints "state N notice ID blocked 0|1"
 *   verify                       the table is there, else installed again (gate_enforce_verify)
 *   quit */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "gated.h"
#include "log.h"

static struct gate g;

static struct gate_device *find(const char *mac)
{
	uint8_t m[6];
	return mac && !gate_mac_parse(mac, m) ? gate_inv_find(g.inv, m) : NULL;
}

static int cmd(char **av, int ac, char *err, size_t errlen)
{
	static const char *const acts[] = {"quarantine", "release", "confirm",
					   "allow",      "notify",  "enforce"};
	struct gate_device *d = ac > 1 ? find(av[1]) : NULL;
	if (!strcmp(av[0], "verify"))
		return gate_enforce_verify(&g) < 0 ? -1 : 0;
	if (!strcmp(av[0], "dev") && ac >= 2) {
		struct gate_obs o;
		memset(&o, 0, sizeof(o));
		if (gate_mac_parse(av[1], o.mac))
			return snprintf(err, errlen, "bad mac"), -1;
		o.has_mac = true;
		for (int i = 2; i < ac; i++) {
			if (gate_addr_parse(av[i], &o.addr))
				return snprintf(err, errlen, "bad address %s", av[i]), -1;
			d = gate_inv_observe(&g, &o);
		}
		if (ac == 2)
			d = gate_inv_observe(&g, &o);
		return d ? gate_enforce_apply(&g, d) : -1;
	}
	if (!d)
		return snprintf(err, errlen, "no such device"), -1;
	if (!strcmp(av[0], "id") && ac >= 4) {
		/* as a UPnP description would give it; G1's gate_identity derives the identity */
		const enum gate_field fs[] = {GF_MANUFACTURER, GF_MODEL, GF_FWVER};
		for (int i = 0; i < 3 && 2 + i < ac; i++) {
			snprintf(d->f[fs[i]].v, GATE_VAL_MAX, "%s", av[2 + i]);
			d->f[fs[i]].src = GS_UPNP;
			d->f[fs[i]].seen = g.now;
		}
		if (gate_identity(d, NULL) < 0)
			return snprintf(err, errlen, "no identity"), -1;
		gate_check_device(&g, d);
		return 0;
	}
	if (!strcmp(av[0], "state")) {
		printf("state %d notice %s blocked %d\n", (int)d->state,
		       d->notice_id[0] ? d->notice_id : "-", gate_blocked(&g, d));
		return 1; /* answered */
	}
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(av[0], acts[i]))
			return gate_action(&g, d->mac, (enum gate_action)(i + 1),
					   ac > 2 ? av[2] : NULL, err, errlen);
	return snprintf(err, errlen, "unknown command"), -1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"interface", 1, NULL, 'i'}, {"state-dir", 1, NULL, 's'},
	    {"responder", 1, NULL, 'r'}, {"remedy-allow", 1, NULL, 'a'},
	    {"feed", 1, NULL, 'f'},      {"feed-key", 1, NULL, 'k'},
	    {"anchors", 1, NULL, 'A'},   {NULL, 0, NULL, 0}};
	int c;
	log_init("gate-enforce-drv", true, 0);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		struct gate_config *k = &g.cfg;
		switch (c) {
		case 'i':
			snprintf(k->interface, sizeof(k->interface), "%s", optarg);
			break;
		case 's':
			snprintf(k->state_dir, sizeof(k->state_dir), "%s", optarg);
			break;
		case 'f':
			snprintf(k->feed, sizeof(k->feed), "%s", optarg);
			break;
		case 'k':
			snprintf(k->feed_key, sizeof(k->feed_key), "%s", optarg);
			break;
		case 'A':
			snprintf(k->anchors, sizeof(k->anchors), "%s", optarg);
			break;
		case 'r':
			if (k->nresponder < 4)
				snprintf(k->responder[k->nresponder++], 64, "%s", optarg);
			break;
		case 'a':
			if (k->nremedy_allow < 4)
				snprintf(k->remedy_allow[k->nremedy_allow++], 64, "%s", optarg);
			break;
		default:
			return 2;
		}
	}
	char err[512];
	g.now = (uint64_t)time(NULL);
	g.inv = gate_inv_new(3600);
	if (gate_enforce_init(&g, err, sizeof(err)))
		fatalx("%s", err);
	if (g.cfg.anchors[0] && gate_check_init(&g, err, sizeof(err)))
		fatalx("%s", err);
	printf("ready\n");
	fflush(stdout);
	char line[1024];
	while (fgets(line, sizeof(line), stdin)) {
		char *av[16], *save = NULL;
		int ac = 0;
		for (char *t = strtok_r(line, "\t\n", &save); t && ac < 16;
		     t = strtok_r(NULL, "\t\n", &save))
			av[ac++] = t;
		if (!ac)
			continue;
		if (!strcmp(av[0], "quit"))
			break;
		g.now = (uint64_t)time(NULL);
		err[0] = '\0';
		int r = cmd(av, ac, err, sizeof(err));
		if (r < 0)
			printf("err %s\n", err[0] ? err : "failed");
		else if (r == 0)
			printf("ok\n");
		fflush(stdout);
	}
	gate_check_free(&g);
	gate_enforce_free(&g);
	gate_inv_free(g.inv);
	return 0;
}
