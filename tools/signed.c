/* Signed objects in files: reading, splitting sequences, signing, merging, signer reports. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cbor_io.h"
#include "keyfile.h"
#include "signer.h"
#include "recall/msg.h"
#include "recall/text.h"
#include "anchors_log.h"
#include "filekind.h"
#include "signed.h"
#include "util.h"

/* Bytes one Ed25519 COSE_Signature adds: array(3) head, protected bstr {1: -8} (4), unprotected
 * {4: kid} (11), signature bstr (66). */
#define SIG_ITEM_BYTES 82

int notice_unsigned(const struct rc_notice *n, uint8_t buf[static SIGNED_BUF], size_t *len,
		    size_t *room)
{
	uint8_t payload[RC_COSE_PAYLOAD_MAX];
	size_t plen;
	int err = rc_notice_encode(n, payload, sizeof(payload), &plen);
	if (!err)
		err = rc_cose_encode_unsigned(buf, SIGNED_BUF, len, RC_CT_NOTICE, payload, plen);
	if (err)
		return err;
	*room =
	    *len + SIG_ITEM_BYTES <= RC_NOTICE_MAX ? (RC_NOTICE_MAX - *len) / SIG_ITEM_BYTES : 0;
	if (*room > RC_SIG_MAX)
		*room = RC_SIG_MAX;
	return RC_OK;
}

const char *ct_name(uint64_t ct)
{
	return ct == RC_CT_NOTICE     ? "notice"
	       : ct == RC_CT_ROTATION ? "rotation statement"
				      : "object";
}

size_t seq_item(const uint8_t *buf, size_t len, size_t off, struct rc_diag *diag)
{
	struct rc_rd r;
	rc_rd_init(&r, buf + off, len - off);
	r.field = "cbor";
	rc_rd_skip(&r);
	if (r.err) {
		rc_rd_diag(&r, diag);
		if (diag)
			diag->off += off;
		return 0;
	}
	return r.off;
}

int cose_view(struct rc_cose_sign *m, const uint8_t *p, size_t len, struct rc_diag *diag)
{
	/* rc_cose_decode's diagnosis stands for everything but a valid object with no signature. */
	int err = rc_cose_decode(m, p, len, diag);
	if (err && rc_cose_decode_unsigned(m, p, len, NULL) == RC_OK)
		return RC_OK;
	return err;
}

bool wrong_kind(const char *path, const uint8_t *buf, size_t n, uint64_t ct)
{
	const char *kind = file_kind(buf, n);
	if (!kind || looks_signed(buf, n))
		return false;
	warnx_("%s: this is %s, not a signed %s%s", path, kind, ct_name(ct),
	       ct == RC_CT_NOTICE && !strcmp(kind, "JSON text")
		   ? "; make one from a JSON description with 'recall notice create'"
		   : "");
	return true;
}

void report_decode(const char *path, long item, size_t item_off, int err, const struct rc_diag *d)
{
	char where[64] = "";
	if (item >= 0)
		snprintf(where, sizeof(where), "#%ld (byte %zu): ", item + 1, item_off);
	if (d && d->field)
		warnx_("%s: %s%s at byte %zu: %s", path, where, d->field, d->off, rc_strerror(err));
	else
		warnx_("%s: %s%s", path, where, rc_strerror(err));
}

uint8_t *signed_read_one(const char *path, uint64_t ct, size_t *len, struct rc_cose_sign *m)
{
	size_t n;
	uint8_t *buf = file_read(path, &n, SIGNED_FILE_MAX);
	if (!buf)
		return NULL;
	struct rc_diag d = {0, NULL};
	size_t il = n ? seq_item(buf, n, 0, &d) : 0;
	int err = RC_OK;
	if (!n) {
		warnx_("%s: empty file", path);
		goto fail;
	}
	if (wrong_kind(path, buf, n, ct))
		goto fail;
	if (!il) {
		report_decode(path, -1, 0, RC_ERR_TRUNCATED, &d);
		goto fail;
	}
	if (il != n) {
		warnx_("%s: holds more than one %s (or trailing bytes at byte %zu); give one", path,
		       ct_name(ct), il);
		goto fail;
	}
	err = cose_view(m, buf, n, &d);
	if (err) {
		report_decode(path, -1, 0, err, &d);
		goto fail;
	}
	if (m->content_type != ct) {
		warnx_("%s: cose.protected.content_type: this is a %s (%" PRIu64 "), not a %s",
		       path, ct_name(m->content_type), m->content_type, ct_name(ct));
		goto fail;
	}
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

int signed_sign_file(const char *path, const char *out, uint64_t ct, const char *keypath)
{
	struct rc_cose_sign m;
	size_t n;
	uint8_t *in = signed_read_one(path, ct, &n, &m);
	if (!in)
		return EXIT_FAIL;
	struct signer k;
	if (signer_open(&k, keypath) < 0) {
		free(in);
		return EXIT_FAIL;
	}
	bool again = false;
	for (size_t i = 0; i < m.nsig; i++)
		again |= !memcmp(m.sigs[i].kid, k.kid, RC_KID_LEN);
	uint8_t buf[SIGNED_BUF];
	size_t len;
	int err = rc_cose_sign_add_signer(buf, sizeof(buf), &len, in, n, &k.rc);
	char kh[2 * RC_KID_LEN + 1];
	hex(kh, k.kid, RC_KID_LEN);
	signer_close(&k);
	free(in);
	if (err == RC_ERR_IO)
		return EXIT_FAIL; /* the signer said why */
	if (err) {
		warnx_("%s: cannot add a signature: %s", path, rc_strerror(err));
		return EXIT_FAIL;
	}
	if (len > RC_NOTICE_MAX) {
		warnx_("%s: with this signature the %s would be %zu bytes, more than fits in one "
		       "answer (%u); shorten its text or references",
		       path, ct_name(ct), len, RC_NOTICE_MAX);
		return EXIT_FAIL;
	}
	if (!out)
		out = path;
	if (file_write(out, buf, len, 0644, false) < 0)
		return EXIT_FAIL;
	printf("%s: %s signature by kid %s (%zu signature%s, %zu bytes)\n", out,
	       again ? "replaced the" : "added a", kh, m.nsig + !again,
	       m.nsig + !again == 1 ? "" : "s", len);
	return EXIT_OK;
}

int signed_merge_files(const char *out, uint64_t ct, char **in, int n)
{
	uint8_t acc[SIGNED_BUF] = {0}, tmp[SIGNED_BUF];
	size_t acc_len = 0;
	for (int i = 0; i < n; i++) {
		struct rc_cose_sign m;
		size_t len;
		uint8_t *b = signed_read_one(in[i], ct, &len, &m);
		if (!b)
			return EXIT_FAIL;
		int err = RC_OK;
		if (i == 0) {
			if (len > sizeof(acc))
				err = RC_ERR_TOOLONG;
			else
				memcpy(acc, b, len);
			acc_len = len;
		} else {
			size_t tl;
			err = rc_cose_merge(tmp, sizeof(tmp), &tl, acc, acc_len, b, len);
			if (err == RC_ERR_INVALID) {
				warnx_("%s: not the same %s as %s (the signed content differs)",
				       in[i], ct_name(ct), in[0]);
				free(b);
				return EXIT_FAIL;
			}
			if (!err) {
				memcpy(acc, tmp, tl);
				acc_len = tl;
			}
		}
		free(b);
		if (err) {
			warnx_("%s: cannot merge: %s", in[i], rc_strerror(err));
			return EXIT_FAIL;
		}
	}
	struct rc_cose_sign m;
	cose_view(&m, acc, acc_len, NULL);
	if (acc_len > RC_NOTICE_MAX) {
		warnx_("%s: the merged %s would be %zu bytes, more than fits in one answer (%u)",
		       out, ct_name(ct), acc_len, RC_NOTICE_MAX);
		return EXIT_FAIL;
	}
	if (file_write(out, acc, acc_len, 0644, false) < 0)
		return EXIT_FAIL;
	printf("%s: %zu signature%s merged from %d file%s (%zu bytes)\n", out, m.nsig,
	       m.nsig == 1 ? "" : "s", n, n == 1 ? "" : "s", acc_len);
	return EXIT_OK;
}

int signed_cmd(int argc, char **argv, const char *usage, bool merge, uint64_t ct, const char *cmd,
	       const char *item)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
					     {"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *key = NULL, *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, merge ? "o:h" : "k:o:h", opts, NULL)) != -1) {
		if (c == 'k')
			key = optarg;
		else if (c == 'o')
			out = optarg;
		else
			return usage_opt(c, usage);
	}
	if (merge) {
		if (!out || optind >= argc)
			return usage_fail(usage, "%s merge: -o OUT and one or more %ss", cmd, item);
		return signed_merge_files(out, ct, argv + optind, argc - optind);
	}
	if (!key || argc - optind != 1)
		return usage_fail(usage, "%s sign: -k KEY and one %s", cmd, item);
	return signed_sign_file(argv[optind], out, ct, key);
}

int signers_report(const struct rc_anchors *a, const struct rc_cose_sign *m, struct rc_verdict *v,
		   json_t *arr)
{
	char kh[2 * RC_KID_LEN + 1];
	for (size_t i = 0; i < m->nsig; i++) {
		int j = rc_anchors_find(a, m->sigs[i].kid);
		const char *st = j < 0                                  ? "unknown"
				 : rc_cose_verify_sig(m, i, a->a[j].pk) ? "bad"
									: "valid";
		hex(kh, m->sigs[i].kid, RC_KID_LEN);
		if (arr) {
			json_t *o = json_pack("{s:s, s:s}", "kid", kh, "status", st);
			if (j >= 0)
				json_object_set_new(o, "anchor", json_integer(j));
			json_array_append_new(arr, o);
		} else if (j < 0) {
			printf("  kid %s  ignored: not in the anchor set\n", kh);
		} else {
			printf("  kid %s  %s (anchor %d)\n", kh,
			       *st == 'v' ? "valid" : "BAD SIGNATURE", j);
		}
	}
	memset(v, 0, sizeof(*v));
	return rc_anchors_verify(a, m, v);
}

void kids_report(const struct rc_cose_sign *m, json_t *arr)
{
	char kh[2 * RC_KID_LEN + 1];
	for (size_t i = 0; i < m->nsig; i++) {
		hex(kh, m->sigs[i].kid, RC_KID_LEN);
		if (arr)
			json_array_append_new(arr, json_string(kh));
		else
			printf("  kid %s\n", kh);
	}
}

static void json_emit(json_t *j, size_t flags)
{
	char *s = json_dumps(j, flags | JSON_PRESERVE_ORDER);
	size_t len = s ? strlen(s) : 0;
	char *esc = s ? malloc(RC_TEXT_SAFE_CAP(len)) : NULL;
	/* Strings may hold notice text or record fields. jansson escapes C0 only; each run of
	 * DEL and non-ASCII bytes (inside strings, where no quote or backslash can be) goes through
	 * rc_text_safe's JSON mode, so C1, bidi and invisible characters become \u escapes: the
	 * same document for a program, harmless on a terminal. */
	for (size_t i = 0, k; esc && i < len; i = k) {
		for (k = i; k < len && (unsigned char)s[k] >= 0x7f; k++)
			;
		if (k == i) {
			putchar(s[k++]);
			continue;
		}
		rc_text_safe(esc, RC_TEXT_SAFE_CAP(len), s + i, k - i, RC_TEXT_JSON);
		fputs(esc, stdout);
	}
	if (esc)
		putchar('\n');
	else
		warnx_("out of memory");
	free(esc);
	free(s);
	json_decref(j);
}

void json_print(json_t *j)
{
	json_emit(j, JSON_INDENT(2));
}

void json_print_line(json_t *j)
{
	json_emit(j, JSON_COMPACT);
}

bool looks_signed(const uint8_t *buf, size_t n)
{
	return n > 1 && buf[0] == 0xd8 && buf[1] == 98;
}

int anchors_parse(const char *path, const uint8_t *buf, size_t n, struct rc_anchors *a)
{
	struct rc_diag d = {0, NULL};
	int err = n ? rc_anchors_decode(a, buf, n, &d) : RC_ERR_TRUNCATED;
	const char *kind = err ? file_kind(buf, n) : NULL;
	if (kind)
		warnx_("%s: this is %s, not an anchor set; give the file 'recall anchors create' "
		       "wrote",
		       path, kind);
	else if (err)
		report_decode(path, -1, 0, err, n ? &d : NULL);
	return err ? -1 : 0;
}

int anchors_load(const char *path, struct rc_anchors *a)
{
	size_t n;
	uint8_t *buf = file_read(path, &n, ANCHORS_FILE_MAX);
	if (!buf)
		return -1;
	int ret = anchors_parse(path, buf, n, a);
	free(buf);
	return ret;
}

void anchors_print(const struct rc_anchors *a, const char *in)
{
	uint8_t id[RC_KID_LEN];
	char h[2 * RC_KID_LEN + 1],
	    b64[sodium_base64_ENCODED_LEN(RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL)];
	if (rc_anchors_id(a, id) == RC_OK)
		printf("%sid        %s\n", in, hex(h, id, RC_KID_LEN));
	printf("%sepoch     %" PRIu64 "\n%sthreshold %" PRIu32 " of %" PRIu32 "\n", in, a->epoch,
	       in, a->k, a->n);
	for (uint32_t i = 0; i < a->n; i++) {
		sodium_bin2base64(b64, sizeof(b64), a->a[i].pk, RC_PK_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		printf("%skey %-2" PRIu32 "    kid %s  %s\n", in, i,
		       hex(h, a->a[i].kid, RC_KID_LEN), b64);
	}
	log_policy_print(a, in);
}

json_t *anchors_json(const struct rc_anchors *a)
{
	uint8_t id[RC_KID_LEN];
	char h[2 * RC_KID_LEN + 1],
	    b64[sodium_base64_ENCODED_LEN(RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL)];
	json_t *o = json_object(), *keys = json_array();
	if (rc_anchors_id(a, id) == RC_OK)
		json_object_set_new(o, "id", json_string(hex(h, id, RC_KID_LEN)));
	json_object_set_new(o, "epoch", json_integer((json_int_t)a->epoch));
	json_object_set_new(o, "k", json_integer(a->k));
	json_object_set_new(o, "n", json_integer(a->n));
	for (uint32_t i = 0; i < a->n; i++) {
		sodium_bin2base64(b64, sizeof(b64), a->a[i].pk, RC_PK_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(keys, json_pack("{s:s, s:s}", "kid",
						      hex(h, a->a[i].kid, RC_KID_LEN), "pk", b64));
	}
	json_object_set_new(o, "keys", keys);
	log_policy_json(a, o);
	return o;
}
