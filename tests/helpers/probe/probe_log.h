/* recalld-probe's transparency log commands (probe_log.c). */
#ifndef RECALL_PROBE_LOG_H
#define RECALL_PROBE_LOG_H

#include <stdint.h>

/* Give the fixture world the log policy of the log key in the public key file logpub (origin,
 * nwit test witnesses, quorum, max_age); -1 with a message on stderr. */
int probe_log_world(const char *logpub, const char *origin, unsigned nwit, unsigned quorum,
		    uint32_t max_age);
/* cosign CHECKPOINT -w WITNESS... [-t time]: append test witnesses' cosignatures, atomically. */
int cosign_main(int argc, char **argv);
/* publish (probe_pub.c): a publication directory from log entries and a checkpoint. */
int publish_main(int argc, char **argv);

#endif
