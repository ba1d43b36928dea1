/* recall-agent, the Linux daemon around the portable core (include/recall/agent.h):
 * configuration, persisted state, owner notification (hooks, LAN announcement), the control
 * socket shared by the daemon and its command-line subcommands. */
#ifndef RECALL_AGENTD_H
#define RECALL_AGENTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "recall/agent.h"
#include "system.h"

#define AGENTD_CONF_DEF   "/etc/recall-agent.conf"
#define AGENTD_STATE_FILE "state"
#define AGENTD_LOCK_FILE  "lock"
#define AGENTD_CTL_FILE   "control"
#define AGENTD_ANN_PORT   7413 /* LAN announcements (docs/ANNOUNCE.md) */
#define AGENTD_ANN_V4     "239.255.74.12"
#define AGENTD_ANN_V6     "ff02::7412"
#define AGENTD_ANN_MAX    1400 /* announcement datagram, bytes */
#define AGENTD_HOOKS_MAX  32   /* hooks run per event (sorted by name) */

enum { CLOCK_AUTO, CLOCK_TRUSTED, CLOCK_UNTRUSTED };
enum { SYSTEM_LINUX, SYSTEM_DUMMY };

/* recall-agent.conf(5), as parsed. */
struct agentd_conf {
	char *vendor, *model, *hwrev, *fwver, *image_digest, *identity_file;
	uint64_t build_date;
	struct conf_addr_list checkin_address;
	uint64_t port;
	char *anchors;
	uint64_t periodic, recheck, timeout, backoff_base, backoff_cap, retries, debounce;
	uint64_t attach_interval, timing_write_interval, start_spread;
	bool checkin;
	unsigned mode; /* enum agentd_mode */
	unsigned wall_clock;
	char *state_dir, *hooks_dir;
	uint64_t hook_timeout;
	bool announce;
	struct conf_addr_list announce_to;
	char *announce_interface;
	uint64_t announce_interval;
	unsigned system;
	uint64_t table, rule_priority;
	char *dummy_record;
};

/* Check-in mode (recall-agent.conf(5) "mode"): normal check-ins name the identity, private
 * ones a 12-bit prefix of its (vendor, model) hash (docs/PROTOCOL.md 18, docs/PRIVACY.md). */
enum agentd_mode { AGENTD_MODE_NORMAL = 0, AGENTD_MODE_PRIVATE = 1 };
const char *agentd_mode_name(unsigned mode);

/* The loaded configuration: parsed file, canonical identity, core configuration. */
struct agentd {
	struct agentd_conf c;
	const char *path;
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1], hwrev[RC_HWREV_MAX + 1],
	    fwver[RC_FWVER_MAX + 1];
	struct rc_agent_config ac;
	struct sys_params sp;
	const struct sys_ops *sys;
};

/* Load and check path into d (identity, identity-file, anchors, addresses). 0, or -1 with a
 * message naming file, line or key in err. */
int agentd_config_load(struct agentd *d, const char *path, char *err, size_t cap);
/* agentd_config_load() of len bytes of configuration text at buf, named `name` in messages
 * (the identity file and the anchors it names are still read from their paths). */
int agentd_config_load_buf(struct agentd *d, const char *name, const char *buf, size_t len,
			   char *err, size_t cap);
/* Fill the identity fields that d->c leaves unset from os-release-style text (NUL-terminated;
 * RECALL_VENDOR, VENDOR_NAME, ...: recall-agent.conf(5)). 0, or -1 with "NAME: reason" in err. */
int agentd_identity_text(struct agentd *d, const char *name, const char *text, char *err,
			 size_t cap);
/* The core's identity from d->c (the identity file read first when set): canonical names,
 * firmware version and digest checked. 0, or -1 with "key: reason" in err. */
int agentd_identity(struct agentd *d, char *err, size_t cap);
/* Release what agentd_config_load allocated. */
void agentd_config_free(struct agentd *d);

/* Open (creating, mode 0700) the state directory; returns a directory fd, or -1 with a message
 * in err: a symbolic link (not followed), or a directory not owned by the effective user or
 * writable by group or others, is refused. */
int state_dir_open(const char *path, char *err, size_t cap);
/* The same for a reader (status, override): never creates it (errno ENOENT: it does not exist);
 * a symbolic link, or a directory writable by group or others, is refused with the same
 * message; as root any owner is accepted (the daemon's user), else only root or this user. */
int state_dir_open_ro(const char *path, char *err, size_t cap);
/* Take the daemon's exclusive lock in the state directory: fd, or -1 with a message in err
 * (errno EWOULDBLOCK: held by a running agent). A symbolic link, a file that is not regular,
 * not ours or writable by others is refused. */
int state_lock(int dirfd, char *err, size_t cap);
/* Write the state blob atomically: temporary file, fsync, rename, fsync of the directory. */
int state_save(int dirfd, const uint8_t *blob, size_t len);
/* Read and check the state file. 0: blob in buf; 1: no state file; -1: unreadable, torn or
 * corrupt (why says what). */
int state_load(int dirfd, uint8_t *buf, size_t cap, size_t *len, char *why, size_t whycap);

/* Run the hooks in dir for an event in a child process (each with its own timeout); never
 * blocks the caller. Returns the runner's pid, 0 if there is no hooks directory, or -1 (the
 * directory refused: not owned by root or the agent's user, or writable by others). */
int hooks_run(const struct agentd *d, const char *event, const char *state,
	      const struct rc_notice *n);
/* Hooks and hook directories refused so far (owner or mode unsafe, not a regular file). */
uint64_t hooks_refused(void);

/* Open the announcement sockets (if announce = yes). 0 or -1. */
int announce_init(const struct agentd *d);
/* Send one announcement of event/state (n: held notice or NULL) to every destination. */
void announce_send(const struct agentd *d, const char *event, const char *state,
		   const struct rc_notice *n);
/* Format the announcement datagram; returns its length. */
size_t announce_format(char *out, size_t cap, const struct agentd *d, const char *event,
		       const char *state, const struct rc_notice *n);
/* Append s (n bytes) to out as a JSON string body (rc_text_safe's RC_TEXT_JSON: controls, C1,
 * bidi and invisible characters as \u escapes; no quotes); stops at a character boundary when
 * out is full. Returns the new used length. */
size_t json_escape(char *out, size_t cap, size_t used, const char *s, size_t n);

/* State name that a notify event leads to ("quarantined", "normal", ...). */
const char *agentd_event_state(enum rc_agent_event ev);

/* Control socket (SOCK_SEQPACKET, <state-dir>/control): one request, one reply. */
enum { CTL_STATUS = 'S', CTL_OVERRIDE = 'O', CTL_CLEAR = 'C' };
/* A status reply: RC_OK | struct rc_agent_status | u64 big-endian hooks refused | u16 length and
 * notice text | u16 length and remedy URL (text and URL lie within the notice). */
#define CTL_MSG_MAX (1 + sizeof(struct rc_agent_status) + 8 + 4 + RC_NOTICE_MAX + 64)
#define CTL_REQ_MAX (RC_NOTICE_ID_MAX + 7) /* longest request the daemon reads, bytes */
/* Send a request (op + NUL-terminated arg) to the daemon through the control socket in the
 * state directory dirfd (from state_dir_open_ro: connected relative to it, never by path) and
 * read its reply into buf. Returns reply length, or -1 (errno ENOENT/ECONNREFUSED: daemon not
 * running). */
long ctl_request(int dirfd, char op, const char *arg, uint8_t *buf, size_t cap);
/* The daemon's listening socket, bound as `control` inside the state directory dirfd (not
 * through its path: nothing between can be swapped); a stale socket is removed first. fd or
 * -1. */
int ctl_listen(int dirfd);
/* The daemon's side: the reply to request req (n >= 1 bytes followed by a NUL) from a peer with
 * uid (owner: root or the agent's own user; others may only ask for the status) into out;
 * returns the reply length. Overrides are logged. */
size_t ctl_handle(struct rc_agent *a, const char *req, size_t n, bool owner, unsigned uid,
		  uint8_t out[static CTL_MSG_MAX]);
/* A status reply, decoded: the core's status, the daemon's own counters, views of the notice
 * text and remedy URL in the reply buffer. */
struct ctl_status {
	struct rc_agent_status st;
	uint64_t hooks_refused; /* hooks_refused() of the daemon */
	struct rc_str text, url;
};
/* 0 with the reply in s, or -1 if it is malformed or not exactly one status reply long (a
 * daemon of another build). */
int ctl_status_decode(const uint8_t *buf, size_t n, struct ctl_status *s);

/* The daemon's wall clock (rc_agent_ops.wall): POSIX seconds; *trusted as wall-clock says
 * (auto: the kernel's synchronised flag, adjtimex(2)). The status command judges the saved
 * state's time floor with it too. */
uint64_t agentd_wall(const struct agentd *d, bool *trusted);

/* Subcommands (main.c dispatches). Return the process exit status. */
int cmd_run(struct agentd *d, bool foreground, int verbose);
int cmd_status(struct agentd *d, bool json);
int cmd_override(struct agentd *d, const char *id, bool clear);

#endif
