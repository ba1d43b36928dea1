/* The daemon's side of publication fetching (recall-gate.conf(5) "publication"): it makes the
 * local feed key, points the feed check at STATE-DIR/publication/feed opened with that key, and
 * keeps recall-gate-pub (gate/pub_main.c) running: started at start-up, restarted with backoff
 * when it dies. The fetcher's messages are counted per verdict and logged (rate-limited); the
 * daemon takes nothing from them but the counts and the text of its log line. The feed itself
 * is read by check.c when the file changes, verified again in full. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gated.h"
#include "localkey.h"
#include "log.h"
#include "parse.h"
#include "progpath.h"
#include "pubmsg.h"
#include "pubsync.h"

#define BACKOFF_MAX 300 /* s between restarts of a fetcher that keeps dying */

static struct {
	char prog[PATH_MAX], key[PATH_MAX], cache[PATH_MAX], poll[24], timeout[24], max[24];
	char *argv[8 + GATE_PUB_MIRRORS + 1];
	char *const *urls;
	size_t n;
	pid_t pid;
	int fd;
	unsigned backoff;
	uint64_t restart_at;
	struct log_rate rl;
} p = {.pid = -1, .fd = -1};

static struct gate_pub_stats stats;

const struct gate_pub_stats *gate_pub_stats(void)
{
	return &stats;
}

static void start(struct gate *g)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_warnx_rl(&p.rl, "publication: pipe: %s", strerror(errno));
		return;
	}
	p.argv[0] = "recall-gate-pub";
	p.argv[1] = g->cfg.feed_key;
	p.argv[2] = g->cfg.anchors;
	p.argv[3] = p.cache;
	p.argv[4] = p.key;
	p.argv[5] = p.poll;
	p.argv[6] = p.timeout;
	p.argv[7] = p.max;
	for (size_t i = 0; i < p.n; i++)
		p.argv[8 + i] = p.urls[i];
	p.argv[8 + p.n] = NULL;
	p.pid = fork();
	if (p.pid == 0) {
		/* fd 3 and the standard ones; no ambient capabilities, no new privileges: the
		 * fetcher drops the rest itself before it reads anything. */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[1], GATE_PUB_FD) < 0)
			_exit(127);
		close_range(GATE_PUB_FD + 1, ~0U, 0);
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		execv(p.prog, p.argv);
		_exit(127);
	}
	close(fds[1]);
	if (p.pid < 0) {
		log_warnx_rl(&p.rl, "publication: fork: %s", strerror(errno));
		close(fds[0]);
		return;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	p.fd = fds[0];
	stats.started++;
}

int gate_pub_init(struct gate *g, char *const *urls, size_t n, uint64_t poll_ms,
		  uint64_t timeout_ms, uint64_t max_bytes, char *err, size_t errlen)
{
	if (!n)
		return 0;
	log_rate_init(&p.rl, 1, 10);
	p.urls = urls;
	p.n = n > GATE_PUB_MIRRORS ? GATE_PUB_MIRRORS : n;
	snprintf(p.poll, sizeof(p.poll), "%llu", (unsigned long long)poll_ms);
	snprintf(p.timeout, sizeof(p.timeout), "%llu", (unsigned long long)timeout_ms);
	snprintf(p.max, sizeof(p.max), "%llu", (unsigned long long)max_bytes);
	if (prog_path(p.prog, sizeof(p.prog), "recall-gate-pub", RECALL_GATE_HELPERDIR, err,
		      errlen) != 0)
		return -1;
	if (snprintf(p.key, sizeof(p.key), "%s/local-feed.key", g->cfg.state_dir) >=
		(int)sizeof(p.key) ||
	    snprintf(p.cache, sizeof(p.cache), "%s/publication", g->cfg.state_dir) >=
		(int)sizeof(p.cache) ||
	    snprintf(g->cfg.feed, sizeof(g->cfg.feed), "%s/feed", p.cache) >=
		(int)sizeof(g->cfg.feed))
		return gate_err(err, errlen, "state-dir %s: path too long", g->cfg.state_dir);
	if (mkdir(p.cache, 0700) < 0 && errno != EEXIST)
		return gate_err(err, errlen, "%s: %s", p.cache, strerror(errno));
	uint8_t sk[64];
	if (local_key(p.key, true, sk, err, errlen) < 0)
		return -1;
	memcpy(g->pub_pk, sk + 32, 32);
	memset(sk, 0, sizeof(sk));
	g->pub = true;
	start(g);
	log_info("publication: %zu mirror(s), feed %s under the local key %s", p.n, g->cfg.feed,
		 p.key);
	return 0;
}

int gate_pub_fd(void)
{
	return p.fd;
}

static void gone(struct gate *g)
{
	int st = 0;
	if (p.fd >= 0)
		close(p.fd);
	p.fd = -1;
	if (p.pid > 0 && waitpid(p.pid, &st, 0) == p.pid) {
		stats.died++;
		log_warnx("publication: recall-gate-pub ended with %s %d; again in %u s",
			  WIFSIGNALED(st) ? "signal" : "status",
			  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
			  p.backoff ? p.backoff : 1);
	}
	p.pid = -1;
	p.backoff = p.backoff ? (p.backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : p.backoff * 2) : 1;
	p.restart_at = g->now + p.backoff;
}

void gate_pub_input(struct gate *g)
{
	struct gate_pubmsg m;
	for (;;) {
		ssize_t r = read(p.fd, &m, sizeof(m));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r != (ssize_t)sizeof(m) || m.magic != GATE_PUB_MAGIC || m.mirror >= p.n ||
		    m.verdict >= GATE_PUB_VERDICTS) {
			if (r != 0) {
				stats.bad_msg++;
				log_warnx("publication: a malformed message from recall-gate-pub");
				if (p.pid > 0)
					kill(p.pid, SIGTERM);
			}
			gone(g);
			return;
		}
		m.err[sizeof(m.err) - 1] = 0;
		stats.verdicts[m.verdict]++;
		const char *v = pubsync_verdict_name((enum pubsync_verdict)m.verdict);
		if (m.verdict == PUBSYNC_NEW) {
			p.backoff = 0;
			log_info("publication: %s: new serial %llu (%llu log entries, %llu bytes "
				 "in %llu "
				 "requests)",
				 p.urls[m.mirror], (unsigned long long)m.serial,
				 (unsigned long long)m.log_size, (unsigned long long)m.bytes,
				 (unsigned long long)m.requests);
		} else if (m.verdict == PUBSYNC_SAME) {
			p.backoff = 0;
			log_debug("publication: %s: serial %llu unchanged", p.urls[m.mirror],
				  (unsigned long long)m.serial);
		} else {
			log_warnx_rl(&p.rl,
				     "publication: %s: refused (%s): %s; the feed held stays",
				     p.urls[m.mirror], v, m.err[0] ? m.err : "-");
		}
	}
}

void gate_pub_tick(struct gate *g)
{
	if (g->pub && p.pid < 0 && g->now >= p.restart_at)
		start(g);
}

void gate_pub_stop(void)
{
	if (p.fd >= 0)
		close(p.fd);
	p.fd = -1;
	if (p.pid > 0) {
		kill(p.pid, SIGTERM);
		waitpid(p.pid, NULL, 0);
	}
	p.pid = -1;
}
