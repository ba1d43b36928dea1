/* The emulated board: see board.h. Registers are the Armv7-M system ones (SysTick, SCB). */
#include "board.h"

#include <semihost.h>
#include <stdio.h>
#include <string.h>

#define SYST_CSR  (*(volatile uint32_t *)0xe000e010u)
#define SYST_RVR  (*(volatile uint32_t *)0xe000e014u)
#define SYST_CVR  (*(volatile uint32_t *)0xe000e018u)
#define SCB_AIRCR (*(volatile uint32_t *)0xe000ed0cu)
#define SYST_WRAP (1u << 24)

extern uint8_t m3_flash_slots[]; /* mps2-an385.ld */
extern uint32_t __stack_limit[], __stack[];
static volatile uint32_t wraps; /* SysTick reloads, counted by its interrupt */
static uint64_t skipped_ms;

void m3_systick(void);
void m3_systick(void)
{
	wraps++;
}

void board_init(void)
{
	SYST_RVR = SYST_WRAP - 1;
	SYST_CVR = 0;
	SYST_CSR = 7; /* processor clock, interrupt, enable */
}

uint64_t board_ticks(void)
{
	uint32_t w, v;
	do { /* a reload between the two reads shows as a changed wrap count */
		w = wraps;
		v = SYST_CVR;
	} while (w != wraps);
	return (uint64_t)w * SYST_WRAP + (SYST_WRAP - 1 - v);
}

uint64_t board_ms(void)
{
	return board_ticks() / (BOARD_CLOCK_HZ / 1000u) + skipped_ms;
}

void board_skip_ms(uint64_t ms)
{
	skipped_ms += ms;
}

size_t board_stack_peak(void)
{
	const uint32_t *p = __stack_limit;
	while (p < __stack && *p == BOARD_PAINT)
		p++;
	return (size_t)((const uint8_t *)__stack - (const uint8_t *)p);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int board_seed(uint8_t seed[32])
{
	char line[160];
	if (sys_semihost_get_cmdline(line, (int)sizeof(line)) != 0)
		return -1;
	/* The command line is "IMAGE HEX" (qemu puts the image name first). */
	const char *h = strrchr(line, ' ');
	h = h ? h + 1 : line;
	if (strlen(h) != 64)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		seed[i] = (uint8_t)(a << 4 | b);
	}
	return 0;
}

uint8_t *board_slot(unsigned i)
{
	return m3_flash_slots + (i & 1u) * BOARD_SLOT_SIZE;
}

void board_slot_erase(unsigned i)
{
	memset(board_slot(i), 0xff, BOARD_SLOT_SIZE);
}

void board_slot_program(unsigned i, size_t off, const void *data, size_t n)
{
	uint8_t *dst = board_slot(i) + off;
	const uint8_t *src = data;
	for (size_t k = 0; k < n && off + k < BOARD_SLOT_SIZE; k++)
		dst[k] &= src[k]; /* programming clears bits only, as on NOR flash */
}

uint32_t *board_noinit(void)
{
	return (uint32_t *)(void *)(m3_flash_slots + 2 * BOARD_SLOT_SIZE);
}

void board_reset(void)
{
	fflush(stdout);
	__asm__ volatile("dsb" ::: "memory");
	SCB_AIRCR = 0x05fa0004u; /* VECTKEY | SYSRESETREQ */
	__asm__ volatile("dsb" ::: "memory");
	for (;;)
		;
}

void board_fault(void)
{
	sys_semihost_write0("board: fault\n");
	sys_semihost_exit(0x20026, 3); /* ADP_Stopped_RunTimeErrorUnknown */
}
