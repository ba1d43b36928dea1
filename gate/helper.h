/* The wire format between recall-gate (the resident daemon) and recall-gate-helper, the
 * short-lived process that does the work needing large libraries on untrusted input: fetching
 * UPnP descriptions and MUD files (libcurl), parsing them (libxml2, jansson) and parsing mDNS
 * packets (ldns). The daemon starts the helper when there is work, over one SOCK_SEQPACKET
 * socket pair (fd 3 in the helper), and the helper exits after HELPER_IDLE_S without work; so
 * the resident daemon maps none of these libraries, and a parser bug ends the helper, not the
 * daemon. The daemon trusts nothing in a reply: only fields its request may produce are taken,
 * each sanitised again, with the source set by the daemon. */
#ifndef RECALL_GATE_HELPER_H
#define RECALL_GATE_HELPER_H

#include <stdint.h>

#include "gate.h"

#define HELPER_FD        3    /* the socket in the helper */
#define HELPER_IDLE_S    30   /* the helper exits when it has had nothing to do this long */
#define HELPER_DATA_MAX  9000 /* a request's bytes: a URL or one mDNS packet (GATE_MDNS_MAX) */
#define HELPER_QUERY_MAX 512  /* the DNS-SD query the helper builds */
#define HELPER_INFLIGHT  2    /* transfers at a time */

enum helper_op {
	HELPER_UPNP = 'U',  /* data: URL (already checked by the daemon's policy); fetch, parse */
	HELPER_MUD = 'M',   /* data: URL; fetch, parse */
	HELPER_MDNS = 'D',  /* data: one mDNS packet; parse */
	HELPER_QUERY = 'Q', /* no data; build the DNS-SD query the daemon sends */
};

enum helper_status {
	HELPER_OK = 0,    /* fields in v[] (empty string: not set) */
	HELPER_RETRY = 1, /* the transfer failed (err says how): worth another try */
	HELPER_BAD = 2,   /* refused: not parsed, or not 200 (err says why) */
};

struct helper_req {
	uint8_t op; /* enum helper_op */
	uint8_t pad[3];
	uint32_t id;  /* echoed in the reply */
	uint32_t len; /* bytes in data */
	uint8_t data[HELPER_DATA_MAX];
};
#define HELPER_REQ_HDR 12 /* a request is the header and len bytes of data */

struct helper_res {
	uint8_t op, status;
	uint8_t pad[2];
	uint32_t id;
	uint32_t qlen; /* HELPER_QUERY: bytes in query */
	char err[256];
	uint8_t query[HELPER_QUERY_MAX];
	char v[GF__N][GATE_VAL_MAX];
};

#endif
