/* The client side of the control socket (<state-dir>/control, SOCK_SEQPACKET): the
 * subcommands send one request and read one reply. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentd.h"

long ctl_request(const char *state_dir, char op, const char *arg, uint8_t *buf, size_t cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char req[RC_NOTICE_ID_MAX + 8];
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", state_dir,
			     AGENTD_CTL_FILE) >= sizeof(sa.sun_path) ||
	    strlen(arg) > RC_NOTICE_ID_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int n = snprintf(req, sizeof(req), "%c%s", op, arg);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t r = -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, req, (size_t)n, MSG_NOSIGNAL) == n)
		r = recv(fd, buf, cap, 0);
	int e = errno;
	close(fd);
	errno = e;
	if (r == 0) {
		errno = ECONNRESET;
		return -1;
	}
	return (long)r;
}
