/* The system call filter of recall-gate's helper programs (libseccomp). */
#ifndef GATE_SECCOMP_H
#define GATE_SECCOMP_H

#include <stddef.h>

/* Load the filter into this process (and every thread it starts later): the calls a process
 * taken over by LAN or mirror data could use to leave its box kill it with SIGSYS; everything
 * else is allowed. Call after gate_confine (no_new_privs is set there). 0, or -1 with why in
 * err. */
int gate_seccomp(char *err, size_t cap);

#endif
