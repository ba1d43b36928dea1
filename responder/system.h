/* Process-level helpers of recalld (system.c). */
#ifndef RECALLD_SYSTEM_H
#define RECALLD_SYSTEM_H

#include <stddef.h>

/* CPUs this process may run on. */
unsigned sys_cpus(void);
/* Go to the background; the parent exits 0 once sys_ready() is called, 1 if the child exits
 * first. -1 on error (in the process that called it). */
int sys_daemonize(void);
/* Startup finished: release the waiting parent and tell systemd (READY=1). */
void sys_ready(void);
/* Send a state line to systemd's $NOTIFY_SOCKET, if any ("RELOADING=1", "STOPPING=1"). */
void sys_notify(const char *msg);
/* Write our pid to path. */
int sys_pidfile(const char *path);
/* Hand a file opened as root to the user privileges will be dropped to (so that it can be
 * reopened after the drop, e.g. on log rotation). */
void sys_give(int fd, const char *user);
/* chroot to root (if set) and switch to user (if set) for good. */
int sys_drop(const char *user, const char *root, char *err, size_t cap);

#endif
