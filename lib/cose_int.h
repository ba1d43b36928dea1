/* Internal: COSE_Sign decoding for objects larger than a notice (the publication top file,
 * lib/publication.c). */
#ifndef RECALL_COSE_INT_H
#define RECALL_COSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/cose.h"

/* rc_cose_decode with a payload of up to payload_max bytes. */
int rc__cose_decode_max(struct rc_cose_sign *m, const uint8_t *buf, size_t len, size_t payload_max,
			struct rc_diag *diag);

/* The verification path with the caller's buffer for the to-be-signed bytes (Sig_structure,
 * up to RC__COSE_TBS_MAX): a small device's agent passes its scratch buffer, so that 1.3 KiB
 * is not on the stack under libsodium's Ed25519 check. tbs NULL: a buffer on the stack, as the
 * public functions (rc_cose_verify_sig, rc_anchors_verify, rc_notice_check) have. */
#define RC__COSE_TBS_MAX (RC_COSE_PAYLOAD_MAX + 2 * RC_COSE_HDR_MAX + 32)
int rc__cose_verify_sig_buf(const struct rc_cose_sign *m, size_t i,
			    const uint8_t pk[static RC_PK_LEN], uint8_t *tbs, size_t cap);
struct rc_anchors;
struct rc_verdict;
int rc__anchors_verify_buf(const struct rc_anchors *s, const struct rc_cose_sign *m,
			   struct rc_verdict *verdict, uint8_t *tbs, size_t cap);
struct rc_notice;
struct rc_identity;
int rc__notice_check_buf(struct rc_notice *n, const uint8_t *buf, size_t len,
			 const struct rc_anchors *anchors, const struct rc_identity *id,
			 uint64_t now, bool now_trusted, struct rc_verdict *verdict,
			 struct rc_diag *diag, uint8_t *tbs, size_t cap);

#endif
