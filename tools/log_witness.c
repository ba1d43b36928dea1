/* recall log witness: collect cosignatures (c2sp.org/tlog-cosignature) for the log's current
 * checkpoint from witnesses over c2sp.org/tlog-witness, verify each under the witness's
 * verifier key, and write them into DIR/checkpoint beside the log's signature (docs/LOG.md).
 * A witness's answer is untrusted: only a line that verifies under a --vkey key is kept. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "logcmds.h"
#include "logstore.h"
#include "util.h"

#define WITNESSES_MAX 16
#define ANSWER_MAX    65536 /* a witness answers with signature lines: kilobytes at most */
#define ATTEMPTS      4     /* 409 answers followed per witness (the size may move meanwhile) */

static const char witness_usage[] =
    "usage: recall log witness --witness URL [--witness URL]... --vkey KEY [--vkey KEY]... DIR\n"
    "\n"
    "Submit the log's checkpoint in DIR to each witness (URL: its submission prefix; POST\n"
    "URL/add-checkpoint, c2sp.org/tlog-witness) with the consistency proof from the size it\n"
    "cosigned last, and add each cosignature that verifies under a witness key KEY (a verifier\n"
    "key of algorithm 0x04, or a file holding one) to DIR/checkpoint. Run again on an\n"
    "unchanged log, it gets fresh cosignatures of the same checkpoint. Exits 1 if any witness\n"
    "gave no valid cosignature (those that did are written all the same).\n";

struct answer {
	char buf[ANSWER_MAX + 1];
	size_t len;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t l = size * n;
	if (l > ANSWER_MAX - a->len) {
		a->too_big = 1;
		return 0;
	}
	memcpy(a->buf + a->len, p, l);
	a->len += l;
	return l;
}

/* POSTs body to url; the status (0 on a transport error, with a message). */
static long post(const char *url, const char *body, size_t len, struct answer *a)
{
	CURL *c = curl_easy_init();
	long status = 0;
	if (!c) {
		warnx_("%s: cannot start libcurl", url);
		return 0;
	}
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
	a->len = 0;
	a->too_big = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "recall-log-witness");
	CURLcode e = curl_easy_perform(c);
	if (e != CURLE_OK)
		warnx_("%s: %s", url, a->too_big ? "answer too large" : curl_easy_strerror(e));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	a->buf[a->len] = 0;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* The request: old size, the consistency proof from it, a blank line, the checkpoint. */
static char *request(struct logstore *ls, uint64_t old, size_t *len)
{
	static uint8_t proof[RC_TLOG_PROOF_MAX][RC_TLOG_HASH_LEN];
	size_t n = 0, cap = 64 + RC_TLOG_PROOF_MAX * 46 + ls->note_len;
	if (old && old < ls->cp.size &&
	    rc_tlog_prove_consistency(proof, RC_TLOG_PROOF_MAX, &n, old, ls->cp.size, log_read_hash,
				      ls) != RC_OK) {
		warnx_("%s: no consistency proof from size %" PRIu64 " to %" PRIu64, ls->dir, old,
		       ls->cp.size);
		return NULL;
	}
	char *b = malloc(cap);
	if (!b)
		return NULL;
	size_t o = (size_t)snprintf(b, cap, "old %" PRIu64 "\n", old);
	for (size_t i = 0; i < n; i++) {
		sodium_bin2base64(b + o, cap - o, proof[i], RC_TLOG_HASH_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		o += strlen(b + o);
		b[o++] = '\n';
	}
	b[o++] = '\n';
	memcpy(b + o, ls->note, ls->note_len);
	*len = o + ls->note_len;
	return b;
}

/* The first valid cosignature in the answer a by one of the keys: its key index, the signature
 * line (without "— ") in line and the timestamp; -1 with a message if there is none or a line
 * of a key does not verify. */
static int pick(const struct logstore *ls, const char *url, const struct answer *a,
		const struct rc_note_key *keys, size_t nkeys, char *line, size_t cap, uint64_t *ts)
{
	static char note[RC_NOTE_MAX_LEN + ANSWER_MAX + 2];
	static struct rc_note n;
	struct rc_diag d = {0, NULL};
	memcpy(note, ls->n.text, ls->n.text_len);
	note[ls->n.text_len] = '\n';
	memcpy(note + ls->n.text_len + 1, a->buf, a->len);
	int e = rc_note_parse(&n, note, ls->n.text_len + 1 + a->len, &d);
	if (e || !a->len) {
		warnx_("%s: the answer is not signature lines: %s", url,
		       e ? rc_strerror(e) : "empty");
		return -1;
	}
	for (size_t k = 0; k < nkeys; k++) {
		e = rc_note_verify(&n, &keys[k], ts);
		if (e == RC_ERR_MISSING)
			continue;
		if (e) {
			warnx_("%s: the cosignature by %s+%08x does not verify: %s", url,
			       tsafe(keys[k].name), (unsigned)keys[k].keyid, rc_strerror(e));
			return -1;
		}
		for (size_t i = 0; i < n.nsigs; i++) {
			if (n.sigs[i].keyid == keys[k].keyid &&
			    n.sigs[i].name_len == keys[k].name_len &&
			    !memcmp(n.sigs[i].name, keys[k].name, keys[k].name_len)) {
				snprintf(line, cap, "%.*s %.*s", (int)n.sigs[i].name_len,
					 n.sigs[i].name, (int)n.sigs[i].b64_len, n.sigs[i].b64);
				return (int)k;
			}
		}
	}
	warnx_("%s: no cosignature by a --vkey key in the answer", url);
	return -1;
}

/* Strict "N\n" of a 409 answer (text/x.tlog.size). */
static int parse_size(const struct answer *a, uint64_t *v)
{
	char s[32];
	if (a->len < 2 || a->len > sizeof(s) || a->buf[a->len - 1] != '\n')
		return -1;
	memcpy(s, a->buf, a->len - 1);
	s[a->len - 1] = 0;
	return (s[0] == '0' && s[1]) || parse_u64(s, v) < 0 ? -1 : 0;
}

/* One witness: the index of the key whose cosignature is in line, or -1. */
static int ask(struct logstore *ls, const char *url, const struct rc_note_key *keys, size_t nkeys,
	       char *line, size_t cap)
{
	static struct answer a;
	char full[2048];
	size_t ul = strlen(url);
	while (ul && url[ul - 1] == '/')
		ul--;
	snprintf(full, sizeof(full), "%.*s/add-checkpoint", (int)ul, url);
	uint64_t old = 0, ts = 0;
	for (int i = 0; i < ATTEMPTS; i++) {
		size_t len;
		char *body = request(ls, old, &len);
		if (!body)
			return -1;
		long st = post(full, body, len, &a);
		free(body);
		if (st == 200) {
			int k = pick(ls, full, &a, keys, nkeys, line, cap, &ts);
			if (k >= 0)
				printf("%s: cosigned size %" PRIu64 " at %s by %s+%08x\n", full,
				       ls->cp.size, fmt_time((char[32]){0}, ts),
				       tsafe(keys[k].name), (unsigned)keys[k].keyid);
			return k;
		}
		if (st != 409) {
			if (st)
				warnx_("%s: HTTP %ld: %s", full, st,
				       tsafen(a.buf, strcspn(a.buf, "\n")));
			return -1;
		}
		if (parse_size(&a, &old) < 0) {
			warnx_("%s: 409 without a tree size: %s", full, tsafe(a.buf));
			return -1;
		}
		if (old > ls->cp.size) {
			warnx_("%s: the witness cosigned size %" PRIu64
			       " of this log, above its %" PRIu64
			       ": the log was rolled back or forked",
			       full, old, ls->cp.size);
			return -1;
		}
	}
	warnx_("%s: still a conflict after %d attempts", full, ATTEMPTS);
	return -1;
}

/* DIR/checkpoint with the new cosignature lines in place of older ones by the same keys. */
static int write_cosigned(struct logstore *ls, const struct rc_note_key *keys, const int *fresh,
			  size_t nkeys, char (*lines)[1024])
{
	static char out[RC_NOTE_MAX_LEN];
	static struct rc_note check;
	size_t o = ls->n.text_len + 1;
	memcpy(out, ls->n.text, ls->n.text_len);
	out[ls->n.text_len] = '\n';
	for (size_t i = 0; i < ls->n.nsigs; i++) {
		const struct rc_note_sig *s = &ls->n.sigs[i];
		int replaced = 0;
		for (size_t k = 0; k < nkeys; k++)
			replaced |= fresh[k] && s->keyid == keys[k].keyid &&
				    s->name_len == keys[k].name_len &&
				    !memcmp(s->name, keys[k].name, s->name_len);
		if (replaced)
			continue;
		int w = snprintf(out + o, sizeof(out) - o, "\xe2\x80\x94 %.*s %.*s\n",
				 (int)s->name_len, s->name, (int)s->b64_len, s->b64);
		if (w < 0 || (size_t)w >= sizeof(out) - o)
			goto toolong;
		o += (size_t)w;
	}
	for (size_t k = 0; k < nkeys; k++) {
		if (!fresh[k])
			continue;
		int w = snprintf(out + o, sizeof(out) - o, "\xe2\x80\x94 %s\n", lines[k]);
		if (w < 0 || (size_t)w >= sizeof(out) - o)
			goto toolong;
		o += (size_t)w;
	}
	struct rc_diag d = {0, NULL};
	if (rc_note_parse(&check, out, o, &d) != RC_OK)
		goto toolong;
	char path[4096];
	snprintf(path, sizeof(path), "%s/checkpoint", ls->dir);
	if (file_write(path, out, o, 0644, false) < 0)
		return -1;
	return log_sync_parent(path);
toolong:
	warnx_("%s/checkpoint: too many signatures with the new cosignatures", ls->dir);
	return -1;
}

int log_witness(int argc, char **argv)
{
	static const struct option lo[] = {{"witness", required_argument, NULL, 'w'},
					   {"vkey", required_argument, NULL, OPT_L('v')},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	const char *urls[WITNESSES_MAX];
	static struct rc_note_key keys[WITNESSES_MAX];
	size_t nurls = 0, nkeys = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "w:v:h", lo, NULL)) != -1) {
		c = opt_retired(c, "v", lo);
		if (c == 'w' && nurls < WITNESSES_MAX) {
			urls[nurls++] = optarg;
		} else if (c == OPT_L('v') && nkeys < WITNESSES_MAX) {
			if (log_load_vkey(optarg, &keys[nkeys]) < 0)
				return EXIT_FAIL;
			if (keys[nkeys].alg != RC_NOTE_ALG_COSIG) {
				warnx_("--vkey %s: not a witness key (algorithm 0x04)", optarg);
				return EXIT_FAIL;
			}
			nkeys++;
		} else if (c == 'w' || c == OPT_L('v')) {
			return usage_fail(witness_usage, "log witness: at most %d of each",
					  WITNESSES_MAX);
		} else {
			return usage_opt(c, witness_usage);
		}
	}
	if (!nurls || !nkeys || optind != argc - 1)
		return usage_fail(witness_usage, "log witness: --witness, --vkey and one DIR");
	const char *dir = argv[optind];
	int lock = log_lock(dir), ret = EXIT_FAIL;
	static struct logstore ls;
	if (lock < 0)
		return EXIT_FAIL;
	if (log_open(&ls, dir, NULL) < 0) {
		close(lock);
		return EXIT_FAIL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		warnx_("cannot start libcurl");
		goto out;
	}
	static char lines[WITNESSES_MAX][1024];
	int fresh[WITNESSES_MAX] = {0}, got = 0, bad = 0;
	for (size_t i = 0; i < nurls; i++) {
		char line[1024];
		int k = ask(&ls, urls[i], keys, nkeys, line, sizeof(line));
		if (k < 0) {
			bad++;
			continue;
		}
		memcpy(lines[k], line, sizeof(line));
		fresh[k] = 1;
		got++;
	}
	if (got && write_cosigned(&ls, keys, fresh, nkeys, lines) < 0)
		bad++;
	else if (got)
		printf("%s/checkpoint: size %" PRIu64 ", %d cosignatures added\n", dir, ls.cp.size,
		       got);
	ret = bad ? EXIT_FAIL : EXIT_OK;
	curl_global_cleanup();
out:
	log_close(&ls);
	close(lock);
	return ret;
}
