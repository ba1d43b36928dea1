/* Signed objects in files (notices, rotation statements): COSE_Sign with zero or more
 * signatures, alone or as a CBOR sequence (RFC 8742) of several; adding one signature;
 * merging signatures; reporting who signed. */
#ifndef RECALL_TOOL_SIGNED_H
#define RECALL_TOOL_SIGNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recall/anchors.h"
#include "recall/cose.h"
#include "recall/notice.h"

/* Largest file of signed objects the tool reads whole. */
#define SIGNED_FILE_MAX ((size_t)1 << 30)
/* Work buffer for one signed object (more than any valid one). */
#define SIGNED_BUF 4096

/* The unsigned COSE_Sign of notice n (what 'recall notice create' writes) into buf, and how many
 * signatures would still fit in one answer (0: not even one). */
int notice_unsigned(const struct rc_notice *n, uint8_t buf[static SIGNED_BUF], size_t *len,
		    size_t *room);

/* "notice" or "rotation statement" (or "object" for other content types). */
const char *ct_name(uint64_t ct);

/* Length of the CBOR item at buf[off..len) (for splitting sequences); 0 and diag on error. */
size_t seq_item(const uint8_t *buf, size_t len, size_t off, struct rc_diag *diag);

/* Decode a COSE_Sign that may carry no signature yet (as written by create and rotate). */
int cose_view(struct rc_cose_sign *m, const uint8_t *p, size_t len, struct rc_diag *diag);

/* Print "recall: FILE: [#i (byte off): ]field: reason" for a decode error. item < 0: no #i. */
void report_decode(const char *path, long item, size_t item_off, int err, const struct rc_diag *d);
/* When buf is a file of another kind recall knows (a key file, JSON text, a feed): a message
 * naming that kind and what to give instead, and true. */
bool wrong_kind(const char *path, const uint8_t *buf, size_t n, uint64_t ct);

/* Read a file holding exactly one object of content type ct; returns malloc'd bytes (NULL with
 * a message naming the file on error) and fills m. */
uint8_t *signed_read_one(const char *path, uint64_t ct, size_t *len, struct rc_cose_sign *m);

/* Add the signature of the secret key in keypath to the object in path, written to out
 * (path itself if out is NULL). Returns an exit code. */
int signed_sign_file(const char *path, const char *out, uint64_t ct, const char *keypath);

/* Merge the signatures of all files in[0..n) (same body and payload) into out. */
int signed_merge_files(const char *out, uint64_t ct, char **in, int n);

/* The "sign" (merge false) or "merge" subcommand of `cmd` ("notice", "anchors") for objects of
 * content type ct, called ITEM in its messages ("NOTICE", "STATEMENT"). Returns an exit code. */
int signed_cmd(int argc, char **argv, const char *usage, bool merge, uint64_t ct, const char *cmd,
	       const char *item);

/* Who signed m, judged against anchors a: one line per signature on stdout (people) or one
 * array element per signature (programs, when arr is not NULL). Returns the verdict of
 * rc_anchors_verify (RC_OK when the threshold is met). */
int signers_report(const struct rc_anchors *a, const struct rc_cose_sign *m, struct rc_verdict *v,
		   json_t *arr);

/* Signature kids of m (no anchors): one line each or a JSON array of hex strings. */
void kids_report(const struct rc_cose_sign *m, json_t *arr);

/* Largest anchor set or rotation statement file the tool reads. */
#define ANCHORS_FILE_MAX (64 * 1024)

/* True if buf starts with tag 98: a signed object (COSE_Sign), not an anchor set. */
bool looks_signed(const uint8_t *buf, size_t n);

/* Decode an anchor set read from path (anchors_load: read it too); a message naming the file
 * and field on error. */
int anchors_parse(const char *path, const uint8_t *buf, size_t n, struct rc_anchors *a);
int anchors_load(const char *path, struct rc_anchors *a);

/* An anchor set for people (indented lines) or programs (returns a JSON object). */
void anchors_print(const struct rc_anchors *a, const char *indent);
json_t *anchors_json(const struct rc_anchors *a);

/* Print a JSON value on stdout (indented) and free it; C1, bidi and invisible characters in
 * strings are written as \u escapes (rc_text_safe). */
void json_print(json_t *j);
/* The same on one line (JSON Lines: one object per line, for streams). */
void json_print_line(json_t *j);

#endif
