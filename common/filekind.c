/* Recognise the files recall writes by their first bytes, so that a file given in the wrong
 * place is named for what it is instead of by the first CBOR byte that did not fit. */
#include <string.h>

#include "filekind.h"

static int starts(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);
	return n >= l && !memcmp(p, s, l);
}

const char *file_kind(const uint8_t *p, size_t n)
{
	size_t i = 0;
	if (starts(p, n, "\xef\xbb\xbf")) /* a UTF-8 byte order mark before JSON text */
		i = 3;
	if (starts(p, n, "recall-ed25519-secret "))
		return "a secret key file (from 'recall keygen')";
	if (starts(p, n, "recall-ed25519-public "))
		return "a public key file (from 'recall keygen')";
	if (starts(p, n, "RCFEED01"))
		return "a feed (from 'recall feed build')";
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < n && (p[i] == '{' || p[i] == '['))
		return "JSON text";
	if (n > 1 && p[0] == 0xd8 && p[1] == 98)
		return "a signed object (a notice or a rotation statement)";
	return NULL;
}
