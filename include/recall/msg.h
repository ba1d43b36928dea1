/* Check-ins and answers: the UDP messages between agent and responder (docs/PROTOCOL.md). */
#ifndef RECALL_MSG_H
#define RECALL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/error.h"
#include "recall/identity.h"

#define RC_PORT         7412 /* UDP; unassigned in the IANA registry (see PROTOCOL.md) */
#define RC_VERSION      1    /* protocol version this library speaks */
#define RC_CHECKIN_SIZE 1200 /* every check-in datagram is exactly this long */
#define RC_NONCE_LEN    16
#define RC_ANSWER_MAX   RC_CHECKIN_SIZE /* no answer is larger than a check-in */
#define RC_NOTICE_MAX   1160 /* largest signed notice (COSE_Sign) that fits in an answer */
#define RC_RETRY_MIN    1    /* retry-later delay bounds, seconds */
#define RC_RETRY_MAX    86400

enum rc_msg_type {
	RC_MSG_CHECKIN = 1,
	RC_MSG_CLEAR = 2,
	RC_MSG_RECALLED = 3,
	RC_MSG_RETRY = 4,
	RC_MSG_UNSUPPORTED = 5,
	RC_MSG_ROTATE = 6,
	RC_MSG_PROOF_REQUEST = 7,   /* device -> responder, like a check-in */
	RC_MSG_PROOF = 8,           /* answer to a proof request */
	RC_MSG_PRIVATE = 9,         /* private check-in (recall/private.h) */
	RC_MSG_BUCKET = 10,         /* its answer */
	RC_MSG_NOTICE_REQUEST = 11, /* fetch of one notice by model tag and index */
};

/* Largest log-proof (include/recall/logproof.h) in a proof answer: 1200 bytes less the 23 of
 * type, version and nonce, key 8 and the 3-byte head of the byte string (PROTOCOL.md 7.4). */
#define RC_PROOF_BLOB_MAX (RC_ANSWER_MAX - 27)

enum rc_reason {
	RC_REASON_BOOT = 0,
	RC_REASON_ATTACH = 1,
	RC_REASON_PERIODIC = 2,
	RC_REASON_RETRY = 3,
	RC_REASON_RECHECK = 4,
};

enum rc_devstate {
	RC_STATE_NORMAL = 0,
	RC_STATE_QUARANTINED = 1,
	RC_STATE_OVERRIDDEN = 2,
};

/* Who sent a check-in (PROTOCOL.md 13.1): the device itself, or a home gateway checking on a
 * LAN device's behalf (extension key -1 = 1, paid for out of the pad; ignorable, so responders
 * that do not know it answer as for a device). */
enum rc_sender {
	RC_SENDER_DEVICE = 0,
	RC_SENDER_GATEWAY = 1,
};
#define RC_EXT_SENDER (-1) /* check-in extension key of the sender mark */

struct rc_checkin {
	uint8_t nonce[RC_NONCE_LEN];
	uint8_t reason; /* enum rc_reason */
	uint8_t state;  /* enum rc_devstate */
	uint64_t anchor_epoch;
	struct rc_identity id; /* views into the decoded datagram or the caller's strings */
	uint8_t sender;        /* enum rc_sender; RC_SENDER_DEVICE: no extension key sent */
};

struct rc_answer {
	uint8_t type; /* enum rc_msg_type, not RC_MSG_CHECKIN */
	uint8_t nonce[RC_NONCE_LEN];
	uint64_t serial;     /* CLEAR: serial of the feed the responder holds */
	const uint8_t *blob; /* RECALLED: signed notice; ROTATE: rotation statement (verbatim) */
	size_t blob_len;
	uint32_t delay;       /* RETRY: seconds, RC_RETRY_MIN..RC_RETRY_MAX */
	uint64_t max_version; /* UNSUPPORTED: highest protocol version the responder speaks */
	/* PROOF: blob is the log-proof CBOR (verbatim, at most RC_PROOF_BLOB_MAX bytes). */
};

/* A proof request: which notice (by the RFC 6962 leaf hash of its exact bytes) the device
 * wants the log proof of. Padded to RC_CHECKIN_SIZE like a check-in, so that no answer is
 * larger than its request. */
struct rc_proofreq {
	uint8_t nonce[RC_NONCE_LEN];
	uint8_t leaf[32];
	uint64_t anchor_epoch;
};

/* Encode a check-in, padded to exactly RC_CHECKIN_SIZE bytes. Returns RC_OK or an error if a
 * field is invalid. No heap. */
int rc_checkin_encode(const struct rc_checkin *c, uint8_t out[static RC_CHECKIN_SIZE]);

/* Decode a check-in strictly; len must be RC_CHECKIN_SIZE. On RC_ERR_VERSION the nonce is
 * filled in (so the responder can answer "unsupported"). Views point into buf. No heap. */
int rc_checkin_decode(struct rc_checkin *c, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* Encode a proof request, padded to exactly RC_CHECKIN_SIZE bytes. */
int rc_proofreq_encode(const struct rc_proofreq *q, uint8_t out[static RC_CHECKIN_SIZE]);

/* Decode a proof request strictly (len must be RC_CHECKIN_SIZE). On RC_ERR_VERSION the nonce is
 * filled in, as for a check-in. */
int rc_proofreq_decode(struct rc_proofreq *q, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* The message type of a datagram (the value of its first map key, 0), to choose a decoder:
 * RC_MSG_CHECKIN or RC_MSG_PROOF_REQUEST for a responder; -1 if it does not start with one. */
int rc_msg_peek_type(const uint8_t *buf, size_t len);

/* Encode an answer into out (cap bytes); sets *len. No heap. */
int rc_answer_encode(const struct rc_answer *a, uint8_t *out, size_t cap, size_t *len);

/* Decode an answer strictly (len at most RC_ANSWER_MAX). blob points into buf. No heap. */
int rc_answer_decode(struct rc_answer *a, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* Name of a message type, reason or device state for logs ("clear", "boot", "quarantined"). */
const char *rc_msg_type_name(unsigned t);
const char *rc_reason_name(unsigned r);
const char *rc_devstate_name(unsigned s);

#endif
