/* Helper program lookup (progpath.h). */
#include "progpath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int prog_path(char *out, size_t len, const char *name, const char *libexec_dir, char *err,
	      size_t errlen)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash = n > 0 ? (self[n] = 0, strrchr(self, '/')) : NULL;
	if (slash) {
		*slash = 0;
		int w = snprintf(out, len, "%s/%s", self, name);
		if (w > 0 && (size_t)w < len && access(out, X_OK) == 0)
			return 0;
	}
	int w = snprintf(out, len, "%s/%s", libexec_dir, name);
	if (w > 0 && (size_t)w < len && access(out, X_OK) == 0)
		return 0;
	snprintf(err, errlen, "%s: not found next to %s nor in %s (%s)", name,
		 slash ? self : "/proc/self/exe", libexec_dir, strerror(errno));
	return -1;
}
