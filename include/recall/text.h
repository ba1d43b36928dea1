/* Untrusted text for terminals and logs: the one sanitiser every program uses before it prints,
 * logs or passes on text it did not write itself (notice text and references, fields of
 * downloaded CVE records, peer-supplied strings).
 *
 * Notice text is signed, but it is often drafted from a CVE description, and a signature says
 * who wrote it, not that it is harmless to a terminal. The notice decoder accepts any UTF-8
 * without C0 controls other than TAB and LF (docs/NOTICE-JSON.md); everything below is accepted
 * on the wire and made harmless where it is shown.
 *
 * rc_text_safe() copies text and replaces with a visible escape:
 *   - C0 controls U+0000..U+001F (TAB and LF are kept unless RC_TEXT_ONELINE; CR never is) and
 *     DEL U+007F: "\xNN";
 *   - C1 controls U+0080..U+009F (U+009B is a CSI, U+0085 a line break): "\u0080".."\u009f";
 *   - bidirectional controls U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069, which
 *     reorder what follows ("Trojan Source"): "\u202e";
 *   - line and paragraph separators U+2028, U+2029 (line breaks to some consumers);
 *   - invisible characters that hide or smuggle text and have no role in ordinary writing:
 *     U+180E, U+200B, U+2060..U+2065, U+206A..U+206F, U+FEFF, U+FFF9..U+FFFB and the tag
 *     characters U+E0000..U+E007F: "\u200b", "\U000e0041";
 *   - each byte that does not start a valid UTF-8 sequence (RFC 3629: no overlong forms, no
 *     surrogates, nothing above U+10FFFF, no truncated sequence): "\xNN".
 * ZWNJ U+200C and ZWJ U+200D are kept: Persian, Indic scripts and emoji need them, and they
 * neither move nor hide text. A backslash is not escaped: the escapes are for people, and a
 * literal "\x1b" in the input is harmless text (so the function is idempotent).
 *
 * With RC_TEXT_JSON the output is the body of a JSON string (RFC 8259) instead: '"' and '\'
 * are escaped, every C0 control and DEL become "\u00NN", the characters above "\uXXXX" (a
 * surrogate pair beyond the BMP) and invalid bytes "\ufffd". A JSON reader gets the text back
 * (except invalid bytes) and must still treat it as untrusted; a person reading the JSON on a
 * terminal sees only escapes. */
#ifndef RECALL_TEXT_H
#define RECALL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RC_TEXT_ONELINE 1u /* escape LF and TAB too: log lines, one-line fields */
#define RC_TEXT_JSON    2u /* JSON string body (implies ONELINE) */

/* Output bytes that always suffice for n input bytes (any flags), NUL included. */
#define RC_TEXT_SAFE_CAP(n) (6 * (size_t)(n) + 1)

/* Copy n bytes of in (NUL bytes included: they are escaped) to out as described above. out is
 * always NUL-terminated (when cap > 0) and holds at most cap - 1 bytes; when it is full, the
 * copy stops before the first character or escape that does not fit whole, so a shorter cap
 * gives a prefix of the longer output. Returns strlen(out). */
size_t rc_text_safe(char *out, size_t cap, const char *in, size_t n, unsigned flags);

/* True for the code points above U+007F that rc_text_safe escapes (C1, bidirectional controls,
 * separators, invisible format characters). */
bool rc_text_cp_escaped(uint32_t cp);

#endif
