/* Publication mirrors over libcurl or from directories (pubfetch.h). Nothing here parses what a
 * mirror sends beyond two response headers kept as opaque validators: the bytes go to pubsync,
 * which verifies them before anything is kept. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "pubfetch.h"

void pubfetch_limits_default(struct pubfetch_limits *l)
{
	l->timeout_ms = 30000;
	l->connect_timeout_ms = 10000;
	l->low_speed_bytes = 1024;
	l->low_speed_s = 10;
	l->max_bytes = (uint64_t)256 << 20;
}

static bool is_http(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

int pubfetch_check_url(const char *s, char *err, size_t cap)
{
	if (is_http(s)) {
		size_t skip = s[4] == 's' ? 8 : 7;
		if (!s[skip] || s[skip] == '/') {
			snprintf(err, cap, "%s: no host in the URL", s);
			return -1;
		}
		return 0;
	}
	const char *p = !strncmp(s, "file://", 7) ? s + 7 : s;
	if (p[0] != '/') {
		snprintf(err, cap,
			 "%s: not an http://, https:// or file:///PATH URL, nor an absolute "
			 "directory",
			 s);
		return -1;
	}
	return 0;
}

int pubfetch_init(struct pubfetch *f, char *const *urls, size_t n,
		  const struct pubfetch_limits *lim, const char *agent, char *err, size_t cap)
{
	memset(f, 0, sizeof(*f));
	f->lim = *lim;
	f->agent = agent;
	if (n == 0 || n > PUBFETCH_MIRRORS_MAX) {
		snprintf(err, cap, "publication: 1 to %d mirrors, not %zu", PUBFETCH_MIRRORS_MAX,
			 n);
		return -1;
	}
	bool any_http = false;
	for (size_t i = 0; i < n; i++) {
		struct pubfetch_mirror *m = &f->m[i];
		if (pubfetch_check_url(urls[i], err, cap) < 0)
			goto fail;
		m->base = strdup(urls[i]);
		if (!m->base)
			goto oom;
		f->n = i + 1;
		if (is_http(urls[i])) {
			m->https = urls[i][4] == 's';
			any_http = true;
		} else {
			m->dir = strdup(!strncmp(urls[i], "file://", 7) ? urls[i] + 7 : urls[i]);
			if (!m->dir)
				goto oom;
		}
		log_rate_init(&m->rate, 1.0 / 60, 3);
	}
	if (!any_http)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(f->curl = curl_easy_init())) {
		snprintf(err, cap, "publication: libcurl cannot initialise");
		goto fail;
	}
	CURL *c = f->curl;
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->curl_err);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)lim->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)lim->low_speed_bytes);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)lim->low_speed_s);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	/* the CA store and proxies (http_proxy, https_proxy, no_proxy) are libcurl's defaults */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	return 0;
oom:
	snprintf(err, cap, "publication: out of memory");
fail:
	pubfetch_free(f);
	return -1;
}

void pubfetch_free(struct pubfetch *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->m[i].base);
		free(f->m[i].dir);
	}
	if (f->curl)
		curl_easy_cleanup(f->curl);
	f->curl = NULL;
	f->n = 0;
}

/* Names pubsync asks for are its own (tiles, entries, the top file); refuse anything that could
 * leave the mirror's directory all the same. */
static bool rel_ok(const char *rel)
{
	if (!rel[0] || rel[0] == '/' || strlen(rel) > 512)
		return false;
	for (const char *p = rel; *p; p++) {
		if (*p == '.' && (p == rel || p[-1] == '/') && p[1] == '.' &&
		    (p[2] == '/' || !p[2]))
			return false;
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return false;
	}
	return true;
}

static int get_dir(struct pubfetch *f, const struct pubfetch_mirror *m, const char *rel, size_t max,
		   uint8_t **buf, size_t *len, char *err, size_t cap)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", m->dir, rel) >= sizeof(path)) {
		snprintf(err, cap, "%s/%s: path too long", m->dir, rel);
		return -1;
	}
	/* O_NONBLOCK: a FIFO planted in a mirror directory must not block the sync */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return PUBSYNC_GET_NOTFOUND;
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, cap, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return PUBSYNC_GET_TOOBIG;
	}
	if ((uint64_t)st.st_size > f->lim.max_bytes - f->sync_bytes) {
		snprintf(err, cap, "%s: over the %llu bytes one sync may read", path,
			 (unsigned long long)f->lim.max_bytes);
		close(fd);
		return -1;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *b = malloc(n + 1);
	if (!b) {
		snprintf(err, cap, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* shrank while read: pubsync finds it short */
		got += (size_t)r;
	}
	close(fd);
	f->sync_bytes += got;
	*buf = b;
	*len = got;
	return 0;
}

struct body {
	struct pubfetch *f;
	uint8_t *p;
	size_t len, max;
	bool toobig, overall;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *ctx)
{
	struct body *b = ctx;
	size_t n = sz * nm;
	if (n > b->max - b->len) {
		b->toobig = true;
		return 0; /* aborts the transfer at once */
	}
	if (n > b->f->lim.max_bytes - b->f->sync_bytes) {
		b->overall = true;
		return 0;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->f->sync_bytes += n;
	return n;
}

/* A validator header of the top file: kept verbatim if it is short printable ASCII. */
static void keep_header(char *dst, size_t cap, const char *v, size_t n)
{
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	while (n && *v == ' ')
		v++, n--;
	if (n == 0 || n >= cap)
		return;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
}

void pubfetch_header(struct pubfetch_mirror *m, const char *d, size_t n)
{
	if (n >= 5 && !strncmp(d, "HTTP/", 5)) { /* a new response (after a redirect) */
		m->p_etag[0] = m->p_lastmod[0] = 0;
	} else if (n > 5 && !strncasecmp(d, "ETag:", 5)) {
		keep_header(m->p_etag, sizeof(m->p_etag), d + 5, n - 5);
	} else if (n > 14 && !strncasecmp(d, "Last-Modified:", 14)) {
		keep_header(m->p_lastmod, sizeof(m->p_lastmod), d + 14, n - 14);
	}
}

static size_t on_header(char *d, size_t sz, size_t nm, void *ctx)
{
	pubfetch_header(ctx, d, sz * nm);
	return sz * nm;
}

static int get_http(struct pubfetch *f, struct pubfetch_mirror *m, const char *rel, size_t max,
		    uint8_t **buf, size_t *len, char *err, size_t cap)
{
	char url[4096];
	size_t bl = strlen(m->base);
	if ((size_t)snprintf(url, sizeof(url), "%s%s%s", m->base,
			     bl && m->base[bl - 1] == '/' ? "" : "/", rel) >= sizeof(url)) {
		snprintf(err, cap, "%s/%s: URL too long", m->base, rel);
		return -1;
	}
	/* allocated once at the cap pubsync gives, the largest valid file of its kind: the
	 * mirror's Content-Length plays no part in it */
	struct body b = {f, malloc(max + 1), 0, max, false, false};
	if (!b.p) {
		snprintf(err, cap, "%s: out of memory", url);
		return -1;
	}
	bool top = !strcmp(rel, PUBFETCH_TOP);
	bool cond = top && m->has_cond && f->held && m->cond_serial == f->held_serial;
	struct curl_slist *hdr = NULL;
	char h[256];
	if (cond && m->etag[0]) {
		snprintf(h, sizeof(h), "If-None-Match: %s", m->etag);
		hdr = curl_slist_append(hdr, h);
	}
	if (cond && m->lastmod[0]) {
		snprintf(h, sizeof(h), "If-Modified-Since: %s", m->lastmod);
		hdr = curl_slist_append(hdr, h);
	}
	CURL *c = f->curl;
	m->p_etag[0] = m->p_lastmod[0] = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, m->https ? "https" : "http");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, top ? on_header : NULL);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, top ? m : NULL);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->lim.timeout_ms);
	f->curl_err[0] = 0;
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	int ret = 0;
	if (b.toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		ret = PUBSYNC_GET_TOOBIG;
	} else if (b.overall) {
		snprintf(err, cap, "%s: over the %llu bytes one sync may read", url,
			 (unsigned long long)f->lim.max_bytes);
		ret = -1;
	} else if (rc != CURLE_OK) {
		snprintf(err, cap, "%s: %s", url,
			 f->curl_err[0] ? f->curl_err : curl_easy_strerror(rc));
		ret = -1;
	} else if (code == 404 || code == 410) {
		ret = PUBSYNC_GET_NOTFOUND;
	} else if (code == 304 && cond) {
		m->not_modified++;
		ret = PUBSYNC_GET_NOTMODIFIED;
	} else if (code != 200) {
		snprintf(err, cap, "%s: HTTP status %ld", url, code);
		ret = -1;
	}
	if (ret) {
		free(b.p);
		return ret;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

int pubfetch_get(void *ctx, const char *rel, size_t max, uint8_t **buf, size_t *len, char *errbuf,
		 size_t errlen)
{
	struct pubfetch *f = ctx;
	struct pubfetch_mirror *m = &f->m[f->cur];
	*buf = NULL;
	*len = 0;
	if (!rel_ok(rel)) {
		snprintf(errbuf, errlen, "%s: refused file name", m->base);
		return -1;
	}
	if (f->sync_bytes >= f->lim.max_bytes) {
		snprintf(errbuf, errlen, "%s/%s: over the %llu bytes one sync may read", m->base,
			 rel, (unsigned long long)f->lim.max_bytes);
		return -1;
	}
	m->requests++;
	uint64_t before = f->sync_bytes;
	int r = m->dir ? get_dir(f, m, rel, max, buf, len, errbuf, errlen)
		       : get_http(f, m, rel, max, buf, len, errbuf, errlen);
	m->bytes += f->sync_bytes - before;
	if (r == PUBSYNC_GET_TOOBIG)
		snprintf(errbuf, errlen, "%s/%s: more than the %zu bytes such a file may have",
			 m->base, rel, max);
	return r;
}

int pubfetch_round(struct pubfetch *f, const struct pubsync_in *in, pubfetch_report_fn report,
		   void *arg, struct pubsync_out *last)
{
	bool sweep = f->rounds++ % PUBFETCH_SWEEP == 0;
	int good = -1;
	for (size_t i = 0; i < f->n; i++) {
		struct pubfetch_mirror *m = &f->m[i];
		struct pubsync_in sin = *in;
		if (!sin.max_bytes || sin.max_bytes > f->lim.max_bytes)
			sin.max_bytes = f->lim.max_bytes;
		f->cur = i;
		f->sync_bytes = 0;
		memset(last, 0, sizeof(*last));
		if (pubsync_run(&sin, pubfetch_get, f, last) < 0 && last->verdict < PUBSYNC_STALE)
			last->verdict = PUBSYNC_IO;
		int v = last->verdict < PUBFETCH_VERDICTS ? (int)last->verdict : PUBSYNC_IO;
		m->verdicts[v]++;
		if (report)
			report(arg, i, last);
		if (v == PUBSYNC_NEW || v == PUBSYNC_SAME) {
			m->last_ok = in->now;
			f->held = true;
			f->held_serial = last->serial;
			if (m->p_etag[0] || m->p_lastmod[0]) {
				/* validators of the top file this sync read (none after a 304) */
				memcpy(m->etag, m->p_etag, sizeof(m->etag));
				memcpy(m->lastmod, m->p_lastmod, sizeof(m->lastmod));
				m->has_cond = true;
				m->cond_serial = last->serial;
				m->p_etag[0] = m->p_lastmod[0] = 0;
			}
			if (v == PUBSYNC_NEW)
				log_info("publication %s: serial %llu verified (log size %llu, "
					 "%llu bytes in %llu requests)",
					 m->base, (unsigned long long)last->serial,
					 (unsigned long long)last->log_size,
					 (unsigned long long)last->bytes,
					 (unsigned long long)last->requests);
			good = (int)i;
			if (v == PUBSYNC_NEW || !sweep)
				return good;
			continue;
		}
		/* what this mirror said is not held: ask for its top file unconditionally */
		m->has_cond = false;
		log_warnx_rl(&m->rate, "publication %s: %s: %s; %s", m->base,
			     pubsync_verdict_name((enum pubsync_verdict)v),
			     last->err[0] ? last->err : "refused",
			     i + 1 < f->n ? "trying the next mirror" : "no mirror left this round");
	}
	return good;
}

uint64_t pubfetch_jitter_ms(uint64_t poll_ms)
{
	uint64_t span = poll_ms / 2;
	if (span == 0 || span > UINT32_MAX)
		return poll_ms;
	return poll_ms - poll_ms / 4 + randombytes_uniform((uint32_t)span + 1);
}
