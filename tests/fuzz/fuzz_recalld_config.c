/* libFuzzer target: recalld.conf (the generic parser of common/conf.c with recalld's key table
 * and policy rules, from recalld_core). Properties: never crash or leak; every error names
 * where it is; a configuration that loads dumps to text that loads again and dumps to the
 * same text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const struct rd_config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		abort();
	conf_dump(rd_config_keys, cfg, f);
	for (size_t i = 0; i < cfg->policy.n; i++) {
		char rule[256];
		rd_rule_format(&cfg->policy.v[i], rule, sizeof(rule));
		fprintf(f, "policy = %s\n", rule);
	}
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd_config a, b;
	char err[CONF_ERR_MAX];
	memset(&a, 0, sizeof(a));
	int r = rd_config_load_buf(&a, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	if (r == 0) {
		size_t n1, n2;
		char *t1 = dump(&a, &n1);
		memset(&b, 0, sizeof(b));
		if (rd_config_load_buf(&b, "dump", t1, n1, err, sizeof(err)) != 0) {
			fprintf(stderr, "dump does not load: %s\n%s", err, t1);
			abort();
		}
		char *t2 = dump(&b, &n2);
		if (n1 != n2 || memcmp(t1, t2, n1)) {
			fprintf(stderr, "dump differs:\n%s\n---\n%s", t1, t2);
			abort();
		}
		free(t1);
		free(t2);
		rd_config_free(&b);
	} else if (!memchr(err, ':', strlen(err))) {
		abort(); /* every error names where it is */
	}
	rd_config_free(&a);
	return 0;
}
