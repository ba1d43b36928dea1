/* Confinement of the gate's helper programs (recall-gate-helper, recall-gate-web): before they
 * read anything, no capabilities, no new privileges, and (best effort) no files written and no
 * core dumps. Under the systemd unit the daemon's user holds its capabilities as ambient ones,
 * which the daemon clears before exec, and the unit's system call filter refuses capset and
 * setrlimit (~@privileged, ~@resources); so a refused capset is fine when /proc says no
 * capability is held, and the limits are taken where the system allows them. Linked through
 * gate_parse, which both helpers use. */
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "parse.h"

/* True when /proc/self/status shows no permitted and no effective capability. */
static bool no_caps(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	int zero = 0;
	while (f && fgets(line, sizeof(line), f))
		if ((!strncmp(line, "CapPrm:", 7) || !strncmp(line, "CapEff:", 7)) &&
		    strspn(line + 7, "\t 0") == strcspn(line + 7, "\n"))
			zero++;
	if (f)
		fclose(f);
	return zero == 2;
}

static int confine(unsigned max_files, bool writes)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (syscall(SYS_capset, &h, d) != 0 && !no_caps())
		return -1;
	struct rlimit zero = {0, 0}, files = {max_files, max_files};
	if (!writes)
		setrlimit(RLIMIT_FSIZE, &zero);
	setrlimit(RLIMIT_CORE, &zero);
	if (max_files)
		setrlimit(RLIMIT_NOFILE, &files);
	return 0;
}

int gate_confine(unsigned max_files)
{
	return confine(max_files, false);
}

int gate_confine_writer(unsigned max_files)
{
	return confine(max_files, true);
}
