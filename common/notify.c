/* sd_notify(3) without libsystemd (notify.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int notify_send(const char *msg)
{
	const char *p = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = p ? strlen(p) : 0;
	if (n < 2 || n >= sizeof(sa.sun_path) || (p[0] != '/' && p[0] != '@'))
		return 1;
	memcpy(sa.sun_path, p, n);
	if (p[0] == '@')
		sa.sun_path[0] = 0; /* abstract socket */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	int e = errno;
	close(fd);
	errno = e;
	return r < 0 ? -1 : 0;
}

uint64_t notify_watchdog_ms(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	if (!us || !*us)
		return 0;
	if (pid && *pid) {
		errno = 0;
		unsigned long long v = strtoull(pid, &end, 10);
		if (errno || *end || v != (unsigned long long)getpid())
			return 0; /* meant for another process of the service */
	}
	errno = 0;
	unsigned long long v = strtoull(us, &end, 10);
	if (errno || *end || v < 1000)
		return 0;
	return v / 1000;
}
