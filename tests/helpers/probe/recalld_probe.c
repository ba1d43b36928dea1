/* recalld-probe: the integration tests' client for recalld (loopback only).
 *   recalld-probe fixture DIR [-s serial] [-n notices] [-x expiry-seconds] [-E epoch] [-R]
 *                              [-C sig|truncate|wrongkey|notice|anchors] [-T now]
 *                              [-L log.pub -O origin -W witnesses -Q quorum [-M max-age]]
 *   recalld-probe cosign CHECKPOINT -w WITNESS [-w WITNESS...] [-t time]
 *   recalld-probe send [-6] [-a ADDR] -p PORT [-k checkin|short|oversized|garbage|version|empty]
 *                      [-m model] [-f fwver] [-E epoch] [-n count] [-d seconds] [-w window]
 *                      [-S sockets] [-x expected kinds,comma,separated|none] [-A anchors]
 *                      [-r min-serial] [-t timeout-ms] [-k proof (-N notice | -l leafhex)]
 *   recalld-probe raw -p PORT -s SOURCE [-P source-port] [-n count]   (root: forged source)
 * SIGUSR1 ends a send early (it stops sending, waits for what is outstanding and reports).
 * send prints one line of counts and exits 0 only when every request got exactly one answer
 * of an expected kind (or, with -x none, no answer at all), never larger than the request and
 * echoing its nonce; with -A the notices of recalled answers must verify against the anchors
 * and cover the device, and the proofs of proof answers must verify for the notice -N.
 * fixture with -L gives every anchor set the log policy (log key from log.pub, witnesses of
 * rdfix_witness) and writes the notices as DIR/n<i>.notice; cosign appends witness cosignatures
 * (deterministic keys) to a checkpoint note, atomically. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "probe_log.h"
#include "rdfix.h"
#include "recall/logproof.h"
#include "recall/tlog.h"

#define MAX_SOCKS  32
#define MAX_WINDOW 4096

struct req {
	bool used;
	uint8_t nonce[RC_NONCE_LEN];
	uint64_t sent_ms;
	size_t len;
};

static volatile sig_atomic_t finish; /* SIGUSR1: stop sending, collect, report */

static void on_usr1(int sig)
{
	(void)sig;
	finish = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int fixture(int argc, char **argv)
{
	struct rdfix_opts o;
	bool rot = false;
	int c;
	const char *logpub = NULL, *origin = "example.org/recall-log";
	unsigned nwit = 2, quorum = 2;
	uint32_t max_age = 86400;
	rdfix_defaults(&o);
	while ((c = getopt(argc, argv, "s:n:x:E:RC:T:L:O:W:Q:M:")) != -1) {
		switch (c) {
		case 'L':
			logpub = optarg;
			break;
		case 'O':
			origin = optarg;
			break;
		case 'W':
			nwit = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'Q':
			quorum = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'M':
			max_age = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'T':
			o.now = strtoull(optarg, NULL, 10);
			break;
		case 's':
			o.serial = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			o.nnotices = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'x':
			o.expiry_off = strtoll(optarg, NULL, 10);
			break;
		case 'E':
			o.epoch = strtoull(optarg, NULL, 10);
			break;
		case 'R':
			rot = true;
			break;
		case 'C':
			o.corrupt = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: recalld-probe fixture DIR [options]\n");
		return 2;
	}
	if (logpub && probe_log_world(logpub, origin, nwit, quorum, max_age) < 0)
		return 2;
	return rdfix_write_dir(argv[optind], &o, rot) ? 1 : 0;
}

static const char *const kind_names[] = {
    "?", "checkin", "clear", "recalled", "retry", "unsupported", "rotate", "proofrequest", "proof"};
#define NKINDS 9

struct send_opts {
	int family;
	const char *addr; /* loopback address to send to (default 127.0.0.1 / ::1) */
	uint16_t port;
	const char *kind, *model, *fwver, *expect, *anchors;
	uint64_t epoch, count, min_serial;
	double duration;
	unsigned window, nsocks, timeout_ms;
	uint8_t leaf[32]; /* -k proof: the leaf hash asked for */
	uint8_t *entry;   /* -N: the notice whose proofs must verify (with -A) */
	size_t entry_len;
};

static size_t make_request(const struct send_opts *o, uint8_t *buf, size_t cap, uint8_t *nonce)
{
	struct rc_checkin c;
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.nonce, RC_NONCE_LEN);
	memcpy(nonce, c.nonce, RC_NONCE_LEN);
	c.reason = RC_REASON_PERIODIC;
	c.anchor_epoch = o->epoch;
	fx_identity(&c.id);
	c.id.model = rc_str_c(o->model);
	c.id.fwver = rc_str_c(o->fwver);
	if (!strcmp(o->kind, "gateway"))
		c.sender = RC_SENDER_GATEWAY; /* a home gateway's check-in (PROTOCOL.md 13.1) */
	if (!strcmp(o->kind, "empty"))
		return 0;
	if (!strcmp(o->kind, "proof")) {
		struct rc_proofreq q;
		memset(&q, 0, sizeof(q));
		memcpy(q.nonce, c.nonce, RC_NONCE_LEN);
		memcpy(q.leaf, o->leaf, sizeof(q.leaf));
		q.anchor_epoch = o->epoch;
		if (rc_proofreq_encode(&q, buf) != RC_OK) {
			fprintf(stderr, "recalld-probe: cannot encode the proof request\n");
			exit(2);
		}
		return RC_CHECKIN_SIZE;
	}
	if (!strcmp(o->kind, "short") || !strcmp(o->kind, "garbage")) {
		size_t n = o->kind[0] == 's' ? 200 : RC_CHECKIN_SIZE;
		randombytes_buf(buf, n);
		return n;
	}
	if (rc_checkin_encode(&c, buf) != RC_OK) {
		fprintf(stderr, "recalld-probe: cannot encode the check-in\n");
		exit(2);
	}
	if (!strcmp(o->kind, "version")) {
		if (buf[3] != 0x01 || buf[4] != 0x01) {
			fprintf(stderr, "recalld-probe: unexpected check-in layout\n");
			exit(2);
		}
		buf[4] = 0x02; /* protocol version 2 */
	}
	if (!strcmp(o->kind, "oversized")) {
		memset(buf + RC_CHECKIN_SIZE, 0, cap - RC_CHECKIN_SIZE);
		return cap;
	}
	return RC_CHECKIN_SIZE;
}

static bool expected(const char *list, unsigned type)
{
	char buf[128];
	snprintf(buf, sizeof(buf), ",%s,", list);
	char k[32];
	snprintf(k, sizeof(k), ",%s,", type < NKINDS ? kind_names[type] : "?");
	return strstr(buf, k) != NULL;
}

static int send_main(int argc, char **argv)
{
	struct send_opts o = {.family = AF_INET,
			      .kind = "checkin",
			      .model = "cam-1",
			      .fwver = "9.9.9",
			      .expect = "clear",
			      .epoch = 1,
			      .count = 1,
			      .window = 32,
			      .nsocks = 1,
			      .timeout_ms = 2000};
	int c;
	while ((c = getopt(argc, argv, "6a:p:k:m:f:E:n:d:w:S:x:A:r:t:N:l:")) != -1) {
		switch (c) {
		case 'N': {
			static uint8_t entry[RC_NOTICE_MAX + 1];
			FILE *f = fopen(optarg, "rb");
			o.entry = entry;
			o.entry_len = f ? fread(entry, 1, sizeof(entry), f) : 0;
			if (f)
				fclose(f);
			if (!o.entry_len || o.entry_len > RC_NOTICE_MAX) {
				fprintf(stderr, "recalld-probe: %s: not a notice file\n", optarg);
				return 2;
			}
			rc_tlog_leaf_hash(o.leaf, o.entry, o.entry_len);
			break;
		}
		case 'l': {
			size_t bl = 0;
			if (sodium_hex2bin(o.leaf, sizeof(o.leaf), optarg, strlen(optarg), NULL,
					   &bl, NULL) ||
			    bl != sizeof(o.leaf)) {
				fprintf(stderr, "recalld-probe: -l: 64 hex digits\n");
				return 2;
			}
			break;
		}
		case 'a':
			o.addr = optarg;
			break;
		case '6':
			o.family = AF_INET6;
			break;
		case 'p':
			o.port = (uint16_t)atoi(optarg);
			break;
		case 'k':
			o.kind = optarg;
			break;
		case 'm':
			o.model = optarg;
			break;
		case 'f':
			o.fwver = optarg;
			break;
		case 'E':
			o.epoch = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			o.count = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			o.duration = atof(optarg);
			break;
		case 'w':
			o.window = (unsigned)atoi(optarg);
			break;
		case 'S':
			o.nsocks = (unsigned)atoi(optarg);
			break;
		case 'x':
			o.expect = optarg;
			break;
		case 'A':
			o.anchors = optarg;
			break;
		case 'r':
			o.min_serial = strtoull(optarg, NULL, 10);
			break;
		case 't':
			o.timeout_ms = (unsigned)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!o.port || !o.window || o.window > MAX_WINDOW || !o.nsocks || o.nsocks > MAX_SOCKS ||
	    o.duration > 600 || o.count > 100000000) {
		fprintf(stderr,
			"recalld-probe send: bad options (port, window, sockets, bounds)\n");
		return 2;
	}
	struct rc_anchors anchors;
	if (o.anchors) {
		FILE *f = fopen(o.anchors, "rb");
		uint8_t ab[4096];
		size_t an = f ? fread(ab, 1, sizeof(ab), f) : 0;
		if (f)
			fclose(f);
		if (!an || rc_anchors_decode(&anchors, ab, an, NULL) != RC_OK) {
			fprintf(stderr, "recalld-probe: %s: not an anchor set\n", o.anchors);
			return 2;
		}
	}
	bool none = !strcmp(o.expect, "none");
	signal(SIGUSR1, on_usr1);
	int fds[MAX_SOCKS];
	struct pollfd pfd[MAX_SOCKS];
	for (unsigned i = 0; i < o.nsocks; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;
		memset(&ss, 0, sizeof(ss));
		if (o.family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			s4->sin_port = htons(o.port);
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (o.addr && (inet_pton(AF_INET, o.addr, &s4->sin_addr) != 1 ||
				       ((const uint8_t *)&s4->sin_addr)[0] != 127)) {
				fprintf(stderr, "recalld-probe: -a must be a 127.x.y.z address\n");
				return 2;
			}
			sl = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(o.port);
			s6->sin6_addr = in6addr_loopback;
			sl = sizeof(*s6);
		}
		fds[i] = socket(o.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&ss, sl) < 0) {
			perror("recalld-probe: socket");
			return 2;
		}
		int b = 1 << 22;
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &b, sizeof(b));
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	static struct req reqs[MAX_SOCKS][MAX_WINDOW];
	unsigned per = o.window;
	uint64_t sent = 0, answered = 0, lost = 0, wrong = 0, bigger = 0, badnonce = 0;
	uint64_t kinds[NKINDS] = {0}, smin = UINT64_MAX, smax = 0, outstanding = 0, badnotice = 0;
	uint64_t badproof = 0, abytes = 0;
	uint64_t start = now_ms(), deadline = start + (uint64_t)(o.duration * 1000);
	uint8_t buf[1500], ans[2048];
	struct rc_identity id;
	fx_identity(&id);
	id.model = rc_str_c(o.model);
	id.fwver = rc_str_c(o.fwver);
	for (;;) {
		uint64_t t = now_ms();
		bool more = !finish && (o.duration > 0 ? t < deadline : sent < o.count);
		/* fill every free slot */
		for (unsigned s = 0; more && s < o.nsocks; s++) {
			for (unsigned j = 0; j < per && more; j++) {
				struct req *r = &reqs[s][j];
				if (r->used)
					continue;
				size_t n = make_request(&o, buf, sizeof(buf), r->nonce);
				if (send(fds[s], buf, n, 0) < 0) {
					if (errno == EAGAIN)
						break;
					perror("recalld-probe: send");
					return 2;
				}
				r->used = true;
				r->sent_ms = t;
				r->len = n;
				sent++;
				outstanding++;
				more = !finish &&
				       (o.duration > 0 ? now_ms() < deadline : sent < o.count);
			}
		}
		if (!more && !outstanding)
			break;
		int pr = poll(pfd, o.nsocks, 20);
		if (pr < 0 && errno != EINTR)
			return 2;
		for (unsigned s = 0; s < o.nsocks; s++) {
			for (;;) {
				ssize_t n = recv(fds[s], ans, sizeof(ans), 0);
				if (n < 0)
					break;
				struct rc_answer a;
				int e = rc_answer_decode(&a, ans, (size_t)n, NULL);
				struct req *r = NULL;
				for (unsigned j = 0; !e && j < per; j++) {
					if (reqs[s][j].used &&
					    !memcmp(reqs[s][j].nonce, a.nonce, RC_NONCE_LEN))
						r = &reqs[s][j];
				}
				if (e) {
					wrong++;
					continue;
				}
				if (!r) {
					badnonce++;
					continue;
				}
				r->used = false;
				outstanding--;
				answered++;
				abytes += (uint64_t)n;
				if ((size_t)n > r->len)
					bigger++;
				kinds[a.type < NKINDS ? a.type : 0]++;
				if (a.type == RC_MSG_PROOF && o.anchors && o.entry) {
					struct rc_logproof lp;
					uint32_t wn = 0;
					if (rc_logproof_decode(&lp, a.blob, a.blob_len, NULL) ||
					    rc_logproof_verify(&anchors, o.entry, o.entry_len, &lp,
							       (uint64_t)time(NULL), true, &wn,
							       NULL) != RC_OK ||
					    wn < anchors.log.quorum)
						badproof++;
				}
				if (a.type == RC_MSG_CLEAR) {
					smin = a.serial < smin ? a.serial : smin;
					smax = a.serial > smax ? a.serial : smax;
					if (a.serial < o.min_serial)
						wrong++;
				}
				if (a.type == RC_MSG_RECALLED && o.anchors) {
					struct rc_notice nt;
					if (rc_notice_check(&nt, a.blob, a.blob_len, &anchors, &id,
							    (uint64_t)time(NULL), true, NULL,
							    NULL) != RC_OK)
						badnotice++;
				}
				if (none || !expected(o.expect, a.type))
					wrong++;
			}
		}
		t = now_ms();
		for (unsigned s = 0; s < o.nsocks; s++) {
			for (unsigned j = 0; j < per; j++) {
				struct req *r = &reqs[s][j];
				if (r->used && t - r->sent_ms > o.timeout_ms) {
					r->used = false;
					outstanding--;
					lost++;
				}
			}
		}
	}
	printf("sent=%llu answered=%llu lost=%llu wrong=%llu bigger=%llu badnonce=%llu "
	       "badnotice=%llu clear=%llu recalled=%llu retry=%llu unsupported=%llu rotate=%llu "
	       "serial_min=%llu serial_max=%llu proof=%llu badproof=%llu bytes=%llu ms=%llu\n",
	       (unsigned long long)sent, (unsigned long long)answered, (unsigned long long)lost,
	       (unsigned long long)wrong, (unsigned long long)bigger, (unsigned long long)badnonce,
	       (unsigned long long)badnotice, (unsigned long long)kinds[2],
	       (unsigned long long)kinds[3], (unsigned long long)kinds[4],
	       (unsigned long long)kinds[5], (unsigned long long)kinds[6],
	       (unsigned long long)(smin == UINT64_MAX ? 0 : smin), (unsigned long long)smax,
	       (unsigned long long)kinds[RC_MSG_PROOF], (unsigned long long)badproof,
	       (unsigned long long)abytes, (unsigned long long)(now_ms() - start));
	bool ok = wrong == 0 && bigger == 0 && badnonce == 0 && badnotice == 0 && badproof == 0 &&
		  (none ? answered == 0 : lost == 0 && answered == sent);
	return ok ? 0 : 1;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Internet checksum over a pseudo-header and the UDP datagram (RFC 768, RFC 8200 8.1). */
static uint16_t csum(const uint8_t *pseudo, size_t plen, const uint8_t *d, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < plen; i += 2)
		sum += (uint32_t)pseudo[i] << 8 | pseudo[i + 1];
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)d[i] << 8 | (i + 1 < n ? d[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t c = (uint16_t)~sum;
	return c ? c : 0xffff;
}

/* raw -p PORT -s SOURCE [-P source-port] [-n count]: send check-ins to 127.0.0.1 (IPv4 source)
 * or ::1 (IPv6 source) from a forged source through a raw socket (root), to show what recalld
 * does with sources a real socket cannot have: multicast, broadcast, unspecified, mapped.
 * Loopback only: the destination is fixed. Exit 77 without the privilege. */
static int raw_main(int argc, char **argv)
{
	const char *src = NULL;
	unsigned port = 0, sport = 40000, count = 1;
	int c;
	while ((c = getopt(argc, argv, "p:s:P:n:")) != -1) {
		switch (c) {
		case 'p':
			port = (unsigned)atoi(optarg);
			break;
		case 's':
			src = optarg;
			break;
		case 'P':
			sport = (unsigned)atoi(optarg);
			break;
		case 'n':
			count = (unsigned)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	uint8_t a[16];
	int fam = src && inet_pton(AF_INET, src, a) == 1    ? AF_INET
		  : src && inet_pton(AF_INET6, src, a) == 1 ? AF_INET6
							    : 0;
	if (!fam || !port || port > 65535 || sport > 65535 || !count || count > 1000) {
		fprintf(stderr,
			"usage: recalld-probe raw -p PORT -s SOURCE [-P sport] [-n 1..1000]\n");
		return 2;
	}
	int fd = socket(fam, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW); /* header included */
	if (fd < 0) {
		perror("recalld-probe raw: socket");
		return errno == EPERM || errno == EACCES ? 77 : 2;
	}
	static uint8_t pkt[40 + 8 + RC_CHECKIN_SIZE];
	uint8_t nonce[RC_NONCE_LEN], pseudo[40];
	struct send_opts o = {.kind = "checkin", .model = "cam-1", .fwver = "1.2.3", .epoch = 1};
	size_t hl = fam == AF_INET ? 20 : 40, ulen = 8 + RC_CHECKIN_SIZE;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t sl;
	for (unsigned i = 0; i < count; i++) {
		memset(pkt, 0, sizeof(pkt));
		uint8_t *u = pkt + hl;
		make_request(&o, u + 8, RC_CHECKIN_SIZE, nonce);
		put16(u + 0, (unsigned)sport);
		put16(u + 2, (unsigned)port);
		put16(u + 4, (unsigned)ulen);
		memset(pseudo, 0, sizeof(pseudo));
		if (fam == AF_INET) {
			uint8_t dst[4] = {127, 0, 0, 1};
			pkt[0] = 0x45;
			put16(pkt + 2, (unsigned)(hl + ulen));
			pkt[8] = 64;
			pkt[9] = IPPROTO_UDP;
			memcpy(pkt + 12, a, 4);
			memcpy(pkt + 16, dst, 4);
			memcpy(pseudo, a, 4);
			memcpy(pseudo + 4, dst, 4);
			pseudo[9] = IPPROTO_UDP;
			put16(pseudo + 10, (unsigned)ulen);
			uint16_t k = csum(pseudo, 12, u, ulen);
			put16(u + 6, (unsigned)k);
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, dst, 4);
			sl = sizeof(*s4);
		} else {
			pkt[0] = 0x60;
			put16(pkt + 4, (unsigned)ulen);
			pkt[6] = IPPROTO_UDP;
			pkt[7] = 64;
			memcpy(pkt + 8, a, 16);
			pkt[24 + 15] = 1; /* ::1 */
			memcpy(pseudo, pkt + 8, 32);
			put16(pseudo + 34, (unsigned)ulen);
			pseudo[39] = IPPROTO_UDP;
			uint16_t k = csum(pseudo, 40, u, ulen);
			put16(u + 6, (unsigned)k);
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_loopback;
			sl = sizeof(*s6);
		}
		if (sendto(fd, pkt, hl + ulen, 0, (struct sockaddr *)&ss, sl) < 0) {
			perror("recalld-probe raw: sendto");
			close(fd);
			return 1;
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 2;
	if (argc >= 2 && !strcmp(argv[1], "fixture"))
		return fixture(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return send_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "raw"))
		return raw_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "cosign"))
		return cosign_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "publish"))
		return publish_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: recalld-probe fixture DIR [options] | send -p PORT [options]\n");
	return 2;
}
