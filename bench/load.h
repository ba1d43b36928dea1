/* recall-bench's load engine: threads with several connected UDP sockets each, requests in
 * sendmmsg batches, answers in recvmmsg batches, matched to requests by nonce. */
#ifndef RECALL_BENCH_LOAD_H
#define RECALL_BENCH_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "recall/msg.h"
#include "recall/private.h"

enum bench_kind { BK_CLEAR = 0, BK_RECALLED = 1, BK_GARBAGE = 2, BK__COUNT };

/* What came back, by kind. BA_ECHO: the request itself (echo server). */
enum bench_ans {
	BA_CLEAR,
	BA_RECALLED,
	BA_RETRY,
	BA_UNSUPPORTED,
	BA_ROTATE,
	BA_ECHO,
	BA_PROOF,
	BA_BUCKET, /* private mode: the answer to a private check-in */
	BA__COUNT
};

#define HIST_SUB     64
#define HIST_BUCKETS (2 * HIST_SUB + 40 * HIST_SUB)

/* Latency histogram in nanoseconds: exact below 128 ns, then 64 buckets per power of two. */
struct bench_hist {
	uint64_t n;
	uint64_t max;
	uint64_t b[HIST_BUCKETS];
};

void hist_add(struct bench_hist *h, uint64_t ns);
void hist_merge(struct bench_hist *into, const struct bench_hist *h);
/* Value below which a fraction q (0..1) of the samples lie (bucket midpoint), in ns. */
uint64_t hist_quantile(const struct bench_hist *h, double q);

struct bench_counts {
	uint64_t sent[BK__COUNT];
	uint64_t answers[BA__COUNT];
	uint64_t lost;      /* no answer within the timeout */
	uint64_t late;      /* answer after its request was counted lost, or duplicate */
	uint64_t wrong;     /* answer kind differs from the one the request must get */
	uint64_t malformed; /* answer that does not decode */
	uint64_t unmatched; /* answer carrying no nonce we sent (echoed garbage, strays) */
	uint64_t send_err;  /* requests the kernel refused (buffer full, port unreachable) */
	uint64_t ans_bytes; /* bytes of the answers counted in answers[] */
	struct bench_hist lat;
};

/* One prepared request: template bytes (a check-in or garbage) and its kind. */
struct bench_tpl {
	uint8_t kind; /* enum bench_kind */
	uint16_t len;
	const uint8_t *bytes;
};

struct bench_cfg {
	struct sockaddr_storage dst;
	socklen_t dstlen;
	unsigned threads;
	unsigned sockets; /* per thread */
	unsigned batch;
	unsigned window; /* outstanding requests per socket */
	uint64_t count;  /* hard cap on requests sent (all threads) */
	uint64_t duration_ns;
	uint64_t timeout_ns;
	uint64_t rate; /* requests per second, all threads (0: as fast as answers come) */
	unsigned mix[BK__COUNT];
	bool echo;  /* the server echoes: an answer is the request (or its first bytes) */
	bool proof; /* the "recalled" requests are proof requests: they must get proofs */
	bool priv;  /* private mode: "clear" requests are private check-ins (bucket answers), the
		       "recalled" ones notice requests (PROTOCOL.md 18) */
	size_t nonce_off; /* where a check-in carries its nonce */
	const struct bench_tpl *tpl[BK__COUNT];
	size_t ntpl[BK__COUNT];
	uint8_t tag[4]; /* random per run: last bytes of every nonce */
};

struct bench_result {
	struct bench_counts c;
	uint64_t elapsed_ns; /* first send to last answer */
	uint64_t send_ns;    /* length of the sending phase */
};

/* Run the load; -1 with a message on stderr if the sockets cannot be set up. */
int bench_run(const struct bench_cfg *cfg, struct bench_result *res);

uint64_t bench_now_ns(void);

#endif
