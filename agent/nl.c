/* rtnetlink plumbing of the Linux backend (nl.h). Requests ask for an ACK; replies are checked
 * for sender (the kernel, port 0), sequence and port; dumps interrupted by a concurrent change
 * are retried a bounded number of times. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/rtnetlink.h>

#include "nl.h"

uint8_t nl_rxbuf[16384] __attribute__((aligned(4)));
static struct mnl_socket *req, *mon;
static uint32_t portid, seqno;

int nl_open(unsigned groups)
{
	req = mnl_socket_open(NETLINK_ROUTE);
	mon = mnl_socket_open(NETLINK_ROUTE);
	if (!req || !mon || mnl_socket_bind(req, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	if (mnl_socket_bind(mon, groups, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	portid = mnl_socket_get_portid(req);
	seqno = (uint32_t)time(NULL);
	int one = 1;
	(void)mnl_socket_setsockopt(req, NETLINK_EXT_ACK, &one, sizeof(one));
	return 0;
}

struct mnl_socket *nl_monitor(void)
{
	return mon;
}

void nl_close(void)
{
	if (req)
		mnl_socket_close(req);
	if (mon)
		mnl_socket_close(mon);
	req = mon = NULL;
}

/* Receive one buffer of netlink messages; only the kernel (port 0) may talk to us. */
ssize_t nl_recv(struct mnl_socket *s, int flags)
{
	struct sockaddr_nl sa;
	struct iovec iov = {nl_rxbuf, sizeof(nl_rxbuf)};
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

struct nlmsghdr *nl_msg_start(uint8_t *b, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++seqno;
	return nlh;
}

/* Send a change request with NLM_F_ACK and wait for the matching acknowledgement. */
int nl_talk(struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(req, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = nl_recv(req, 0);
		if (n < 0)
			return -1;
		int rc = mnl_cb_run(nl_rxbuf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
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
int nl_dump(uint16_t type, uint8_t family, mnl_cb_t fn, void *data)
{
	uint8_t b[64] __attribute__((aligned(4)));
	for (int attempt = 0; attempt < 4; attempt++) {
		struct nlmsghdr *nlh = nl_msg_start(b, type, NLM_F_DUMP);
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
			rc = mnl_cb_run(nl_rxbuf, (size_t)n, nlh->nlmsg_seq, portid, dump_cb, &d);
		} while (rc == MNL_CB_OK);
		if (rc == MNL_CB_ERROR)
			return -1;
		if (!d.intr)
			return 0;
	}
	errno = EAGAIN;
	return -1;
}

int nl_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);
	if (t >= NL_ATTR_MAX)
		return MNL_CB_OK;
	tb[t] = a;
	return MNL_CB_OK;
}

bool nl_get_u32(const struct nlattr **tb, int t, uint32_t *v)
{
	if (!tb[t] || mnl_attr_validate(tb[t], MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(tb[t]);
	return true;
}

int nl_get_addr(const struct nlattr **tb, int t, uint8_t family, uint8_t out[16])
{
	if (!tb[t])
		return 0;
	if (mnl_attr_validate2(tb[t], MNL_TYPE_BINARY, nl_alen(family)) < 0)
		return -1;
	memcpy(out, mnl_attr_get_payload(tb[t]), nl_alen(family));
	return 1;
}
