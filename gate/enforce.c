/* Enforcement with nftables (libnftables, run in recall-gate-nft: gate/nft.c): the daemon owns
 * one table, inet recall_gate, with a forward chain hooked before the distribution's filter
 * (priority filter - 10). A packet from the LAN interface whose source MAC, IPv4 or IPv6
 * address belongs to a blocked device may go only back to the LAN (routed LANs), to the
 * check-in addresses and to the remedy addresses; the rest is dropped and counted. The gateway's
 * own DHCP/DNS are in the input path, untouched; replies to the device are not from it, untouched.
 * Every change rewrites the sets in ONE transaction, and the blocked devices are persisted
 * atomically (state_dir/enforce.json) and installed again by gate_enforce_init at start, before the
 * daemon reports ready. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "log.h"

#define REM_MAX    16 /* remedy prefixes per blocked device (notice endpoints + URL host) */
#define SCRIPT_MAX GATE_NFT_SCRIPT_MAX

struct gate_q {
	uint8_t mac[6];
	uint8_t naddr, nrem;
	struct gate_addr addr[GATE_ADDRS_MAX];
	struct rc_endpoint rem[REM_MAX];
	char notice[RC_NOTICE_ID_MAX + 1];
};

struct gate_nft {
	size_t n;
	struct gate_q q[GATE_DEVICES_MAX];
	char *script;
};

static void put(char *out, size_t cap, size_t *o, const char *fmt, ...) RC_PRINTF(4, 5);
static void put(char *out, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*o < cap ? out + *o : NULL, *o < cap ? cap - *o : 0, fmt, ap);
	va_end(ap);
	*o += n > 0 ? (size_t)n : 0;
}

static void put_prefix(char *out, size_t cap, size_t *o, uint8_t fam, const uint8_t *a,
		       unsigned plen)
{
	char s[INET6_ADDRSTRLEN];
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
	if (plen == (fam == 4 ? 32u : 128u))
		put(out, cap, o, "%s", s);
	else
		put(out, cap, o, "%s/%u", s, plen);
}

/* Addresses a blocked device may still reach: check-in (responders) and remedy-allow from the
 * configuration, and each blocked device's remedy prefixes (one union: a blocked device may
 * reach another recall's update server too, which gives it nothing). */
static void put_set(const struct gate *g, char *out, size_t cap, size_t *o, const char *set,
		    uint8_t fam)
{
	const struct gate_nft *t = g->nft;
	size_t nq = t ? t->n : 0, o0 = *o;
	bool first = true;
	put(out, cap, o, "add element inet recall_gate %s { ", set);
#define ITEM(F, A, P)                                                                              \
	do {                                                                                       \
		if ((F) == fam) {                                                                  \
			put(out, cap, o, first ? "" : ", ");                                       \
			put_prefix(out, cap, o, fam, (A), (P));                                    \
			first = false;                                                             \
		}                                                                                  \
	} while (0)
	if (!strncmp(set, "checkin", 7)) {
		for (uint32_t i = 0; i < g->cfg.nresponder && i < 4; i++) {
			uint8_t f, a[16];
			uint16_t port;
			if (!gate_parse_hostport(g->cfg.responder[i], &f, a, &port))
				ITEM(f, a, f == 4 ? 32u : 128u);
		}
	} else if (!strncmp(set, "allow", 5)) {
		for (uint32_t i = 0; i < g->cfg.nremedy_allow && i < 4; i++) {
			uint8_t f, a[16];
			uint16_t port;
			if (!gate_parse_hostport(g->cfg.remedy_allow[i], &f, a, &port))
				ITEM(f, a, f == 4 ? 32u : 128u);
		}
		for (size_t k = 0; k < nq; k++)
			for (size_t j = 0; j < t->q[k].nrem; j++)
				ITEM(t->q[k].rem[j].family, t->q[k].rem[j].addr,
				     t->q[k].rem[j].plen);
	} else if (!strcmp(set, "q_mac")) {
		for (size_t k = 0; k < nq; k++) {
			const uint8_t *m = t->q[k].mac;
			put(out, cap, o, "%s%02x:%02x:%02x:%02x:%02x:%02x", first ? "" : ", ", m[0],
			    m[1], m[2], m[3], m[4], m[5]);
			first = false;
		}
	} else {
		for (size_t k = 0; k < nq; k++)
			for (size_t j = 0; j < t->q[k].naddr; j++)
				ITEM(t->q[k].addr[j].family, t->q[k].addr[j].a,
				     fam == 4 ? 32u : 128u);
	}
#undef ITEM
	if (first) { /* an empty element list is a syntax error: leave the set empty */
		*o = o0;
		if (o0 < cap)
			out[o0] = '\0';
	} else
		put(out, cap, o, " }\n");
}

size_t gate_enforce_script(const struct gate *g, char *out, size_t cap)
{
	static const char *const sets[][2] = {
	    {"q_mac", "ether_addr"},   {"q4", "ipv4_addr"},     {"q6", "ipv6_addr"},
	    {"allow4", "ipv4_addr"},   {"allow6", "ipv6_addr"}, {"checkin4", "ipv4_addr"},
	    {"checkin6", "ipv6_addr"},
	};
	const char *lan = g->cfg.interface;
	size_t o = 0;
	/* Declare, delete and define in one transaction: the table is never missing. */
	put(out, cap, &o, "table inet recall_gate {}\ndelete table inet recall_gate\n");
	put(out, cap, &o, "table inet recall_gate {\n");
	for (size_t i = 0; i < 7; i++)
		put(out, cap, &o, "\tset %s { type %s;%s }\n", sets[i][0], sets[i][1],
		    i >= 3 ? " flags interval; auto-merge;" : "");
	put(out, cap, &o,
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
	    "\t\tiifname \"%s\" ether saddr @q_mac jump quarantined\n"
	    "\t\tiifname \"%s\" ip saddr @q4 jump quarantined\n"
	    "\t\tiifname \"%s\" ip6 saddr @q6 jump quarantined\n"
	    "\t}\n"
	    "\tchain quarantined {\n"
	    "\t\toifname \"%s\" accept\n"
	    "\t\tip daddr @checkin4 accept\n"
	    "\t\tip6 daddr @checkin6 accept\n"
	    "\t\tip daddr @allow4 accept\n"
	    "\t\tip6 daddr @allow6 accept\n"
	    "\t\tcounter drop\n"
	    "\t}\n}\n",
	    lan, lan, lan, lan);
	put_set(g, out, cap, &o, "q_mac", 0);
	put_set(g, out, cap, &o, "q4", 4);
	put_set(g, out, cap, &o, "q6", 6);
	put_set(g, out, cap, &o, "allow4", 4);
	put_set(g, out, cap, &o, "allow6", 6);
	put_set(g, out, cap, &o, "checkin4", 4);
	put_set(g, out, cap, &o, "checkin6", 6);
	return o;
}

static int install(struct gate *g, char *err, size_t errlen)
{
	struct gate_nft *t = g->nft;
	size_t n = gate_enforce_script(g, t->script, SCRIPT_MAX);
	if (n >= SCRIPT_MAX) {
		snprintf(err, errlen, "nftables script over %d bytes", SCRIPT_MAX);
		return -1;
	}
	return gate_nft_run(t->script, n, err, errlen);
}

/* ---- persistence: state_dir/enforce.json, written to a temporary file, synced, renamed ---- */

static json_t *q_json(const struct gate_q *q)
{
	char s[INET6_ADDRSTRLEN + 8];
	json_t *o = json_object(), *a = json_array(), *r = json_array();
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", q->mac[0], q->mac[1], q->mac[2],
		 q->mac[3], q->mac[4], q->mac[5]);
	json_object_set_new(o, "mac", json_string(s));
	for (size_t i = 0; i < q->naddr; i++) {
		inet_ntop(q->addr[i].family == 4 ? AF_INET : AF_INET6, q->addr[i].a, s, sizeof(s));
		json_array_append_new(a, json_string(s));
	}
	for (size_t i = 0; i < q->nrem; i++) {
		size_t o2 = 0;
		put_prefix(s, sizeof(s), &o2, q->rem[i].family, q->rem[i].addr, 0);
		o2 = strcspn(s, "/");
		snprintf(s + o2, sizeof(s) - o2, "/%u", q->rem[i].plen);
		json_array_append_new(r, json_string(s));
	}
	json_object_set_new(o, "addrs", a);
	json_object_set_new(o, "remedy", r);
	json_object_set_new(o, "notice", json_string(q->notice));
	return o;
}

/* Write len bytes to dir/name atomically: a temporary file, fsync, rename, fsync of dir. */
static int write_atomic(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[300], tmp[310];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	bool ok = fd >= 0 && write(fd, buf, len) == (ssize_t)len && !fsync(fd);
	if (fd >= 0)
		ok = !close(fd) && ok;
	if (!ok || rename(tmp, path)) {
		log_warn("%s", path);
		unlink(tmp);
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* enforce.json (read back at start) and enforce.nft, the script as installed, for a firewall
 * that loads it at boot before the daemon runs (OpenWrt fw4: ruleset-post include). */
static int persist(struct gate *g)
{
	struct gate_nft *t = g->nft;
	json_t *root = json_object(), *devs = json_array();
	json_object_set_new(root, "version", json_integer(1));
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(devs, q_json(&t->q[i]));
	json_object_set_new(root, "blocked", devs);
	char *s = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	int rc = s ? write_atomic(g->cfg.state_dir, "enforce.json", s, strlen(s)) : -1;
	free(s);
	if (!rc)
		rc = write_atomic(g->cfg.state_dir, "enforce.nft", t->script, strlen(t->script));
	return rc;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int parse_prefix(const char *s, struct rc_endpoint *e)
{
	char a[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	memset(e, 0, sizeof(*e));
	e->family = inet_pton(AF_INET, a, e->addr) == 1    ? 4
		    : inet_pton(AF_INET6, a, e->addr) == 1 ? 6
							   : 0;
	unsigned max = e->family == 4 ? 32 : 128;
	char *end;
	unsigned long p = slash ? strtoul(slash + 1, &end, 10) : max;
	if (!e->family || (slash && (*end || !slash[1])) || p > max)
		return -1;
	e->plen = (uint8_t)p;
	return 0;
}

/* One entry of enforce.json; -1 (and the entry skipped, logged) if anything is off. */
static int load_q(json_t *o, struct gate_q *q)
{
	json_t *a = json_object_get(o, "addrs"), *r = json_object_get(o, "remedy"), *v;
	const char *mac = json_string_value(json_object_get(o, "mac"));
	const char *nid = json_string_value(json_object_get(o, "notice"));
	size_t i;
	memset(q, 0, sizeof(*q));
	if (!mac || parse_mac(mac, q->mac) || !json_is_array(a) || !json_is_array(r) ||
	    json_array_size(a) > GATE_ADDRS_MAX || json_array_size(r) > REM_MAX)
		return -1;
	snprintf(q->notice, sizeof(q->notice), "%s", nid ? nid : "");
	json_array_foreach(a, i, v)
	{
		struct rc_endpoint e;
		const char *s = json_string_value(v);
		if (!s || strchr(s, '/') || parse_prefix(s, &e))
			return -1;
		q->addr[q->naddr].family = e.family;
		memcpy(q->addr[q->naddr++].a, e.addr, 16);
	}
	json_array_foreach(r, i, v)
	{
		const char *s = json_string_value(v);
		if (!s || parse_prefix(s, &q->rem[q->nrem++]))
			return -1;
	}
	return 0;
}

static void load(struct gate *g)
{
	struct gate_nft *t = g->nft;
	char path[300];
	json_error_t je;
	snprintf(path, sizeof(path), "%s/enforce.json", g->cfg.state_dir);
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (access(path, F_OK) == 0)
			log_warnx("%s: line %d: %s (blocked devices are set again by their checks)",
				  path, je.line, je.text);
		return;
	}
	json_t *devs = json_object_get(root, "blocked"), *v;
	size_t i;
	json_array_foreach(devs, i, v)
	{
		if (t->n >= GATE_DEVICES_MAX)
			break;
		if (load_q(v, &t->q[t->n]))
			log_warnx("%s: blocked[%zu]: not a valid entry, skipped", path, i);
		else
			t->n++;
	}
	json_decref(root);
}

int gate_enforce_init(struct gate *g, char *err, size_t errlen)
{
	if (!g->cfg.interface[0]) {
		snprintf(err, errlen, "interface: not configured (the LAN that quarantine cuts)");
		return -1;
	}
	struct gate_nft *t = calloc(1, sizeof(*t));
	if (!t || !(t->script = malloc(SCRIPT_MAX))) {
		free(t);
		snprintf(err, errlen, "nftables: out of memory");
		return -1;
	}
	if (gate_nft_init(err, errlen) < 0) {
		free(t->script);
		free(t);
		return -1;
	}
	g->nft = t;
	load(g);
	if (install(g, err, errlen))
		return -1;
	persist(g); /* enforce.nft as installed now */
	log_info("nftables table inet recall_gate installed, %zu blocked devices", t->n);
	return 0;
}

int gate_enforce_verify(struct gate *g)
{
	struct gate_nft *t = g->nft;
	if (!t)
		return 0;
	/* 1 there, 0 gone, -1 cannot tell (then nothing is done) */
	if (gate_nft_table_present() != 0)
		return 0;
	log_warnx("nftables table inet recall_gate is gone (a flush ruleset by another "
		  "program?): installing it again with %zu blocked devices",
		  t->n);
	char err[512];
	if (install(g, err, sizeof(err))) {
		log_warnx("%s", err);
		return -1;
	}
	return 1;
}

void gate_enforce_free(struct gate *g)
{
	if (!g->nft)
		return;
	free(g->nft->script);
	free(g->nft);
	g->nft = NULL;
}

bool gate_blocked(const struct gate *g, const struct gate_device *d)
{
	return (d->state == GATE_ST_QUARANTINED || d->state == GATE_ST_AGENT_QUAR) &&
	       d->policy != GATE_POL_ALLOW;
}

/* The notice's remedy prefixes, and its URL's host as resolved by the gateway's resolver
 * (trusted as much as that resolver; bounded by its timeout and attempts). */
static void remedy(struct gate *g, const struct gate_device *d, struct gate_q *q)
{
	struct rc_notice n;
	if (gate_notice_get(g, d->notice_id, &n))
		return;
	for (size_t i = 0; i < n.nendpoints && q->nrem < REM_MAX; i++)
		q->rem[q->nrem++] = n.endpoints[i];
	char host[256];
	const char *u = n.remedy_url.p;
	size_t un = n.remedy_url.n;
	const char *s = u ? memmem(u, un, "://", 3) : NULL;
	if (!s)
		return;
	s += 3;
	size_t hn = strcspn(s, "/?#");
	if (hn > (size_t)(u + un - s))
		hn = (size_t)(u + un - s);
	if (!hn || hn >= sizeof(host))
		return;
	memcpy(host, s, hn);
	host[hn] = '\0';
	char *h = host;
	if (h[0] == '[') {
		h++;
		h[strcspn(h, "]")] = '\0';
	} else {
		h[strcspn(h, ":@")] = '\0';
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *r;
	if (getaddrinfo(h, NULL, &hints, &res)) {
		log_warnx("remedy host %s of notice %s: not resolved", h, d->notice_id);
		return;
	}
	for (r = res; r && q->nrem < REM_MAX; r = r->ai_next) {
		struct rc_endpoint *e = &q->rem[q->nrem];
		memset(e, 0, sizeof(*e));
		if (r->ai_family == AF_INET) {
			e->family = 4;
			e->plen = 32;
			memcpy(e->addr, &((struct sockaddr_in *)r->ai_addr)->sin_addr, 4);
		} else if (r->ai_family == AF_INET6) {
			e->family = 6;
			e->plen = 128;
			memcpy(e->addr, &((struct sockaddr_in6 *)r->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		q->nrem++;
	}
	freeaddrinfo(res);
}

int gate_enforce_apply(struct gate *g, struct gate_device *d)
{
	struct gate_nft *t = g->nft;
	if (!t || !d)
		return 0;
	size_t i;
	for (i = 0; i < t->n && memcmp(t->q[i].mac, d->mac, 6); i++)
		;
	struct gate_q nq;
	bool block = gate_blocked(g, d);
	if (block) {
		memset(&nq, 0, sizeof(nq));
		memcpy(nq.mac, d->mac, 6);
		for (uint32_t k = 0; k < d->naddr && k < GATE_ADDRS_MAX; k++)
			if (d->addr[k].family == 4 || d->addr[k].family == 6) {
				nq.addr[nq.naddr] = d->addr[k];
				nq.addr[nq.naddr++].seen = 0;
			}
		snprintf(nq.notice, sizeof(nq.notice), "%s", d->notice_id);
		if (i < t->n && !strcmp(t->q[i].notice, nq.notice)) {
			nq.nrem = t->q[i].nrem; /* resolved once per notice */
			memcpy(nq.rem, t->q[i].rem, sizeof(nq.rem));
		} else {
			remedy(g, d, &nq);
		}
		if (i < t->n && !memcmp(&t->q[i], &nq, sizeof(nq)))
			return 0;
		if (i == t->n && t->n >= GATE_DEVICES_MAX)
			return -1;
	} else if (i == t->n) {
		return 0;
	}
	struct gate_q old;
	bool existed = i < t->n;
	if (existed)
		old = t->q[i];
	if (block)
		t->q[i] = nq;
	else
		t->q[i] = t->q[--t->n];
	if (block && !existed)
		t->n++;
	char err[512];
	if (install(g, err, sizeof(err))) {
		log_warnx("%s", err);
		/* keep memory equal to what the kernel holds */
		if (block && !existed)
			t->n--;
		else if (existed && block)
			t->q[i] = old;
		else if (existed) {
			t->q[t->n++] = t->q[i];
			t->q[i] = old;
		}
		return -1;
	}
	return persist(g);
}
