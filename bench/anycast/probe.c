/* recall-bench-anycast-probe: a steady stream of real check-ins to one address from one
 * socket (one flow, so ECMP keeps it on one node), for bench/anycast/failover.sh. Each
 * check-in carries its sequence number in the nonce; on SIGTERM or SIGINT it stops sending,
 * waits the timeout for late answers, and prints one line per check-in:
 *   SEQ SENT_NS ANSWERED_NS TYPE
 * (CLOCK_REALTIME nanoseconds, ANSWERED_NS 0 and TYPE "-" when no answer came). */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "recall/msg.h"

#define MAX_PROBES (1u << 20)

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rt_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char usage[] =
    "usage: recall-bench-anycast-probe [-p PORT] [-i INTERVAL_US] [-t TIMEOUT_MS]\n"
    "                                  [-d MAX_SECONDS] --vendor V --model M --fwver F ADDRESS\n";

int main(int argc, char **argv)
{
	const char *port = "7412", *vendor = NULL, *model = NULL, *fwver = NULL;
	unsigned interval_us = 5000, timeout_ms = 1000, max_s = 120;
	static const struct option lo[] = {{"vendor", required_argument, NULL, 1},
					   {"model", required_argument, NULL, 2},
					   {"fwver", required_argument, NULL, 3},
					   {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "p:i:t:d:", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = optarg;
			break;
		case 'i':
			interval_us = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			max_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 1:
			vendor = optarg;
			break;
		case 2:
			model = optarg;
			break;
		case 3:
			fwver = optarg;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind + 1 != argc || !vendor || !model || !fwver || interval_us < 100 || !max_s) {
		fputs(usage, stderr);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai;
	if (getaddrinfo(argv[optind], port, &hints, &ai)) {
		fprintf(stderr, "recall-bench-anycast-probe: %s: not a numeric address\n",
			argv[optind]);
		return 2;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("recall-bench-anycast-probe: socket");
		return 1;
	}
	freeaddrinfo(ai);
	char cv[RC_NAME_MAX + 1], cm[RC_NAME_MAX + 1];
	if (rc_name_canon(cv, sizeof(cv), vendor, strlen(vendor)) <= 0 ||
	    rc_name_canon(cm, sizeof(cm), model, strlen(model)) <= 0) {
		fprintf(stderr, "recall-bench-anycast-probe: bad vendor or model\n");
		return 2;
	}
	struct rc_checkin ci = {.reason = RC_REASON_PERIODIC,
				.id = {.vendor = rc_str_c(cv),
				       .model = rc_str_c(cm),
				       .hwrev = rc_str_c(""),
				       .fwver = rc_str_c(fwver)}};
	randombytes_buf(ci.nonce, sizeof(ci.nonce));
	size_t max = (size_t)max_s * 1000000u / interval_us;
	if (max > MAX_PROBES)
		max = MAX_PROBES;
	uint64_t *sent = calloc(max, sizeof(*sent)), *got = calloc(max, sizeof(*got));
	uint8_t *type = calloc(max, 1);
	if (!sent || !got || !type)
		return 1;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	uint8_t req[RC_CHECKIN_SIZE], buf[RC_ANSWER_MAX + 1];
	size_t n = 0;
	uint64_t next = rt_ns(), drain_until = 0;
	for (;;) {
		uint64_t now = rt_ns();
		if ((stop || n == max) && !drain_until)
			drain_until = now + (uint64_t)timeout_ms * 1000000u;
		if (drain_until && now >= drain_until)
			break;
		if (!drain_until && now >= next) {
			uint64_t seq = n;
			memcpy(ci.nonce, &seq, sizeof(seq));
			if (rc_checkin_encode(&ci, req)) {
				fprintf(stderr, "recall-bench-anycast-probe: bad identity\n");
				return 2;
			}
			sent[n++] = rt_ns();
			/* a pending ICMP error fails one send without sending: send again */
			if (send(fd, req, sizeof(req), 0) < 0 && errno == ECONNREFUSED)
				(void)send(fd, req, sizeof(req), 0);
			next += (uint64_t)interval_us * 1000u;
			if (next < now)
				next = now;
		}
		uint64_t wake = drain_until ? drain_until : next;
		now = rt_ns();
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int wait_ms = wake > now ? (int)((wake - now) / 1000000u) : 0;
		if (poll(&pf, 1, wait_ms) <= 0)
			continue;
		ssize_t r;
		while ((r = recv(fd, buf, sizeof(buf), 0)) >= 0 || errno == ECONNREFUSED) {
			if (r < 0)
				continue; /* an ICMP error: the next datagram may be an answer */
			struct rc_answer a;
			uint64_t seq;
			uint64_t t = rt_ns();
			if ((size_t)r > RC_ANSWER_MAX ||
			    rc_answer_decode(&a, buf, (size_t)r, NULL) ||
			    memcmp(a.nonce + 8, ci.nonce + 8, RC_NONCE_LEN - 8))
				continue;
			memcpy(&seq, a.nonce, sizeof(seq));
			if (seq < n && !got[seq]) {
				got[seq] = t;
				type[seq] = a.type;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		printf("%zu %llu %llu %s\n", i, (unsigned long long)sent[i],
		       (unsigned long long)got[i], got[i] ? rc_msg_type_name(type[i]) : "-");
	free(sent);
	free(got);
	free(type);
	close(fd);
	return 0;
}
