/* Device identity: what every unit of one firmware build shares, and nothing more. */
#ifndef RECALL_IDENTITY_H
#define RECALL_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RC_NAME_MAX   64 /* vendor, model: canonical form, bytes */
#define RC_HWREV_MAX  32 /* hardware revision: canonical form, bytes (may be empty) */
#define RC_FWVER_MAX  64 /* firmware version: printable ASCII, bytes */
#define RC_DIGEST_LEN 32 /* SHA-256 of the firmware image */

/* A view of bytes owned by someone else (a datagram, a file, a config string). */
struct rc_str {
	const char *p;
	size_t n;
};

struct rc_identity {
	struct rc_str vendor; /* canonical: [a-z0-9._+-] and %xx escapes, 1..64 */
	struct rc_str model;  /* canonical, 1..64 */
	struct rc_str hwrev;  /* canonical, 0..32 (empty: not stated) */
	struct rc_str fwver;  /* printable ASCII 0x20..0x7e, no edge spaces, 1..64 */
	uint64_t build_date;  /* POSIX seconds; valid if has_build_date */
	uint8_t digest[RC_DIGEST_LEN];
	bool has_build_date;
	bool has_digest;
};

/* Make a view of a NUL-terminated string. */
struct rc_str rc_str_c(const char *s);

/* True if both views hold the same bytes. */
bool rc_str_eq(struct rc_str a, struct rc_str b);

/* Canonicalise a vendor/model/hwrev name: trim, lowercase, escape others as %xx. Writes a
 * NUL-terminated result to out (cap bytes); returns its length or -RC_ERR_* on error. */
int rc_name_canon(char *out, size_t cap, const char *in, size_t n);

/* True if s is already canonical and within max bytes (min: 1 unless allow_empty). */
bool rc_name_valid(struct rc_str s, size_t max, bool allow_empty);

/* True if s is an acceptable firmware version string. */
bool rc_fwver_valid(struct rc_str s);

/* Check every field of an identity; returns RC_OK or RC_ERR_SYNTAX/RC_ERR_TOOLONG. */
int rc_identity_check(const struct rc_identity *id);

#endif
