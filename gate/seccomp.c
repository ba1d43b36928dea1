/* gate_seccomp (seccomp.h). recall-gate-helper parses UPnP XML, MUD JSON and mDNS records from
 * LAN devices, recall-gate-web talks HTTP to the LAN, recall-gate-pub reads mirrors: a parser
 * bug there must not become a foothold on the gateway. They already run without capabilities,
 * with no_new_privs and no file writes (confine.c); this filter also takes away running
 * programs, looking into or tracing other processes, new namespaces, kernel keyrings, BPF,
 * perf, userfaultfd and the administrative calls. It is a deny list rather than an allow list
 * because libcurl's resolver threads, glibc, GnuTLS and the sanitizers need a long and
 * version-dependent list of ordinary calls; the systemd unit's own @system-service filter
 * applies on top where there is one (on OpenWrt there is none, so this is the only one). */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "seccomp.h"

/* LeakSanitizer stops the process's threads with ptrace at exit: sanitizer builds (tests only)
 * leave ptrace out. */
#if defined(__SANITIZE_ADDRESS__)
#define GATE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GATE_SANITIZED 1
#endif
#endif

/* clang-format off */
static const char *const denied[] = {
	/* run another program */
	"execve", "execveat",
	/* other processes */
#ifndef GATE_SANITIZED
	"ptrace",
#endif
	"process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
	/* namespaces, mounts, the root */
	"unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsmount",
	"fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr",
	/* kernel attack surface a parser never needs */
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "personality",
	"open_by_handle_at", "name_to_handle_at", "fanotify_init",
	/* administration */
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
	"swapon", "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "iopl", "ioperm", "quotactl", "nfsservctl", "vhangup",
	"syslog", "lookup_dcookie", "uselib", "ustat", "sysfs", "_sysctl",
};
/* clang-format on */

int gate_seccomp(char *err, size_t cap)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f) {
		snprintf(err, cap, "seccomp: cannot make a filter");
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]) && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call on this architecture (e.g. ioperm on arm) */
		r = seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, nr, 0);
		if (r)
			snprintf(err, cap, "seccomp: %s: %s", denied[i], strerror(-r));
	}
	/* the filter covers threads started later; no_new_privs is already set */
	if (r == 0 && (r = seccomp_load(f)) != 0)
		snprintf(err, cap, "seccomp: load: %s", strerror(-r));
	seccomp_release(f);
	return r ? -1 : 0;
}
