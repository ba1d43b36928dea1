/* Firmware version ordering under a named scheme. */
#ifndef RECALL_VERSION_H
#define RECALL_VERSION_H

#include <stddef.h>

enum rc_vscheme {
	RC_VS_GENERIC = 0, /* firmware-oriented default, documented in docs/PROTOCOL.md */
	RC_VS_DPKG = 1,    /* Debian policy 5.6.12 ordering ([epoch:]upstream[-revision], ~) */
	RC_VS_RPM = 2,     /* rpmvercmp() ordering (alnum segments, ~ and ^) */
	RC_VS__COUNT
};

/* Compare version a with b under scheme s: <0, 0 or >0. Total order; never fails. */
int rc_version_cmp(enum rc_vscheme s, const char *a, size_t an, const char *b, size_t bn);

/* Scheme name ("generic", "dpkg", "rpm") or NULL if out of range. */
const char *rc_vscheme_name(enum rc_vscheme s);

/* Scheme by name; returns -1 if unknown. */
int rc_vscheme_parse(const char *name);

#endif
