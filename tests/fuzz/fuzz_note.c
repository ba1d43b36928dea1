/* Fuzz the signed-note parser and the verifier key parser (include/recall/note.h) with the same
 * bytes. A note that parses must be exactly what its parts format back to (text, blank line,
 * each signature line re-encoded; a signature too long to keep is copied from its span), so
 * there is one spelling of every note; verifying it under
 * a fixed Ed25519 key and a cosignature key must give a defined code. A key string that parses
 * must format back to the same bytes. Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_note: %s violated\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char back[RC_NOTE_MAX_LEN + 1024];
	const char *s = (const char *)data;
	struct rc_note n;
	struct rc_diag d = {0, NULL};
	int r = rc_note_parse(&n, s, size, &d);
	check(r >= 0 && r < RC_ERR__COUNT, "an rc_err code");
	if (r != RC_OK) {
		check(d.field != NULL && d.off <= size, "a diagnostic inside the input");
	} else {
		check(n.text == s && n.text_len < size && n.text[n.text_len - 1] == '\n',
		      "text is a prefix ending in LF");
		check(n.nsigs >= 1 && n.nsigs <= RC_NOTE_MAX_SIGS, "signature count bounded");
		size_t len = n.text_len;
		memcpy(back, s, len);
		back[len++] = '\n';
		for (size_t i = 0; i < n.nsigs; i++) {
			const struct rc_note_sig *g = &n.sigs[i];
			if (g->sig_len <= RC_NOTE_SIG_MAX) {
				check(rc_note_append_sig(back, sizeof(back), &len, g->name,
							 g->name_len, g->keyid, g->sig,
							 g->sig_len) == RC_OK,
				      "signature lines format");
				continue;
			}
			/* Another algorithm's long signature: only its span was kept. */
			check(g->sig_len <= RC_NOTE_SIG_LINE, "long signatures bounded");
			len += (size_t)snprintf(back + len, sizeof(back) - len,
						"\xe2\x80\x94 %.*s %.*s\n", (int)g->name_len,
						g->name, (int)g->b64_len, g->b64);
		}
		check(len == size && !memcmp(back, s, size), "one spelling per note");
		static const uint8_t pk[32] = {1, 2, 3};
		struct rc_note_key k;
		for (uint8_t alg = 1; alg <= 4; alg += 3) {
			if (rc_note_key_init(&k, n.sigs[0].name, n.sigs[0].name_len, alg, pk) !=
			    RC_OK)
				continue;
			k.keyid = n.sigs[0].keyid; /* reach the signature check itself */
			uint64_t t;
			r = rc_note_verify(&n, &k, &t);
			check(r == RC_OK || r == RC_ERR_SIG || r == RC_ERR_RANGE,
			      "verify gives a defined code");
		}
	}
	struct rc_note_key k;
	char key[RC_NOTE_KEY_MAX];
	if (rc_note_key_parse(&k, s, size) == RC_OK) {
		check(rc_note_key_format(key, sizeof(key), &k) == RC_OK, "key formats");
		check(strlen(key) == size && !memcmp(key, s, size), "one spelling per key");
	}
	return 0;
}
