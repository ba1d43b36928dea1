/* Where `recall log monitor` reads a log from: a directory or an http(s):// URL (libcurl),
 * the same C2SP tlog-tiles paths either way. Every read is bounded by a size the caller gives;
 * a transfer is bounded in time; no redirect is followed. */
#ifndef RECALL_TOOL_LOGFETCH_H
#define RECALL_TOOL_LOGFETCH_H

#include <stddef.h>
#include <stdint.h>

/* Results of logsrc_get besides 0 (the file, exactly) and -1 (I/O error, message printed). */
#define FETCH_NOTFOUND 1 /* no such file / HTTP 404 or 410: no message */
#define FETCH_TOOBIG   2 /* more than max bytes: no message */

struct logsrc {
	const char *base; /* the directory or URL, as given */
	void *curl;       /* CURL easy handle (one connection reused) or NULL for a directory */
	long timeout;     /* seconds per transfer */
	double deadline;  /* mono_ms() by which a pass must end; 0: none */
	char errbuf[256];
};

/* -1 with a message if where is neither a directory nor an http(s) URL. */
int logsrc_open(struct logsrc *s, const char *where, long timeout);
void logsrc_close(struct logsrc *s);
/* "BASE/rel" for messages (a rotating static buffer). */
const char *logsrc_name(const struct logsrc *s, const char *rel);
/* Reads BASE/rel whole into a malloc'd, NUL-terminated *buf of *len <= max bytes. */
int logsrc_get(struct logsrc *s, const char *rel, size_t max, uint8_t **buf, size_t *len);

#endif
