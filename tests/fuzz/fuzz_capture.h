/* For the fuzz targets of the programs: what the code under test writes on stderr, captured per
 * input, so that a target can check that every error names its input and that success is
 * silent. Sanitizer reports write to file descriptor 2 directly and still reach the terminal.
 * Relies on glibc's assignable stderr. */
#ifndef RECALL_FUZZ_CAPTURE_H
#define RECALL_FUZZ_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *capture_saved, *capture_f;
static char *capture_text;
static size_t capture_len;

/* Start capturing stderr. */
static inline void capture_begin(void)
{
	capture_text = NULL;
	capture_len = 0;
	capture_f = open_memstream(&capture_text, &capture_len);
	if (!capture_f)
		abort();
	capture_saved = stderr;
	stderr = capture_f;
}

/* Stop capturing: the text written since capture_begin (valid until capture_free). */
static inline const char *capture_end(void)
{
	stderr = capture_saved;
	fclose(capture_f);
	return capture_text;
}

static inline void capture_free(void)
{
	free(capture_text);
	capture_text = NULL;
}

/* A broken property: the captured text and what broke, then abort (a finding). */
static inline void capture_fail(const char *what)
{
	fprintf(stderr, "fuzz property broken: %s\n--- captured stderr:\n%s---\n", what,
		capture_text ? capture_text : "");
	abort();
}

/* Every line of the captured text starts with prefix. */
static inline int capture_lines_start(const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *l = capture_text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		if (strncmp(l, prefix, n) != 0)
			return 0;
	return 1;
}

#endif
