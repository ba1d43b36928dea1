/* The emulated board (qemu-system-arm -M mps2-an385, Cortex-M3 at 25 MHz): console and exit
 * over semihosting, the SysTick tick counter, a flash-like region for the state slots, reset,
 * the stack high-water mark and the seed of the random generator. */
#ifndef RECALL_M3_BOARD_H
#define RECALL_M3_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define BOARD_CLOCK_HZ 25000000u /* SYSCLK of the AN385 image; SysTick runs from it */
#define BOARD_PAINT    0x5aa5c33cu

void board_init(void);
/* SysTick counts since reset (64 bits; 40 ns each at 25 MHz). Under qemu -icount shift=0 one
 * instruction takes one virtual ns, so a difference times 40 is an instruction count. */
uint64_t board_ticks(void);
/* Milliseconds since reset plus the time skipped by board_skip_ms. */
uint64_t board_ms(void);
/* Fast-forward the clock (the scenario's "an hour later"; a real board sleeps instead). */
void board_skip_ms(uint64_t ms);
/* Bytes of the painted stack that were ever used. */
size_t board_stack_peak(void);
/* The 32-byte seed given on the qemu command line (-append HEX): the board has no TRNG.
 * Returns 0, or -1 if none or malformed. */
int board_seed(uint8_t seed[32]);

/* Flash-like memory: erase sets bytes to 0xff; program may only clear bits. */
#define BOARD_SLOT_SIZE 16384u
uint8_t *board_slot(unsigned i); /* i = 0, 1 */
void board_slot_erase(unsigned i);
void board_slot_program(unsigned i, size_t off, const void *data, size_t n);

/* A word that survives a system reset (in the flash-like region, outside the image). */
uint32_t *board_noinit(void);

void board_reset(void) __attribute__((noreturn));
void board_fault(void) __attribute__((noreturn));

#endif
