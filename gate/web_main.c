/* recall-gate-web: the owner's page process, started by recall-gate (gate/web_listen.c) when a
 * browser connects, never by hand. argv: control socket, state folder, listen host and address
 * (for the Host check), vendors.map, oui.txt and dhcp-fingerprints.txt; fd 3 the listening
 * socket, fd 4 the daemon's socket pair (the sessions arrive on it and go back at exit). It
 * serves with libmicrohttpd (gate/web.c) and, before each request, reads the inventory from
 * the daemon's control socket (GATE_OP_INV) and derives the identities; notices come from
 * GATE_OP_NOTICE, actions go to GATE_OP_ACTION. It exits after WEB_IDLE_S without a
 * connection. Nothing here changes the gate's state except through the daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gated.h"
#include "log.h"
#include "parse.h"
#include "web.h"
#include "seccomp.h"

#define WEB_IDLE_S  120 /* no connection this long: the process ends */
#define NOTICES_MAX 32  /* notices held per inventory snapshot */

static const char *ctl;
static struct gate gate;
static const void *aliases;
static struct {
	char id[RC_NOTICE_ID_MAX + 1];
	size_t len;
	uint8_t *buf;
} notices[NOTICES_MAX];
static size_t nnotices;

/* A fresh inventory from the daemon, identities derived here as the daemon derives them. */
static void refresh(struct web_ctx *w)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	int st = 1;
	gate.now = (uint64_t)time(NULL);
	for (size_t i = 0; i < nnotices; i++)
		free(notices[i].buf);
	nnotices = 0;
	if (gate_ctl_request(ctl, GATE_OP_INV, NULL, 0, &buf, &len, &st) < 0 || st != 0) {
		log_warnx("web: inventory from %s: %s", ctl, st ? "refused" : strerror(errno));
		free(buf);
		return; /* the last one stays */
	}
	struct gate_inv *inv = gate_inv_new(86400);
	if (!inv || gate_inv_parse(inv, "inventory", buf, len, err, sizeof err) < 0) {
		log_warnx("web: inventory from the daemon: %s", inv ? err : "out of memory");
		gate_inv_free(inv);
		free(buf);
		return;
	}
	free(buf);
	for (size_t i = 0; i < gate_inv_count(inv); i++)
		gate_identity(gate_inv_at(inv, i), aliases);
	gate_inv_free(gate.inv);
	gate.inv = inv;
}

int gate_notice_get(struct gate *g, const char *id, struct rc_notice *out)
{
	size_t i;
	for (i = 0; i < nnotices && strcmp(notices[i].id, id); i++)
		;
	if (i == nnotices) {
		char *buf = NULL;
		size_t len = 0;
		int st = 1;
		const char *s[1] = {id};
		if (nnotices == NOTICES_MAX || strlen(id) > RC_NOTICE_ID_MAX ||
		    gate_ctl_request(ctl, GATE_OP_NOTICE, s, 1, &buf, &len, &st) < 0 || st != 0) {
			free(buf);
			return -1;
		}
		snprintf(notices[i].id, sizeof notices[i].id, "%s", id);
		notices[i].buf = (uint8_t *)buf;
		notices[i].len = len;
		nnotices++;
	}
	struct rc_diag diag;
	/* the daemon verified it; decoded again here only to render it */
	return rc_notice_decode(out, notices[i].buf, notices[i].len, &diag) == 0 ? 0 : -1;
}

int gate_action(struct gate *g, const uint8_t mac[6], enum gate_action act, const char *arg,
		char *err, size_t errlen)
{
	static const char *const names[] = {"",      "quarantine", "release", "confirm-fw",
					    "allow", "notify",     "enforce"};
	char m[18], *buf = NULL;
	size_t len = 0;
	int st = 1;
	if ((unsigned)act >= sizeof names / sizeof names[0] || !act) {
		snprintf(err, errlen, "no such action");
		return -1;
	}
	gate_mac_format(mac, m);
	const char *s[3] = {m, names[act], arg};
	if (gate_ctl_request(ctl, GATE_OP_ACTION, s, arg ? 3 : 2, &buf, &len, &st) < 0) {
		snprintf(err, errlen, "the gate does not answer: %s", strerror(errno));
		free(buf);
		return -1;
	}
	if (st != 0)
		snprintf(err, errlen, "%.*s", (int)(len < 200 ? len : 200), buf ? buf : "refused");
	free(buf);
	return st == 0 ? 0 : -1;
}

/* All n bytes of the sessions in or out over the daemon's socket pair; 0 or -1. */
static int move_all(int fd, void *p, size_t n, bool out)
{
	for (size_t off = 0; off < n;) {
		ssize_t k = out ? write(fd, (const uint8_t *)p + off, n - off)
				: read(fd, (uint8_t *)p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct web_ctx ctx; /* static: the sessions are not left on the stack */
	char err[512];
	if (argc != 8 || isatty(3)) {
		fprintf(stderr, "recall-gate-web: started by recall-gate only\n");
		return 2;
	}
	log_init("recall-gate-web", true, 0);
	if (gate_confine(0) != 0) { /* no capabilities, even when started by root (procd) */
		log_warnx("cannot drop capabilities");
		return 1;
	}
	if (gate_seccomp(err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return 1;
	}
	ctl = argv[1];
	if (move_all(4, &ctx.auth, sizeof ctx.auth, false) < 0)
		return 1;
	snprintf(ctx.auth.pwfile, sizeof ctx.auth.pwfile, "%s/password", argv[2]);
	snprintf(ctx.listen_host, sizeof ctx.listen_host, "%s", argv[3]);
	snprintf(ctx.listen_addr, sizeof ctx.listen_addr, "%s", argv[4]);
	aliases = gate_aliases_load(argv[5][0] ? argv[5] : NULL, argv[6][0] ? argv[6] : NULL, err,
				    sizeof err);
	if (aliases && argv[7][0])
		gate_fingerprints_load(aliases, argv[7], err, sizeof err);
	ctx.g = &gate;
	ctx.refresh = refresh;
	refresh(&ctx);
	int rc = web_serve(&ctx, 3, 4, WEB_IDLE_S, err, sizeof err);
	if (rc < 0)
		log_warnx("%s", err);
	if (move_all(4, &ctx.auth, sizeof ctx.auth, true) < 0)
		return 1;
	return rc < 0 ? 1 : 0;
}
