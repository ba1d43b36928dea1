/* Reset and fault handling of the Cortex-M3 image: the vector table, the C runtime set-up
 * (.data copied from flash, .bss zeroed, picolibc's TLS block for errno) and the painted stack
 * whose high-water mark board.c reports. No OS and no heap. */
#define PICOLIBC_TLS /* picotls.h declares _set_tls only then; picolibc is built with TLS */
#include <picotls.h>
#include <stdint.h>
#include <stdlib.h>

#include "board.h"

extern uint32_t __data_start[], __data_end[], __data_source[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack[];
extern char __tls_base[];
int main(void);

void m3_reset(void);
void m3_systick(void);
static void fault(void);

/* Everything the board needs: the core exceptions (no peripheral interrupt is used). */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack,
    m3_reset,
    fault,
    fault,
    fault,
    fault,
    fault,
    0,
    0,
    0,
    0,
    fault,
    fault,
    0,
    fault,
    m3_systick,
};

static void fault(void)
{
	board_fault();
}

void m3_reset(void)
{
	uint32_t *s = __data_source, *d = __data_start;
	while (d < __data_end)
		*d++ = *s++;
	for (d = __bss_start; d < __bss_end; d++)
		*d = 0;
	/* Paint the stack below what this function uses, for the high-water mark. */
	uint32_t *sp = __builtin_frame_address(0);
	for (d = __stack_limit; d < sp - 16; d++)
		*d = BOARD_PAINT;
	_set_tls(__tls_base);
	board_init();
	exit(main());
}
