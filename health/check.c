/* One real check-in to the node's own recalld, as a device sends it: 1200 bytes from
 * librecall's encoder with a fresh nonce, a fixed test identity. Healthy means the answer
 * came from the address asked, decodes strictly, echoes the nonce, and is clear or a recall
 * (verified with the anchors when given): retry-later is what recalld answers with an
 * expired feed, so a stale node fails its check. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "hc.h"
#include "recall/notice.h"

int hc_check_identity(struct hc_check *c, const char *vendor, const char *model, const char *fwver,
		      char *err, size_t cap)
{
	const char *in[2] = {vendor, model}, *name[2] = {"vendor", "model"};
	char *out[2] = {c->vendor, c->model};
	for (int i = 0; i < 2; i++) {
		if (rc_name_canon(out[i], RC_NAME_MAX + 1, in[i], strlen(in[i])) <= 0) {
			snprintf(err, cap, "%s: empty or too long once canonicalised", name[i]);
			return -1;
		}
	}
	if (strlen(fwver) > RC_FWVER_MAX || !rc_fwver_valid(rc_str_c(fwver))) {
		snprintf(err, cap, "fwver: 1..64 printable ASCII bytes, no space at either end");
		return -1;
	}
	strcpy(c->fwver, fwver);
	c->id = (struct rc_identity){.vendor = rc_str_c(c->vendor),
				     .model = rc_str_c(c->model),
				     .hwrev = rc_str_c(""),
				     .fwver = rc_str_c(c->fwver)};
	return 0;
}

int hc_target_parse(struct hc_target *t, const char *addr, unsigned port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	if (strlen(addr) >= sizeof(t->text) || getaddrinfo(addr, ps, &hints, &res))
		return -1;
	memset(t, 0, sizeof(*t));
	memcpy(&t->sa, res->ai_addr, res->ai_addrlen);
	t->len = res->ai_addrlen;
	strcpy(t->text, addr);
	freeaddrinfo(res);
	return 0;
}

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A decoded answer to our nonce: accepted and verified, or why not. */
static int judge(const struct hc_check *c, const struct rc_answer *a, char *why, size_t cap)
{
	if (!(c->expect & (1u << a->type))) {
		snprintf(why, cap, "answer is %s%s", rc_msg_type_name(a->type),
			 a->type == RC_MSG_RETRY ? " (an expired feed or an overloaded node)" : "");
		return -1;
	}
	if (a->type == RC_MSG_CLEAR) {
		snprintf(why, cap, "clear, feed serial %llu", (unsigned long long)a->serial);
		return 0;
	}
	if (!c->have_anchors) {
		snprintf(why, cap, "recalled (notice not verified: no anchors given)");
		return 0;
	}
	struct rc_notice n;
	struct rc_diag d = {0, NULL};
	int err = rc_notice_check(&n, a->blob, a->blob_len, &c->anchors, &c->id,
				  (uint64_t)time(NULL), true, NULL, &d);
	if (err) {
		snprintf(why, cap, "recalled, but the notice is not valid: %s%s%s",
			 d.field ? d.field : "", d.field ? ": " : "", rc_strerror(err));
		return -1;
	}
	snprintf(why, cap, "recalled, notice verified");
	return 0;
}

int hc_check_once(const struct hc_check *c, const struct hc_target *t, char *why, size_t cap)
{
	struct rc_checkin ci = {.reason = RC_REASON_PERIODIC,
				.state = RC_STATE_NORMAL,
				.anchor_epoch = c->have_anchors ? c->anchors.epoch : 0,
				.id = c->id};
	randombytes_buf(ci.nonce, sizeof(ci.nonce));
	uint8_t req[RC_CHECKIN_SIZE], buf[RC_ANSWER_MAX + 1];
	int err = rc_checkin_encode(&ci, req);
	if (err) {
		snprintf(why, cap, "check-in does not encode: %s", rc_strerror(err));
		return -1;
	}
	/* connect(): the kernel drops datagrams from any other address and port */
	int fd = socket(t->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&t->sa, t->len) < 0 ||
	    send(fd, req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		snprintf(why, cap, "send: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	double deadline = mono_ms() + c->timeout_ms;
	const char *ignored = NULL;
	int rc = -1;
	for (;;) {
		double left = deadline - mono_ms();
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int r = left > 0 ? poll(&pf, 1, (int)left + 1) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, cap, "no answer within %u ms%s%s", c->timeout_ms,
				 ignored ? ", ignored " : "", ignored ? ignored : "");
			break;
		}
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			snprintf(why, cap, "%s",
				 errno == ECONNREFUSED ? "port unreachable: recalld is not running"
						       : strerror(errno));
			break;
		}
		struct rc_answer a;
		struct rc_diag d = {0, NULL};
		if ((size_t)n > RC_ANSWER_MAX || rc_answer_decode(&a, buf, (size_t)n, &d))
			ignored = "an answer that does not decode";
		else if (sodium_memcmp(a.nonce, ci.nonce, RC_NONCE_LEN))
			ignored = "an answer to another check-in";
		else {
			rc = judge(c, &a, why, cap);
			break;
		}
	}
	close(fd);
	return rc;
}
