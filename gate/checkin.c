/* Checkin mode: the gateway sends a real check-in (1200 bytes, rc_checkin_encode, marked as a
 * gateway's by extension key -1, PROTOCOL.md 13.1) for a device's identity to the configured
 * responders, and judges the answer as the agent does (PROTOCOL.md 3.4, 9.4, 12.3): from the
 * responder address and port the nonce went to, decodable, an outstanding nonce, and for a
 * recall rc_notice_check (k of n, covers THIS identity, valid with the clock's trust).
 * Anything else is counted and ignored; silence changes nothing. At most GATE_TRIES attempts
 * per check, each with a fresh nonce, rotating over the responders. With checkin-private the
 * check is PROTOCOL.md 18.4's walk instead: a private check-in naming a 12-bit prefix of the
 * (vendor, model) hash, and only for a model the bucket answer lists, its notices one at a
 * time from the responder that sent the bucket; the first that verifies and covers decides,
 * and none (or an unlisted model) is clear. Each step gets GATE_TRIES attempts. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "check.h"
#include "log.h"
#include "recall/error.h"
#include "recall/private.h"

static struct log_rate rl_in = {0, 1, 10, 0, 0};

uint64_t gate_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int gate_parse_hostport(const char *s, uint8_t *family, uint8_t addr[16], uint16_t *port)
{
	char host[64];
	const char *ps = NULL;
	size_t n = strlen(s);
	if (!n || n >= sizeof(host))
		return -1;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (e[1] && e[1] != ':'))
			return -1;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = '\0';
		ps = e[1] ? e + 2 : NULL;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon && strchr(s, ':') == colon) { /* one colon: IPv4 with a port */
			memcpy(host, s, (size_t)(colon - s));
			host[colon - s] = '\0';
			ps = colon + 1;
		} else {
			memcpy(host, s, n + 1);
		}
	}
	*port = RC_PORT;
	if (ps) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(ps, &end, 10);
		if (!*ps || *end || errno || v == 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = 6;
	else
		return -1;
	return 0;
}

int gate_checkin_init(struct gate *g, char *err, size_t errlen)
{
	struct gate_check *c = g->check;
	if (!g->cfg.nresponder) {
		snprintf(err, errlen, "check-mode checkin needs at least one responder");
		return -1;
	}
	for (uint32_t i = 0; i < g->cfg.nresponder && i < 4; i++) {
		if (gate_parse_hostport(g->cfg.responder[i], &c->resp_family[i], c->resp_addr[i],
					&c->resp_port[i])) {
			snprintf(err, errlen, "responder %s: expected ADDR, ADDR:PORT or [V6]:PORT",
				 g->cfg.responder[i]);
			return -1;
		}
		c->nresp = i + 1;
	}
	c->priv = g->cfg.checkin_private;
	/* One dual-stack socket (IPv4 as mapped addresses); IPv4 only where IPv6 is off. */
	c->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd >= 0) {
		int off = 0;
		setsockopt(c->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	} else {
		c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (c->fd < 0) {
		snprintf(err, errlen, "check-in socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The responder's address as a sockaddr for this socket. */
static socklen_t resp_sa(const struct gate_check *c, unsigned i, struct sockaddr_storage *ss)
{
	struct sockaddr_storage probe;
	socklen_t pl = sizeof(probe);
	memset(ss, 0, sizeof(*ss));
	bool v6sock =
	    !getsockname(c->fd, (struct sockaddr *)&probe, &pl) && probe.ss_family == AF_INET6;
	if (v6sock) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->resp_port[i]);
		if (c->resp_family[i] == 4) {
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&s6->sin6_addr.s6_addr[12], c->resp_addr[i], 4);
		} else {
			memcpy(&s6->sin6_addr, c->resp_addr[i], 16);
		}
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(c->resp_port[i]);
	memcpy(&s4->sin_addr, c->resp_addr[i], 4);
	return sizeof(*s4);
}

static void pend_identity(const struct gate_pend *p, const struct gate_device *d,
			  struct rc_identity *id)
{
	*id = d->id;
	id->vendor = rc_str_c(p->s[0]);
	id->model = rc_str_c(p->s[1]);
	id->hwrev = rc_str_c(p->s[2]);
	id->fwver = rc_str_c(p->s[3]);
}

static bool same_identity(const struct gate_pend *p, const struct gate_device *d)
{
	const struct rc_str *v[4] = {&d->id.vendor, &d->id.model, &d->id.hwrev, &d->id.fwver};
	for (int i = 0; i < 4; i++)
		if (!rc_str_eq(*v[i], rc_str_c(p->s[i])))
			return false;
	return true;
}

/* The datagram of p's next attempt into dg (a fresh nonce): a check-in, or with checkin-private
 * the due step of the walk. */
static int encode(struct gate *g, struct gate_pend *p, const struct gate_device *d,
		  uint8_t dg[static RC_CHECKIN_SIZE])
{
	struct gate_check *c = g->check;
	uint8_t reason = p->tries ? RC_REASON_RETRY : RC_REASON_PERIODIC;
	uint8_t state = gate_blocked(g, d) ? RC_STATE_QUARANTINED : RC_STATE_NORMAL;
	randombytes_buf(p->nonce, RC_NONCE_LEN);
	if (c->priv) {
		uint8_t tag[RC_PRIVATE_TAG_LEN];
		uint16_t prefix;
		rc_private_hash(rc_str_c(p->s[0]), rc_str_c(p->s[1]), tag, &prefix);
		if (p->walk) {
			struct rc_notice_request q = {.index = p->pindex};
			memcpy(q.nonce, p->nonce, RC_NONCE_LEN);
			memcpy(q.tag, tag, sizeof(tag));
			q.anchor_epoch = c->anchors.epoch;
			c->st.notice_requests++;
			return rc_notice_request_encode(&q, dg);
		}
		struct rc_private_checkin pc = {
		    .reason = reason, .state = state, .prefix = prefix, .page = p->page};
		memcpy(pc.nonce, p->nonce, RC_NONCE_LEN);
		pc.anchor_epoch = c->anchors.epoch;
		return rc_private_checkin_encode(&pc, dg);
	}
	struct rc_checkin ci;
	memset(&ci, 0, sizeof(ci));
	memcpy(ci.nonce, p->nonce, RC_NONCE_LEN);
	ci.reason = reason;
	ci.state = state;
	ci.anchor_epoch = c->anchors.epoch;
	ci.sender = RC_SENDER_GATEWAY;
	pend_identity(p, d, &ci.id);
	return rc_checkin_encode(&ci, dg);
}

static void attempt(struct gate *g, struct gate_pend *p, const struct gate_device *d)
{
	struct gate_check *c = g->check;
	uint8_t dg[RC_CHECKIN_SIZE];
	int e = encode(g, p, d, dg);
	p->tries++;
	p->waiting = true;
	p->due_ms = gate_mono_ms() + GATE_TIMEOUT_MS;
	struct sockaddr_storage ss;
	socklen_t sl = resp_sa(c, p->resp, &ss);
	if (e != RC_OK ||
	    sendto(c->fd, dg, sizeof(dg), 0, (struct sockaddr *)&ss, sl) != (ssize_t)sizeof(dg)) {
		c->st.send_errors++;
		log_warnx_rl(&rl_in, "check-in to %s: %s", g->cfg.responder[p->resp],
			     strerror(errno));
		return;
	}
	c->st.checkins++;
}

void gate_checkin_send(struct gate *g, struct gate_device *d)
{
	struct gate_check *c = g->check;
	struct gate_pend *p = NULL, *free_slot = NULL;
	for (size_t i = 0; i < GATE_PEND_MAX; i++) {
		if (c->pend[i].used && !memcmp(c->pend[i].mac, d->mac, 6))
			p = &c->pend[i];
		else if (!c->pend[i].used && !free_slot)
			free_slot = &c->pend[i];
	}
	if (!p && !free_slot) {
		log_warnx_rl(&rl_in, "%d check-ins outstanding: device checked at the next round",
			     GATE_PEND_MAX);
		return;
	}
	if (!p) {
		p = free_slot;
		memset(p, 0, sizeof(*p));
		p->used = true;
		memcpy(p->mac, d->mac, 6);
	}
	const struct rc_str *v[4] = {&d->id.vendor, &d->id.model, &d->id.hwrev, &d->id.fwver};
	for (int i = 0; i < 4; i++)
		snprintf(p->s[i], sizeof(p->s[i]), "%.*s", (int)v[i]->n, v[i]->p ? v[i]->p : "");
	p->tries = 0;
	p->rotations = 0;
	p->walk = false;
	p->page = 0;
	attempt(g, p, d);
}

void gate_checkin_tick(struct gate *g, uint64_t mono_ms)
{
	struct gate_check *c = g->check;
	for (size_t i = 0; i < GATE_PEND_MAX; i++) {
		struct gate_pend *p = &c->pend[i];
		if (!p->used || mono_ms < p->due_ms)
			continue;
		struct gate_device *d = gate_inv_find(g->inv, p->mac);
		if (!d || !same_identity(p, d)) {
			p->used = false; /* gone or changed: its own check follows */
			continue;
		}
		if (p->waiting) {
			c->st.timeouts++;
			if (p->tries >= GATE_TRIES) {
				c->st.giveups++;
				p->used = false; /* silence changes nothing */
				continue;
			}
			if (!p->walk && p->page == 0) /* a walk stays with its bucket's sender */
				p->resp = (uint8_t)((p->resp + 1) % c->nresp);
		}
		attempt(g, p, d);
	}
}

static void to_src(const struct sockaddr_storage *ss, uint8_t *fam, uint8_t a[16], uint16_t *port)
{
	memset(a, 0, 16);
	*fam = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		*fam = 4;
		memcpy(a, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*fam = 4;
			memcpy(a, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			*fam = 6;
			memcpy(a, &s6->sin6_addr, 16);
		}
	}
}

static void hold(struct gate_check *c, const struct rc_notice *n, const uint8_t *b, size_t len)
{
	struct gate_held *h = NULL;
	for (size_t i = 0; i < GATE_HELD_MAX && !h; i++)
		if (c->held[i].len && rc_str_eq(rc_str_c(c->held[i].id), n->id))
			h = &c->held[i];
	if (!h) {
		h = &c->held[c->held_next];
		c->held_next = (c->held_next + 1) % GATE_HELD_MAX;
	}
	snprintf(h->id, sizeof(h->id), "%.*s", (int)n->id.n, n->id.p);
	memcpy(h->b, b, len);
	h->len = (uint16_t)len;
}

int gate_checkin_notice(struct gate_check *c, const char *id, struct rc_notice *out)
{
	for (size_t i = 0; i < GATE_HELD_MAX; i++) {
		struct rc_cose_sign m;
		if (c->held[i].len && !strcmp(c->held[i].id, id) &&
		    !rc_cose_decode(&m, c->held[i].b, c->held[i].len, NULL) &&
		    !rc_notice_decode(out, m.payload, m.payload_len, NULL))
			return 0;
	}
	return -1;
}

/* A recalled answer for p's device: 0 if it passes every check of 9.4, else the error, counted
 * unless it is a walk's notice for another build of the model (the walk goes on). */
static int judge_recall(struct gate *g, struct gate_pend *p, struct gate_device *d,
			const struct rc_answer *a, struct rc_notice *n)
{
	struct gate_check *c = g->check;
	struct rc_identity id;
	struct rc_verdict v;
	struct rc_diag dg = {0, NULL};
	uint64_t judge;
	bool trusted = gate_check_trusted(c, g->now, &judge);
	pend_identity(p, d, &id);
	int e = rc_notice_check(n, a->blob, a->blob_len, &c->anchors, &id, judge, trusted, &v, &dg);
	if ((!e || e == RC_ERR_NOTCOVERED || e == RC_ERR_EXPIRED) && n->issued > c->floor)
		c->floor = n->issued; /* k authorities said it was signed then */
	if (!e && !trusted && n->expiry <= judge)
		e = RC_ERR_EXPIRED;
	if (!e || (e == RC_ERR_NOTCOVERED && p->walk))
		return e;
	c->st.rx_invalid++;
	if (e == RC_ERR_THRESHOLD)
		c->st.rx_threshold++;
	else if (e == RC_ERR_NOTCOVERED)
		c->st.rx_notcovered++;
	else if (e == RC_ERR_EXPIRED)
		c->st.rx_expired++;
	log_warnx_rl(&rl_in, "recalled answer for %s/%s discarded: %s (%s)", p->s[0], p->s[1],
		     rc_strerror(e), dg.field ? dg.field : "notice");
	return e;
}

/* The check waiting for the answer with nonce from fam/addr/port, and its device (which still
 * has the identity checked); NULL (counted) if there is none. */
static struct gate_pend *find_pend(struct gate *g, const uint8_t nonce[RC_NONCE_LEN], uint8_t fam,
				   const uint8_t addr[16], uint16_t port, struct gate_device **dp)
{
	struct gate_check *c = g->check;
	struct gate_pend *p = NULL;
	for (size_t i = 0; i < GATE_PEND_MAX && !p; i++)
		if (c->pend[i].used && c->pend[i].waiting &&
		    !sodium_memcmp(c->pend[i].nonce, nonce, RC_NONCE_LEN))
			p = &c->pend[i];
	if (!p) {
		c->st.rx_nonce++;
		return NULL;
	}
	unsigned r = p->resp;
	if (fam != c->resp_family[r] || port != c->resp_port[r] ||
	    memcmp(addr, c->resp_addr[r], fam == 4 ? 4 : 16)) {
		c->st.rx_source++; /* not where this nonce went: spoofed or confused */
		return NULL;
	}
	struct gate_device *d = gate_inv_find(g->inv, p->mac);
	if (!d || !same_identity(p, d)) {
		p->used = false;
		return NULL;
	}
	*dp = d;
	return p;
}

/* The next step of a walk, with its own attempts. */
static void step(struct gate *g, struct gate_pend *p, struct gate_device *d)
{
	p->tries = 0;
	attempt(g, p, d);
}

/* A bucket answer to a private check-in (PROTOCOL.md 18.4): unsigned, like clear, so it can
 * only lead to clear or to notice requests. */
static void on_bucket(struct gate *g, const uint8_t *buf, size_t len, uint8_t fam,
		      const uint8_t addr[16], uint16_t port)
{
	struct gate_check *c = g->check;
	struct rc_bucket b;
	struct gate_device *d = NULL;
	if (rc_bucket_decode(&b, buf, len, NULL) != RC_OK) {
		c->st.rx_garbage++;
		return;
	}
	struct gate_pend *p = find_pend(g, b.nonce, fam, addr, port, &d);
	if (!p)
		return;
	if (p->walk) { /* a notice request is not answered by a bucket */
		c->st.rx_invalid++;
		return;
	}
	c->st.answers++;
	c->st.buckets++;
	uint8_t tag[RC_PRIVATE_TAG_LEN];
	uint16_t prefix;
	rc_private_hash(rc_str_c(p->s[0]), rc_str_c(p->s[1]), tag, &prefix);
	unsigned n = rc_bucket_find(&b, tag);
	if (!n && p->page + 1u >= b.pages) {
		p->used = false;
		gate_check_result(g, d, GATE_ST_CLEAR, NULL);
		return;
	}
	if (!n) {
		p->page++;
	} else {
		p->walk = true;
		p->pindex = 0;
		p->pcount = (uint16_t)n;
	}
	step(g, p, d);
}

void gate_checkin_answer(struct gate *g, const uint8_t *buf, size_t len, uint8_t fam,
			 const uint8_t addr[16], uint16_t port)
{
	struct gate_check *c = g->check;
	struct rc_answer a;
	if (c->priv && len <= RC_CHECKIN_SIZE && rc_msg_peek_type(buf, len) == RC_MSG_BUCKET) {
		on_bucket(g, buf, len, fam, addr, port);
		return;
	}
	if (len > RC_CHECKIN_SIZE || rc_answer_decode(&a, buf, len, NULL) != RC_OK) {
		c->st.rx_garbage++;
		return;
	}
	struct gate_device *d = NULL;
	struct gate_pend *p = find_pend(g, a.nonce, fam, addr, port, &d);
	if (!p)
		return;
	unsigned r = p->resp;
	/* Private: clear and recalled answer only a notice request, never a private check-in. */
	if (c->priv && !p->walk && (a.type == RC_MSG_CLEAR || a.type == RC_MSG_RECALLED)) {
		c->st.rx_invalid++;
		return;
	}
	struct rc_notice n;
	int e;
	switch (a.type) {
	case RC_MSG_CLEAR:
		c->st.answers++;
		p->used = false;
		gate_check_result(g, d, GATE_ST_CLEAR, NULL);
		break;
	case RC_MSG_RECALLED:
		e = judge_recall(g, p, d, &a, &n);
		if (e == RC_ERR_NOTCOVERED && p->walk) { /* authentic, another build: next */
			if (p->pindex + 1u < p->pcount) {
				p->pindex++;
				step(g, p, d);
				return;
			}
			c->st.answers++;
			p->used = false;
			gate_check_result(g, d, GATE_ST_CLEAR, NULL);
			return;
		}
		if (e)
			return; /* the check-in stays outstanding until its timeout */
		c->st.answers++;
		c->st.recalled++;
		p->used = false;
		hold(c, &n, a.blob, a.blob_len);
		gate_check_result(g, d, GATE_ST_RECALLED, &n);
		break;
	case RC_MSG_RETRY: {
		uint32_t s = a.delay < GATE_LATER_MIN_S   ? GATE_LATER_MIN_S
			     : a.delay > GATE_LATER_MAX_S ? GATE_LATER_MAX_S
							  : a.delay;
		c->st.answers++;
		p->waiting = false;
		p->walk = false; /* a walk starts again at page 0: the feed may change meanwhile */
		p->page = 0;
		p->due_ms = gate_mono_ms() + (uint64_t)s * 1000;
		break;
	}
	case RC_MSG_ROTATE: {
		struct rc_anchors next = c->anchors;
		if (p->rotations >= GATE_ROTATIONS ||
		    rc_anchors_rotate(&next, a.blob, a.blob_len, NULL) != RC_OK) {
			c->st.rx_invalid++;
			return;
		}
		c->anchors = next; /* in memory: the anchors file is the operator's to update */
		c->st.rotations++;
		log_info("trust anchors rotated to epoch %llu (update %s)",
			 (unsigned long long)next.epoch, g->cfg.anchors);
		p->rotations++;
		p->tries = 0;
		p->walk = false;
		p->page = 0;
		attempt(g, p, d);
		break;
	}
	default: /* unsupported: nothing to learn; the device stays as it was */
		c->st.answers++;
		p->used = false;
		log_warnx_rl(&rl_in, "responder %s: protocol version unsupported",
			     g->cfg.responder[r]);
		break;
	}
}

void gate_check_input(struct gate *g)
{
	struct gate_check *c = g->check;
	uint8_t buf[RC_CHECKIN_SIZE + 1];
	if (!c || c->fd < 0)
		return;
	for (int i = 0; i < 64; i++) { /* bounded per call; the poll loop comes back */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(c->fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
		if (n < 0)
			break;
		uint8_t fam, addr[16];
		uint16_t port = 0;
		to_src(&ss, &fam, addr, &port);
		gate_checkin_answer(g, buf, (size_t)n, fam, addr, port);
	}
}
