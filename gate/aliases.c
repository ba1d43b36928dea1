/* The gate's name tables: vendors.map ("raw name<TAB>canonical vendor"), oui.txt
 * ("XXXXXX<TAB>canonical vendor<TAB>IEEE organisation name") and dhcp-fingerprints.txt
 * ("canonical vendor<TAB>option 60<TAB>option 55<TAB>model"), all '#' comments and blank lines
 * allowed. Raw names are matched folded (ASCII case, edge spaces and runs of spaces do not
 * matter); the canonical vendor must already be canonical (PROTOCOL.md 5.2). Tables are bounded
 * (GATE_ALIAS_MAX lines of at most GATE_ALIAS_LINE bytes) and a bad line fails the load with
 * file:line, as a config file does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define GATE_ALIAS_MAX  8192
#define GATE_ALIAS_LINE 512

struct alias {
	char raw[GATE_VAL_MAX]; /* the raw name, folded (fold()) */
	char canon[RC_NAME_MAX + 1];
	unsigned line;
};

struct oui {
	uint8_t p[3];
	char canon[RC_NAME_MAX + 1];
	unsigned line;
};

/* A DHCP fingerprint: the OUI's vendor with the exact vendor class (option 60) and parameter
 * request list (option 55) one model's firmware sends. */
struct fp {
	char vendor[RC_NAME_MAX + 1];
	char vclass[GATE_VAL_MAX];
	char prl[GATE_VAL_MAX];
	char model[RC_NAME_MAX + 1];
	unsigned line;
};

struct gate_aliases {
	struct alias *v;
	size_t nv, capv;
	struct oui *o;
	size_t no, capo;
	struct fp *f;
	size_t nf, capf;
};

/* Room for one more entry in *arr (grown by doubling); -1 when out of memory. */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 64;
	void *p = realloc(*arr, c * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

typedef int (*line_fn)(struct gate_aliases *al, char *f[4], size_t nf, unsigned line);

/* ASCII lowercase, whitespace trimmed and runs of it made one space; -1 if it does not fit. */
static int fold(char *out, size_t cap, const char *in)
{
	size_t n = 0;
	bool space = false;
	for (const char *c = in; *c; c++) {
		if (*c == ' ' || (*c >= '\t' && *c <= '\r')) {
			space = n > 0;
			continue;
		}
		if (n + (space ? 2 : 1) >= cap)
			return -1;
		if (space)
			out[n++] = ' ';
		space = false;
		out[n++] = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

static int canon_ok(const char *s)
{
	return rc_name_valid(rc_str_c(s), RC_NAME_MAX, false) ? 0 : -1;
}

static int vendor_line(struct gate_aliases *al, char *f[4], size_t nf, unsigned line)
{
	if (nf != 2 || canon_ok(f[1]) < 0)
		return -1;
	if (grow((void **)&al->v, al->nv, &al->capv, sizeof(*al->v)) < 0)
		return -1;
	struct alias *a = &al->v[al->nv];
	if (fold(a->raw, sizeof(a->raw), f[0]) < 0)
		return -1;
	strcpy(a->canon, f[1]);
	a->line = line;
	al->nv++;
	return 0;
}

static int oui_line(struct gate_aliases *al, char *f[4], size_t nf, unsigned line)
{
	if (nf < 2 || nf > 3 || strlen(f[0]) != 6 || canon_ok(f[1]) < 0)
		return -1;
	if (grow((void **)&al->o, al->no, &al->capo, sizeof(*al->o)) < 0)
		return -1;
	struct oui *o = &al->o[al->no];
	for (int i = 0; i < 3; i++) {
		int h = gate_hexval(f[0][2 * i]), l = gate_hexval(f[0][2 * i + 1]);
		if (h < 0 || l < 0)
			return -1;
		o->p[i] = (uint8_t)(h << 4 | l);
	}
	if (o->p[0] & 0x03) /* a group or locally administered prefix is no OUI */
		return -1;
	strcpy(o->canon, f[1]);
	o->line = line;
	al->no++;
	return 0;
}

/* Option 55 as dnsmasq gives it (DNSMASQ_REQUESTED_OPTIONS): decimal numbers, commas. */
static bool prl_ok(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789,") == strlen(s) &&
	       !strstr(s, ",,") && s[strlen(s) - 1] != ',';
}

static int fp_line(struct gate_aliases *al, char *f[4], size_t nf, unsigned line)
{
	if (nf != 4 || canon_ok(f[0]) < 0 || canon_ok(f[3]) < 0 || !f[1][0] ||
	    strlen(f[1]) >= GATE_VAL_MAX || strlen(f[2]) >= GATE_VAL_MAX || !prl_ok(f[2]))
		return -1;
	if (grow((void **)&al->f, al->nf, &al->capf, sizeof(*al->f)) < 0)
		return -1;
	struct fp *p = &al->f[al->nf++];
	strcpy(p->vendor, f[0]);
	strcpy(p->vclass, f[1]);
	strcpy(p->prl, f[2]);
	strcpy(p->model, f[3]);
	p->line = line;
	return 0;
}

static int load(const char *path, struct gate_aliases *al, line_fn fn, size_t *count, char *err,
		size_t errlen)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return gate_err(err, errlen, "%s: %s", path, strerror(errno));
	char buf[GATE_ALIAS_LINE + 2];
	unsigned line = 0;
	int r = 0;
	while (fgets(buf, sizeof(buf), fp)) {
		line++;
		size_t n = strlen(buf);
		if (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		else if (!feof(fp)) {
			r = gate_err(err, errlen, "%s:%u: line longer than %d bytes", path, line,
				     GATE_ALIAS_LINE);
			break;
		}
		if (n && buf[n - 1] == '\r')
			buf[--n] = '\0';
		if (!n || buf[0] == '#')
			continue;
		if (*count >= GATE_ALIAS_MAX) {
			r = gate_err(err, errlen, "%s:%u: more than %d entries", path, line,
				     GATE_ALIAS_MAX);
			break;
		}
		char *f[4] = {buf, NULL, NULL, NULL};
		size_t nf = 1;
		for (char *t = strchr(buf, '\t'); t && nf < 4; t = strchr(t + 1, '\t')) {
			*t = '\0';
			f[nf++] = t + 1;
		}
		if (fn(al, f, nf, line) < 0) {
			r = gate_err(err, errlen, "%s:%u: not \"%s\"", path, line,
				     fn == vendor_line ? "raw name<TAB>canonical vendor"
				     : fn == oui_line
					 ? "XXXXXX<TAB>canonical vendor<TAB>name"
					 : "vendor<TAB>option 60<TAB>option 55<TAB>model");
			break;
		}
	}
	if (!r && ferror(fp))
		r = gate_err(err, errlen, "%s: read error", path);
	fclose(fp);
	return r;
}

const void *gate_aliases_load(const char *vendors_map, const char *oui_file, char *err,
			      size_t errlen)
{
	struct gate_aliases *al = calloc(1, sizeof(*al));
	if (!al) {
		gate_err(err, errlen, "name tables: out of memory");
		return NULL;
	}
	if ((vendors_map && load(vendors_map, al, vendor_line, &al->nv, err, errlen) < 0) ||
	    (oui_file && load(oui_file, al, oui_line, &al->no, err, errlen) < 0)) {
		gate_aliases_free(al);
		return NULL;
	}
	return al;
}

void gate_aliases_free(const void *p)
{
	struct gate_aliases *al = (struct gate_aliases *)(uintptr_t)p;
	if (!al)
		return;
	free(al->v);
	free(al->o);
	free(al->f);
	free(al);
}

const char *gate_alias_vendor(const void *p, const char *raw, unsigned *line)
{
	const struct gate_aliases *al = p;
	char c[GATE_VAL_MAX];
	if (!al || !raw || fold(c, sizeof(c), raw) < 0)
		return NULL;
	for (size_t i = 0; i < al->nv; i++)
		if (!strcmp(al->v[i].raw, c)) {
			if (line)
				*line = al->v[i].line;
			return al->v[i].canon;
		}
	return NULL;
}

const char *gate_alias_oui(const void *p, const uint8_t mac[6], unsigned *line)
{
	const struct gate_aliases *al = p;
	if (!al || !mac || gate_mac_local(mac))
		return NULL;
	for (size_t i = 0; i < al->no; i++)
		if (!memcmp(al->o[i].p, mac, 3)) {
			if (line)
				*line = al->o[i].line;
			return al->o[i].canon;
		}
	return NULL;
}

int gate_fingerprints_load(const void *p, const char *path, char *err, size_t errlen)
{
	struct gate_aliases *al = (struct gate_aliases *)(uintptr_t)p;
	if (!al)
		return gate_err(err, errlen, "%s: no name tables", path);
	if (load(path, al, fp_line, &al->nf, err, errlen) < 0) {
		free(al->f);
		al->f = NULL;
		al->nf = al->capf = 0;
		return -1;
	}
	return 0;
}

const char *gate_alias_fingerprint(const void *p, const char *vendor, const char *vclass,
				   const char *prl, unsigned *line)
{
	const struct gate_aliases *al = p;
	if (!al || !vendor || !vclass || !prl)
		return NULL;
	for (size_t i = 0; i < al->nf; i++)
		if (!strcmp(al->f[i].vendor, vendor) && !strcmp(al->f[i].vclass, vclass) &&
		    !strcmp(al->f[i].prl, prl)) {
			if (line)
				*line = al->f[i].line;
			return al->f[i].model;
		}
	return NULL;
}
