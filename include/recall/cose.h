/* COSE_Sign (RFC 9052, tag 98) with EdDSA/Ed25519 signatures: the envelope of notices and
 * anchor rotation statements. Strict decoding, no heap. */
#ifndef RECALL_COSE_H
#define RECALL_COSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/error.h"

#define RC_KID_LEN          8 /* key id: first 8 bytes of SHA-256(public key) */
#define RC_PK_LEN           32
#define RC_SK_LEN           64 /* libsodium secret key: seed || public key */
#define RC_SIG_LEN          64
#define RC_SIG_MAX          16 /* signatures per COSE_Sign */
#define RC_COSE_ALG_EDDSA   (-8)
#define RC_COSE_HDR_MAX     64   /* bytes of one protected header (bstr content) */
#define RC_COSE_PAYLOAD_MAX 1160 /* payload bytes (= RC_NOTICE_MAX: a notice fits an answer) */

/* Content types (COSE header label 3) from CoAP's experimental range: they keep a signature
 * over one kind of statement from being replayed as another. */
#define RC_CT_NOTICE      65100
#define RC_CT_ROTATION    65101
#define RC_CT_PUBLICATION 65102 /* an authority's publication top file (PROTOCOL.md 17) */

struct rc_cose_sig {
	uint8_t kid[RC_KID_LEN];
	const uint8_t *prot; /* this signature's protected header bytes (bstr content) */
	size_t prot_len;
	const uint8_t *sig; /* RC_SIG_LEN bytes */
};

struct rc_cose_sign {
	const uint8_t *body_prot; /* body protected header bytes (bstr content) */
	size_t body_prot_len;
	uint64_t content_type;
	const uint8_t *payload;
	size_t payload_len;
	size_t nsig;
	struct rc_cose_sig sigs[RC_SIG_MAX];
};

/* Key id of a public key. */
void rc_kid(uint8_t kid[static RC_KID_LEN], const uint8_t pk[static RC_PK_LEN]);

/* Decode a tagged COSE_Sign strictly; views point into buf. */
int rc_cose_decode(struct rc_cose_sign *m, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* As rc_cose_decode, but no signature at all is accepted too: the form rc_cose_encode_unsigned
 * writes, before anyone signs (tools that show or sign such objects). */
int rc_cose_decode_unsigned(struct rc_cose_sign *m, const uint8_t *buf, size_t len,
			    struct rc_diag *diag);

/* Encode an unsigned COSE_Sign (no signatures yet) around payload. */
int rc_cose_encode_unsigned(uint8_t *out, size_t cap, size_t *len, uint64_t content_type,
			    const uint8_t *payload, size_t payload_len);

/* Add one signature by sk to the COSE_Sign in `in`, writing the result to out. Signatures are
 * kept sorted by kid, so signers may sign in any order and merge to the same bytes; signing
 * twice with one key replaces its signature. */
int rc_cose_sign_add(uint8_t *out, size_t cap, size_t *len, const uint8_t *in, size_t in_len,
		     const uint8_t sk[static RC_SK_LEN]);

/* A signing key held by the caller (a key file, a PKCS#11 token): sign writes the Ed25519
 * signature of msg (len bytes) by the private key of pk into sig and returns 0, or non-zero if
 * it cannot (the rc_*_signer functions then return RC_ERR_IO; sign reports why). */
struct rc_signer {
	uint8_t pk[RC_PK_LEN];
	int (*sign)(void *ctx, uint8_t sig[RC_SIG_LEN], const uint8_t *msg, size_t len);
	void *ctx;
};

/* As rc_cose_sign_add, signed by s (whose signature is not checked here). */
int rc_cose_sign_add_signer(uint8_t *out, size_t cap, size_t *len, const uint8_t *in, size_t in_len,
			    const struct rc_signer *s);

/* Merge the signatures of b into a (same body and payload required). */
int rc_cose_merge(uint8_t *out, size_t cap, size_t *len, const uint8_t *a, size_t a_len,
		  const uint8_t *b, size_t b_len);

/* Verify signature i of m against pk (kid not checked here). RC_OK or RC_ERR_SIG. */
int rc_cose_verify_sig(const struct rc_cose_sign *m, size_t i, const uint8_t pk[static RC_PK_LEN]);

/* Sig_structure (RFC 9052 section 4.4) of signature i of m: the bytes Ed25519 signs. */
int rc_cose_tbs(const struct rc_cose_sign *m, size_t i, uint8_t *out, size_t cap, size_t *len);

/* Raw Ed25519 verification as librecall does it (strict: rejects non-canonical S and
 * small-order keys as libsodium does). RC_OK or RC_ERR_SIG. */
int rc_ed25519_verify(const uint8_t sig[static RC_SIG_LEN], const uint8_t *msg, size_t msg_len,
		      const uint8_t pk[static RC_PK_LEN]);

#endif
