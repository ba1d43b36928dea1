/* recall log monitor: follow a transparency log (a directory or an http(s) URL), check that it
 * only ever grows, and print every new entry (docs/LOG.md, "Monitoring").
 *
 * One pass: fetch the checkpoint and verify its signature; against the last checkpoint seen
 * (the state file), verify the RFC 9162 consistency proof built from the new tree's tiles and
 * load the old tree's right edge from them, which must give the old root; then read the new
 * entries from the entry bundles, check each leaf hash against the level-0 tiles and append it
 * to the edge, which must end at the new root. Only then are the entries printed (read again,
 * each checked against the leaf hash just authenticated) and the state replaced: nothing is
 * printed or kept that the signed checkpoint does not cover. Every answer of the server is
 * bounded (logfetch.c), and the entries of one pass by --max-entries. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logcmds.h"
#include "logfetch.h"
#include "logmon.h"
#include "logstore.h"
#include "signed.h"
#include "util.h"

/* Exit codes (recall(1), "recall log monitor"). */
#define MON_OK   0 /* consistent, nothing (matching) new */
#define MON_IO   1 /* usage of files, network, I/O */
#define MON_NEW  3 /* new matching entries printed */
#define MON_BAD  4 /* the log is inconsistent with what was seen, or serves bad data */
#define MON_STOP 5 /* interrupted by a signal (internal) */

#define TILE_CACHE 8

static const char usage[] =
    "usage: recall log monitor (--vkey KEY | --vkey-file FILE) [--state FILE] [--once |\n"
    "           --interval DURATION [--passes N]] [--from N] [--anchors ANCHORS]\n"
    "           [--vendor NAME] [--json] [--max-entries N] [--timeout SECONDS]\n"
    "           [--pass-timeout DURATION] LOG\n"
    "\n"
    "Follow the transparency log LOG (a directory or an http(s):// URL): verify its checkpoint\n"
    "and that it extends the last one seen (kept in --state FILE), and print each new entry,\n"
    "one line each (--json: one JSON object each). Exit status: 0 nothing (matching) new,\n"
    "3 new entries printed, 4 the log is inconsistent with what was seen before (evidence in\n"
    "FILE.conflict-TIME.old and .new), 1 an I/O or network error, 2 a bad command line.\n"
    "\n"
    "      --vkey KEY          the log's verifier key (NAME+KEYID+BASE64)\n"
    "      --vkey-file FILE    ... read from the first line of FILE\n"
    "  -s, --state FILE        the last checkpoint seen (written atomically after each pass)\n"
    "  -1, --once              one pass (the default)\n"
    "  -i, --interval DURATION follow: a pass every DURATION (30s, 5m) until SIGINT/SIGTERM\n"
    "  -n, --passes N          ... or until N passes\n"
    "      --from N            without state: start at entry N (default 0)\n"
    "  -a, --anchors ANCHORS   show whether each notice meets its threshold under ANCHORS\n"
    "      --vendor NAME       only notices for this vendor (rotations are always shown)\n"
    "  -j, --json              JSON Lines output\n"
    "  -m, --max-entries N     most new entries one pass reads (default 1000000)\n"
    "      --timeout T         per HTTP transfer (default 30s; a bare number is seconds)\n"
    "  -T, --pass-timeout DURATION  all transfers of one pass (default 1h)\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A checkpoint: the whole signed note (malloc'd) and its parse. */
struct cp {
	char *note;
	size_t len;
	struct rc_note n;
	struct rc_checkpoint c;
};

struct mon {
	struct logsrc src;
	struct logmon lm;
	struct rc_note_key key;
	const char *state;
	uint64_t from, max_entries, pass_timeout;
	struct cp old; /* note NULL: none seen */
};

/* Stored hashes of the new tree from its tiles, a few tiles cached. fail says why a read
 * failed: MON_BAD (the server's tile is wrong) or MON_IO. */
struct tiles {
	struct mon *m;
	uint64_t size;
	struct {
		int level;
		uint64_t index;
		unsigned width;
		uint8_t h[RC_TLOG_TILE_WIDTH][RC_TLOG_HASH_LEN];
	} c[TILE_CACHE];
	unsigned used, next;
	int fail;
	int shown; /* an entry was printed */
};

static void cp_free(struct cp *c)
{
	free(c->note);
	c->note = NULL;
}

/* Fetches tile (level, index) of the given width: a missing partial tile may have been
 * completed since (c2sp.org/tlog-tiles), so the full one is read then and its prefix used.
 * Returns 0, MON_IO or MON_BAD (a message either way). */
static int fetch_tile(struct mon *m, int level, uint64_t index, unsigned width, uint8_t **buf,
		      size_t *len)
{
	char rel[RC_TLOG_PATH_MAX], want[RC_TLOG_PATH_MAX];
	size_t esz =
	    level == RC_TLOG_ENTRIES ? LOG_BUNDLE_MAX : RC_TLOG_TILE_WIDTH * RC_TLOG_HASH_LEN;
	rc_tlog_tile_path(want, sizeof(want), level, index, width);
	for (unsigned w = width;; w = RC_TLOG_TILE_WIDTH) {
		rc_tlog_tile_path(rel, sizeof(rel), level, index, w);
		int r = logsrc_get(&m->src, rel, esz, buf, len);
		if (r == FETCH_NOTFOUND && w < RC_TLOG_TILE_WIDTH)
			continue;
		if (r < 0)
			return MON_IO;
		if (r == FETCH_NOTFOUND) {
			warnx_("%s: not found%s, and the checkpoint names it",
			       logsrc_name(&m->src, want),
			       width < RC_TLOG_TILE_WIDTH ? " (nor the full tile)" : "");
			return MON_IO;
		}
		if (r == FETCH_TOOBIG) {
			warnx_("%s: more than the %zu bytes such a file may have",
			       logsrc_name(&m->src, rel), esz);
			return MON_BAD;
		}
		return 0;
	}
}

static int read_hash(void *ctx, unsigned level, uint64_t index, uint8_t out[RC_TLOG_HASH_LEN])
{
	struct tiles *t = ctx;
	struct rc_tlog_tile_ref r;
	int err = rc_tlog_tile_for(&r, t->size, level, index);
	if (err)
		return err;
	unsigned i;
	for (i = 0; i < t->used; i++)
		if (t->c[i].level == r.tlevel && t->c[i].index == r.tindex)
			break;
	if (i == t->used) {
		uint8_t *b;
		size_t len;
		if ((t->fail = fetch_tile(t->m, r.tlevel, r.tindex, r.width, &b, &len)) != 0)
			return RC_ERR_IO;
		/* A full tile stands in for a missing partial one: its prefix is what counts. */
		if (len != (size_t)r.width * RC_TLOG_HASH_LEN &&
		    len != RC_TLOG_TILE_WIDTH * RC_TLOG_HASH_LEN) {
			char rel[RC_TLOG_PATH_MAX];
			rc_tlog_tile_path(rel, sizeof(rel), r.tlevel, r.tindex, r.width);
			warnx_(
			    "%s: %zu bytes, not the %u hashes of %u bytes the checkpoint implies",
			    logsrc_name(&t->m->src, rel), len, r.width, RC_TLOG_HASH_LEN);
			free(b);
			t->fail = MON_BAD;
			return RC_ERR_SIZE;
		}
		i = t->used < TILE_CACHE ? t->used++ : t->next++ % TILE_CACHE;
		t->c[i].level = r.tlevel;
		t->c[i].index = r.tindex;
		t->c[i].width = r.width;
		memcpy(t->c[i].h, b, (size_t)r.width * RC_TLOG_HASH_LEN);
		free(b);
	}
	return rc_tlog_root_of_leaves(out, (const uint8_t(*)[RC_TLOG_HASH_LEN])t->c[i].h[r.pos],
				      r.count);
}

/* The checkpoint as the log serves it now, signature verified: 0, MON_IO or MON_BAD. */
static int fetch_checkpoint(struct mon *m, struct cp *c)
{
	size_t len;
	uint8_t *b;
	memset(c, 0, sizeof(*c));
	int r = logsrc_get(&m->src, "checkpoint", RC_NOTE_MAX_LEN, &b, &len);
	const char *name = logsrc_name(&m->src, "checkpoint");
	if (r == FETCH_NOTFOUND || r < 0) {
		if (r > 0)
			warnx_("%s: not found", name);
		return MON_IO;
	}
	if (r == FETCH_TOOBIG) {
		warnx_("%s: more than %d bytes", name, RC_NOTE_MAX_LEN);
		return MON_BAD;
	}
	c->note = (char *)b;
	c->len = len;
	return log_check_note(name, c->note, c->len, &m->key, &c->n, &c->c) < 0 ? MON_BAD : 0;
}

/* Keeps the conflicting checkpoints next to the state file: FILE.conflict-TIME.old/.new. */
static void evidence(struct mon *m, const struct cp *new)
{
	if (!m->state) {
		warnx_("no --state: the conflicting checkpoints are not kept");
		return;
	}
	char path[4096];
	long long t = (long long)time(NULL);
	const struct cp *c[2] = {&m->old, new};
	for (int i = 0; i < 2; i++) {
		if (!c[i]->note)
			continue;
		snprintf(path, sizeof(path), "%s.conflict-%lld.%s", m->state, t, i ? "new" : "old");
		if (file_write(path, c[i]->note, c[i]->len, 0644, false) == 0)
			warnx_("evidence: %s", path);
	}
}

/* Reads the bundles holding entries [start, end) of the tree of size end and calls fn for each
 * entry. Returns 0, MON_IO, MON_BAD or MON_STOP. */
typedef int (*entry_fn)(struct mon *m, struct tiles *t, uint64_t i, const uint8_t *e, size_t n,
			uint8_t (*leaves)[RC_TLOG_HASH_LEN], uint64_t start);
static int each_entry(struct mon *m, struct tiles *t, uint64_t start, uint64_t end, entry_fn fn,
		      uint8_t (*leaves)[RC_TLOG_HASH_LEN])
{
	size_t off[RC_TLOG_TILE_WIDTH], n[RC_TLOG_TILE_WIDTH], bad;
	const char *why;
	if (start >= end)
		return 0;
	for (uint64_t b = start / RC_TLOG_TILE_WIDTH; b * RC_TLOG_TILE_WIDTH < end; b++) {
		if (stop)
			return MON_STOP;
		uint64_t first = b * RC_TLOG_TILE_WIDTH;
		unsigned w = end - first >= RC_TLOG_TILE_WIDTH ? RC_TLOG_TILE_WIDTH
							       : (unsigned)(end - first);
		uint8_t *buf;
		size_t len;
		int r = fetch_tile(m, RC_TLOG_ENTRIES, b, w, &buf, &len);
		if (r)
			return r;
		/* A full bundle standing in for a missing partial one has 256 entries. */
		if (log_bundle_split(buf, len, w, off, n, &bad, &why) < 0 &&
		    log_bundle_split(buf, len, RC_TLOG_TILE_WIDTH, off, n, &bad, &why) < 0) {
			char rel[RC_TLOG_PATH_MAX];
			rc_tlog_tile_path(rel, sizeof(rel), RC_TLOG_ENTRIES, b, w);
			warnx_("%s: byte %zu: %s", logsrc_name(&m->src, rel), bad, why);
			free(buf);
			return MON_BAD;
		}
		for (unsigned i = first < start ? (unsigned)(start - first) : 0; i < w && !r; i++)
			r = fn(m, t, first + i, buf + off[i], n[i], leaves, start);
		free(buf);
		if (r)
			return r;
	}
	return 0;
}

/* First reading: each entry's leaf hash must be the level-0 tile's. */
static int check_entry(struct mon *m, struct tiles *t, uint64_t i, const uint8_t *e, size_t n,
		       uint8_t (*leaves)[RC_TLOG_HASH_LEN], uint64_t start)
{
	uint8_t h[RC_TLOG_HASH_LEN];
	rc_tlog_leaf_hash(leaves[i - start], e, n);
	if (read_hash(t, 0, i, h) != RC_OK)
		return t->fail ? t->fail : MON_BAD;
	if (memcmp(h, leaves[i - start], RC_TLOG_HASH_LEN) != 0) {
		warnx_("%s: entry %" PRIu64 " does not hash to its leaf in tile/0",
		       logsrc_name(&m->src, "tile/entries"), i);
		return MON_BAD;
	}
	return 0;
}

/* Second reading: the same bytes as the first (now authenticated), then shown. */
static int show_entry(struct mon *m, struct tiles *t, uint64_t i, const uint8_t *e, size_t n,
		      uint8_t (*leaves)[RC_TLOG_HASH_LEN], uint64_t start)
{
	uint8_t h[RC_TLOG_HASH_LEN];
	rc_tlog_leaf_hash(h, e, n);
	if (memcmp(h, leaves[i - start], RC_TLOG_HASH_LEN) != 0) {
		warnx_("%s: entry %" PRIu64 " changed between two readings",
		       logsrc_name(&m->src, "tile/entries"), i);
		return MON_BAD;
	}
	t->shown |= logmon_show(&m->lm, i, e, n, h);
	return 0;
}

/* Verifies the new checkpoint against the old one and reads the new entries. */
static int verify_and_read(struct mon *m, const struct cp *new, struct tiles *t, uint64_t start,
			   uint8_t (*leaves)[RC_TLOG_HASH_LEN])
{
	uint64_t end = new->c.size;
	struct rc_tlog_edge e;
	uint8_t root[RC_TLOG_HASH_LEN];
	int err;
	if (m->old.note && m->old.c.size) {
		uint8_t proof[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN];
		size_t n;
		err = rc_tlog_prove_consistency(proof, RC_TLOG_PROOF_MAX, &n, m->old.c.size, end,
						read_hash, t);
		if (err)
			return t->fail ? t->fail : MON_BAD;
		if (rc_tlog_verify_consistency((const uint8_t(*)[RC_TLOG_HASH_LEN])proof, n,
					       m->old.c.size, end, m->old.c.root,
					       new->c.root) != RC_OK) {
			warnx_("%s: tree of size %" PRIu64
			       " is not an extension of the one of size "
			       "%" PRIu64 " seen before (fork, or a tile that does not match)",
			       logsrc_name(&m->src, "checkpoint"), end, m->old.c.size);
			return MON_BAD;
		}
	}
	if ((err = rc_tlog_edge_load(&e, start, read_hash, t)) != RC_OK)
		return t->fail ? t->fail : MON_BAD;
	rc_tlog_edge_root(&e, root);
	if (m->old.note && memcmp(root, m->old.c.root, RC_TLOG_HASH_LEN) != 0) {
		warnx_("%s: the tiles do not give the root of size %" PRIu64 " seen before",
		       m->src.base, start);
		return MON_BAD;
	}
	if ((err = each_entry(m, t, start, end, check_entry, leaves)) != 0)
		return err;
	uint8_t out[63][RC_TLOG_HASH_LEN];
	unsigned levels;
	for (uint64_t i = start; i < end; i++)
		rc_tlog_edge_append(&e, leaves[i - start], out, &levels);
	rc_tlog_edge_root(&e, root);
	if (memcmp(root, new->c.root, RC_TLOG_HASH_LEN) != 0) {
		warnx_("%s: the entries do not give the checkpoint's root hash", m->src.base);
		return MON_BAD;
	}
	return 0;
}

static int save_state(struct mon *m, const struct cp *c)
{
	if (!m->state)
		return 0;
	if (file_write(m->state, c->note, c->len, 0644, false) < 0 || log_sync_parent(m->state) < 0)
		return MON_IO;
	return 0;
}

static int pass(struct mon *m)
{
	struct cp new;
	int r = fetch_checkpoint(m, &new);
	if (r) {
		if (r == MON_BAD)
			evidence(m, &new);
		cp_free(&new);
		return r;
	}
	m->lm.origin = new.c.origin;
	m->lm.origin_len = new.c.origin_len;
	uint64_t start = m->old.note ? m->old.c.size : m->from, end = new.c.size;
	if (m->old.note && (end < start || (end == start && memcmp(new.c.root, m->old.c.root,
								   RC_TLOG_HASH_LEN) != 0))) {
		warnx_("%s: size %" PRIu64 " %s the size %" PRIu64 " seen before",
		       logsrc_name(&m->src, "checkpoint"), end,
		       end < start ? "is below (rollback)" : "has another root hash than (fork)",
		       start);
		evidence(m, &new);
		cp_free(&new);
		return MON_BAD;
	}
	if (start > end || end - start > m->max_entries) {
		warnx_("%s: %" PRIu64 " entries: %s", m->src.base, end,
		       start > end
			   ? "--from is beyond them"
			   : "more new ones than --max-entries (raise it, or start --from later)");
		cp_free(&new);
		return MON_IO;
	}
	struct tiles *t = calloc(1, sizeof(*t));
	uint8_t(*leaves)[RC_TLOG_HASH_LEN] = calloc((size_t)(end - start) + 1, RC_TLOG_HASH_LEN);
	if (!t || !leaves) {
		warnx_("out of memory");
		r = MON_IO;
	} else {
		t->m = m;
		t->size = end;
		r = verify_and_read(m, &new, t, start, leaves);
		if (r == MON_BAD)
			evidence(m, &new);
		if (!r)
			r = each_entry(m, t, start, end, show_entry, leaves);
		fflush(stdout);
		if (!r && (!m->old.note || end != start))
			r = save_state(m, &new);
		if (!r && t->shown)
			r = MON_NEW;
	}
	free(t);
	free(leaves);
	if (r == MON_OK || r == MON_NEW) {
		cp_free(&m->old);
		m->old = new;
		m->lm.origin = m->old.c.origin;
	} else {
		cp_free(&new);
	}
	return r;
}

/* The state file: the last checkpoint seen, verified like a fetched one. */
static int load_state(struct mon *m)
{
	if (!m->state || access(m->state, F_OK) != 0)
		return 0;
	uint8_t *b = file_read(m->state, &m->old.len, RC_NOTE_MAX_LEN);
	if (!b)
		return -1;
	m->old.note = (char *)b;
	if (log_check_note(m->state, m->old.note, m->old.len, &m->key, &m->old.n, &m->old.c) < 0) {
		cp_free(&m->old);
		return -1;
	}
	return 0;
}

/* Sleeps secs seconds or until a signal asks to stop. */
static void nap(uint64_t secs)
{
	struct timespec ts = {(time_t)secs, 0};
	while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int parse_opts(int argc, char **argv, struct mon *m, uint64_t *interval, uint64_t *passes,
		      long *timeout)
{
	static const struct option lo[] = {{"vkey", required_argument, NULL, OPT_L('k')},
					   {"vkey-file", required_argument, NULL, OPT_L('K')},
					   {"state", required_argument, NULL, 's'},
					   {"once", no_argument, NULL, '1'},
					   {"interval", required_argument, NULL, 'i'},
					   {"passes", required_argument, NULL, 'n'},
					   {"from", required_argument, NULL, OPT_L('f')},
					   {"anchors", required_argument, NULL, 'a'},
					   {"vendor", required_argument, NULL, OPT_L('V')},
					   {"json", no_argument, NULL, 'j'},
					   {"max-entries", required_argument, NULL, 'm'},
					   {"timeout", required_argument, NULL, OPT_L('t')},
					   {"pass-timeout", required_argument, NULL, 'T'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	const char *vkey = NULL;
	uint64_t to = 30;
	int c, once = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:K:s:1i:n:f:a:V:jm:t:T:h", lo, NULL)) != -1) {
		int bad = 0;
		c = opt_retired(c, "fVtkK", lo);
		if (c == OPT_L('K') && access(optarg, R_OK) != 0) {
			warnx_("--vkey-file: %s: %s", optarg, strerror(errno));
			return MON_IO;
		}
		if (c == OPT_L('k') || c == OPT_L('K'))
			vkey = optarg;
		else if (c == 's')
			m->state = optarg;
		else if (c == '1')
			once = 1;
		else if (c == 'i')
			bad = parse_duration(optarg, interval) < 0 || !*interval;
		else if (c == 'n')
			bad = parse_u64(optarg, passes) < 0 || !*passes;
		else if (c == OPT_L('f'))
			bad = parse_u64(optarg, &m->from) < 0;
		else if (c == 'm')
			bad = parse_u64(optarg, &m->max_entries) < 0 || !m->max_entries;
		else if (c == OPT_L('t'))
			bad = parse_duration(optarg, &to) < 0 || !to || to > 3600;
		else if (c == 'T')
			bad = parse_duration(optarg, &m->pass_timeout) < 0 || !m->pass_timeout ||
			      m->pass_timeout > 7 * 86400;
		else if (c == 'j')
			m->lm.json = true;
		else if (c == 'a') {
			if (anchors_load(optarg, &m->lm.anchors) < 0)
				return MON_IO;
			m->lm.have_anchors = true;
		} else if (c == OPT_L('V')) {
			if (rc_name_canon(m->lm.vendor, sizeof(m->lm.vendor), optarg,
					  strlen(optarg)) <= 0)
				return usage_fail(usage,
						  "log monitor: --vendor: not a vendor name");
		} else
			return usage_opt(c, usage);
		if (bad)
			return bad_value(usage, "log monitor", lo, c, optarg,
					 c == 'i' || c == 'T' || c == OPT_L('t')
					     ? DURATION_FORMS " within the limits above"
					     : "not a number in the range above");
	}
	*timeout = (long)to;
	if (!vkey || optind != argc - 1 || (once && *interval))
		return usage_fail(usage,
				  "log monitor: a --vkey, one LOG, and --once or --interval");
	if (*passes && !*interval)
		return usage_fail(usage, "log monitor: --passes needs --interval");
	if (log_load_vkey(vkey, &m->key) < 0)
		return MON_IO;
	return -1;
}

int log_monitor(int argc, char **argv)
{
	struct mon *m = calloc(1, sizeof(*m));
	uint64_t interval = 0, passes = 0;
	long timeout = 30;
	if (!m) {
		warnx_("out of memory");
		return MON_IO;
	}
	m->max_entries = 1000000;
	m->pass_timeout = 3600;
	int r = parse_opts(argc, argv, m, &interval, &passes, &timeout);
	if (r >= 0 || load_state(m) < 0 || logsrc_open(&m->src, argv[optind], timeout) < 0) {
		cp_free(&m->old);
		free(m);
		return r >= 0 ? r : MON_IO;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a signal ends the nap at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int printed = 0;
	for (uint64_t n = 1;; n++) {
		m->src.deadline = mono_ms() + 1000 * (double)m->pass_timeout;
		r = pass(m);
		printed |= r == MON_NEW;
		if (!interval || r == MON_BAD || stop || (passes && n >= passes))
			break;
		nap(interval);
		if (stop)
			break;
	}
	/* Following: 4 at once on an inconsistency; else 3 if any pass printed something, else 1
	 * if the last pass failed. */
	if (interval && r != MON_BAD && printed)
		r = MON_NEW;
	if (r == MON_STOP)
		r = printed ? MON_NEW : MON_OK;
	logsrc_close(&m->src);
	cp_free(&m->old);
	free(m);
	return r;
}
