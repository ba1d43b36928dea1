/* Which Ethernet address sent a LAN datagram. The UDP sockets of listen.c give the source IP
 * address only, and a LAN host can send from any IP address it likes (it adds another
 * device's address to its own interface): attributed by that address, its announcement would
 * speak for the other device. So every datagram to the listeners' ports is also taken from a
 * packet socket bound to the LAN interface (AF_PACKET, SOCK_DGRAM: the frame's source MAC in
 * sockaddr_ll; a classic BPF filter keeps only first fragments of UDP datagrams to those ports,
 * and only their IP and UDP headers). listen.c pairs each datagram it receives with its frame
 * (source address and port, destination port, UDP length) and accepts it only if that MAC is
 * the one the inventory holds for the source address.
 *
 * The packet socket sees a frame before the IP layer hands its datagram to a UDP socket (taps
 * run first in the receive path), so a datagram without a frame is one this socket lost (its
 * buffer overflowed): it is dropped, never trusted. Needs CAP_NET_RAW. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gated.h"

#define RING     256  /* frames waiting for their datagram */
#define FRAME_MS 2000 /* a frame older than this pairs with nothing */
#define SNAP     128  /* bytes of each frame kept: IPv4 header with options, or IPv6, and UDP */

static int pfd = -1;
static struct slot {
	struct gate_frame f;
	uint64_t ms;
	bool used;
} ring[RING];
static size_t head;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int gate_frame_parse(const uint8_t *p, size_t n, uint16_t ethertype, struct gate_frame *f)
{
	size_t off;
	memset(f, 0, sizeof(*f));
	if (ethertype == ETH_P_IP) {
		size_t ihl = n ? (size_t)(p[0] & 0x0f) * 4 : 0;
		/* version 4, a whole header, UDP, the first fragment (it has the UDP header) */
		if (n < 20 || p[0] >> 4 != 4 || ihl < 20 || p[9] != 17 || (be16(p + 6) & 0x1fff))
			return -1;
		f->family = 4;
		memcpy(f->src, p + 12, 4);
		off = ihl;
	} else if (ethertype == ETH_P_IPV6) {
		/* UDP right after the fixed header (extension headers: not for these protocols) */
		if (n < 40 || p[0] >> 4 != 6 || p[6] != 17)
			return -1;
		f->family = 6;
		memcpy(f->src, p + 8, 16);
		off = 40;
	} else {
		return -1;
	}
	if (n < off + 8)
		return -1;
	f->sport = be16(p + off);
	f->dport = be16(p + off + 2);
	f->ulen = be16(p + off + 4);
	return f->ulen < 8 ? -1 : 0;
}

/* The filter: IPv4 (first fragments) or IPv6 UDP to one of the ports; 128 bytes of it. */
static int attach(int fd, const uint16_t *ports, size_t np)
{
	struct sock_filter c[32];
	size_t i = 0;
	if (np < 1 || np > 8)
		return -1;
	size_t ports_at = 13, drop = ports_at + np, accept = drop + 1;
#define J(op, k, t, f) c[i] = (struct sock_filter)BPF_JUMP(op, k, t, f), i++
#define S(op, k)       c[i] = (struct sock_filter)BPF_STMT(op, k), i++
	S(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)); /* 0 */
	J(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, (uint8_t)(9 - 2));           /* 1 */
	S(BPF_LD | BPF_B | BPF_ABS, 9);                                        /* 2: protocol */
	J(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, (uint8_t)(drop - 4));              /* 3 */
	S(BPF_LD | BPF_H | BPF_ABS, 6);                                        /* 4: fragment */
	J(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, (uint8_t)(drop - 6), 0);         /* 5 */
	S(BPF_LDX | BPF_B | BPF_MSH, 0);                                       /* 6: X = IHL*4 */
	S(BPF_LD | BPF_H | BPF_IND, 2);                                        /* 7: dport */
	S(BPF_JMP | BPF_JA, (uint32_t)(ports_at - 9));                         /* 8 */
	J(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, (uint8_t)(drop - 10));     /* 9 */
	S(BPF_LD | BPF_B | BPF_ABS, 6);                                        /* 10: next hdr */
	J(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, (uint8_t)(drop - 12));             /* 11 */
	S(BPF_LD | BPF_H | BPF_ABS, 42);                                       /* 12: dport */
	for (size_t k = 0; k < np; k++)                                        /* 13.. */
		J(BPF_JMP | BPF_JEQ | BPF_K, ports[k], (uint8_t)(accept - (i + 1)), 0);
	S(BPF_RET | BPF_K, 0);    /* drop */
	S(BPF_RET | BPF_K, SNAP); /* accept */
#undef J
#undef S
	struct sock_fprog prog = {.len = (unsigned short)i, .filter = c};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

int gate_frame_open(unsigned ifindex, const uint16_t *ports, size_t np, char *err, size_t errlen)
{
	/* Protocol 0 until the filter is on: nothing is queued unfiltered. */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), sz = 256 * 1024;
	struct sockaddr_ll sl = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex};
	if (fd < 0 || attach(fd, ports, np) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) < 0 ||
	    bind(fd, (struct sockaddr *)&sl, sizeof(sl)) < 0) {
		snprintf(err, errlen, "packet socket on the LAN interface: %s%s", strerror(errno),
			 errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	gate_frame_close();
	pfd = fd;
	memset(ring, 0, sizeof(ring));
	return 0;
}

void gate_frame_close(void)
{
	if (pfd >= 0)
		close(pfd);
	pfd = -1;
}

/* Take every frame the socket holds into the ring (bounded: a flood overwrites old slots). */
static void drain(void)
{
	uint8_t b[SNAP];
	for (int k = 0; pfd >= 0 && k < RING; k++) {
		struct sockaddr_ll sl;
		socklen_t sl_len = sizeof(sl);
		ssize_t r =
		    recvfrom(pfd, b, sizeof(b), MSG_DONTWAIT, (struct sockaddr *)&sl, &sl_len);
		if (r < 0)
			return;
		struct slot *s = &ring[head];
		if (sl.sll_pkttype == PACKET_OUTGOING || sl.sll_halen != 6 ||
		    gate_frame_parse(b, (size_t)r, ntohs(sl.sll_protocol), &s->f) < 0)
			continue;
		memcpy(s->f.mac, sl.sll_addr, 6);
		s->ms = mono_ms();
		s->used = false;
		head = (head + 1) % RING;
	}
}

static bool take(const struct gate_addr *src, uint16_t sport, uint16_t dport, size_t ulen,
		 uint8_t mac[6])
{
	uint64_t now = mono_ms();
	size_t alen = src->family == 4 ? 4 : 16;
	/* oldest first: datagrams are read in the order their frames came */
	for (size_t k = 1; k <= RING; k++) {
		struct slot *s = &ring[(head + k) % RING];
		if (s->used || !s->f.family || now - s->ms > FRAME_MS ||
		    s->f.family != src->family || s->f.sport != sport || s->f.dport != dport ||
		    s->f.ulen != ulen || memcmp(s->f.src, src->a, alen))
			continue;
		s->used = true;
		memcpy(mac, s->f.mac, 6);
		return true;
	}
	return false;
}

bool gate_frame_mac(const struct gate_addr *src, uint16_t sport, uint16_t dport, size_t len,
		    uint8_t mac[6])
{
	if (len > 0xffff - 8)
		return false;
	drain();
	return take(src, sport, dport, len + 8, mac);
}
