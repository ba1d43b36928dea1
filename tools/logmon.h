/* `recall log monitor` (log_monitor.c): the monitor's settings and its entry printer
 * (log_entry.c). */
#ifndef RECALL_TOOL_LOGMON_H
#define RECALL_TOOL_LOGMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/identity.h"
#include "recall/tlog.h"

struct logmon {
	bool json;
	bool have_anchors;
	struct rc_anchors anchors;    /* moved on by the rotation statements shown */
	char vendor[RC_NAME_MAX + 1]; /* canonical; empty: every vendor */
	const char *origin;
	size_t origin_len;
};

/* Prints entry index (e, len; leaf its hash) unless the vendor filter hides it: 1 if printed,
 * 0 if hidden. */
int logmon_show(struct logmon *lm, uint64_t index, const uint8_t *e, size_t len,
		const uint8_t leaf[RC_TLOG_HASH_LEN]);

#endif
