/* The private-mode test catalogue (privcat.h). */
#include "privcat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char names[PRIVCAT_NAMES][24];
static char ids[PRIVCAT_NOTICES][24];
static uint8_t signed_buf[PRIVCAT_NOTICES][RC_NOTICE_MAX];
static const uint8_t *sp[PRIVCAT_NOTICES];
static size_t sl[PRIVCAT_NOTICES];

struct spec {
	const char *vendor, *model, *exact, *lo, *hi;
	uint8_t action;
	uint64_t not_before, expiry;
};

static int add(struct privcat *c, const struct spec *s, const struct fx_key *keys, size_t nsig,
	       uint64_t now)
{
	size_t i = c->nnotices;
	struct rc_notice n;
	fx_notice(&n, now);
	snprintf(ids[i], sizeof(ids[i]), "N-%zu", i);
	n.id = rc_str_c(ids[i]);
	n.target.vendor = rc_str_c(s->vendor);
	n.target.model = rc_str_c(s->model);
	n.target.nhwrevs = 0;
	n.target.nversions = 0;
	n.target.nranges = 0;
	if (s->exact) {
		n.target.nversions = 1;
		n.target.versions[0] = rc_str_c(s->exact);
	} else {
		n.target.nranges = 1;
		n.target.ranges[0] =
		    (struct rc_range){RC_VS_GENERIC,
				      {s->lo ? rc_str_c(s->lo) : (struct rc_str){0}, true},
				      {s->hi ? rc_str_c(s->hi) : (struct rc_str){0}, false}};
	}
	n.action = s->action;
	n.severity = s->action == RC_ACTION_QUARANTINE ? RC_SEV_HIGH : RC_SEV_LOW;
	n.issued = now - 2000;
	n.not_before = s->not_before;
	n.expiry = s->expiry;
	int err = fx_signed_notice(signed_buf[i], RC_NOTICE_MAX, &sl[i], &n, keys, nsig);
	sp[i] = signed_buf[i];
	c->nnotices++;
	return err;
}

static const char *vendor_of(int m)
{
	return m < PRIVCAT_MODELS && m % 3 == 0 ? "tp-link" : "acme";
}

int privcat_build(struct privcat *c, const struct fx_key *keys, size_t nsig, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	int err = RC_OK;
	const uint64_t valid = now - 1000, end = now + 1000;
	for (int m = 0; m < PRIVCAT_MODELS && !err; m++) {
		snprintf(names[m], sizeof(names[m]), "m%d", m);
		const char *v = vendor_of(m);
		struct spec s = {v, names[m], "1.0", NULL, NULL, RC_ACTION_QUARANTINE, valid, end};
		err = add(c, &s, keys, nsig, now);
		s = (struct spec){v, names[m], NULL, "1.0", "2.0", RC_ACTION_NOTIFY, valid, end};
		if (!err)
			err = add(c, &s, keys, nsig, now);
		s = (struct spec){v,         names[m], NULL, "3.0", NULL, RC_ACTION_QUARANTINE,
				  now + 100, end};
		if (!err && m % 2 == 0) /* not yet valid */
			err = add(c, &s, keys, nsig, now);
		s = (struct spec){v,     names[m], "2.5", NULL, NULL, RC_ACTION_QUARANTINE,
				  valid, now - 1};
		if (!err && m % 3 == 0) /* expired */
			err = add(c, &s, keys, nsig, now);
	}
	/* PRIVCAT_PAGED models under the prefix of m0's, and one more under it without notice. */
	uint8_t tag[RC_PRIVATE_TAG_LEN];
	uint16_t p;
	rc_private_hash(rc_str_c("tp-link"), rc_str_c("m0"), tag, &c->paged_prefix);
	int found = 0;
	for (int k = 0; !err && found < PRIVCAT_PAGED + 1 && k < 2000000; k++) {
		char *name = names[PRIVCAT_MODELS + found];
		snprintf(name, sizeof(names[0]), "pg-%d", k);
		rc_private_hash(rc_str_c("acme"), rc_str_c(name), tag, &p);
		if (p != c->paged_prefix)
			continue;
		struct spec s = {"acme", name, "1.0", NULL, NULL, RC_ACTION_QUARANTINE, valid, end};
		if (found < PRIVCAT_PAGED)
			err = add(c, &s, keys, nsig, now);
		found++;
	}
	if (!err && found != PRIVCAT_PAGED + 1)
		err = RC_ERR_MISSING;
	snprintf(names[PRIVCAT_NAMES - 1], sizeof(names[0]), "none");
	c->next_change = now + 100;
	if (err)
		return err;
	struct rc_feed_meta meta = {
	    .serial = PRIVCAT_SERIAL, .issued = now - 10, .expiry = now + 5000};
	size_t blen, bad;
	err = rc_feed_build(&c->feed_buf, &blen, &meta, sp, sl, c->nnotices, keys[0].sk, &bad);
	if (!err)
		err = rc_feed_open(&c->feed, c->feed_buf, blen, keys[0].pk, NULL);
	return err;
}

void privcat_free(struct privcat *c)
{
	free(c->feed_buf);
	c->feed_buf = NULL;
}

void privcat_identity(size_t i, struct rc_identity *id)
{
	static const char *const versions[PRIVCAT_VERSIONS] = {"0.9", "1.0", "1.5", "2.0",
							       "2.5", "3.0", "9"};
	int m = (int)(i / PRIVCAT_VERSIONS);
	fx_identity(id);
	id->vendor = rc_str_c(vendor_of(m));
	id->model = rc_str_c(names[m]);
	id->fwver = rc_str_c(versions[i % PRIVCAT_VERSIONS]);
}
