/* The device image: the same glue and core as the test image, without the scenario and its
 * responder, linked to measure what a product carries (docs/PERFORMANCE.md "Issue 17"). The
 * network driver (absent on this board) fills rx from its receive interrupt. */
#include "board.h"
#include "glue.h"
#include "vectors.h"

static uint8_t rx[RC_ANSWER_MAX];
static volatile size_t rx_len;
static struct rc_src rx_from;

int m3_net_send(const struct rc_src *to, const uint8_t *buf, size_t len)
{
	(void)to, (void)buf, (void)len;
	return -1; /* a driver or lwIP's udp_sendto goes here */
}

int main(void)
{
	struct m3_boot b = {M3_FW_OLD, M3_WALL_BASE, {4, {192, 0, 2, 1}, RC_PORT}};
	if (m3_glue_boot(&b) != RC_OK)
		return 1;
	for (;;) {
		if (rx_len) {
			m3_glue_input(rx, rx_len, &rx_from);
			rx_len = 0;
		}
		m3_glue_tick();
		__asm__ volatile("wfi"); /* SysTick wakes it; the driver's interrupt too */
	}
}
