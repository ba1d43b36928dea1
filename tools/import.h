/* Importers (recall import nvd|cve5|kev): real vulnerability records into unsigned notice drafts
 * (docs/NOTICE-JSON.md) and a report of every record or match that could not be mapped and why.
 * docs/IMPORT.md describes the mapping. Importers never guess: what they cannot map exactly they
 * report. */
#ifndef RECALL_TOOL_IMPORT_H
#define RECALL_TOOL_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "log.h"
#include "recall/notice.h"

#define IMP_VER_MAX   (RC_FWVER_MAX + 1)
#define IMP_CPE_FIELD 256

/* Report line statuses: every match of a record ends up in exactly one of the first three. */
#define ST_DRAFT    "draft"    /* a draft file was written */
#define ST_UNMAPPED "unmapped" /* could not be mapped: no draft from this match */
#define ST_HELD     "held"     /* mapped, but held back (inconsistent); --keep-inconsistent */
#define ST_NOTE     "note"     /* something the author of the notice should check */
#define ST_SKIPPED  "skipped"  /* deliberately not used (e.g. ADP data when the CNA's maps) */

/* A mapping from record names to device names (--map FILE). */
struct imp_map {
	char from_vendor[RC_NAME_MAX + 1], from_model[RC_NAME_MAX + 1]; /* model "" = any */
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1];           /* model "" = keep */
};

struct imp_opts {
	const char *out_dir, *report_path, *remedy_url, *container;
	bool force, keep_inconsistent;
	uint64_t issued, expiry;
	int action, severity;
	size_t max_refs, text_max;
	FILE *report;
	struct imp_map *map;
	size_t nmap;
	/* totals over all files */
	unsigned records, drafts, unmapped, held, notes, bad_files, failed;
	unsigned record_names; /* drafts whose names did not go through --map */
	json_t *sink; /* not NULL: drafts go into this object (file name: draft), not out_dir */
};

struct imp_range {
	uint8_t scheme;
	bool has_lo, lo_incl, has_hi, hi_incl;
	char lo[IMP_VER_MAX], hi[IMP_VER_MAX];
};

/* One target under construction: (vendor, model, hardware revisions) of one CVE. */
struct imp_draft {
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1];
	size_t nhw; /* 0: every hardware revision */
	char hw[RC_HWREVS_MAX][RC_HWREV_MAX + 1];
	size_t nver;
	char ver[RC_VERSIONS_MAX][IMP_VER_MAX];
	size_t nrng;
	struct imp_range rng[RC_RANGES_MAX];
	json_t *matches, *notes; /* arrays of strings (provenance, things to check) */
	char *held;              /* reason the draft is held back (malloc'd), or NULL */
	bool mapped;             /* names came through --map */
};

/* One CVE record being imported. */
struct imp_rec {
	struct imp_opts *o;
	const char *file, *source;
	char cve[32];
	char *desc;   /* English description (malloc'd) or NULL */
	int severity; /* enum rc_severity from the record, or -1 */
	json_t *refs; /* array of [rank, url] in record order */
	bool bad;     /* the record is malformed: finish writes nothing */
	struct imp_draft *d;
	size_t nd, cap;
};

/* A parsed CPE 2.3 formatted string; values unescaped; "*" is ANY and "-" is NA. */
struct cpe {
	char part;
	char vendor[IMP_CPE_FIELD], product[IMP_CPE_FIELD], version[IMP_CPE_FIELD],
	    update[IMP_CPE_FIELD];
	bool extra; /* edition..other: some field is neither "*" nor "-" */
};

/* An importer: the subcommand's usage text and a function for one parsed input file (returns -1
 * if the file is bad: it has then printed "FILE: PATH: reason"). */
struct imp_source {
	const char *name, *usage;
	bool containers; /* accepts --container (CVE 5) */
	int (*file)(struct imp_opts *o, const char *path, json_t *root);
};

/* Options every record importer takes (text for the usage messages). */
#define IMP_COMMON_HELP                                                                            \
	"  -o, --output DIR       write drafts into DIR (default: the current directory)\n"        \
	"      --force            replace draft files that exist\n"                                \
	"  -r, --report FILE      write the report to FILE instead of standard error\n"            \
	"  -m, --map FILE         translate record names to device names (docs/IMPORT.md)\n"       \
	"      --issued TIME      issued time of the drafts (default: now)\n"                      \
	"      --valid DURATION   expiry = issued + DURATION (default 365d)\n"                     \
	"      --expiry TIME      expiry time (instead of --valid)\n"                              \
	"      --action ACTION    quarantine (default) or notify\n"                                \
	"      --severity SEV     severity when the record has no CVSS rating (default high)\n"    \
	"      --remedy-url URL   remedy URL of every draft (default: the vendor advisory)\n"      \
	"      --max-refs N       references per draft, the CVE id included (default 4)\n"         \
	"      --text-max N       owner text length, bytes (default 256)\n"                        \
	"      --keep-inconsistent  write drafts whose range disagrees with sibling models\n"      \
	"  -h, --help             this text\n"

/* import.c */
int imp_main(const struct imp_source *src, int argc, char **argv);
/* The options before the command line: what imp_main starts from. */
void imp_opts_init(struct imp_opts *o);
/* The --map text (NUL-terminated, changed in place) into o->map; -1 with "recall: NAME: line N:
 * reason" on the first bad line (entries before it stay in o->map, which the caller frees). */
int imp_map_parse(struct imp_opts *o, const char *name, char *text);
void imp_report(struct imp_opts *o, const char *cve, const char *status, const char *file,
		const char *where, const char *fmt, ...) RC_PRINTF(6, 7);
/* "recall: FILE: WHERE: reason" on stderr for a malformed input file; returns -1. */
int imp_bad(const char *file, const char *where, const char *fmt, ...) RC_PRINTF(3, 4);
const char *jget(json_t *o, const char *key);
/* True if s reads as a CVE id: "CVE-", four digits (the year), "-", 1 to 19 digits (real ids
 * have at least 4; tests use short ones). */
bool imp_cve_id(const char *s);
/* The last component of a path. */
const char *imp_basename(const char *path);
/* A reference's rank (imp_ref) from its tags, given each known tag's rank (NULL-terminated):
 * the best tag wins, except that an exploit (4) only outranks unknown tags (3). */
struct imp_tag {
	const char *tag;
	int rank;
};
int imp_tags_rank(json_t *tags, const struct imp_tag *known);
/* Parse a CPE 2.3 string; NULL on success, else the reason. */
const char *cpe_parse(const char *s, struct cpe *c);
/* Model from a firmware product name: strips "_firmware" / " firmware" (any case); false if
 * there is no such suffix. */
bool strip_firmware(const char *product, char *out, size_t cap);
/* Canonical name into out (max bytes); NULL on success, else the reason. */
const char *imp_canon(const char *raw, char *out, size_t max);
/* True if s reads as a sentence (spaces and words like "before", "and", "devices"). */
bool imp_is_prose(const char *s);
/* NULL if v can stand as a firmware version in a notice, else the reason ("prose", ...). */
const char *imp_version_problem(const char *v);
/* enum rc_severity from a CVSS baseSeverity word, -1 if none. */
int imp_severity_word(const char *s);
/* Apply --map to canonical names (in place); true if an entry applied. */
bool imp_map_apply(const struct imp_opts *o, char *vendor, char *model);
/* Escaped (rc_text_safe, one line), shortened copy of a record string for report lines (4
 * rotating static buffers). */
const char *imp_quote(const char *s);

/* import_draft.c */
void imp_rec_init(struct imp_rec *r, struct imp_opts *o, const char *file, const char *source,
		  const char *cve);
/* The record's description: the first English one of descs ([{lang, value}]). */
void imp_rec_desc(struct imp_rec *r, json_t *descs);
/* The draft for (vendor, model, hw) (canonical, hw sorted by the callee), created if new. */
struct imp_draft *imp_draft_get(struct imp_rec *r, const char *vendor, const char *model,
				char (*hw)[RC_HWREV_MAX + 1], size_t nhw);
void imp_draft_match(struct imp_draft *d, const char *match);
void imp_draft_note(struct imp_draft *d, const char *fmt, ...) RC_PRINTF(2, 3);
void imp_add_version(struct imp_draft *d, const char *v, const char *match);
void imp_add_range(struct imp_rec *r, struct imp_draft *d, const struct imp_range *g,
		   const char *match);
/* A reference URL with a rank (0 vendor advisory, 1 patch, 2 advisory, 3 other, 4 exploit). */
void imp_ref(struct imp_rec *r, const char *url, int rank);
/* Check siblings, write drafts, report them; frees the record. Returns -1 if a write failed. */
int imp_rec_finish(struct imp_rec *r);

/* The importers: each subcommand, and its source (src.file(o, path, root) imports one parsed
 * input file into drafts and report lines, as the subcommand does for each file it is given). */
extern const struct imp_source imp_nvd, imp_cve5;
int import_nvd(int argc, char **argv);

/* import_kev.c: the CISA KEV catalogue (root) and its vulnerabilities[]. */
struct kev {
	const char *path, *version;
	json_t *root, *v;
};
/* Check a loaded catalogue (k->root = root: the caller's reference). 0, or -1 with
 * "recall: PATH: WHERE: reason" on stderr. */
int kev_check(struct kev *k, const char *path, json_t *root);
/* What kev_enrich did (for its report line). */
struct kev_enriched {
	const char *cve; /* the draft's CVE */
	json_t *entry;   /* its KEV entry (in k->root) */
	size_t added;    /* references added */
	char cvebuf[64], sevmsg[64], remhint[RC_REF_MAX + 96];
	const char *textmsg;
};
/* Add KEV's facts to draft d in place (--enrich). 0 done, 1 its CVE is not in the catalogue
 * (d unchanged), -1 d is no draft (message naming path). */
int kev_enrich(const struct kev *k, json_t *d, const char *path, size_t max_refs,
	       struct kev_enriched *e);
int import_cve5(int argc, char **argv);
int import_kev(int argc, char **argv);

#endif
