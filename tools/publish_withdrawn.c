/* recall publish: the withdrawn list (publish.h). */
#include <stdlib.h>
#include <string.h>

#include "publish.h"
#include "recall/notice.h"
#include "util.h"

struct idx {
	const uint8_t *id;
	size_t id_len;
	uint64_t index;
};

static int cmp_id(const void *a, const void *b)
{
	const struct idx *x = a, *y = b;
	size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
	int c = memcmp(x->id, y->id, n);
	if (c || x->id_len != y->id_len)
		return c ? c : x->id_len < y->id_len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Content type and (for a notice) id of entry i; -1 if it is not a valid signed object. */
static int entry_kind(const struct pubdir_log *lg, uint64_t i, struct rc_notice *n)
{
	struct rc_cose_sign m;
	if (rc_cose_decode(&m, lg->ent[i], lg->len[i], NULL) != RC_OK)
		return -1;
	if (m.content_type != RC_CT_NOTICE)
		return (int)(m.content_type & 0x7fffffff);
	return rc_notice_decode(n, m.payload, m.payload_len, NULL) == RC_OK ? RC_CT_NOTICE : -1;
}

static size_t sort_unique(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	return u;
}

static int from_file(struct withdrawn *wd, size_t *cap, const char *file,
		     const struct pubdir_log *lg)
{
	size_t len;
	char *b = (char *)file_read(file, &len, (size_t)16 << 20);
	if (!b)
		return -1;
	unsigned line = 0;
	int ret = 0;
	for (char *p = b, *nl; p && *p && !ret; p = nl) {
		line++;
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		char *h = strchr(p, '#');
		if (h)
			*h = '\0';
		p += strspn(p, " \t\r");
		p[strcspn(p, " \t\r")] = '\0';
		if (!*p)
			continue;
		uint64_t v;
		struct rc_notice n;
		if (parse_u64(p, &v) < 0) {
			warnx_("%s: line %u: '%s' is not a log index", file, line, tsafe(p));
			ret = -1;
		} else if (v >= lg->n) {
			warnx_("%s: line %u: index %llu: the log has %llu entries", file, line,
			       (unsigned long long)v, (unsigned long long)lg->n);
			ret = -1;
		} else if (entry_kind(lg, v, &n) != RC_CT_NOTICE) {
			warnx_("%s: line %u: log entry %llu is not a notice", file, line,
			       (unsigned long long)v);
			ret = -1;
		} else {
			if (wd->n == *cap) {
				*cap = *cap ? 2 * *cap : 64;
				uint64_t *nv = realloc(wd->v, *cap * sizeof(*nv));
				if (!nv) {
					warnx_("%s: out of memory", file);
					ret = -1;
					break;
				}
				wd->v = nv;
			}
			wd->v[wd->n++] = v;
		}
	}
	free(b);
	return ret;
}

int withdrawn_make(struct withdrawn *wd, const char *file, const struct rc_pub *old,
		   const struct pubdir_log *lg)
{
	size_t cap = 0;
	memset(wd, 0, sizeof(*wd));
	if (file && from_file(wd, &cap, file, lg) < 0)
		return -1;
	size_t given = file ? wd->n : old ? old->nwithdrawn : 0;
	/* room for the given list and every entry */
	uint64_t *nv = realloc(wd->v, (given + lg->n + 1) * sizeof(*nv));
	struct idx *ids = malloc((lg->n + 1) * sizeof(*ids));
	if (!nv || !ids) {
		free(ids);
		free(nv ? nv : wd->v);
		wd->v = NULL;
		warnx_("out of memory for %llu entries", (unsigned long long)lg->n);
		return -1;
	}
	wd->v = nv;
	if (!file && old)
		for (size_t i = 0; i < old->nwithdrawn; i++)
			wd->v[wd->n++] = rc_pub_withdrawn_item(old, i);
	size_t nid = 0;
	for (uint64_t i = 0; i < lg->n; i++) {
		struct rc_notice n;
		if (entry_kind(lg, i, &n) == RC_CT_NOTICE)
			ids[nid++] = (struct idx){(const uint8_t *)n.id.p, n.id.n, i};
	}
	qsort(ids, nid, sizeof(*ids), cmp_id);
	size_t before = wd->n = sort_unique(wd->v, wd->n);
	for (size_t i = 0; i + 1 < nid; i++)
		if (ids[i].id_len == ids[i + 1].id_len &&
		    !memcmp(ids[i].id, ids[i + 1].id, ids[i].id_len))
			wd->v[wd->n++] = ids[i].index;
	free(ids);
	wd->n = sort_unique(wd->v, wd->n);
	wd->superseded = wd->n - before;
	if (wd->n > RC_PUB_WITHDRAWN_MAX) {
		warnx_("%zu withdrawn entries: a publication holds at most %u", wd->n,
		       RC_PUB_WITHDRAWN_MAX);
		return -1;
	}
	return 0;
}
