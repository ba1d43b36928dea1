/* systemd's service notifications (sd_notify(3)) without libsystemd: one datagram to
 * $NOTIFY_SOCKET, a path or '@' for the abstract namespace. Nothing happens when it is unset,
 * so the programs run the same outside systemd. */
#ifndef RECALL_NOTIFY_H
#define RECALL_NOTIFY_H

#include <stdint.h>

/* Send msg ("READY=1", "WATCHDOG=1", "STATUS=..."): 0 sent, 1 no $NOTIFY_SOCKET, -1 failed
 * (errno set). */
int notify_send(const char *msg);

/* The service manager's watchdog interval in milliseconds ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or names this process), 0 when there is none. */
uint64_t notify_watchdog_ms(void);

#endif
