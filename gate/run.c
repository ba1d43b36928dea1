/* `recall-gate run`: start-up in the order that keeps quarantines in force (enforcement from its
 * persisted state first, before anything is read from the LAN), then one poll loop over the
 * neighbour socket, the LAN listeners, the control socket, libcurl's sockets, the check's and
 * the web page's descriptors and a timer. Signals only set flags. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "web.h"
#include "gated.h"
#include "log.h"
#include "notify.h"
#include "parse.h"

int gate_run(struct gate *g, const struct gated_opts *o, bool foreground, int verbose);

#define NEIGH_REDUMP_S 60  /* refresh presence from the kernel's table */
#define LAN_RETRY_S    5   /* the LAN interface does not exist yet: try again this often */
#define SAVE_EVERY_S   10  /* a changed inventory is written at most this often */
#define SAVE_SEEN_S    600 /* ... and when only sighting times changed (flash wear) */
#define CHECKS_PER_S   16  /* periodic re-checks per second (bounded work per pass) */

static volatile sig_atomic_t stop_flag, hup_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_flag = 1;
	else
		stop_flag = 1;
}

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

/* One gate per state folder: a second daemon would fight over nftables and the files. */
static int lock_state(const char *dir)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/lock", dir);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		fatal("%s", p);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		fatal("%s: another recall-gate holds it", p);
	return fd;
}

/* The LAN side: the neighbour table and the listeners need the interface. Enforcement does
 * not (nftables matches its name), so the gate starts before the network is configured and
 * opens these once the interface exists. */
static bool lan_open(struct gate *g)
{
	char err[512];
	static bool said;
	if (gate_neigh_open(g, err, sizeof(err)) == 0 &&
	    gate_listen_open(g, err, sizeof(err)) == 0) {
		if (said)
			log_info("LAN interface %s is there: listening", g->cfg.interface);
		return true;
	}
	gate_listen_close();
	gate_neigh_close();
	if (!said)
		log_warnx("%s; retrying every %d s", err, LAN_RETRY_S);
	said = true;
	return false;
}

static void save(struct gate *g)
{
	char err[512];
	if (gate_inv_save_path(g->inv, g->cfg.state_dir, err, sizeof(err)) < 0)
		log_warnx("%s", err);
	/* The JSON tree just written, libnftables' transactions and the requests since the last
	 * save were freed; give their pages back (a burst must not leave the RSS high). */
	malloc_trim(0);
}

/* Periodic re-checks: devices with an identity whose last check is older than the interval. */
static void recheck(struct gate *g, size_t *cursor)
{
	size_t n = gate_inv_count(g->inv), done = 0;
	for (size_t k = 0; k < n && done < CHECKS_PER_S; k++) {
		struct gate_device *d = gate_inv_at(g->inv, (*cursor + k) % n);
		if (d->conf < GATE_CONF_MODEL || d->checked + g->cfg.check_interval_s > g->now)
			continue;
		enum gate_state st = d->state;
		gate_check_device(g, d);
		d->checked = g->now;
		if (d->state != st) {
			gate_enforce_apply(g, d);
			gate_inv_touch(g->inv);
		}
		done++;
	}
	*cursor = n ? (*cursor + CHECKS_PER_S) % n : 0;
}

int gate_run(struct gate *g, const struct gated_opts *o, bool foreground, int verbose)
{
	char err[1024];
	log_init("recall-gate", foreground, verbose);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	g->now = now_s();
	if (mkdir(g->cfg.state_dir, 0700) < 0 && errno != EEXIST)
		fatal("%s", g->cfg.state_dir);
	int lockfd = lock_state(g->cfg.state_dir);
	/* Persisted quarantines are in force before anything else happens. */
	if (gate_enforce_init(g, err, sizeof(err)) < 0)
		fatalx("enforcement: %s", err);
	g->inv = gate_inv_new(o->absent_after_ms / 1000);
	if (!g->inv)
		fatalx("out of memory");
	if (gate_inv_load(g, err, sizeof(err)) < 0)
		log_warnx("%s", err);
	g->aliases = gate_aliases_load(g->cfg.vendors_map, g->cfg.oui_file, err, sizeof(err));
	if (!g->aliases)
		log_warnx("vendor aliases: %s (names are used as the devices give them)", err);
	else if (g->cfg.fingerprints[0] &&
		 gate_fingerprints_load(g->aliases, g->cfg.fingerprints, err, sizeof(err)) < 0)
		log_warnx("DHCP fingerprints: %s (silent devices stay unknown)", err);
	for (size_t i = 0; i < gate_inv_count(g->inv); i++)
		gate_identity(gate_inv_at(g->inv, i), g->aliases);
	if (gate_pub_init(g, o->publication, o->npublication, o->publication_poll_ms,
			  o->publication_timeout_ms, o->publication_max_bytes, err,
			  sizeof(err)) < 0)
		fatalx("publication: %s", err);
	if (gate_check_init(g, err, sizeof(err)) < 0)
		fatalx("check: %s", err);
	gate_odhcpd_set(o->odhcpd_statefile);
	int ctl = gate_ctl_listen(o->ctl_socket, err, sizeof(err));
	if (ctl < 0)
		fatalx("%s", err);
	bool lan = lan_open(g);
	if (gate_fetch_init(err, sizeof(err)) < 0)
		fatalx("fetch: %s", err);
	/* Protection does not wait for the owner's page: without a password (or with a bad
	 * web-listen) the gate inventories, checks and enforces, and says why there is no page. */
	gate_web_set_ctl(o->ctl_socket);
	if (gate_web_start(g, err, sizeof(err)) < 0)
		log_warnx("web page not started: %s", err);
	if (lan)
		gate_neigh_dump(g);
	/* Devices known from the file: fetch their descriptions again (firmware may have moved). */
	for (size_t i = 0; i < gate_inv_count(g->inv); i++) {
		struct gate_device *d = gate_inv_at(g->inv, i);
		if (g->cfg.fetch_upnp && d->f[GF_UPNP_URL].v[0])
			gate_fetch_queue(g, d, GATE_FETCH_UPNP);
		if (g->cfg.fetch_mud && d->f[GF_MUD_URL].v[0])
			gate_fetch_queue(g, d, GATE_FETCH_MUD);
	}
	if (lan)
		gate_listen_search(g);
	gate_odhcpd_read(g);
	if (notify_send("READY=1") < 0)
		log_warn("sd_notify");
	log_info("started on %s: %zu devices known", g->cfg.interface, gate_inv_count(g->inv));

	uint64_t search_every = o->search_interval_ms / 1000;
	uint64_t next_search = g->now + search_every, next_dump = g->now + NEIGH_REDUMP_S;
	uint64_t last_save = g->now, last_web = 0, last_recheck = 0;
	size_t cursor = 0;
	enum { MAXFD = 32 };
	struct pollfd pf[MAXFD];
	while (!stop_flag) {
		size_t n = 0, nl, nf;
		int lfds[8];
		short ev[16];
		int ffds[16];
		pf[n++] = (struct pollfd){ctl, POLLIN, 0};
		pf[n++] = (struct pollfd){lan ? gate_neigh_fd() : -1, POLLIN, 0};
		nl = lan ? gate_listen_fds(lfds, 8) : 0;
		for (size_t i = 0; i < nl; i++)
			pf[n++] = (struct pollfd){lfds[i], POLLIN, 0};
		int cfd = gate_check_fd(g), wfd = gate_web_fd(g);
		size_t icheck = n;
		pf[n++] = (struct pollfd){cfd, POLLIN, 0}; /* fd -1 is ignored by poll */
		size_t iweb = n;
		pf[n++] = (struct pollfd){wfd, POLLIN, 0};
		size_t ipub = n;
		pf[n++] = (struct pollfd){gate_pub_fd(), POLLIN, 0};
		size_t ifetch = n;
		nf = gate_fetch_fds(ffds, ev, 16);
		for (size_t i = 0; i < nf && n < MAXFD; i++)
			pf[n++] = (struct pollfd){ffds[i], ev[i], 0};
		int timeout = 1000, ft = gate_fetch_timeout_ms();
		if (ft >= 0 && ft < timeout)
			timeout = ft;
		int r = poll(pf, n, timeout);
		if (r < 0 && errno != EINTR)
			fatal("poll");
		g->now = now_s();
		if (r > 0) {
			if (pf[0].revents & POLLIN)
				gate_ctl_accept(g, ctl);
			if (pf[1].revents & POLLIN)
				gate_neigh_input(g);
			for (size_t i = 0; i < nl; i++)
				if (pf[2 + i].revents & POLLIN)
					gate_listen_input(g, lfds[i]);
			if (cfd >= 0 && pf[icheck].revents)
				gate_check_input(g);
			if (pf[ipub].fd >= 0 && pf[ipub].revents)
				gate_pub_input(g);
			for (size_t i = ifetch; i < n; i++)
				if (pf[i].revents)
					gate_fetch_run(g, pf[i].fd, pf[i].revents);
		}
		gate_fetch_run(g, -1, 0);
		if ((wfd >= 0 && pf[iweb].revents) || g->now != last_web) {
			gate_web_run(g);
			last_web = g->now;
		}
		if (hup_flag) {
			hup_flag = 0;
			next_search = g->now;
			next_dump = g->now;
		}
		if (!lan && g->now >= next_dump) {
			if ((lan = lan_open(g))) {
				gate_neigh_dump(g);
				gate_listen_search(g);
			}
			next_dump = g->now + LAN_RETRY_S;
		} else if (g->now >= next_dump) {
			gate_neigh_dump(g);
			next_dump = g->now + NEIGH_REDUMP_S;
			malloc_trim(0); /* what a burst since the last save left freed */
		}
		if (g->now >= next_search) {
			gate_listen_search(g);
			next_search = g->now + search_every;
		}
		/* A changed feed, check-in timeouts and retries, the nftables table still there. */
		gate_pub_tick(g);
		gate_check_tick(g);
		if (g->now != last_recheck) {
			recheck(g, &cursor);
			last_recheck = g->now;
		}
		if ((gate_inv_dirty(g->inv) && g->now >= last_save + SAVE_EVERY_S) ||
		    (gate_inv_seen_dirty(g->inv) && g->now >= last_save + SAVE_SEEN_S)) {
			save(g);
			last_save = g->now;
		}
	}
	log_info("stopping");
	if (gate_inv_dirty(g->inv) || gate_inv_seen_dirty(g->inv))
		save(g);
	gate_web_stop(g);
	gate_fetch_cleanup();
	gate_pub_stop();
	gate_listen_close();
	gate_neigh_close();
	close(ctl);
	unlink(o->ctl_socket);
	gate_check_free(g);
	gate_enforce_free(
	    g); /* the table stays in the kernel: quarantines hold while we are down */
	gate_aliases_free(g->aliases);
	gate_inv_free(g->inv);
	close(lockfd);
	return 0;
}
