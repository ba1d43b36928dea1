/* The recall check on a device's behalf. Feed mode (the default): a feed held on the gateway,
 * opened and verified exactly as recalld does (feed key signature, fresh, made for these
 * anchors, every notice k-of-n), then looked up per device as the agent judges a notice
 * (rc_notice_check: signatures, coverage, validity with the clock's trust). Nothing leaves the
 * home, so the ISP learns nothing per device; and only the notice list can say "possibly
 * affected" for a device known by model alone. Checkin mode: checkin.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "pubkey.h"
#include "recall/error.h"

static struct log_rate rl_check = {0, 1, 10, 0, 0};

static int errf(char *err, size_t errlen, const char *fmt, ...) RC_PRINTF(3, 4);
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read a whole regular file of at most max bytes into a malloc'ed buffer. */
static int read_file(const char *path, size_t max, uint8_t **out, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || (uint64_t)st->st_size > max) {
		int e = S_ISREG(st->st_mode) ? EFBIG : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	size_t n = (size_t)st->st_size, got = 0;
	uint8_t *b = malloc(n ? n : 1);
	while (b && got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			free(b);
			b = NULL;
			errno = r ? errno : EIO;
		} else {
			got += (size_t)r;
		}
	}
	close(fd);
	if (!b)
		return -1;
	*out = b;
	*len = n;
	return 0;
}

static int load_anchors(struct gate_check *c, const char *path, char *err, size_t errlen)
{
	uint8_t *b;
	size_t n;
	struct stat st;
	struct rc_diag d = {0, NULL};
	if (read_file(path, 4096, &b, &n, &st))
		return errf(err, errlen, "anchors %s: %s", path, strerror(errno));
	int e = rc_anchors_decode(&c->anchors, b, n, &d);
	free(b);
	if (e)
		return errf(err, errlen, "anchors %s: %s at byte %zu (%s)", path, rc_strerror(e),
			    d.off, d.field ? d.field : "anchors");
	return 0;
}

/* Load and verify the feed (recalld's rules, responder/state.c); keep the old one on error. */
static int load_feed(struct gate *g, char *err, size_t errlen)
{
	struct gate_check *c = g->check;
	const char *path = g->cfg.feed;
	uint8_t *b;
	size_t n, bad = 0;
	struct stat st;
	struct rc_feed f;
	struct rc_diag d = {0, NULL};
	uint8_t aid[RC_KID_LEN];
	if (read_file(path, GATE_FEED_MAX, &b, &n, &st))
		return errf(err, errlen, "feed %s: %s", path, strerror(errno));
	int e = rc_feed_open(&f, b, n, c->feed_pk, &d);
	if (e) {
		errf(err, errlen, "feed %s: %s at byte %zu (%s)", path, rc_strerror(e), d.off,
		     d.field ? d.field : "feed");
	} else if (rc_feed_check_time(&f, g->now) != RC_OK) {
		e = RC_ERR_EXPIRED;
		errf(err, errlen, "feed %s: serial %llu expired at %llu", path,
		     (unsigned long long)f.meta.serial, (unsigned long long)f.meta.expiry);
	} else if (rc_anchors_id(&c->anchors, aid) != RC_OK ||
		   memcmp(aid, f.meta.anchors_id, RC_KID_LEN)) {
		e = RC_ERR_INVALID;
		errf(err, errlen, "feed %s: made for other trust anchors than %s", path,
		     g->cfg.anchors);
	} else if (c->have_feed && (f.meta.serial < c->feed.meta.serial ||
				    (f.meta.serial == c->feed.meta.serial &&
				     (n != c->len || memcmp(b, c->buf, n))))) {
		e = RC_ERR_INVALID;
		errf(err, errlen, "feed %s: serial %llu is not above the serial %llu held", path,
		     (unsigned long long)f.meta.serial, (unsigned long long)c->feed.meta.serial);
	} else if ((e = rc_feed_verify_notices(&f, &c->anchors, &bad))) {
		errf(err, errlen, "feed %s: notice %zu: %s", path, bad, rc_strerror(e));
	}
	c->st_ino = (uint64_t)st.st_ino;
	c->st_size = (uint64_t)st.st_size;
	c->st_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	if (e) {
		free(b);
		c->st.feed_rejected++;
		return -1;
	}
	free(c->buf);
	c->buf = b;
	c->len = n;
	c->feed = f;
	c->have_feed = true;
	if (f.meta.issued > c->floor)
		c->floor = f.meta.issued; /* signed by the feed key: the true time is past it */
	c->st.feed_loads++;
	return 0;
}

int gate_check_init(struct gate *g, char *err, size_t errlen)
{
	struct gate_check *c = calloc(1, sizeof(*c));
	if (!c)
		return errf(err, errlen, "out of memory");
	c->fd = -1;
	c->clock = -1;
	g->check = c;
	c->checkin = !strcmp(g->cfg.check_mode, "checkin");
	if (!c->checkin && g->cfg.check_mode[0] && strcmp(g->cfg.check_mode, "feed"))
		return errf(err, errlen, "check-mode %s: expected feed or checkin",
			    g->cfg.check_mode);
	if (!g->cfg.anchors[0])
		return errf(err, errlen, "anchors: not configured (needed to verify notices)");
	if (load_anchors(c, g->cfg.anchors, err, errlen))
		return -1;
	if (c->checkin)
		return gate_checkin_init(g, err, errlen);
	if (!g->cfg.feed[0] || !g->cfg.feed_key[0])
		return errf(err, errlen, "check-mode feed needs feed and feed-key");
	if (g->pub) { /* the feed recall-gate-pub built; feed-key checked its publication */
		memcpy(c->feed_pk, g->pub_pk, sizeof(c->feed_pk));
		char e2[256];
		if (load_feed(g, e2, sizeof(e2)))
			log_info(
			    "%s; devices stay unchecked until the first publication is fetched",
			    e2);
		return 0;
	}
	uint8_t *b;
	size_t n;
	struct stat st;
	if (read_file(g->cfg.feed_key, 4096, &b, &n, &st))
		return errf(err, errlen, "feed-key %s: %s", g->cfg.feed_key, strerror(errno));
	const char *why = rc_pubkey_parse(b, n, c->feed_pk);
	free(b);
	if (why)
		return errf(err, errlen, "feed-key %s: line 1: %s", g->cfg.feed_key, why);
	/* A missing or bad feed is not fatal: devices stay unchecked until a good one appears. */
	char e2[256];
	if (load_feed(g, e2, sizeof(e2)))
		log_warnx("%s; devices stay unchecked until a valid feed is there", e2);
	return 0;
}

void gate_check_free(struct gate *g)
{
	struct gate_check *c = g->check;
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
	g->check = NULL;
}

void gate_check_clock(struct gate *g, int trusted)
{
	if (g->check)
		g->check->clock = trusted;
}

bool gate_check_trusted(struct gate_check *c, uint64_t now, uint64_t *judge)
{
	bool t;
	if (c->clock >= 0) {
		t = c->clock == 1;
	} else {
		struct timex tx = {0};
		t = adjtimex(&tx) >= 0 && !(tx.status & STA_UNSYNC);
	}
	/* A reading below the floor is never trusted (PROTOCOL.md 9.4). */
	if (now < c->floor)
		t = false;
	if (t)
		c->floor = now;
	*judge = t ? now : c->floor;
	return t;
}

bool gate_build_level(const struct gate_device *d)
{
	return d->conf >= GATE_CONF_DESCRIBED && d->id.fwver.n > 0 &&
	       rc_identity_check(&d->id) == RC_OK;
}

bool gate_agent_quarantined(const struct gate_device *d)
{
	const struct gate_val *v = &d->f[GF_AGENT_STATE];
	return v->src == GS_AGENT && !strcmp(v->v, "quarantined");
}

/* Feed mode, build-level identity: the first covering notice valid at the judged time. */
static enum gate_state feed_build(struct gate *g, const struct rc_identity *id, struct rc_notice *n)
{
	struct gate_check *c = g->check;
	uint64_t judge;
	bool trusted = gate_check_trusted(c, g->now, &judge);
	const uint8_t *p;
	size_t len;
	if (trusted && rc_feed_check_time(&c->feed, g->now) != RC_OK)
		return GATE_ST_UNCHECKED; /* never "clear" from an expired feed */
	/* Untrusted clock: valid at the time floor (fail open for a not-before still ahead). */
	if (!rc_feed_lookup_at(&c->feed, id, judge, &p, &len, NULL))
		return GATE_ST_CLEAR;
	struct rc_diag d = {0, NULL};
	int e = rc_notice_check(n, p, len, &c->anchors, id, judge, trusted, NULL, &d);
	if (!e && !trusted && n->expiry <= judge)
		e = RC_ERR_EXPIRED; /* the true time is at least the floor */
	if (e) {
		log_warnx_rl(&rl_check, "feed notice for %.*s/%.*s: %s (%s)", (int)id->vendor.n,
			     id->vendor.p, (int)id->model.n, id->model.p, rc_strerror(e),
			     d.field ? d.field : "notice");
		return GATE_ST_CLEAR;
	}
	return GATE_ST_RECALLED;
}

/* Feed mode, model-only identity: any verified notice for vendor + model, valid at the judged
 * time (the feed's notices were all verified k-of-n when it was loaded). */
static enum gate_state feed_model(struct gate *g, const struct rc_identity *id, struct rc_notice *n)
{
	struct gate_check *c = g->check;
	uint64_t judge;
	bool trusted = gate_check_trusted(c, g->now, &judge);
	uint32_t pos = 0;
	if (trusted && rc_feed_check_time(&c->feed, g->now) != RC_OK)
		return GATE_ST_UNCHECKED;
	while (rc_feed_next_model(&c->feed, id->vendor, id->model, &pos, NULL, NULL, n)) {
		if (trusted ? (n->not_before <= judge && judge < n->expiry) : judge < n->expiry)
			return GATE_ST_POSSIBLE;
	}
	return GATE_ST_CLEAR;
}

enum gate_policy gate_policy_of(const struct gate *g, const struct gate_device *d)
{
	if (d->policy != GATE_POL_ENFORCE)
		return d->policy;
	return g->cfg.default_policy <= GATE_POL_ALLOW ? (enum gate_policy)g->cfg.default_policy
						       : GATE_POL_ENFORCE;
}

void gate_check_result(struct gate *g, struct gate_device *d, enum gate_state st,
		       const struct rc_notice *n)
{
	enum gate_state old = d->state;
	d->checked = g->now;
	/* The device's own agent reports quarantine: that stands whatever the list says. */
	if (gate_agent_quarantined(d)) {
		st = GATE_ST_AGENT_QUAR;
		n = NULL;
		snprintf(d->notice_id, sizeof(d->notice_id), "%.*s", RC_NOTICE_ID_MAX,
			 d->f[GF_AGENT_NOTICE].v);
	} else if (old == GATE_ST_QUARANTINED && !d->notice_id[0]) {
		return; /* the owner's own quarantine: only the owner releases it */
	} else if (st == GATE_ST_RECALLED && n->action == RC_ACTION_QUARANTINE &&
		   gate_policy_of(g, d) == GATE_POL_ENFORCE && gate_build_level(d)) {
		st = GATE_ST_QUARANTINED;
	}
	if (n && (st == GATE_ST_RECALLED || st == GATE_ST_QUARANTINED || st == GATE_ST_POSSIBLE))
		snprintf(d->notice_id, sizeof(d->notice_id), "%.*s", (int)n->id.n, n->id.p);
	else if (st != GATE_ST_AGENT_QUAR)
		d->notice_id[0] = '\0';
	d->state = st;
	if (st != old)
		log_info("device %02x:%02x:%02x:%02x:%02x:%02x: %s -> %s%s%s", d->mac[0], d->mac[1],
			 d->mac[2], d->mac[3], d->mac[4], d->mac[5], gate_state_name(old),
			 gate_state_name(st), d->notice_id[0] ? ", notice " : "", d->notice_id);
	if (gate_enforce_apply(g, d))
		log_warnx_rl(&rl_check, "device enforcement not applied (see above)");
}

void gate_check_device(struct gate *g, struct gate_device *d)
{
	struct gate_check *c = g->check;
	struct rc_notice n;
	if (!c || !d)
		return;
	c->st.checks++;
	if (gate_agent_quarantined(d)) {
		gate_check_result(g, d, GATE_ST_AGENT_QUAR, NULL);
		return;
	}
	/* The agent no longer reports quarantine: lift it now, whatever the check says later. */
	if (d->state == GATE_ST_AGENT_QUAR)
		gate_check_result(g, d, GATE_ST_UNCHECKED, NULL);
	bool build = gate_build_level(d);
	bool model = !build && d->conf >= GATE_CONF_MODEL && d->id.vendor.n && d->id.model.n &&
		     rc_name_valid(d->id.vendor, RC_NAME_MAX, false) &&
		     rc_name_valid(d->id.model, RC_NAME_MAX, false);
	if (c->checkin) {
		if (build) {
			gate_checkin_send(g, d); /* the answer decides (gate_check_input) */
			return;
		}
		/* No notice list here: "possibly affected" cannot be judged. */
		gate_check_result(g, d, GATE_ST_UNCHECKED, NULL);
		return;
	}
	enum gate_state st = GATE_ST_UNCHECKED;
	if (c->have_feed && build)
		st = feed_build(g, &d->id, &n);
	else if (c->have_feed && model)
		st = feed_model(g, &d->id, &n);
	if (st == GATE_ST_RECALLED)
		c->st.recalled++;
	if (st == GATE_ST_POSSIBLE)
		c->st.possible++;
	gate_check_result(g, d, st, &n);
}

static void recheck_all(struct gate *g)
{
	for (size_t i = 0; g->inv && i < gate_inv_count(g->inv); i++)
		gate_check_device(g, gate_inv_at(g->inv, i));
}

void gate_check_tick(struct gate *g)
{
	struct gate_check *c = g->check;
	if (!c)
		return;
	if (g->now >= c->last_verify + GATE_VERIFY_S) {
		c->last_verify = g->now;
		gate_enforce_verify(g);
	}
	if (c->checkin) {
		gate_checkin_tick(g, gate_mono_ms());
		return;
	}
	if (g->now == c->last_stat)
		return;
	c->last_stat = g->now;
	struct stat st;
	if (stat(g->cfg.feed, &st))
		return;
	uint64_t mt = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	if ((uint64_t)st.st_ino == c->st_ino && (uint64_t)st.st_size == c->st_size &&
	    mt == c->st_mtime_ns)
		return;
	char err[256];
	if (load_feed(g, err, sizeof(err))) {
		log_warnx("%s; keeping %s", err, c->have_feed ? "the previous feed" : "no feed");
		return;
	}
	log_info("feed %s: serial %llu loaded, %u notices", g->cfg.feed,
		 (unsigned long long)c->feed.meta.serial, c->feed.nnotices);
	recheck_all(g);
}

int gate_check_fd(const struct gate *g)
{
	return g->check ? g->check->fd : -1;
}

int gate_notice_get(struct gate *g, const char *id, struct rc_notice *out)
{
	struct gate_check *c = g->check;
	if (!c || !id || !id[0])
		return -1;
	if (c->checkin)
		return gate_checkin_notice(c, id, out);
	if (!c->have_feed)
		return -1;
	size_t idn = strlen(id);
	for (uint32_t i = 0; i < c->feed.nnotices; i++) {
		const uint8_t *p;
		size_t len;
		struct rc_cose_sign m;
		if (rc_feed_notice(&c->feed, i, &p, &len) || rc_cose_decode(&m, p, len, NULL) ||
		    rc_notice_decode(out, m.payload, m.payload_len, NULL))
			continue;
		if (out->id.n == idn && !memcmp(out->id.p, id, idn))
			return 0;
	}
	return -1;
}
