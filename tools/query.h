/* recall query's parts shared by the check-in (query.c) and the private walk (query_private.c,
 * PROTOCOL.md 18.4). */
#ifndef RECALL_TOOL_QUERY_H
#define RECALL_TOOL_QUERY_H

#include <netdb.h>
#include <stdbool.h>
#include <sys/socket.h>

#include <jansson.h>

#include "recall/anchors.h"
#include "recall/msg.h"
#include "recall/private.h"
#include "util.h"

/* Exit codes of recall query (recall(1)). */
#define Q_CLEAR      0
#define Q_ERROR      1
#define Q_RECALLED   EXIT_RECALLED /* a valid recall for this identity, verified with --anchors */
#define Q_UNVERIFIED 4 /* a recall that was not verified or is not valid for this identity */
#define Q_OTHER      5 /* retry-later, unsupported or rotate */

struct q {
	char vendor[RC_NAME_MAX + 1], model[RC_NAME_MAX + 1], hwrev[RC_NAME_MAX + 1];
	char fwver[RC_FWVER_MAX + 1];
	const char *opt[6]; /* vendor model hwrev fwver build-date digest from options */
	struct rc_checkin c;
	uint8_t nonce[RC_NONCE_LEN]; /* of the datagram being answered */
	struct rc_anchors anchors;
	bool have_anchors, json;
};

/* Send a request (RC_CHECKIN_SIZE bytes) and wait for the answer bound to q->nonce: 0 with buf,
 * len and a, or -1 (message printed). bk: a bucket answer is accepted too (decoded into bk; a
 * gets its type, nonce and serial). */
int exchange(const struct q *q, const struct sockaddr_storage *sa, socklen_t salen,
	     const uint8_t *req, uint8_t *buf, size_t *len, double *rtt, unsigned timeout,
	     struct rc_answer *a, struct rc_bucket *bk, unsigned *ignored);
/* Verify and print a recalled answer's notice; returns the exit code. */
int recalled(struct q *q, const struct rc_answer *a, json_t *out);
/* With a log policy in the anchors a valid recall counts only with its log proof: ask for it
 * (PROTOCOL.md 6.4, 7.8), verify it as a device would. Exit code: 3 logged, 4 not, 1 no answer. */
int logged(struct q *q, const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *notice,
	   size_t nlen, unsigned timeout, json_t *out);
/* Print an answer (clear, recalled with its log proof, retry-later, unsupported, rotate) and
 * return the exit code. */
int query_verdict(struct q *q, const struct rc_answer *a, const struct sockaddr_storage *sa,
		  socklen_t salen, unsigned timeout, json_t *out);
void addr_str(const struct sockaddr_storage *sa, socklen_t n, char h[static NI_MAXHOST],
	      char p[static NI_MAXSERV]);
/* --private: the walk of PROTOCOL.md 18.4 for q's identity; the same verdict and exit code. */
int query_private(struct q *q, const struct sockaddr_storage *sa, socklen_t salen,
		  unsigned timeout);

#endif
