/* Reading a log's static files from a directory or over HTTP (logfetch.h). A server is
 * untrusted: its answers are capped at the size the caller expects (the transfer is cut when
 * it goes beyond), each transfer has a time limit, redirects are not followed and only http and
 * https are spoken, so that it cannot make the monitor allocate without bound or wait forever. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "logfetch.h"
#include "util.h"

static int is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

int logsrc_open(struct logsrc *s, const char *where, long timeout)
{
	memset(s, 0, sizeof(*s));
	s->base = where;
	s->timeout = timeout;
	if (!is_url(where)) {
		struct stat st;
		if (stat(where, &st) < 0 || !S_ISDIR(st.st_mode)) {
			warnx_("%s: not a log directory or an http(s):// URL", where);
			return -1;
		}
		return 0;
	}
	static int inited;
	if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		warnx_("libcurl: cannot initialise");
		return -1;
	}
	inited = 1;
	CURL *c = curl_easy_init();
	if (!c) {
		warnx_("libcurl: cannot initialise");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "recall-log-monitor");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	s->curl = c;
	return 0;
}

void logsrc_close(struct logsrc *s)
{
	if (s->curl)
		curl_easy_cleanup(s->curl);
	s->curl = NULL;
}

const char *logsrc_name(const struct logsrc *s, const char *rel)
{
	static char buf[4][4096];
	static unsigned i;
	char *o = buf[i++ % 4];
	size_t bl = strlen(s->base);
	snprintf(o, sizeof(buf[0]), "%s%s%s", s->base, bl && s->base[bl - 1] == '/' ? "" : "/",
		 rel);
	return o;
}

static int get_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return FETCH_NOTFOUND;
	} else if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		return FETCH_TOOBIG;
	}
	*buf = file_read(path, len, max);
	return *buf ? 0 : -1;
}

struct body {
	uint8_t *p;
	size_t len, max;
	int toobig;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *ctx)
{
	struct body *b = ctx;
	size_t n = sz * nm;
	if (n > b->max - b->len) {
		b->toobig = 1;
		return 0; /* aborts the transfer */
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return n;
}

int logsrc_get(struct logsrc *s, const char *rel, size_t max, uint8_t **buf, size_t *len)
{
	const char *url = logsrc_name(s, rel);
	*buf = NULL;
	if (!s->curl)
		return get_file(url, max, buf, len);
	/* Each transfer gets --timeout, and no more than what is left of the pass's time. */
	long left = s->deadline ? (long)(s->deadline - mono_ms()) : s->timeout * 1000;
	if (left <= 0) {
		warnx_("%s: the pass has taken its whole time (--pass-timeout); stopping it", url);
		return -1;
	}
	/* The buffer is allocated once at the cap, which the caller chose as the largest valid
	 * file of its kind: the server's Content-Length plays no part in it. */
	struct body b = {malloc(max + 1), 0, max, 0};
	if (!b.p) {
		warnx_("%s: out of memory", url);
		return -1;
	}
	CURL *c = s->curl;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 left < s->timeout * 1000 ? left : s->timeout * 1000);
	s->errbuf[0] = 0;
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	int ret = 0;
	if (code == 404 || code == 410) {
		ret = FETCH_NOTFOUND;
	} else if (b.toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		ret = FETCH_TOOBIG;
	} else if (rc != CURLE_OK) {
		warnx_("%s: %s", url, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
		ret = -1;
	} else if (code != 200) {
		warnx_("%s: HTTP status %ld", url, code);
		ret = -1;
	}
	if (ret) {
		free(b.p);
		return ret;
	}
	b.p[b.len] = 0;
	*buf = b.p;
	*len = b.len;
	return 0;
}
