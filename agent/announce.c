/* LAN announcement (docs/ANNOUNCE.md): one JSON object per UDP datagram, sent with TTL/hop
 * limit 1 to 239.255.74.12 and ff02::7412, port 7413 (announce-to), when the owner is told
 * something and then every announce-interval while a notice is held. A home gateway or a phone
 * app listening on the group shows it. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agentd.h"
#include "log.h"
#include "recall/text.h"

static int fd4 = -1, fd6 = -1;
static char msg[AGENTD_ANN_MAX];

size_t json_escape(char *out, size_t cap, size_t used, const char *s, size_t n)
{
	/* rc_text_safe's JSON mode: control, C1, bidi and invisible characters as \u escapes, so
	 * the datagram (or status --json) is harmless on a terminal and lossless to a reader. */
	if (used >= cap)
		return used;
	return used + rc_text_safe(out + used, cap - used, s, n, RC_TEXT_JSON);
}

static size_t put(char *out, size_t cap, size_t used, const char *key, const char *v, size_t n)
{
	if (used + strlen(key) + 8 >= cap)
		return used;
	used += (size_t)snprintf(out + used, cap - used, "%s\"%s\":\"", used > 1 ? "," : "", key);
	used = json_escape(out, cap - 2, used, v, n);
	used += (size_t)snprintf(out + used, cap - used, "\"");
	return used;
}

#define PUTS(k, v) used = put(out, cap, used, k, v, strlen(v))

size_t announce_format(char *out, size_t cap, const struct agentd *d, const char *event,
		       const char *state, const struct rc_notice *n)
{
	size_t used = (size_t)snprintf(out, cap, "{\"recall-agent\":1");
	PUTS("event", event);
	PUTS("state", state);
	PUTS("vendor", d->vendor);
	PUTS("model", d->model);
	PUTS("hwrev", d->hwrev);
	PUTS("fwver", d->fwver);
	if (n) {
		used = put(out, cap, used, "notice", n->id.p, n->id.n);
		PUTS("action", rc_action_name(n->action));
		PUTS("severity", rc_severity_name(n->severity));
		used += (size_t)snprintf(out + used, cap - used, ",\"expiry\":%llu",
					 (unsigned long long)n->expiry);
		used = put(out, cap, used, "url", n->remedy_url.p, n->remedy_url.n);
		/* The text goes last: it is what gets shortened if the datagram is full. */
		used = put(out, cap - 1, used, "text", n->text.p, n->text.n);
	}
	if (used + 1 < cap) {
		out[used++] = '}';
		out[used] = 0;
	}
	return used;
}

int announce_init(const struct agentd *d)
{
	if (!d->c.announce)
		return 0;
	unsigned ifindex = 0;
	if (d->c.announce_interface && *d->c.announce_interface) {
		ifindex = if_nametoindex(d->c.announce_interface);
		if (!ifindex) {
			log_warn("announce-interface %s", d->c.announce_interface);
			return -1;
		}
	}
	int one = 1;
	for (size_t i = 0; i < d->c.announce_to.n; i++) {
		int fam = d->c.announce_to.v[i].family;
		int *fd = fam == AF_INET ? &fd4 : &fd6;
		if (*fd >= 0)
			continue;
		*fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (*fd < 0) {
			log_warn("announce socket");
			continue;
		}
		if (fam == AF_INET) {
			unsigned char ttl = 1;
			setsockopt(*fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
			setsockopt(*fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
			if (ifindex) {
				struct ip_mreqn m = {.imr_ifindex = (int)ifindex};
				setsockopt(*fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof(m));
			}
		} else {
			setsockopt(*fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof(one));
			setsockopt(*fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof(one));
			if (ifindex)
				setsockopt(*fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
					   sizeof(ifindex));
		}
	}
	return 0;
}

void announce_send(const struct agentd *d, const char *event, const char *state,
		   const struct rc_notice *n)
{
	if (!d->c.announce)
		return;
	size_t len = announce_format(msg, sizeof(msg), d, event, state, n);
	unsigned ifindex = d->c.announce_interface && *d->c.announce_interface
			       ? if_nametoindex(d->c.announce_interface)
			       : 0;
	for (size_t i = 0; i < d->c.announce_to.n; i++) {
		const struct conf_addr *a = &d->c.announce_to.v[i];
		uint16_t port = a->port ? a->port : AGENTD_ANN_PORT;
		struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		ssize_t r;
		if (a->family == AF_INET) {
			memcpy(&s4.sin_addr, a->addr, 4);
			r = fd4 < 0 ? -1
				    : sendto(fd4, msg, len, 0, (struct sockaddr *)&s4, sizeof(s4));
		} else {
			memcpy(&s6.sin6_addr, a->addr, 16);
			s6.sin6_scope_id = ifindex;
			r = fd6 < 0 ? -1
				    : sendto(fd6, msg, len, 0, (struct sockaddr *)&s6, sizeof(s6));
		}
		if (r < 0)
			log_debug("announce to destination %zu: not sent", i);
	}
}
