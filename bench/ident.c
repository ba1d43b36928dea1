/* Benchmark identities derived from a feed: for a notice, a build it covers (its first hardware
 * revision, an exact version or a version at a range bound, a build date and digest inside its
 * selectors); for a clear build, the same model with a version no notice covers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ident.h"
#include "recall/cose.h"
#include "recall/notice.h"

int bench_feed_load(struct bench_feed *bf, const char *path)
{
	memset(bf, 0, sizeof(*bf));
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 1 << 20, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len < cap)
			break;
		uint8_t *nb = cap < (1u << 30) ? realloc(buf, cap * 2) : NULL;
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int err = ferror(f);
	fclose(f);
	if (!buf || err) {
		fprintf(stderr, "%s: %s\n", path,
			buf ? "read error" : "out of memory or too large");
		free(buf);
		return -1;
	}
	struct rc_diag d = {0, NULL};
	int rc = rc_feed_parse(&bf->feed, buf, len, &d);
	if (rc != RC_OK) {
		fprintf(stderr, "%s: not a feed: %s at byte %zu (%s)\n", path, rc_strerror(rc),
			d.off, d.field ? d.field : "?");
		free(buf);
		return -1;
	}
	bf->buf = buf;
	bf->len = len;
	return 0;
}

void bench_feed_free(struct bench_feed *bf)
{
	free(bf->buf);
	memset(bf, 0, sizeof(*bf));
}

static struct rc_str view(const char *s)
{
	struct rc_str v = {s, strlen(s)};
	return v;
}

struct rc_identity bench_ident_view(const struct bench_ident *b)
{
	struct rc_identity id;
	memset(&id, 0, sizeof(id));
	id.vendor = view(b->vendor);
	id.model = view(b->model);
	id.hwrev = view(b->hwrev);
	id.fwver = view(b->fwver);
	id.build_date = b->build_date;
	id.has_build_date = b->has_build_date;
	id.has_digest = b->has_digest;
	memcpy(id.digest, b->digest, RC_DIGEST_LEN);
	return id;
}

static bool copy(char *dst, size_t cap, struct rc_str s)
{
	if (s.n >= cap)
		return false;
	if (s.n)
		memcpy(dst, s.p, s.n);
	dst[s.n] = 0;
	return true;
}

/* Version candidates for a target: exact versions, range bounds and their neighbours. */
static size_t candidates(const struct rc_target *t, char out[][RC_FWVER_MAX + 1], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nversions && n < max; i++)
		copy(out[n++], RC_FWVER_MAX + 1, t->versions[i]);
	for (size_t i = 0; i < t->nranges && n + 4 <= max; i++) {
		const struct rc_range *r = &t->ranges[i];
		if (r->lo.v.p) {
			copy(out[n++], RC_FWVER_MAX + 1, r->lo.v);
			if (r->lo.v.n + 2 <= RC_FWVER_MAX)
				snprintf(out[n++], RC_FWVER_MAX + 1, "%.*s.1", (int)r->lo.v.n,
					 r->lo.v.p);
		}
		if (r->hi.v.p) {
			copy(out[n++], RC_FWVER_MAX + 1, r->hi.v);
			if (r->hi.v.n + 1 <= RC_FWVER_MAX)
				snprintf(out[n++], RC_FWVER_MAX + 1, "%.*s~", (int)r->hi.v.n,
					 r->hi.v.p);
		}
		if (!r->lo.v.p && n < max)
			snprintf(out[n++], RC_FWVER_MAX + 1, "0");
	}
	if (!n)
		snprintf(out[n++], RC_FWVER_MAX + 1, "1.0.0");
	return n;
}

bool bench_ident_recalled(const struct bench_feed *bf, uint32_t i, uint64_t now,
			  struct bench_ident *out)
{
	const uint8_t *p;
	size_t len;
	struct rc_cose_sign m;
	struct rc_notice n;
	if (rc_feed_notice(&bf->feed, i, &p, &len) != RC_OK ||
	    rc_cose_decode(&m, p, len, NULL) != RC_OK ||
	    rc_notice_decode(&n, m.payload, m.payload_len, NULL) != RC_OK)
		return false;
	const struct rc_target *t = &n.target;
	struct bench_ident b;
	memset(&b, 0, sizeof(b));
	if (!copy(b.vendor, sizeof(b.vendor), t->vendor) ||
	    !copy(b.model, sizeof(b.model), t->model) ||
	    (t->nhwrevs && !copy(b.hwrev, sizeof(b.hwrev), t->hwrevs[0])))
		return false;
	if (t->has_built_from || t->has_built_before) {
		b.has_build_date = true;
		b.build_date = t->has_built_from ? t->built_from : t->built_before - 1;
	}
	if (t->ndigests) {
		b.has_digest = true;
		memcpy(b.digest, t->digests[0], RC_DIGEST_LEN);
	}
	char cand[24][RC_FWVER_MAX + 1];
	size_t nc = candidates(t, cand, 24);
	for (size_t c = 0; c < nc; c++) {
		memcpy(b.fwver, cand[c], sizeof(b.fwver));
		struct rc_identity id = bench_ident_view(&b);
		struct rc_notice hit;
		if (rc_identity_check(&id) != RC_OK || !rc_notice_covers(&n, &id) ||
		    !rc_feed_lookup_at(&bf->feed, &id, now, NULL, NULL, &hit))
			continue;
		copy(b.notice_id, sizeof(b.notice_id), hit.id);
		b.severity = hit.severity;
		b.expect = RC_MSG_RECALLED;
		*out = b;
		return true;
	}
	return false;
}

static bool is_clear(const struct bench_feed *bf, struct bench_ident *b, uint64_t now)
{
	struct rc_identity id = bench_ident_view(b);
	return rc_identity_check(&id) == RC_OK &&
	       !rc_feed_lookup_at(&bf->feed, &id, now, NULL, NULL, NULL);
}

bool bench_ident_clear(const struct bench_feed *bf, const struct bench_ident *from, uint64_t now,
		       unsigned salt, bool unlisted, struct bench_ident *out)
{
	struct bench_ident b = *from;
	b.notice_id[0] = 0;
	b.severity = 0;
	b.expect = RC_MSG_CLEAR;
	for (int f = 0; !unlisted && f < 4; f++) {
		if (f == 0)
			snprintf(b.fwver, sizeof(b.fwver), "%u.99.99-fixed", salt);
		else if (f == 1)
			snprintf(b.fwver, sizeof(b.fwver), "0.0.%u-clear", salt);
		else if (f == 2)
			snprintf(b.fwver, sizeof(b.fwver), "r%u-clear", salt);
		else
			snprintf(b.fwver, sizeof(b.fwver), "9999.%u", salt);
		if (is_clear(bf, &b, now)) {
			*out = b;
			return true;
		}
	}
	/* every version of this model is recalled: use a model no notice names */
	snprintf(b.model, sizeof(b.model), "bench-unlisted-%u", salt);
	if (!is_clear(bf, &b, now))
		return false;
	*out = b;
	return true;
}

long bench_ident_sample(const struct bench_feed *bf, size_t n, uint64_t now, bool unlisted,
			struct bench_ident **rec, struct bench_ident **clr)
{
	uint32_t total = bf->feed.nnotices;
	*rec = *clr = NULL;
	if (!n || !total)
		return 0;
	if (n > total)
		n = total;
	struct bench_ident *r = calloc(n, sizeof(*r)), *c = calloc(n, sizeof(*c));
	if (!r || !c) {
		free(r);
		free(c);
		return -1;
	}
	size_t k = 0;
	for (size_t j = 0; j < n; j++) {
		uint32_t i = (uint32_t)((uint64_t)j * total / n);
		if (!bench_ident_recalled(bf, i, now, &r[k]))
			continue;
		if (!bench_ident_clear(bf, &r[k], now, (unsigned)j, unlisted, &c[k]))
			continue;
		k++;
	}
	*rec = r;
	*clr = c;
	return (long)k;
}

void bench_ident_label(const struct bench_ident *b, char out[static 33])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	static const uint8_t nul = 0;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)b->vendor, strlen(b->vendor));
	crypto_hash_sha256_update(&st, &nul, 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)b->model, strlen(b->model));
	crypto_hash_sha256_update(&st, &nul, 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)b->hwrev, strlen(b->hwrev));
	crypto_hash_sha256_update(&st, &nul, 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)b->fwver, strlen(b->fwver));
	crypto_hash_sha256_final(&st, h);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[32] = 0;
}
