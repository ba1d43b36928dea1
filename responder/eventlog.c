/* The event log: workers queue recalled and monitored hits in a lock-free single-producer
 * queue each; the main thread writes them as JSON lines, one object per line:
 *   {"time":"2024-05-01T12:00:00Z","source":"192.0.2.0","vendor":"acme","model":"cam-1",
 *    "hwrev":"","fwver":"1.0.3","notice":"ACME-2024-001","severity":"high",
 *    "action":"recalled","feed_serial":7}
 * A proof request is one too, naming the leaf hash asked for, the notice it is (when served)
 * and the outcome (proof, unknown: no proof held, withheld: policy or exempt source):
 *   {"time":"...","source":"192.0.2.0","event":"proof_request","leaf":"<hex>",
 *    "notice":"ACME-2024-001","vendor":"acme","model":"cam-1","result":"proof","feed_serial":7}
 * A check-in a home gateway sent on a LAN device's behalf (PROTOCOL.md 13.1) adds
 * "sender":"gateway" after "source" (the source is then the gateway's address).
 * The source address is truncated to event-log-prefix4/6 bits when configured. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "rd.h"

int rd_ring_init(struct rd_ring *r, size_t entries)
{
	size_t n = 1;
	while (n < entries)
		n <<= 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->mask = n - 1;
	r->ev = calloc(n, sizeof(*r->ev));
	return r->ev ? 0 : -1;
}

void rd_ring_free(struct rd_ring *r)
{
	free(r->ev);
	r->ev = NULL;
}

struct rd_event *rd_ring_slot(struct rd_ring *r)
{
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	if (t - h > r->mask)
		return NULL;
	return &r->ev[t & r->mask];
}

void rd_ring_push(struct rd_ring *r)
{
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

/* JSON string of printable ASCII bytes (what identities and ids hold); others as \u00XX. */
static size_t json_str(char *out, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	if (o < cap)
		out[o] = '"';
	o++;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		size_t k;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			k = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			k = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			k = 1;
		}
		for (size_t j = 0; j < k; j++, o++) {
			if (o < cap)
				out[o] = esc[j];
		}
	}
	if (o < cap)
		out[o] = '"';
	return o + 1;
}

size_t rd_event_json(const struct rd_event *e, char *out, size_t cap, uint64_t prefix4,
		     uint64_t prefix6)
{
	uint8_t a[16];
	char addr[INET6_ADDRSTRLEN] = "?";
	char ts[32] = "?";
	int fam = e->family == 4 ? AF_INET : AF_INET6;
	unsigned bits = e->family == 4 ? 32 : 128;
	unsigned keep = (unsigned)(e->family == 4 ? prefix4 : prefix6);
	memcpy(a, e->addr, 16);
	for (unsigned b = keep; b < bits; b++)
		a[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	inet_ntop(fam, a, addr, sizeof(addr));
	time_t t = (time_t)e->time;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	size_t o = 0;
#define PUT(...)                                                                                   \
	do {                                                                                       \
		int n_ = snprintf(o < cap ? out + o : NULL, o < cap ? cap - o : 0, __VA_ARGS__);   \
		o += n_ > 0 ? (size_t)n_ : 0;                                                      \
	} while (0)
#define STR(s, n) (o += json_str(o < cap ? out + o : out, o < cap ? cap - o : 0, (s), (n)))
	PUT("{\"time\":\"%s\",\"source\":\"%s\"", ts, addr);
	if (keep < bits)
		PUT(",\"source_prefix\":%u", keep);
	else /* a truncated address asks for privacy: its port would only undo some of it */
		PUT(",\"source_port\":%u", (unsigned)e->port);
	if (e->kind == RD_EV_PROOF) {
		static const char *const res[] = {"proof", "unknown", "withheld"};
		PUT(",\"event\":\"proof_request\",\"leaf\":\"");
		for (size_t i = 0; i < sizeof(e->leaf); i++)
			PUT("%02x", e->leaf[i]);
		PUT("\"");
		if (e->result != RD_PR_UNKNOWN) {
			PUT(",\"notice\":");
			STR(e->id, e->idlen);
			PUT(",\"vendor\":");
			STR(e->vendor, e->vlen);
			PUT(",\"model\":");
			STR(e->model, e->mlen);
		}
		PUT(",\"result\":\"%s\",\"feed_serial\":%llu}", res[e->result < 3 ? e->result : 1],
		    (unsigned long long)e->feed_serial);
		goto end;
	}
	if (e->kind == RD_EV_NOTICE_REQ) {
		/* a private device's request: its model's tag, never an identity */
		static const char *const res[] = {"recalled", "clear", "exempt"};
		PUT(",\"event\":\"notice_request\",\"tag\":\"");
		for (size_t i = 0; i < RC_PRIVATE_TAG_LEN; i++)
			PUT("%02x", e->leaf[i]);
		PUT("\",\"index\":%u", (unsigned)e->index);
		if (e->result != RD_NR_CLEAR) {
			PUT(",\"notice\":");
			STR(e->id, e->idlen);
			PUT(",\"severity\":\"%s\"", rc_severity_name(e->severity));
		}
		PUT(",\"result\":\"%s\",\"feed_serial\":%llu}", res[e->result < 3 ? e->result : 1],
		    (unsigned long long)e->feed_serial);
		goto end;
	}
	if (e->sender == RC_SENDER_GATEWAY)
		PUT(",\"sender\":\"gateway\"");
	PUT(",\"vendor\":");
	STR(e->vendor, e->vlen);
	PUT(",\"model\":");
	STR(e->model, e->mlen);
	PUT(",\"hwrev\":");
	STR(e->hwrev, e->hlen);
	PUT(",\"fwver\":");
	STR(e->fwver, e->flen);
	if (e->has_build_date)
		PUT(",\"build_date\":%llu", (unsigned long long)e->build_date);
	PUT(",\"notice\":");
	STR(e->id, e->idlen);
	PUT(",\"severity\":\"%s\",\"action\":\"%s\",\"feed_serial\":%llu}",
	    rc_severity_name(e->severity), e->action == RD_ENFORCE ? "recalled" : "monitored",
	    (unsigned long long)e->feed_serial);
end:
#undef PUT
#undef STR
	if (cap)
		out[o < cap ? o : cap - 1] = '\0';
	return o;
}

size_t rd_ring_drain(struct rd_ring *r, FILE *f, uint64_t prefix4, uint64_t prefix6)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t n = 0;
	char line[1024];
	for (; h != t; h++, n++) {
		if (f) {
			size_t len = rd_event_json(&r->ev[h & r->mask], line, sizeof(line), prefix4,
						   prefix6);
			if (len < sizeof(line)) {
				fwrite(line, 1, len, f);
				fputc('\n', f);
			}
		}
		atomic_store_explicit(&r->head, h + 1, memory_order_release);
	}
	if (f && n)
		fflush(f);
	return n;
}
