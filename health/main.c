/* recall-healthcheck: keeps a node's anycast routes announced by BIRD while real check-ins to
 * its own recalld are answered (recall-healthcheck(8), docs/ANYCAST.md).
 * Exit status: 0 success (--once: healthy), 1 error or unhealthy, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "hc.h"
#include "log.h"
#include "notify.h"

#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0.1.0"
#endif

static const char usage_text[] =
    "usage: recall-healthcheck -a ADDRESS [-a ADDRESS]... -P PROTOCOL [-P PROTOCOL]...\n"
    "                          [options]\n"
    "       recall-healthcheck -a ADDRESS... --once [options]\n"
    "       recall-healthcheck -P PROTOCOL... --withdraw [-S SOCKET]\n"
    "\n"
    "Check in to the node's own recalld at each ADDRESS (its anycast addresses) every\n"
    "interval, as a device does, and keep BIRD's PROTOCOLs (static protocols holding the\n"
    "anycast routes) enabled while the checks pass: disabled after FALL failures in a row,\n"
    "enabled again after RISE passes in a row and a hold-down. Withdraws on exit.\n"
    "\n"
    "  -a, --address ADDR     numeric IPv4 or IPv6 address to check in to (up to 4; all\n"
    "                         must pass)\n"
    "  -p, --port PORT        UDP port (default 7412)\n"
    "  -P, --protocol NAME    BIRD protocol to enable and disable (up to 4)\n"
    "  -S, --bird-socket PATH BIRD's control socket (default /run/bird/bird.ctl)\n"
    "  -i, --interval MS      time between checks (default 500)\n"
    "  -t, --timeout MS       wait this long for an answer (default 400)\n"
    "  -r, --rise N           passes in a row to announce (default 3)\n"
    "  -f, --fall N           failures in a row to withdraw (default 2)\n"
    "  -H, --hold-down MS     after a withdrawal, checks pass this long without a break\n"
    "                         before the node is announced again (default 30000)\n"
    "      --vendor V         test identity's vendor (default recall)\n"
    "      --model M          test identity's model (default health-check)\n"
    "      --fwver F          test identity's firmware version (default 0)\n"
    "      --expect KIND      clear, recalled or any (default any)\n"
    "      --anchors FILE     verify recalled answers against this anchor set\n"
    "      --once             check each address once, say how it went, exit 0 if healthy\n"
    "      --withdraw         disable the protocols and exit\n"
    "  -v, --verbose          log every check\n"
    "  -h, --help             this text\n"
    "  -V, --version          print the version\n";

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int usage_err(const char *fmt, ...) RC_PRINTF(1, 2);
static int usage_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "recall-healthcheck: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	return 2;
}

/* An unsigned number in [lo, hi]: 0, or -1. */
static int num(const char *s, unsigned long lo, unsigned long hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int load_anchors(struct hc_check *c, const char *path)
{
	static uint8_t buf[64 * 1024];
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "recall-healthcheck: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	bool big = !feof(f);
	fclose(f);
	struct rc_diag d = {0, NULL};
	int err = big ? RC_ERR_TOOLONG : rc_anchors_decode(&c->anchors, buf, n, &d);
	if (err) {
		fprintf(stderr, "recall-healthcheck: %s: not an anchor set: %s%s%s\n", path,
			d.field ? d.field : "", d.field ? ": " : "", rc_strerror(err));
		return -1;
	}
	c->have_anchors = true;
	return 0;
}

struct opts {
	const char *addr[HC_TARGETS_MAX], *proto[HC_PROTOCOLS_MAX];
	size_t naddr, nproto;
	const char *sock, *anchors;
	unsigned port, interval, timeout, rise, fall, hold;
	const char *vendor, *model, *fwver;
	bool once, withdraw;
	int verbose;
};

/* Every address checked: healthy only if each passes; why: the first failure. */
static bool check_all(const struct hc_check *c, const struct hc_target *t, size_t n, char *why,
		      size_t cap, int verbose)
{
	for (size_t i = 0; i < n; i++) {
		char w[256];
		int rc = hc_check_once(c, &t[i], w, sizeof(w));
		if (verbose)
			log_debug("%s: %s", t[i].text, w);
		if (rc < 0) {
			snprintf(why, cap, "%s: %s", t[i].text, w);
			return false;
		}
	}
	snprintf(why, cap, "%zu address%s answered", n, n == 1 ? "" : "es");
	return true;
}

static int run(const struct opts *o, const struct hc_check *c, const struct hc_target *t)
{
	struct hc_fsm f;
	struct log_rate lr;
	char why[512], err[512];
	hc_fsm_init(&f, o->rise, o->fall, o->hold);
	log_rate_init(&lr, 0.1, 3);
	log_info("checking %zu address%s every %u ms (rise %u, fall %u, hold-down %u ms); "
		 "BIRD protocols withdrawn until then",
		 o->naddr, o->naddr == 1 ? "" : "es", o->interval, o->rise, o->fall, o->hold);
	/* start withdrawn: a stale "enabled" from a previous run vouches for nothing */
	bool told = hc_bird_set(o->sock, o->proto, o->nproto, false, err, sizeof(err)) == 0;
	if (!told)
		log_warnx("%s", err);
	/* Under systemd's watchdog (WatchdogSec=) every loop pets it: a checker hung in a check or
	 * in BIRD's socket is killed, and the unit's ExecStopPost withdraws the routes it can no
	 * longer vouch for. */
	uint64_t wd = notify_watchdog_ms();
	if (wd && wd < 2ull * (o->interval + (uint64_t)o->timeout * o->naddr))
		log_warnx(
		    "WatchdogSec (%llu ms) is shorter than two rounds of checks (%llu ms): "
		    "systemd may kill a healthy checker",
		    (unsigned long long)wd,
		    (unsigned long long)(2ull * (o->interval + (uint64_t)o->timeout * o->naddr)));
	notify_send("READY=1\nSTATUS=withdrawn: checking");
	bool was_ok = true;
	uint64_t next = now_ms();
	while (!stop) {
		bool ok = check_all(c, t, o->naddr, why, sizeof(why), o->verbose);
		if (ok != was_ok)
			log_info("check %s: %s", ok ? "passes" : "fails", why);
		was_ok = ok;
		uint64_t now = now_ms();
		enum hc_change ch = hc_fsm_step(&f, ok, now);
		if (ch == HC_ANNOUNCE) {
			log_info("announcing: %u checks in a row passed", o->rise);
			notify_send("STATUS=announced");
		} else if (ch == HC_WITHDRAW) {
			log_info("withdrawing: %u checks in a row failed (%s)", o->fall, why);
			notify_send("STATUS=withdrawn: checks fail");
		} else if (ok && !f.up && f.ok_run >= f.rise)
			log_debug("hold-down: %llu ms left",
				  (unsigned long long)hc_fsm_hold_left(&f, now));
		/* told again every check: BIRD may have restarted (its protocols start disabled) */
		if (hc_bird_set(o->sock, o->proto, o->nproto, f.up, err, sizeof(err)) < 0) {
			log_warnx_rl(&lr, "%s", err);
			told = false;
		} else if (!told) {
			log_info("BIRD told: protocols %s", f.up ? "enabled" : "disabled");
			told = true;
		}
		if (wd)
			notify_send("WATCHDOG=1");
		next += o->interval;
		now = now_ms();
		if (next < now)
			next = now; /* a slow check: no burst to catch up */
		struct timespec ts = {(time_t)(next / 1000), (long)(next % 1000) * 1000000};
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	log_info("stopping: withdrawing");
	notify_send("STOPPING=1");
	if (hc_bird_set(o->sock, o->proto, o->nproto, false, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.sock = "/run/bird/bird.ctl",
			 .port = RC_PORT,
			 .interval = 500,
			 .timeout = 400,
			 .rise = 3,
			 .fall = 2,
			 .hold = 30000,
			 .vendor = "recall",
			 .model = "health-check",
			 .fwver = "0"};
	static struct hc_check c = {.expect = (1u << RC_MSG_CLEAR) | (1u << RC_MSG_RECALLED)};
	static const struct option lo[] = {
	    {"address", required_argument, NULL, 'a'},
	    {"port", required_argument, NULL, 'p'},
	    {"protocol", required_argument, NULL, 'P'},
	    {"bird-socket", required_argument, NULL, 'S'},
	    {"interval", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'},
	    {"rise", required_argument, NULL, 'r'},
	    {"fall", required_argument, NULL, 'f'},
	    {"hold-down", required_argument, NULL, 'H'},
	    {"vendor", required_argument, NULL, 1},
	    {"model", required_argument, NULL, 2},
	    {"fwver", required_argument, NULL, 3},
	    {"expect", required_argument, NULL, 4},
	    {"anchors", required_argument, NULL, 5},
	    {"once", no_argument, NULL, 6},
	    {"withdraw", no_argument, NULL, 7},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "a:p:P:S:i:t:r:f:H:vhV", lo, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (o.naddr == HC_TARGETS_MAX)
				return usage_err("--address: at most 4");
			o.addr[o.naddr++] = optarg;
			break;
		case 'P':
			if (o.nproto == HC_PROTOCOLS_MAX)
				return usage_err("--protocol: at most 4");
			if (!hc_bird_name_ok(optarg))
				return usage_err("--protocol: '%s' is not a BIRD protocol name",
						 optarg);
			o.proto[o.nproto++] = optarg;
			break;
		case 'p':
			if (num(optarg, 1, 65535, &o.port))
				return usage_err("--port: '%s' is not 1..65535", optarg);
			break;
		case 'S':
			o.sock = optarg;
			break;
		case 'i':
			if (num(optarg, 10, 3600000, &o.interval))
				return usage_err("--interval: '%s' is not 10..3600000 ms", optarg);
			break;
		case 't':
			if (num(optarg, 1, 60000, &o.timeout))
				return usage_err("--timeout: '%s' is not 1..60000 ms", optarg);
			break;
		case 'r':
			if (num(optarg, 1, 1000, &o.rise))
				return usage_err("--rise: '%s' is not 1..1000", optarg);
			break;
		case 'f':
			if (num(optarg, 1, 1000, &o.fall))
				return usage_err("--fall: '%s' is not 1..1000", optarg);
			break;
		case 'H':
			if (num(optarg, 0, 86400000, &o.hold))
				return usage_err("--hold-down: '%s' is not 0..86400000 ms", optarg);
			break;
		case 1:
			o.vendor = optarg;
			break;
		case 2:
			o.model = optarg;
			break;
		case 3:
			o.fwver = optarg;
			break;
		case 4:
			if (!strcmp(optarg, "clear"))
				c.expect = 1u << RC_MSG_CLEAR;
			else if (!strcmp(optarg, "recalled"))
				c.expect = 1u << RC_MSG_RECALLED;
			else if (strcmp(optarg, "any"))
				return usage_err("--expect: '%s' is not clear, recalled or any",
						 optarg);
			break;
		case 5:
			o.anchors = optarg;
			break;
		case 6:
			o.once = true;
			break;
		case 7:
			o.withdraw = true;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("recall-healthcheck %s\n", RECALL_VERSION_STRING);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (o.once && o.withdraw)
		return usage_err("--once and --withdraw: one or the other");
	if (!o.withdraw && !o.naddr)
		return usage_err("no --address to check");
	if (!o.once && !o.nproto)
		return usage_err("no --protocol to enable and disable");
	if (o.timeout > o.interval)
		return usage_err("--timeout is longer than --interval");
	log_init("recall-healthcheck", true, o.verbose);
	signal(SIGPIPE, SIG_IGN);
	char err[512];
	if (o.withdraw) {
		if (hc_bird_set(o.sock, o.proto, o.nproto, false, err, sizeof(err)) < 0) {
			fprintf(stderr, "recall-healthcheck: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "recall-healthcheck: libsodium did not initialise\n");
		return 1;
	}
	if (hc_check_identity(&c, o.vendor, o.model, o.fwver, err, sizeof(err)) < 0)
		return usage_err("%s", err);
	if (o.anchors && load_anchors(&c, o.anchors) < 0)
		return 1;
	c.timeout_ms = o.timeout;
	static struct hc_target t[HC_TARGETS_MAX];
	for (size_t i = 0; i < o.naddr; i++) {
		if (hc_target_parse(&t[i], o.addr[i], o.port) < 0)
			return usage_err("--address: '%s' is not a numeric IPv4 or IPv6 address",
					 o.addr[i]);
	}
	if (o.once) {
		int bad = 0;
		for (size_t i = 0; i < o.naddr; i++) {
			char why[512];
			int rc = hc_check_once(&c, &t[i], why, sizeof(why));
			printf("%s: %s: %s\n", t[i].text, rc ? "FAIL" : "ok", why);
			bad |= rc != 0;
		}
		return bad;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	return run(&o, &c, t);
}
