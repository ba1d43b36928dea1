/* recall publish (publish.c): the parts shared by its files. */
#ifndef RECALL_TOOL_PUBLISH_H
#define RECALL_TOOL_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pubdir.h"
#include "recall/publication.h"

/* The publication found in PUBDIR before this run. */
struct old_pub {
	uint8_t *buf;
	size_t len;
	struct rc_pub pub;
	bool have;
	uint64_t size; /* its log size */
};

/* The withdrawn list to publish: sorted, unique. */
struct withdrawn {
	uint64_t *v;
	size_t n;
	size_t superseded; /* of them, added because a later entry has the same notice id */
};

/* The list from FILE (one decimal index per line, '#' comments, blank lines), else the old
 * publication's (old may be NULL), plus every notice entry that a later entry with the same
 * notice id supersedes. Each index must be below the log size and name a notice. -1 with a
 * message naming the file and line. */
int withdrawn_make(struct withdrawn *wd, const char *file, const struct rc_pub *old,
		   const struct pubdir_log *lg);

/* recall publish verify (publish_verify.c). */
int publish_verify(int argc, char **argv);

#endif
