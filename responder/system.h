/* Process-level helpers of recalld (system.c). */
#ifndef RECALLD_SYSTEM_H
#define RECALLD_SYSTEM_H

#include <stdbool.h>
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
/* Write our pid to path: never through a symbolic link, only into a regular file with one
 * link, truncated only after those checks. -1 with the reason in err. */
int sys_pidfile(const char *path, char *err, size_t cap);
/* Open a file to append to (the event log), creating it with mode 0640, safely while root:
 * never through a symbolic link (O_NOFOLLOW), never blocking (O_NONBLOCK), only a regular file
 * with one link. When running as root and user is set, the file is handed to that user (so it
 * can be reopened after the privilege drop) if it was created by this call or is already owned
 * by root or that user; a file owned by anyone else is refused. what names the key in errors.
 * The descriptor, or -1 with "what path: reason" in err. */
int sys_open_log(const char *what, const char *path, const char *user, char *err, size_t cap);
/* For a configuration test: user (if set) exists and root (if set) is a directory. */
int sys_check_user(const char *user, const char *root, char *err, size_t cap);
/* chroot to root (if set) and switch to user (if set) for good. */
int sys_drop(const char *user, const char *root, char *err, size_t cap);

#endif
