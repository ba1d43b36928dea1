/* Signed notes (c2sp.org/signed-note), log checkpoints (c2sp.org/tlog-checkpoint) and witness
 * cosignatures (c2sp.org/tlog-cosignature, cosignature/v1): the formats that Go's sumdb,
 * Sigstore and the witness network read, so that existing verifiers understand our log.
 *
 * A note is text (valid UTF-8, no control characters but LF, ending in LF), a blank line, and
 * one or more signature lines "— <name> <base64(key id (4, big-endian) || signature)>\n". A
 * key is named by "<name>+<key id, 8 hex digits>+<base64(algorithm || public key)>", key id =
 * SHA-256(name || LF || algorithm || public key)[:4]. Algorithm 0x01 is an Ed25519 signature
 * over the text; 0x04 a cosignature: Ed25519 over "cosignature/v1\ntime <t>\n" || text, the
 * signature bytes being timestamp (8, big-endian) || signature (64).
 *
 * Parsing keeps pointers into the caller's buffer, which must outlive the result. No heap, no
 * OS calls; every size is bounded below. */
#ifndef RECALL_NOTE_H
#define RECALL_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "recall/error.h"
#include "recall/tlog.h"

/* A whole note: c2sp.org/signed-note asks verifiers to accept at least 16 signatures, and
 * post-quantum ones are up to about 5 kB each. */
#define RC_NOTE_MAX_LEN     65536
#define RC_NOTE_MAX_SIGS    32   /* signature lines (Go stops at 100) */
#define RC_NOTE_NAME_MAX    255  /* key name and checkpoint origin bytes */
#define RC_NOTE_SIG_LINE    5120 /* signature bytes after the key id that a line may carry */
#define RC_NOTE_SIG_MAX     256  /* ... of which these are kept: any Ed25519 or cosignature */
#define RC_NOTE_TEXT_MAX    4096 /* a text we sign or cosign (a checkpoint is ~100 bytes) */
#define RC_NOTE_KEY_MAX     (RC_NOTE_NAME_MAX + 64) /* a verifier key string, NUL included */
#define RC_NOTE_ALG_ED25519 0x01
#define RC_NOTE_ALG_COSIG   0x04
#define RC_COSIG_LEN        (8 + 64)

/* One signature line. sig holds the bytes after the key id when they fit (sig_len <=
 * RC_NOTE_SIG_MAX); a longer signature (another algorithm: never one of ours) is kept as its
 * base64 span only, so that it is ignored, not refused. */
struct rc_note_sig {
	const char *name;
	size_t name_len;
	const char *b64;
	size_t b64_len;
	uint32_t keyid;
	uint8_t sig[RC_NOTE_SIG_MAX];
	size_t sig_len;
};

struct rc_note {
	const char *text; /* the signed text, final LF included */
	size_t text_len;
	size_t nsigs;
	struct rc_note_sig sigs[RC_NOTE_MAX_SIGS];
};

struct rc_note_key {
	char name[RC_NOTE_NAME_MAX + 1];
	size_t name_len;
	uint8_t alg;
	uint8_t pk[32];
	uint32_t keyid;
};

/* Parses a whole signed note strictly: RC_ERR_SYNTAX (with d->off at the fault) for bad
 * UTF-8, a control character but LF, a missing blank line, a bad signature line or name, or
 * non-canonical base64; RC_ERR_TOOLONG past the bounds above. Signatures are not checked. */
int rc_note_parse(struct rc_note *n, const char *buf, size_t len, struct rc_diag *d);

/* True if name is a valid key name: 1..RC_NOTE_NAME_MAX bytes of UTF-8, no space, no '+'. */
int rc_note_name_ok(const char *name, size_t len);
/* Key id of (name, alg, pk). */
uint32_t rc_note_keyid(const char *name, size_t len, uint8_t alg, const uint8_t pk[32]);
/* Fills k for a name and Ed25519 public key under algorithm alg (0x01 or 0x04). */
int rc_note_key_init(struct rc_note_key *k, const char *name, size_t len, uint8_t alg,
		     const uint8_t pk[32]);
/* Parses a verifier key string (algorithms 0x01 and 0x04; the key id must match). */
int rc_note_key_parse(struct rc_note_key *k, const char *s, size_t len);
/* Writes the verifier key string, NUL-terminated. */
int rc_note_key_format(char *out, size_t cap, const struct rc_note_key *k);

/* Appends one signature line "— name base64(keyid || sig)\n" to out (at *len, capacity cap). */
int rc_note_append_sig(char *out, size_t cap, size_t *len, const char *name, size_t name_len,
		       uint32_t keyid, const uint8_t *sig, size_t sig_len);
/* Writes text, the blank line and k's Ed25519 signature line (sk: libsodium 64-byte secret
 * key of k->pk) to out. The text must be a valid note text of at most RC_NOTE_TEXT_MAX. */
int rc_note_sign(char *out, size_t cap, size_t *len, const char *text, size_t text_len,
		 const struct rc_note_key *k, const uint8_t sk[64]);
/* RC_OK if the note carries a valid signature by k (algorithm 0x01); RC_ERR_MISSING if no
 * line names k, RC_ERR_SIG if the first one that does fails (later repeats are ignored, as Go
 * does). For algorithm 0x04 keys it checks the cosignature and sets *timestamp (RC_ERR_RANGE
 * for a timestamp above 2^63 - 1, which the spec forbids). */
int rc_note_verify(const struct rc_note *n, const struct rc_note_key *k, uint64_t *timestamp);

/* The message a cosignature signs: "cosignature/v1\ntime <t>\n" || checkpoint text (at most
 * RC_NOTE_TEXT_MAX: RC_ERR_TOOLONG beyond). */
int rc_cosig_message(uint8_t *out, size_t cap, size_t *len, uint64_t timestamp, const char *text,
		     size_t text_len);
/* Cosignature bytes (timestamp || signature) by k (algorithm 0x04) over a checkpoint text. */
int rc_cosig_sign(uint8_t out[RC_COSIG_LEN], uint64_t timestamp, const char *text, size_t text_len,
		  const struct rc_note_key *k, const uint8_t sk[64]);

/* A checkpoint body: origin line, tree size (decimal, no leading zero), base64 root hash,
 * then optional non-empty extension lines (kept as one span, final LF included). */
struct rc_checkpoint {
	const char *origin;
	size_t origin_len;
	uint64_t size;
	uint8_t root[RC_TLOG_HASH_LEN];
	const char *ext;
	size_t ext_len;
};

int rc_checkpoint_parse(struct rc_checkpoint *c, const char *text, size_t len, struct rc_diag *d);
/* Writes the body (no NUL): origin must be a valid note text line, ext empty or lines. */
int rc_checkpoint_format(char *out, size_t cap, size_t *len, const struct rc_checkpoint *c);

#endif
