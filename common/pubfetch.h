/* The transport of publication sync (docs/PUBLISH.md): an ordered list of mirrors, each an
 * http(s):// URL, a file:// URL or a plain directory, read through pubsync_get_fn. Every mirror
 * is untrusted: each file is capped at the size pubsync asks for (the transfer is cut as soon as
 * it goes beyond), each transfer is bounded in time and cut when it trickles, the bytes of one
 * sync are bounded, redirects stay on the scheme the mirror was given with. The top file is
 * asked for conditionally (If-None-Match / If-Modified-Since) when the mirror's last answer is
 * what the cache holds. Proxies come from the environment and TLS uses the system CA store, as
 * libcurl does by default. */
#ifndef RECALL_PUBFETCH_H
#define RECALL_PUBFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "pubsync.h"

#define PUBFETCH_MIRRORS_MAX 16
#define PUBFETCH_TOP         "recall-publication" /* the only file that changes in place */
#define PUBFETCH_VERDICTS    (PUBSYNC_IO + 1)
/* Every this many rounds a mirror that gives the publication held does not end the round:
 * the mirrors after it are asked too, so that a first mirror that lags or is frozen (serves
 * an old publication unchanged) cannot hold back a newer one for longer than this. */
#define PUBFETCH_SWEEP 12

struct pubfetch_limits {
	uint64_t timeout_ms;         /* whole transfer of one file (default 30 s) */
	uint64_t connect_timeout_ms; /* connection set-up (default 10 s) */
	uint64_t low_speed_bytes;    /* a transfer slower than this many bytes/s ... */
	uint64_t low_speed_s;        /* ... for this many seconds is cut (1024 B/s, 10 s) */
	uint64_t max_bytes;          /* per sync from one mirror (default 256 MiB) */
};

struct pubfetch_mirror {
	char *base;       /* as configured */
	char *dir;        /* directory (plain or from file://), NULL for http(s) */
	bool https;       /* redirects only to https (else only to http) */
	char etag[128];   /* validators of its top file, valid for cond_serial */
	char lastmod[64]; /* (empty: none) */
	bool has_cond;
	uint64_t cond_serial;
	char p_etag[128], p_lastmod[64]; /* of the top file just fetched, kept on success */
	uint64_t verdicts[PUBFETCH_VERDICTS];
	uint64_t bytes, requests, not_modified;
	uint64_t last_ok; /* POSIX s of the last NEW or SAME (0: never) */
	struct log_rate rate;
};

struct pubfetch {
	struct pubfetch_limits lim;
	size_t n;
	struct pubfetch_mirror m[PUBFETCH_MIRRORS_MAX];
	void *curl; /* one easy handle: connections are reused within a sync */
	size_t cur; /* the mirror read by the sync under way */
	bool held;  /* the cache holds a verified publication of serial held_serial */
	uint64_t held_serial;
	uint64_t sync_bytes; /* read from the current mirror in this sync */
	uint64_t rounds;     /* rounds so far (every PUBFETCH_SWEEP-th is a sweep) */
	const char *agent;   /* User-Agent */
	char curl_err[256];
};

/* Fill in the defaults of the limits. */
void pubfetch_limits_default(struct pubfetch_limits *l);
/* 0 if s is a mirror this transport can read (http://, https://, file:///PATH, /PATH), else -1
 * and why in err. */
int pubfetch_check_url(const char *s, char *err, size_t cap);
/* Set up f for the n mirrors (at most PUBFETCH_MIRRORS_MAX, each checked). -1 with err. */
int pubfetch_init(struct pubfetch *f, char *const *urls, size_t n,
		  const struct pubfetch_limits *lim, const char *agent, char *err, size_t cap);
void pubfetch_free(struct pubfetch *f);
/* pubsync_get_fn on mirror f->cur (ctx is f). */
int pubfetch_get(void *ctx, const char *rel, size_t max, uint8_t **buf, size_t *len, char *errbuf,
		 size_t errlen);
/* One response header line of the top file (untrusted, not NUL-terminated): a status line
 * forgets the validators seen so far, ETag and Last-Modified are kept as m's pending ones when
 * they are short printable ASCII (fuzz_recalld_pubheader). */
void pubfetch_header(struct pubfetch_mirror *m, const char *line, size_t n);
/* Called once per mirror tried in a round, with what pubsync said. */
typedef void (*pubfetch_report_fn)(void *arg, size_t mirror, const struct pubsync_out *out);
/* One round: pubsync_run on each mirror in order until one gives NEW or SAME (in a sweep
 * round, the first round and every PUBFETCH_SWEEP-th: until one gives NEW, or the end); the
 * others are counted by verdict and logged (rate-limited per mirror). Returns the mirror that
 * gave the publication held at the end, or -1 when none did (the cache keeps what it held).
 * *last is the outcome of the last try. */
int pubfetch_round(struct pubfetch *f, const struct pubsync_in *in, pubfetch_report_fn report,
		   void *arg, struct pubsync_out *last);
/* The wait before the next round: poll_ms with +-25 % uniform jitter, so that thousands of
 * nodes that started together do not poll the origin in step. */
uint64_t pubfetch_jitter_ms(uint64_t poll_ms);

#endif
