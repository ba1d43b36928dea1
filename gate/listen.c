/* What devices say on the LAN: SSDP (NOTIFY on 239.255.255.250:1900, and the replies to our
 * M-SEARCH ssdp:all), mDNS / DNS-SD (224.0.0.251:5353, answers to our query for the service
 * list and a few common services), and recall-agent announcements (239.255.74.12 and
 * ff02::7412, port 7413, docs/ANNOUNCE.md).
 *
 * A datagram counts only if it arrived on the LAN interface (IP_PKTINFO / IPV6_PKTINFO: the
 * sockets are bound to the wildcard address so that multicast reaches them, which also lets
 * unicast on the WAN in; no CAP_NET_RAW for SO_BINDTODEVICE needed). It is attributed to a
 * device by its SOURCE address, through the addresses the neighbour table and DHCP gave the
 * inventory: whatever the body says about MACs or other devices, only the sender's own entry
 * is touched. A source address is the sender's to choose, so the datagram must also have come
 * in a frame from the MAC the inventory holds for that address (frame.c); else it is dropped
 * and counted (lan_mac_mismatch, lan_unverified). Each source has a token bucket; drops and
 * malformed input are counted, and logged through a rate limiter. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gated.h"
#include "helper.h"
#include "log.h"

#define SSDP_V4   "239.255.255.250"
#define MDNS_V4   "224.0.0.251"
#define ANN_V4    "239.255.74.12"
#define ANN_V6    "ff02::7412"
#define PKT_MAX   9000 /* larger datagrams are truncated and refused */
#define SRC_MAX   64   /* sources with their own token bucket (least recently used reused) */
#define SRC_RATE  5.0  /* datagrams per second per source ... */
#define SRC_BURST 20.0 /* ... after a burst of this many */

enum kind { K_SSDP, K_SEARCH, K_MDNS, K_ANN4, K_ANN6, K__N };
static int fds[K__N] = {-1, -1, -1, -1, -1};
static unsigned ifindex;
static uint16_t port_of[K__N] = {1900, 0, 5353, 7413, 7413}; /* [K_SEARCH]: once bound */
static struct gate_listen_stats st;
static struct log_rate rl;
static uint64_t last_redump_ms;

static struct bucket {
	struct gate_addr a;
	double tokens;
	uint64_t last_ms;
} src[SRC_MAX];

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* True if the source may send one more datagram now. */
static bool src_allow(const struct gate_addr *a)
{
	uint64_t now = mono_ms();
	struct bucket *b = NULL, *lru = &src[0];
	for (size_t i = 0; i < SRC_MAX; i++) {
		if (src[i].a.family == a->family && !memcmp(src[i].a.a, a->a, 16)) {
			b = &src[i];
			break;
		}
		if (src[i].last_ms < lru->last_ms)
			lru = &src[i];
	}
	if (!b) {
		b = lru;
		b->a = *a;
		b->tokens = SRC_BURST;
		b->last_ms = now;
	}
	b->tokens += (double)(now - b->last_ms) * SRC_RATE / 1000.0;
	if (b->tokens > SRC_BURST)
		b->tokens = SRC_BURST;
	b->last_ms = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static int udp4(uint16_t port, const char *group, bool reuseport, char *err, size_t errlen)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1, zero = 0;
	int ttl = port == 5353 ? 255 : 2;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct ip_mreqn mr = {.imr_ifindex = (int)ifindex};
	struct ip_mreqn mif = {.imr_ifindex = (int)ifindex};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof(mif)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	if (group) {
		inet_pton(AF_INET, group, &mr.imr_multiaddr);
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto fail;
	}
	return fd;
fail:
	snprintf(err, errlen, "UDP port %u%s%s: %s", port, group ? " group " : "",
		 group ? group : "", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int udp6(uint16_t port, const char *group, char *err, size_t errlen)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct ipv6_mreq mr = {.ipv6mr_interface = ifindex};
	inet_pton(AF_INET6, group, &mr.ipv6mr_multiaddr);
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0) {
		snprintf(err, errlen, "UDP port %u group %s: %s", port, group, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int gate_listen_open(struct gate *g, char *err, size_t errlen)
{
	ifindex = if_nametoindex(g->cfg.interface);
	if (!ifindex) {
		snprintf(err, errlen, "interface %s: %s", g->cfg.interface, strerror(errno));
		return -1;
	}
	log_rate_init(&rl, 1, 10);
	if ((fds[K_SSDP] = udp4(1900, SSDP_V4, false, err, errlen)) < 0 ||
	    (fds[K_SEARCH] = udp4(0, NULL, false, err, errlen)) < 0 ||
	    (fds[K_MDNS] = udp4(5353, MDNS_V4, true, err, errlen)) < 0 ||
	    (fds[K_ANN4] = udp4(7413, ANN_V4, false, err, errlen)) < 0)
		return -1;
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	if (getsockname(fds[K_SEARCH], (struct sockaddr *)&me, &ml) < 0) {
		snprintf(err, errlen, "SSDP search socket: %s", strerror(errno));
		return -1;
	}
	port_of[K_SEARCH] = ntohs(me.sin_port);
	/* Without the frames' source MACs no datagram can be told from a forged one: none is
	 * taken (the neighbour table and DHCP still work). */
	const uint16_t ports[] = {1900, 5353, 7413, port_of[K_SEARCH]};
	char ef[256];
	if (gate_frame_open(ifindex, ports, 4, ef, sizeof(ef)) < 0) {
		log_warnx("%s: SSDP, mDNS and agent announcements are not listened to", ef);
		gate_listen_close();
		return 0;
	}
	/* IPv6 announcements need IPv6 on the LAN; without it the gate still hears IPv4 ones. */
	char e6[256];
	if ((fds[K_ANN6] = udp6(7413, ANN_V6, e6, sizeof(e6))) < 0)
		log_warnx("announcements over IPv6 not heard: %s", e6);
	return 0;
}

size_t gate_listen_fds(int *out, size_t cap)
{
	size_t n = 0;
	for (int k = 0; k < K__N && n < cap; k++)
		if (fds[k] >= 0)
			out[n++] = fds[k];
	return n;
}

const struct gate_listen_stats *gate_listen_stats(void)
{
	return &st;
}

void gate_listen_close(void)
{
	gate_frame_close();
	for (int k = 0; k < K__N; k++) {
		if (fds[k] >= 0)
			close(fds[k]);
		fds[k] = -1;
	}
}

static void send_v4(int fd, const char *group, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, group, &sa.sin_addr);
	if (fd >= 0 && sendto(fd, p, n, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		log_warnx_rl(&rl, "send to %s:%u: %s", group, port, strerror(errno));
}

/* The DNS-SD query (the service list and services devices commonly announce) is built by
 * the helper with ldns, once; the first search sends it when it is ready. */
static void mdns_query(void)
{
	uint8_t wire[HELPER_QUERY_MAX];
	size_t n = gate_fetch_mdns_query(wire, sizeof(wire));
	if (n)
		send_v4(fds[K_MDNS], MDNS_V4, 5353, wire, n);
}

void gate_listen_query_ready(const uint8_t *wire, size_t n)
{
	send_v4(fds[K_MDNS], MDNS_V4, 5353, wire, n);
}

void gate_listen_bad(const char *what, const char *from, const char *err)
{
	st.bad++;
	log_warnx_rl(&rl, "%s from %s: %s", what, from, err);
}

void gate_listen_search(struct gate *g)
{
	static const char msearch[] = "M-SEARCH * HTTP/1.1\r\n"
				      "HOST: 239.255.255.250:1900\r\n"
				      "MAN: \"ssdp:discover\"\r\n"
				      "MX: 2\r\n"
				      "ST: ssdp:all\r\n"
				      "USER-AGENT: Linux UPnP/1.1 recall-gate/1\r\n\r\n";
	send_v4(fds[K_SEARCH], SSDP_V4, 1900, msearch, sizeof(msearch) - 1);
	mdns_query();
}

/* The arrival interface of a datagram, from its IP_PKTINFO / IPV6_PKTINFO; 0 if absent. */
static unsigned arrival_if(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return (unsigned)pi.ipi_ifindex;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return pi.ipi6_ifindex;
		}
	}
	return 0;
}

/* The inventory's device for the address, after one neighbour dump (at most every 2 s) if it
 * has none or another MAC than the frame's (the kernel may have learnt it since). */
static struct gate_device *resolve(struct gate *g, const struct gate_addr *from,
				   const uint8_t mac[6])
{
	struct gate_device *d = gate_inv_by_addr(g->inv, from);
	if (d && !memcmp(d->mac, mac, 6))
		return d;
	uint64_t now = mono_ms();
	if (now - last_redump_ms >= 2000) {
		last_redump_ms = now;
		gate_neigh_dump(g);
	}
	return gate_inv_by_addr(g->inv, from);
}

static void handle(struct gate *g, enum kind k, const uint8_t *p, size_t n,
		   const struct gate_addr *from, const uint8_t mac[6])
{
	static const char *const what[K__N] = {"SSDP", "SSDP", "mDNS", "announcement",
					       "announcement"};
	char err[256], a[64];
	struct gate_obs o;
	memset(&o, 0, sizeof(o));
	int rc = 0;
	if (k == K_SSDP || k == K_SEARCH)
		rc = gate_ssdp_parse(p, n, &o, err, sizeof(err));
	else if (k != K_MDNS) /* mDNS: parsed by the helper once the sender is checked */
		rc = gate_announce_parse(p, n, &o, err, sizeof(err));
	gate_addr_format(from, a, sizeof(a));
	if (rc < 0) {
		st.bad++;
		log_warnx_rl(&rl, "%s from %s: %s", what[k], a, err);
		return;
	}
	/* The sender speaks for itself only: its MAC comes from the inventory, by address. */
	memset(o.mac, 0, sizeof(o.mac));
	o.has_mac = false;
	o.addr = *from;
	o.addr.seen = 0;
	struct gate_device *d = resolve(g, from, mac);
	if (!d) {
		st.unresolved++;
		log_debug("%s from %s: no device with that address yet", what[k], a);
		return;
	}
	if (memcmp(d->mac, mac, 6)) {
		char fm[18], dm[18];
		gate_mac_format(mac, fm);
		gate_mac_format(d->mac, dm);
		st.mac_mismatch++;
		log_warnx_rl(&rl,
			     "%s from %s sent by %s, but %s holds that address: dropped "
			     "(a forged source address?)",
			     what[k], a, fm, dm);
		return;
	}
	if (k == K_MDNS)
		gate_fetch_mdns(g, p, n, from, mac);
	else
		gate_observe(g, &o);
}

void gate_listen_input(struct gate *g, int fd)
{
	static uint8_t pkt[PKT_MAX];
	enum kind k = K__N;
	for (int i = 0; i < K__N; i++)
		if (fds[i] == fd)
			k = (enum kind)i;
	if (k == K__N)
		return;
	for (int round = 0; round < 32; round++) {
		struct sockaddr_storage ss;
		union {
			char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
			struct cmsghdr align;
		} cb;
		struct iovec iov = {pkt, sizeof(pkt)};
		struct msghdr mh = {.msg_name = &ss,
				    .msg_namelen = sizeof(ss),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cb.b,
				    .msg_controllen = sizeof(cb.b)};
		ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (r < 0)
			return;
		st.rx++;
		struct gate_addr from = {0};
		uint16_t sport;
		if (ss.ss_family == AF_INET) {
			from.family = 4;
			memcpy(from.a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
			sport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			from.family = 6;
			memcpy(from.a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			sport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		} else {
			continue;
		}
		if (arrival_if(&mh) != ifindex) {
			st.foreign_if++;
			continue;
		}
		if (!src_allow(&from)) {
			st.ratelimited++;
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			st.bad++;
			log_warnx_rl(&rl, "datagram over %d bytes refused", PKT_MAX);
			continue;
		}
		uint8_t mac[6];
		if (!gate_frame_mac(&from, sport, port_of[k], (size_t)r, mac)) {
			char a[64];
			gate_addr_format(&from, a, sizeof(a));
			st.unverified++;
			log_warnx_rl(&rl, "datagram from %s: its frame was not seen, dropped", a);
			continue;
		}
		handle(g, k, pkt, (size_t)r, &from, mac);
	}
}
