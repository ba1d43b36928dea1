/* `recall-agent run`: the daemon. The core (struct rc_agent) decides; this file is its glue:
 * UDP sockets, clocks, randomness, the state file, the quarantine backend, owner notification,
 * the control socket and one poll loop. Everything it needs after start is static: no heap. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agentd.h"
#include "log.h"
#include "recall/text.h"

#define NEVER         RC_AGENT_NEVER
#define REAPPLY_MS    1000 /* routing changed while quarantined: refresh after this quiet time */
#define CLOCK_POLL_MS 1000 /* notice held, clock untrusted: look at the clock this often */

static struct rc_agent agent;
static struct agentd *D;
static int dirfd = -1, udp4 = -1, udp6 = -1, ctlfd = -1, sigfd = -1, clockfd = -1;
static struct sys_quarantine curq;
static bool q_on;
static uint64_t t_reapply = NEVER, t_announce = NEVER;
static uint8_t rx[RC_ANSWER_MAX + 1];
static uint8_t ctlbuf[CTL_MSG_MAX];

static uint64_t g_mono(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t agentd_wall(const struct agentd *d, bool *trusted)
{
	struct timex tx = {0};
	if (d->c.wall_clock == CLOCK_AUTO)
		*trusted = adjtimex(&tx) >= 0 && !(tx.status & STA_UNSYNC);
	else
		*trusted = d->c.wall_clock == CLOCK_TRUSTED;
	return (uint64_t)time(NULL);
}

static uint64_t g_wall(void *ctx, bool *trusted)
{
	(void)ctx;
	return agentd_wall(D, trusted);
}

static void g_random(void *ctx, uint8_t *buf, size_t n)
{
	(void)ctx;
	randombytes_buf(buf, n);
}

static int g_send(void *ctx, const struct rc_src *to, const uint8_t *buf, size_t len)
{
	(void)ctx;
	if (to->family == 4) {
		struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(to->port)};
		memcpy(&s.sin_addr, to->addr, 4);
		return sendto(udp4, buf, len, 0, (struct sockaddr *)&s, sizeof(s)) < 0 ? -1 : 0;
	}
	struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(to->port)};
	memcpy(&s.sin6_addr, to->addr, 16);
	return sendto(udp6, buf, len, 0, (struct sockaddr *)&s, sizeof(s)) < 0 ? -1 : 0;
}

static int g_persist(void *ctx, const uint8_t *state, size_t len)
{
	(void)ctx;
	if (state_save(dirfd, state, len) == 0)
		return 0;
	log_warn("%s/%s: cannot write", D->c.state_dir, AGENTD_STATE_FILE);
	return -1;
}

static int g_quarantine(void *ctx, const struct rc_notice *n, bool on)
{
	(void)ctx;
	if (!on) {
		q_on = false;
		t_reapply = NEVER;
		if (D->sys->release() < 0) {
			log_warn("quarantine: release");
			return -1;
		}
		return 0;
	}
	curq.nallow = 0;
	for (size_t i = 0; i < agent.cfg.nresponders && curq.nallow < SYS_ALLOW_MAX; i++) {
		const struct rc_src *r = &agent.cfg.responders[i];
		struct sys_prefix *p = &curq.allow[curq.nallow++];
		p->family = r->family;
		p->plen = r->family == 4 ? 32 : 128;
		memcpy(p->addr, r->addr, 16);
	}
	for (size_t i = 0; n && i < n->nendpoints && curq.nallow < SYS_ALLOW_MAX; i++) {
		struct sys_prefix *p = &curq.allow[curq.nallow++];
		p->family = n->endpoints[i].family;
		p->plen = n->endpoints[i].plen;
		memcpy(p->addr, n->endpoints[i].addr, 16);
	}
	q_on = true;
	if (D->sys->apply(&curq) < 0) {
		log_warn("quarantine: apply");
		t_reapply = g_mono(NULL) + REAPPLY_MS; /* keep trying */
		return -1;
	}
	return 0;
}

const char *agentd_event_state(enum rc_agent_event ev)
{
	switch (ev) {
	case RC_AGENT_EV_RECALLED:
		return "quarantined";
	case RC_AGENT_EV_NOTICE:
		return "notified";
	case RC_AGENT_EV_OVERRIDDEN:
		return "overridden";
	case RC_AGENT_EV_RELEASED_OPTOUT:
		return "optout";
	default:
		return "normal";
	}
}

/* Notice text for a log line: one line, hostile characters as visible escapes. */
static const char *clean(struct rc_str s)
{
	static char out[RC_TEXT_SAFE_CAP(RC_TEXT_MAX)];
	rc_text_safe(out, sizeof(out), s.p, s.n < RC_TEXT_MAX ? s.n : RC_TEXT_MAX, RC_TEXT_ONELINE);
	return out;
}

static void g_notify(void *ctx, enum rc_agent_event ev, const struct rc_notice *n)
{
	(void)ctx;
	const char *name = rc_agent_event_name(ev);
	const char *st = agentd_event_state(ev);
	if (n && (ev == RC_AGENT_EV_RECALLED || ev == RC_AGENT_EV_NOTICE)) {
		log_alert("RECALL %.*s (%s, severity %s): %s", (int)n->id.n, n->id.p,
			  ev == RC_AGENT_EV_RECALLED ? "device quarantined: LAN only" : "notice",
			  rc_severity_name(n->severity), clean(n->text));
		log_alert("RECALL %.*s remedy: %s", (int)n->id.n, n->id.p, clean(n->remedy_url));
	} else if (n) {
		log_info("%s: notice %.*s", name, (int)n->id.n, n->id.p);
	} else {
		log_info("%s", name);
	}
	if (ev == RC_AGENT_EV_ROTATED)
		return;
	hooks_run(D, name, st, n);
	announce_send(D, name, st, n);
	bool held =
	    ev == RC_AGENT_EV_RECALLED || ev == RC_AGENT_EV_NOTICE || ev == RC_AGENT_EV_OVERRIDDEN;
	t_announce = held ? g_mono(NULL) + D->c.announce_interval : NEVER;
}

static void g_log(void *ctx, enum rc_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= RC_LOG_ALERT)
		log_alert("%s", msg);
	else if (level <= RC_LOG_WARNING)
		log_warnx("%s", msg);
	else if (level <= RC_LOG_INFO)
		log_info("%s", msg);
	else
		log_debug("%s", msg);
}

static const struct rc_agent_ops ops = {
    .send = g_send,
    .mono_ms = g_mono,
    .wall = g_wall,
    .random = g_random,
    .persist = g_persist,
    .quarantine = g_quarantine,
    .notify = g_notify,
    .log = g_log,
};

static int udp_open(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (family == AF_INET6) {
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	return fd;
}

static void udp_input(int fd)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, rx, sizeof(rx), MSG_TRUNC, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			return;
		struct rc_src from = {0};
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)&ss;
			from.family = 4;
			memcpy(from.addr, &s->sin_addr, 4);
			from.port = ntohs(s->sin_port);
		} else {
			const struct sockaddr_in6 *s = (const void *)&ss;
			from.family = 6;
			memcpy(from.addr, &s->sin6_addr, 16);
			from.port = ntohs(s->sin6_port);
		}
		rc_agent_input(&agent, rx, (size_t)n > sizeof(rx) ? sizeof(rx) : (size_t)n, &from);
	}
}

/* One control request: status, override NOTICE|all, override --clear (ctl_handle). */
static void ctl_serve(void)
{
	int c = accept4(ctlfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct timeval tv = {1, 0};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char req[CTL_REQ_MAX + 1];
	ssize_t n = recv(c, req, sizeof(req) - 1, 0);
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	if (n < 1 || getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0) {
		close(c);
		return;
	}
	req[n] = 0;
	bool owner = cr.uid == 0 || cr.uid == geteuid();
	size_t len = ctl_handle(&agent, req, (size_t)n, owner, (unsigned)cr.uid, ctlbuf);
	send(c, ctlbuf, len, MSG_NOSIGNAL);
	close(c);
}

/* SIGHUP: re-read the file; check-in on/off, hooks and announcements take effect now. */
static void reload(void)
{
	static struct agentd alt[2];
	static int next;
	char err[CONF_ERR_MAX];
	struct agentd *n = &alt[next];
	if (agentd_config_load(n, D->path, err, sizeof(err)) < 0) {
		log_warnx("reload: %s (keeping the running configuration)", err);
		agentd_config_free(n);
		return;
	}
	struct agentd *old = D;
	n->sys = old->sys; /* the backend stays as opened */
	n->sp = old->sp;
	D = n;
	next ^= 1;
	rc_agent_set_checkin(&agent, D->c.checkin);
	announce_init(D);
	log_info("reloaded %s (identity, addresses, anchors and routing need a restart)", D->path);
	if (old == &alt[0] || old == &alt[1])
		agentd_config_free(old);
}

/* A timer that never expires but is cancelled whenever CLOCK_REALTIME is set (stepped): the
 * moment to judge a held notice's expiry again. */
static void clock_arm(void)
{
	struct itimerspec its = {0};
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value.tv_sec = now.tv_sec + 10 * 365 * 86400;
	if (timerfd_settime(clockfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
		log_warn("clock change timer");
}

static void clock_event(void)
{
	uint64_t n;
	if (read(clockfd, &n, sizeof(n)) < 0 && errno == ECANCELED)
		log_info("wall clock was set");
	clock_arm();
	rc_agent_clock_changed(&agent);
}

static int setup(bool foreground, int verbose)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	umask(077);
	log_init("recall-agent", foreground, verbose);
	if (sodium_init() < 0)
		fatalx("libsodium: cannot initialise");
	char err[512];
	if ((dirfd = state_dir_open(D->c.state_dir, err, sizeof(err))) < 0)
		fatalx("%s", err);
	if (state_lock(dirfd, err, sizeof(err)) < 0)
		fatalx("%s/%s", D->c.state_dir, err);
	if (D->c.dummy_record && *D->c.dummy_record)
		sys_dummy_record_to(D->c.dummy_record);
	if (D->sys->init(&D->sp) < 0)
		fatal("%s backend: cannot open the kernel interface", D->sys->name);
	if ((clockfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0)
		log_warn("clock change timer: polling the clock instead");
	else
		clock_arm();
	udp4 = udp_open(AF_INET);
	udp6 = udp_open(AF_INET6);
	if ((ctlfd = ctl_listen(dirfd)) < 0)
		fatal("control socket in %s", D->c.state_dir);
	announce_init(D);
	int rc = rc_agent_init(&agent, &D->ac, &ops, NULL);
	if (rc != RC_OK)
		fatalx("configuration rejected by the core: %s", rc_strerror(rc));
	static uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = 0;
	char why[128];
	rc = state_load(dirfd, blob, sizeof(blob), &len, why, sizeof(why));
	if (rc < 0) {
		log_warnx("%s/%s: %s: ignored (fail open), checking in now", D->c.state_dir,
			  AGENTD_STATE_FILE, why);
		renameat(dirfd, AGENTD_STATE_FILE, dirfd, AGENTD_STATE_FILE ".bad");
	} else if (rc == 0) {
		rc_agent_restore(&agent, blob, len);
	}
	return 0;
}

static void on_signal(bool *stop)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			*stop = true;
		else if (si.ssi_signo == SIGHUP)
			reload();
		else if (si.ssi_signo == SIGUSR1)
			rc_agent_attach(&agent);
		else if (si.ssi_signo == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
}

static uint64_t until(uint64_t t, uint64_t now)
{
	return t == NEVER ? NEVER : t <= now ? 0 : t - now;
}

int cmd_run(struct agentd *d, bool foreground, int verbose)
{
	D = d;
	setup(foreground, verbose);
	log_info("started: %s %s %s %s, %zu responder(s), %s backend, check-ins %s", d->vendor,
		 d->model, d->hwrev[0] ? d->hwrev : "-", d->fwver, d->ac.nresponders, d->sys->name,
		 d->c.checkin ? "on" : "off");
	rc_agent_start(&agent);
	struct pollfd pf[6] = {{sigfd, POLLIN, 0},
			       {ctlfd, POLLIN, 0},
			       {udp4, POLLIN, 0},
			       {udp6, POLLIN, 0},
			       {D->sys->monitor_fd(), POLLIN, 0},
			       {clockfd, POLLIN, 0}};
	bool stop = false;
	while (!stop) {
		uint64_t now = g_mono(NULL);
		uint64_t t = rc_agent_timeout_ms(&agent), u = until(t_reapply, now);
		t = u < t ? u : t;
		u = until(t_announce, now);
		t = u < t ? u : t;
		/* A notice held while the clock is untrusted: the clock may become trusted (NTP
		 * sync, no step) at any moment; look every second so that expiry is judged at once.
		 */
		bool clock_wait = rc_agent_clock_wait(&agent);
		if (clock_wait && t > CLOCK_POLL_MS)
			t = CLOCK_POLL_MS;
		int ms = t == NEVER ? -1 : t > 3600000 ? 3600000 : (int)t;
		if (poll(pf, 6, ms) < 0 && errno != EINTR)
			fatal("poll");
		if (pf[5].revents)
			clock_event();
		else if (clock_wait)
			rc_agent_clock_changed(&agent);
		if (pf[0].revents)
			on_signal(&stop);
		if (pf[1].revents)
			ctl_serve();
		if (pf[2].revents)
			udp_input(udp4);
		if (pf[3].revents)
			udp_input(udp6);
		unsigned ev = D->sys->monitor_read();
		if (ev & SYS_EV_ATTACH)
			rc_agent_attach(&agent);
		if ((ev & SYS_EV_CHANGED) && q_on && t_reapply == NEVER)
			t_reapply = g_mono(NULL) + REAPPLY_MS;
		rc_agent_tick(&agent);
		now = g_mono(NULL);
		if (q_on && t_reapply <= now) {
			t_reapply = NEVER;
			if (D->sys->apply(&curq) < 0) {
				log_warn("quarantine: refresh");
				t_reapply = now + REAPPLY_MS;
			}
		}
		if (t_announce <= now) {
			struct rc_agent_status st;
			struct rc_notice n;
			rc_agent_status(&agent, &st);
			bool held = rc_agent_notice(&agent, &n) == RC_OK;
			announce_send(D, "reminder", rc_agent_state_name(st.state),
				      held ? &n : NULL);
			t_announce = held ? now + D->c.announce_interval : NEVER;
		}
	}
	rc_agent_flush(&agent); /* a deferred timing-only state write */
	log_info("stopping (a quarantine in force stays in force)");
	D->sys->done();
	close(ctlfd);
	unlinkat(dirfd, AGENTD_CTL_FILE, 0);
	return 0;
}
