/* recall-gate-pub -> recall-gate: one message per mirror tried in a round (gate/pub_main.c
 * writes, gate/pub.c reads from a pipe). Fixed size; the daemon checks the magic, the mirror
 * index and the verdict, and takes nothing else as more than text for its log line. */
#ifndef RECALL_GATE_PUBMSG_H
#define RECALL_GATE_PUBMSG_H

#include <stdint.h>

#define GATE_PUB_MAGIC    0x52475042u /* "RGPB" */
#define GATE_PUB_MIRRORS  16          /* PUBFETCH_MIRRORS_MAX */
#define GATE_PUB_FD       3           /* the pipe in recall-gate-pub */
#define GATE_PUB_VERDICTS 8           /* enum pubsync_verdict: NEW .. IO */

struct gate_pubmsg {
	uint32_t magic;
	uint8_t mirror, verdict, pad[2];
	uint64_t serial, expiry, log_size, bytes, requests;
	char err[256];
};

#endif
