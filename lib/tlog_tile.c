/* C2SP tlog-tiles paths (include/recall/tlog.h). The parser accepts exactly what the formatter
 * writes, so a path names one tile only: a mirror or cache cannot be made to serve the same
 * tile under two names, and a fetcher can check that it got the tile it asked for. */
#include <stdio.h>
#include <string.h>

#include "recall/error.h"
#include "recall/tlog.h"

int rc_tlog_tile_path(char *out, size_t cap, int level, uint64_t index, unsigned width)
{
	if (cap)
		out[0] = 0;
	if (level < RC_TLOG_ENTRIES || level > 63 || width < 1 || width > RC_TLOG_TILE_WIDTH ||
	    index >= RC_TLOG_MAX_SIZE)
		return RC_ERR_INVALID;
	char buf[RC_TLOG_PATH_MAX];
	size_t len;
	if (level == RC_TLOG_ENTRIES)
		len = (size_t)snprintf(buf, sizeof(buf), "tile/entries/");
	else
		len = (size_t)snprintf(buf, sizeof(buf), "tile/%d/", level);
	/* Groups of three digits, most significant first: count them, then print each. */
	uint64_t div = 1;
	while (index / div >= 1000)
		div *= 1000;
	for (; div > 1; div /= 1000)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "x%03u/",
					(unsigned)(index / div % 1000));
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%03u", (unsigned)(index % 1000));
	if (width < RC_TLOG_TILE_WIDTH)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, ".p/%u", width);
	if (len + 1 > cap)
		return RC_ERR_BUFFER;
	memcpy(out, buf, len + 1);
	return RC_OK;
}

int rc_tlog_tile_for(struct rc_tlog_tile_ref *t, uint64_t size, unsigned level, uint64_t index)
{
	if (size >= RC_TLOG_MAX_SIZE || level >= 62 || index >= (size >> level))
		return RC_ERR_RANGE;
	unsigned r = level % RC_TLOG_TILE_H;
	uint64_t count = size >> (level - r), first = index << r;
	t->tlevel = (int)(level / RC_TLOG_TILE_H);
	t->tindex = first / RC_TLOG_TILE_WIDTH;
	t->pos = (unsigned)(first % RC_TLOG_TILE_WIDTH);
	t->count = 1u << r;
	uint64_t w = count - t->tindex * RC_TLOG_TILE_WIDTH;
	t->width = w > RC_TLOG_TILE_WIDTH ? RC_TLOG_TILE_WIDTH : (unsigned)w;
	return RC_OK;
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number without leading zeros (or "0" itself) of at most max, at s[*i]. */
static int small_number(const char *s, size_t n, size_t *i, unsigned max, unsigned *out)
{
	size_t start = *i;
	unsigned v = 0;
	while (*i < n && digit(s[*i])) {
		v = v * 10 + (unsigned)(s[*i] - '0');
		if (v > max)
			return RC_ERR_RANGE;
		(*i)++;
	}
	if (*i == start)
		return RC_ERR_SYNTAX;
	if (s[start] == '0' && *i - start > 1)
		return RC_ERR_NONCANONICAL;
	*out = v;
	return RC_OK;
}

static int lit(const char *s, size_t n, size_t *i, const char *w)
{
	size_t l = strlen(w);
	if (n - *i < l || memcmp(s + *i, w, l) != 0)
		return 0;
	*i += l;
	return 1;
}

int rc_tlog_tile_path_parse(const char *s, size_t n, int *level, uint64_t *index, unsigned *width)
{
	size_t i = 0;
	int err;
	if (!lit(s, n, &i, "tile/"))
		return RC_ERR_SYNTAX;
	if (lit(s, n, &i, "entries/")) {
		*level = RC_TLOG_ENTRIES;
	} else {
		unsigned l;
		if ((err = small_number(s, n, &i, 63, &l)) != 0)
			return err;
		if (!lit(s, n, &i, "/"))
			return RC_ERR_SYNTAX;
		*level = (int)l;
	}
	uint64_t v = 0;
	int groups = 0;
	for (;;) {
		int more = i < n && s[i] == 'x';
		if (more)
			i++;
		if (n - i < 3 || !digit(s[i]) || !digit(s[i + 1]) || !digit(s[i + 2]))
			return RC_ERR_SYNTAX;
		unsigned g = (unsigned)(s[i] - '0') * 100 + (unsigned)(s[i + 1] - '0') * 10 +
			     (unsigned)(s[i + 2] - '0');
		i += 3;
		/* A leading "x000/" group would be a second spelling of the same index. */
		if (groups == 0 && more && g == 0)
			return RC_ERR_NONCANONICAL;
		if (v > (RC_TLOG_MAX_SIZE - 1) / 1000)
			return RC_ERR_RANGE;
		v = v * 1000 + g;
		if (v >= RC_TLOG_MAX_SIZE)
			return RC_ERR_RANGE;
		groups++;
		if (!more)
			break;
		if (!lit(s, n, &i, "/"))
			return RC_ERR_SYNTAX;
	}
	unsigned w = RC_TLOG_TILE_WIDTH;
	if (lit(s, n, &i, ".p/")) {
		if ((err = small_number(s, n, &i, RC_TLOG_TILE_WIDTH - 1, &w)) != 0)
			return err;
		if (w == 0)
			return RC_ERR_RANGE;
	}
	if (i != n)
		return RC_ERR_TRAILING;
	*index = v;
	*width = w;
	return RC_OK;
}
