/* recall-conform-responder: the honest and adversarial responder of the conformance suite
 * (docs/CONFORMANCE.md). It judges nothing itself: it answers each check-in as the mode file
 * says and logs what the device under test sent, one line per datagram, for the suite to judge.
 *
 *   recall-conform-responder anchors OUT          the suite's anchor set (epoch 1, 3 keys, k = 2)
 *   recall-conform-responder serve ADDR PORT MODEFILE LOG ALTADDR [ENDPOINT...]
 *
 * Keys derive from fixed seeds, so both commands agree without key files: epoch 1 is signed by
 * keys 0..2, epoch 2 (after the honest rotation) by keys 3..5, and keys 100..102 belong to the
 * attacker. The mode file ("MODE [+SECONDS]") is re-read for every datagram: SECONDS is how far
 * the DUT's clock was set ahead (set-clock), and the times this responder signs follow it. ALTADDR
 * is an address of the responder's host that is not the check-in address (for the wrong-source
 * forgery). Runs until killed or 15 minutes pass (bounded). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cbor.h>
#include <sodium.h>

#include "recall/tlog.h"

#include "recall/anchors.h"
#include "recall/cose.h"
#include "recall/msg.h"
#include "recall/notice.h"
#include "resp_log.h"
#include "resp_private.h"

#define ATTACKER 100 /* first attacker key */

static uint64_t clock_off; /* the DUT's clock is this far ahead of ours (the mode file) */

static uint64_t now_dut(void)
{
	return (uint64_t)time(NULL) + clock_off;
}

static void key(int i, uint8_t pk[32], uint8_t sk[64])
{
	rl_key("recall-conform-key", i, pk, sk);
}

/* First key of the set the suite uses at this epoch (1: 0..2, 2: 3..5, 3: 6..8, the logged set
 * that mode rotlog rotates to; else the attacker's). */
static int epoch_keys(uint64_t epoch)
{
	return epoch == 1 ? 0 : epoch == 2 ? 3 : epoch == 3 ? 6 : ATTACKER;
}

/* The anchor set of keys first..first+2, k = 2, at epoch (anchors sorted bytewise by key). */
static void anchor_set(struct rc_anchors *a, int first, uint64_t epoch)
{
	uint8_t sk[64];
	memset(a, 0, sizeof(*a));
	a->epoch = epoch;
	a->k = 2;
	a->n = 3;
	for (int i = 0; i < 3; i++)
		key(first + i, a->a[i].pk, sk);
	for (int i = 1; i < 3; i++)
		for (int j = i; j > 0 && memcmp(a->a[j - 1].pk, a->a[j].pk, 32) > 0; j--) {
			struct rc_anchor t = a->a[j];
			a->a[j] = a->a[j - 1];
			a->a[j - 1] = t;
		}
	for (int i = 0; i < 3; i++)
		rc_kid(a->a[i].kid, a->a[i].pk);
}

static int cmd_anchors(const char *out)
{
	struct rc_anchors a;
	uint8_t buf[RC_ANCHORS_ENC_MAX];
	size_t len;
	anchor_set(&a, 0, 1);
	int rc = rc_anchors_encode(&a, buf, sizeof(buf), &len);
	FILE *f = rc ? NULL : fopen(out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "recall-conform-responder: cannot write anchors to %s\n", out);
		return 1;
	}
	return 0;
}

/* Sign payload (content type ct) with nsig keys from first into out. */
static int sign(uint8_t *out, size_t cap, size_t *len, uint64_t ct, const uint8_t *pl, size_t pn,
		int first, int nsig)
{
	uint8_t a[RC_NOTICE_MAX + 512], b[RC_NOTICE_MAX + 512];
	size_t al, bl;
	int rc = rc_cose_encode_unsigned(a, sizeof(a), &al, ct, pl, pn);
	for (int i = 0; !rc && i < nsig; i++) {
		uint8_t pk[32], sk[64];
		key(first + i, pk, sk);
		if (!(rc = rc_cose_sign_add(b, sizeof(b), &bl, a, al, sk))) {
			memcpy(a, b, bl);
			al = bl;
		}
	}
	if (!rc && al > cap)
		rc = RC_ERR_BUFFER;
	if (!rc) {
		memcpy(out, a, al);
		*len = al;
	}
	return rc;
}

/* Rewrite a COSE_Sign with one signature into one that carries that signature twice (one key
 * counted twice, PROTOCOL.md 8.5): libcbor, since our encoder refuses to write it. */
static int dup_signature(uint8_t *buf, size_t cap, size_t *len)
{
	struct cbor_load_result r;
	cbor_item_t *tag = cbor_load(buf, *len, &r);
	int rc = RC_ERR_SYNTAX;
	cbor_item_t *arr = tag && cbor_isa_tag(tag) ? cbor_tag_item(tag) : NULL;
	cbor_item_t *sigs = arr && cbor_array_size(arr) == 4 ? cbor_array_get(arr, 3) : NULL;
	if (sigs && cbor_array_size(sigs) == 1) {
		cbor_item_t *s0 = cbor_array_get(sigs, 0), *two = cbor_new_definite_array(2);
		if (two && cbor_array_push(two, s0) && cbor_array_push(two, s0) &&
		    cbor_array_replace(arr, 3, two)) {
			size_t n = cbor_serialize(tag, buf, cap);
			if (n) {
				*len = n;
				rc = RC_OK;
			}
		}
		cbor_decref(&s0);
		if (two)
			cbor_decref(&two);
	}
	if (sigs)
		cbor_decref(&sigs);
	if (arr)
		cbor_decref(&arr);
	if (tag)
		cbor_decref(&tag);
	return rc;
}

/* A notice for the check-in's identity, signed as mode says; 0 or an error. */
int make_notice(uint8_t *out, size_t cap, size_t *len, const struct rc_checkin *c, const char *mode,
		const struct rc_endpoint *eps, size_t neps)
{
	uint64_t now = now_dut();
	struct rc_notice n = {0};
	bool m_expired = !strcmp(mode, "expired"), m_notyet = !strcmp(mode, "notyet");
	n.id = rc_str_c("CONFORM-2026-0001");
	n.issued = n.not_before = m_expired ? now - 7200 : now - 3600;
	if (m_notyet)
		n.not_before = now + 86400;
	n.expiry = m_expired ? now - 60 : !strcmp(mode, "short") ? now + 4 : now + 7 * 86400;
	n.target.vendor =
	    !strcmp(mode, "othervendor") ? rc_str_c("conform-other-vendor") : c->id.vendor;
	n.target.model =
	    !strcmp(mode, "othermodel") ? rc_str_c("conform-other-model") : c->id.model;
	if (!strcmp(mode, "otherhwrev")) {
		n.target.nhwrevs = 1;
		n.target.hwrevs[0] = rc_str_c("conform-other-rev");
	}
	n.target.nversions = 1;
	n.target.versions[0] = !strcmp(mode, "otherfw") ? rc_str_c("0.0.0-conform") : c->id.fwver;
	if (!c->id.fwver.n && strcmp(mode, "otherfw")) {
		/* No firmware version (a private check-in names none): every build from "0". */
		n.target.nversions = 0;
		n.target.nranges = 1;
		n.target.ranges[0].lo = (struct rc_bound){rc_str_c("0"), true};
	}
	n.action = RC_ACTION_QUARANTINE;
	n.severity = RC_SEV_CRITICAL;
	n.nrefs = 1;
	n.refs[0] = rc_str_c("CVE-2026-0001");
	n.text = rc_str_c("Conformance test recall.");
	n.remedy_url = rc_str_c("https://vendor.example/firmware");
	n.nendpoints = neps;
	memcpy(n.endpoints, eps, neps * sizeof(*eps));
	uint8_t payload[1024];
	size_t pl;
	int rc = rc_notice_encode(&n, payload, sizeof(payload), &pl);
	if (rc)
		return rc;
	int first = epoch_keys(c->anchor_epoch), nsig = 2;
	uint64_t ct = !strcmp(mode, "wrongct") ? RC_CT_ROTATION : RC_CT_NOTICE;
	if (!strcmp(mode, "wrongkey") || !strcmp(mode, "rotreplay") || !strcmp(mode, "epochskip"))
		first = ATTACKER;
	if (!strcmp(mode, "below") || !strcmp(mode, "dupkey"))
		nsig = 1;
	if (!strcmp(mode, "unsigned"))
		nsig = 0;
	rc = sign(out, cap, len, ct, payload, pl, first, nsig);
	return rc || strcmp(mode, "dupkey") ? rc : dup_signature(out, cap, len);
}

/* A rotation statement from `from` to the set of keys next_first at epoch next_epoch (with the
 * suite's log policy if logged), signed by two keys from signer. */
static int make_rotation(uint8_t *out, size_t cap, size_t *len, uint64_t from, int next_first,
			 uint64_t next_epoch, int signer, bool logged)
{
	struct rc_rotation r;
	uint8_t payload[2048];
	size_t pl;
	memset(&r, 0, sizeof(r));
	r.from_epoch = from;
	anchor_set(&r.next, next_first, next_epoch);
	int rc = logged ? rl_policy(&r.next) : 0;
	if (!rc)
		rc = rc_rotation_encode(&r, payload, sizeof(payload), &pl);
	return rc ? rc : sign(out, cap, len, RC_CT_ROTATION, payload, pl, signer, 2);
}

static void mode_read(const char *path, char *mode, size_t cap)
{
	FILE *f = fopen(path, "r");
	unsigned long long off = 0;
	snprintf(mode, cap, "silent");
	if (f && fscanf(f, "%31s", mode) != 1)
		snprintf(mode, cap, "silent");
	if (f && fscanf(f, " +%llu", &off) != 1)
		off = 0;
	clock_off = off;
	if (f)
		fclose(f);
}

static int bind_udp(const char *addr, int port)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (fam == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		sl = sizeof(*s);
		if (inet_pton(AF_INET, addr, &s->sin_addr) != 1) {
			fprintf(stderr, "recall-conform-responder: bad address %s\n", addr);
			return -1;
		}
	} else {
		struct sockaddr_in6 *s = (void *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s);
		if (inet_pton(AF_INET6, addr, &s->sin6_addr) != 1) {
			fprintf(stderr, "recall-conform-responder: bad address %s\n", addr);
			return -1;
		}
	}
	int fd = socket(fam, SOCK_DGRAM, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		fprintf(stderr, "recall-conform-responder: bind %s port %d: %m\n", addr, port);
		return -1;
	}
	return fd;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_endpoints(struct rc_endpoint *eps, size_t *neps, char **txt, int ntxt)
{
	*neps = 0;
	for (int i = 0; i < ntxt && *neps < RC_ENDPOINTS_MAX; i++) {
		char a[64];
		unsigned plen;
		if (sscanf(txt[i], "%63[^/]/%u", a, &plen) != 2) {
			fprintf(stderr, "recall-conform-responder: bad endpoint %s\n", txt[i]);
			return -1;
		}
		struct rc_endpoint *e = &eps[(*neps)++];
		memset(e, 0, sizeof(*e));
		e->family = strchr(a, ':') ? 6 : 4;
		e->plen = (uint8_t)plen;
		if (inet_pton(e->family == 4 ? AF_INET : AF_INET6, a, e->addr) != 1) {
			fprintf(stderr, "recall-conform-responder: bad endpoint %s\n", txt[i]);
			return -1;
		}
	}
	return 0;
}

/* The answer to one check-in per mode into out (0: none). fd_out: which socket sends it. */

size_t answer(uint8_t *out, size_t cap, const struct rc_checkin *c, const char *mode,
	      const struct rc_endpoint *eps, size_t neps, struct episode *ep)
{
	struct rc_answer a = {0};
	uint8_t blob[RC_NOTICE_MAX + 512];
	size_t len = 0, bl = 0;
	memcpy(a.nonce, c->nonce, RC_NONCE_LEN);
	bool attack_rot = !strcmp(mode, "rotreplay") || !strcmp(mode, "epochskip");
	if (!strcmp(mode, "clear")) {
		a.type = RC_MSG_CLEAR;
		a.serial = 7;
	} else if (!strcmp(mode, "retry")) {
		a.type = RC_MSG_RETRY;
		a.delay = 60;
	} else if (!strcmp(mode, "garbage")) {
		randombytes_buf(out, 200);
		return 200;
	} else if ((!strcmp(mode, "rotate") && c->anchor_epoch == 1) ||
		   (attack_rot && ep->count % 2 == 0)) {
		/* Honest: epoch e to e+1. Replay: a statement from the epoch before, to attacker
		 * keys. Skip: from this epoch straight to e+2. Both signed by valid keys. */
		uint64_t e = c->anchor_epoch;
		int k = epoch_keys(e);
		int rc = !strcmp(mode, "rotate")
			     ? make_rotation(blob, sizeof(blob), &bl, e, 3, e + 1, k, false)
			 : !strcmp(mode, "rotreplay")
			     ? make_rotation(blob, sizeof(blob), &bl, e - 1, ATTACKER, e, k, false)
			     : make_rotation(blob, sizeof(blob), &bl, e, ATTACKER, e + 2, k, false);
		if (rc)
			return 0;
		a.type = RC_MSG_ROTATE;
		a.blob = blob;
		a.blob_len = bl;
	} else if (!strcmp(mode, "rotlog") && c->anchor_epoch < 3) {
		/* To the logged set (epoch 3) in honest steps: 1 to 2, 2 to 3. */
		uint64_t e = c->anchor_epoch;
		if (make_rotation(blob, sizeof(blob), &bl, e, e == 1 ? 3 : 6, e + 1, epoch_keys(e),
				  e == 2))
			return 0;
		a.type = RC_MSG_ROTATE;
		a.blob = blob;
		a.blob_len = bl;
	} else if (!strcmp(mode, "rotlog")) {
		a.type = RC_MSG_CLEAR;
		a.serial = 7;
	} else {
		a.type = RC_MSG_RECALLED;
		if (make_notice(blob, sizeof(blob), &bl, c, mode, eps, neps))
			return 0;
		a.blob = blob;
		a.blob_len = bl;
		if (bl <= sizeof(ep->notice)) { /* what a proof request will ask about */
			memcpy(ep->notice, blob, bl);
			ep->notice_len = bl;
		}
		if (!strcmp(mode, "wrongnonce"))
			a.nonce[0] ^= 0x5a;
		if (!strcmp(mode, "stalenonce"))
			memcpy(a.nonce, ep->prev, RC_NONCE_LEN);
	}
	if (rc_answer_encode(&a, out, cap, &len))
		return 0;
	if (!strcmp(mode, "truncated"))
		len -= len > 8 ? 8 : len;
	if (!strcmp(mode, "oversized") && cap >= RC_ANSWER_MAX + 100) {
		/* A valid answer followed by bytes that take it past RC_ANSWER_MAX. */
		memset(out + len, 0, RC_ANSWER_MAX + 100 - len);
		len = RC_ANSWER_MAX + 100;
	}
	return len;
}

/* The answer to a proof request (0: none), logged to plog: a proof for the last notice sent, as
 * mode says (lognone and every other mode: no answer, the proof is missing). */
static size_t proof_answer(uint8_t *out, size_t cap, const uint8_t *in, size_t n, const char *mode,
			   const struct episode *ep, const char *plog, double t0)
{
	struct rc_proofreq q;
	struct rc_anchors a;
	static uint8_t proof[RC_LOGPROOF_ENC_MAX];
	uint8_t leaf[32];
	size_t len = 0, pl = 0;
	int rc = rc_proofreq_decode(&q, in, n, NULL);
	rc_tlog_leaf_hash(leaf, ep->notice, ep->notice_len);
	bool match = !rc && ep->notice_len && !memcmp(leaf, q.leaf, 32);
	anchor_set(&a, epoch_keys(3), 3);
	if (!rc && match && rl_mode(mode) && strcmp(mode, "lognone") && !rl_policy(&a) &&
	    !rl_proof(proof, sizeof(proof), &pl, &a, ep->notice, ep->notice_len, mode, now_dut())) {
		struct rc_answer ans = {.type = RC_MSG_PROOF, .blob = proof, .blob_len = pl};
		memcpy(ans.nonce, q.nonce, RC_NONCE_LEN);
		if (rc_answer_encode(&ans, out, cap, &len))
			len = 0;
	}
	FILE *f = fopen(plog, "a");
	if (f) {
		fprintf(f, "t=%.3f len=%zu ok=%d epoch=%llu match=%d mode=%s sent=%zu\n",
			now_s() - t0, n, !rc, rc ? 0ULL : (unsigned long long)q.anchor_epoch, match,
			mode, len);
		fclose(f);
	}
	return len;
}

/* The socket an answer leaves by: another port or source address for those forgeries. */
static int out_fd(const char *mode, int fd, int fd_port, int fd_alt)
{
	return !strcmp(mode, "wrongport") ? fd_port : !strcmp(mode, "wrongsrc") ? fd_alt : fd;
}

static int cmd_serve(const char *addr, int port, const char *modefile, const char *logpath,
		     const char *alt, char **eps_txt, int neps_txt)
{
	struct rc_endpoint eps[RC_ENDPOINTS_MAX];
	size_t neps;
	if (parse_endpoints(eps, &neps, eps_txt, neps_txt))
		return 2;
	int fd = bind_udp(addr, port), fd_port = bind_udp(addr, 0), fd_alt = bind_udp(alt, port);
	if (fd < 0 || fd_port < 0 || fd_alt < 0)
		return 1;
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	static struct episode ep;
	char lastmode[32] = "", plog[4096];
	double t0 = now_s();
	snprintf(plog, sizeof(plog), "%s.proof", logpath);
	while (now_s() - t0 < 900) {
		uint8_t in[2048], out[RC_ANSWER_MAX + 256];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		size_t len;
		if (n < 0)
			continue;
		char mode[32], src[INET6_ADDRSTRLEN] = "?", nonce[2 * RC_NONCE_LEN + 1];
		mode_read(modefile, mode, sizeof(mode));
		if (strcmp(mode, lastmode))
			ep.count = 0;
		snprintf(lastmode, sizeof(lastmode), "%s", mode);
		int sport = 0;
		if (from.ss_family == AF_INET) {
			struct sockaddr_in *s = (void *)&from;
			inet_ntop(AF_INET, &s->sin_addr, src, sizeof(src));
			sport = ntohs(s->sin_port);
		} else {
			struct sockaddr_in6 *s = (void *)&from;
			inet_ntop(AF_INET6, &s->sin6_addr, src, sizeof(src));
			sport = ntohs(s->sin6_port);
		}
		int type = rc_msg_peek_type(in, (size_t)n);
		if (type == RC_MSG_PRIVATE || type == RC_MSG_NOTICE_REQUEST) {
			char pre[32], post[96], idpath[4096];
			snprintf(pre, sizeof(pre), "t=%.3f", now_s() - t0);
			snprintf(post, sizeof(post), "src=%s port=%d", src, sport);
			snprintf(idpath, sizeof(idpath), "%s.id", modefile);
			FILE *lf = fopen(logpath, "a");
			len = lf ? rp_answer(out, sizeof(out), in, (size_t)n, mode, idpath, eps,
					     neps, &ep, lf, pre, post)
				 : 0;
			if (lf)
				fclose(lf);
			ep.count++;
			if (len)
				sendto(out_fd(mode, fd, fd_port, fd_alt), out, len, 0,
				       (struct sockaddr *)&from, fl);
			continue;
		}
		if (type == RC_MSG_PROOF_REQUEST) {
			len = proof_answer(out, sizeof(out), in, (size_t)n, mode, &ep, plog, t0);
			if (len)
				sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
			continue;
		}
		struct rc_checkin c;
		struct rc_diag d = {0, NULL};
		int rc = rc_checkin_decode(&c, in, (size_t)n, &d);
		FILE *lf = fopen(logpath, "a");
		if (rc) {
			if (lf)
				fprintf(lf, "t=%.3f len=%zd ok=0 err=%s src=%s port=%d mode=%s\n",
					now_s() - t0, n, rc_strerror(rc), src, sport, mode);
			if (lf)
				fclose(lf);
			continue;
		}
		if (c.reason != RC_REASON_RETRY) {
			memcpy(ep.prev, ep.cur, RC_NONCE_LEN);
			memcpy(ep.cur, c.nonce, RC_NONCE_LEN);
		}
		hex(nonce, c.nonce, RC_NONCE_LEN);
		len =
		    strcmp(mode, "silent") ? answer(out, sizeof(out), &c, mode, eps, neps, &ep) : 0;
		ep.count++;
		if (lf) {
			fprintf(
			    lf,
			    "t=%.3f len=%zd ok=1 reason=%s state=%s epoch=%llu vendor=%.*s "
			    "model=%.*s hwrev=%.*s fw=%.*s bdate=%d digest=%d sender=%u nonce=%s "
			    "src=%s port=%d mode=%s sent=%zu\n",
			    now_s() - t0, n, rc_reason_name(c.reason), rc_devstate_name(c.state),
			    (unsigned long long)c.anchor_epoch, (int)c.id.vendor.n, c.id.vendor.p,
			    (int)c.id.model.n, c.id.model.p, (int)c.id.hwrev.n, c.id.hwrev.p,
			    (int)c.id.fwver.n, c.id.fwver.p, c.id.has_build_date, c.id.has_digest,
			    c.sender, nonce, src, sport, mode, len);
			fclose(lf);
		}
		if (!len)
			continue;
		sendto(out_fd(mode, fd, fd_port, fd_alt), out, len, 0, (struct sockaddr *)&from,
		       fl);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 3 && !strcmp(argv[1], "anchors"))
		return cmd_anchors(argv[2]);
	if (argc >= 7 && !strcmp(argv[1], "serve"))
		return cmd_serve(argv[2], atoi(argv[3]), argv[4], argv[5], argv[6], argv + 7,
				 argc - 7);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("recall-conform-responder %s\n", RECALL_VERSION_STRING);
		return 0;
	}
	fprintf(stderr, "usage: recall-conform-responder anchors OUT\n"
			"       recall-conform-responder serve ADDR PORT MODEFILE LOG ALTADDR "
			"[ENDPOINT...]\n");
	return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
}
