/* The kernel behind one interface (netifd-style): quarantine routing and the network-attach
 * monitor. system-linux.c drives rtnetlink through libmnl; system-dummy.c records the calls so
 * the daemon logic is tested without root. */
#ifndef RECALL_AGENT_SYSTEM_H
#define RECALL_AGENT_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYS_ALLOW_MAX 12   /* check-in addresses (2) + remedy endpoints (8) + spare */
#define SYS_TABLE_DEF 7412 /* routing table holding the quarantine routes */
#define SYS_PREF_DEF  74   /* priority of the policy rule (lower runs earlier) */
#define SYS_RTPROT    74   /* rtm_protocol of the routes we install */
/* Shortest LAN prefix a quarantined device keeps around each of its addresses. IPv4: no real
 * link holds more than a /16 of hosts, and every common home or office netmask (/24../16)
 * stays whole; a /8 or a netmask a DHCP server made up is cut to the /16 around the address.
 * IPv6: a subnet is a /64 (RFC 4291, SLAAC); a shorter on-link prefix is someone's claim. */
#define SYS_LAN4_MIN 16
#define SYS_LAN6_MIN 64

/* Events from the monitor. */
#define SYS_EV_ATTACH  1u /* a default route or a global address appeared */
#define SYS_EV_CHANGED 2u /* routes, rules or addresses changed: refresh a quarantine */

/* An address prefix (family 4 or 6). */
struct sys_prefix {
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
};

/* What stays reachable through the gateway while quarantined. The LAN always does: the prefixes
 * of the device's own addresses (sys_lan_bound), not what a LAN host advertises as on-link. */
struct sys_quarantine {
	size_t nallow;
	struct sys_prefix allow[SYS_ALLOW_MAX];
};

struct sys_params {
	uint32_t table; /* routing table id (SYS_TABLE_DEF) */
	uint32_t pref;  /* rule priority (SYS_PREF_DEF) */
};

struct sys_ops {
	const char *name;
	/* Open the kernel interfaces (before dropping any privilege). 0 or -1 (errno). */
	int (*init)(const struct sys_params *p);
	/* Install or refresh the quarantine; idempotent. 0 or -1. */
	int (*apply)(const struct sys_quarantine *q);
	/* Remove every rule and route the quarantine installed; idempotent. 0 or -1. */
	int (*release)(void);
	/* File descriptor to poll for monitor events, or -1. */
	int (*monitor_fd)(void);
	/* Read pending monitor messages; returns SYS_EV_* bits. */
	unsigned (*monitor_read)(void);
	/* Close everything (does not release the quarantine). */
	void (*done)(void);
};

extern const struct sys_ops sys_linux;
extern const struct sys_ops sys_dummy;

/* Backend by name ("linux", "dummy"); NULL if unknown. */
const struct sys_ops *sys_find(const char *name);

/* Dummy backend: number of calls recorded, the i-th call as text ("apply 198.51.100.74/32"),
 * whether a quarantine is currently installed, and the events the next monitor_read returns. */
size_t sys_dummy_ncalls(void);
const char *sys_dummy_call(size_t i);
bool sys_dummy_active(void);
void sys_dummy_inject(unsigned events);
void sys_dummy_reset(void);
/* Dummy backend: also append each call as a line to this file (NULL: off). */
void sys_dummy_record_to(const char *path);
/* Dummy backend: make the next n apply/release calls fail (error paths). */
void sys_dummy_fail(unsigned n);

/* Parse "a.b.c.d[/len]" or IPv6 "x::y[/len]" into p (default len: host). 0 or -1. */
int sys_prefix_parse(struct sys_prefix *p, const char *s);
/* The LAN kept for one of the device's own addresses (family, address, its prefix length): the
 * prefix lengthened to at least SYS_LAN4_MIN / SYS_LAN6_MIN, host bits cleared. */
void sys_lan_bound(struct sys_prefix *out, const struct sys_prefix *addr);
/* Format p as text into out (at least 50 bytes). */
const char *sys_prefix_str(const struct sys_prefix *p, char *out, size_t cap);

#endif
