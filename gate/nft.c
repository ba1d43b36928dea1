/* The daemon's two uses of nftables, without mapping libnftables (with libgmp, libnftnl and
 * libxtables) into the resident process: a transaction runs in recall-gate-nft
 * (gate/nft_main.c), started for it and gone after it, which keeps the daemon's CAP_NET_ADMIN;
 * whether the table is still there is one netlink request with libmnl (NFT_MSG_GETTABLE). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "check.h"
#include "progpath.h"

#define NFT_WAIT_MS 10000 /* a transaction that takes longer is killed and reported failed */

static char nft_path[PATH_MAX];

int gate_nft_init(char *err, size_t errlen)
{
	if (prog_path(nft_path, sizeof(nft_path), "recall-gate-nft", RECALL_GATE_HELPERDIR, err,
		      errlen) != 0)
		return -1;
	return 0;
}

int gate_nft_run(const char *script, size_t len, char *err, size_t errlen)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "nftables: pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "nftables: pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		close_range(3, ~0U, 0);
		execl(nft_path, "recall-gate-nft", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		snprintf(err, errlen, "nftables: fork: %s", strerror(errno));
		close(in[1]);
		close(out[0]);
		return -1;
	}
	/* The whole script first (the helper reads all of it before it runs anything). */
	for (size_t off = 0; off < len;) {
		ssize_t k = write(in[1], script + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	close(in[1]);
	char msg[512];
	size_t got = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long left = NFT_WAIT_MS -
			    ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pf = {out[0], POLLIN, 0};
		if (left <= 0 || (poll(&pf, 1, (int)left) < 0 && errno != EINTR)) {
			kill(pid, SIGKILL);
			break;
		}
		ssize_t k = read(out[0], msg + got, sizeof(msg) - 1 - got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0 || (got += (size_t)k) == sizeof(msg) - 1)
			break;
	}
	close(out[0]);
	msg[got] = 0;
	msg[strcspn(msg, "\n")] = 0;
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		snprintf(err, errlen, "nftables: %s", msg[0] ? msg : "failed");
	else
		snprintf(err, errlen, "nftables: recall-gate-nft ended with %s %d",
			 WIFSIGNALED(st) ? "signal" : "status",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return -1;
}

int gate_nft_table_present(void)
{
	static char buf[8192];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return -1;
	}
	unsigned seq = (unsigned)time(NULL), portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "recall_gate");
	int rc = -1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
		/* the table (NFT_MSG_NEWTABLE), then the acknowledgement; or ENOENT */
		for (int i = 0; i < 4; i++) {
			ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
			if (n <= 0)
				break;
			int r = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
			if (r == MNL_CB_STOP) {
				rc = 1;
				break;
			}
			if (r < 0) {
				rc = errno == ENOENT ? 0 : -1;
				break;
			}
		}
	}
	mnl_socket_close(nl);
	return rc;
}
