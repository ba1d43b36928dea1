/* The feed a publication makes of its log (PROTOCOL.md 17.2): every notice entry not withdrawn
 * and not expired at the publication's issue time, each with k valid signatures under the
 * anchor set; rotation statements apart. Shared by the sync engine (which signs the feed with
 * the consumer's local key) and `recall publish` (which checks that readers will accept what
 * it writes). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pubdir.h"
#include "recall/feed.h"
#include "recall/notice.h"

struct ctx {
	const struct rc_pub *pub;
	const struct rc_anchors *a;
	const uint8_t *const *ent;
	const uint16_t *elen;
	uint64_t checked;
	char *err;
	size_t errlen;
};

static int bad(struct ctx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct ctx *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Entry i: a notice to serve (added to f), one left out, or a rotation statement (kept in f
 * for the commit). 0 or -1 with the message. */
static int classify(struct ctx *s, uint64_t i, bool withdrawn, struct pubfeed *f)
{
	struct rc_cose_sign m;
	struct rc_diag d = {0, NULL};
	int e = rc_cose_decode(&m, s->ent[i], s->elen[i], &d);
	if (e)
		return bad(s, "log entry %llu: byte %zu: %s: %s", (unsigned long long)i, d.off,
			   d.field ? d.field : "entry", rc_strerror(e));
	if (m.content_type == RC_CT_ROTATION) {
		struct rc_rotation rot;
		if (withdrawn)
			return bad(s, "publication.withdrawn: %llu is a rotation statement",
				   (unsigned long long)i);
		if ((e = rc_rotation_decode(&rot, m.payload, m.payload_len, &d)) != RC_OK)
			return bad(s, "log entry %llu: %s: %s", (unsigned long long)i,
				   d.field ? d.field : "rotation", rc_strerror(e));
		f->rot[f->nrot] = i;
		f->rot_epoch[f->nrot++] = rot.from_epoch;
		return 0;
	}
	if (m.content_type != RC_CT_NOTICE)
		return bad(s, "log entry %llu: content type %llu", (unsigned long long)i,
			   (unsigned long long)m.content_type);
	if (withdrawn)
		return 0;
	struct rc_notice n;
	if ((e = rc_notice_decode(&n, m.payload, m.payload_len, &d)) != RC_OK)
		return bad(s, "log entry %llu: %s: %s", (unsigned long long)i,
			   d.field ? d.field : "notice", rc_strerror(e));
	if (n.expiry <= s->pub->issued)
		return 0; /* expired when the publication was issued */
	struct rc_verdict v;
	if (i >= s->checked && rc_anchors_verify(s->a, &m, &v) != RC_OK)
		return bad(s, "log entry %llu: notice %.*s: %u valid signatures, %u needed",
			   (unsigned long long)i, (int)(n.id.n < 64 ? n.id.n : 64), n.id.p, v.valid,
			   (unsigned)s->a->k);
	f->v[f->n] = s->ent[i];
	f->len[f->n] = s->elen[i];
	f->index[f->n++] = i;
	return 0;
}

void pubfeed_free(struct pubfeed *f)
{
	free(f->v);
	free(f->len);
	free(f->index);
	free(f->rot);
	free(f->rot_epoch);
	free(f->feed);
	memset(f, 0, sizeof(*f));
}

int pubfeed_make(struct pubfeed *f, const struct rc_pub *pub, const struct rc_anchors *a,
		 const uint8_t *const *ent, const uint16_t *len, uint64_t n, uint64_t checked,
		 const uint8_t *sk, char *err, size_t errlen)
{
	struct ctx s = {pub, a, ent, len, checked, err, errlen};
	size_t m = n ? (size_t)n : 1, wi = 0, badi = 0;
	memset(f, 0, sizeof(*f));
	f->v = malloc(m * sizeof(*f->v));
	f->len = malloc(m * sizeof(*f->len));
	f->index = malloc(m * sizeof(*f->index));
	f->rot = malloc(m * sizeof(*f->rot));
	f->rot_epoch = malloc(m * sizeof(*f->rot_epoch));
	if (!f->v || !f->len || !f->index || !f->rot || !f->rot_epoch) {
		pubfeed_free(f);
		snprintf(err, errlen, "out of memory for %llu entries", (unsigned long long)n);
		return -2;
	}
	for (uint64_t i = 0; i < n; i++) {
		bool wd = wi < pub->nwithdrawn && rc_pub_withdrawn_item(pub, wi) == i;
		wi += wd;
		if (classify(&s, i, wd, f) < 0) {
			pubfeed_free(f);
			return -1;
		}
	}
	struct rc_feed_meta meta = {
	    .serial = pub->serial, .issued = pub->issued, .expiry = pub->expiry};
	memcpy(meta.anchors_id, pub->anchors_id, sizeof(meta.anchors_id));
	int e = rc_feed_build(&f->feed, &f->feed_len, &meta, f->v, f->len, f->n, sk, &badi);
	if (e) {
		bad(&s, "log entry %llu: %s (the feed refuses it)",
		    badi < f->n ? (unsigned long long)f->index[badi] : 0ull, rc_strerror(e));
		pubfeed_free(f);
		return e == RC_ERR_NOMEM ? -2 : -1;
	}
	return 0;
}
