/* `recall-gate lease ACTION MAC IP [HOSTNAME]`: what dnsmasq runs as its --dhcp-script (through
 * the name recall-gate-lease, as dnsmasq passes no arguments of its own). It forwards its
 * arguments and the DNSMASQ_* variables unchanged over the control socket, one message, and
 * exits 0 at once whatever happens: dnsmasq waits for its script, and a gate that is down must
 * not stall address assignment. Nothing here interprets the values and nothing reaches a
 * shell; the daemon parses them (gate_dhcp_parse). Run without arguments it is odhcpd's
 * leasetrigger (OpenWrt): it only tells the daemon to read odhcpd's state file again. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gated.h"

extern char **environ;

int cmd_lease(const char *ctl, int argc, char **argv)
{
	static char msg[GATED_REQ_MAX];
	size_t len = 0, n = 0;
	char count[16];
	if (argc > 8) {
		fprintf(stderr, "recall-gate lease: expected ACTION MAC IP [HOSTNAME]\n");
		return 0;
	}
	snprintf(count, sizeof(count), "%d", argc);
	/* No arguments: odhcpd's leasetrigger, which says only that its state file changed. */
	msg[len++] = argc ? GATE_OP_LEASE : GATE_OP_ODHCPD;
	/* Arguments first (all must fit), then as many DNSMASQ_* variables as fit. */
	const char *items[GATED_ARGS_MAX];
	items[n++] = count;
	for (int i = 0; i < argc; i++)
		items[n++] = argv[i];
	size_t nargs = n;
	for (char **e = environ; e && *e && n < GATED_ARGS_MAX; e++)
		if (!strncmp(*e, "DNSMASQ_", 8))
			items[n++] = *e;
	for (size_t i = 0; i < n && argc; i++) {
		size_t l = strlen(items[i]) + 1;
		if (len + l > sizeof(msg)) {
			if (i < nargs) {
				fprintf(stderr, "recall-gate lease: arguments too long\n");
				return 0;
			}
			continue;
		}
		memcpy(msg + len, items[i], l);
		len += l;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		fprintf(stderr, "recall-gate lease: %s: %s (lease not recorded)\n", ctl,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}
