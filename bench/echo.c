/* recall-bench-echo: the smallest UDP server built like recalld (one SO_REUSEPORT socket per
 * worker thread, recvmmsg/sendmmsg batches, buffers allocated once, a receive that sleeps until
 * the first datagram and then takes what else is waiting), echoing every datagram unchanged, or
 * only its first bytes (-r) so that its answers can be as large as recalld's. Its answers per
 * CPU-second are what the kernel allows on this machine: the ceiling recalld is measured against.
 *
 * It binds loopback only (an echo server elsewhere would be a reflector) and stops on SIGINT or
 * SIGTERM, or after --max-time seconds at the latest. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SLOT    2048 /* any datagram up to this size is echoed whole */
#define IDLE_MS 200  /* as recalld: how quickly an idle worker notices a stop */

static const char usage_text[] =
    "usage: recall-bench-echo [-a ADDR] [-p PORT] [-t THREADS] [-b BATCH] [-B BYTES]\n"
    "                         [-r BYTES] [--max-time SECONDS]\n"
    "Echo every UDP datagram back to its sender, with recalld's batching and threads.\n"
    "  -a, --address ADDR  loopback address to bind: 127.0.0.0/8 or ::1 (default 127.0.0.1)\n"
    "  -p, --port PORT     UDP port (default 7412)\n"
    "  -t, --threads N     worker threads, one socket each (default: one per CPU)\n"
    "  -b, --batch N       datagrams per recvmmsg/sendmmsg (default 64, as recalld)\n"
    "  -B, --sockbuf N     socket buffer bytes (default 4194304, as recalld)\n"
    "  -r, --reply N       send back only the first N bytes of each datagram (default: all)\n"
    "  -m, --max-time S    exit after S seconds at the latest (default 3600)\n";

static atomic_bool stop;

struct worker {
	pthread_t th;
	int fd;
	unsigned batch;
	size_t reply; /* bytes sent back at most (0: all) */
	struct mmsghdr *msg;
	struct iovec *iov;
	struct sockaddr_storage *names;
	uint8_t *buf;
	uint64_t echoed;
};

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static int open_socket(const struct sockaddr_storage *ss, socklen_t sl, int sockbuf)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (ss->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sockbuf, sizeof(sockbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sockbuf, sizeof(sockbuf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sockbuf, sizeof(sockbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof(sockbuf));
	/* as recalld: an idle receive wakes after IDLE_MS to notice a stop */
	struct timeval idle = {0, IDLE_MS * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, sl) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* One batch: wait for a datagram (IDLE_MS at most), take what else is waiting, send it all
 * back; returns datagrams received. */
static int batch(struct worker *w)
{
	for (unsigned i = 0; i < w->batch; i++) {
		w->iov[i].iov_base = w->buf + (size_t)i * SLOT;
		w->iov[i].iov_len = SLOT;
		struct msghdr *h = &w->msg[i].msg_hdr;
		h->msg_name = &w->names[i];
		h->msg_namelen = sizeof(w->names[i]);
		h->msg_iov = &w->iov[i];
		h->msg_iovlen = 1;
		h->msg_control = NULL;
		h->msg_controllen = 0;
		h->msg_flags = 0;
	}
	int got = recvmmsg(w->fd, w->msg, w->batch, MSG_WAITFORONE, NULL);
	if (got <= 0)
		return 0;
	/* the same headers go back out: name = sender, iov length = bytes received (or -r) */
	for (int i = 0; i < got; i++) {
		size_t n = w->msg[i].msg_len;
		w->iov[i].iov_len = w->reply && w->reply < n ? w->reply : n;
	}
	int sent = 0;
	while (sent < got) {
		int r = sendmmsg(w->fd, w->msg + sent, (unsigned)(got - sent), 0);
		if (r < 0 && errno == EINTR)
			continue;
		sent += r > 0 ? r : 1; /* skip a datagram the kernel refuses */
	}
	w->echoed += (uint64_t)got;
	return got;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		batch(w);
	return NULL;
}

static bool parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*sl = sizeof(*s4);
		return ((const uint8_t *)&s4->sin_addr)[0] == 127;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sl = sizeof(*s6);
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	return false;
}

static bool unum(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"address", required_argument, NULL, 'a'},
	    {"port", required_argument, NULL, 'p'},
	    {"threads", required_argument, NULL, 't'},
	    {"batch", required_argument, NULL, 'b'},
	    {"sockbuf", required_argument, NULL, 'B'},
	    {"max-time", required_argument, NULL, 'm'},
	    {"reply", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *addr = "127.0.0.1";
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long port = 7412, threads = ncpu > 0 ? (unsigned long)ncpu : 1, nb = 64;
	unsigned long sockbuf = 4194304, max_time = 3600, reply = 0;
	int c;
	while ((c = getopt_long(argc, argv, "a:p:t:b:B:m:r:h", lo, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			ok = unum(optarg, 1, 65535, &port);
			break;
		case 't':
			ok = unum(optarg, 1, 256, &threads);
			break;
		case 'b':
			ok = unum(optarg, 1, 1024, &nb);
			break;
		case 'B':
			ok = unum(optarg, 4096, 1ul << 30, &sockbuf);
			break;
		case 'm':
			ok = unum(optarg, 1, 86400, &max_time);
			break;
		case 'r':
			ok = unum(optarg, 1, SLOT, &reply);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 64;
		}
		if (!ok) {
			fprintf(stderr, "recall-bench-echo: bad value: %s\n%s", optarg, usage_text);
			return 64;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 64;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!parse_addr(addr, (uint16_t)port, &ss, &sl)) {
		fprintf(stderr, "recall-bench-echo: %s: loopback addresses only\n", addr);
		return 64;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	struct worker *w = calloc(threads, sizeof(*w));
	if (!w)
		return 1;
	for (unsigned long i = 0; i < threads; i++) {
		w[i].batch = (unsigned)nb;
		w[i].reply = reply;
		w[i].msg = calloc(nb, sizeof(*w[i].msg));
		w[i].iov = calloc(nb, sizeof(*w[i].iov));
		w[i].names = calloc(nb, sizeof(*w[i].names));
		w[i].buf = calloc(nb, SLOT);
		w[i].fd = open_socket(&ss, sl, (int)sockbuf);
		if (!w[i].msg || !w[i].iov || !w[i].names || !w[i].buf || w[i].fd < 0) {
			fprintf(stderr, "recall-bench-echo: %s port %lu: %s\n", addr, port,
				strerror(errno));
			return 1;
		}
	}
	/* threads inherit this mask: signals go to the main thread, which waits for them */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (unsigned long i = 0; i < threads; i++) {
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i])) {
			fprintf(stderr, "recall-bench-echo: cannot start thread %lu\n", i);
			return 1;
		}
	}
	alarm((unsigned)max_time);
	char what[48] = "whole datagrams";
	if (reply)
		snprintf(what, sizeof(what), "the first %lu bytes", reply);
	fprintf(stderr, "recall-bench-echo: %s port %lu, %lu thread(s), batch %lu, echoing %s\n",
		addr, port, threads, nb, what);
	while (!atomic_load(&stop))
		sigsuspend(&old); /* atomically unblocks and waits: no signal is missed */
	uint64_t total = 0;
	for (unsigned long i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].echoed;
		close(w[i].fd);
		free(w[i].msg);
		free(w[i].iov);
		free(w[i].names);
		free(w[i].buf);
	}
	free(w);
	fprintf(stderr, "recall-bench-echo: echoed %llu datagrams\n", (unsigned long long)total);
	return 0;
}
