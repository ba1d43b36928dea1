/* recall-gate: shared types between the gate's parts (issue 10). Binding interface for the
 * helpers G1 (parsers, identity), G2 (daemon, inventory store, listeners, check, nftables) and
 * G3 (owner web page + JSON API). G2 owns this file at gate/gate.h; changes only by adding. */
#ifndef RECALL_GATE_H
#define RECALL_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/identity.h"
#include "recall/notice.h"

#define GATE_DEVICES_MAX 512  /* inventory bound; the oldest absent device is evicted first */
#define GATE_ADDRS_MAX   8    /* addresses per device (v4 + v6, newest kept) */
#define GATE_VAL_MAX     128  /* one field value, bytes incl. NUL, sanitised on input */

/* Where a field came from (shown on the page next to every value). */
enum gate_src {
	GS_NONE = 0,
	GS_NEIGH,   /* kernel neighbour table (netlink) */
	GS_DHCP,    /* DHCPv4 request via dnsmasq's --dhcp-script / odhcpd's hook */
	GS_DHCP6,   /* DHCPv6 */
	GS_MDNS,    /* mDNS / DNS-SD TXT */
	GS_SSDP,    /* SSDP NOTIFY / M-SEARCH reply headers */
	GS_UPNP,    /* the UPnP device description the SSDP LOCATION points to */
	GS_MUD,     /* the MUD file (RFC 8520) behind the DHCP MUD URL */
	GS_AGENT,   /* recall-agent LAN announcement (docs/ANNOUNCE.md) */
	GS_OUI,     /* IEEE OUI of a globally administered MAC */
	GS_OWNER,   /* typed by the owner on the page (confirm firmware) */
	GS__N
};

enum gate_field {
	GF_HOSTNAME = 0,  /* DHCP option 12 / mDNS host */
	GF_VENDOR_CLASS,  /* DHCP option 60 */
	GF_DHCP_PRL,      /* DHCP option 55 as decimal list "1,3,6,15" (fingerprint) */
	GF_MUD_URL,       /* DHCP option 161 / DHCPv6 112 */
	GF_MANUFACTURER,  /* raw vendor name as the source gave it */
	GF_MODEL,         /* raw model name */
	GF_MODEL_NUMBER,  /* UPnP modelNumber */
	GF_HWREV,
	GF_FWVER,         /* firmware build, exactly as the source gave it */
	GF_FRIENDLY,      /* UPnP friendlyName / mDNS instance name (attacker-controlled text) */
	GF_UPNP_URL,      /* SSDP LOCATION */
	GF_AGENT_STATE,   /* agent's state name */
	GF_AGENT_NOTICE,  /* notice id the agent holds */
	GF__N
};

struct gate_val {
	char v[GATE_VAL_MAX]; /* NUL-terminated, valid UTF-8, no control bytes (rc_text_safe) */
	uint8_t src;          /* enum gate_src; GS_NONE = unset */
	uint64_t seen;        /* unix time of the last observation */
};

struct gate_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];
	uint64_t seen;
};

/* One observation from one source about one device; parsers fill it, the store merges it.
 * A field is set when its src != GS_NONE. Parsers never see or set other devices. */
struct gate_obs {
	uint8_t mac[6];
	bool has_mac;              /* false: resolve via an address (SSDP/mDNS by source IP) */
	struct gate_addr addr;     /* family 0 = none */
	struct gate_val f[GF__N];
};

enum gate_conf {
	GATE_CONF_UNKNOWN = 0, /* nothing usable */
	GATE_CONF_MODEL,       /* vendor + model, no build: "possibly affected" only, never enforced */
	GATE_CONF_DESCRIBED,   /* UPnP / mDNS description with a firmware build */
	GATE_CONF_DECLARED,    /* the agent's announcement, or a MUD file naming firmware */
};

enum gate_policy { GATE_POL_ENFORCE = 0, GATE_POL_NOTIFY, GATE_POL_ALLOW };

enum gate_state {
	GATE_ST_UNCHECKED = 0, /* no build-level identity, or not checked yet */
	GATE_ST_CLEAR,
	GATE_ST_POSSIBLE,      /* model-only identity and a notice targets the model */
	GATE_ST_RECALLED,      /* verified notice covers the identity; policy says what happens */
	GATE_ST_QUARANTINED,   /* blocked at the gateway (nftables) */
	GATE_ST_AGENT_QUAR,    /* the device's own agent reports quarantine: blocked here too */
};

struct gate_device {
	uint8_t mac[6];
	bool mac_random;              /* locally administered bit set */
	uint64_t first_seen, last_seen;
	uint32_t naddr;
	struct gate_addr addr[GATE_ADDRS_MAX];
	struct gate_val f[GF__N];
	/* derived by gate_identity() */
	enum gate_conf conf;
	struct rc_identity id;        /* canonical, valid when conf >= GATE_CONF_MODEL (fwver empty for MODEL) */
	char id_store[4][72];         /* backing bytes for id's strings */
	char mapping[GATE_VAL_MAX];   /* "Hikvision Digital Technology Co., Ltd. -> hikvision (vendors.map:12)" or "" */
	/* check and enforcement */
	enum gate_state state;
	enum gate_policy policy;
	char notice_id[RC_NOTICE_ID_MAX + 1];
	uint64_t checked;             /* unix time of the last check */
};


/* ---- Daemon context (G2 owns; fields for every part) ---- */
struct gate_config {
	char interface[16];       /* LAN interface (bridge), e.g. br-lan */
	char wan_interface[16];   /* upstream interface; forwarding lan -> wan is what quarantine cuts */
	char state_dir[256];      /* /var/lib/recall-gate: inventory.json, enforce.json, password */
	char web_listen[64];      /* "LANADDR:PORT"; default: the interface's first IPv4 address, 8080 */
	char check_mode[8];       /* "feed" (default: private, needs feed+anchors) or "checkin" */
	bool checkin_private;     /* checkin mode: private check-ins (PROTOCOL.md 18.4) */
	char feed[256], anchors[256];
	char feed_key[256];       /* feed mode: authority's feed public key (recalld feed-key) */
	char responder[4][64];    /* "addr:port" check-in addresses for checkin mode */
	uint32_t nresponder;
	uint32_t check_interval_s; /* re-check every device's identity, default 86400 */
	char vendors_map[256];    /* alias table, default /usr/share/recall/gate/vendors.map */
	char oui_file[256];       /* default /usr/share/recall/gate/oui.txt */
	bool fetch_upnp, fetch_mud; /* default yes */
	uint8_t default_policy;   /* enum gate_policy for verified build-level recalls: enforce */
	char remedy_allow[4][64]; /* extra addresses a quarantined device may reach */
	uint32_t nremedy_allow;
	char fingerprints[256];   /* DHCP fingerprints, default /usr/share/recall/gate/dhcp-fingerprints.txt */
};

struct gate_inv;               /* G2: inventory store (gate/inventory.c) */
struct gate_check;             /* G4 (genforce): gate/check.c */
struct gate_nft;               /* G4 (genforce): gate/enforce.c */
struct gate_web;               /* G3: gate/web.c */

struct gate {
	struct gate_config cfg;
	struct gate_inv *inv;
	struct gate_check *check;
	struct gate_nft *nft;
	struct gate_web *web;
	const void *aliases;       /* G1: loaded vendors.map + OUI table */
	uint64_t now;              /* unix time, updated by the main loop each pass */
	bool pub;                  /* publication: the feed is built by recall-gate-pub ... */
	uint8_t pub_pk[32];        /* ... and opened with this local key (gate/pub.c) */
};

/* ---- G1 (gparse): gate/parse.h, gate/identity.c. Each parser: 0 on success, -1 with a
 * message naming what and where in err. Only fills o; never touches the inventory. ---- */
int gate_ssdp_parse(const uint8_t *buf, size_t len, struct gate_obs *o, char *err, size_t errlen);
int gate_upnp_parse(const char *xml, size_t len, struct gate_obs *o, char *err, size_t errlen);
int gate_mdns_parse(const uint8_t *pkt, size_t len, struct gate_obs *o, char *err, size_t errlen);
/* dnsmasq --dhcp-script: argv (action, mac, ip[, hostname]) and its DNSMASQ_* environment as
 * "KEY=VALUE" strings; odhcpd's hook likewise (doc which variables). */
int gate_dhcp_parse(const char *const *argv, size_t argc, const char *const *env, size_t nenv,
		    struct gate_obs *o, char *err, size_t errlen);
int gate_mud_parse(const char *json, size_t len, struct gate_obs *o, char *err, size_t errlen);
int gate_announce_parse(const uint8_t *buf, size_t len, struct gate_obs *o, char *err,
			size_t errlen);
/* URL policy: UPnP description only from http://<the device's own address>[:port]/...;
 * MUD only https://. 0 ok, -1 refused (err says why). */
int gate_url_check_upnp(const char *url, const struct gate_addr *from, char *err, size_t errlen);
int gate_url_check_mud(const char *url, char *err, size_t errlen);
const void *gate_aliases_load(const char *vendors_map, const char *oui_file, char *err, size_t errlen);
void gate_aliases_free(const void *al);

/* ---- G2 (gdaemon): gate/inventory.c ---- */
size_t gate_inv_count(const struct gate_inv *inv);
struct gate_device *gate_inv_at(struct gate_inv *inv, size_t i);
struct gate_device *gate_inv_find(struct gate_inv *inv, const uint8_t mac[6]);
/* merge one observation (resolves has_mac=false by address); returns the device or NULL */
struct gate_device *gate_inv_observe(struct gate *g, const struct gate_obs *o);
int gate_inv_save(struct gate *g); /* atomic write to state_dir */

/* ---- G4 (genforce): gate/check.c, gate/enforce.c ---- */
int gate_check_init(struct gate *g, char *err, size_t errlen);
void gate_check_device(struct gate *g, struct gate_device *d); /* after identity changed / timer */
int gate_check_fd(const struct gate *g);                         /* -1 if none (feed mode) */
void gate_check_input(struct gate *g);                           /* fd readable */
int gate_enforce_init(struct gate *g, char *err, size_t errlen); /* table + persisted sets, at start */
int gate_enforce_apply(struct gate *g, struct gate_device *d);   /* after state/addr/policy change */
enum gate_action { GATE_ACT_QUARANTINE = 1, GATE_ACT_RELEASE, GATE_ACT_CONFIRM_FW,
		   GATE_ACT_ALLOW, GATE_ACT_NOTIFY, GATE_ACT_ENFORCE };
/* owner action from the page / API / CLI; arg = firmware version for CONFIRM_FW */
int gate_action(struct gate *g, const uint8_t mac[6], enum gate_action act, const char *arg,
		char *err, size_t errlen);
/* the verified notice a device's state refers to (for the page); -1 if none */
int gate_notice_get(struct gate *g, const char *id, struct rc_notice *out);

/* ---- G3 (gweb): gate/web.c — libmicrohttpd in external-poll mode on the main loop ---- */
int gate_web_start(struct gate *g, char *err, size_t errlen);
int gate_web_fd(const struct gate *g);  /* epoll fd of MHD to poll for input */
void gate_web_run(struct gate *g);      /* when readable, and at least every second */
void gate_web_stop(struct gate *g);

/* G1: identity with confidence; canonical names per PROTOCOL.md 5.2 with a vendor alias table
 * (gate/vendors.map, installed; "Raw Name<TAB>canonical"), mapping text says what was applied. */
int gate_identity(struct gate_device *d, const void *aliases);


/* ---- G2 (gdaemon), added: names of the enums as used in inventory.json, `recall-gate status
 * --json` and for the page/API (stable lowercase words; "?" for an out-of-range value). ---- */
const char *gate_src_name(unsigned src);
const char *gate_field_name(unsigned f);
const char *gate_conf_name(unsigned c);
const char *gate_state_name(unsigned s);
const char *gate_policy_name(unsigned p);

#endif
