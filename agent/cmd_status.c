/* `recall-agent status [--json]`: asks the running daemon over the control socket; when none
 * runs, reads the saved state file (read-only) and says so. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentd.h"
#include "recall/text.h"

struct view {
	bool running;
	struct ctl_status r; /* from the daemon, or made up from the saved state */
};

static uint64_t s_mono(void *c)
{
	(void)c;
	return 0;
}
/* Judged as the daemon judges it: the status shows whether it would trust the clock. */
static uint64_t s_wall(void *c, bool *t)
{
	return agentd_wall(c, t);
}
static int s_send(void *c, const struct rc_src *to, const uint8_t *b, size_t l)
{
	(void)c, (void)to, (void)b, (void)l;
	return -1;
}
static void s_random(void *c, uint8_t *b, size_t n)
{
	(void)c;
	memset(b, 0, n);
}
static int s_persist(void *c, const uint8_t *s, size_t l)
{
	(void)c, (void)s, (void)l;
	return -1;
}
static int s_quarantine(void *c, const struct rc_notice *n, bool on)
{
	(void)c, (void)n, (void)on;
	return -1;
}
static void s_notify(void *c, enum rc_agent_event ev, const struct rc_notice *n)
{
	(void)c, (void)ev, (void)n;
}
static void s_log(void *c, enum rc_log_level lv, const char *msg)
{
	char safe[RC_TEXT_SAFE_CAP(512)];
	(void)c, (void)lv;
	/* Core messages may quote the saved notice: escaped like every log line. */
	rc_text_safe(safe, sizeof(safe), msg, strlen(msg), RC_TEXT_ONELINE);
	fprintf(stderr, "recall-agent: %s\n", safe);
}

static const struct rc_agent_ops offline_ops = {s_send,    s_mono,       s_wall,   s_random,
						s_persist, s_quarantine, s_notify, s_log};

/* No daemon: the saved state in the checked directory dfd (-1: there is none), decoded by
 * the core. */
static int offline(struct agentd *d, int dfd, struct view *v)
{
	static struct rc_agent a;
	static uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len;
	char why[128];
	if (rc_agent_init(&a, &d->ac, &offline_ops, d) != RC_OK)
		return -1;
	int rc = dfd < 0 ? 1 : state_load(dfd, blob, sizeof(blob), &len, why, sizeof(why));
	if (rc < 0)
		fprintf(stderr, "recall-agent: %s/%s: %s (the agent will ignore it)\n",
			d->c.state_dir, AGENTD_STATE_FILE, why);
	if (rc == 0)
		rc_agent_restore(&a, blob, len);
	rc_agent_status(&a, &v->r.st);
	struct rc_notice n;
	if (rc_agent_notice(&a, &n) == RC_OK) {
		v->r.text = n.text;
		v->r.url = n.remedy_url;
	}
	return 0;
}

static int online(int dfd, struct view *v)
{
	static uint8_t buf[CTL_MSG_MAX];
	long n = ctl_request(dfd, CTL_STATUS, "", buf, sizeof(buf));
	if (n < 0)
		return -1;
	if (ctl_status_decode(buf, (size_t)n, &v->r) < 0) {
		errno = EPROTO;
		return -2;
	}
	v->running = true;
	return 0;
}

static void jstr(const char *key, const char *s, size_t n, bool comma)
{
	static char out[RC_TEXT_MAX * 6 + 1];
	json_escape(out, sizeof(out), 0, s ? s : "", s ? n : 0);
	printf("%s\"%s\":\"%s\"", comma ? "," : "", key, out);
}

static void jnum(const char *key, uint64_t v)
{
	printf(",\"%s\":%llu", key, (unsigned long long)v);
}

/* t as ISO 8601 UTC ("2026-03-01T12:00:00Z"); 0: "none". */
static const char *iso(char *b, size_t cap, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!t)
		snprintf(b, cap, "none");
	else if ((uint64_t)tt != t || !gmtime_r(&tt, &tm) ||
		 !strftime(b, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(b, cap, "@%llu", (unsigned long long)t);
	return b;
}

/* Why the clock is or is not trusted (docs/SECURITY.md 5): the core's verdict, and for a clock
 * that the time source does not vouch for, whether the configuration says so. */
enum clock_why { CLK_TRUSTED, CLK_BELOW_FLOOR, CLK_UNTRUSTED_CONF, CLK_UNSYNCED };

static enum clock_why clock_why(const struct agentd *d, const struct rc_agent_status *s)
{
	if (s->clock_trusted)
		return CLK_TRUSTED;
	if (s->clock_synced)
		return CLK_BELOW_FLOOR;
	return d->c.wall_clock == CLOCK_UNTRUSTED ? CLK_UNTRUSTED_CONF : CLK_UNSYNCED;
}

static void print_json(const struct agentd *d, const struct view *v)
{
	static const char *const clock_names[] = {"trusted", "below-time-floor",
						  "untrusted-by-configuration", "not-synchronised"};
	const struct rc_agent_status *s = &v->r.st;
	const struct rc_agent_counters *c = &s->c;
	printf("{\"running\":%s", v->running ? "true" : "false");
	jstr("state", rc_agent_state_name(s->state), strlen(rc_agent_state_name(s->state)), true);
	jstr("vendor", d->vendor, strlen(d->vendor), true);
	jstr("model", d->model, strlen(d->model), true);
	jstr("hwrev", d->hwrev, strlen(d->hwrev), true);
	jstr("fwver", d->fwver, strlen(d->fwver), true);
	printf(",\"checkin\":%s", d->c.checkin ? "true" : "false");
	const char *mode = agentd_mode_name(d->c.mode);
	jstr("mode", mode, strlen(mode), true);
	if (s->has_notice) {
		printf(",\"notice\":{");
		jstr("id", s->notice_id, strlen(s->notice_id), false);
		jstr("action", rc_action_name(s->action), strlen(rc_action_name(s->action)), true);
		jstr("severity", rc_severity_name(s->severity),
		     strlen(rc_severity_name(s->severity)), true);
		jnum("expiry", s->notice_expiry);
		jstr("text", v->r.text.p, v->r.text.n, true);
		jstr("url", v->r.url.p, v->r.url.n, true);
		printf("}");
	}
	if (s->has_log) {
		/* The anchor set names a log: recalls are acted on only with a proof. */
		printf(",\"log\":{\"quorum\":%u", (unsigned)s->log_quorum);
		printf(",\"logged\":%s", s->logged ? "true" : "false");
		if (s->logged) {
			jnum("index", s->log_index);
			jnum("size", s->log_size);
			jnum("witnesses", s->log_witnessed);
		}
		printf(",\"proof_pending\":%s", s->proof_pending ? "true" : "false");
		printf(",\"rotation_pending\":%s}", s->rotation_pending ? "true" : "false");
	}
	printf(",\"override_all\":%s", s->override_all ? "true" : "false");
	jnum("overrides", s->noverrides);
	jnum("anchor_epoch", s->anchor_epoch);
	const char *clk = clock_names[clock_why(d, s)];
	jstr("clock", clk, strlen(clk), true);
	printf(",\"clock_trusted\":%s", s->clock_trusted ? "true" : "false");
	jnum("time_floor", s->time_floor);
	if (v->running && s->next_ms != RC_AGENT_NEVER) {
		jnum("next_checkin_s", s->next_ms / 1000);
		jstr("next_reason", rc_reason_name(s->next_reason),
		     strlen(rc_reason_name(s->next_reason)), true);
	}
	jnum("attempt", s->attempt);
	jnum("last_answer", s->last_answer);
	jnum("next_periodic", s->next_periodic);
	jnum("feed_serial", s->feed_serial);
	printf(",\"counters\":{\"checkins\":%llu", (unsigned long long)c->checkins);
	const uint64_t vals[] = {
	    c->send_errors,    c->timeouts,         c->giveups,        c->answers,
	    c->clear,          c->recalled,         c->retry_later,    c->unsupported,
	    c->rotations,      c->rx_garbage,       c->rx_source,      c->rx_nonce,
	    c->rx_invalid,     c->rx_threshold,     c->rx_notcovered,  c->rx_expired,
	    c->releases,       c->persist_errors,   c->state_corrupt,  c->quarantine_errors,
	    c->log_suppressed, c->persists,         c->proof_requests, c->proofs,
	    c->unlogged,       c->rx_proof_invalid, c->buckets,        c->notice_requests,
	    v->r.hooks_refused};
	static const char *const names[] = {
	    "send_errors",    "timeouts",         "giveups",        "answers",
	    "clear",          "recalled",         "retry_later",    "unsupported",
	    "rotations",      "rx_garbage",       "rx_source",      "rx_nonce",
	    "rx_invalid",     "rx_threshold",     "rx_notcovered",  "rx_expired",
	    "releases",       "persist_errors",   "state_corrupt",  "quarantine_errors",
	    "log_suppressed", "persists",         "proof_requests", "proofs",
	    "unlogged",       "rx_proof_invalid", "buckets",        "notice_requests",
	    "hooks_refused"};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		jnum(names[i], vals[i]);
	printf("}}\n");
}

static void when(const char *label, uint64_t t)
{
	char b[64] = "never";
	time_t tt = (time_t)t;
	struct tm tm;
	if (t && gmtime_r(&tt, &tm))
		strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%-14s %s\n", label, b);
}

static void print_text(const struct agentd *d, const struct view *v)
{
	const struct rc_agent_status *s = &v->r.st;
	char floor[48];
	printf("%-14s %s\n", "agent", v->running ? "running" : "not running (saved state)");
	printf("%-14s %s %s %s %s\n", "identity", d->vendor, d->model, d->hwrev[0] ? d->hwrev : "-",
	       d->fwver);
	printf(
	    "%-14s %s\n", "mode",
	    d->c.mode == AGENTD_MODE_PRIVATE
		? "private (check-ins name a 12-bit prefix of the model's hash, not the identity)"
		: "normal (check-ins name the identity)");
	printf("%-14s %s%s\n", "state", rc_agent_state_name(s->state),
	       s->state == RC_AGENT_QUARANTINED ? " (LAN only: Internet access blocked)" : "");
	if (s->has_notice) {
		printf("%-14s %s (%s, severity %s)\n", "notice", s->notice_id,
		       rc_action_name(s->action), rc_severity_name(s->severity));
		/* Signed, but words from a CVE record: one line (a newline must not forge a
		 * field), hostile characters as visible escapes. */
		static char safe[RC_TEXT_SAFE_CAP(RC_TEXT_MAX)];
		rc_text_safe(safe, sizeof(safe), v->r.text.p, v->r.text.n, RC_TEXT_ONELINE);
		printf("%-14s %s\n", "what", safe);
		rc_text_safe(safe, sizeof(safe), v->r.url.p, v->r.url.n, RC_TEXT_ONELINE);
		printf("%-14s %s\n", "remedy", safe);
		when("expires", s->notice_expiry);
	}
	if (s->has_log && s->logged)
		printf("%-14s index %llu of size %llu, witnesses %u/%u\n", "logged",
		       (unsigned long long)s->log_index, (unsigned long long)s->log_size,
		       (unsigned)s->log_witnessed, (unsigned)s->log_quorum);
	else if (s->has_log && s->proof_pending)
		printf("%-14s a %s waits for its log proof: not acted on\n", "log",
		       s->rotation_pending ? "rotation" : "recall");
	else if (s->has_log)
		printf("%-14s required (quorum %u): recalls and rotations are acted on only when "
		       "logged\n",
		       "log", (unsigned)s->log_quorum);
	if (s->override_all || s->noverrides)
		printf("%-14s %s\n", "overrides",
		       s->override_all ? "all notices" : "some notices (by id)");
	if (v->running && s->next_ms != RC_AGENT_NEVER)
		printf("%-14s in %llu s (%s)\n", "next check-in",
		       (unsigned long long)(s->next_ms / 1000), rc_reason_name(s->next_reason));
	when("last answer", s->last_answer);
	printf("%-14s %llu\n", "anchor epoch", (unsigned long long)s->anchor_epoch);
	iso(floor, sizeof(floor), s->time_floor);
	switch (clock_why(d, s)) {
	case CLK_TRUSTED:
		printf("%-14s trusted\n", "clock");
		break;
	case CLK_BELOW_FLOOR:
		printf("%-14s not trusted (below the time floor %s)\n", "clock", floor);
		break;
	case CLK_UNTRUSTED_CONF:
		printf("%-14s not trusted (wall-clock = untrusted)\n", "clock");
		break;
	case CLK_UNSYNCED:
		printf("%-14s not trusted (not synchronised)\n", "clock");
		break;
	}
	printf("%-14s %s\n", "time floor", floor);
	if (v->running)
		printf("%-14s %llu sent, %llu answered, %llu timed out, %llu rejected\n",
		       "check-ins", (unsigned long long)s->c.checkins,
		       (unsigned long long)s->c.answers, (unsigned long long)s->c.timeouts,
		       (unsigned long long)(s->c.rx_garbage + s->c.rx_source + s->c.rx_nonce +
					    s->c.rx_invalid));
	if (v->running && d->c.mode == AGENTD_MODE_PRIVATE)
		printf("%-14s %llu bucket answers, %llu notice requests\n", "private",
		       (unsigned long long)s->c.buckets, (unsigned long long)s->c.notice_requests);
	if (v->running)
		printf("%-14s %llu\n", "hooks refused", (unsigned long long)v->r.hooks_refused);
}

int cmd_status(struct agentd *d, bool json)
{
	struct view v = {0};
	char err[512];
	/* The directory checked as the daemon checks it (never created): a state file or socket
	 * planted by someone else is never read. None yet: nothing saved, no daemon. */
	int dfd = state_dir_open_ro(d->c.state_dir, err, sizeof(err));
	if (dfd < 0 && errno != ENOENT) {
		fprintf(stderr, "recall-agent: %s\n", err);
		return 1;
	}
	int rc = dfd < 0 ? -1 : online(dfd, &v);
	if (rc == -2 || (rc < 0 && dfd >= 0 && errno != ENOENT && errno != ECONNREFUSED)) {
		fprintf(stderr, "recall-agent: control socket in %s: %s\n", d->c.state_dir,
			strerror(errno));
		close(dfd);
		return 1;
	}
	if (rc < 0 && offline(d, dfd, &v) < 0) {
		fprintf(stderr, "recall-agent: configuration rejected by the core\n");
		if (dfd >= 0)
			close(dfd);
		return 1;
	}
	if (dfd >= 0)
		close(dfd);
	if (json)
		print_json(d, &v);
	else
		print_text(d, &v);
	return 0;
}
