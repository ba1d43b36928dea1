/* recall-gate: the home gateway's recall daemon and its commands (recall-gate(8)).
 *   recall-gate [-c FILE] [-f] [-v] run
 *   recall-gate [-c FILE] status [--json]
 *   recall-gate [-c FILE] action MAC quarantine|release|allow|notify|enforce|confirm-fw VERSION
 *   recall-gate [-c FILE] passwd                           (owner password, from stdin)
 *   recall-gate [-c FILE] lease ACTION MAC IP [HOSTNAME]   (dnsmasq --dhcp-script; also as
 *                                                           recall-gate-lease ACTION MAC ...)
 *   recall-gate -h|--help, -V|--version
 * Exit status: 0 success, 1 error (configuration, daemon, refused), 2 usage. The lease hook
 * always exits 0. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "gated.h"
#include "web.h"

#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0.1.0"
#endif

int gate_run(struct gate *g, const struct gated_opts *o, bool foreground, int verbose);

/* recall-gate.conf(5) as parsed; copied into struct gate_config (fixed-size fields). */
struct rawconf {
	char *interface, *wan_interface, *state_dir, *control_socket, *web_listen;
	char *feed, *feed_key, *anchors, *vendors_map, *oui_file, *odhcpd_statefile;
	char *fingerprints;
	unsigned check_mode, default_policy;
	struct conf_addr_list responder;
	struct conf_str_list remedy_allow, publication;
	uint64_t publication_poll, publication_timeout, publication_max_bytes;
	uint64_t check_interval, absent_after, search_interval;
	bool fetch_upnp, fetch_mud, checkin_private;
};

#define F(x) offsetof(struct rawconf, x)
#define DAY  86400000ull
static const char *const mode_names[] = {"feed", "checkin", NULL};
static const char *const policy_names[] = {"enforce", "notify", "allow", NULL};
static const struct conf_key keys[] = {
    {"interface", CONF_STRING, F(interface), 0, 15, "br-lan", NULL, NULL, NULL},
    {"wan-interface", CONF_STRING, F(wan_interface), 0, 15, NULL, NULL, NULL, NULL},
    {"state-dir", CONF_PATH, F(state_dir), 1, 0, "/var/lib/recall-gate", NULL, NULL, NULL},
    {"control-socket", CONF_PATH, F(control_socket), 1, 0, GATED_CTL_DEF, NULL, NULL, NULL},
    {"web-listen", CONF_STRING, F(web_listen), 0, 63, NULL, NULL, NULL, NULL},
    {"check-mode", CONF_ENUM, F(check_mode), 0, 0, "feed", mode_names, NULL, NULL},
    {"feed", CONF_PATH, F(feed), 0, 0, NULL, NULL, NULL, NULL}, /* default below */
    {"publication", CONF_STR_LIST, F(publication), 0, 16, NULL, NULL, NULL, NULL},
    {"publication-poll", CONF_DURATION, F(publication_poll), 1000, DAY, "5m", NULL, NULL, NULL},
    {"publication-timeout", CONF_DURATION, F(publication_timeout), 1000, 600000, "30s", NULL, NULL,
     NULL},
    {"publication-max-bytes", CONF_UINT, F(publication_max_bytes), 1u << 20, (uint64_t)1 << 40,
     "268435456", NULL, NULL, NULL},
    {"feed-key", CONF_PATH, F(feed_key), 0, 0, "/etc/recall/feed.pub", NULL, NULL, NULL},
    {"anchors", CONF_PATH, F(anchors), 0, 0, "/etc/recall/anchors.cbor", NULL, NULL, NULL},
    {"responder", CONF_ADDR_LIST, F(responder), 0, 4, NULL, NULL, NULL, NULL},
    {"checkin-private", CONF_BOOL, F(checkin_private), 0, 0, "no", NULL, NULL, NULL},
    {"check-interval", CONF_DURATION, F(check_interval), 60000, 30 * DAY, "1d", NULL, NULL, NULL},
    {"vendors-map", CONF_PATH, F(vendors_map), 0, 0, "/usr/share/recall/gate/vendors.map", NULL,
     NULL, NULL},
    {"oui-file", CONF_PATH, F(oui_file), 0, 0, "/usr/share/recall/gate/oui.txt", NULL, NULL, NULL},
    {"dhcp-fingerprints", CONF_PATH, F(fingerprints), 0, 0,
     "/usr/share/recall/gate/dhcp-fingerprints.txt", NULL, NULL, NULL},
    {"fetch-upnp", CONF_BOOL, F(fetch_upnp), 0, 0, "yes", NULL, NULL, NULL},
    {"fetch-mud", CONF_BOOL, F(fetch_mud), 0, 0, "yes", NULL, NULL, NULL},
    {"default-policy", CONF_ENUM, F(default_policy), 0, 0, "enforce", policy_names, NULL, NULL},
    {"remedy-allow", CONF_STR_LIST, F(remedy_allow), 0, 4, NULL, NULL, NULL, NULL},
    {"absent-after", CONF_DURATION, F(absent_after), 60000, 30 * DAY, "1h", NULL, NULL, NULL},
    {"odhcpd-statefile", CONF_PATH, F(odhcpd_statefile), 0, 0, NULL, NULL, NULL, NULL},
    {"search-interval", CONF_DURATION, F(search_interval), 300000, DAY, "1h", NULL, NULL, NULL},
    CONF_END,
};

static int copy(char *dst, size_t cap, const char *src, const char *key, char *err, size_t el)
{
	if (!src)
		src = "";
	if (strlen(src) >= cap) {
		snprintf(err, el, "%s: longer than %zu bytes", key, cap - 1);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

#define GATE_FEED_DEF "/var/lib/recall-gate/feed.cbor"

/* publication: mirror URLs (recall-gate-pub checks them fully before its first fetch); the
 * feed then comes from them, so a feed file is an error, not a silent choice of one. */
static int publication(struct rawconf *r, struct gated_opts *o, char *err, size_t el)
{
	if (!r->publication.n)
		return 0;
	if (r->check_mode != 0) {
		snprintf(err, el, "publication: only with check-mode feed");
		return -1;
	}
	if (r->feed) {
		snprintf(err, el,
			 "feed: not with publication (the feed comes from the publication)");
		return -1;
	}
	if (r->publication_poll % 1000) {
		snprintf(err, el, "publication-poll: whole seconds, 1s or more");
		return -1;
	}
	for (size_t i = 0; i < r->publication.n; i++) {
		const char *u = r->publication.v[i];
		if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8) &&
		    strncmp(u, "file:///", 8) && u[0] != '/') {
			snprintf(err, el,
				 "line %u: publication: %s: expected an http://, https:// or "
				 "file:/// URL or an absolute directory",
				 r->publication.line[i], u);
			return -1;
		}
	}
	o->publication = r->publication.v; /* kept: conf_free does not see them any more */
	o->npublication = r->publication.n;
	o->publication_poll_ms = r->publication_poll;
	o->publication_timeout_ms = r->publication_timeout;
	o->publication_max_bytes = r->publication_max_bytes;
	r->publication.v = NULL;
	r->publication.n = 0;
	return 0;
}

/* What config_load allocated in o. */
static void opts_free(struct gated_opts *o)
{
	free(o->ctl_socket);
	free(o->odhcpd_statefile);
	for (size_t i = 0; i < o->npublication; i++)
		free(o->publication[i]);
	free(o->publication);
	o->ctl_socket = o->odhcpd_statefile = NULL;
	o->publication = NULL;
	o->npublication = 0;
}

static int config_load(const char *path, struct gate_config *c, struct gated_opts *o, char *err,
		       size_t el)
{
	static struct rawconf r;
	memset(&r, 0, sizeof(r));
	if (conf_parse_file(keys, &r, path, err, el) < 0) {
		conf_free(keys, &r);
		return -1;
	}
	int rc = 0;
	memset(c, 0, sizeof(*c));
	rc |= copy(c->interface, sizeof(c->interface), r.interface, "interface", err, el);
	rc |= copy(c->wan_interface, sizeof(c->wan_interface), r.wan_interface, "wan-interface",
		   err, el);
	rc |= copy(c->state_dir, sizeof(c->state_dir), r.state_dir, "state-dir", err, el);
	rc |= copy(c->web_listen, sizeof(c->web_listen), r.web_listen, "web-listen", err, el);
	rc |= copy(c->check_mode, sizeof(c->check_mode), mode_names[r.check_mode], "check-mode",
		   err, el);
	rc |= publication(&r, o, err, el);
	if (r.checkin_private && r.check_mode != 1 && !rc) {
		snprintf(err, el, "checkin-private: only with check-mode checkin");
		rc = -1;
	}
	c->checkin_private = r.checkin_private;
	rc |= copy(c->feed, sizeof(c->feed),
		   r.feed ? r.feed : (r.publication.n ? "" : GATE_FEED_DEF), "feed", err, el);
	rc |= copy(c->feed_key, sizeof(c->feed_key), r.feed_key, "feed-key", err, el);
	rc |= copy(c->anchors, sizeof(c->anchors), r.anchors, "anchors", err, el);
	rc |= copy(c->vendors_map, sizeof(c->vendors_map), r.vendors_map, "vendors-map", err, el);
	rc |= copy(c->oui_file, sizeof(c->oui_file), r.oui_file, "oui-file", err, el);
	rc |= copy(c->fingerprints, sizeof(c->fingerprints), r.fingerprints, "dhcp-fingerprints",
		   err, el);
	for (size_t i = 0; i < r.responder.n; i++)
		conf_addr_format(&r.responder.v[i], c->responder[i], sizeof(c->responder[i]));
	c->nresponder = (uint32_t)r.responder.n;
	for (size_t i = 0; i < r.remedy_allow.n; i++)
		rc |= copy(c->remedy_allow[i], sizeof(c->remedy_allow[i]), r.remedy_allow.v[i],
			   "remedy-allow", err, el);
	c->nremedy_allow = (uint32_t)r.remedy_allow.n;
	c->check_interval_s = (uint32_t)(r.check_interval / 1000);
	c->fetch_upnp = r.fetch_upnp;
	c->fetch_mud = r.fetch_mud;
	c->default_policy = (uint8_t)r.default_policy;
	o->ctl_socket = strdup(r.control_socket);
	o->absent_after_ms = r.absent_after;
	o->search_interval_ms = r.search_interval;
	o->odhcpd_statefile = strdup(r.odhcpd_statefile ? r.odhcpd_statefile : "");
	if (!c->interface[0] && !rc) {
		snprintf(err, el, "%s: interface: the LAN interface must be named", path);
		rc = -1;
	} else if (rc) {
		char tmp[CONF_ERR_MAX];
		snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		snprintf(err, el, "%s", tmp);
	}
	conf_free(keys, &r);
	if (rc || !o->ctl_socket || !o->odhcpd_statefile) {
		opts_free(o);
		return -1;
	}
	return 0;
}

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: recall-gate [-c config] [-f] [-v] run\n"
		   "       recall-gate [-c config] status [--json]\n"
		   "       recall-gate [-c config] action MAC "
		   "quarantine|release|allow|notify|enforce\n"
		   "       recall-gate [-c config] action MAC confirm-fw VERSION\n"
		   "       recall-gate [-c config] passwd\n"
		   "       recall-gate [-c config] lease ACTION MAC IP [HOSTNAME]\n"
		   "       recall-gate -h|--help | -V|--version\n"
		   "options: -c, --config FILE   configuration (default " GATED_CONF_DEF ")\n"
		   "         -f, --foreground    log to stderr, do not use syslog\n"
		   "         -v, --verbose       debug messages (run)\n"
		   "See recall-gate(8) and recall-gate.conf(5).\n");
	return status;
}

int main(int argc, char **argv)
{
	static struct gate g;
	struct gated_opts o = {0};
	const char *conf = GATED_CONF_DEF;
	bool foreground = false;
	int verbose = 0, c;
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	bool hook = !strcmp(base, "recall-gate-lease");
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"foreground", no_argument, NULL, 'f'},
	    {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	char err[CONF_ERR_MAX];
	if (hook) {
		/* dnsmasq's script: never a usage error, never a non-zero exit. */
		if (config_load(conf, &g.cfg, &o, err, sizeof(err)) < 0)
			o.ctl_socket = strdup(GATED_CTL_DEF);
		return o.ctl_socket ? cmd_lease(o.ctl_socket, argc - 1, argv + 1) : 0;
	}
	while ((c = getopt_long(argc, argv, "+c:fvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			return usage(stdout, 0);
		case 'V':
			printf("recall-gate %s\n", RECALL_VERSION_STRING);
			return 0;
		default:
			return usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr, 2);
	const char *cmd = argv[0];
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	if (!strcmp(cmd, "help"))
		return usage(stdout, 0);
	if (!((!strcmp(cmd, "run") && argc == 1) ||
	      (!strcmp(cmd, "status") && (argc == 1 || json)) ||
	      (!strcmp(cmd, "action") && (argc == 3 || argc == 4)) ||
	      (!strcmp(cmd, "passwd") && argc == 1) || !strcmp(cmd, "lease")))
		return usage(stderr, 2);
	if (config_load(conf, &g.cfg, &o, err, sizeof(err)) < 0) {
		if (!strcmp(cmd, "lease"))
			return cmd_lease(GATED_CTL_DEF, argc - 1, argv + 1);
		fprintf(stderr, "recall-gate: %s\n", err);
		return 1;
	}
	int rc;
	if (!strcmp(cmd, "run"))
		rc = gate_run(&g, &o, foreground, verbose);
	else if (!strcmp(cmd, "status"))
		rc = cmd_status(o.ctl_socket, json);
	else if (!strcmp(cmd, "passwd"))
		rc = gate_passwd_main(&g.cfg);
	else if (!strcmp(cmd, "action"))
		rc = cmd_action(o.ctl_socket, argc - 1, argv + 1);
	else
		rc = cmd_lease(o.ctl_socket, argc - 1, argv + 1);
	opts_free(&o);
	return rc;
}
