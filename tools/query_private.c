/* recall query --private: the device's walk of PROTOCOL.md 18.4. A private check-in with the
 * 12-bit prefix of the model hash (page 0, then further pages while the model's tag is not
 * listed), then, if the tag is listed with n notices, notice requests for index 0 .. n-1 one at
 * a time; the first notice that verifies and covers the identity is the answer, as a check-in's
 * would be. The verdict, its lines and the exit code are normal query's (query_verdict); the
 * round trips and bytes are added. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "query.h"
#include "signed.h"
#include "recall/cose.h"
#include "recall/notice.h"

/* Whether a recalled answer's notice is the one to act on: it covers the identity (checked
 * with the anchors when given, so that a notice that fails them is shown as normal query shows
 * it). False only for a notice that decodes, would verify, and does not cover. */
static bool acts(const struct q *q, const struct rc_answer *a)
{
	struct rc_notice n;
	if (q->have_anchors)
		return rc_notice_check(&n, a->blob, a->blob_len, &q->anchors, &q->c.id, now_s(),
				       true, NULL, NULL) != RC_ERR_NOTCOVERED;
	struct rc_cose_sign m;
	if (rc_cose_decode(&m, a->blob, a->blob_len, NULL) || m.content_type != RC_CT_NOTICE ||
	    rc_notice_decode(&n, m.payload, m.payload_len, NULL))
		return true; /* shown as normal query shows what does not decode */
	return rc_notice_covers(&n, &q->c.id);
}

struct walk {
	unsigned trips, ignored;
	size_t sent, received;
	double rtt;
};

/* One request of the walk (encoded in req, nonce in q->nonce) and its answer. */
static int step(struct q *q, const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *req,
		uint8_t *buf, unsigned timeout, struct rc_answer *a, struct rc_bucket *bk,
		struct walk *w, const char *what)
{
	size_t len = 0;
	double rtt = 0;
	if (exchange(q, sa, salen, req, buf, &len, &rtt, timeout, a, bk, &w->ignored) < 0)
		return -1;
	w->trips++;
	w->sent += RC_CHECKIN_SIZE;
	w->received += len;
	w->rtt += rtt;
	if (!q->json)
		printf(";; %s: %s, %zu bytes, rtt %.3f ms\n", what, rc_msg_type_name(a->type), len,
		       rtt);
	return 0;
}

int query_private(struct q *q, const struct sockaddr_storage *sa, socklen_t salen, unsigned timeout)
{
	static uint8_t buf[65536];
	uint8_t tag[RC_PRIVATE_TAG_LEN], req[RC_CHECKIN_SIZE];
	uint16_t prefix;
	char host[NI_MAXHOST], serv[NI_MAXSERV], th[2 * RC_PRIVATE_TAG_LEN + 1], what[64];
	rc_private_hash(q->c.id.vendor, q->c.id.model, tag, &prefix);
	addr_str(sa, salen, host, serv);
	hex(th, tag, RC_PRIVATE_TAG_LEN);
	if (!q->json) {
		printf("; recall query --private %s port %s\n", host, serv);
		printf("; identity (not sent): vendor %s, model %s, hwrev \"%s\", fwver \"%s\"\n",
		       q->vendor, q->model, q->hwrev, q->fwver);
		printf("; private check-in: prefix 0x%03x (%u bits), model tag %s, reason %s, "
		       "state %s, anchor epoch %" PRIu64 "\n",
		       prefix, RC_PRIVATE_BITS, th, rc_reason_name(q->c.reason),
		       rc_devstate_name(q->c.state), q->c.anchor_epoch);
	}
	struct walk w = {0};
	struct rc_answer a;
	struct rc_bucket bk;
	unsigned page = 0, count = 0, pages = 0;
	for (;;) {
		struct rc_private_checkin pc = {.reason = q->c.reason,
						.state = q->c.state,
						.prefix = prefix,
						.page = (uint8_t)page,
						.anchor_epoch = q->c.anchor_epoch};
		randombytes_buf(pc.nonce, RC_NONCE_LEN);
		memcpy(q->nonce, pc.nonce, RC_NONCE_LEN);
		snprintf(what, sizeof(what), "private check-in, page %u", page);
		if (rc_private_checkin_encode(&pc, req) != RC_OK ||
		    step(q, sa, salen, req, buf, timeout, &a, &bk, &w, what) < 0)
			return Q_ERROR;
		if (a.type != RC_MSG_BUCKET)
			goto verdict; /* retry-later, unsupported, rotate: as for a check-in */
		count = rc_bucket_find(&bk, tag);
		pages = bk.pages;
		if (!q->json)
			printf(";; BUCKET: page %u of %u, %zu models listed, %s\n", page, bk.pages,
			       bk.nentries,
			       count ? "this model's tag among them" : "not this model");
		if (count)
			break;
		if (page + 1 >= bk.pages || page + 1 >= RC_BUCKET_PAGES_MAX)
			goto clear;
		page++;
	}
	for (unsigned i = 0; i < count; i++) {
		struct rc_notice_request nr = {.index = (uint16_t)i,
					       .anchor_epoch = q->c.anchor_epoch};
		memcpy(nr.tag, tag, RC_PRIVATE_TAG_LEN);
		randombytes_buf(nr.nonce, RC_NONCE_LEN);
		memcpy(q->nonce, nr.nonce, RC_NONCE_LEN);
		snprintf(what, sizeof(what), "notice request %u of %u", i + 1, count);
		if (rc_notice_request_encode(&nr, req) != RC_OK ||
		    step(q, sa, salen, req, buf, timeout, &a, NULL, &w, what) < 0)
			return Q_ERROR;
		if (a.type != RC_MSG_RECALLED || acts(q, &a))
			goto verdict;
		if (!q->json)
			printf(";; (a notice of this model that does not cover this identity)\n");
	}
clear: /* no notice of the model covers the device: as a clear answer with the serial */
	memset(&a, 0, sizeof(a));
	a.type = RC_MSG_CLEAR;
	a.serial = bk.serial;
verdict:;
	json_t *out =
	    json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:i, s:s}", "mode", "private",
		      "server", host, "port", serv, "identity", "vendor", q->vendor, "model",
		      q->model, "hwrev", q->hwrev, "fwver", q->fwver, "answer",
		      rc_msg_type_name(a.type), "prefix", (json_int_t)prefix, "tag", th);
	if (!q->json)
		printf("\n");
	int ret = query_verdict(q, &a, sa, salen, timeout, out);
	/* the log proof request, when one was made, is a round trip of the walk too */
	json_t *lj = json_object_get(out, "log");
	json_t *lb = lj ? json_object_get(lj, "answer_bytes") : NULL;
	if (lb) {
		w.trips++;
		w.sent += RC_CHECKIN_SIZE;
		w.received += (size_t)json_integer_value(lb);
	}
	json_object_set_new(out, "pages", json_integer(pages));
	json_object_set_new(out, "listed", json_integer(count));
	json_object_set_new(out, "round_trips", json_integer(w.trips));
	json_object_set_new(out, "bytes_sent", json_integer((json_int_t)w.sent));
	json_object_set_new(out, "bytes_received", json_integer((json_int_t)w.received));
	json_object_set_new(out, "rtt_ms", json_real(w.rtt));
	json_object_set_new(out, "ignored", json_integer(w.ignored));
	json_object_set_new(out, "exit", json_integer(ret));
	if (!q->json)
		printf(";; PRIVATE: %u round trips, %zu bytes sent, %zu bytes received%s\n",
		       w.trips, w.sent, w.received, lb ? " (with the log proof request)" : "");
	if (q->json)
		json_print(out);
	else
		json_decref(out);
	return ret;
}
