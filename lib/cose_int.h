/* Internal: COSE_Sign decoding for objects larger than a notice (the publication top file,
 * lib/publication.c). */
#ifndef RECALL_COSE_INT_H
#define RECALL_COSE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "recall/cose.h"

/* rc_cose_decode with a payload of up to payload_max bytes. */
int rc__cose_decode_max(struct rc_cose_sign *m, const uint8_t *buf, size_t len, size_t payload_max,
			struct rc_diag *diag);

#endif
