/* rtnetlink plumbing of the Linux backend (libmnl): one request socket that only talks to the
 * kernel, ACKed change requests, bounded dump retries, validated attribute access. */
#ifndef RECALL_AGENT_NL_H
#define RECALL_AGENT_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <libmnl/libmnl.h>

#define NL_ATTR_MAX     64 /* slots of an attribute table: RTA_MAX, FRA_MAX, IFA_MAX are below */
#define nl_alen(family) ((size_t)((family) == AF_INET ? 4 : 16))

/* The receive buffer that nl_recv fills (messages of the last call). */
extern uint8_t nl_rxbuf[16384];

/* Open the request socket and a monitor socket bound to groups. 0 or -1 (errno). */
int nl_open(unsigned groups);
/* The monitor socket (NULL before nl_open). */
struct mnl_socket *nl_monitor(void);
void nl_close(void);

/* Receive one buffer of messages from the kernel into nl_rxbuf (others are dropped). */
ssize_t nl_recv(struct mnl_socket *s, int flags);
/* Start a request of type in b (sized by the caller for what it appends). */
struct nlmsghdr *nl_msg_start(uint8_t *b, uint16_t type, uint16_t flags);
/* Send a change request with NLM_F_ACK and wait for its acknowledgement. 0 or -1 (errno). */
int nl_talk(struct nlmsghdr *nlh);
/* Run a dump of type for family, calling fn on each message; retried (bounded) if the kernel
 * reports it interrupted. 0 or -1 (errno). */
int nl_dump(uint16_t type, uint8_t family, mnl_cb_t fn, void *data);

/* mnl_attr_parse callback filling a table of NL_ATTR_MAX slots (higher types ignored). */
int nl_attr_cb(const struct nlattr *a, void *data);
/* Validated fetch of attribute t as u32 (false if absent or malformed). */
bool nl_get_u32(const struct nlattr **tb, int t, uint32_t *v);
/* Validated fetch of an address attribute of the family's length: -1 malformed, 0 absent, 1. */
int nl_get_addr(const struct nlattr **tb, int t, uint8_t family, uint8_t out[16]);

#endif
