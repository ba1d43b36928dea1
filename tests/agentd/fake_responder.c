/* A tiny test responder for recall-agent's integration and namespace tests.
 *
 *   fake_responder anchors OUT N K [log]    write an anchor set of N test keys, threshold K
 *                                           ("log": with the fixture log policy, logfix.h)
 *   fake_responder serve ADDR PORT MODEFILE LOG [ENDPOINT...]
 *
 * Test keys are derived from fixed seeds (SHA-256 of "recall-test-key-<i>"), so both commands
 * agree without key files; "forged" signs with keys 100+ that no anchor set contains. serve
 * answers each check-in per the first word of MODEFILE (re-read for every datagram, so a test
 * switches modes by rewriting it): clear, recall, notify, forged, unsigned, below, wrongid,
 * expired, short (valid for 4 s), nonce (wrong nonce), garbage, retry, silent, file (answers
 * recalled with the signed notice in the file MODEFILE.cose, verbatim), hostile (a valid
 * recall whose text and reference hold a newline that forges a status line, a C1 CSI, a bidi
 * override and a tag character, all of which the notice decoder accepts). It appends one
 * line per check-in to LOG: "checkin REASON STATE FWVER -> MODE". Proof requests (log policy,
 * PROTOCOL.md 6.3) are answered for the last recall sent: modes logged (a proof from a
 * fixture log cosigned by 2 of 3 witnesses minutes ago), stale (cosigned two days ago),
 * otherlog (a proof of another entry); any other mode answers retry-later 3600 (not logged);
 * LOG gets "proofreq -> MODE". Notices cover exactly the
 * identity in the check-in (vendor, model, fwver) and name the ENDPOINTs as remedy routes.
 * Runs until killed or 10 minutes pass (bounded, as every test load must be). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "logfix.h"
#include "recall/anchors.h"
#include "recall/logproof.h"
#include "recall/tlog.h"
#include "recall/cose.h"
#include "recall/msg.h"
#include "recall/notice.h"

#define LOG_SEED 0x70 /* fixture log and witness keys (logfix.h) */

static int K_SIGN = 2; /* signatures on a valid notice (the anchor threshold) */

static void key(int i, uint8_t pk[32], uint8_t sk[64])
{
	char s[64];
	uint8_t seed[32];
	snprintf(s, sizeof(s), "recall-test-key-%d", i);
	crypto_hash_sha256(seed, (const uint8_t *)s, strlen(s));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static int cmd_anchors(const char *out, int n, int k, bool log)
{
	struct rc_anchors a = {.epoch = 1, .k = (uint32_t)k, .n = (uint32_t)n};
	uint8_t sk[64], buf[RC_ANCHORS_ENC_MAX];
	size_t len;
	for (int i = 0; i < n; i++)
		key(i, a.a[i].pk, sk);
	/* Keys must be sorted bytewise. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && memcmp(a.a[j - 1].pk, a.a[j].pk, 32) > 0; j--) {
			struct rc_anchor t = a.a[j];
			a.a[j] = a.a[j - 1];
			a.a[j - 1] = t;
		}
	for (int i = 0; i < n; i++)
		rc_kid(a.a[i].kid, a.a[i].pk);
	int rc = log ? fx_log_policy(&a, 3, 2, 86400, LOG_SEED) : RC_OK;
	if (!rc)
		rc = rc_anchors_encode(&a, buf, sizeof(buf), &len);
	if (rc) {
		fprintf(stderr, "anchors: %s\n", rc_strerror(rc));
		return 1;
	}
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(out);
		return 1;
	}
	return 0;
}

/* Build a signed notice for the check-in's identity; mode picks what is wrong with it. */
static int make_notice(uint8_t *out, size_t cap, size_t *len, const struct rc_checkin *c,
		       const char *mode, struct rc_endpoint *eps, size_t neps)
{
	uint64_t now = (uint64_t)time(NULL);
	struct rc_notice n = {0};
	n.id = rc_str_c(strcmp(mode, "notify") ? "TEST-2026-0001" : "TEST-2026-0002");
	n.issued = now - 3600;
	n.not_before = now - 3600;
	n.expiry = !strcmp(mode, "expired") ? now - 60
		   : !strcmp(mode, "short") ? now + 4
					    : now + 86400;
	if (!strcmp(mode, "expired"))
		n.issued = n.not_before = now - 7200;
	n.target.vendor = c->id.vendor;
	n.target.model = !strcmp(mode, "wrongid") ? rc_str_c("some-other-model") : c->id.model;
	n.target.nversions = 1;
	n.target.versions[0] = c->id.fwver;
	n.action = !strcmp(mode, "notify") ? RC_ACTION_NOTIFY : RC_ACTION_QUARANTINE;
	n.severity = RC_SEV_CRITICAL;
	n.nrefs = 1;
	n.refs[0] = rc_str_c("CVE-2026-0001");
	n.text = rc_str_c("Test recall: remote code execution in the web interface. Update now.");
	if (!strcmp(mode, "hostile")) {
		n.refs[0] = rc_str_c("CVE-2026-0001\xe2\x80\xae");
		n.text = rc_str_c("Update now.\nstate          idle (forged)\n\xc2\x9b"
				  "2J\xc2\x9b"
				  "31mred \xe2\x80\xae"
				  "exe.txt\xf3\xa0\x80\x81\xe2\x80\xa8"
				  "end");
	}
	n.remedy_url = rc_str_c("https://vendor.example/firmware");
	n.nendpoints = neps;
	memcpy(n.endpoints, eps, neps * sizeof(*eps));
	uint8_t payload[1024], a[RC_NOTICE_MAX + 512], b[RC_NOTICE_MAX + 512];
	size_t pl, al, bl;
	int rc = rc_notice_encode(&n, payload, sizeof(payload), &pl);
	if (!rc)
		rc = rc_cose_encode_unsigned(a, sizeof(a), &al, RC_CT_NOTICE, payload, pl);
	if (rc)
		return rc;
	int first = !strcmp(mode, "forged") ? 100 : 0;
	int nsig = !strcmp(mode, "unsigned") ? 0 : !strcmp(mode, "below") ? K_SIGN - 1 : K_SIGN;
	for (int i = 0; i < nsig; i++) {
		uint8_t pk[32], sk[64];
		key(first + i, pk, sk);
		if ((rc = rc_cose_sign_add(b, sizeof(b), &bl, a, al, sk)))
			return rc;
		memcpy(a, b, bl);
		al = bl;
	}
	if (al > cap)
		return RC_ERR_BUFFER;
	memcpy(out, a, al);
	*len = al;
	return 0;
}

static void mode_read(const char *path, char *mode, size_t cap)
{
	FILE *f = fopen(path, "r");
	snprintf(mode, cap, "silent");
	if (!f)
		return;
	if (fscanf(f, "%31s", mode) != 1)
		snprintf(mode, cap, "silent");
	fclose(f);
}

/* The last recalled notice sent: proof requests are answered for it. */
static uint8_t last_notice[RC_NOTICE_MAX];
static size_t last_len;

/* Answer a proof request as mode says into out; 0: no answer. */
static size_t proof_answer(const uint8_t *in, size_t n, const char *mode, uint8_t *out, size_t cap,
			   const char *logpath)
{
	struct rc_proofreq q;
	struct rc_answer a = {0};
	struct rc_anchors an = {0};
	struct rc_logproof p;
	uint8_t blob[RC_LOGPROOF_ENC_MAX], leaf[32];
	size_t bl = 0, len = 0;
	uint64_t now = (uint64_t)time(NULL), ago = !strcmp(mode, "stale") ? 2 * 86400 : 600;
	const uint64_t times[] = {now - ago, now - ago / 2, 0};
	if (rc_proofreq_decode(&q, in, n, NULL) != RC_OK)
		return 0;
	FILE *lf = fopen(logpath, "a");
	if (lf) {
		fprintf(lf, "proofreq -> %s\n", mode);
		fclose(lf);
	}
	memcpy(a.nonce, q.nonce, RC_NONCE_LEN);
	rc_tlog_leaf_hash(leaf, last_notice, last_len);
	bool known = last_len && !memcmp(leaf, q.leaf, 32);
	bool other = !strcmp(mode, "otherlog");
	a.type = RC_MSG_RETRY;
	a.delay = 3600;
	if (known && (other || !strcmp(mode, "logged") || !strcmp(mode, "stale")) &&
	    fx_log_policy(&an, 3, 2, 86400, LOG_SEED) == RC_OK &&
	    fx_log_proof(&p, &an, last_notice, last_len - other, 5, 13, times, LOG_SEED) == RC_OK &&
	    rc_logproof_encode(&p, blob, sizeof(blob), &bl) == RC_OK) {
		a.type = RC_MSG_PROOF;
		a.blob = blob;
		a.blob_len = bl;
	}
	return rc_answer_encode(&a, out, cap, &len) == RC_OK ? len : 0;
}

static int cmd_serve(const char *addr, int port, const char *modefile, const char *logpath,
		     char **eps_txt, int neps_txt)
{
	struct rc_endpoint eps[RC_ENDPOINTS_MAX];
	size_t neps = 0;
	for (int i = 0; i < neps_txt && neps < RC_ENDPOINTS_MAX; i++) {
		char a[64];
		unsigned plen;
		if (sscanf(eps_txt[i], "%63[^/]/%u", a, &plen) != 2)
			return 2;
		struct rc_endpoint *e = &eps[neps++];
		memset(e, 0, sizeof(*e));
		e->family = strchr(a, ':') ? 6 : 4;
		e->plen = (uint8_t)plen;
		if (inet_pton(e->family == 4 ? AF_INET : AF_INET6, a, e->addr) != 1)
			return 2;
	}
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	int fd = socket(fam, SOCK_DGRAM, 0);
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (fam == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &s->sin_addr);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &s->sin6_addr);
		sl = sizeof(*s);
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		perror("bind");
		return 1;
	}
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	time_t end = time(NULL) + 600;
	while (time(NULL) < end) {
		uint8_t in[2048], out[RC_ANSWER_MAX + 64], notice[RC_NOTICE_MAX + 512];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			continue;
		struct rc_checkin c;
		struct rc_diag d = {0, NULL};
		char mode[32];
		mode_read(modefile, mode, sizeof(mode));
		if (rc_msg_peek_type(in, (size_t)n) == RC_MSG_PROOF_REQUEST) {
			size_t len = proof_answer(in, (size_t)n, mode, out, sizeof(out), logpath);
			if (len)
				sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
			continue;
		}
		int rc = rc_checkin_decode(&c, in, (size_t)n, &d);
		FILE *lf = fopen(logpath, "a");
		if (lf) {
			if (rc)
				fprintf(lf, "bad checkin (%s)\n", rc_strerror(rc));
			else
				fprintf(lf, "checkin %s %s %.*s -> %s\n", rc_reason_name(c.reason),
					rc_devstate_name(c.state), (int)c.id.fwver.n, c.id.fwver.p,
					mode);
			fclose(lf);
		}
		if (rc || !strcmp(mode, "silent"))
			continue;
		struct rc_answer a = {0};
		memcpy(a.nonce, c.nonce, RC_NONCE_LEN);
		size_t len = 0;
		if (!strcmp(mode, "clear")) {
			a.type = RC_MSG_CLEAR;
			a.serial = 7;
		} else if (!strcmp(mode, "retry")) {
			a.type = RC_MSG_RETRY;
			a.delay = 60;
		} else if (!strcmp(mode, "file")) {
			char path[4096];
			snprintf(path, sizeof(path), "%s.cose", modefile);
			FILE *nf = fopen(path, "rb");
			size_t nl = nf ? fread(notice, 1, RC_NOTICE_MAX, nf) : 0;
			if (nf)
				fclose(nf);
			if (nl == 0)
				continue;
			a.type = RC_MSG_RECALLED;
			a.blob = notice;
			a.blob_len = nl;
		} else if (!strcmp(mode, "garbage")) {
			randombytes_buf(out, 200);
			len = 200;
		} else {
			a.type = RC_MSG_RECALLED;
			size_t nl;
			rc = make_notice(notice, sizeof(notice), &nl, &c, mode, eps, neps);
			if (rc == RC_OK) {
				a.blob = notice;
				a.blob_len = nl;
			} else {
				/* The notice could not be built: answer garbage (still counted). */
				randombytes_buf(out, 64);
				len = 64;
			}
			if (!strcmp(mode, "nonce"))
				a.nonce[0] ^= 0x5a;
		}
		if (a.type == RC_MSG_RECALLED) {
			memcpy(last_notice, a.blob, a.blob_len);
			last_len = a.blob_len;
		}
		if (!len && rc_answer_encode(&a, out, sizeof(out), &len) != RC_OK)
			continue;
		sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "anchors"))
		return cmd_anchors(argv[2], atoi(argv[3]), K_SIGN = atoi(argv[4]),
				   argc == 6 && !strcmp(argv[5], "log"));
	if (argc >= 6 && !strcmp(argv[1], "serve"))
		return cmd_serve(argv[2], atoi(argv[3]), argv[4], argv[5], argv + 6, argc - 6);
	fprintf(stderr, "usage: fake_responder anchors OUT N K [log]\n"
			"       fake_responder serve ADDR PORT MODEFILE LOG [ENDPOINT...]\n");
	return 2;
}
