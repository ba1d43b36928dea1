/* The owner's commands over the control socket: `recall-gate status [--json]` and
 * `recall-gate action MAC ACTION [VERSION]`. Exit status: 0 done, 1 refused or daemon
 * unreachable. Device text is printed through rc_text_safe (a friendlyName is the device's). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gated.h"
#include "recall/text.h"

#define REPLY_MAX (16u << 20)

int gate_ctl_request(const char *path, char op, const char *const *s, size_t n, char **out,
		     size_t *outlen, int *status)
{
	char msg[GATED_REQ_MAX];
	size_t len = 0;
	msg[len++] = op;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(s[i]) + 1;
		if (len + l > sizeof(msg)) {
			errno = E2BIG;
			return -1;
		}
		memcpy(msg + len, s[i], l);
		len += l;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char *buf = NULL;
	size_t cap = 0, got = 0;
	int rc = -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len) {
		for (;;) {
			if (cap - got < 65536) {
				char *nb =
				    cap + 65536 <= REPLY_MAX ? realloc(buf, cap + 65536 + 1) : NULL;
				if (!nb) {
					errno = EFBIG;
					break;
				}
				buf = nb;
				cap += 65536;
			}
			ssize_t r = recv(fd, buf + got, cap - got, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			if (r == 0) {
				rc = got ? 0 : -1;
				if (!got)
					errno = ECONNRESET;
				break;
			}
			got += (size_t)r;
		}
	}
	int e = errno;
	close(fd);
	if (rc < 0) {
		free(buf);
		errno = e;
		return -1;
	}
	buf[got] = 0;
	*status = buf[0] == '0' ? 0 : 1;
	memmove(buf, buf + 1, got);
	*out = buf;
	*outlen = got - 1;
	return 0;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void print_safe(const char *label, const char *s)
{
	char safe[RC_TEXT_SAFE_CAP(256)];
	rc_text_safe(safe, sizeof(safe), s, strnlen(s, 256), RC_TEXT_ONELINE);
	printf("  %-14s %s", label, safe);
}

static void print_device(json_t *d)
{
	json_t *v, *id = json_object_get(d, "identity");
	size_t i;
	const char *k;
	printf("%s  %s  %s  policy %s  confidence %s%s\n", jstr(d, "mac"),
	       json_is_true(json_object_get(d, "present")) ? "present" : "absent", jstr(d, "state"),
	       jstr(d, "policy"), jstr(d, "confidence"),
	       json_is_true(json_object_get(d, "mac_random")) ? "  (random MAC)" : "");
	if (id) {
		char line[400];
		snprintf(line, sizeof(line), "%s %s%s%s%s%s", jstr(id, "vendor"), jstr(id, "model"),
			 *jstr(id, "hwrev") ? " hw " : "", jstr(id, "hwrev"),
			 *jstr(id, "fwver") ? " fw " : "", jstr(id, "fwver"));
		print_safe("identity", line);
		putchar('\n');
	}
	if (*jstr(d, "mapping")) {
		print_safe("mapping", jstr(d, "mapping"));
		putchar('\n');
	}
	printf("  %-14s", "addresses");
	json_array_foreach(json_object_get(d, "addrs"), i, v) printf(" %s", jstr(v, "addr"));
	putchar('\n');
	json_object_foreach(json_object_get(d, "fields"), k, v)
	{
		print_safe(k, jstr(v, "value"));
		printf("  [%s]\n", jstr(v, "source"));
	}
	if (*jstr(d, "notice")) {
		print_safe("notice", jstr(d, "notice"));
		putchar('\n');
	}
}

int cmd_status(const char *ctl, bool json)
{
	char *buf;
	size_t len;
	int st;
	if (gate_ctl_request(ctl, GATE_OP_STATUS, NULL, 0, &buf, &len, &st) < 0) {
		fprintf(stderr, "recall-gate: %s: %s (is the daemon running?)\n", ctl,
			strerror(errno));
		return 1;
	}
	int rc = st;
	if (st != 0 || json) {
		fwrite(buf, 1, len, st ? stderr : stdout);
		fputc('\n', st ? stderr : stdout);
	} else {
		json_error_t je;
		json_t *root = json_loadb(buf, len, 0, &je), *d;
		size_t i;
		if (!root) {
			fprintf(stderr, "recall-gate: status reply: %d:%d: %s\n", je.line,
				je.column, je.text);
			rc = 1;
		}
		json_t *devs = json_object_get(root, "devices");
		printf("%zu devices\n", json_array_size(devs));
		json_array_foreach(devs, i, d) print_device(d);
		json_decref(root);
	}
	free(buf);
	return rc;
}

int cmd_action(const char *ctl, int argc, char **argv)
{
	char *buf;
	size_t len;
	int st;
	if (gate_ctl_request(ctl, GATE_OP_ACTION, (const char *const *)argv, (size_t)argc, &buf,
			     &len, &st) < 0) {
		fprintf(stderr, "recall-gate: %s: %s (is the daemon running?)\n", ctl,
			strerror(errno));
		return 1;
	}
	if (st) {
		char safe[RC_TEXT_SAFE_CAP(512)];
		rc_text_safe(safe, sizeof(safe), buf, len < 512 ? len : 512, RC_TEXT_ONELINE);
		fprintf(stderr, "recall-gate: action refused: %s\n", safe);
	}
	free(buf);
	return st;
}
