/* `recall-agent override NOTICE|all` and `recall-agent override --clear`: the owner's control.
 * Sent to the running daemon, which owns the state file and the quarantine: it lifts or
 * re-applies the quarantine at once, persists the change and logs it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentd.h"

int cmd_override(struct agentd *d, const char *id, bool clear)
{
	uint8_t buf[64];
	char err[512];
	/* The directory checked as the daemon checks it: a socket planted by someone else is
	 * never talked to. */
	int dfd = state_dir_open_ro(d->c.state_dir, err, sizeof(err));
	if (dfd < 0 && errno != ENOENT) {
		fprintf(stderr, "recall-agent: %s\n", err);
		return 1;
	}
	long n = dfd < 0 ? -1
			 : ctl_request(dfd, clear ? CTL_CLEAR : CTL_OVERRIDE,
				       clear || !strcmp(id, "all") ? "" : id, buf, sizeof(buf));
	if (dfd >= 0) {
		int e = errno;
		close(dfd);
		errno = e;
	}
	if (n < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fprintf(
			    stderr,
			    "recall-agent: the agent is not running (no control socket in %s), so "
			    "nothing was recorded: start it (systemctl start recall-agent) and "
			    "run this again; if it cannot start, see LIFTING A QUARANTINE BY "
			    "HAND in recall-agent(8)\n",
			    d->c.state_dir);
		else
			fprintf(stderr, "recall-agent: control socket in %s: %s\n", d->c.state_dir,
				strerror(errno));
		return 1;
	}
	if (buf[0] != RC_OK) {
		fprintf(stderr, "recall-agent: override refused: %s\n",
			buf[0] == RC_ERR_INVALID ? "permission denied" : rc_strerror(buf[0]));
		return 1;
	}
	if (clear)
		printf("overrides cleared; a held recall applies again\n");
	else
		printf("override of %s recorded\n", strcmp(id, "all") ? id : "all notices");
	return 0;
}
