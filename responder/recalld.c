/* recalld: the recall responder. See recalld(8) and recalld.conf(5).
 * The main thread owns configuration, feed loading, the event log and signals; worker threads
 * answer; libmicrohttpd serves metrics. Signal handlers only set flags. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "pubfetch.h"
#include "rd.h"
#include "system.h"

#ifndef RECALL_VERSION_STRING
#define RECALL_VERSION_STRING "0.1.0"
#endif
#define DEFAULT_CONFIG "/etc/recall/recalld.conf"
#define TICK_MS        50

static volatile sig_atomic_t sig_stop, sig_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_stop = 1;
}

struct main_ctx {
	const char *config_path;
	bool chrooted;
	struct rd_server srv;
	struct rd_state *cur;
	uint64_t gen;
	FILE *events;
	char *events_path;
	struct stat feed_st; /* the feed file as last seen by the change check */
	bool feed_st_ok;
	uint64_t next_poll_ms;
	bool expired_warned;
	struct stat ck_st; /* the log's checkpoint file, likewise */
	bool ck_st_ok;
	struct log_rate forkrate; /* "log fork/rollback" lines */
	struct rd_pub pub;        /* the publication fetcher (pub.fd -1: none) */
};

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void gauges(struct main_ctx *m)
{
	struct rd_server *s = &m->srv;
	const struct rc_feed *f = &m->cur->fm->feed;
	atomic_store(&s->feed_serial, f->meta.serial);
	atomic_store(&s->feed_issued, f->meta.issued);
	atomic_store(&s->feed_expiry, f->meta.expiry);
	atomic_store(&s->feed_loaded, m->cur->fm->loaded_at);
	atomic_store(&s->notices, f->nnotices);
	atomic_store(&s->rotations, m->cur->nrot);
	atomic_store(&s->anchor_epoch, m->cur->anchors.epoch);
	const struct rd_log *l = m->cur->log;
	atomic_store(&s->log_has, l != NULL);
	atomic_store(&s->log_size, l ? l->size : 0);
	atomic_store(&s->log_quorum_time, l ? l->quorum_time : 0);
	atomic_store(&s->log_witnesses, l ? l->witnesses : 0);
	atomic_store(&s->log_quorum, m->cur->anchors.has_log ? m->cur->anchors.log.quorum : 0);
	atomic_store(&s->log_unlogged, l ? l->unlogged : m->cur->cfg->log_dir[0] ? f->nnotices : 0);
	atomic_store(&s->log_oversized, l ? l->oversized : 0);
}

/* What loading st did with the transparency log: count it, say it, keep a new checkpoint (not
 * with -t: a check changes nothing). */
static void log_outcome(struct main_ctx *m, const struct rd_state *st, bool keep)
{
	const struct rd_config *cfg = st->cfg;
	const struct rd_log *l = st->log;
	char err[512], kept[128];
	if (st->log_res == RD_LOGR_NONE)
		return;
	atomic_fetch_add(&m->srv.log_loads[st->log_res], 1);
	if (l)
		snprintf(
		    kept, sizeof(kept),
		    "still serving the proofs of the checkpoint of size %llu (%zu notices, %zu "
		    "rotation statements)",
		    (unsigned long long)l->size, l->n - l->rotations, l->rotations);
	else
		snprintf(kept, sizeof(kept), "serving no proofs");
	if (st->log_res == RD_LOGR_INCONSISTENT) {
		log_warnx_rl(&m->forkrate, "transparency-log %s: %s; %s", cfg->log_dir, st->log_msg,
			     kept);
		return;
	}
	if (st->log_res != RD_LOGR_OK) {
		log_warnx("transparency-log %s: refused (%s): %s; %s", cfg->log_dir,
			  rd_log_res_name(st->log_res), st->log_msg, kept);
		return;
	}
	if (!st->log_new || !l)
		return;
	log_info("transparency-log %s: checkpoint of size %llu accepted (%u witnesses, quorum %u); "
		 "proofs for %zu of %u notices, %zu in the log but too large; for %zu of %zu "
		 "rotation statements",
		 cfg->log_dir, (unsigned long long)l->size, l->witnesses, st->anchors.log.quorum,
		 l->n - l->rotations, st->fm->feed.nnotices, l->oversized, l->rotations, st->nrot);
	uint64_t now = wall_now();
	if (now > l->quorum_time && now - l->quorum_time > st->anchors.log.max_age / 2)
		log_warnx("transparency-log %s: the witness quorum cosigned %llu s ago, more than "
			  "half the %u s devices accept",
			  cfg->log_dir, (unsigned long long)(now - l->quorum_time),
			  st->anchors.log.max_age);
	if (keep && rd_log_persist(st, m->chrooted, err, sizeof(err)) < 0)
		log_warnx("state-dir: cannot keep the log checkpoint: %s", err);
}

static bool stat_feed(struct main_ctx *m, const struct rd_config *cfg, struct stat *st)
{
	return stat(rd_path(cfg, cfg->feed_file, m->chrooted), st) == 0;
}

static bool stat_ck(struct main_ctx *m, const struct rd_config *cfg, struct stat *st)
{
	char p[4200];
	if (!cfg->log_dir[0])
		return false;
	snprintf(p, sizeof(p), "%s/checkpoint", rd_path(cfg, cfg->log_dir, m->chrooted));
	return stat(p, st) == 0;
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Open the event log (see sys_open_log: no links followed, regular files only, handed to the
 * run user only when safe). At start (user set: still root, hand it over) a failure is fatal;
 * on SIGHUP it is logged and the log open before is kept. */
static int open_events(struct main_ctx *m, const struct rd_config *cfg, const char *give_to,
		       char *err, size_t cap)
{
	const char *path = cfg->event_log && cfg->event_log[0] ? cfg->event_log : NULL;
	if (!path) {
		if (m->events)
			fclose(m->events);
		m->events = NULL;
		free(m->events_path);
		m->events_path = NULL;
		return 0;
	}
	int fd = sys_open_log("event-log", rd_path(cfg, path, m->chrooted), give_to, err, cap);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		if (fd >= 0) {
			snprintf(err, cap, "event-log %s: %s", path, strerror(errno));
			close(fd);
		}
		return -1;
	}
	if (m->events)
		fclose(m->events);
	m->events = f;
	free(m->events_path);
	m->events_path = strdup(path);
	return 0;
}

static void drain_events(struct main_ctx *m)
{
	const struct rd_config *cfg = m->cur->cfg;
	for (unsigned i = 0; i < m->srv.nworkers; i++) {
		size_t n = rd_ring_drain(&m->srv.w[i].x.ring, m->events, cfg->event_prefix4,
					 cfg->event_prefix6);
		atomic_fetch_add(&m->srv.events_written, m->events ? n : 0);
	}
}

/* Load a new state from cfg (a new configuration, or the current one); publish it if good. */
static void reload(struct main_ctx *m, struct rd_config *cfg, const char *why)
{
	char err[CONF_ERR_MAX + 256];
	struct rd_state *st;
	uint64_t old = m->cur->fm->feed.meta.serial;
	int rc =
	    rd_state_load(&st, cfg, m->cur, ++m->gen, m->chrooted, wall_now(), err, sizeof(err));
	atomic_fetch_add(&m->srv.reloads[rc], 1);
	if (rc != RD_LOAD_OK) {
		log_warnx("reload (%s) failed, %s: %s; still serving feed serial %llu", why,
			  rd_load_err_name(rc), err, (unsigned long long)old);
		if (cfg->refs == 0) {
			rd_config_free(cfg);
			free(cfg);
		}
		return;
	}
	bool same_feed = st->fm == m->cur->fm;
	log_outcome(m, st, true);
	m->cur = st;
	rd_server_publish(&m->srv, st);
	gauges(m);
	m->expired_warned = false;
	if (same_feed)
		log_info("reload (%s): feed serial %llu unchanged", why, (unsigned long long)old);
	else
		log_info("reload (%s): feed serial %llu loaded (%u notices, %zu verified before; "
			 "%zu rotation statements; was %llu)",
			 why, (unsigned long long)st->fm->feed.meta.serial, st->fm->feed.nnotices,
			 st->reused, st->nrot, (unsigned long long)old);
}

static bool same_list(const struct conf_str_list *a, const struct conf_str_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i], b->v[i]))
			return false;
	}
	return true;
}

static void warn_restart_keys(const struct rd_config *a, const struct rd_config *b)
{
	if (!same_list(&a->publication, &b->publication) || a->pub_poll_ms != b->pub_poll_ms ||
	    strcmp(a->pub_cache, b->pub_cache) || a->pub_timeout_ms != b->pub_timeout_ms ||
	    a->pub_max_bytes != b->pub_max_bytes)
		log_warnx("reload: publication keys take effect on restart");
	if (a->port != b->port || a->workers != b->workers || a->batch != b->batch ||
	    a->listen.n != b->listen.n ||
	    memcmp(a->listen.v, b->listen.v, a->listen.n * sizeof(*a->listen.v)) ||
	    a->metrics != b->metrics || a->metrics_conns != b->metrics_conns ||
	    a->metrics_per_client != b->metrics_per_client ||
	    a->metrics_timeout_ms != b->metrics_timeout_ms || a->rl_table != b->rl_table ||
	    a->cache_entries != b->cache_entries || a->event_queue != b->event_queue ||
	    strcmp(a->user, b->user) || strcmp(a->chroot, b->chroot))
		log_warnx(
		    "reload: listen, port, workers, batch, metrics (and its limits), user, chroot, "
		    "ratelimit-table, answer-cache and event-queue changes take effect on "
		    "restart");
}

static void on_hup(struct main_ctx *m)
{
	sys_notify("RELOADING=1");
	const char *path = m->config_path;
	struct rd_config *cfg = calloc(1, sizeof(*cfg));
	char err[CONF_ERR_MAX + 256];
	if (m->chrooted && m->cur->cfg->chroot[0] && rd_path(m->cur->cfg, path, true) == path) {
		log_warnx("reload: %s is outside the chroot; reloading the feed only", path);
		free(cfg);
		cfg = NULL;
	} else if (!cfg || rd_config_load(cfg, rd_path(m->cur->cfg, path, m->chrooted), err,
					  sizeof(err)) < 0) {
		atomic_fetch_add(&m->srv.reloads[RD_LOAD_CONFIG], 1);
		log_warnx("reload: %s; keeping the running configuration", cfg ? err : "no memory");
		if (cfg)
			rd_config_free(cfg);
		free(cfg);
		cfg = NULL;
	}
	if (cfg) {
		warn_restart_keys(m->cur->cfg, cfg);
		log_verbose(cfg->debug);
		reload(m, cfg, "SIGHUP");
	} else {
		reload(m, m->cur->cfg, "SIGHUP");
	}
	/* reopen: log rotation */
	if (open_events(m, m->cur->cfg, NULL, err, sizeof(err)) < 0)
		log_warnx("%s; still writing to the event log open before", err);
	m->feed_st_ok = stat_feed(m, m->cur->cfg, &m->feed_st);
	m->ck_st_ok = stat_ck(m, m->cur->cfg, &m->ck_st);
	rd_pub_hup(&m->pub);
	sys_notify("READY=1");
}

static void poll_feed(struct main_ctx *m)
{
	const struct rd_config *cfg = m->cur->cfg;
	uint64_t now = mono_ms();
	/* with publication the fetcher says when the cache changed */
	if (!cfg->feed_poll_ms || now < m->next_poll_ms || m->pub.pid > 0)
		return;
	m->next_poll_ms = now + cfg->feed_poll_ms;
	struct stat st, cst;
	/* a new log checkpoint (written after the tiles it names) reloads too */
	bool ck = stat_ck(m, cfg, &cst);
	bool ck_changed = ck && (!m->ck_st_ok || !same_stat(&cst, &m->ck_st));
	if (ck)
		m->ck_st = cst;
	m->ck_st_ok = ck;
	bool feed_changed = false;
	if (!stat_feed(m, cfg, &st)) {
		m->feed_st_ok = false;
	} else if (!m->feed_st_ok || !same_stat(&st, &m->feed_st)) {
		m->feed_st = st;
		m->feed_st_ok = true;
		feed_changed = true;
	}
	if (feed_changed || ck_changed)
		reload(m, m->cur->cfg,
		       feed_changed ? "feed file changed" : "log checkpoint changed");
}

/* A message of the fetcher: count it; a new verified publication reloads (through the usual
 * path, which verifies every notice and the log again). Returns true for a new one. */
static bool pub_msg(struct main_ctx *m, const struct rd_pubmsg *msg)
{
	struct rd_server *s = &m->srv;
	switch (msg->kind) {
	case RD_PUBMSG_STARTED:
		atomic_store(&s->pub_fetcher_up, 1);
		return false;
	case RD_PUBMSG_DIED:
		atomic_store(&s->pub_fetcher_up, 0);
		atomic_fetch_add(&s->pub_fetcher_restarts, 1);
		if (WIFSIGNALED(msg->status))
			log_warnx("publication: the fetcher was killed by signal %d; restarting it "
				  "in %u s",
				  WTERMSIG(msg->status), msg->backoff_s);
		else
			log_warnx(
			    "publication: the fetcher exited with status %d; restarting it in "
			    "%u s",
			    WEXITSTATUS(msg->status), msg->backoff_s);
		return false;
	default:
		break;
	}
	atomic_fetch_add(&s->pub_fetch[msg->mirror][msg->verdict], 1);
	atomic_fetch_add(&s->pub_bytes, msg->bytes);
	atomic_fetch_add(&s->pub_requests, msg->requests);
	if (msg->verdict != PUBSYNC_NEW && msg->verdict != PUBSYNC_SAME)
		return false;
	atomic_store(&s->pub_last_success, wall_now());
	atomic_store(&s->pub_serial, msg->serial);
	return msg->verdict == PUBSYNC_NEW;
}

static void pub_poll(struct main_ctx *m)
{
	struct rd_pubmsg msg;
	bool fresh = false;
	int r = 0;
	for (int i = 0; i < 64 && (r = rd_pub_read(&m->pub, m->srv.pub_n, &msg)) > 0; i++)
		fresh |= pub_msg(m, &msg);
	if (r < 0) {
		atomic_store(&m->srv.pub_fetcher_up, 0);
		log_warnx("publication: the fetcher's supervisor has ended; no more fetching "
			  "until recalld restarts (still serving feed serial %llu)",
			  (unsigned long long)m->cur->fm->feed.meta.serial);
	}
	if (fresh)
		reload(m, m->cur->cfg, "new publication verified");
}

/* Start with an empty or unusable cache: wait for the fetcher's first verified publication
 * (the sockets are open but not read yet: devices retry). */
static void pub_first(struct main_ctx *m, struct rd_config *cfg)
{
	char err[CONF_ERR_MAX + 256];
	uint64_t next_extend = 0;
	while (!m->cur) {
		/* under systemd (Type=notify) the start may take longer than its timeout: the
		 * mirrors may be unreachable for a while; say why and ask for more time */
		if (mono_ms() >= next_extend) {
			sys_notify("STATUS=waiting for the first verified publication\n"
				   "EXTEND_TIMEOUT_USEC=30000000");
			next_extend = mono_ms() + 10000;
		}
		if (sig_stop) {
			rd_pub_stop(&m->pub);
			rd_metrics_stop();
			log_info("stopping");
			exit(0);
		}
		struct rd_pubmsg msg;
		int r = rd_pub_read(&m->pub, m->srv.pub_n, &msg);
		if (r < 0)
			fatalx("publication: the fetcher's supervisor ended before a publication "
			       "verified");
		if (r == 0) {
			struct timespec ts = {0, TICK_MS * 1000000L};
			nanosleep(&ts, NULL);
			continue;
		}
		if (!pub_msg(m, &msg) && msg.verdict != PUBSYNC_SAME)
			continue;
		int rc = rd_state_load(&m->cur, cfg, NULL, ++m->gen, false, wall_now(), err,
				       sizeof(err));
		if (rc != RD_LOAD_OK)
			log_warnx("publication: the verified copy does not load: %s (%s)", err,
				  rd_load_err_name(rc));
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: recalld [-dftV] [-c config]\n"
		"       recalld --help | --version\n"
		"  -c, --config FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		"  -d, --debug        debug logging\n"
		"  -f, --foreground   stay in the foreground, log to stderr\n"
		"  -t, --test         check the configuration and the files it names, then exit\n"
		"  -V, --version      print the version; -h, --help: this text\n");
}

static void signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct main_ctx m;
	bool foreground = false, test = false, debug = false;
	char err[CONF_ERR_MAX + 256];
	int c;
	memset(&m, 0, sizeof(m));
	m.config_path = DEFAULT_CONFIG;
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"debug", no_argument, NULL, 'd'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"test", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	while ((c = getopt_long(argc, argv, "c:dftVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			m.config_path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			test = true;
			break;
		case 'V':
			printf("recalld %s\n", RECALL_VERSION_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	struct rd_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg || rd_config_load(cfg, m.config_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%srecalld: %s\n", log_stderr_is_journal() ? "<3>" : "",
			cfg ? err : "out of memory");
		if (cfg)
			rd_config_free(cfg);
		free(cfg);
		return 1;
	}
	bool to_stderr = cfg->log_target == RD_LOG_STDERR ||
			 (cfg->log_target == RD_LOG_AUTO && (foreground || test));
	log_init("recalld", to_stderr, debug || cfg->debug);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	m.pub.fd = -1;
	uint8_t local_sk[64];
	if (cfg->publication.n && !test && rd_pub_local_key(cfg, local_sk, err, sizeof(err)) < 0)
		fatalx("%s", err);
	/* with publication, the cache is served at once if it holds a verified copy */
	int rc = rd_state_load(&m.cur, cfg, NULL, ++m.gen, false, wall_now(), err, sizeof(err));
	if (rc != RD_LOAD_OK && !cfg->publication.n)
		fatalx("%s (%s)", err, rd_load_err_name(rc));
	if (rc != RD_LOAD_OK && test) {
		printf("recalld: %s: configuration OK; publication: nothing verified in %s yet "
		       "(%s)\n",
		       m.config_path, cfg->pub_dir, err);
		rd_config_free(cfg);
		free(cfg);
		return 0;
	}
	if (rc != RD_LOAD_OK)
		log_warnx("publication: %s (%s): nothing verified in %s yet; waiting for the "
			  "first sync",
			  err, rd_load_err_name(rc), cfg->pub_dir);
	log_rate_init(&m.forkrate, 1.0 / 60, 3);
	unsigned nworkers = cfg->workers ? (unsigned)cfg->workers : sys_cpus();
	if (nworkers > RD_WORKERS_MAX)
		nworkers = RD_WORKERS_MAX;
	if (test) {
		if (sys_check_user(cfg->user, cfg->chroot, err, sizeof(err)) < 0)
			fatalx("%s: %s", m.config_path, err);
		printf("recalld: %s: configuration OK; feed serial %llu with %u notices, anchors "
		       "epoch %llu, %zu rotation statements, %u workers\n",
		       m.config_path, (unsigned long long)m.cur->fm->feed.meta.serial,
		       m.cur->fm->feed.nnotices, (unsigned long long)m.cur->anchors.epoch,
		       m.cur->nrot, nworkers);
		log_outcome(&m, m.cur, false);
		bool bad = m.cur->log_res != RD_LOGR_NONE && m.cur->log_res != RD_LOGR_OK;
		rd_state_free(m.cur);
		return bad ? 1 : 0;
	}
	if (!foreground && sys_daemonize() < 0)
		fatal("cannot start in the background");
	if (cfg->publication.n) {
		/* before any thread and before the chroot (pubchild.c) */
		m.srv.pub_n = cfg->publication.n;
		for (size_t i = 0; i < cfg->publication.n; i++)
			m.srv.pub_mirror[i] = strdup(cfg->publication.v[i]);
		signals();
		if (rd_pub_start(&m.pub, cfg, local_sk, err, sizeof(err)) < 0)
			fatalx("%s", err);
		sodium_memzero(local_sk, sizeof(local_sk));
	}
	/* threads inherit this mask: only the main thread takes signals */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	signals();
	if (rd_workers_open(&m.srv, cfg, nworkers, err, sizeof(err)) < 0)
		fatalx("%s", err);
	m.srv.version = RECALL_VERSION_STRING;
	if (cfg->metrics && rd_metrics_start(&m.srv, cfg, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (!m.cur) { /* metrics and /health say why meanwhile; signals are taken here */
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pub_first(&m, cfg);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	if (open_events(&m, cfg, cfg->user, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (cfg->pid_file[0] && sys_pidfile(cfg->pid_file, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (sys_drop(cfg->user, cfg->chroot, err, sizeof(err)) < 0)
		fatalx("%s", err);
	m.chrooted = cfg->chroot[0] != '\0';
	atomic_store(&m.srv.start_time, wall_now());
	atomic_store(&m.srv.reloads[RD_LOAD_OK], 1);
	log_outcome(&m, m.cur, true);
	rd_server_publish(&m.srv, m.cur);
	gauges(&m);
	m.feed_st_ok = stat_feed(&m, cfg, &m.feed_st);
	m.ck_st_ok = stat_ck(&m, cfg, &m.ck_st);
	m.next_poll_ms = mono_ms() + cfg->feed_poll_ms;
	if (rd_workers_start(&m.srv, err, sizeof(err)) < 0)
		fatalx("%s", err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info("recalld %s started: %zu addresses, port %llu, %u workers, feed serial %llu "
		 "(%u notices)",
		 RECALL_VERSION_STRING, cfg->listen.n, (unsigned long long)cfg->port, nworkers,
		 (unsigned long long)m.cur->fm->feed.meta.serial, m.cur->fm->feed.nnotices);
	sys_ready();
	while (!sig_stop) {
		struct timespec ts = {0, TICK_MS * 1000000L};
		nanosleep(&ts, NULL);
		if (sig_hup) {
			sig_hup = 0;
			on_hup(&m);
		}
		poll_feed(&m);
		pub_poll(&m);
		drain_events(&m);
		rd_metrics_sweep(&m.srv);
		rd_server_refresh_private(&m.srv, wall_now());
		rd_server_reclaim(&m.srv, false);
		if (!m.expired_warned && wall_now() >= m.cur->fm->feed.meta.expiry) {
			log_warnx("feed serial %llu has expired: answering retry-later until a "
				  "newer feed is loaded",
				  (unsigned long long)m.cur->fm->feed.meta.serial);
			m.expired_warned = true;
		}
	}
	sys_notify("STOPPING=1");
	log_info("stopping");
	rd_pub_stop(&m.pub);
	rd_workers_stop(&m.srv);
	rd_metrics_stop();
	drain_events(&m);
	rd_server_reclaim(&m.srv, true);
	rd_workers_free(&m.srv);
	if (m.events)
		fclose(m.events);
	free(m.events_path);
	const char *pidf =
	    m.cur->cfg->pid_file[0] ? rd_path(m.cur->cfg, m.cur->cfg->pid_file, m.chrooted) : NULL;
	if (pidf)
		unlink(pidf);
	rd_state_free(m.cur);
	for (size_t i = 0; i < m.srv.pub_n; i++)
		free(m.srv.pub_mirror[i]);
	return 0;
}
