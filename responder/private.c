/* Private check-ins and notice requests (PROTOCOL.md 18.3): answered from a table built when a
 * state is loaded (and again when a notice starts or ends), so that an answer is a copy out of
 * it. No heap, no locks. A private check-in carries no identity, and nothing here logs one; a
 * notice request is an event naming the model's tag. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rd.h"
#include "recall/cose.h"

static bool enforced(const struct rc_notice *n, void *arg)
{
	const struct rd_config *cfg = arg;
	return rd_policy_action(&cfg->policy, cfg->default_action, n) == RD_ENFORCE;
}

struct rd_ptab *rd_ptab_build(const struct rd_state *st, uint64_t now)
{
	const struct rc_feed *f = &st->fm->feed;
	struct rd_ptab *pt = malloc(sizeof(*pt) + (size_t)f->nnotices * sizeof(pt->rows[0]));
	if (!pt)
		return NULL;
	if (rc_private_table_build(&pt->t, f, pt->rows, f->nnotices, now, enforced, st->cfg) !=
	    RC_OK) {
		free(pt);
		return NULL;
	}
	/* a bucket too large for 16 pages is refused at every check-in: find them once */
	uint8_t buf[RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN];
	struct rc_bucket b;
	pt->toolarge = 0;
	for (unsigned p = 0; p < RC_PRIVATE_PREFIXES; p++) {
		if (pt->t.start[p + 1] - pt->t.start[p] >
			RC_BUCKET_ENTRIES_MAX * RC_BUCKET_PAGES_MAX &&
		    rc_private_table_bucket(&pt->t, (uint16_t)p, 0, buf, &b) == RC_ERR_TOOLONG)
			pt->toolarge++;
	}
	if (pt->toolarge)
		log_warnx("feed serial %llu: %zu of the 4096 private check-in buckets hold more "
			  "models than 16 pages do; their private check-ins are answered "
			  "retry-later (recalld_private_unserved_total{reason=\"too_large\"})",
			  (unsigned long long)f->meta.serial, pt->toolarge);
	return pt;
}

/* A notice request as an event: the tag and index asked for, and what was answered. */
static void log_request(struct rd_ctx *x, const struct rd_state *st, int family,
			const uint8_t *addr, const struct rc_notice_request *q, uint8_t result,
			const uint8_t *np, size_t nlen)
{
	struct rd_event *e = rd_event_start(x, st, family, addr, RD_EV_NOTICE_REQ, result);
	if (!e)
		return;
	memcpy(e->leaf, q->tag, RC_PRIVATE_TAG_LEN);
	e->index = q->index;
	/* the notice's id: decoded again (no heap), only with an event log */
	struct rc_cose_sign m;
	struct rc_notice n;
	if (np && !rc_cose_decode(&m, np, nlen, NULL) &&
	    !rc_notice_decode(&n, m.payload, m.payload_len, NULL)) {
		e->severity = n.severity;
		e->idlen = (uint8_t)(n.id.n < RC_NOTICE_ID_MAX ? n.id.n : RC_NOTICE_ID_MAX);
		memcpy(e->id, n.id.p, e->idlen);
	}
	rd_ring_push(&x->ring);
}

/* Counters per request type: [0] private check-in, [1] notice request. */
static const enum rd_ctr c_retry[2] = {RD_C_PC_RETRY, RD_C_NR_RETRY};
static const enum rd_ctr c_unsup[2] = {RD_C_PC_UNSUPPORTED, RD_C_NR_UNSUPPORTED};
static const enum rd_ctr c_rotate[2] = {RD_C_PC_ROTATE, RD_C_NR_ROTATE};

size_t rd_answer_private(struct rd_ctx *x, const struct rd_state *st, int type, int family,
			 const uint8_t *addr, const uint8_t *req, size_t len, bool limited,
			 uint8_t out[static RC_ANSWER_MAX])
{
	const struct rd_config *cfg = st->cfg;
	unsigned w = type == RC_MSG_NOTICE_REQUEST;
	struct rc_private_checkin pc;
	struct rc_notice_request nr;
	const uint8_t *nonce;
	uint64_t epoch;
	int err;
	if (w) {
		err = rc_notice_request_decode(&nr, req, len, NULL);
		nonce = nr.nonce;
		epoch = nr.anchor_epoch;
	} else {
		err = rc_private_checkin_decode(&pc, req, len, NULL);
		nonce = pc.nonce;
		epoch = pc.anchor_epoch;
	}
	if (err && err != RC_ERR_VERSION) {
		rd_count(x->cnt, RD_C_DROP_MALFORMED);
		return 0;
	}
	struct rc_answer a;
	memset(&a, 0, sizeof(a));
	memcpy(a.nonce, nonce, RC_NONCE_LEN);
	a.type = RC_MSG_RETRY;
	enum rd_ctr kind = RD_C_ANS_RETRY, sub = c_retry[w];
	const struct rd_rotation_stmt *rot = NULL;
	const struct rd_ptab *pt = x->pt ? x->pt : atomic_load(&st->priv);
	if (limited) {
		rd_count(x->cnt, RD_C_RL_RETRY);
		a.delay = (uint32_t)(cfg->rl_delay_ms / 1000);
	} else if (err == RC_ERR_VERSION) {
		a.type = RC_MSG_UNSUPPORTED;
		a.max_version = RC_VERSION;
		kind = RD_C_ANS_UNSUPPORTED;
		sub = c_unsup[w];
	} else if (epoch < st->anchors.epoch && (rot = rd_state_rotation(st, epoch))) {
		a.type = RC_MSG_ROTATE;
		a.blob = rot->bytes;
		a.blob_len = rot->len;
		kind = RD_C_ANS_ROTATE;
		sub = c_rotate[w];
	} else if (x->now_s >= st->fm->feed.meta.expiry) {
		a.delay =
		    (uint32_t)(cfg->expired_delay_ms / 1000); /* an expired feed is not used */
	} else if (!pt || x->now_s >= pt->t.next_change) {
		/* a notice started or ended and the main thread has not rebuilt the table yet
		 * (within a tick): the table could answer otherwise than a check-in would */
		rd_count(x->cnt, RD_C_PRIV_STALE);
		a.delay = RC_RETRY_MIN;
	} else if (!w) {
		uint8_t ebuf[RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN];
		struct rc_bucket b;
		memset(&b, 0, sizeof(b));
		memcpy(b.nonce, nonce, RC_NONCE_LEN);
		b.serial = st->fm->feed.meta.serial;
		/* an exempt source is never recalled: its bucket is empty, so it decides clear */
		int e = rd_exempt(&cfg->exempt, family, addr)
			    ? (b.entries = ebuf, b.pages = 1, RC_OK)
			    : rc_private_table_bucket(&pt->t, pc.prefix, pc.page, ebuf, &b);
		if (e == RC_ERR_TOOLONG) {
			rd_count(x->cnt, RD_C_PRIV_TOOLARGE);
			if (x->lograte.per_sec > 0)
				log_warnx_rl(&x->lograte,
					     "worker %u: a private check-in asked for a bucket of "
					     "more than 16 pages: answered retry-later",
					     x->id);
			a.delay = (uint32_t)(cfg->expired_delay_ms / 1000);
		} else {
			size_t blen = 0;
			if (e != RC_OK || rc_bucket_encode(&b, out, len, &blen) != RC_OK || !blen ||
			    blen > len) {
				rd_count(x->cnt, RD_C_DROP_INTERNAL);
				return 0;
			}
			rd_count(x->cnt, RD_C_ANS_BUCKET);
			rd_count(x->cnt, RD_C_PC_BUCKET);
			return blen;
		}
	} else {
		const uint8_t *np = NULL;
		size_t nlen = 0;
		bool have = rc_private_table_notice(&pt->t, nr.tag, nr.index, &np, &nlen);
		bool ex = have && rd_exempt(&cfg->exempt, family, addr);
		if (have && !ex) {
			a.type = RC_MSG_RECALLED;
			a.blob = np;
			a.blob_len = nlen;
			kind = RD_C_ANS_RECALLED;
			sub = RD_C_NR_RECALLED;
		} else {
			/* the feed changed since the bucket answer, or an exempt source */
			a.type = RC_MSG_CLEAR;
			a.serial = st->fm->feed.meta.serial;
			kind = RD_C_ANS_CLEAR;
			sub = RD_C_NR_CLEAR;
		}
		if (ex)
			rd_count(x->cnt, RD_C_HIT_EXEMPT);
		if (cfg->event_log && cfg->event_log[0])
			log_request(x, st, family, addr, &nr,
				    !have ? RD_NR_CLEAR
				    : ex  ? RD_NR_EXEMPT
					  : RD_NR_RECALLED,
				    np, nlen);
	}
	size_t alen = 0;
	if (rc_answer_encode(&a, out, len, &alen) != RC_OK || alen == 0 || alen > len) {
		rd_count(x->cnt, RD_C_DROP_INTERNAL);
		return 0;
	}
	rd_count(x->cnt, kind);
	rd_count(x->cnt, sub);
	return alen;
}
