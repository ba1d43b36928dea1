/* Linux backend: quarantine by policy routing over rtnetlink (libmnl), IPv4 and IPv6. One rule
 * "from all lookup TABLE" at priority PREF (ahead of main), TABLE holding an on-link route to
 * the prefix of each of the device's own addresses (bounded: sys_lan_bound), routes via main's
 * default gateway to the check-in addresses and remedy endpoints, and an unreachable default:
 * a default route re-added to main changes nothing, and neither does an on-link route a LAN
 * host announced (RA prefix, DHCP classless route) that reaches the Internet via proxy ARP/ND.
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

#include "nl.h"
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

static struct sys_params prm;
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

#define alen(family) nl_alen(family)

/* Parse an RTM_*ROUTE message. false: not a route we can use (malformed or wrong family). */
static bool parse_route(const struct nlmsghdr *nlh, struct route *r)
{
	const struct nlattr *tb[NL_ATTR_MAX] = {0};
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg))
		return false;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return false;
	if (rtm->rtm_dst_len > alen(rtm->rtm_family) * 8)
		return false;
	if (mnl_attr_parse(nlh, sizeof(*rtm), nl_attr_cb, tb) != MNL_CB_OK)
		return false;
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->scope = rtm->rtm_scope;
	r->table = rtm->rtm_table;
	int g, s;
	if (nl_get_addr(tb, RTA_DST, r->family, r->dst) < 0 ||
	    (g = nl_get_addr(tb, RTA_GATEWAY, r->family, r->gw)) < 0 ||
	    (s = nl_get_addr(tb, RTA_PREFSRC, r->family, r->src)) < 0)
		return false;
	r->has_gw = g > 0;
	r->has_src = s > 0;
	if (tb[RTA_TABLE] && !nl_get_u32(tb, RTA_TABLE, &r->table))
		return false;
	if (tb[RTA_OIF] && !nl_get_u32(tb, RTA_OIF, &r->oif))
		return false;
	if (tb[RTA_PRIORITY] && !nl_get_u32(tb, RTA_PRIORITY, &r->prio))
		return false;
	if (tb[RTA_MULTIPATH])
		r->type = RTN_UNSPEC; /* multipath routes are not copied */
	return true;
}

/* Same route as far as our table goes: what a delete names and what a converged apply finds. */
static bool same_route(const struct route *a, const struct route *b)
{
	size_t l = alen(a->family);
	return a->family == b->family && a->dst_len == b->dst_len && a->prio == b->prio &&
	       memcmp(a->dst, b->dst, l) == 0 && a->type == b->type && a->oif == b->oif &&
	       a->has_gw == b->has_gw && memcmp(a->gw, b->gw, l) == 0 && a->has_src == b->has_src &&
	       memcmp(a->src, b->src, l) == 0;
}

static void rset_add(struct rset *s, const struct route *r)
{
	for (size_t i = 0; i < s->n; i++)
		if (same_route(&s->r[i], r))
			return;
	if (s->n < ROUTES_MAX)
		s->r[s->n++] = *r;
}

/* Find main's preferred default route. No other route of main is copied: on-link routes are
 * whatever a LAN host announced (an RA's 2000::/3, a DHCP option 121 0.0.0.0/1). */
static int main_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route r;
	(void)data;
	if (nlh->nlmsg_type != RTM_NEWROUTE || !parse_route(nlh, &r) || r.table != RT_TABLE_MAIN ||
	    r.type != RTN_UNICAST || !r.oif || r.dst_len != 0)
		return MNL_CB_OK;
	if (!have_def || r.prio < defrt.prio)
		defrt = r;
	have_def = true;
	return MNL_CB_OK;
}

/* The LAN: one on-link route per own address, to its prefix bounded by sys_lan_bound (an
 * IPv6 link-local address gives fe80::/64 on its interface). */
static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NL_ATTR_MAX] = {0};
	const uint8_t *family = data;
	struct sys_prefix own = {0}, net;
	uint32_t flags;
	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifaddrmsg))
		return MNL_CB_OK;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	/* Host and nowhere scope: loopback addresses, never a LAN. */
	if (ifa->ifa_family != *family || !ifa->ifa_index || ifa->ifa_scope >= RT_SCOPE_HOST ||
	    ifa->ifa_prefixlen > alen(*family) * 8 ||
	    mnl_attr_parse(nlh, sizeof(*ifa), nl_attr_cb, tb) != MNL_CB_OK)
		return MNL_CB_OK;
	/* IFA_LOCAL is the own address where IFA_ADDRESS is a point-to-point peer's. */
	int got = nl_get_addr(tb, IFA_LOCAL, *family, own.addr);
	if (got == 0)
		got = nl_get_addr(tb, IFA_ADDRESS, *family, own.addr);
	flags = ifa->ifa_flags;
	if (got <= 0 || (tb[IFA_FLAGS] && !nl_get_u32(tb, IFA_FLAGS, &flags)) ||
	    (flags & IFA_F_DADFAILED))
		return MNL_CB_OK;
	own.family = *family == AF_INET ? 4 : 6;
	own.plen = ifa->ifa_prefixlen;
	sys_lan_bound(&net, &own);
	struct route r = {.family = *family,
			  .dst_len = net.plen,
			  .type = RTN_UNICAST,
			  .scope = RT_SCOPE_LINK,
			  .oif = ifa->ifa_index,
			  .prio = *family == AF_INET6 ? V6_METRIC : 0,
			  .table = prm.table};
	memcpy(r.dst, net.addr, alen(*family));
	rset_add(&lan, &r);
	return MNL_CB_OK;
}

static int ours_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route r;
	(void)data;
	if (nlh->nlmsg_type == RTM_NEWROUTE && parse_route(nlh, &r) && r.table == prm.table) {
		r.table = prm.table;
		if (r.type != RTN_UNICAST)
			r.oif = 0; /* the kernel reports IPv6 reject routes on lo */
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
	struct nlmsghdr *nlh = nl_msg_start(b, type, flags);
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
	struct nlmsghdr *nlh = nl_msg_start(b, type, flags);
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
	const struct nlattr *tb[NL_ATTR_MAX] = {0};
	unsigned *count = data;
	uint32_t pref = 0, table;
	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct fib_rule_hdr))
		return MNL_CB_OK;
	const struct fib_rule_hdr *h = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*h), nl_attr_cb, tb) != MNL_CB_OK)
		return MNL_CB_OK;
	table = h->table;
	if (tb[FRA_TABLE] && !nl_get_u32(tb, FRA_TABLE, &table))
		return MNL_CB_OK;
	if (tb[FRA_PRIORITY] && !nl_get_u32(tb, FRA_PRIORITY, &pref))
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
	if (nl_dump(RTM_GETROUTE, family, main_cb, NULL) < 0 ||
	    nl_dump(RTM_GETADDR, family, addr_cb, &family) < 0)
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
	/* Removals first (a moment with less reachable, never more), then additions without
	 * NLM_F_REPLACE: fe80::/64 on two interfaces are two routes, not one replacing the other.
	 */
	for (size_t j = 0; j < have.n; j++) {
		bool keep = false;
		for (size_t i = 0; i < want.n && !keep; i++)
			keep = same_route(&want.r[i], &have.r[j]);
		if (!keep && route_msg(&have.r[j], RTM_DELROUTE, 0) < 0 && errno != ESRCH)
			return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < want.n; i++) {
		bool ok = false;
		for (size_t j = 0; j < have.n && !ok; j++)
			ok = same_route(&want.r[i], &have.r[j]);
		if (ok || route_msg(&want.r[i], RTM_NEWROUTE, NLM_F_CREATE) == 0 || errno == EEXIST)
			continue;
		if (i == 0)
			return -1; /* no unreachable default: no rule either */
		/* An interface that is down takes no route (its coming up is an event that
		 * refreshes); any other failure is retried, but the rule goes in now. */
		if (errno != ENETDOWN && errno != ENODEV)
			rc = -1;
	}
	unsigned nrules;
	if (count_rules(family, &nrules) < 0)
		return -1;
	if (nrules == 0 && rule_msg(family, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL) < 0 &&
	    errno != EEXIST)
		return -1;
	return rc;
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
	const struct nlattr *tb[NL_ATTR_MAX] = {0};
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
		    mnl_attr_parse(nlh, sizeof(*ifa), nl_attr_cb, tb) != MNL_CB_OK ||
		    nl_get_addr(tb, IFA_ADDRESS, ifa->ifa_family, a) <= 0)
			return 0;
		uint32_t flags = ifa->ifa_flags;
		if (tb[IFA_FLAGS] && !nl_get_u32(tb, IFA_FLAGS, &flags))
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
	unsigned groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_IPV4_IFADDR |
			  RTMGRP_IPV6_IFADDR | (1u << (RTNLGRP_IPV4_RULE - 1)) |
			  (1u << (RTNLGRP_IPV6_RULE - 1));
	if (nl_open(groups) < 0)
		return -1;
	seed();
	return 0;
}

static int lx_monitor_fd(void)
{
	return nl_monitor() ? mnl_socket_get_fd(nl_monitor()) : -1;
}
static unsigned lx_monitor_read(void)
{
	unsigned ev = 0;
	for (int i = 0; i < 64; i++) {
		ssize_t n = nl_recv(nl_monitor(), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) { /* lost events: relearn and assume an attach */
				seed();
				ev |= SYS_EV_ATTACH | SYS_EV_CHANGED;
				continue;
			}
			break;
		}
		int left = (int)n;
		for (const struct nlmsghdr *nlh = (const void *)nl_rxbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			ev |= event(nlh);
	}
	return ev;
}

static void lx_done(void)
{
	nl_close();
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
