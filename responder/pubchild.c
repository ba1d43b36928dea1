/* The publication fetcher of recalld (rd.h "publication"). Privilege separation in the manner
 * of ntpd: bytes from mirrors are only ever handled in a child process that runs as the
 * unprivileged user, never in the answering process. The child verifies everything
 * (common/pubsync.c) into the cache and says so on a pipe; the answering process then reloads
 * from the cache through its usual path, which verifies every notice and the log again.
 *
 * Two processes: a supervisor, forked before any thread and before the chroot, drops to user
 * and forks the fetcher, and restarts it with backoff when it dies (the answering process can
 * no longer fork a clean one once chrooted and threaded). Both end with the answering process
 * (PR_SET_PDEATHSIG, and a write to a pipe nobody reads). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "localkey.h"
#include "pubfetch.h"
#include "pubkey.h"
#include "rd.h"
#include "system.h"

#define MSG_MAGIC    0x52435042u /* "RCPB" */
#define BACKOFF_MAX  300         /* s between restarts of a fetcher that keeps dying */
#define BACKOFF_HEAL 600         /* s of running after which the backoff starts again */

static volatile sig_atomic_t s_stop, s_hup;

static void on_sig(int sig)
{
	if (sig == SIGHUP)
		s_hup = 1;
	else
		s_stop = 1;
}

static uint64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* ---- the local feed key ---- */

static int give(const char *path, const char *user, char *err, size_t cap)
{
	if (geteuid() != 0 || !user || !user[0])
		return 0;
	struct passwd *pw = getpwnam(user);
	if (!pw || lchown(path, pw->pw_uid, pw->pw_gid) < 0) {
		snprintf(err, cap, "%s: cannot hand it to user %s", path, user);
		return -1;
	}
	return 0;
}

static int write_new(const char *path, const char *text, mode_t mode, char *err, size_t cap)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, cap, "%s: path too long", path);
		return -1;
	}
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	size_t n = strlen(text);
	bool ok = fd >= 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok || rename(tmp, path) < 0) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int rd_pub_local_key(const struct rd_config *cfg, uint8_t sk[64], char *err, size_t cap)
{
	char path[4200], pub[4200], line[128], b64[64];
	uint8_t pk[32];
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, RD_LOCAL_KEY);
	snprintf(pub, sizeof(pub), "%s/%s", cfg->state_dir, RD_LOCAL_PUB);
	bool made = access(path, F_OK) != 0 && errno == ENOENT;
	if (local_key(path, true, sk, err, cap) < 0 ||
	    (made && give(path, cfg->user, err, cap) < 0))
		return -1;
	if (made)
		log_info("publication: made the local feed key %s", path);
	memcpy(pk, sk + 32, 32);
	sodium_bin2base64(b64, sizeof(b64), pk, 32, sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof(line), "recall-ed25519-public %s recalld local feed key\n", b64);
	if (write_new(pub, line, 0644, err, cap) < 0 || give(pub, cfg->user, err, cap) < 0)
		return -1;
	/* the cache, written by the fetcher as user */
	if (mkdir(cfg->pub_dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, cap, "publication-cache %s: %s", cfg->pub_dir, strerror(errno));
		return -1;
	}
	return give(cfg->pub_dir, cfg->user, err, cap);
}

/* ---- the fetcher (child of the supervisor) ---- */

static int pipe_fd = -1;

static void send_msg(struct rd_pubmsg *m)
{
	m->magic = MSG_MAGIC;
	/* the answering process is gone (EPIPE) or broken: nothing left to fetch for */
	if (write(pipe_fd, m, sizeof(*m)) != (ssize_t)sizeof(*m))
		_exit(0);
}

static void report(void *arg, size_t mirror, const struct pubsync_out *out)
{
	(void)arg;
	struct rd_pubmsg m;
	memset(&m, 0, sizeof(m));
	m.kind = RD_PUBMSG_RESULT;
	m.mirror = (uint8_t)mirror;
	m.verdict = (uint8_t)out->verdict;
	m.serial = out->serial;
	m.expiry = out->expiry;
	m.log_size = out->log_size;
	m.bytes = out->bytes;
	m.requests = out->requests;
	send_msg(&m);
}

static int load_inputs(const struct rd_config *cfg, uint8_t pk[32], struct rc_anchors *a)
{
	uint8_t *buf;
	size_t n;
	if (rd_read_file(cfg->feed_key, 4096, false, &buf, &n) < 0) {
		log_warnx("publication: feed-key %s: %s", cfg->feed_key, rd_read_err(errno));
		return -1;
	}
	const char *why = rc_pubkey_parse(buf, n, pk);
	free(buf);
	if (why) {
		log_warnx("publication: feed-key %s: line 1: %s", cfg->feed_key, why);
		return -1;
	}
	if (rd_read_file(cfg->anchors, 4096, false, &buf, &n) < 0) {
		log_warnx("publication: anchors %s: %s", cfg->anchors, rd_read_err(errno));
		return -1;
	}
	struct rc_diag d = {0, NULL};
	int e = rc_anchors_decode(a, buf, n, &d);
	free(buf);
	if (e) {
		log_warnx("publication: anchors %s: %s", cfg->anchors, rc_strerror(e));
		return -1;
	}
	return 0;
}

static void fetcher(const struct rd_config *cfg, const uint8_t sk[64])
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_NAME, "recalld-fetch"); /* apart from the answering process in ps */
	uint8_t pk[32];
	struct rc_anchors anchors;
	if (load_inputs(cfg, pk, &anchors) < 0)
		_exit(2);
	struct pubfetch_limits lim;
	pubfetch_limits_default(&lim);
	lim.timeout_ms = cfg->pub_timeout_ms;
	lim.max_bytes = cfg->pub_max_bytes;
	struct pubfetch f;
	char err[CONF_ERR_MAX];
	if (pubfetch_init(&f, cfg->publication.v, cfg->publication.n, &lim,
			  "recalld/" RECALL_VERSION_STRING, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		_exit(2);
	}
	struct pubsync_in in = {
	    .feed_pk = pk,
	    .anchors = &anchors,
	    .cache_dir = cfg->pub_dir,
	    .local_sk = sk,
	    .max_bytes = cfg->pub_max_bytes,
	};
	for (;;) {
		struct pubsync_out out;
		in.now = (uint64_t)time(NULL);
		pubfetch_round(&f, &in, report, NULL, &out);
		uint64_t ms = pubfetch_jitter_ms(cfg->pub_poll_ms);
		struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* ---- the supervisor ---- */

static void pause_s(unsigned s)
{
	struct timespec ts = {(time_t)s, 0};
	while (!s_stop && !s_hup && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void supervise(const struct rd_config *cfg, const uint8_t sk[64], pid_t parent)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char err[256];
	if (sys_drop(cfg->user, NULL, err, sizeof(err)) < 0) {
		log_warnx("publication: %s", err);
		_exit(1);
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_NAME, "recalld-pub");
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* after the uid change, which clears it */
	if (getppid() != parent)
		_exit(0);
	unsigned backoff = 1;
	while (!s_stop) {
		s_hup = 0;
		uint64_t start = mono_s();
		pid_t pid = fork();
		if (pid == 0) {
			fetcher(cfg, sk);
			_exit(0);
		}
		struct rd_pubmsg m;
		memset(&m, 0, sizeof(m));
		m.kind = RD_PUBMSG_STARTED;
		m.status = pid;
		if (pid > 0)
			send_msg(&m);
		int st = 0;
		while (pid > 0 && waitpid(pid, &st, 0) < 0) {
			if (errno != EINTR)
				break;
			if (s_stop || s_hup)
				kill(pid, SIGTERM);
		}
		if (s_stop)
			break;
		if (s_hup) { /* asked for: feed-key and anchors read again */
			backoff = 1;
			continue;
		}
		if (mono_s() - start > BACKOFF_HEAL)
			backoff = 1;
		m.kind = RD_PUBMSG_DIED;
		m.status = pid > 0 ? st : -1;
		m.backoff_s = backoff;
		send_msg(&m);
		pause_s(backoff);
		backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
	}
	_exit(0);
}

int rd_pub_start(struct rd_pub *p, const struct rd_config *cfg, const uint8_t sk[64], char *err,
		 size_t cap)
{
	int fds[2];
	p->pid = 0;
	p->fd = -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, cap, "publication: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, cap, "publication: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		pipe_fd = fds[1];
		supervise(cfg, sk, parent);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->fd = fds[0];
	return 0;
}

int rd_pub_read(struct rd_pub *p, size_t nmirrors, struct rd_pubmsg *m)
{
	if (p->fd < 0)
		return 0;
	ssize_t r = read(p->fd, m, sizeof(*m));
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r == (ssize_t)sizeof(*m) && m->magic == MSG_MAGIC && m->kind >= RD_PUBMSG_RESULT &&
	    m->kind <= RD_PUBMSG_DIED && m->mirror < nmirrors && m->verdict < RD_PUB_VERDICTS)
		return 1;
	/* end of file, or something the fetcher's side should never write */
	if (r != 0)
		log_warnx("publication: a malformed message from the fetcher; closing its pipe");
	close(p->fd);
	p->fd = -1;
	rd_pub_stop(p);
	return -1;
}

void rd_pub_hup(struct rd_pub *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGHUP);
}

void rd_pub_stop(struct rd_pub *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
}
