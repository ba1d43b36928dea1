/* cmocka assertions on recall-gate observations, shared by test_gate_parse and test_gate_input
 * (include after cmocka.h). */
#ifndef RECALL_TEST_GATE_ASSERT_H
#define RECALL_TEST_GATE_ASSERT_H

#include "parse.h"

/* No field set: what a refused input must leave. */
static inline void assert_empty(const struct gate_obs *o)
{
	for (int f = 0; f < GF__N; f++)
		assert_int_equal(o->f[f].src, GS_NONE);
}

static inline void assert_field(const struct gate_obs *o, enum gate_field f, uint8_t src,
				const char *v)
{
	assert_int_equal(o->f[f].src, src);
	assert_string_equal(o->f[f].v, v);
}

#endif
