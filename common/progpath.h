/* Where a daemon finds the helper programs it starts (recall-gate's helper, page and nftables
 * processes): next to its own binary first (the build tree, or a package that puts them there),
 * then the installed helper directory. Only root-owned places the daemon was installed into. */
#ifndef RECALL_COMMON_PROGPATH_H
#define RECALL_COMMON_PROGPATH_H

#include <stddef.h>

/* Writes the path of the executable `name` into out: "<dir of /proc/self/exe>/name" if that is
 * executable, else "<libexec_dir>/name" if that is. -1 with both tried places in err if neither
 * is (or a path is too long). */
int prog_path(char *out, size_t len, const char *name, const char *libexec_dir, char *err,
	      size_t errlen);

#endif
