/* The private side of recall-conform-responder (docs/PROTOCOL.md 18): it answers private
 * check-ins with bucket pages and notice requests with notices, as the mode file says.
 *
 * Every mode that ends in a notice walks as 18.4 describes, so a DUT must page and skip: page 0
 * of 2 lists only a decoy model, page 1 lists the DUT's tag with 2 notices, notice 0 is a genuine
 * notice of its model for another build (it must not act on it), and notice 1 is the mode's (the
 * honest recall, or a forgery of the matrix). "clear" is one page without the DUT's tag. The
 * private modes: pnocover (both notices for other builds), precalled (a recalled answer to a
 * private check-in), pbucketnonce (every bucket carries another nonce). The DUT's identity,
 * which a private check-in does not carry, comes from the suite (MODEFILE.id). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "recall/private.h"
#include "resp_private.h"

struct ident {
	char v[RC_NAME_MAX + 1], m[RC_NAME_MAX + 1], h[RC_HWREV_MAX + 1], f[128];
};

/* "vendor model hwrev fwver", "-" for one not stated. */
static void id_read(const char *path, struct ident *id)
{
	FILE *f = fopen(path, "r");
	memset(id, 0, sizeof(*id));
	if (!f || fscanf(f, "%64s %64s %32s %127s", id->v, id->m, id->h, id->f) != 4)
		memset(id, 0, sizeof(*id));
	if (f)
		fclose(f);
	char *all[] = {id->h, id->f};
	for (int i = 0; i < 2; i++)
		if (!strcmp(all[i], "-"))
			all[i][0] = 0;
}

/* How many of the identity's strings appear anywhere in the datagram's bytes. */
static int idstrings(const uint8_t *b, size_t n, const struct ident *id)
{
	const char *s[] = {id->v, id->m, id->h, id->f};
	int c = 0;
	for (int i = 0; i < 4; i++)
		if (strlen(s[i]) >= 3 && memmem(b, n, s[i], strlen(s[i])))
			c++;
	return c;
}

static void hexs(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static bool is(const char *mode, const char *m)
{
	return !strcmp(mode, m);
}

/* Modes whose answer to any request is answer()'s (a rotation, or retry-later), when it is. */
static size_t passthrough(uint8_t *out, size_t cap, const struct rc_checkin *c, const char *mode,
			  const struct rc_endpoint *eps, size_t neps, struct episode *ep)
{
	if (!is(mode, "retry") && !is(mode, "rotate") && !is(mode, "rotreplay") &&
	    !is(mode, "epochskip") && !is(mode, "rotlog"))
		return 0;
	size_t len = answer(out, cap, c, mode, eps, neps, ep);
	int t = len ? rc_msg_peek_type(out, len) : -1;
	return t == RC_MSG_ROTATE || t == RC_MSG_RETRY ? len : 0;
}

static size_t bucket(uint8_t *out, size_t cap, const struct rc_private_checkin *pc,
		     const char *mode, const uint8_t tag[RC_PRIVATE_TAG_LEN])
{
	uint8_t ent[RC_BUCKET_ENTRY_LEN], decoy[RC_PRIVATE_TAG_LEN];
	uint16_t dp;
	rc_private_hash(rc_str_c("conform-decoy"), rc_str_c("decoy-model"), decoy, &dp);
	struct rc_bucket b = {.serial = 7, .entries = ent, .nentries = 1, .pages = 2};
	memcpy(b.nonce, pc->nonce, RC_NONCE_LEN);
	if (is(mode, "pbucketnonce"))
		b.nonce[0] ^= 0x5a;
	memcpy(ent, pc->page == 1 ? tag : decoy, RC_PRIVATE_TAG_LEN);
	ent[8] = 0;
	ent[9] = pc->page == 1 ? 2 : 1;
	if (is(mode, "clear") || is(mode, "rotlog"))
		b.pages = 1;
	if (pc->page >= b.pages)
		b.nentries = 0;
	size_t len = 0;
	return rc_bucket_encode(&b, out, cap, &len) ? 0 : len;
}

/* A notice request: (tag, index) of the walk above; anything else has no notice: clear. */
static size_t notice(uint8_t *out, size_t cap, const struct rc_notice_request *q,
		     const struct rc_checkin *c, const char *mode, bool own,
		     const struct rc_endpoint *eps, size_t neps, struct episode *ep)
{
	struct rc_answer a = {.type = RC_MSG_CLEAR, .serial = 7};
	uint8_t blob[RC_NOTICE_MAX + 512];
	size_t bl = 0, len = 0;
	memcpy(a.nonce, q->nonce, RC_NONCE_LEN);
	if (own && q->index <= 1 && !is(mode, "clear")) {
		const char *m = q->index == 0 || is(mode, "pnocover") ? "otherfw" : mode;
		if (make_notice(blob, sizeof(blob), &bl, c, m, eps, neps))
			return 0;
		a.type = RC_MSG_RECALLED;
		a.blob = blob;
		a.blob_len = bl;
		memcpy(ep->notice, blob, bl); /* what a proof request will ask about */
		ep->notice_len = bl;
		if (is(mode, "wrongnonce"))
			a.nonce[0] ^= 0x5a;
		if (is(mode, "stalenonce"))
			memcpy(a.nonce, ep->prev, RC_NONCE_LEN);
	}
	if (rc_answer_encode(&a, out, cap, &len))
		return 0;
	if (is(mode, "truncated"))
		len -= len > 8 ? 8 : len;
	if (is(mode, "oversized") && cap >= RC_ANSWER_MAX + 100) {
		memset(out + len, 0, RC_ANSWER_MAX + 100 - len);
		len = RC_ANSWER_MAX + 100;
	}
	return len;
}

size_t rp_answer(uint8_t *out, size_t cap, const uint8_t *in, size_t n, const char *mode,
		 const char *idpath, const struct rc_endpoint *eps, size_t neps, struct episode *ep,
		 FILE *log, const char *pre, const char *post)
{
	struct ident id;
	id_read(idpath, &id);
	uint8_t tag[RC_PRIVATE_TAG_LEN];
	uint16_t prefix;
	rc_private_hash(rc_str_c(id.v), rc_str_c(id.m), tag, &prefix);
	struct rc_checkin c;
	memset(&c, 0, sizeof(c));
	c.id.vendor = rc_str_c(id.v);
	c.id.model = rc_str_c(id.m);
	c.id.hwrev = rc_str_c(id.h); /* no fwver: the notice covers every build */
	struct rc_diag d = {0, NULL};
	char nonce[2 * RC_NONCE_LEN + 1], th[2 * RC_PRIVATE_TAG_LEN + 1];
	size_t len = 0;
	int strs = idstrings(in, n, &id);
	bool silent = is(mode, "silent");
	if (rc_msg_peek_type(in, n) == RC_MSG_PRIVATE) {
		struct rc_private_checkin pc;
		int rc = rc_private_checkin_decode(&pc, in, n, &d);
		if (rc) {
			fprintf(log, "%s len=%zu ok=0 type=private err=%s %s mode=%s\n", pre, n,
				rc_strerror(rc), post, mode);
			return 0;
		}
		memcpy(c.nonce, pc.nonce, RC_NONCE_LEN);
		c.anchor_epoch = pc.anchor_epoch;
		if (pc.reason != RC_REASON_RETRY) {
			memcpy(ep->prev, ep->cur, RC_NONCE_LEN);
			memcpy(ep->cur, pc.nonce, RC_NONCE_LEN);
		}
		if (is(mode, "garbage")) {
			randombytes_buf(out, 200);
			len = 200;
		} else if (!silent && !(len = passthrough(out, cap, &c, mode, eps, neps, ep)))
			len = is(mode, "precalled") ? answer(out, cap, &c, "recall", eps, neps, ep)
						    : bucket(out, cap, &pc, mode, tag);
		hexs(nonce, pc.nonce, RC_NONCE_LEN);
		fprintf(log,
			"%s len=%zu ok=1 type=private reason=%s state=%s epoch=%llu prefix=%u "
			"page=%u ownprefix=%d idstr=%d nonce=%s %s mode=%s sent=%zu\n",
			pre, n, rc_reason_name(pc.reason), rc_devstate_name(pc.state),
			(unsigned long long)pc.anchor_epoch, pc.prefix, pc.page,
			pc.prefix == prefix, strs, nonce, post, mode, silent ? 0 : len);
		return silent ? 0 : len;
	}
	struct rc_notice_request q;
	int rc = rc_notice_request_decode(&q, in, n, &d);
	if (rc) {
		fprintf(log, "%s len=%zu ok=0 type=notice err=%s %s mode=%s\n", pre, n,
			rc_strerror(rc), post, mode);
		return 0;
	}
	memcpy(c.nonce, q.nonce, RC_NONCE_LEN);
	c.anchor_epoch = q.anchor_epoch;
	bool own = !memcmp(q.tag, tag, RC_PRIVATE_TAG_LEN);
	if (!silent && !(len = passthrough(out, cap, &c, mode, eps, neps, ep)))
		len = notice(out, cap, &q, &c, mode, own, eps, neps, ep);
	hexs(nonce, q.nonce, RC_NONCE_LEN);
	hexs(th, q.tag, RC_PRIVATE_TAG_LEN);
	fprintf(log,
		"%s len=%zu ok=1 type=notice epoch=%llu tag=%s own=%d index=%u idstr=%d nonce=%s "
		"%s mode=%s sent=%zu\n",
		pre, n, (unsigned long long)q.anchor_epoch, th, own, q.index, strs, nonce, post,
		mode, silent ? 0 : len);
	return silent ? 0 : len;
}
