/* recall-gate's daemon internals (G2): the inventory store's own interface beyond gate.h, the
 * listeners, the fetcher, the control socket and the configuration. Not for the other parts:
 * they use gate.h. */
#ifndef RECALL_GATED_H
#define RECALL_GATED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"

#define GATED_CONF_DEF "/etc/recall/recall-gate.conf"
#define GATED_CTL_DEF  "/run/recall-gate/control"
#define GATED_INV_FILE "inventory.json"
#define GATED_REQ_MAX  16384 /* one control request (lease argv + environment), bytes */
#define GATED_ARGS_MAX 64    /* strings in one lease request (argv + DNSMASQ_* variables) */

/* ---- inventory.c ---- */
/* What gate_inv_observe_ex changed (bit mask). */
#define GATE_CHG_NEW   1u  /* a new device */
#define GATE_CHG_ADDR  2u  /* an address was added (or moved here from another device) */
#define GATE_CHG_FIELD 4u  /* a field's value or source changed: identity to be derived again */
#define GATE_CHG_UPNP  8u  /* GF_UPNP_URL changed: fetch the description */
#define GATE_CHG_MUD   16u /* GF_MUD_URL changed: fetch the MUD file */

struct gate_inv_stats {
	uint64_t observed, refused_mac, unresolved, evicted, full;
};

/* An empty store; absent_after_s: a device unseen that long is shown as absent. */
struct gate_inv *gate_inv_new(uint64_t absent_after_s);
void gate_inv_free(struct gate_inv *inv);
/* gate_inv_observe with what changed in *chg (may be NULL); 'moved' (may be NULL) receives the
 * device an address was taken from, whose enforcement needs updating too. */
struct gate_device *gate_inv_observe_ex(struct gate *g, const struct gate_obs *o, unsigned *chg,
					struct gate_device **moved);
/* Device holding the address (newest observation), or NULL. */
struct gate_device *gate_inv_by_addr(struct gate_inv *inv, const struct gate_addr *a);
bool gate_inv_absent(const struct gate_inv *inv, const struct gate_device *d, uint64_t now);
void gate_inv_touch(struct gate_inv *inv); /* mark dirty (state or policy changed elsewhere) */
bool gate_inv_dirty(const struct gate_inv *inv);      /* something but sighting times changed */
bool gate_inv_seen_dirty(const struct gate_inv *inv); /* only sighting times changed */
const struct gate_inv_stats *gate_inv_stats(const struct gate_inv *inv);
/* Load state_dir/inventory.json. 0: loaded (or no file); -1: the file is refused (err names
 * file and position), it was renamed aside to inventory.json.bad and the store is empty. */
int gate_inv_load(struct gate *g, char *err, size_t errlen);
/* The same from bytes (name is used in errors); on error the store is left empty. */
int gate_inv_parse(struct gate_inv *inv, const char *name, const char *buf, size_t len, char *err,
		   size_t errlen);
/* The store as inventory.json's text (malloc'ed; NULL when out of memory). */
char *gate_inv_dumps(const struct gate_inv *inv);
/* Write the store to a path (atomically: temporary file, fsync, rename, fsync of the folder). */
int gate_inv_save_path(struct gate_inv *inv, const char *dir, char *err, size_t errlen);
/* One device as JSON (jansson json_t *, returned as void * to keep jansson out of this header);
 * status adds the derived fields (identity, confidence, absent). */
void *gate_dev_json(const struct gate_inv *inv, const struct gate_device *d, uint64_t now,
		    bool status);
/* gate_mac_parse is G1's (parse.h): aa:bb:cc:dd:ee:ff or aa-bb-... */
int gate_mac_parse(const char *s, uint8_t mac[6]);
void gate_mac_format(const uint8_t mac[6], char out[18]);
int gate_addr_parse(const char *s, struct gate_addr *a);
void gate_addr_format(const struct gate_addr *a, char *out, size_t cap);

/* ---- neigh.c: the kernel's neighbour table on the LAN interface ---- */
int gate_neigh_open(struct gate *g, char *err, size_t errlen);
int gate_neigh_fd(void);
void gate_neigh_input(struct gate *g);
int gate_neigh_dump(struct gate *g); /* at start, periodically, and on an unknown source */
void gate_neigh_close(void);

/* ---- listen.c: SSDP, mDNS, agent announcements ---- */
struct gate_listen_stats {
	uint64_t rx, bad, foreign_if, ratelimited, unresolved, mac_mismatch, unverified;
};
int gate_listen_open(struct gate *g, char *err, size_t errlen);
size_t gate_listen_fds(int *fds, size_t cap);
void gate_listen_input(struct gate *g, int fd);
void gate_listen_search(struct gate *g); /* M-SEARCH and the DNS-SD query */
/* The helper built the DNS-SD query (asked for by gate_listen_search): send it now. */
void gate_listen_query_ready(const uint8_t *wire, size_t n);
/* A datagram the helper refused: counted as bad input and logged (rate-limited). */
void gate_listen_bad(const char *what, const char *from, const char *err);
const struct gate_listen_stats *gate_listen_stats(void);
void gate_listen_close(void);

/* ---- frame.c: the Ethernet source address of LAN datagrams (a packet socket) ---- */
struct gate_frame {
	uint8_t family; /* 4 or 6 */
	uint8_t src[16];
	uint16_t sport, dport, ulen;
	uint8_t mac[6];
};
/* The IP and UDP headers of a frame's payload (ethertype ETH_P_IP or ETH_P_IPV6): 0, or -1 if
 * it is not the first fragment of a UDP datagram. The MAC is left zero. */
int gate_frame_parse(const uint8_t *p, size_t n, uint16_t ethertype, struct gate_frame *f);
/* Packet socket on the interface for UDP datagrams to these ports (1..8 ports). */
int gate_frame_open(unsigned ifindex, const uint16_t *ports, size_t nports, char *err,
		    size_t errlen);
void gate_frame_close(void);
/* The source MAC of the frame that carried the UDP datagram (source, ports, payload length),
 * each frame used once; false if no such frame was seen. */
bool gate_frame_mac(const struct gate_addr *src, uint16_t sport, uint16_t dport, size_t len,
		    uint8_t mac[6]);

/* ---- fetch.c: UPnP descriptions, MUD files and mDNS packets, through recall-gate-helper
 * (gate/helper.h), started on demand ---- */
enum gate_fetch_kind { GATE_FETCH_UPNP = 1, GATE_FETCH_MUD };
struct gate_fetch_stats {
	uint64_t helper_started, helper_failed, helper_bad, mdns_dropped;
	bool helper_running;
};
int gate_fetch_init(char *err, size_t errlen); /* finds the helper next to the binary */
const struct gate_fetch_stats *gate_fetch_stats(void);
/* An mDNS packet from a source whose frame MAC matched the inventory: parsed by the helper,
 * then merged into the device that holds the address, if that MAC still holds it. */
void gate_fetch_mdns(struct gate *g, const uint8_t *pkt, size_t n, const struct gate_addr *from,
		     const uint8_t mac[6]);
/* The DNS-SD query into out: its length, or 0 when the helper is still building it (then
 * gate_listen_query_ready sends it). */
size_t gate_fetch_mdns_query(uint8_t *out, size_t cap);
/* Queue a fetch for a device (the URL is checked by G1's policy first). 0 queued, -1 refused. */
int gate_fetch_queue(struct gate *g, const struct gate_device *d, enum gate_fetch_kind kind);
/* Poll set: fds and their events (POLLIN/POLLOUT); returns the count. */
size_t gate_fetch_fds(int *fds, short *events, size_t cap);
int gate_fetch_timeout_ms(void);                            /* -1: no timer */
void gate_fetch_run(struct gate *g, int fd, short revents); /* fd -1: timer */
void gate_fetch_cleanup(void);

/* ---- daemon.c: reacting to changes, the control socket ---- */
/* After an observation: identity, check, enforcement, fetches as chg says. */
void gate_changed(struct gate *g, struct gate_device *d, unsigned chg);
void gate_observe(struct gate *g, const struct gate_obs *o);
int gate_ctl_listen(const char *path, char *err, size_t errlen);
/* odhcpd's state file (OpenWrt), read at start and on each trigger; "" or NULL: none. */
void gate_odhcpd_set(const char *path);
void gate_odhcpd_read(struct gate *g);
void gate_ctl_accept(struct gate *g, int lfd);

/* ---- ctl.c / lease.c: the command-line side of the control socket ---- */
/* Send one request (op + NUL-separated strings) and write the reply to out (stdout) or err. */
int gate_ctl_request(const char *path, char op, const char *const *s, size_t n, char **reply,
		     size_t *replylen, int *status);
int cmd_status(const char *ctl, bool json);
int cmd_action(const char *ctl, int argc, char **argv);
int cmd_lease(const char *ctl, int argc, char **argv);

/* Control operations (first byte of a request). */
#define GATE_OP_STATUS 'S'
#define GATE_OP_ACTION 'A'
#define GATE_OP_LEASE  'L'
#define GATE_OP_ODHCPD 'O' /* odhcpd's leasetrigger: read its state file again */
#define GATE_OP_INV    'I' /* the owner page's process: the inventory as inventory.json */
#define GATE_OP_NOTICE 'N' /* ... a verified notice by id: its payload (rc_notice_encode) */

/* ---- main.c: configuration ---- */
/* ---- pub.c: publication fetching through recall-gate-pub (gate/pubmsg.h) ---- */
struct gate_pub_stats {
	uint64_t verdicts[8]; /* by enum pubsync_verdict: new, same, stale, expired, ... io */
	uint64_t started, died, bad_msg;
};
/* With urls: makes the local key, sets g->cfg.feed and g->pub_pk, starts the fetcher. */
int gate_pub_init(struct gate *g, char *const *urls, size_t n, uint64_t poll_ms,
		  uint64_t timeout_ms, uint64_t max_bytes, char *err, size_t errlen);
int gate_pub_fd(void); /* -1: none */
void gate_pub_input(struct gate *g);
void gate_pub_tick(struct gate *g); /* restarts a fetcher that died, after its backoff */
void gate_pub_stop(void);
const struct gate_pub_stats *gate_pub_stats(void);

struct gated_opts {
	char *ctl_socket;
	char **publication; /* mirror URLs (recall-gate.conf "publication"); NULL: none */
	size_t npublication;
	uint64_t publication_poll_ms;
	uint64_t publication_timeout_ms, publication_max_bytes; /* per file; per sync */
	uint64_t absent_after_ms;
	uint64_t search_interval_ms;
	char *odhcpd_statefile;
};

#endif
