/* The owner's page, resident side: the daemon makes the listening socket (one address of the
 * LAN interface, bound to that interface too) and checks that an owner password exists, but
 * serves nothing itself. When a browser connects and no page process runs, it starts
 * recall-gate-web (gate/web_main.c) with the socket as fd 3 and a socket pair as fd 4; that
 * process runs libmicrohttpd (and with it GnuTLS, which the daemon would otherwise map for
 * nothing), reads the inventory and the notices over the control socket, sends the owner's
 * actions there, and exits after WEB_IDLE_S without a connection. The sessions (struct
 * web_auth) go to it over fd 4 at start and come back when it exits, so a login outlives it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "gated.h"
#include "log.h"
#include "progpath.h"
#include "web.h"

#define WEB_PORT_DEFAULT 8080

static char ctl_path[PATH_MAX];

void gate_web_set_ctl(const char *path)
{
	snprintf(ctl_path, sizeof ctl_path, "%s", path);
}

struct gate_web {
	int lfd;              /* the listening socket */
	int chfd;             /* socket pair to the page process, -1 when none runs */
	pid_t pid;            /* the page process, -1 when none */
	struct web_auth auth; /* kept while no page process runs */
	size_t got;           /* bytes of auth received back */
	char listen_host[64], listen_addr[48], path[PATH_MAX];
	struct log_rate rl;
};

/* Parse web_listen ("ADDR", "ADDR:PORT", "[V6]:PORT", or "" for the interface's first IPv4
 * address) and check the address is one of the LAN interface's. */
static int listen_addr(const struct gate_config *cfg, struct sockaddr_storage *ss, char *addr,
		       size_t addrcap, char *err, size_t errlen)
{
	char host[64] = "";
	unsigned port = WEB_PORT_DEFAULT;
	const char *s = cfg->web_listen;
	if (!cfg->interface[0]) {
		snprintf(err, errlen, "web: no LAN interface configured (interface =)");
		return -1;
	}
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof host || (e[1] && e[1] != ':')) {
			snprintf(err, errlen, "web_listen \"%s\": expected [IPV6]:PORT", s);
			return -1;
		}
		memcpy(host, s + 1, (size_t)(e - s - 1));
		s = e[1] ? e + 2 : "";
	} else if (strchr(s, ':') && strchr(s, ':') == strrchr(s, ':')) {
		const char *c = strchr(s, ':');
		snprintf(host, sizeof host, "%.*s", (int)(c - s), s);
		s = c + 1;
	} else {
		snprintf(host, sizeof host, "%s", s); /* bare address (IPv6 without brackets) */
		s = "";
	}
	if (*s) {
		char *end;
		unsigned long p = strtoul(s, &end, 10);
		if (*end || p == 0 || p > 65535) {
			snprintf(err, errlen, "web_listen \"%s\": bad port", cfg->web_listen);
			return -1;
		}
		port = (unsigned)p;
	}
	uint8_t want[16];
	int fam = 0;
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		fam = host[0] ? -1 : 0;
	} else if (inet_pton(AF_INET, host, want) == 1) {
		fam = AF_INET;
	} else if (inet_pton(AF_INET6, host, want) == 1) {
		fam = AF_INET6;
	} else {
		snprintf(err, errlen, "web_listen \"%s\": not an IP address", cfg->web_listen);
		return -1;
	}
	static const uint8_t zero[16];
	if (fam < 0 || (fam && memcmp(want, zero, fam == AF_INET ? 4 : 16) == 0)) {
		snprintf(
		    err, errlen,
		    "web_listen \"%s\": a wildcard address would put the owner's page on every "
		    "interface, the WAN too; give one address of %s",
		    cfg->web_listen, cfg->interface);
		return -1;
	}
	struct ifaddrs *ifa0 = NULL, *ifa;
	if (getifaddrs(&ifa0) != 0) {
		snprintf(err, errlen, "web: getifaddrs: %s", strerror(errno));
		return -1;
	}
	bool found = false;
	memset(ss, 0, sizeof *ss);
	for (ifa = ifa0; ifa && !found; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, cfg->interface) != 0)
			continue;
		int f = ifa->ifa_addr->sa_family;
		if (f == AF_INET && (fam == AF_INET || fam == 0)) {
			struct sockaddr_in *a = (struct sockaddr_in *)ifa->ifa_addr;
			if (fam == 0 || memcmp(&a->sin_addr, want, 4) == 0) {
				memcpy(ss, a, sizeof *a);
				((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
				found = true;
			}
		} else if (f == AF_INET6 && fam == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)ifa->ifa_addr;
			if (memcmp(&a->sin6_addr, want, 16) == 0) {
				memcpy(ss, a,
				       sizeof *a); /* keeps the scope of a link-local address */
				((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
				found = true;
			}
		}
	}
	freeifaddrs(ifa0);
	if (!found) {
		if (fam)
			snprintf(err, errlen,
				 "web_listen \"%s\": %s is not an address of the LAN interface %s; "
				 "the owner's page listens on the LAN only",
				 cfg->web_listen, host, cfg->interface);
		else
			snprintf(err, errlen,
				 "web: the LAN interface %s has no IPv4 address to listen on; set "
				 "web_listen to one of its addresses",
				 cfg->interface);
		return -1;
	}
	const void *ap = ss->ss_family == AF_INET
			     ? (const void *)&((struct sockaddr_in *)ss)->sin_addr
			     : (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr;
	inet_ntop(ss->ss_family, ap, addr, (socklen_t)addrcap);
	return (int)port;
}

/* The listening socket, bound to the LAN interface as well as to its address: Linux accepts a
 * packet for any local address on any interface (weak host model), so without SO_BINDTODEVICE
 * a host on the WAN side that routes to the LAN address would reach the page. */
static int listen_socket(const struct gate_config *cfg, const struct sockaddr_storage *ss,
			 char *err, size_t errlen)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	socklen_t sl =
	    ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (fd < 0) {
		snprintf(err, errlen, "web: socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->interface,
		       (socklen_t)strlen(cfg->interface)) != 0) {
		snprintf(err, errlen, "web: cannot bind to interface %s (SO_BINDTODEVICE: %s)",
			 cfg->interface, strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, sl) != 0 || listen(fd, 16) != 0) {
		snprintf(err, errlen, "web: cannot listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int gate_web_start(struct gate *g, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct gate_web *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "web: out of memory");
		return -1;
	}
	w->chfd = w->pid = -1;
	log_rate_init(&w->rl, 1, 10);
	int port = listen_addr(&g->cfg, &ss, w->listen_addr, sizeof w->listen_addr, err, errlen);
	if (port < 0 || web_auth_init(&w->auth, g->cfg.state_dir, err, errlen) != 0) {
		free(w);
		return -1;
	}
	snprintf(w->listen_host, sizeof w->listen_host,
		 ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", w->listen_addr, port);
	if (prog_path(w->path, sizeof w->path, "recall-gate-web", RECALL_GATE_HELPERDIR, err,
		      errlen) != 0) {
		free(w);
		return -1;
	}
	if ((w->lfd = listen_socket(&g->cfg, &ss, err, errlen)) < 0) {
		free(w);
		return -1;
	}
	g->web = w;
	log_info("owner's page on http://%s/", w->listen_host);
	return 0;
}

/* The page process: fd 3 the listening socket, fd 4 its end of the pair; no capabilities
 * (it needs none: the socket is bound), no new privileges. */
static void spawn(struct gate *g, struct gate_web *w)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warnx_rl(&w->rl, "web: socketpair: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_warnx_rl(&w->rl, "web: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(w->lfd, 3) < 0 || dup2(sv[1], 4) < 0)
			_exit(127);
		close_range(5, ~0U, 0);
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		execl(w->path, "recall-gate-web", ctl_path, g->cfg.state_dir, w->listen_host,
		      w->listen_addr, g->cfg.vendors_map, g->cfg.oui_file, g->cfg.fingerprints,
		      (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	/* The sessions go to the page process; the daemon keeps no copy while it runs. */
	const uint8_t *p = (const uint8_t *)&w->auth;
	size_t off = 0;
	while (off < sizeof w->auth) {
		ssize_t k = write(sv[0], p + off, sizeof w->auth - off);
		if (k <= 0 && errno != EINTR)
			break;
		if (k > 0)
			off += (size_t)k;
	}
	sodium_memzero(&w->auth, sizeof w->auth);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	w->chfd = sv[0];
	w->pid = pid;
	w->got = 0;
}

/* The page process's end: the sessions come back (or, if it died, a fresh table: the owner
 * logs in again); then the daemon listens again. */
static void reap(struct gate *g, struct gate_web *w)
{
	for (;;) {
		ssize_t k = read(w->chfd, (uint8_t *)&w->auth + w->got, sizeof w->auth - w->got);
		if (k > 0 && (w->got += (size_t)k) < sizeof w->auth)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		break; /* EOF, error, or all of it */
	}
	char err[256];
	int st = 0;
	close(w->chfd);
	w->chfd = -1;
	waitpid(w->pid, &st, 0);
	w->pid = -1;
	if (w->got != sizeof w->auth || !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		log_warnx_rl(&w->rl, "web: the page process ended with %s %d; sessions reset",
			     WIFSIGNALED(st) ? "signal" : "status",
			     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		if (web_auth_init(&w->auth, g->cfg.state_dir, err, sizeof err) != 0)
			log_warnx_rl(&w->rl, "web: %s", err);
	}
	/* The path of the password file is the daemon's, whatever came back. */
	snprintf(w->auth.pwfile, sizeof w->auth.pwfile, "%s/password", g->cfg.state_dir);
}

int gate_web_fd(const struct gate *g)
{
	if (!g->web)
		return -1;
	return g->web->chfd >= 0 ? g->web->chfd : g->web->lfd;
}

void gate_web_run(struct gate *g)
{
	struct gate_web *w = g->web;
	if (!w)
		return;
	if (w->chfd >= 0) {
		reap(g, w);
		return;
	}
	struct pollfd pf = {w->lfd, POLLIN, 0};
	if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN))
		spawn(g, w);
}

void gate_web_stop(struct gate *g)
{
	struct gate_web *w = g->web;
	if (!w)
		return;
	if (w->chfd >= 0) {
		shutdown(w->chfd, SHUT_WR); /* the page process stops and sends the sessions */
		fcntl(w->chfd, F_SETFL, 0);
		reap(g, w);
	}
	close(w->lfd);
	sodium_memzero(&w->auth, sizeof w->auth);
	free(w);
	g->web = NULL;
}
