/* The control socket (<state-dir>/control, SOCK_SEQPACKET): the subcommands send one request
 * and read one reply; the daemon answers each request with ctl_handle. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentd.h"
#include "log.h"

/* There is no bindat() or connectat(): bind (or connect) the relative name `control` from
 * inside the directory dirfd, then return to the working directory. 0 or -1 with errno. */
static int sock_at(int dirfd, int fd, bool bind_it)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", AGENTD_CTL_FILE);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return -1;
	int rc = -1, e;
	if (fchdir(dirfd) == 0) {
		rc = bind_it ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
			     : connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		e = errno;
		if (fchdir(cwd) < 0)
			fatal("cannot return to the working directory");
	} else {
		e = errno;
	}
	close(cwd);
	errno = e;
	return rc;
}

long ctl_request(int dirfd, char op, const char *arg, uint8_t *buf, size_t cap)
{
	char req[CTL_REQ_MAX + 1];
	if (strlen(arg) > RC_NOTICE_ID_MAX) {
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
	if (sock_at(dirfd, fd, false) == 0 && send(fd, req, (size_t)n, MSG_NOSIGNAL) == n)
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

int ctl_listen(int dirfd)
{
	/* Stale: we hold the lock, so no other agent owns it. unlinkat removes a link itself. */
	if (unlinkat(dirfd, AGENTD_CTL_FILE, 0) < 0 && errno != ENOENT)
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (sock_at(dirfd, fd, true) < 0 || listen(fd, 4) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

size_t ctl_handle(struct rc_agent *a, const char *req, size_t n, bool owner, unsigned uid,
		  uint8_t out[static CTL_MSG_MAX])
{
	size_t len = 1;
	out[0] = RC_OK;
	if (n < 1 || (req[0] != CTL_STATUS && !owner)) {
		out[0] = RC_ERR_INVALID;
	} else if (req[0] == CTL_STATUS) {
		struct rc_agent_status st;
		struct rc_notice nt;
		rc_agent_status(a, &st);
		memcpy(out + len, &st, sizeof(st));
		len += sizeof(st);
		uint64_t refused = hooks_refused();
		for (int i = 7; i >= 0; i--)
			out[len++] = (uint8_t)(refused >> (8 * i));
		struct rc_str parts[2] = {{NULL, 0}, {NULL, 0}};
		if (rc_agent_notice(a, &nt) == RC_OK) {
			parts[0] = nt.text;
			parts[1] = nt.remedy_url;
		}
		for (int i = 0; i < 2; i++) {
			out[len++] = (uint8_t)(parts[i].n >> 8);
			out[len++] = (uint8_t)parts[i].n;
			if (parts[i].n)
				memcpy(out + len, parts[i].p, parts[i].n);
			len += parts[i].n;
		}
	} else if (req[0] == CTL_OVERRIDE) {
		log_info("control: override %s (uid %u)", req[1] ? req + 1 : "all", uid);
		out[0] = (uint8_t)rc_agent_override(a, req[1] ? req + 1 : NULL);
	} else if (req[0] == CTL_CLEAR) {
		log_info("control: override --clear (uid %u)", uid);
		out[0] = (uint8_t)rc_agent_override_clear(a);
	} else {
		out[0] = RC_ERR_INVALID;
	}
	return len;
}

int ctl_status_decode(const uint8_t *buf, size_t n, struct ctl_status *s)
{
	size_t off = 1 + sizeof(s->st) + 8;
	if (n < off + 4 || buf[0] != RC_OK)
		return -1;
	memcpy(&s->st, buf + 1, sizeof(s->st));
	s->hooks_refused = 0;
	for (size_t i = 1 + sizeof(s->st); i < off; i++)
		s->hooks_refused = s->hooks_refused << 8 | buf[i];
	struct rc_str *parts[2] = {&s->text, &s->url};
	for (int i = 0; i < 2; i++) {
		if (off + 2 > n)
			return -1;
		size_t l = (size_t)buf[off] << 8 | buf[off + 1];
		off += 2;
		if (l > n - off)
			return -1;
		parts[i]->p = (const char *)buf + off;
		parts[i]->n = l;
		off += l;
	}
	return off == n ? 0 : -1;
}
