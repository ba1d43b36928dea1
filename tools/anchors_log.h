/* The log policy options of `recall anchors create` and its display (anchors_log.c). */
#ifndef RECALL_TOOL_ANCHORS_LOG_H
#define RECALL_TOOL_ANCHORS_LOG_H

#include <jansson.h>

#include "recall/anchors.h"

struct log_args {
	const char *vkey;   /* --log-vkey: verifier key string or file */
	const char *key;    /* --log-key: public key file (with --log-origin) */
	const char *origin; /* --log-origin */
	const char *witness[RC_LOG_WITNESS_MAX + 1];
	int nwit;
	const char *quorum;  /* --quorum N */
	const char *max_age; /* --max-age DURATION */
};

/* The long options (their letters are given to getopt by the caller) and their help text. */
#define LOG_OPT_LETTERS "L:K:O:W:Q:A:"
#define LOG_LONG_OPTS                                                                              \
	{"log-vkey", required_argument, NULL, 'L'}, {"log-key", required_argument, NULL, 'K'},     \
	    {"log-origin", required_argument, NULL, 'O'},                                          \
	    {"witness", required_argument, NULL, 'W'}, {"quorum", required_argument, NULL, 'Q'},   \
	{                                                                                          \
		"max-age", required_argument, NULL, 'A'                                            \
	}
#define LOG_OPT_HELP                                                                               \
	"\n"                                                                                       \
	"A log policy (optional; devices then act on a recall only when it is logged):\n"          \
	"  --log-vkey VKEY         the log's verifier key (NAME+KEYID+BASE64, as 'recall log\n"    \
	"                          vkey' prints it, or a file holding it); NAME is the origin\n"   \
	"  --log-key KEY.pub       the log's public key, with --log-origin NAME\n"                 \
	"  --witness NAME=KEY.pub  a witness (1 to 8): its note key name and public key, or its\n" \
	"                          verifier key string (cosignature algorithm)\n"                  \
	"  --quorum Q              witnesses that must cosign (1..witnesses; default all)\n"       \
	"  --max-age DURATION      oldest cosignature devices with a trusted clock accept\n"       \
	"                          (60s..365d, default 7d)\n"

/* Collect option c (one of LOG_OPT_LETTERS) into la; -1 (message printed) if too many. */
int log_args_add(struct log_args *la, int c, const char *arg);
/* True if any log option was given. */
bool log_args_any(const struct log_args *la);
/* Give a the policy la describes; -1 with a message naming the option on any error. */
int log_args_apply(const struct log_args *la, struct rc_anchors *a);

/* The policy of a (if any), as lines under indent and as a JSON member "log". */
void log_policy_print(const struct rc_anchors *a, const char *indent);
void log_policy_json(const struct rc_anchors *a, json_t *o);

#endif
