/* What the daemon does with an observation (identity, check, enforcement, fetches), and the
 * daemon's side of the control socket (status, owner actions, dnsmasq's lease events).
 *
 * The control socket is SOCK_SEQPACKET in a folder only the gate's user can enter, mode 0600,
 * and each peer's credentials are checked again (root or the gate's own user): the lease hook
 * runs as root from dnsmasq, the owner's commands as root. One request is one message: an
 * operation byte and NUL-terminated strings. The reply is a stream of messages (a status byte
 * '0' ok / '1' error, then text) ended by the daemon closing the connection. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "gated.h"
#include "pubsync.h"
#include "log.h"
#include "parse.h"
#include "recall/msg.h"

static struct log_rate ctl_rl;
static uint64_t lease_bad;

/* Does the state disagree with what the device's own agent reports? An agent that announces
 * "normal" again after the device was fixed (same identity), or a quarantine or another notice
 * id, needs a check even though the identity did not change. */
static bool agent_report_changed(const struct gate_device *d)
{
	bool aq = gate_agent_quarantined(d);
	if (aq != (d->state == GATE_ST_AGENT_QUAR))
		return true;
	return aq && strncmp(d->notice_id, d->f[GF_AGENT_NOTICE].v, RC_NOTICE_ID_MAX) != 0;
}

/* Identity again when fields changed; check when the identity or the agent's report changed;
 * enforcement when the state or the addresses changed; fetches when a URL changed. */
void gate_changed(struct gate *g, struct gate_device *d, unsigned chg)
{
	enum gate_state st0 = d->state;
	if (chg & (GATE_CHG_NEW | GATE_CHG_FIELD)) {
		/* gate_identity: 1 when confidence, identity or mapping changed (parse.h). */
		if (gate_identity(d, g->aliases) == 1 || (chg & GATE_CHG_NEW) ||
		    agent_report_changed(d))
			gate_check_device(g, d);
	}
	if (d->state != st0 || (chg & (GATE_CHG_ADDR | GATE_CHG_NEW)))
		gate_enforce_apply(g, d);
	if ((chg & GATE_CHG_UPNP) && g->cfg.fetch_upnp && d->f[GF_UPNP_URL].v[0])
		gate_fetch_queue(g, d, GATE_FETCH_UPNP);
	if ((chg & GATE_CHG_MUD) && g->cfg.fetch_mud && d->f[GF_MUD_URL].v[0])
		gate_fetch_queue(g, d, GATE_FETCH_MUD);
	if (d->state != st0)
		gate_inv_touch(g->inv);
}

void gate_observe(struct gate *g, const struct gate_obs *o)
{
	unsigned chg;
	struct gate_device *moved, *d = gate_inv_observe_ex(g, o, &chg, &moved);
	if (moved)
		gate_enforce_apply(g, moved);
	if (d && chg)
		gate_changed(g, d, chg);
}

int gate_ctl_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	log_rate_init(&ctl_rl, 1, 5);
	/* We hold the state lock: a socket file left there is stale. */
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old = umask(0177); /* the socket file is created 0600 */
	int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	/* dnsmasq runs its script for every lease at its start: room for a burst of them. */
	if (rc < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void reply(int fd, char status, const char *text, size_t n)
{
	char first[1 + 32768];
	size_t k = n < sizeof(first) - 1 ? n : sizeof(first) - 1;
	first[0] = status;
	memcpy(first + 1, text, k);
	if (send(fd, first, k + 1, MSG_NOSIGNAL) < 0)
		return;
	for (size_t off = k; off < n; off += k) {
		k = n - off < 32768 ? n - off : 32768;
		if (send(fd, text + off, k, MSG_NOSIGNAL) < 0)
			return;
	}
}

static void reply_str(int fd, char status, const char *text)
{
	reply(fd, status, text, strlen(text));
}

static void do_status(struct gate *g, int fd)
{
	json_t *root = json_object(), *devs = json_array();
	for (size_t i = 0; root && devs && i < gate_inv_count(g->inv); i++) {
		json_t *d = gate_dev_json(g->inv, gate_inv_at(g->inv, i), g->now, true);
		if (d)
			json_array_append_new(devs, d);
	}
	const struct gate_inv_stats *is = gate_inv_stats(g->inv);
	const struct gate_listen_stats *ls = gate_listen_stats();
	json_object_set_new(root, "devices", devs);
	json_object_set_new(
	    root, "counters",
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "observed", (json_int_t)is->observed, "unresolved",
		      (json_int_t)is->unresolved, "refused_mac", (json_int_t)is->refused_mac,
		      "evicted", (json_int_t)is->evicted, "table_full", (json_int_t)is->full,
		      "lan_rx", (json_int_t)ls->rx, "lan_bad", (json_int_t)ls->bad,
		      "lan_foreign_if", (json_int_t)ls->foreign_if, "lan_ratelimited",
		      (json_int_t)ls->ratelimited, "lan_unresolved", (json_int_t)ls->unresolved,
		      "lan_mac_mismatch", (json_int_t)ls->mac_mismatch, "lan_unverified",
		      (json_int_t)ls->unverified, "lease_bad", (json_int_t)lease_bad));
	const struct gate_pub_stats *ps = gate_pub_stats();
	if (g->pub) {
		json_t *pub = json_object();
		for (int v = 0; pub && v < 8; v++)
			json_object_set_new(pub, pubsync_verdict_name((enum pubsync_verdict)v),
					    json_integer((json_int_t)ps->verdicts[v]));
		json_object_set_new(pub, "fetcher_started", json_integer((json_int_t)ps->started));
		json_object_set_new(pub, "fetcher_died", json_integer((json_int_t)ps->died));
		json_object_set_new(root, "publication", pub);
	}
	char *text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	if (text)
		reply_str(fd, '0', text);
	else
		reply_str(fd, '1', "out of memory");
	free(text);
}

static const char *const act_names[] = {"",      "quarantine", "release", "confirm-fw",
					"allow", "notify",     "enforce"};

static void do_action(struct gate *g, int fd, const char *const *s, size_t n, unsigned uid)
{
	uint8_t mac[6];
	char err[256] = "";
	int act = 0;
	for (int i = 1; n >= 2 && i < (int)(sizeof(act_names) / sizeof(act_names[0])); i++)
		if (!strcmp(s[1], act_names[i]))
			act = i;
	char why[200];
	why[0] = 0;
	if (n < 2 || n > 3)
		snprintf(why, sizeof(why), "expected MAC ACTION [VERSION]");
	else if (gate_mac_parse(s[0], mac) < 0)
		snprintf(why, sizeof(why), "MAC \"%.40s\": not aa:bb:cc:dd:ee:ff", s[0]);
	else if (!act)
		snprintf(why, sizeof(why),
			 "action \"%.40s\": not one of quarantine, release, allow, "
			 "notify, enforce, confirm-fw",
			 s[1]);
	else if ((act == GATE_ACT_CONFIRM_FW) != (n == 3))
		snprintf(why, sizeof(why), "a VERSION goes with confirm-fw, and only with it");
	if (why[0]) {
		reply_str(fd, '1', why);
		return;
	}
	if (gate_action(g, mac, (enum gate_action)act, n == 3 ? s[2] : NULL, err, sizeof(err)) <
	    0) {
		reply_str(fd, '1', err[0] ? err : "refused");
		return;
	}
	log_info("control: %s %s by uid %u", s[1], s[0], uid);
	gate_inv_touch(g->inv);
	reply_str(fd, '0', "ok\n");
}

/* dnsmasq's lease event: s = { argc, argv..., environment... } as the hook sent them. */
static void do_lease(struct gate *g, int fd, const char *const *s, size_t n)
{
	char err[256];
	char *end;
	unsigned long argc = n ? strtoul(s[0], &end, 10) : 0;
	if (!n || *end || argc < 1 || argc > n - 1) {
		lease_bad++;
		log_warnx_rl(&ctl_rl, "lease: malformed request from the hook");
		reply_str(fd, '1', "malformed lease request");
		return;
	}
	const char *const *argv = s + 1, *const *env = s + 1 + argc;
	/* A lease that ends says nothing about the device; the neighbour table says more. */
	if (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "old") != 0) {
		reply_str(fd, '0', "ignored\n");
		return;
	}
	struct gate_obs o;
	memset(&o, 0, sizeof(o));
	if (gate_dhcp_parse(argv, argc, env, n - 1 - argc, &o, err, sizeof(err)) < 0 ||
	    !o.has_mac) {
		lease_bad++;
		log_warnx_rl(&ctl_rl, "lease: %s", o.has_mac ? err : "no MAC address");
		reply_str(fd, '1', err);
		return;
	}
	gate_observe(g, &o);
	reply_str(fd, '0', "ok\n");
}

/* The owner page's process (gate/web_main.c) renders from these: the inventory as stored
 * (state, policy, notice id included; identities it derives itself), and the notices the
 * gate verified, by id. */
static void do_inv(struct gate *g, int fd)
{
	char *text = gate_inv_dumps(g->inv);
	reply_str(fd, text ? '0' : '1', text ? text : "out of memory");
	free(text);
}

static void do_notice(struct gate *g, int fd, const char *const *s, size_t n)
{
	struct rc_notice no;
	uint8_t buf[4 * RC_NOTICE_MAX];
	size_t len = 0;
	if (n != 1 || gate_notice_get(g, s[0], &no) != 0 ||
	    rc_notice_encode(&no, buf, sizeof(buf), &len) != 0) {
		reply_str(fd, '1', "no such notice");
		return;
	}
	reply(fd, '0', (const char *)buf, len);
}

static const char *odhcpd_path;

void gate_odhcpd_set(const char *path)
{
	odhcpd_path = path && path[0] ? path : NULL;
}

/* odhcpd's state file: one lease a line (gate_odhcpd_parse); other lines are skipped. Read
 * at most 1 MiB (thousands of leases), lines of at most 1 KiB. */
void gate_odhcpd_read(struct gate *g)
{
	if (!odhcpd_path)
		return;
	FILE *f = fopen(odhcpd_path, "re");
	if (!f) {
		if (errno != ENOENT)
			log_warnx_rl(&ctl_rl, "odhcpd state %s: %s", odhcpd_path, strerror(errno));
		return;
	}
	char line[1024];
	size_t total = 0;
	unsigned n = 0;
	while (fgets(line, sizeof(line), f) && (total += strlen(line)) <= (1u << 20)) {
		struct gate_obs o;
		char err[256];
		memset(&o, 0, sizeof(o));
		if (gate_odhcpd_parse(line, strcspn(line, "\n"), &o, err, sizeof(err)) == 0 &&
		    o.has_mac) {
			gate_observe(g, &o);
			n++;
		}
	}
	fclose(f);
	log_debug("odhcpd state %s: %u leases", odhcpd_path, n);
}

void gate_ctl_accept(struct gate *g, int lfd)
{
	static char req[GATED_REQ_MAX + 1];
	const char *s[GATED_ARGS_MAX];
	for (int k = 0; k < 8; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		struct timeval tv = {1, 0}, tvs = {2, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tvs, sizeof(tvs));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			log_warnx_rl(&ctl_rl, "control: refused uid %u", (unsigned)cr.uid);
			close(fd);
			continue;
		}
		ssize_t r = recv(fd, req, GATED_REQ_MAX, 0);
		size_t n = 0;
		if (r >= 1) {
			req[r] = 0;
			/* Strings after the operation byte; the last one is terminated by req[r].
			 */
			for (ssize_t i = 1; i < r && n < GATED_ARGS_MAX;
			     i += (ssize_t)strlen(req + i) + 1)
				s[n++] = req + i;
		}
		if (r < 1)
			;
		else if (req[0] == GATE_OP_STATUS)
			do_status(g, fd);
		else if (req[0] == GATE_OP_ACTION)
			do_action(g, fd, s, n, (unsigned)cr.uid);
		else if (req[0] == GATE_OP_LEASE)
			do_lease(g, fd, s, n);
		else if (req[0] == GATE_OP_ODHCPD)
			gate_odhcpd_read(g);
		else if (req[0] == GATE_OP_INV)
			do_inv(g, fd);
		else if (req[0] == GATE_OP_NOTICE)
			do_notice(g, fd, s, n);
		else
			reply_str(fd, '1', "unknown request");
		close(fd);
	}
}
