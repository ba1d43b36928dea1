/* Fuzz the checkpoint body parser (include/recall/note.h), alone and as the text of a signed
 * note. A body that parses formats back to the same bytes (one spelling: no leading zeros,
 * canonical base64, extension lines kept), its size is below RC_TLOG_MAX_SIZE, and a fixed
 * log key and witness key verify or refuse it with a defined code. Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_checkpoint: %s violated\n", what);
		abort();
	}
}

static void body(const char *s, size_t n)
{
	static char back[RC_NOTE_MAX_LEN + 64];
	struct rc_checkpoint c;
	struct rc_diag d = {0, NULL};
	int r = rc_checkpoint_parse(&c, s, n, &d);
	check(r >= 0 && r < RC_ERR__COUNT, "an rc_err code");
	if (r != RC_OK) {
		check(d.field != NULL && d.off <= n, "a diagnostic inside the input");
		return;
	}
	check(c.size < RC_TLOG_MAX_SIZE, "size bounded");
	check(c.origin_len >= 1 && c.origin_len <= RC_NOTE_NAME_MAX, "origin bounded");
	size_t len;
	check(rc_checkpoint_format(back, sizeof(back), &len, &c) == RC_OK, "formats back");
	check(len == n && !memcmp(back, s, n), "one spelling per checkpoint");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	body(s, size);
	struct rc_note n;
	if (rc_note_parse(&n, s, size, NULL) != RC_OK)
		return 0;
	body(n.text, n.text_len);
	static const uint8_t pk[32] = {9};
	struct rc_note_key log, wit;
	if (rc_note_key_init(&log, n.sigs[0].name, n.sigs[0].name_len, 1, pk) == RC_OK &&
	    rc_note_key_init(&wit, n.sigs[0].name, n.sigs[0].name_len, 4, pk) == RC_OK) {
		int r = rc_note_verify(&n, &log, NULL);
		check(r == RC_ERR_SIG || r == RC_ERR_MISSING, "a forged log signature fails");
		uint64_t t;
		r = rc_note_verify(&n, &wit, &t);
		check(r == RC_ERR_SIG || r == RC_ERR_MISSING || r == RC_ERR_RANGE,
		      "a forged cosignature fails");
	}
	return 0;
}
