/* recall-gate's frame headers (gate/frame.c gate_frame_parse): the IPv4 or IPv6 and UDP headers
 * of a frame from the LAN's packet socket. The first input byte picks the ethertype (even:
 * IPv4, odd: IPv6, 0xff: another), the rest is the frame's payload as the socket gives it.
 * Accepted frames must name what the bytes say; nothing reads past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>

#include "gated.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint16_t et = data[0] == 0xff ? ETH_P_ARP : (data[0] & 1) ? ETH_P_IPV6 : ETH_P_IP;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	struct gate_frame f;
	if (gate_frame_parse(p, n, et, &f) < 0)
		return 0;
	if (et == ETH_P_IP) {
		size_t off = (size_t)(p[0] & 0x0f) * 4;
		if (f.family != 4 || memcmp(f.src, p + 12, 4) || off + 8 > n || p[9] != 17)
			abort();
		if (f.dport != (uint16_t)(p[off + 2] << 8 | p[off + 3]))
			abort();
	} else if (et == ETH_P_IPV6) {
		if (f.family != 6 || memcmp(f.src, p + 8, 16) || n < 48 || p[6] != 17)
			abort();
	} else {
		abort();
	}
	if (f.ulen < 8)
		abort();
	return 0;
}
