/* One log entry for `recall log monitor` (logmon.h): a signed notice or a rotation statement,
 * decoded and shown as one line of text or one JSON object. Every string from the log goes
 * through rc_text_safe (tsafen, json_print_line). */
#include <inttypes.h>
#include <string.h>

#include "logmon.h"
#include "recall/text.h"
#include "signed.h"
#include "util.h"

/* Signer kids as "kid,kid" for text and an array for JSON. */
static void kids(const struct rc_cose_sign *m, char *out, size_t cap, json_t *arr)
{
	char kh[2 * RC_KID_LEN + 1];
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < m->nsig; i++) {
		hex(kh, m->sigs[i].kid, RC_KID_LEN);
		json_array_append_new(arr, json_string(kh));
		int w = snprintf(out + o, cap - o, "%s%s", i ? "," : "", kh);
		if (w > 0 && (size_t)w < cap - o)
			o += (size_t)w;
	}
	if (!m->nsig)
		snprintf(out, cap, "none");
}

static json_t *verdict_json(const struct rc_verdict *v, uint32_t k)
{
	return json_pack("{s:b, s:i, s:i}", "met", v->threshold_met, "valid", (json_int_t)v->valid,
			 "k", (json_int_t)k);
}

/* A notice: NULL if the vendor filter hides it. */
static json_t *notice(struct logmon *lm, const struct rc_cose_sign *m, char *line, size_t cap,
		      int *hidden)
{
	struct rc_notice n;
	struct rc_diag d = {0, NULL};
	int err = rc_notice_decode(&n, m->payload, m->payload_len, &d);
	if (err) {
		snprintf(line, cap, "undecodable notice: %s: %s", d.field ? d.field : "-",
			 rc_strerror(err));
		return json_pack("{s:s, s:s}", "type", "undecodable", "error", line);
	}
	if (lm->vendor[0] && !rc_str_eq(n.target.vendor, rc_str_c(lm->vendor))) {
		*hidden = 1;
		return NULL;
	}
	char t[32], ks[RC_SIG_MAX * (2 * RC_KID_LEN + 1) + 8];
	json_t *arr = json_array();
	kids(m, ks, sizeof(ks), arr);
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("notice"));
	json_object_set_new(o, "id", json_stringn(n.id.p, n.id.n));
	json_object_set_new(o, "vendor", json_stringn(n.target.vendor.p, n.target.vendor.n));
	json_object_set_new(o, "model", json_stringn(n.target.model.p, n.target.model.n));
	json_object_set_new(o, "action", json_string(rc_action_name(n.action)));
	json_object_set_new(o, "severity", json_string(rc_severity_name(n.severity)));
	json_object_set_new(o, "issued", json_string(fmt_time(t, n.issued)));
	json_object_set_new(o, "signers", arr);
	int w = snprintf(line, cap,
			 "notice %s vendor %s model %s action %s severity %s issued %s signers %s",
			 tsafen(n.id.p, n.id.n), tsafen(n.target.vendor.p, n.target.vendor.n),
			 tsafen(n.target.model.p, n.target.model.n), rc_action_name(n.action),
			 rc_severity_name(n.severity), t, ks);
	if (lm->have_anchors && w > 0 && (size_t)w < cap) {
		struct rc_verdict v;
		memset(&v, 0, sizeof(v));
		rc_anchors_verify(&lm->anchors, m, &v);
		json_object_set_new(o, "threshold", verdict_json(&v, lm->anchors.k));
		snprintf(line + w, cap - (size_t)w, " threshold %s (%u of %u)",
			 v.threshold_met ? "met" : "NOT MET", v.valid, (unsigned)lm->anchors.k);
	}
	return o;
}

/* A rotation statement; with anchors, an accepted one moves them on for the entries after it. */
static json_t *rotation(struct logmon *lm, const struct rc_cose_sign *m, const uint8_t *e,
			size_t len, char *line, size_t cap)
{
	struct rc_rotation r;
	struct rc_diag d = {0, NULL};
	int err = rc_rotation_decode(&r, m->payload, m->payload_len, &d);
	if (err) {
		snprintf(line, cap, "undecodable rotation statement: %s: %s",
			 d.field ? d.field : "-", rc_strerror(err));
		return json_pack("{s:s, s:s}", "type", "undecodable", "error", line);
	}
	char ks[RC_SIG_MAX * (2 * RC_KID_LEN + 1) + 8];
	json_t *arr = json_array();
	kids(m, ks, sizeof(ks), arr);
	json_t *o =
	    json_pack("{s:s, s:I, s:I, s:o}", "type", "rotation", "from_epoch",
		      (json_int_t)r.from_epoch, "epoch", (json_int_t)r.next.epoch, "signers", arr);
	int w = snprintf(line, cap, "rotation epoch %" PRIu64 " -> %" PRIu64 " signers %s",
			 r.from_epoch, r.next.epoch, ks);
	if (lm->have_anchors && w > 0 && (size_t)w < cap) {
		struct rc_anchors next = lm->anchors;
		struct rc_verdict v;
		memset(&v, 0, sizeof(v));
		uint32_t k = lm->anchors.k;
		int ok = rc_anchors_rotate(&next, e, len, &v) == RC_OK;
		if (ok)
			lm->anchors = next;
		json_object_set_new(o, "threshold", verdict_json(&v, k));
		json_object_set_new(o, "accepted", json_boolean(ok));
		snprintf(line + w, cap - (size_t)w, " %s (%u of %u)",
			 ok ? "accepted" : "NOT ACCEPTED by the anchors", v.valid, (unsigned)k);
	}
	return o;
}

int logmon_show(struct logmon *lm, uint64_t index, const uint8_t *e, size_t len,
		const uint8_t leaf[RC_TLOG_HASH_LEN])
{
	char line[2048], lh[2 * RC_TLOG_HASH_LEN + 1];
	struct rc_cose_sign m;
	struct rc_diag d = {0, NULL};
	json_t *o = NULL;
	int hidden = 0;
	size_t il = len ? seq_item(e, len, 0, &d) : 0;
	int err = !il ? RC_ERR_TRUNCATED : il != len ? RC_ERR_TRAILING : cose_view(&m, e, len, &d);
	/* The log should hold only notices and rotations that met their threshold: anything
	 * else is shown, whatever the filter, as it is news about the log itself. */
	if (err) {
		snprintf(line, sizeof(line), "undecodable entry (%zu bytes): %s: %s", len,
			 d.field ? d.field : "-", rc_strerror(err));
		o = json_pack("{s:s, s:s}", "type", "undecodable", "error", line);
	} else if (m.content_type == RC_CT_NOTICE) {
		o = notice(lm, &m, line, sizeof(line), &hidden);
	} else if (m.content_type == RC_CT_ROTATION) {
		o = rotation(lm, &m, e, len, line, sizeof(line));
	} else {
		snprintf(line, sizeof(line), "%s of content type %" PRIu64 " (%zu bytes)",
			 ct_name(m.content_type), m.content_type, len);
		o = json_pack("{s:s, s:I}", "type", "other", "content_type",
			      (json_int_t)m.content_type);
	}
	if (hidden)
		return 0;
	hex(lh, leaf, RC_TLOG_HASH_LEN);
	if (lm->json) {
		json_t *h = json_pack("{s:s%, s:I, s:s}", "log", lm->origin, lm->origin_len,
				      "index", (json_int_t)index, "leaf_hash", lh);
		json_object_update(h, o);
		json_decref(o);
		json_print_line(h);
	} else {
		json_decref(o);
		/* line's log strings were made safe piece by piece; errors name only our fields. */
		printf("%" PRIu64 " %s\n", index, line);
	}
	return 1;
}
