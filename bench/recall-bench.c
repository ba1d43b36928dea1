/* recall-bench: a load generator for recalld (and, for comparison, an echo server). Sends real
 * check-ins for builds a feed recalls and builds it does not, plus garbage, and reports what
 * came back, what was lost, the answer rate and latency percentiles. See recall-bench(1).
 *
 * Safety: it only sends to loopback (127.0.0.0/8, ::1). To load a server in a namespace lab,
 * run it inside that namespace (ip netns exec NS recall-bench ...) against the namespace's own
 * loopback. Every run is bounded by a request count and a duration. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "ident.h"
#include "load.h"
#include "recall/tlog.h"

#define NGARBAGE     512
#define MAX_DURATION 3600.0
#define MAX_COUNT    UINT64_C(10000000000)
#define EXIT_USAGE   64
#define EXIT_FAILED  1
#define EXIT_STRICT  2
#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0.1.0"
#endif

static const char usage_text[] =
    "usage: recall-bench [-s ADDR] [-p PORT] [--feed FEED] [-m C:R:G] [--duration T] [-n COUNT]\n"
    "                    [--threads N] [-S SOCKETS] [-b BATCH] [-w WINDOW] [-r RATE]\n"
    "                    [-T TIMEOUT] [-i IDENTS] [-P SERVER_PID] [--unlisted] [--echo]\n"
    "                    [--proof NOTICE] [--private] [--json] [--strict]\n"
    "Load a recall responder on loopback with check-ins and garbage; report answers by kind,\n"
    "losses, answers per second and latency percentiles.\n"
    "  -s, --server ADDR     responder address: 127.0.0.0/8 or ::1 only (default 127.0.0.1)\n"
    "  -p, --port PORT       UDP port (default 7412)\n"
    "      --feed FEED       feed the responder serves: recalled and clear builds come from it\n"
    "  -m, --mix C:R:G       weights of clear, recalled and garbage requests (default 80:20:0)\n"
    "      --duration T      stop sending after T (default 10s, at most 1h; a bare number is\n"
    "                        seconds)\n"
    "  -n, --count N         stop after N requests (default 100000000)\n"
    "      --threads N       sending threads (default 1)\n"
    "  -S, --sockets N       sockets per thread (default 4)\n"
    "  -b, --batch N         datagrams per sendmmsg/recvmmsg (default 64)\n"
    "  -w, --window N        requests outstanding per socket (default 256)\n"
    "  -r, --rate N          requests per second in total (default: as fast as answers come)\n"
    "  -T, --timeout T       a request unanswered after T is lost (default 1s; a bare number\n"
    "                        is milliseconds)\n"
    "  -i, --idents N        distinct recalled (and as many clear) builds (default 4096)\n"
    "  -u, --unlisted        clear builds are of models no notice names (default: other\n"
    "                        versions of recalled models, so every lookup finds a notice)\n"
    "  -e, --epoch E         anchor epoch in the check-ins (default 1)\n"
    "  -P, --server-pid PID  also report the server's CPU time and answers per CPU-second\n"
    "      --echo            the server echoes datagrams: an answer is the request itself\n"
    "      --proof NOTICE    the recalled share of the mix are proof requests for the notice\n"
    "                        in this file (its exact signed bytes), which must get proofs\n"
    "      --private         private mode (PROTOCOL.md 18): every device sends a private\n"
    "                        check-in (its model's 12-bit prefix), answered by a bucket; the\n"
    "                        recalled share also a notice request for its model's notice:\n"
    "                        -m C:R:G sends private check-ins, notice requests and garbage\n"
    "                        in the weights C+R:R:G (needs --feed)\n"
    "  -j, --json            one JSON object instead of text\n"
    "      --strict          exit 2 if anything was lost, late, wrong or malformed\n"
    "  -h, --help            this text; -V, --version: the version\n";

struct opts {
	const char *server, *feed, *proof;
	unsigned long port, threads, sockets, batch, window, idents;
	unsigned long long count, rate, timeout_ms, epoch;
	double duration;
	unsigned mix[BK__COUNT];
	long server_pid;
	bool echo, json, strict, unlisted, priv;
};

static int usage_fail(const char *msg, const char *arg)
{
	fprintf(stderr, "recall-bench: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "",
		usage_text);
	return EXIT_USAGE;
}

static bool num(const char *s, unsigned long long lo, unsigned long long hi,
		unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool unum(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long long v;
	if (!num(s, lo, hi, &v))
		return false;
	*out = (unsigned long)v;
	return true;
}

/* A duration as in the configuration files ("500ms", "2s", "1m30s") in milliseconds, within
 * lo..hi; a bare number counts in units of bare_ms (1: milliseconds, 1000: seconds). */
static bool duration_ms(const char *s, unsigned long long lo, unsigned long long hi,
			unsigned long long *out, unsigned bare_ms)
{
	unsigned long long v;
	uint64_t ms;
	char err[128];
	if (*s && strspn(s, "0123456789") == strlen(s)) {
		if (!num(s, 0, ULLONG_MAX / bare_ms, &v))
			return false;
		v *= bare_ms;
	} else if (conf_parse_duration(s, 0, UINT64_MAX, &ms, err, sizeof(err)) == 0) {
		v = ms;
	} else {
		return false;
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_mix(const char *s, unsigned mix[BK__COUNT])
{
	unsigned a, b, c;
	char tail;
	if (sscanf(s, "%u:%u:%u%c", &a, &b, &c, &tail) != 3 || a > 1000000 || b > 1000000 ||
	    c > 1000000 || a + b + c == 0)
		return false;
	mix[BK_CLEAR] = a;
	mix[BK_RECALLED] = b;
	mix[BK_GARBAGE] = c;
	return true;
}

/* Loopback only: 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8. */
static bool set_dst(struct bench_cfg *cfg, const char *addr, uint16_t port)
{
	memset(&cfg->dst, 0, sizeof(cfg->dst));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&cfg->dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&cfg->dst;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		cfg->dstlen = sizeof(*s4);
		return ((const uint8_t *)&s4->sin_addr)[0] == 127;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		cfg->dstlen = sizeof(*s6);
		const uint8_t *a = s6->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		       (!memcmp(a, mapped, 12) && a[12] == 127);
	}
	return false;
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"server", required_argument, NULL, 's'},
	    {"port", required_argument, NULL, 'p'},
	    {"feed", required_argument, NULL, 0x100 | 'f'},
	    {"mix", required_argument, NULL, 'm'},
	    {"duration", required_argument, NULL, 0x100 | 'd'},
	    {"count", required_argument, NULL, 'n'},
	    {"threads", required_argument, NULL, 0x100 | 't'},
	    {"sockets", required_argument, NULL, 'S'},
	    {"batch", required_argument, NULL, 'b'},
	    {"window", required_argument, NULL, 'w'},
	    {"rate", required_argument, NULL, 'r'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"idents", required_argument, NULL, 'i'},
	    {"epoch", required_argument, NULL, 'e'},
	    {"server-pid", required_argument, NULL, 'P'},
	    {"echo", no_argument, NULL, 'E'},
	    {"proof", required_argument, NULL, 'R'},
	    {"unlisted", no_argument, NULL, 'u'},
	    {"private", no_argument, NULL, 'Q'},
	    {"json", no_argument, NULL, 'j'},
	    {"strict", no_argument, NULL, 'X'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	*o = (struct opts){.server = "127.0.0.1",
			   .port = 7412,
			   .threads = 1,
			   .sockets = 4,
			   .batch = 64,
			   .window = 256,
			   .idents = 4096,
			   .count = 100000000,
			   .timeout_ms = 1000,
			   .epoch = 1,
			   .duration = 10,
			   .server_pid = -1,
			   .mix = {80, 20, 0}};
	int c;
	unsigned long long v;
	while ((c = getopt_long(argc, argv, "s:p:f:m:d:n:t:S:b:w:r:T:i:e:P:ujhV", lo, NULL)) !=
	       -1) {
		char *end;
		bool ok = true;
		if (c == 'f' || c == 'd' || c == 't') {
			/* -f, -d and -t are --foreground, --debug and --test in the daemons
			 * (recall(1), OPTION LETTERS): kept for old scripts, with a warning */
			const char *name = c == 'f' ? "feed" : c == 'd' ? "duration" : "threads";
			fprintf(stderr,
				"recall-bench: -%c is an old spelling of --%s, kept for old "
				"scripts: use --%s\n",
				c, name, name);
			c |= 0x100;
		}
		switch (c) {
		case 's':
			o->server = optarg;
			break;
		case 0x100 | 'f':
			o->feed = optarg;
			break;
		case 'p':
			ok = unum(optarg, 1, 65535, &o->port);
			break;
		case 0x100 | 't':
			ok = unum(optarg, 1, 64, &o->threads);
			break;
		case 'S':
			ok = unum(optarg, 1, 64, &o->sockets);
			break;
		case 'b':
			ok = unum(optarg, 1, 1024, &o->batch);
			break;
		case 'w':
			ok = unum(optarg, 1, 65536, &o->window);
			break;
		case 'i':
			ok = unum(optarg, 1, 1u << 20, &o->idents);
			break;
		case 'n':
			ok = num(optarg, 1, MAX_COUNT, &o->count);
			break;
		case 'r':
			ok = num(optarg, 0, 100000000, &o->rate);
			break;
		case 'T':
			ok = duration_ms(optarg, 1, 60000, &o->timeout_ms, 1);
			break;
		case 'e':
			ok = num(optarg, 0, UINT64_MAX, &o->epoch);
			break;
		case 'P':
			ok = num(optarg, 1, 1u << 30, &v);
			o->server_pid = (long)v;
			break;
		case 'm':
			ok = parse_mix(optarg, o->mix);
			break;
		case 0x100 | 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			ok = !errno && end != optarg && !*end && o->duration > 0 &&
			     o->duration <= MAX_DURATION;
			if (!ok && duration_ms(optarg, 1, (unsigned long long)MAX_DURATION * 1000,
					       &v, 1000)) {
				o->duration = (double)v / 1000;
				ok = true;
			}
			break;
		case 'E':
			o->echo = true;
			break;
		case 'R':
			o->proof = optarg;
			break;
		case 'u':
			o->unlisted = true;
			break;
		case 'Q':
			o->priv = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'X':
			o->strict = true;
			break;
		case 'V':
			printf("recall-bench %s\n", RECALL_VERSION_STRING);
			exit(0);
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			return usage_fail("bad option", NULL);
		}
		if (!ok)
			return usage_fail("bad value", optarg);
	}
	if (optind != argc)
		return usage_fail("unexpected argument", argv[optind]);
	if (o->priv && (!o->feed || o->proof || o->echo))
		return usage_fail("--private needs --feed, and no --proof or --echo", NULL);
	if (o->mix[BK_RECALLED] && !o->feed && !o->proof)
		return usage_fail("recalled requests need the feed (-f FEED) or a mix of C:0:G",
				  NULL);
	return 0;
}

/* Check-in templates for identities, nonce left as a marker whose offset is recorded. */
static int encode_all(const struct bench_ident *v, long n, uint64_t epoch, unsigned kind,
		      struct bench_tpl *tpl, uint8_t *mem, size_t *nonce_off)
{
	for (long i = 0; i < n; i++) {
		struct rc_checkin ck;
		memset(&ck, 0, sizeof(ck));
		memset(ck.nonce, 0xa5, RC_NONCE_LEN);
		ck.reason = RC_REASON_PERIODIC;
		ck.state = RC_STATE_NORMAL;
		ck.anchor_epoch = epoch;
		ck.id = bench_ident_view(&v[i]);
		uint8_t *out = mem + (size_t)i * RC_CHECKIN_SIZE;
		int rc = rc_checkin_encode(&ck, out);
		if (rc != RC_OK) {
			fprintf(stderr, "recall-bench: cannot encode a check-in for %s/%s/%s: %s\n",
				v[i].vendor, v[i].model, v[i].fwver, rc_strerror(rc));
			return -1;
		}
		const uint8_t *p = memmem(out, RC_CHECKIN_SIZE, ck.nonce, RC_NONCE_LEN);
		size_t off = p ? (size_t)(p - out) : 0;
		if (!p || (*nonce_off && off != *nonce_off)) {
			fprintf(stderr, "recall-bench: check-in nonce not at a fixed offset\n");
			return -1;
		}
		*nonce_off = off;
		tpl[i] = (struct bench_tpl){(uint8_t)kind, RC_CHECKIN_SIZE, out};
	}
	return 0;
}

/* The proof request template for the notice in path (nonce as a marker, like check-ins). */
static int encode_proof(const char *path, uint64_t epoch, struct bench_tpl *tpl, uint8_t *mem,
			size_t *nonce_off)
{
	uint8_t n[RC_NOTICE_MAX + 1];
	FILE *f = fopen(path, "rb");
	size_t len = f ? fread(n, 1, sizeof(n), f) : 0;
	if (f)
		fclose(f);
	if (!len || len > RC_NOTICE_MAX) {
		fprintf(stderr, "recall-bench: --proof %s: not a notice file\n", path);
		return -1;
	}
	struct rc_proofreq q;
	memset(&q, 0, sizeof(q));
	memset(q.nonce, 0xa5, RC_NONCE_LEN);
	q.anchor_epoch = epoch;
	rc_tlog_leaf_hash(q.leaf, n, len);
	if (rc_proofreq_encode(&q, mem) != RC_OK ||
	    memcmp(mem + *nonce_off, q.nonce, RC_NONCE_LEN)) {
		fprintf(stderr, "recall-bench: proof request nonce not where a check-in has it\n");
		return -1;
	}
	*tpl = (struct bench_tpl){BK_RECALLED, RC_CHECKIN_SIZE, mem};
	return 0;
}

/* Private mode's templates: a private check-in for every identity of v (its model's prefix,
 * page 0) as kind BK_CLEAR, or a notice request for index 0 of its model's tag as BK_RECALLED;
 * the nonce where a check-in has it. */
static int encode_private(const struct bench_ident *v, long n, uint64_t epoch, unsigned kind,
			  struct bench_tpl *tpl, uint8_t *mem, size_t nonce_off)
{
	for (long i = 0; i < n; i++) {
		uint8_t tag[RC_PRIVATE_TAG_LEN], *out = mem + (size_t)i * RC_CHECKIN_SIZE;
		uint16_t prefix;
		rc_private_hash(rc_str_c(v[i].vendor), rc_str_c(v[i].model), tag, &prefix);
		int rc;
		if (kind == BK_CLEAR) {
			struct rc_private_checkin c = {
			    .reason = RC_REASON_PERIODIC, .prefix = prefix, .anchor_epoch = epoch};
			memset(c.nonce, 0xa5, RC_NONCE_LEN);
			rc = rc_private_checkin_encode(&c, out);
		} else {
			struct rc_notice_request q = {.anchor_epoch = epoch};
			memset(q.nonce, 0xa5, RC_NONCE_LEN);
			memcpy(q.tag, tag, RC_PRIVATE_TAG_LEN);
			rc = rc_notice_request_encode(&q, out);
		}
		if (rc != RC_OK || out[nonce_off] != 0xa5 || out[nonce_off - 1] != 0x50) {
			fprintf(stderr, "recall-bench: cannot encode a private request for %s/%s\n",
				v[i].vendor, v[i].model);
			return -1;
		}
		tpl[i] = (struct bench_tpl){(uint8_t)kind, RC_CHECKIN_SIZE, out};
	}
	return 0;
}

/* Garbage: truncated check-ins (a prefix of a real one) and random bytes of random length. */
static void make_garbage(struct bench_tpl *g, uint8_t *mem, const struct bench_tpl *src,
			 size_t nsrc)
{
	for (size_t i = 0; i < NGARBAGE; i++) {
		uint8_t *p = mem + i * RC_CHECKIN_SIZE;
		uint16_t len = (uint16_t)(1 + randombytes_uniform(RC_CHECKIN_SIZE - 1));
		if (i % 2 == 0 && nsrc)
			memcpy(p, src[randombytes_uniform((uint32_t)nsrc)].bytes, len);
		else
			randombytes_buf(p, len);
		g[i] = (struct bench_tpl){BK_GARBAGE, len, p};
	}
}

/* utime + stime of a process in seconds (and each in u, s), or -1. */
static double proc_cpu(long pid, double *u, double *s)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	unsigned long long ut, st;
	/* after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	if (!p ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	double hz = (double)sysconf(_SC_CLK_TCK);
	*u = (double)ut / hz;
	*s = (double)st / hz;
	return *u + *s;
}

/* Server CPU over the run: total, user and system seconds (total < 0: not measured). */
struct srv_cpu {
	double total, user, sys;
};

static void report(const struct opts *o, const struct bench_result *r, struct srv_cpu sc)
{
	double cpu = sc.total;
	const struct bench_counts *c = &r->c;
	uint64_t sent = c->sent[0] + c->sent[1] + c->sent[2], ans = 0;
	for (int i = 0; i < BA__COUNT; i++)
		ans += c->answers[i];
	double el = (double)r->elapsed_ns / 1e9;
	double rate = el > 0 ? (double)ans / el : 0;
	double q[5] = {0.5, 0.9, 0.99, 0.999, 1.0};
	double us[5];
	for (int i = 0; i < 5; i++)
		us[i] = (i < 4 ? (double)hist_quantile(&c->lat, q[i]) : (double)c->lat.max) / 1e3;
	if (o->json) {
		printf(
		    "{\"server\":\"%s\",\"port\":%lu,\"echo\":%s,\"threads\":%lu,\"sockets\":%lu,"
		    "\"batch\":%lu,\"window\":%lu,\"duration\":%.3f,\"count_cap\":%llu,"
		    "\"mix\":{\"clear\":%u,\"recalled\":%u,\"garbage\":%u},",
		    o->server, o->port, o->echo ? "true" : "false", o->threads, o->sockets,
		    o->batch, o->window, o->duration, o->count, o->mix[0], o->mix[1], o->mix[2]);
		printf("\"sent\":{\"total\":%" PRIu64 ",\"clear\":%" PRIu64 ",\"recalled\":%" PRIu64
		       ",\"garbage\":%" PRIu64 "},",
		       sent, c->sent[0], c->sent[1], c->sent[2]);
		printf("\"answered\":{\"total\":%" PRIu64 ",\"clear\":%" PRIu64
		       ",\"recalled\":%" PRIu64 ",\"retry\":%" PRIu64 ",\"unsupported\":%" PRIu64
		       ",\"rotate\":%" PRIu64 ",\"echo\":%" PRIu64 ",\"proof\":%" PRIu64
		       ",\"bucket\":%" PRIu64 "},\"private\":%s,",
		       ans, c->answers[BA_CLEAR], c->answers[BA_RECALLED], c->answers[BA_RETRY],
		       c->answers[BA_UNSUPPORTED], c->answers[BA_ROTATE], c->answers[BA_ECHO],
		       c->answers[BA_PROOF], c->answers[BA_BUCKET], o->priv ? "true" : "false");
		printf(
		    "\"lost\":%" PRIu64 ",\"late\":%" PRIu64 ",\"wrong\":%" PRIu64
		    ",\"malformed\":%" PRIu64 ",\"unmatched\":%" PRIu64 ",\"send_errors\":%" PRIu64
		    ",\"elapsed_s\":%.3f,\"send_s\":%.3f,\"answers_per_s\":%.0f,"
		    "\"answer_bytes_mean\":%.1f,",
		    c->lost, c->late, c->wrong, c->malformed, c->unmatched, c->send_err, el,
		    (double)r->send_ns / 1e9, rate, ans ? (double)c->ans_bytes / (double)ans : 0);
		printf("\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p99.9\":%.1f,"
		       "\"max\":%.1f}",
		       us[0], us[1], us[2], us[3], us[4]);
		if (cpu >= 0)
			printf(
			    ",\"server_cpu_s\":%.2f,\"server_user_s\":%.2f,\"server_sys_s\":%.2f,"
			    "\"answers_per_cpu_s\":%.0f",
			    cpu, sc.user, sc.sys, cpu > 0 ? (double)ans / cpu : 0);
		printf("}\n");
		return;
	}
	printf("recall-bench: %s port %lu%s, %lu thread(s) x %lu sockets, batch %lu, window %lu, "
	       "mix %u:%u:%u (clear:recalled:garbage)\n",
	       o->server, o->port, o->echo ? " (echo)" : "", o->threads, o->sockets, o->batch,
	       o->window, o->mix[0], o->mix[1], o->mix[2]);
	printf("sent       %12" PRIu64 "  (clear %" PRIu64 ", recalled %" PRIu64
	       ", garbage %" PRIu64 ") in %.2f s\n",
	       sent, c->sent[0], c->sent[1], c->sent[2], (double)r->send_ns / 1e9);
	printf("answered   %12" PRIu64 "  (clear %" PRIu64 ", recalled %" PRIu64 ", retry %" PRIu64
	       ", unsupported %" PRIu64 ", rotate %" PRIu64 ", echo %" PRIu64 ", proof %" PRIu64
	       ", bucket %" PRIu64 ")\n",
	       ans, c->answers[BA_CLEAR], c->answers[BA_RECALLED], c->answers[BA_RETRY],
	       c->answers[BA_UNSUPPORTED], c->answers[BA_ROTATE], c->answers[BA_ECHO],
	       c->answers[BA_PROOF], c->answers[BA_BUCKET]);
	printf("lost       %12" PRIu64 "  (late %" PRIu64 ", wrong kind %" PRIu64
	       ", malformed %" PRIu64 ", unmatched %" PRIu64 ", send errors %" PRIu64 ")\n",
	       c->lost, c->late, c->wrong, c->malformed, c->unmatched, c->send_err);
	printf("rate       %12.0f  answers/s over %.2f s, %.1f bytes per answer\n", rate, el,
	       ans ? (double)c->ans_bytes / (double)ans : 0);
	printf("latency us    p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", us[0], us[1],
	       us[2], us[3], us[4]);
	if (cpu >= 0)
		printf(
		    "server cpu %12.2f  s (user %.2f, system %.2f), %.0f answers per CPU-second\n",
		    cpu, sc.user, sc.sys, cpu > 0 ? (double)ans / cpu : 0);
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(&o, argc, argv);
	if (rc)
		return rc;
	if (sodium_init() < 0)
		return EXIT_FAILED;
	struct bench_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (!set_dst(&cfg, o.server, (uint16_t)o.port)) {
		fprintf(stderr,
			"recall-bench: %s: only loopback addresses (127.0.0.0/8, ::1) are "
			"allowed; to load a namespace lab, run inside the namespace against "
			"its loopback\n",
			o.server);
		return EXIT_USAGE;
	}
	struct bench_feed bf;
	struct bench_ident *rec = NULL, *clr = NULL;
	long nid = 0;
	memset(&bf, 0, sizeof(bf));
	if (o.feed) {
		if (bench_feed_load(&bf, o.feed) < 0)
			return EXIT_FAILED;
		nid =
		    bench_ident_sample(&bf, o.idents, (uint64_t)time(NULL), o.unlisted, &rec, &clr);
		if (nid <= 0) {
			fprintf(stderr, "recall-bench: %s: no notice covers a build valid now\n",
				o.feed);
			return EXIT_FAILED;
		}
	} else {
		nid = (long)o.idents;
		clr = calloc((size_t)nid, sizeof(*clr));
		if (!clr)
			return EXIT_FAILED;
		for (long i = 0; i < nid; i++) {
			snprintf(clr[i].vendor, sizeof(clr[i].vendor), "bench");
			snprintf(clr[i].model, sizeof(clr[i].model), "synthetic-%ld", i);
			snprintf(clr[i].fwver, sizeof(clr[i].fwver), "1.%ld", i);
			clr[i].expect = RC_MSG_CLEAR;
		}
	}
	size_t nt = (size_t)nid * 3 + NGARBAGE;
	uint8_t *mem = malloc(nt * RC_CHECKIN_SIZE);
	struct bench_tpl *tpl = calloc(nt, sizeof(*tpl));
	if (!mem || !tpl)
		return EXIT_FAILED;
	size_t ncl = (size_t)nid, nre = o.proof ? 1 : rec ? (size_t)nid : 0;
	if (encode_all(clr, nid, o.epoch, BK_CLEAR, tpl, mem, &cfg.nonce_off) < 0 ||
	    (o.proof && encode_proof(o.proof, o.epoch, tpl + ncl, mem + ncl * RC_CHECKIN_SIZE,
				     &cfg.nonce_off) < 0) ||
	    (!o.proof && rec &&
	     encode_all(rec, nid, o.epoch, BK_RECALLED, tpl + ncl, mem + ncl * RC_CHECKIN_SIZE,
			&cfg.nonce_off) < 0))
		return EXIT_FAILED;
	if (o.priv) {
		/* every device's private check-in (both halves), then the recalled half's notice
		 * requests: the check-in templates above are overwritten, their nonce offset kept
		 */
		ncl = 2 * (size_t)nid;
		nre = (size_t)nid;
		if (encode_private(clr, nid, o.epoch, BK_CLEAR, tpl, mem, cfg.nonce_off) < 0 ||
		    encode_private(rec, nid, o.epoch, BK_CLEAR, tpl + nid,
				   mem + (size_t)nid * RC_CHECKIN_SIZE, cfg.nonce_off) < 0 ||
		    encode_private(rec, nid, o.epoch, BK_RECALLED, tpl + ncl,
				   mem + ncl * RC_CHECKIN_SIZE, cfg.nonce_off) < 0)
			return EXIT_FAILED;
		o.mix[BK_CLEAR] += o.mix[BK_RECALLED];
	}
	make_garbage(tpl + ncl + nre, mem + (ncl + nre) * RC_CHECKIN_SIZE, tpl, ncl + nre);
	cfg.tpl[BK_CLEAR] = tpl;
	cfg.ntpl[BK_CLEAR] = ncl;
	cfg.tpl[BK_RECALLED] = tpl + ncl;
	cfg.ntpl[BK_RECALLED] = nre;
	cfg.tpl[BK_GARBAGE] = tpl + ncl + nre;
	cfg.ntpl[BK_GARBAGE] = NGARBAGE;
	cfg.threads = (unsigned)o.threads;
	cfg.sockets = (unsigned)o.sockets;
	cfg.batch = (unsigned)o.batch;
	cfg.window = (unsigned)o.window;
	cfg.count = o.count;
	cfg.duration_ns = (uint64_t)(o.duration * 1e9);
	cfg.timeout_ns = o.timeout_ms * 1000000ull;
	cfg.rate = o.rate;
	cfg.echo = o.echo;
	cfg.proof = o.proof != NULL;
	cfg.priv = o.priv;
	memcpy(cfg.mix, o.mix, sizeof(cfg.mix));
	randombytes_buf(cfg.tag, sizeof(cfg.tag));
	/* a last resort if a thread ever failed to stop: the process cannot outlive its bounds */
	alarm((unsigned)(o.duration + (double)o.timeout_ms / 1000 + 30));

	double u0 = 0, s0 = 0, u1 = 0, s1 = 0;
	double cpu0 = o.server_pid > 0 ? proc_cpu(o.server_pid, &u0, &s0) : -1;
	if (o.server_pid > 0 && cpu0 < 0) {
		fprintf(stderr, "recall-bench: no process %ld\n", o.server_pid);
		return EXIT_FAILED;
	}
	struct bench_result res;
	if (bench_run(&cfg, &res) < 0)
		return EXIT_FAILED;
	struct srv_cpu sc = {-1, 0, 0};
	if (o.server_pid > 0 && proc_cpu(o.server_pid, &u1, &s1) >= 0)
		sc = (struct srv_cpu){u1 + s1 - cpu0, u1 - u0, s1 - s0};
	report(&o, &res, sc);
	bench_feed_free(&bf);
	free(rec);
	free(clr);
	free(mem);
	free(tpl);
	const struct bench_counts *c = &res.c;
	uint64_t ans = 0;
	for (int i = 0; i < BA__COUNT; i++)
		ans += c->answers[i];
	if (o.strict &&
	    (c->lost || c->late || c->wrong || c->malformed || !ans || (!o.echo && c->unmatched)))
		return EXIT_STRICT;
	return 0;
}
