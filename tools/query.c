/* recall query: a dig-like client. Sends ONE check-in for a given identity to a responder
 * (numeric IPv4 or IPv6 address, no DNS), waits for the answer bound to its nonce, decodes it,
 * verifies a recall or rotation against an anchor set, and prints it with the round-trip time. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "cmds.h"
#include "json_notice.h"
#include "query.h"
#include "recall/logproof.h"
#include "recall/msg.h"
#include "recall/tlog.h"
#include "signed.h"
#include "util.h"

static const char query_usage[] =
    "usage: recall query [-p PORT] [--vendor V --model M [--hwrev H] --fwver F\n"
    "                    [--build-date T] [--digest HEX] | --identity FILE] [--anchors FILE]\n"
    "                    [--epoch N] [--reason R] [--state S] [--timeout T] [--private]\n"
    "                    [--json] ADDRESS\n"
    "\n"
    "Send one check-in to the responder at ADDRESS (a numeric IPv4 or IPv6 address; names are\n"
    "not resolved) and show its answer: type, feed serial, the notice and who signed it,\n"
    "round-trip time and sizes. With --anchors a recall is verified as a device would: k of\n"
    "the anchors' keys, covers this identity, within its validity window; if the anchors\n"
    "name a log, a valid recall is then proven logged with a proof request, as a device does.\n"
    "Exit status: 0 clear, 3 valid (and logged) recall, 4 recall not verified, not valid or\n"
    "not logged, 5 retry-later, unsupported or rotate, 1 no answer or an error, 2 bad command\n"
    "line.\n"
    "\n"
    "  -p, --port PORT       UDP port (default 7412)\n"
    "  -i, --identity FILE   identity in os-release style (RECALL_VENDOR, RECALL_MODEL,\n"
    "                        RECALL_HWREV, RECALL_FWVER, RECALL_BUILD_DATE, RECALL_IMAGE_DIGEST)\n"
    "      --vendor V        vendor (canonicalised: \"TP-Link\" -> tp-link)\n"
    "      --model M         model\n"
    "      --hwrev H         hardware revision (default: none)\n"
    "      --fwver F         firmware version (sent as given)\n"
    "      --build-date T    build date (POSIX seconds or UTC date)\n"
    "      --digest HEX      SHA-256 of the firmware image (64 hex digits)\n"
    "  -a, --anchors FILE    anchor set to verify recalls and rotations with\n"
    "      --epoch N         anchor epoch in the check-in (default: the anchors', else 0)\n"
    "      --reason R        boot (default), attach, periodic, retry or recheck\n"
    "      --state S         normal (default), quarantined or overridden\n"
    "      --timeout T       wait this long for the answer (default 3s; a number without\n"
    "                        a unit is milliseconds)\n"
    "      --private         private mode (PROTOCOL.md 18): send only a 12-bit prefix of a\n"
    "                        hash of vendor and model, fetch the notices of the model one\n"
    "                        by one and decide locally; the same verdict and exit status,\n"
    "                        with the round trips and bytes it took\n"
    "  -j, --json            print JSON for programs\n"
    "  -h, --help            this text\n";

/* Value of KEY=... in os-release text (quotes removed); false if absent. */
static bool osrel(const char *text, const char *key, char *out, size_t cap)
{
	size_t kn = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, key, kn) || l[kn] != '=')
			continue;
		const char *v = l + kn + 1;
		size_t n = strcspn(v, "\r\n");
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v++;
			n -= 2;
		}
		if (n >= cap)
			return false;
		memcpy(out, v, n);
		out[n] = 0;
		return true;
	}
	return false;
}

static int identity(struct q *q, const char *file)
{
	static const char *const keys[6][2] = {
	    {"RECALL_VENDOR", "VENDOR_NAME"}, {"RECALL_MODEL", NULL},
	    {"RECALL_HWREV", NULL},           {"RECALL_FWVER", "VERSION_ID"},
	    {"RECALL_BUILD_DATE", NULL},      {"RECALL_IMAGE_DIGEST", NULL}};
	static const char *const names[6] = {"vendor", "model",      "hwrev",
					     "fwver",  "build date", "digest"};
	char val[6][256] = {{0}};
	const char *v[6];
	char *text = NULL;
	size_t len;
	if (file && !(text = (char *)file_read(file, &len, 64 * 1024)))
		return -1;
	const char *src = file ? file : "query";
	int bad = file ? -1 : -2; /* from options: a command-line error */
	for (int i = 0; i < 6; i++) {
		v[i] = q->opt[i];
		if (!v[i] && text &&
		    (osrel(text, keys[i][0], val[i], sizeof(val[i])) ||
		     (keys[i][1] && osrel(text, keys[i][1], val[i], sizeof(val[i])))))
			v[i] = val[i];
	}
	free(text);
	char *out[3] = {q->vendor, q->model, q->hwrev};
	for (int i = 0; i < 3; i++) {
		int n = v[i] ? rc_name_canon(out[i], RC_NAME_MAX + 1, v[i], strlen(v[i])) : 0;
		if (n < 0 || (i == 2 && n > RC_HWREV_MAX) || (i < 2 && n == 0)) {
			warnx_("%s: %s: %s", src, names[i],
			       !v[i] ? (file ? "missing: add RECALL_VENDOR, RECALL_MODEL and "
					       "RECALL_FWVER to the file"
					     : "missing: give --vendor, --model and --fwver, or "
					       "--identity FILE")
				     : "empty or too long once canonicalised");
			return v[i] || file ? -1 : -2;
		}
	}
	if (!v[3] || strlen(v[3]) > RC_FWVER_MAX || !rc_fwver_valid(rc_str_c(v[3]))) {
		warnx_("%s: fwver: %s", src,
		       v[3]   ? "1..64 printable ASCII bytes, no space at either end"
		       : file ? "missing: add RECALL_FWVER (or VERSION_ID) to the file"
			      : "missing: give --fwver");
		return bad;
	}
	strcpy(q->fwver, v[3]);
	struct rc_identity *id = &q->c.id;
	id->vendor = rc_str_c(q->vendor);
	id->model = rc_str_c(q->model);
	id->hwrev = rc_str_c(q->hwrev);
	id->fwver = rc_str_c(q->fwver);
	if (v[4] && parse_time(v[4], &id->build_date) < 0) {
		warnx_("%s: build date '%s': %s", src, v[4], TIME_FORMS);
		return q->opt[4] ? -2 : -1;
	}
	id->has_build_date = v[4] != NULL;
	if (v[5] && unhex(id->digest, RC_DIGEST_LEN, v[5]) < 0) {
		warnx_("%s: digest: expected 64 hex digits", src);
		return q->opt[5] ? -2 : -1;
	}
	id->has_digest = v[5] != NULL;
	return 0;
}

/* A resolved numeric address; -1 with a message for names and garbage. */
static int address(const char *addr, const char *port, struct sockaddr_storage *sa,
		   socklen_t *salen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int e = getaddrinfo(addr, port, &hints, &res);
	if (e) {
		warnx_("%s: %s", addr,
		       e == EAI_NONAME ? "not a numeric IPv4 or IPv6 address (names are not "
					 "resolved)"
				       : gai_strerror(e));
		return -1;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void addr_str(const struct sockaddr_storage *sa, socklen_t n, char h[static NI_MAXHOST],
	      char p[static NI_MAXSERV])
{
	if (getnameinfo((const struct sockaddr *)sa, n, h, NI_MAXHOST, p, NI_MAXSERV,
			NI_NUMERICHOST | NI_NUMERICSERV))
		strcpy(h, "?"), strcpy(p, "?");
}

/* Same family, address and port (connect() filters already; this says so explicitly). */
static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return a->ss_family == AF_INET6 && x->sin6_port == y->sin6_port &&
	       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
}

/* A bucket answer into bk, and its type, nonce and serial into a. */
static int bucket_decode(struct rc_answer *a, struct rc_bucket *bk, const uint8_t *buf, size_t n,
			 struct rc_diag *d)
{
	int err = rc_bucket_decode(bk, buf, n, d);
	memset(a, 0, sizeof(*a));
	a->type = RC_MSG_BUCKET;
	memcpy(a->nonce, bk->nonce, RC_NONCE_LEN);
	a->serial = bk->serial;
	return err;
}

int exchange(const struct q *q, const struct sockaddr_storage *sa, socklen_t salen,
	     const uint8_t *req, uint8_t *buf, size_t *len, double *rtt, unsigned timeout,
	     struct rc_answer *a, struct rc_bucket *bk, unsigned *ignored)
{
	int fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, salen) < 0) {
		warnx_("socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	double t0 = mono_ms(), deadline = t0 + timeout;
	if (send(fd, req, RC_CHECKIN_SIZE, 0) != RC_CHECKIN_SIZE) {
		warnx_("send: %s", strerror(errno));
		close(fd);
		return -1;
	}
	const char *last = NULL;
	for (;;) {
		double left = deadline - mono_ms();
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = left > 0 ? poll(&pf, 1, (int)left + 1) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			warnx_("no answer within %u ms%s%s%s", timeout, last ? " (ignored: " : "",
			       last ? last : "", last ? ")" : "");
			close(fd);
			return -1;
		}
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, 65536, 0, (struct sockaddr *)&from, &fl);
		*rtt = mono_ms() - t0;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			warnx_("%s", errno == ECONNREFUSED
					 ? "port unreachable: no responder listens there"
					 : strerror(errno));
			close(fd);
			return -1;
		}
		struct rc_diag d = {0, NULL};
		int err;
		if (!same_peer(&from, sa)) {
			last = "an answer from another address";
		} else if ((size_t)n > RC_ANSWER_MAX) {
			last = "an answer larger than the check-in";
		} else if ((err = bk && rc_msg_peek_type(buf, (size_t)n) == RC_MSG_BUCKET
				      ? bucket_decode(a, bk, buf, (size_t)n, &d)
				      : rc_answer_decode(a, buf, (size_t)n, &d))) {
			last = "an answer that does not decode";
			if (!q->json)
				warnx_("ignored a %zd-byte datagram: %s%s%s", n,
				       d.field ? d.field : "", d.field ? ": " : "",
				       rc_strerror(err));
		} else if (sodium_memcmp(a->nonce, q->nonce, RC_NONCE_LEN)) {
			last = "an answer to another check-in (nonce)";
		} else {
			*len = (size_t)n;
			close(fd);
			return 0;
		}
		(*ignored)++;
	}
}

int recalled(struct q *q, const struct rc_answer *a, json_t *out)
{
	struct rc_cose_sign m;
	struct rc_notice n;
	struct rc_verdict v = {0};
	struct rc_diag d = {0, NULL};
	int shown = cose_view(&m, a->blob, a->blob_len, &d);
	if (!shown && m.content_type != RC_CT_NOTICE)
		shown = RC_ERR_TYPE;
	if (!shown)
		shown = rc_notice_decode(&n, m.payload, m.payload_len, &d);
	/* Checked before anything is shown: the words of a notice whose signatures were not
	 * checked (no --anchors) or fell short are anyone's, and every line shown says so.
	 * (rc_notice_check tests coverage and validity only after k trusted signatures.) */
	struct rc_notice chk;
	struct rc_verdict cv = {0};
	struct rc_diag cd = {0, NULL};
	int err = !q->have_anchors ? RC_ERR_THRESHOLD
				   : rc_notice_check(&chk, a->blob, a->blob_len, &q->anchors,
						     &q->c.id, now_s(), true, &cv, &cd);
	bool signed_ok =
	    q->have_anchors && (!err || err == RC_ERR_NOTCOVERED || err == RC_ERR_EXPIRED);
	json_t *sig = json_array();
	if (shown) {
		if (!q->json)
			printf(";; notice (%zu bytes) does not decode: %s%s%s\n", a->blob_len,
			       d.field ? d.field : "", d.field ? ": " : "", rc_strerror(shown));
	} else if (q->json) {
		json_object_set_new(out, "notice", notice_to_json(&n));
	} else {
		printf(";; NOTICE (%zu bytes)%s:\n", a->blob_len,
		       signed_ok ? "" : ", UNVERIFIED: anyone may have written it");
		notice_print(&n, signed_ok ? "   " : "   [unverified] ");
		printf(";; SIGNATURES (%zu):\n", m.nsig);
	}
	if (!shown && q->have_anchors)
		signers_report(&q->anchors, &m, &v, q->json ? sig : NULL);
	else if (!shown)
		kids_report(&m, q->json ? sig : NULL);
	json_object_set_new(out, "signatures", sig);
	if (!shown) /* whether the notice's words are the authorities' (see above) */
		json_object_set_new(out, "authentic", json_boolean(signed_ok));
	if (!q->have_anchors) {
		if (!q->json)
			printf(";; VERDICT: not verified (give --anchors)\n");
		json_object_set_new(out, "verdict", json_string("unverified"));
		return Q_UNVERIFIED;
	}
	d = cd;
	const char *what = !err                       ? "valid recall for this identity"
			   : err == RC_ERR_THRESHOLD  ? "NOT VALID: too few trusted signatures"
			   : err == RC_ERR_NOTCOVERED ? "NOT VALID: does not cover this identity"
			   : err == RC_ERR_EXPIRED    ? "NOT VALID: outside its validity window"
						      : "NOT VALID: malformed notice";
	if (q->json) {
		json_object_set_new(out, "verdict", json_string(err ? "invalid" : "valid"));
		json_object_set_new(out, "reason", json_string(err ? rc_strerror(err) : "ok"));
		json_object_set_new(out, "trusted_signatures", json_integer(cv.valid));
		json_object_set_new(out, "threshold", json_integer(q->anchors.k));
	} else {
		printf(";; VERDICT: %s (%u of %u anchor keys signed, %u needed; anchors epoch "
		       "%" PRIu64 ")%s%s\n",
		       what, cv.valid, q->anchors.n, q->anchors.k, q->anchors.epoch,
		       err && d.field ? " at " : "", err && d.field ? d.field : "");
	}
	return err ? Q_UNVERIFIED : Q_RECALLED;
}

static int rotate(struct q *q, const struct rc_answer *a, json_t *out)
{
	if (!q->have_anchors) {
		if (!q->json)
			printf(";; ROTATION statement (%zu bytes): not verified (give --anchors)\n",
			       a->blob_len);
		json_object_set_new(out, "verdict", json_string("unverified"));
		return Q_OTHER;
	}
	struct rc_anchors next = q->anchors;
	struct rc_verdict v;
	int err = rc_anchors_rotate(&next, a->blob, a->blob_len, &v);
	if (q->json) {
		json_object_set_new(out, "verdict", json_string(err ? "invalid" : "valid"));
		if (!err)
			json_object_set_new(out, "next_anchors", anchors_json(&next));
	} else if (err) {
		printf(";; ROTATION statement (%zu bytes): NOT VALID: %s\n", a->blob_len,
		       rc_strerror(err));
	} else {
		printf(";; ROTATION statement (%zu bytes): valid, to anchor epoch %" PRIu64 ":\n",
		       a->blob_len, next.epoch);
		anchors_print(&next, "   ");
	}
	return Q_OTHER;
}

/* The code whose name(code) is s (names end where name says "unknown"); -1 if none. */
static int code_of(const char *(*name)(unsigned), const char *s)
{
	for (unsigned i = 0; strcmp(name(i), "unknown"); i++)
		if (!strcmp(name(i), s))
			return (int)i;
	return -1;
}

int logged(struct q *q, const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *notice,
	   size_t nlen, unsigned timeout, json_t *out)
{
	static uint8_t buf[65536]; /* notice points into the first answer's buffer */
	struct rc_proofreq pr = {0};
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	struct rc_logproof p;
	struct rc_diag d = {0, NULL};
	size_t len = 0;
	double rtt = 0;
	unsigned ignored = 0;
	uint32_t w = 0;
	randombytes_buf(pr.nonce, RC_NONCE_LEN);
	rc_tlog_leaf_hash(pr.leaf, notice, nlen);
	pr.anchor_epoch = q->c.anchor_epoch;
	memcpy(q->nonce, pr.nonce, RC_NONCE_LEN);
	if (rc_proofreq_encode(&pr, req) != RC_OK ||
	    exchange(q, sa, salen, req, buf, &len, &rtt, timeout, &a, NULL, &ignored) < 0) {
		json_object_set_new(out, "log", json_pack("{s:s}", "verdict", "no-answer"));
		if (!q->json) /* exchange said why */
			printf(";; LOG: no answer to the proof request: will not be acted on\n");
		return Q_ERROR;
	}
	int err = a.type == RC_MSG_PROOF ? rc_logproof_decode(&p, a.blob, a.blob_len, &d)
					 : RC_ERR_MISSING;
	if (!err)
		err = rc_logproof_verify(&q->anchors, notice, nlen, &p, now_s(), true, &w, &d);
	json_t *lj = json_pack("{s:s, s:i, s:f}", "answer", rc_msg_type_name(a.type),
			       "answer_bytes", (json_int_t)len, "rtt_ms", rtt);
	json_object_set_new(out, "log", lj);
	json_object_set_new(lj, "quorum", json_integer(q->anchors.log.quorum));
	if (a.type != RC_MSG_PROOF) {
		json_object_set_new(lj, "verdict", json_string("unlogged"));
		if (!q->json)
			printf(
			    ";; LOG: not logged: will not be acted on (the responder answered %s "
			    "to the proof request)\n",
			    rc_msg_type_name(a.type));
		return Q_UNVERIFIED;
	}
	json_object_set_new(lj, "witnesses", json_integer(w));
	if (err) {
		json_object_set_new(lj, "verdict", json_string("invalid"));
		json_object_set_new(lj, "reason", json_string(rc_strerror(err)));
		if (!q->json)
			printf(";; LOG: proof invalid (%s%s%s): will not be acted on\n",
			       rc_strerror(err), d.field ? " at " : "", d.field ? d.field : "");
		return Q_UNVERIFIED;
	}
	json_object_set_new(lj, "verdict", json_string("logged"));
	json_object_set_new(lj, "index", json_integer((json_int_t)p.index));
	json_object_set_new(lj, "size", json_integer((json_int_t)p.size));
	if (!q->json)
		printf(";; LOG: logged at index %" PRIu64 " of size %" PRIu64
		       ", witnesses %u/%u (proof %zu bytes, answer %zu bytes, rtt %.3f ms)\n",
		       p.index, p.size, (unsigned)w, (unsigned)q->anchors.log.quorum, a.blob_len,
		       len, rtt);
	return Q_RECALLED;
}

int query_verdict(struct q *q, const struct rc_answer *a, const struct sockaddr_storage *sa,
		  socklen_t salen, unsigned timeout, json_t *out)
{
	int ret = Q_OTHER;
	switch (a->type) {
	case RC_MSG_CLEAR:
		ret = Q_CLEAR;
		json_object_set_new(out, "serial", json_integer((json_int_t)a->serial));
		if (!q->json)
			printf(";; CLEAR: feed serial %" PRIu64 "\n", a->serial);
		break;
	case RC_MSG_RECALLED:
		ret = recalled(q, a, out);
		if (ret == Q_RECALLED && q->anchors.has_log)
			ret = logged(q, sa, salen, a->blob, a->blob_len, timeout, out);
		break;
	case RC_MSG_RETRY:
		json_object_set_new(out, "delay", json_integer(a->delay));
		if (!q->json)
			printf(";; RETRY-LATER: in %" PRIu32 " s\n", a->delay);
		break;
	case RC_MSG_UNSUPPORTED:
		json_object_set_new(out, "max_version", json_integer((json_int_t)a->max_version));
		if (!q->json)
			printf(";; UNSUPPORTED: the responder speaks up to version %" PRIu64 "\n",
			       a->max_version);
		break;
	case RC_MSG_ROTATE:
		ret = rotate(q, a, out);
		break;
	default:
		break;
	}
	return ret;
}

enum {
	O_VENDOR = 256,
	O_MODEL,
	O_HWREV,
	O_FWVER,
	O_BUILD,
	O_DIGEST,
	O_EPOCH,
	O_REASON,
	O_STATE,
	O_PRIVATE
};

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
					     {"identity", required_argument, NULL, 'i'},
					     {"vendor", required_argument, NULL, O_VENDOR},
					     {"model", required_argument, NULL, O_MODEL},
					     {"hwrev", required_argument, NULL, O_HWREV},
					     {"fwver", required_argument, NULL, O_FWVER},
					     {"build-date", required_argument, NULL, O_BUILD},
					     {"digest", required_argument, NULL, O_DIGEST},
					     {"anchors", required_argument, NULL, 'a'},
					     {"epoch", required_argument, NULL, O_EPOCH},
					     {"reason", required_argument, NULL, O_REASON},
					     {"state", required_argument, NULL, O_STATE},
					     {"timeout", required_argument, NULL, OPT_L('t')},
					     {"json", no_argument, NULL, 'j'},
					     {"private", no_argument, NULL, O_PRIVATE},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	static struct q q;
	memset(&q, 0, sizeof(q));
	const char *port = "7412", *idfile = NULL, *anchors = NULL, *epoch = NULL;
	uint64_t timeout = 3000, v;
	int c, x;
	bool priv = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:i:a:t:jh", opts, NULL)) != -1) {
		switch (c = opt_retired(c, "t", opts)) {
		case 'p':
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > 65535)
				return usage_fail(query_usage, "--port: 1..65535");
			port = optarg;
			break;
		case 'i':
			idfile = optarg;
			break;
		case O_VENDOR:
		case O_MODEL:
		case O_HWREV:
		case O_FWVER:
		case O_BUILD:
		case O_DIGEST:
			q.opt[c - O_VENDOR] = optarg;
			break;
		case 'a':
			anchors = optarg;
			break;
		case O_EPOCH:
			epoch = optarg;
			break;
		case O_REASON:
			if ((x = code_of(rc_reason_name, optarg)) < 0)
				return usage_fail(query_usage, "--reason: boot, attach, periodic, "
							       "retry or recheck");
			q.c.reason = (uint8_t)x;
			break;
		case O_STATE:
			if ((x = code_of(rc_devstate_name, optarg)) < 0)
				return usage_fail(query_usage,
						  "--state: normal, quarantined or overridden");
			q.c.state = (uint8_t)x;
			break;
		case OPT_L('t'):
			if (parse_duration_ms(optarg, &timeout) < 0 || timeout < 1 ||
			    timeout > 600000)
				return bad_value(query_usage, "query", opts, c, optarg,
						 "give 1ms to 10m (a bare number is milliseconds)");
			break;
		case 'j':
			q.json = true;
			break;
		case O_PRIVATE:
			priv = true;
			break;
		default:
			return usage_opt(c, query_usage);
		}
	}
	if (argc - optind != 1)
		return usage_fail(query_usage, "query: give one ADDRESS");
	const char *addr = argv[optind];
	struct sockaddr_storage sa;
	socklen_t salen;
	if (epoch && parse_u64(epoch, &q.c.anchor_epoch) < 0)
		return usage_fail(query_usage, "--epoch: a number");
	if ((x = identity(&q, idfile)) == -2)
		return usage_opt('?', query_usage); /* the message is printed */
	if (x < 0 || address(addr, port, &sa, &salen) < 0)
		return Q_ERROR;
	if (anchors && anchors_load(anchors, &q.anchors) < 0)
		return Q_ERROR;
	q.have_anchors = anchors != NULL;
	if (anchors && !epoch)
		q.c.anchor_epoch = q.anchors.epoch;
	if (priv)
		return query_private(&q, &sa, salen, (unsigned)timeout);
	randombytes_buf(q.c.nonce, RC_NONCE_LEN);
	memcpy(q.nonce, q.c.nonce, RC_NONCE_LEN);
	uint8_t req[RC_CHECKIN_SIZE];
	static uint8_t buf[65536];
	int err = rc_checkin_encode(&q.c, req);
	if (err) {
		warnx_("cannot encode the check-in: %s", rc_strerror(err));
		return Q_ERROR;
	}
	char host[NI_MAXHOST], serv[NI_MAXSERV], nh[2 * RC_NONCE_LEN + 1];
	addr_str(&sa, salen, host, serv);
	hex(nh, q.c.nonce, RC_NONCE_LEN);
	if (!q.json) {
		printf("; recall query %s port %s\n", host, serv);
		printf("; identity: vendor %s, model %s, hwrev \"%s\", fwver \"%s\"", q.vendor,
		       q.model, q.hwrev, q.fwver);
		if (q.c.id.has_build_date) {
			char t[32];
			printf(", built %s", fmt_time(t, q.c.id.build_date));
		}
		printf("%s\n", q.c.id.has_digest ? ", with image digest" : "");
		printf("; check-in: %d bytes, reason %s, state %s, anchor epoch %" PRIu64
		       ", nonce %s\n",
		       RC_CHECKIN_SIZE, rc_reason_name(q.c.reason), rc_devstate_name(q.c.state),
		       q.c.anchor_epoch, nh);
	}
	struct rc_answer a;
	size_t len = 0;
	double rtt = 0;
	unsigned ignored = 0;
	if (exchange(&q, &sa, salen, req, buf, &len, &rtt, (unsigned)timeout, &a, NULL, &ignored) <
	    0)
		return Q_ERROR;
	json_t *out =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:i, s:s, s:i, s:f, s:i}", "server",
		      host, "port", serv, "identity", "vendor", q.vendor, "model", q.model, "hwrev",
		      q.hwrev, "fwver", q.fwver, "nonce", nh, "request_bytes", RC_CHECKIN_SIZE,
		      "answer", rc_msg_type_name(a.type), "answer_bytes", (json_int_t)len, "rtt_ms",
		      rtt, "ignored", (json_int_t)ignored);
	if (!q.json) {
		printf("\n;; ANSWER: %s, %zu bytes from %s port %s, rtt %.3f ms",
		       rc_msg_type_name(a.type), len, host, serv, rtt);
		printf(ignored ? " (%u other datagrams ignored)\n" : "\n", ignored);
	}
	int ret = query_verdict(&q, &a, &sa, salen, (unsigned)timeout, out);
	json_object_set_new(out, "exit", json_integer(ret));
	if (q.json)
		json_print(out);
	else
		json_decref(out);
	return ret;
}
