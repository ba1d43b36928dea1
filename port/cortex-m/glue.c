/* The glue of the recall agent on the Cortex-M3 board: see glue.h. */
#include "glue.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "vectors.h"

#define SLOT_MAGIC 0x31534352u /* "RCS1" */
#define SLOT_HEAD  16u         /* magic, sequence, length, reserved */

struct rc_agent m3_agent;
struct m3_glue_trace m3_trace;
static uint64_t wall_base;

/* --- random: a hash DRBG, SHA-256 (linked anyway, which ChaCha20 was not: -1.4 KB) of the
 * key, a call counter, a tag and a block number; rekeyed after every call, so that an output
 * cannot be recomputed from the state that follows it (a board with a TRNG reads it here
 * instead) --- */
static uint8_t drbg_key[crypto_hash_sha256_BYTES];
static uint64_t drbg_ctr;

static void prf(uint8_t out[static crypto_hash_sha256_BYTES], uint8_t tag, uint32_t block)
{
	crypto_hash_sha256_state st;
	uint8_t in[8 + 1 + 4];
	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)(drbg_ctr >> (8 * i));
	in[8] = tag;
	for (int i = 0; i < 4; i++)
		in[9 + i] = (uint8_t)(block >> (8 * i));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, drbg_key, sizeof(drbg_key));
	crypto_hash_sha256_update(&st, in, sizeof(in));
	crypto_hash_sha256_final(&st, out);
}

static void drbg(void *buf, size_t n)
{
	uint8_t *out = buf, block[crypto_hash_sha256_BYTES];
	for (uint32_t i = 0; n; i++) {
		size_t k = n < sizeof(block) ? n : sizeof(block);
		prf(block, 1, i);
		memcpy(out, block, k);
		out += k;
		n -= k;
	}
	prf(block, 0, 0);
	memcpy(drbg_key, block, sizeof(drbg_key));
	drbg_ctr++;
	sodium_memzero(block, sizeof(block));
}

static const char *rng_name(void)
{
	return "m3-sha256-drbg";
}

static uint32_t rng_u32(void)
{
	uint32_t r;
	drbg(&r, sizeof(r));
	return r;
}

/* libsodium asks its hook, not /dev/urandom (build-deps.sh builds it without one). */
static randombytes_implementation rng_impl = {
    .implementation_name = rng_name, .random = rng_u32, .buf = drbg};

#ifdef M3_WRAP_SODIUM_INIT
/* Linked in place of sodium_init (ld --wrap, see CMakeLists.txt). What libsodium 1.0.18's does,
 * and why none of it is needed here: the CPU feature probe and the choice of each primitive's
 * implementation (x86 SIMD only: on a Cortex-M3 the choice is the portable code, which is each
 * dispatch pointer's initial value), the stir of the random generator (ours has no stir), and
 * the canary of sodium_malloc (not used). */
int __wrap_sodium_init(void);
int __wrap_sodium_init(void)
{
	return 0;
}
#endif

/* Linked in place of libcbor's half-float loader (ld --wrap, see CMakeLists.txt), which brings
 * ldexp and soft double arithmetic (1.8 KB): lib/cbor_io.c rejects every float head whatever
 * its value, so the value is never looked at. */
float __wrap__cbor_load_half(const unsigned char *source);
float __wrap__cbor_load_half(const unsigned char *source)
{
	return 0.0f;
}

/* --- the eight callbacks --- */
static void mark(char c)
{
	if (m3_trace.norder + 1 < sizeof(m3_trace.order))
		m3_trace.order[m3_trace.norder++] = c;
}

static int g_send(void *ctx, const struct rc_src *to, const uint8_t *buf, size_t len)
{
	(void)ctx;
	m3_trace.sends++;
	mark('S');
	return m3_net_send(to, buf, len);
}

static uint64_t g_mono(void *ctx)
{
	(void)ctx;
	return board_ms();
}

static uint64_t g_wall(void *ctx, bool *trusted)
{
	(void)ctx;
	*trusted = true;
	return wall_base + board_ms() / 1000u;
}

static void g_random(void *ctx, uint8_t *buf, size_t n)
{
	(void)ctx;
	drbg(buf, n);
}

/* Write the older slot: erase, data, then the head (a cut before the head leaves the slot
 * erased, so the other one stays the newest valid). */
static uint32_t slot_seq(unsigned i)
{
	const uint32_t *h = (const uint32_t *)(void *)board_slot(i);
	return h[0] == SLOT_MAGIC && h[2] <= BOARD_SLOT_SIZE - SLOT_HEAD ? h[1] : 0;
}

static int g_persist(void *ctx, const uint8_t *state, size_t len)
{
	(void)ctx;
	if (len > BOARD_SLOT_SIZE - SLOT_HEAD)
		return -1;
	uint32_t s0 = slot_seq(0), s1 = slot_seq(1);
	unsigned i = s0 <= s1 ? 0 : 1;
	uint32_t head[4] = {SLOT_MAGIC, (s0 > s1 ? s0 : s1) + 1, (uint32_t)len, 0};
	board_slot_erase(i);
	board_slot_program(i, SLOT_HEAD, state, len);
	board_slot_program(i, 0, head, sizeof(head));
	m3_trace.persists++;
	mark('P');
	return 0;
}

static int g_quarantine(void *ctx, const struct rc_notice *n, bool on)
{
	(void)ctx;
	m3_trace.quarantined = on;
	if (on) {
		m3_trace.q_on++;
		size_t k = n->id.n < RC_NOTICE_ID_MAX ? n->id.n : RC_NOTICE_ID_MAX;
		memcpy(m3_trace.notice_id, n->id.p, k);
		m3_trace.notice_id[k] = 0;
		m3_trace.nallow = n->nendpoints; /* a network stack keeps these reachable */
	} else {
		m3_trace.q_off++;
		m3_trace.notice_id[0] = 0;
		m3_trace.nallow = 0;
	}
	mark(on ? 'Q' : 'q');
	printf("glue: quarantine %s %s\n", on ? "on" : "off", m3_trace.notice_id);
	return 0;
}

static void g_notify(void *ctx, enum rc_agent_event ev, const struct rc_notice *n)
{
	(void)ctx;
	m3_trace.last_event = ev;
	mark('N');
	/* The id is checked ASCII; the notice's text would go through rc_text_safe first. */
	printf("glue: notify %s %.*s\n", rc_agent_event_name(ev), n ? (int)n->id.n : 0,
	       n ? n->id.p : "");
}

static void g_log(void *ctx, enum rc_log_level level, const char *msg)
{
	(void)ctx;
	printf("recall<%d>: %s\n", (int)level, msg);
}

static const struct rc_agent_ops ops = {g_send,    g_mono,       g_wall,   g_random,
					g_persist, g_quarantine, g_notify, g_log};

/* Restore the newest slot that the agent accepts; the other one if it does not. */
static void restore(void)
{
	uint32_t s[2] = {slot_seq(0), slot_seq(1)};
	for (unsigned k = 0; k < 2; k++) {
		unsigned i = (s[0] >= s[1]) ? k : 1 - k;
		if (!s[i])
			continue;
		const uint32_t *h = (const uint32_t *)(void *)board_slot(i);
		if (rc_agent_restore(&m3_agent, board_slot(i) + SLOT_HEAD, h[2]) == RC_OK) {
			m3_trace.restored_slot_seq = s[i];
			return;
		}
	}
}

/* The configuration (1.8 KiB, mostly the anchor set) is on the stack only while rc_agent_init
 * copies it: less than a verification takes later, and no RAM kept for it. */
static __attribute__((noinline)) int init(const struct m3_boot *b)
{
	struct rc_agent_config cfg;
	rc_agent_config_default(&cfg);
	cfg.id.vendor = rc_str_c(M3_VENDOR);
	cfg.id.model = rc_str_c(M3_MODEL);
	cfg.id.fwver = rc_str_c(b->fwver);
	int err = rc_anchors_decode(&cfg.anchors, m3_anchors, m3_anchors_len, NULL);
	if (err)
		return err;
	cfg.nresponders = 1;
	cfg.responders[0] = b->responder;
	/* The scenario checks the boot check-in right after start: no start spread (a product
	 * keeps the default, docs/PROTOCOL.md 12.2). */
	cfg.start_spread_ms = 0;
	return rc_agent_init(&m3_agent, &cfg, &ops, NULL);
}

int m3_glue_boot(const struct m3_boot *b)
{
	uint8_t seed[32];
	if (board_seed(seed) != 0) {
		printf("glue: no random seed: the board has no TRNG (give one with -append)\n");
		return RC_ERR_INVALID;
	}
	memcpy(drbg_key, seed, sizeof(seed));
	sodium_memzero(seed, sizeof(seed));
	randombytes_set_implementation(&rng_impl);
	if (sodium_init() < 0)
		return RC_ERR_INVALID;
	wall_base = b->wall_base;
	int err = init(b);
	if (err)
		return err;
	restore();
	return rc_agent_start(&m3_agent);
}

int m3_glue_input(const uint8_t *buf, size_t len, const struct rc_src *from)
{
	return rc_agent_input(&m3_agent, buf, len, from);
}

void m3_glue_tick(void)
{
	rc_agent_tick(&m3_agent);
}
