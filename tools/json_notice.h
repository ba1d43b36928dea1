/* Notice descriptions in JSON (docs/NOTICE-JSON.md): parsing with a message naming the file and
 * the JSON path of the first bad field, and the reverse mapping for show --json. */
#ifndef RECALL_TOOL_JSON_NOTICE_H
#define RECALL_TOOL_JSON_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recall/notice.h"

/* A parsed description: n's views point into root and into the buffers here. */
struct jnotice {
	json_t *root;
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1];
	char hwrevs[RC_HWREVS_MAX][RC_NAME_MAX + 1];
	uint8_t digests[RC_DIGESTS_MAX][RC_DIGEST_LEN];
	struct rc_notice n;
};

/* Load a JSON file (duplicate keys rejected); NULL with a message naming the file, line and
 * column on error. */
json_t *json_load_path(const char *path);

/* json_load_path() of len bytes of JSON text at buf; messages name the text `name`. */
json_t *json_load_buf(const char *name, const void *buf, size_t len);

/* Parse the description in path (issued defaults to now). Prints "PATH: FIELD: reason" and
 * returns -1 on the first error. */
int jnotice_load(struct jnotice *j, const char *path, uint64_t now);

/* jnotice_load() of a loaded JSON value (j keeps a reference to root); messages name `name`. */
int jnotice_parse(struct jnotice *j, json_t *root, const char *name, uint64_t now);

/* Release what jnotice_load holds. */
void jnotice_free(struct jnotice *j);

/* The description of a decoded notice, in the same schema (create accepts it back). */
json_t *notice_to_json(const struct rc_notice *n);

/* A notice for people, one field per line, each line starting with indent (the text's own
 * line breaks too); untrusted strings are escaped by rc_text_safe. */
void notice_print(const struct rc_notice *n, const char *indent);

#endif
