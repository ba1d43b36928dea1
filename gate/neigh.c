/* The kernel's neighbour table on the LAN interface (libmnl): a RTM_GETNEIGH dump at start and
 * every minute, and RTNLGRP_NEIGH events in between. Only messages from the kernel are read,
 * only entries of the LAN interface are used, every attribute used is validated
 * (mnl_attr_validate2 with the exact length of its type). An entry the kernel has confirmed
 * lately (REACHABLE, DELAY, PROBE) is a sighting of the device: MAC + address. STALE, FAILED
 * and deleted entries say nothing new: the device keeps its last_seen and becomes absent when
 * that is old enough. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "gated.h"
#include "log.h"

#define LIVE (NUD_REACHABLE | NUD_DELAY | NUD_PROBE)

static struct mnl_socket *mon, *req;
static unsigned ifindex;
static uint32_t req_port, seq;
static struct log_rate rl;
static uint8_t buf[32768] __attribute__((aligned(4)));

int gate_neigh_open(struct gate *g, char *err, size_t errlen)
{
	ifindex = if_nametoindex(g->cfg.interface);
	if (!ifindex) {
		snprintf(err, errlen, "interface %s: %s", g->cfg.interface, strerror(errno));
		return -1;
	}
	mon = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!mon || !req ||
	    mnl_socket_bind(mon, 1u << (RTNLGRP_NEIGH - 1), MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(req, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	req_port = mnl_socket_get_portid(req);
	seq = (uint32_t)time(NULL);
	struct timeval tv = {2, 0};
	setsockopt(mnl_socket_get_fd(req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	log_rate_init(&rl, 1, 5);
	return 0;
}

int gate_neigh_fd(void)
{
	return mon ? mnl_socket_get_fd(mon) : -1;
}

void gate_neigh_close(void)
{
	if (mon)
		mnl_socket_close(mon);
	if (req)
		mnl_socket_close(req);
	mon = req = NULL;
}

struct tb {
	const struct nlattr *dst, *lladdr;
	uint8_t family;
	bool bad;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct tb *t = data;
	uint16_t type = mnl_attr_get_type(a);
	size_t alen = t->family == AF_INET ? 4 : 16;
	if (type == NDA_DST) {
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, alen) < 0)
			t->bad = true;
		else
			t->dst = a;
	} else if (type == NDA_LLADDR) {
		/* Only Ethernet-sized link addresses are devices we key by MAC. */
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, 6) == 0)
			t->lladdr = a;
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gate *g = data;
	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ndmsg)) {
		log_warnx_rl(&rl, "netlink: short neighbour message");
		return MNL_CB_OK;
	}
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	if ((unsigned)nd->ndm_ifindex != ifindex || !(nd->ndm_state & LIVE) ||
	    (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6))
		return MNL_CB_OK;
	struct tb t = {NULL, NULL, nd->ndm_family, false};
	if (mnl_attr_parse(nlh, sizeof(*nd), attr_cb, &t) < 0 || t.bad) {
		log_warnx_rl(&rl, "netlink: malformed neighbour attributes");
		return MNL_CB_OK;
	}
	if (!t.dst || !t.lladdr)
		return MNL_CB_OK;
	struct gate_obs o;
	memset(&o, 0, sizeof(o));
	memcpy(o.mac, mnl_attr_get_payload(t.lladdr), 6);
	o.has_mac = true;
	o.addr.family = nd->ndm_family == AF_INET ? 4 : 6;
	memcpy(o.addr.a, mnl_attr_get_payload(t.dst), nd->ndm_family == AF_INET ? 4 : 16);
	gate_observe(g, &o);
	return MNL_CB_OK;
}

/* Receive from the kernel only (port 0). */
static ssize_t recv_kernel(struct mnl_socket *s, int flags)
{
	struct sockaddr_nl sa;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {
	    .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1};
	for (;;) {
		ssize_t n = recvmsg(mnl_socket_get_fd(s), &mh, flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (mh.msg_flags & MSG_TRUNC)
			continue; /* a message larger than the buffer: dropped whole */
		if (mh.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue;
		return n;
	}
}

void gate_neigh_input(struct gate *g)
{
	for (int k = 0; k < 64; k++) {
		ssize_t n = recv_kernel(mon, MSG_DONTWAIT);
		if (n < 0) {
			/* ENOBUFS: events were lost; the next dump brings the table back. */
			if (errno == ENOBUFS)
				gate_neigh_dump(g);
			return;
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, neigh_cb, g);
	}
}

int gate_neigh_dump(struct gate *g)
{
	for (int family = 0; family < 2; family++) {
		uint8_t b[64] __attribute__((aligned(4)));
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
		nlh->nlmsg_type = RTM_GETNEIGH;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = ++seq;
		struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
		nd->ndm_family = family ? AF_INET6 : AF_INET;
		nd->ndm_ifindex = (int)ifindex;
		if (mnl_socket_sendto(req, nlh, nlh->nlmsg_len) < 0)
			return -1;
		int rc;
		int rounds = 0;
		do {
			ssize_t n = recv_kernel(req, 0);
			if (n < 0)
				return -1;
			rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, req_port, neigh_cb, g);
		} while (rc == MNL_CB_OK && ++rounds < 1024);
		if (rc == MNL_CB_ERROR) {
			log_warnx_rl(&rl, "netlink: neighbour dump: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}
