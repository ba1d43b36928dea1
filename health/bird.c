/* BIRD's control socket, as birdc speaks it: a greeting, then one command per line, each
 * answered by lines "DDDD-text" (more follow), " text" (continuation) and a last "DDDD text".
 * Codes 0xxx are success ("0010 already enabled" too), 8xxx and 9xxx errors. The commands are
 * built only from protocol names checked at start-up; nothing from the network goes in. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "hc.h"

#define BIRD_TIMEOUT_MS 2000

bool hc_bird_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (!n || n > 63 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_'))
			return false;
	}
	return true;
}

int hc_bird_line(const char *line, size_t n, int *code, bool *last)
{
	if (n >= 1 && line[0] == ' ') {
		*code = -1;
		*last = false;
		return 0;
	}
	if (n < 5)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		v = v * 10 + (line[i] - '0');
	}
	if (line[4] != '-' && line[4] != ' ')
		return -1;
	*code = v;
	*last = line[4] == ' ';
	return 0;
}

struct conn {
	int fd;
	char buf[4096];
	size_t len;
};

/* Read lines until the last one of a reply; its code, or -1 with err. */
static int reply(struct conn *c, char *err, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			int code;
			bool last;
			if (hc_bird_line(c->buf, n, &code, &last) < 0) {
				snprintf(err, cap, "BIRD: a line not in its reply form");
				return -1;
			}
			if (last && code >= 8000) /* keep the error text for the log */
				snprintf(err, cap, "BIRD: %.*s", (int)(n > 200 ? 200 : n), c->buf);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			if (last)
				return code;
			continue;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(err, cap, "BIRD sent a line longer than %zu bytes",
				 sizeof(c->buf));
			return -1;
		}
		struct pollfd pf = {.fd = c->fd, .events = POLLIN};
		int r = poll(&pf, 1, BIRD_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t got = r > 0 ? read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len) : -1;
		if (got <= 0) {
			snprintf(err, cap, "BIRD: %s",
				 r == 0     ? "no reply"
				 : got == 0 ? "closed the connection"
					    : strerror(errno));
			return -1;
		}
		c->len += (size_t)got;
	}
}

int hc_bird_exchange(int fd, const char *const *protos, size_t n, bool enable, char *err,
		     size_t cap)
{
	struct conn c = {.fd = fd};
	int rc = reply(&c, err, cap); /* the greeting, "0001 BIRD 2.x ready." */
	if (rc >= 0 && rc != 1) {
		snprintf(err, cap, "BIRD: not its greeting (code %04d)", rc);
		rc = -1;
	}
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		char cmd[96];
		int len =
		    snprintf(cmd, sizeof(cmd), "%s %s\n", enable ? "enable" : "disable", protos[i]);
		if (write(c.fd, cmd, (size_t)len) != len) {
			snprintf(err, cap, "BIRD: write: %s", strerror(errno));
			rc = -1;
		} else if ((rc = reply(&c, err, cap)) >= 1000) {
			if (rc < 8000)
				snprintf(err, cap, "BIRD: unexpected reply code %04d", rc);
			rc = -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

int hc_bird_set(const char *path, const char *const *protos, size_t n, bool enable, char *err,
		size_t cap)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, cap, "%s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, cap, "%s: %s (is BIRD running?)", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = hc_bird_exchange(fd, protos, n, enable, err, cap);
	close(fd);
	return rc;
}
