/* libFuzzer target: the response headers of a publication mirror as recalld's fetcher reads
 * them (common/pubfetch.c, pubfetch_header): the input split into lines as libcurl hands them
 * over. Whatever a mirror sends, the validators kept are NUL-terminated printable ASCII within
 * their buffers (they go back into request headers), and a status line forgets them. */
#include <stdlib.h>
#include <string.h>

#include "pubfetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *v, size_t cap)
{
	size_t n = strnlen(v, cap);
	if (n == cap)
		abort();
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pubfetch_mirror m;
	memset(&m, 0, sizeof(m));
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		pubfetch_header(&m, p, n);
		check(m.p_etag, sizeof(m.p_etag));
		check(m.p_lastmod, sizeof(m.p_lastmod));
		if (n >= 5 && !strncmp(p, "HTTP/", 5) && (m.p_etag[0] || m.p_lastmod[0]))
			abort();
		p += n;
	}
	return 0;
}
