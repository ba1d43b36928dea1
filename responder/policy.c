/* Operator policy: which notices recalld enforces (answers "recalled") and which it only
 * monitors (answers "clear" and logs the hit). Rules:
 *   policy = <enforce|monitor> notice <notice id>
 *   policy = <enforce|monitor> vendor <vendor name>  (canonical as in notices, or as the
 *                                                      vendor writes it: canonicalised)
 *   policy = <enforce|monitor> severity [<|<=|=|>=|>] <none|low|medium|high|critical>
 * The most specific kind that matches decides (notice, then vendor, then severity); within a
 * kind the first matching rule in file order; otherwise default-action. */
#include <stdlib.h>
#include <string.h>

#include "rd.h"

static const char *const kinds[] = {"notice", "vendor", "severity"};
static const char *const ops[] = {"=", "<", "<=", ">", ">="};
static const char *const action_names[] = {"enforce", "monitor"};

/* Next space-separated word of *s into w (cap bytes); false at the end or if too long. */
static bool word(const char **s, char *w, size_t cap)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, " \t");
	if (!n || n >= cap)
		return false;
	memcpy(w, p, n);
	w[n] = '\0';
	*s = p + n;
	return true;
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

static int parse_rule(struct rd_rule *r, const char *value, char *err, size_t cap)
{
	char w[3][RC_NOTICE_ID_MAX * 3 + 2];
	const char *s = value;
	memset(r, 0, sizeof(*r));
	if (!word(&s, w[0], sizeof(w[0])) || !word(&s, w[1], sizeof(w[1]))) {
		snprintf(err, cap, "expected '<enforce|monitor> <notice|vendor|severity> <what>'");
		return -1;
	}
	if (!strcmp(w[0], "enforce"))
		r->action = RD_ENFORCE;
	else if (!strcmp(w[0], "monitor"))
		r->action = RD_MONITOR;
	else {
		snprintf(err, cap, "'%s': the action must be enforce or monitor", w[0]);
		return -1;
	}
	bool more = word(&s, w[2], sizeof(w[2]));
	if (!strcmp(w[1], "notice") || !strcmp(w[1], "vendor")) {
		r->kind = w[1][0] == 'n' ? RD_RULE_NOTICE : RD_RULE_VENDOR;
		if (!more) {
			snprintf(err, cap, "%s: which %s?", w[1], w[1]);
			return -1;
		}
		if (r->kind == RD_RULE_NOTICE) {
			size_t n = strlen(w[2]);
			for (size_t i = 0; i < n; i++) {
				if (!id_char(w[2][i]))
					n = 0;
			}
			if (!n || n > RC_NOTICE_ID_MAX) {
				snprintf(err, cap,
					 "'%s' is not a notice id (1..64 of A-Z a-z 0-9 . _ : -)",
					 w[2]);
				return -1;
			}
			memcpy(r->name, w[2], n + 1);
			r->name_len = n;
		} else if (rc_name_valid(rc_str_c(w[2]), RC_NAME_MAX, false)) {
			/* already canonical (as in notices): taken as is */
			r->name_len = strlen(w[2]);
			memcpy(r->name, w[2], r->name_len + 1);
		} else {
			int n = rc_name_canon(r->name, sizeof(r->name), w[2], strlen(w[2]));
			if (n <= 0 || !rc_name_valid((struct rc_str){r->name, (size_t)n},
						     RC_NAME_MAX, false)) {
				snprintf(err, cap, "'%s' is not a valid vendor name", w[2]);
				return -1;
			}
			r->name_len = (size_t)n;
		}
	} else if (!strcmp(w[1], "severity")) {
		r->kind = RD_RULE_SEVERITY;
		r->op = RD_OP_EQ;
		char *level = w[2];
		for (int i = 4; i >= 0 && more; i--) {
			size_t n = strlen(ops[i]);
			if (!strncmp(level, ops[i], n)) {
				r->op = (uint8_t)i;
				level += n;
				if (!*level) { /* "<= high": the level is the next word */
					more = word(&s, w[2], sizeof(w[2]));
					level = w[2];
				}
				break;
			}
		}
		int sev = more ? rc_severity_parse(level) : -1;
		if (sev < 0) {
			snprintf(err, cap,
				 "severity: expected [<|<=|=|>=|>] "
				 "none|low|medium|high|critical");
			return -1;
		}
		r->severity = (uint8_t)sev;
	} else {
		snprintf(err, cap, "'%s': a rule selects by notice, vendor or severity", w[1]);
		return -1;
	}
	if (word(&s, w[0], sizeof(w[0])) || *s) {
		snprintf(err, cap, "unexpected text after the rule");
		return -1;
	}
	return 0;
}

int rd_policy_parse(void *field, const char *value, char *err, size_t cap)
{
	struct rd_policy *p = field;
	struct rd_rule r;
	if (!value[0])
		return 0; /* the default: no rules */
	if (parse_rule(&r, value, err, cap) < 0)
		return -1;
	struct rd_rule *nv = realloc(p->v, (p->n + 1) * sizeof(*nv));
	if (!nv) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	p->v = nv;
	p->v[p->n++] = r;
	return 0;
}

void rd_policy_free(void *field)
{
	struct rd_policy *p = field;
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static bool sev_match(const struct rd_rule *r, unsigned s)
{
	switch (r->op) {
	case RD_OP_LT:
		return s < r->severity;
	case RD_OP_LE:
		return s <= r->severity;
	case RD_OP_GT:
		return s > r->severity;
	case RD_OP_GE:
		return s >= r->severity;
	default:
		return s == r->severity;
	}
}

unsigned rd_policy_action(const struct rd_policy *p, unsigned dflt, const struct rc_notice *n)
{
	int best_kind = 3;
	unsigned action = dflt;
	for (size_t i = 0; i < p->n; i++) {
		const struct rd_rule *r = &p->v[i];
		if ((int)r->kind >= best_kind)
			continue;
		bool m;
		if (r->kind == RD_RULE_NOTICE)
			m = n->id.n == r->name_len && !memcmp(n->id.p, r->name, r->name_len);
		else if (r->kind == RD_RULE_VENDOR)
			m = n->target.vendor.n == r->name_len &&
			    !memcmp(n->target.vendor.p, r->name, r->name_len);
		else
			m = sev_match(r, n->severity);
		if (m) {
			best_kind = r->kind;
			action = r->action;
		}
	}
	return action;
}

void rd_rule_format(const struct rd_rule *r, char *out, size_t cap)
{
	if (r->kind == RD_RULE_SEVERITY)
		snprintf(out, cap, "%s severity %s %s", action_names[r->action], ops[r->op],
			 rc_severity_name(r->severity));
	else
		snprintf(out, cap, "%s %s %s", action_names[r->action], kinds[r->kind], r->name);
}
