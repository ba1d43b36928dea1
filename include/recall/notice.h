/* Recall notices: the signed payload, its decoding, and "does it cover this device". */
#ifndef RECALL_NOTICE_H
#define RECALL_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/identity.h"
#include "recall/version.h"

#define RC_NOTICE_ID_MAX 64
#define RC_TEXT_MAX      512
#define RC_URL_MAX       256
#define RC_REF_MAX       128 /* bytes per reference */
#define RC_REFS_MAX      16
#define RC_HWREVS_MAX    8
#define RC_VERSIONS_MAX  16
#define RC_RANGES_MAX    8
#define RC_DIGESTS_MAX   8
#define RC_ENDPOINTS_MAX 8

enum rc_action { RC_ACTION_QUARANTINE = 0, RC_ACTION_NOTIFY = 1 };
enum rc_severity {
	RC_SEV_NONE = 0,
	RC_SEV_LOW = 1,
	RC_SEV_MEDIUM = 2,
	RC_SEV_HIGH = 3,
	RC_SEV_CRITICAL = 4,
};

struct rc_bound {
	struct rc_str v; /* empty view (p == NULL): unbounded */
	bool inclusive;
};

struct rc_range {
	uint8_t scheme; /* enum rc_vscheme */
	struct rc_bound lo, hi;
};

/* An endpoint the device may still reach while quarantined: an address prefix. */
struct rc_endpoint {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint8_t plen;
};

struct rc_target {
	struct rc_str vendor, model;
	size_t nhwrevs; /* 0: every hardware revision */
	struct rc_str hwrevs[RC_HWREVS_MAX];
	size_t nversions;
	struct rc_str versions[RC_VERSIONS_MAX];
	size_t nranges;
	struct rc_range ranges[RC_RANGES_MAX];
	bool has_built_from, has_built_before; /* build date bounds: from <= date < before */
	uint64_t built_from, built_before;
	size_t ndigests;
	const uint8_t *digests[RC_DIGESTS_MAX]; /* RC_DIGEST_LEN bytes each */
};

struct rc_notice {
	struct rc_str id;
	uint64_t issued, not_before, expiry; /* POSIX seconds */
	struct rc_target target;
	uint8_t action;   /* enum rc_action */
	uint8_t severity; /* enum rc_severity */
	size_t nrefs;
	struct rc_str refs[RC_REFS_MAX];
	struct rc_str text;
	struct rc_str remedy_url;
	size_t nendpoints;
	struct rc_endpoint endpoints[RC_ENDPOINTS_MAX];
};

/* Encode a notice payload (deterministic CBOR); validates every field first. */
int rc_notice_encode(const struct rc_notice *n, uint8_t *out, size_t cap, size_t *len);

/* Check every field of n exactly as rc_notice_encode does; diag names the first bad field. */
int rc_notice_validate(const struct rc_notice *n, struct rc_diag *diag);

/* Decode a notice payload strictly; views point into buf. */
int rc_notice_decode(struct rc_notice *n, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* True if the notice's target covers this identity (vendor, model, hwrev, and every selector
 * kind present: version list or ranges, build dates, digests). */
bool rc_notice_covers(const struct rc_notice *n, const struct rc_identity *id);

/* Everything the agent checks before acting on a recall: COSE structure and content type,
 * k distinct trusted signatures, payload, coverage of id, and validity at `now` when the
 * clock is trusted. Fills n (views into buf) and verdict (optional). */
int rc_notice_check(struct rc_notice *n, const uint8_t *buf, size_t len,
		    const struct rc_anchors *anchors, const struct rc_identity *id, uint64_t now,
		    bool now_trusted, struct rc_verdict *verdict, struct rc_diag *diag);

/* Names for logs: "quarantine"/"notify", "none".."critical"; parse returns -1 if unknown. */
const char *rc_action_name(unsigned a);
const char *rc_severity_name(unsigned s);
int rc_severity_parse(const char *s);

#endif
