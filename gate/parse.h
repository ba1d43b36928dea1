/* recall-gate: helpers shared by the parsers of LAN input (gate/parse_*.c), the URL policies
 * and the identity (gate/identity.c). The parsers themselves are declared in gate/gate.h. */
#ifndef RECALL_GATE_PARSE_H
#define RECALL_GATE_PARSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"

/* Input limits (docs/GATE.md, "Inventory sources and identity"). */
#define GATE_SSDP_MAX      8192  /* one SSDP datagram */
#define GATE_SSDP_LINE_MAX 1024  /* one header line */
#define GATE_SSDP_LINES    64    /* header lines */
#define GATE_UPNP_MAX      65536 /* a UPnP device description (as the fetch caps it) */
#define GATE_UPNP_DEPTH    16    /* element nesting of a description */
#define GATE_MDNS_MAX      9000  /* one mDNS packet (RFC 6762, section 17) */
#define GATE_MUD_MAX       65536 /* a MUD file */
#define GATE_MUD_DEPTH     32    /* JSON nesting of a MUD file */
#define GATE_ANNOUNCE_MAX  1400  /* one agent announcement (docs/ANNOUNCE.md) */
#define GATE_DHCP_ARGS     8     /* argv entries of the dhcp-script */
#define GATE_DHCP_ENV      64    /* DNSMASQ_* variables */
#define GATE_DHCP_VAR_MAX  1024  /* one "KEY=VALUE" */
#define GATE_URL_MAX       512   /* a LOCATION or MUD URL */

/* Clear every field of an observation. */
void gate_obs_init(struct gate_obs *o);

/* Set field f of o from n untrusted bytes: sanitised with rc_text_safe (one line) into
 * GATE_VAL_MAX bytes. Display fields (hostname, vendor class, friendly name) are shortened at a
 * character boundary; identity, URL and agent fields must fit whole (-1 otherwise: a shortened
 * model or firmware would name another build). An empty value (after trimming ASCII whitespace)
 * leaves the field unset and is not an error. Returns 0 or -1 with err naming the field. */
int gate_obs_set(struct gate_obs *o, enum gate_field f, enum gate_src src, const char *v, size_t n,
		 const char *what, char *err, size_t errlen);

/* snprintf into err (when errlen > 0); always returns -1 so parsers can `return gate_err(...)`. */
int gate_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Value of one hex digit (either case), or -1. */
int gate_hexval(int c);

/* "aa:bb:cc:dd:ee:ff" (or '-' separated, either case) -> 6 bytes; 0 or -1. */
int gate_mac_parse(const char *s, uint8_t mac[6]);

/* True if the MAC is locally administered (randomised by phones, never an IEEE OUI). */
static inline bool gate_mac_local(const uint8_t mac[6])
{
	return (mac[0] & 0x02) != 0;
}

/* The MUD file parser with the URL it was fetched from: RFC 8520 section 3.3 has the file name
 * its own mud-url, and a file whose mud-url is not the fetched URL is refused (a device must not
 * pass off another vendor's file). gate_mud_parse is this with fetched_url NULL. */
int gate_mud_check(const char *json, size_t len, const char *fetched_url, struct gate_obs *o,
		   char *err, size_t errlen);

/* A body the helper fetched, parsed as its kind: a UPnP description, or a MUD file checked
 * against the URL it came from (gate_mud_check with url, never gate_mud_parse). */
int gate_fetched_parse(bool mud, const char *url, const char *body, size_t len, struct gate_obs *o,
		       char *err, size_t errlen);

struct json_t;
/* jansson json_loadb with duplicate keys refused, after the empty and size checks; NULL with
 * err "WHAT: line L column C: reason". */
struct json_t *gate_json_load(const char *buf, size_t len, size_t max, const char *what, char *err,
			      size_t errlen);

/* A string member of a JSON object into field f: absent is fine, another type is an error. */
int gate_json_field(const struct json_t *obj, const char *key, struct gate_obs *o,
		    enum gate_field f, enum gate_src src, const char *where, char *err,
		    size_t errlen);

/* A URL the owner's page may show as a link (a notice's remedy URL): http:// or https:// (the
 * scheme written out), a host that is a DNS name, an IPv4 address or an [IPv6] address, an
 * optional port, no userinfo, only RFC 3986 characters and well-formed escapes (url_split, as
 * for the fetches). 0 or -1 with err. */
int gate_url_check_link(const char *url, char *err, size_t errlen);
/* The helper programs' confinement (gate/confine.c): no new privileges, no capabilities (a
 * refused capset is accepted when none is held), and where allowed no file writes, no core
 * dumps and at most max_files descriptors (0: unchanged). 0, or -1 when capabilities remain. */
int gate_confine(unsigned max_files);
/* The same, files may be written (recall-gate-pub writes the publication cache). */
int gate_confine_writer(unsigned max_files);
/* One line of odhcpd's state file (the leasetrigger runs with no per-lease data, so the daemon
 * reads the file the trigger announces): "# IFACE DUID IAID HOSTNAME EXPIRY ID LEN ADDR/LEN...".
 * DHCPv4 lines carry the MAC as DUID; DHCPv6 lines give it when the DUID is DUID-LLT or DUID-LL
 * of Ethernet. 0 ok, -1 with err. */
int gate_odhcpd_parse(const char *line, size_t len, struct gate_obs *o, char *err, size_t errlen);

/* Rank of a source for the inventory's merge: a field's value is replaced only by a value
 * from a source of the same or a higher rank (declared > described > the rest), so within a
 * rank the newest wins. agent = owner = MUD > UPnP = mDNS > SSDP > DHCP > OUI, neighbour. */
int gate_src_rank(enum gate_src s);

/* gate_identity returns 1 when conf, the identity or the mapping changed (the device needs a
 * new check), 0 when not, -1 on a NULL device. */

/* The vendor alias table and OUI table (gate_aliases_load). Lookups return the canonical
 * vendor or NULL; *line is the table line that matched (for the mapping text). */
const char *gate_alias_vendor(const void *al, const char *raw, unsigned *line);
const char *gate_alias_oui(const void *al, const uint8_t mac[6], unsigned *line);
/* The DHCP fingerprint table (dhcp-fingerprints.txt: "canonical vendor<TAB>option 60<TAB>option
 * 55<TAB>canonical model") into loaded name tables: 0, or -1 with file:line (the tables keep no
 * fingerprint then). The lookup: the model whose line has exactly this OUI vendor, vendor class
 * and parameter request list, or NULL. */
int gate_fingerprints_load(const void *al, const char *path, char *err, size_t errlen);
const char *gate_alias_fingerprint(const void *al, const char *vendor, const char *vclass,
				   const char *prl, unsigned *line);

#endif
