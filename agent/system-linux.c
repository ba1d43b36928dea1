/* Linux backend: quarantine by policy routing over rtnetlink (libmnl), IPv4 and IPv6. One rule
 * "from all lookup TABLE" at priority PREF (ahead of main), TABLE holding copies of main's
 * on-link routes, routes via main's default gateway to the check-in addresses and remedy
 * endpoints, and an unreachable default: a default route re-added to main changes nothing.
 * apply() writes only differences, so a converged apply sends nothing (and causes no events).
 * Requests ask for an ACK; replies are checked for sender, sequence and port; attributes are
 * validated. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "system.h"

#define ROUTES_MAX 96 /* per family and pass; larger tables converge over several passes */
#define SEEN_MAX   24 /* default routes and global addresses remembered for attach events */
/* IPv6 may be absent from the kernel: then only IPv4 is quarantined. */
#define FAMILY_MISSING (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)
#define V6_METRIC      1024 /* the kernel's default IPv6 metric: stated so a dump compares equal */

struct route {
	uint8_t family, dst_len, type, scope;
	uint8_t dst[16], gw[16], src[16];
	bool has_gw, has_src;
	uint32_t oif, prio, table;
};

struct rset {
	size_t n;
	struct route r[ROUTES_MAX];
};

static struct mnl_socket *req, *mon;
static uint32_t portid, seqno;
static struct sys_params prm;
static uint8_t rxbuf[16384] __attribute__((aligned(4)));
static struct rset want, have, lan;
static struct route defrt; /* main's preferred default route of the family being built */
static bool have_def;

struct seen {
	uint8_t family, kind; /* kind 1: default route (oif, gw), 2: address (ifindex, addr) */
	uint32_t ifindex;
	uint8_t addr[16];
};
static struct seen seen[SEEN_MAX];
static size_t nseen;

#define alen(family) ((size_t)((family) == AF_INET ? 4 : 16))

/* Receive one buffer of netlink messages; only the kernel (port 0) may talk to us. */
static ssize_t nl_recv(struct mnl_socket *s, int flags)
{
	struct sockaddr_nl sa;
	struct iovec iov = {rxbuf, sizeof(rxbuf)};
	struct msghdr mh = {
	    .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1};
	for (;;) {
		ssize_t n = recvmsg(mnl_socket_get_fd(s), &mh, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (mh.msg_flags & MSG_TRUNC) {
			errno = ENOSPC;
			return -1;
		}
		if (mh.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue; /* not from the kernel: drop */
		return n;
	}
}

static struct nlmsghdr *msg_start(uint8_t *b, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++seqno;
	return nlh;
}

/* Send a change request with NLM_F_ACK and wait for the matching acknowledgement. */
static int nl_talk(struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(req, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = nl_recv(req, 0);
		if (n < 0)
			return -1;
		int rc = mnl_cb_run(rxbuf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
		if (rc == MNL_CB_ERROR)
			return -1;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

struct dumpctx {
	mnl_cb_t fn;
	void *data;
	bool intr;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dumpctx *d = data;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	return d->fn(nlh, d->data);
}

/* Run a dump request; retried (bounded) if the kernel says it was interrupted. */
static int nl_dump(uint16_t type, uint8_t family, mnl_cb_t fn, void *data)
{
	uint8_t b[64] __attribute__((aligned(4)));
	for (int attempt = 0; attempt < 4; attempt++) {
		struct nlmsghdr *nlh = msg_start(b, type, NLM_F_DUMP);
		struct rtgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->rtgen_family = family;
		struct dumpctx d = {fn, data, false};
		if (mnl_socket_sendto(req, nlh, nlh->nlmsg_len) < 0)
			return -1;
		int rc;
		do {
			ssize_t n = nl_recv(req, 0);
			if (n < 0)
				return -1;
			rc = mnl_cb_run(rxbuf, (size_t)n, nlh->nlmsg_seq, portid, dump_cb, &d);
		} while (rc == MNL_CB_OK);
		if (rc == MNL_CB_ERROR)
			return -1;
		if (!d.intr)
			return 0;
	}
	errno = EAGAIN;
	return -1;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);
	/* RTA_MAX, FRA_MAX and IFA_MAX are all below 64; tb has 64 slots. */
	if (t >= 64)
		return MNL_CB_OK;
	tb[t] = a;
	return MNL_CB_OK;
}

/* Validated fetch of attribute t as u32 (false if absent or malformed). */
static bool get_u32(const struct nlattr **tb, int t, uint32_t *v)
{
	if (!tb[t] || mnl_attr_validate(tb[t], MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(tb[t]);
	return true;
}

/* Validated fetch of an address attribute of the family's length. -1 malformed, 0 absent. */
static int get_addr(const struct nlattr **tb, int t, uint8_t family, uint8_t out[16])
{
	if (!tb[t])
		return 0;
	if (mnl_attr_validate2(tb[t], MNL_TYPE_BINARY, alen(family)) < 0)
		return -1;
	memcpy(out, mnl_attr_get_payload(tb[t]), alen(family));
	return 1;
}

/* Parse an RTM_*ROUTE message. false: not a route we can use (malformed or wrong family). */
static bool parse_route(const struct nlmsghdr *nlh, struct route *r)
{
	const struct nlattr *tb[64] = {0};
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg))
		return false;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return false;
	if (rtm->rtm_dst_len > alen(rtm->rtm_family) * 8)
		return false;
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) != MNL_CB_OK)
		return false;
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->scope = rtm->rtm_scope;
	r->table = rtm->rtm_table;
	int g, s;
	if (get_addr(tb, RTA_DST, r->family, r->dst) < 0 ||
	    (g = get_addr(tb, RTA_GATEWAY, r->family, r->gw)) < 0 ||
	    (s = get_addr(tb, RTA_PREFSRC, r->family, r->src)) < 0)
		return false;
	r->has_gw = g > 0;
	r->has_src = s > 0;
	if (tb[RTA_TABLE] && !get_u32(tb, RTA_TABLE, &r->table))
		return false;
	if (tb[RTA_OIF] && !get_u32(tb, RTA_OIF, &r->oif))
		return false;
	if (tb[RTA_PRIORITY] && !get_u32(tb, RTA_PRIORITY, &r->prio))
		return false;
	if (tb[RTA_MULTIPATH])
		r->type = RTN_UNSPEC; /* multipath routes are not copied */
	return true;
}

static bool same_key(const struct route *a, const struct route *b)
{
	return a->family == b->family && a->dst_len == b->dst_len && a->prio == b->prio &&
	       memcmp(a->dst, b->dst, alen(a->family)) == 0;
}

static bool same_route(const struct route *a, const struct route *b)
{
	size_t l = alen(a->family);
	return same_key(a, b) && a->type == b->type && a->oif == b->oif && a->has_gw == b->has_gw &&
	       memcmp(a->gw, b->gw, l) == 0 && a->has_src == b->has_src &&
	       memcmp(a->src, b->src, l) == 0;
}

static void rset_add(struct rset *s, const struct route *r)
{
	for (size_t i = 0; i < s->n; i++)
		if (same_key(&s->r[i], r))
			return;
	if (s->n < ROUTES_MAX)
		s->r[s->n++] = *r;
}

/* Collect main's on-link routes and its preferred default route. */
static int main_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route r;
	(void)data;
	if (nlh->nlmsg_type != RTM_NEWROUTE || !parse_route(nlh, &r) || r.table != RT_TABLE_MAIN ||
	    r.type != RTN_UNICAST || !r.oif)
		return MNL_CB_OK;
	if (r.dst_len == 0) {
		if (!have_def || r.prio < defrt.prio)
			defrt = r;
		have_def = true;
	} else if (!r.has_gw) {
		r.table = prm.table;
		rset_add(&lan, &r);
	}
	return MNL_CB_OK;
}

static int ours_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route r;
	(void)data;
	if (nlh->nlmsg_type == RTM_NEWROUTE && parse_route(nlh, &r) && r.table == prm.table) {
		r.table = prm.table;
		rset_add(&have, &r);
	}
	return MNL_CB_OK;
}

static bool prefix_has(const struct route *net, const uint8_t *a)
{
	unsigned bits = net->dst_len;
	for (unsigned i = 0; bits; i++) {
		unsigned take = bits > 8 ? 8 : bits;
		uint8_t mask = (uint8_t)(0xff << (8 - take));
		if ((net->dst[i] ^ a[i]) & mask)
			return false;
		bits -= take;
	}
	return true;
}

static int route_msg(const struct route *r, uint16_t type, uint16_t flags)
{
	uint8_t b[256] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = msg_start(b, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = prm.table < 256 ? (uint8_t)prm.table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = SYS_RTPROT;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type;
	mnl_attr_put_u32(nlh, RTA_TABLE, prm.table);
	if (r->dst_len)
		mnl_attr_put(nlh, RTA_DST, alen(r->family), r->dst);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen(r->family), r->gw);
	if (r->has_src)
		mnl_attr_put(nlh, RTA_PREFSRC, alen(r->family), r->src);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->prio)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->prio);
	return nl_talk(nlh);
}

static int rule_msg(uint8_t family, uint16_t type, uint16_t flags)
{
	uint8_t b[128] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = msg_start(b, type, flags);
	struct fib_rule_hdr *h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->family = family;
	h->action = FR_ACT_TO_TBL;
	h->table = prm.table < 256 ? (uint8_t)prm.table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prm.pref);
	mnl_attr_put_u32(nlh, FRA_TABLE, prm.table);
	return nl_talk(nlh);
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[64] = {0};
	unsigned *count = data;
	uint32_t pref = 0, table;
	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct fib_rule_hdr))
		return MNL_CB_OK;
	const struct fib_rule_hdr *h = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*h), attr_cb, tb) != MNL_CB_OK)
		return MNL_CB_OK;
	table = h->table;
	if (tb[FRA_TABLE] && !get_u32(tb, FRA_TABLE, &table))
		return MNL_CB_OK;
	if (tb[FRA_PRIORITY] && !get_u32(tb, FRA_PRIORITY, &pref))
		return MNL_CB_OK;
	if (h->action == FR_ACT_TO_TBL && pref == prm.pref && table == prm.table)
		(*count)++;
	return MNL_CB_OK;
}

static int count_rules(uint8_t family, unsigned *count)
{
	*count = 0;
	return nl_dump(RTM_GETRULE, family, rule_cb, count);
}

static void add_allow(uint8_t family, const struct sys_prefix *p)
{
	struct route r = {.family = family,
			  .dst_len = p->plen,
			  .type = RTN_UNICAST,
			  .prio = family == AF_INET6 ? V6_METRIC : 0};
	memcpy(r.dst, p->addr, alen(family));
	if (p->plen == 0 || !have_def)
		return; /* a default would replace the unreachable one; no gateway: nothing to do */
	for (size_t i = 0; i < lan.n; i++)
		if (lan.r[i].dst_len <= p->plen && prefix_has(&lan.r[i], p->addr))
			return; /* on-link already */
	r.oif = defrt.oif;
	r.has_gw = defrt.has_gw;
	memcpy(r.gw, defrt.gw, sizeof(r.gw));
	r.scope = r.has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rset_add(&want, &r);
}

static int apply_family(uint8_t family, const struct sys_quarantine *q)
{
	want.n = lan.n = have.n = 0;
	have_def = false;
	if (nl_dump(RTM_GETROUTE, family, main_cb, NULL) < 0)
		return -1;
	struct route unr = {.family = family,
			    .type = RTN_UNREACHABLE,
			    .scope = RT_SCOPE_UNIVERSE,
			    .prio = family == AF_INET6 ? V6_METRIC : 0};
	rset_add(&want, &unr);
	for (size_t i = 0; i < lan.n; i++)
		rset_add(&want, &lan.r[i]);
	for (size_t i = 0; i < q->nallow; i++)
		if (q->allow[i].family == (family == AF_INET ? 4 : 6))
			add_allow(family, &q->allow[i]);
	if (nl_dump(RTM_GETROUTE, family, ours_cb, NULL) < 0)
		return -1;
	for (size_t i = 0; i < want.n; i++) {
		bool ok = false;
		for (size_t j = 0; j < have.n && !ok; j++)
			ok = same_route(&want.r[i], &have.r[j]);
		if (!ok && route_msg(&want.r[i], RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE) < 0)
			return -1;
	}
	for (size_t j = 0; j < have.n; j++) {
		bool keep = false;
		for (size_t i = 0; i < want.n && !keep; i++)
			keep = same_key(&want.r[i], &have.r[j]);
		if (!keep && route_msg(&have.r[j], RTM_DELROUTE, 0) < 0 && errno != ESRCH)
			return -1;
	}
	unsigned nrules;
	if (count_rules(family, &nrules) < 0)
		return -1;
	if (nrules == 0 && rule_msg(family, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL) < 0 &&
	    errno != EEXIST)
		return -1;
	return 0;
}

static int lx_apply(const struct sys_quarantine *q)
{
	if (apply_family(AF_INET, q) < 0)
		return -1;
	if (apply_family(AF_INET6, q) < 0 && !FAMILY_MISSING)
		return -1;
	return 0;
}

static int release_family(uint8_t family)
{
	unsigned nrules;
	/* Rule first, so that no moment routes everything into an emptying table. */
	for (int i = 0; i < 16; i++) {
		if (count_rules(family, &nrules) < 0)
			return -1;
		if (nrules == 0)
			break;
		if (rule_msg(family, RTM_DELRULE, 0) < 0 && errno != ENOENT)
			return -1;
	}
	for (int pass = 0; pass < 16; pass++) {
		have.n = 0;
		if (nl_dump(RTM_GETROUTE, family, ours_cb, NULL) < 0)
			return -1;
		if (have.n == 0)
			return 0;
		for (size_t j = 0; j < have.n; j++)
			if (route_msg(&have.r[j], RTM_DELROUTE, 0) < 0 && errno != ESRCH)
				return -1;
	}
	errno = EBUSY;
	return -1;
}

static int lx_release(void)
{
	int rc = release_family(AF_INET);
	if (release_family(AF_INET6) < 0 && !FAMILY_MISSING)
		rc = -1;
	return rc;
}

/* Remember a default route or global address; true if it was not known (it "appeared"). */
static bool seen_add(uint8_t family, uint8_t kind, uint32_t ifindex, const uint8_t *addr)
{
	struct seen s = {family, kind, ifindex, {0}};
	memcpy(s.addr, addr, alen(family));
	for (size_t i = 0; i < nseen; i++)
		if (memcmp(&seen[i], &s, sizeof(s)) == 0)
			return false;
	if (nseen == SEEN_MAX)
		memmove(seen, seen + 1, --nseen * sizeof(s));
	seen[nseen++] = s;
	return true;
}

static void seen_del(uint8_t family, uint8_t kind, uint32_t ifindex, const uint8_t *addr)
{
	struct seen s = {family, kind, ifindex, {0}};
	memcpy(s.addr, addr, alen(family));
	for (size_t i = 0; i < nseen; i++)
		if (memcmp(&seen[i], &s, sizeof(s)) == 0) {
			seen[i] = seen[--nseen];
			return;
		}
}

/* One monitor message: returns SYS_EV_* bits. */
static unsigned event(const struct nlmsghdr *nlh)
{
	struct route r;
	const struct nlattr *tb[64] = {0};
	uint8_t a[16] = {0};
	bool add = nlh->nlmsg_type == RTM_NEWROUTE || nlh->nlmsg_type == RTM_NEWADDR;
	switch (nlh->nlmsg_type) {
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (!parse_route(nlh, &r))
			return 0;
		if (r.table == RT_TABLE_MAIN && r.dst_len == 0 && r.type == RTN_UNICAST) {
			if (!add)
				seen_del(r.family, 1, r.oif, r.gw);
			else if (seen_add(r.family, 1, r.oif, r.gw))
				return SYS_EV_ATTACH | SYS_EV_CHANGED;
		}
		return SYS_EV_CHANGED;
	case RTM_NEWADDR:
	case RTM_DELADDR: {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifaddrmsg))
			return 0;
		const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
		    mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb) != MNL_CB_OK ||
		    get_addr(tb, IFA_ADDRESS, ifa->ifa_family, a) <= 0)
			return 0;
		uint32_t flags = ifa->ifa_flags;
		if (tb[IFA_FLAGS] && !get_u32(tb, IFA_FLAGS, &flags))
			return 0;
		if (ifa->ifa_scope != RT_SCOPE_UNIVERSE)
			return SYS_EV_CHANGED;
		if (!add || (flags & IFA_F_TENTATIVE))
			seen_del(ifa->ifa_family, 2, ifa->ifa_index, a);
		else if (seen_add(ifa->ifa_family, 2, ifa->ifa_index, a))
			return SYS_EV_ATTACH | SYS_EV_CHANGED;
		return SYS_EV_CHANGED;
	}
	case RTM_NEWRULE:
	case RTM_DELRULE:
		return SYS_EV_CHANGED;
	}
	return 0;
}

static int seed_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)event(nlh);
	(void)data;
	return MNL_CB_OK;
}

/* Learn the present default routes and addresses so that only new ones count as attach. */
static void seed(void)
{
	nseen = 0;
	(void)nl_dump(RTM_GETROUTE, AF_INET, seed_cb, NULL);
	(void)nl_dump(RTM_GETROUTE, AF_INET6, seed_cb, NULL);
	(void)nl_dump(RTM_GETADDR, AF_UNSPEC, seed_cb, NULL);
}

static int lx_init(const struct sys_params *p)
{
	prm = *p;
	req = mnl_socket_open(NETLINK_ROUTE);
	mon = mnl_socket_open(NETLINK_ROUTE);
	if (!req || !mon || mnl_socket_bind(req, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	unsigned groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_IFADDR |
			  RTMGRP_IPV6_IFADDR | (1u << (RTNLGRP_IPV4_RULE - 1)) |
			  (1u << (RTNLGRP_IPV6_RULE - 1));
	if (mnl_socket_bind(mon, groups, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	portid = mnl_socket_get_portid(req);
	seqno = (uint32_t)time(NULL);
	int one = 1;
	(void)mnl_socket_setsockopt(req, NETLINK_EXT_ACK, &one, sizeof(one));
	seed();
	return 0;
}

static int lx_monitor_fd(void)
{
	return mon ? mnl_socket_get_fd(mon) : -1;
}
static unsigned lx_monitor_read(void)
{
	unsigned ev = 0;
	for (int i = 0; i < 64; i++) {
		ssize_t n = nl_recv(mon, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) { /* lost events: relearn and assume an attach */
				seed();
				ev |= SYS_EV_ATTACH | SYS_EV_CHANGED;
				continue;
			}
			break;
		}
		int left = (int)n;
		for (const struct nlmsghdr *nlh = (const void *)rxbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			ev |= event(nlh);
	}
	return ev;
}

static void lx_done(void)
{
	if (req)
		mnl_socket_close(req);
	if (mon)
		mnl_socket_close(mon);
	req = mon = NULL;
}

const struct sys_ops sys_linux = {
    .name = "linux",
    .init = lx_init,
    .apply = lx_apply,
    .release = lx_release,
    .monitor_fd = lx_monitor_fd,
    .monitor_read = lx_monitor_read,
    .done = lx_done,
};
