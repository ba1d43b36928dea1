/* recalld.conf: the key table (documented in recalld.conf(5)) and whole-file checks. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pubfetch.h"
#include "rd.h"

#define OFF(f) offsetof(struct rd_config, f)
#define MS(x)  ((uint64_t)(x)*1000)

static const char *const log_targets[] = {"auto", "syslog", "stderr", NULL};
static const char *const actions[] = {"enforce", "monitor", NULL};
static const char *const rl_actions[] = {"retry-later", "drop", NULL};

/* clang-format off */
const struct conf_key rd_config_keys[] = {
	{"listen", CONF_ADDR_LIST, OFF(listen), 0, RD_LISTEN_MAX, "0.0.0.0 ::", NULL, NULL, NULL},
	{"port", CONF_UINT, OFF(port), 1, 65535, "7412", NULL, NULL, NULL},
	{"workers", CONF_UINT, OFF(workers), 0, RD_WORKERS_MAX, "0", NULL, NULL, NULL},
	{"batch", CONF_UINT, OFF(batch), 1, 1024, "64", NULL, NULL, NULL},
	{"socket-buffer", CONF_UINT, OFF(socket_buffer), 0, 1u << 30, "4194304", NULL, NULL, NULL},
	{"freebind", CONF_BOOL, OFF(freebind), 0, 0, "no", NULL, NULL, NULL},
	{"feed", CONF_PATH, OFF(feed), 0, 0, NULL, NULL, NULL, NULL},
	{"publication", CONF_STR_LIST, OFF(publication), 0, RD_PUB_MIRRORS_MAX, NULL, NULL, NULL, NULL},
	{"publication-poll", CONF_DURATION, OFF(pub_poll_ms), MS(1), MS(86400), "5m", NULL, NULL, NULL},
	{"publication-cache", CONF_PATH, OFF(pub_cache), 0, 0, "", NULL, NULL, NULL},
	{"publication-timeout", CONF_DURATION, OFF(pub_timeout_ms), MS(1), MS(600), "30s", NULL, NULL, NULL},
	{"publication-max-bytes", CONF_UINT, OFF(pub_max_bytes), 1u << 20, (uint64_t)1 << 40, "268435456", NULL, NULL, NULL},
	{"feed-key", CONF_PATH, OFF(feed_key), 1, 0, NULL, NULL, NULL, NULL},
	{"anchors", CONF_PATH, OFF(anchors), 1, 0, NULL, NULL, NULL, NULL},
	{"rotation", CONF_STR_LIST, OFF(rotation), 0, RD_ROTATIONS_MAX, NULL, NULL, NULL, NULL},
	{"feed-poll", CONF_DURATION, OFF(feed_poll_ms), 0, MS(3600), "1s", NULL, NULL, NULL},
	{"user", CONF_STRING, OFF(user), 0, 64, "", NULL, NULL, NULL},
	{"chroot", CONF_PATH, OFF(chroot), 0, 0, "", NULL, NULL, NULL},
	{"pid-file", CONF_PATH, OFF(pid_file), 0, 0, "", NULL, NULL, NULL},
	{"log", CONF_ENUM, OFF(log_target), 0, 0, "auto", log_targets, NULL, NULL},
	{"debug", CONF_BOOL, OFF(debug), 0, 0, "no", NULL, NULL, NULL},
	{"event-log", CONF_PATH, OFF(event_log), 0, 0, "", NULL, NULL, NULL},
	{"event-log-prefix4", CONF_UINT, OFF(event_prefix4), 0, 32, "32", NULL, NULL, NULL},
	{"event-log-prefix6", CONF_UINT, OFF(event_prefix6), 0, 128, "128", NULL, NULL, NULL},
	{"event-queue", CONF_UINT, OFF(event_queue), 16, 1u << 20, "4096", NULL, NULL, NULL},
	{"metrics", CONF_BOOL, OFF(metrics), 0, 0, "yes", NULL, NULL, NULL},
	{"metrics-listen", CONF_ADDR_LIST, OFF(metrics_listen), 0, 8, "127.0.0.1:7413", NULL, NULL, NULL},
	{"metrics-connections", CONF_UINT, OFF(metrics_conns), 1, RD_METRICS_CONNS_MAX, "16", NULL, NULL, NULL},
	{"metrics-connections-per-client", CONF_UINT, OFF(metrics_per_client), 1, RD_METRICS_CONNS_MAX, "4", NULL, NULL, NULL},
	{"metrics-timeout", CONF_DURATION, OFF(metrics_timeout_ms), MS(1), MS(600), "10s", NULL, NULL, NULL},
	{"default-action", CONF_ENUM, OFF(default_action), 0, 0, "enforce", actions, NULL, NULL},
	{"policy", CONF_CUSTOM, OFF(policy), 0, 4096, NULL, NULL, rd_policy_parse, rd_policy_free},
	{"exempt", CONF_PREFIX_LIST, OFF(exempt), 0, 4096, NULL, NULL, NULL, NULL},
	{"ratelimit", CONF_BOOL, OFF(rl_enable), 0, 0, "yes", NULL, NULL, NULL},
	{"ratelimit-rate", CONF_UINT, OFF(rl_rate), 1, 10000000, "100", NULL, NULL, NULL},
	{"ratelimit-burst", CONF_UINT, OFF(rl_burst), 1, 10000000, "200", NULL, NULL, NULL},
	{"ratelimit-prefix4", CONF_UINT, OFF(rl_prefix4), 0, 32, "24", NULL, NULL, NULL},
	{"ratelimit-prefix6", CONF_UINT, OFF(rl_prefix6), 0, 128, "56", NULL, NULL, NULL},
	{"ratelimit-action", CONF_ENUM, OFF(rl_action), 0, 0, "retry-later", rl_actions, NULL, NULL},
	{"ratelimit-slip", CONF_UINT, OFF(rl_slip), 1, 1000, "1", NULL, NULL, NULL},
	{"ratelimit-delay", CONF_DURATION, OFF(rl_delay_ms), MS(RC_RETRY_MIN), MS(RC_RETRY_MAX), "60s", NULL, NULL, NULL},
	{"ratelimit-table", CONF_UINT, OFF(rl_table), 64, 1u << 24, "65536", NULL, NULL, NULL},
	{"ratelimit-exempt", CONF_PREFIX_LIST, OFF(rl_exempt), 0, 4096, NULL, NULL, NULL, NULL},
	{"answer-cache", CONF_UINT, OFF(cache_entries), 0, 1u << 20, "16384", NULL, NULL, NULL},
	{"transparency-log", CONF_PATH, OFF(tlog), 0, 0, "", NULL, NULL, NULL},
	{"state-dir", CONF_PATH, OFF(state_dir), 0, 0, "/var/lib/recalld", NULL, NULL, NULL},
	{"proof-retry-delay", CONF_DURATION, OFF(proof_delay_ms), MS(RC_RETRY_MIN), MS(RC_RETRY_MAX), "10m", NULL, NULL, NULL},
	{"expired-delay", CONF_DURATION, OFF(expired_delay_ms), MS(RC_RETRY_MIN), MS(RC_RETRY_MAX), "1h", NULL, NULL, NULL},
	CONF_END,
};
/* clang-format on */

void rd_config_free(struct rd_config *cfg)
{
	conf_free(rd_config_keys, cfg);
	free(cfg->open_key);
	free(cfg->feed_file);
	free(cfg->log_dir);
	free(cfg->pub_dir);
	cfg->open_key = cfg->feed_file = cfg->log_dir = cfg->pub_dir = NULL;
}

const char *rd_feed_key_path(const struct rd_config *cfg)
{
	return cfg->open_key ? cfg->open_key : cfg->feed_key;
}

static bool under(const char *root, const char *path)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	return !strncmp(root, path, n) && path[n] == '/';
}

const char *rd_path(const struct rd_config *cfg, const char *path, bool chrooted)
{
	if (!chrooted || !cfg->chroot || !cfg->chroot[0] || !under(cfg->chroot, path))
		return path;
	size_t n = strlen(cfg->chroot);
	while (n > 1 && cfg->chroot[n - 1] == '/')
		n--;
	return path + n;
}

static char *join(const char *dir, const char *file)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	char *p = malloc(n + strlen(file) + 2);
	if (p)
		sprintf(p, "%.*s/%s", (int)n, dir, file);
	return p;
}

/* publication: the feed, the log and the key that opens the feed all come from the cache the
 * fetcher keeps (cache/feed, cache/log, state-dir/local-feed.pub); feed-key is the
 * authority's, which the fetcher checks the publication with. */
static int check_publication(struct rd_config *cfg, const char *name, char *err, size_t cap)
{
	free(cfg->feed_file);
	free(cfg->log_dir);
	free(cfg->open_key);
	cfg->feed_file = cfg->log_dir = cfg->open_key = NULL;
	if (!cfg->publication.n) {
		if (!cfg->feed || !cfg->feed[0]) {
			snprintf(err, cap, "%s: feed: required (or publication)", name);
			return -1;
		}
		cfg->feed_file = strdup(cfg->feed);
		cfg->log_dir = strdup(cfg->tlog);
		if (!cfg->feed_file || !cfg->log_dir) {
			snprintf(err, cap, "%s: out of memory", name);
			return -1;
		}
		return 0;
	}
	if (cfg->rotation.n) {
		snprintf(err, cap,
			 "%s:%u: rotation: not with publication (the statements come from its log)",
			 name, cfg->rotation.line[0]);
		return -1;
	}
	if ((cfg->feed && cfg->feed[0]) || cfg->tlog[0]) {
		snprintf(err, cap,
			 "%s: %s: not with publication (the feed and the log come from the "
			 "publication cache)",
			 name, cfg->feed && cfg->feed[0] ? "feed" : "transparency-log");
		return -1;
	}
	if (!cfg->state_dir[0]) {
		snprintf(err, cap, "%s: state-dir: needed with publication", name);
		return -1;
	}
	for (size_t i = 0; i < cfg->publication.n; i++) {
		char e[CONF_ERR_MAX];
		if (pubfetch_check_url(cfg->publication.v[i], e, sizeof(e)) < 0) {
			snprintf(err, cap, "%s:%u: publication: %s", name, cfg->publication.line[i],
				 e);
			return -1;
		}
	}
	if (cfg->pub_poll_ms < 1000 || cfg->pub_poll_ms % 1000) {
		snprintf(err, cap, "%s: publication-poll: whole seconds, 1s or more", name);
		return -1;
	}
	const char *cache = cfg->pub_cache[0] ? cfg->pub_cache : NULL;
	char *dflt = cache ? NULL : join(cfg->state_dir, "publication");
	if (!cache)
		cache = dflt;
	cfg->feed_file = cache ? join(cache, "feed") : NULL;
	cfg->log_dir = cache ? join(cache, "log") : NULL;
	cfg->open_key = join(cfg->state_dir, RD_LOCAL_PUB);
	cfg->pub_dir = dflt ? dflt : strdup(cache);
	if (!cfg->feed_file || !cfg->log_dir || !cfg->open_key || !cfg->pub_dir) {
		snprintf(err, cap, "%s: out of memory", name);
		return -1;
	}
	return 0;
}

/* Checks that involve more than one key. */
static int check(struct rd_config *cfg, const char *name, char *err, size_t cap)
{
	if (check_publication(cfg, name, err, cap) < 0)
		return -1;
	if (!cfg->listen.n) {
		snprintf(err, cap, "%s: listen: no address to listen on", name);
		return -1;
	}
	for (size_t i = 0; i < cfg->listen.n; i++) {
		char a[80];
		conf_addr_format(&cfg->listen.v[i], a, sizeof(a));
		if (cfg->listen.v[i].port) {
			snprintf(err, cap, "%s: listen: %s: give the port with the port key", name,
				 a);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (cfg->listen.v[j].family == cfg->listen.v[i].family &&
			    !memcmp(cfg->listen.v[j].addr, cfg->listen.v[i].addr, 16)) {
				snprintf(err, cap, "%s: listen: %s given twice", name, a);
				return -1;
			}
		}
	}
	if (cfg->metrics) {
		if (!cfg->metrics_listen.n) {
			snprintf(err, cap, "%s: metrics-listen: no address (or set metrics = no)",
				 name);
			return -1;
		}
		for (size_t i = 0; i < cfg->metrics_listen.n; i++) {
			if (!cfg->metrics_listen.v[i].port) {
				snprintf(err, cap, "%s: metrics-listen: an address needs a :port",
					 name);
				return -1;
			}
		}
	}
	if (cfg->chroot && cfg->chroot[0]) {
		const char *paths[] = {cfg->feed_file, cfg->feed_key, cfg->anchors};
		const char *keys[] = {cfg->publication.n ? "publication-cache" : "feed", "feed-key",
				      "anchors"};
		for (size_t i = 0; i < 3; i++) {
			if (!under(cfg->chroot, paths[i])) {
				snprintf(err, cap, "%s: %s: %s is outside chroot %s", name, keys[i],
					 paths[i], cfg->chroot);
				return -1;
			}
		}
		for (size_t i = 0; i < cfg->rotation.n; i++) {
			if (!under(cfg->chroot, cfg->rotation.v[i])) {
				snprintf(err, cap, "%s:%u: rotation: %s is outside chroot %s", name,
					 cfg->rotation.line[i], cfg->rotation.v[i], cfg->chroot);
				return -1;
			}
		}
		if (cfg->log_dir[0] &&
		    (!under(cfg->chroot, cfg->log_dir) || !under(cfg->chroot, cfg->state_dir))) {
			/* with publication, the log is in publication-cache */
			bool t = !under(cfg->chroot, cfg->log_dir);
			snprintf(err, cap, "%s: %s: %s is outside chroot %s", name,
				 t ? (cfg->publication.n ? "publication-cache" : "transparency-log")
				   : "state-dir",
				 t ? cfg->log_dir : cfg->state_dir, cfg->chroot);
			return -1;
		}
		if (cfg->event_log && cfg->event_log[0] && !under(cfg->chroot, cfg->event_log)) {
			snprintf(err, cap, "%s: event-log: %s is outside chroot %s", name,
				 cfg->event_log, cfg->chroot);
			return -1;
		}
	}
	for (size_t i = 0; i < cfg->rotation.n; i++) {
		if (cfg->rotation.v[i][0] != '/') {
			snprintf(err, cap, "%s:%u: rotation: '%s' is not an absolute path", name,
				 cfg->rotation.line[i], cfg->rotation.v[i]);
			return -1;
		}
	}
	if (cfg->feed_poll_ms && cfg->feed_poll_ms < 1000) {
		snprintf(err, cap,
			 "%s: feed-poll: at most once a second (1s or more, or 0 for off)", name);
		return -1;
	}
	if (cfg->tlog[0] && !cfg->state_dir[0]) {
		snprintf(err, cap, "%s: state-dir: needed with transparency-log", name);
		return -1;
	}
	if (cfg->rl_delay_ms % 1000 || cfg->expired_delay_ms % 1000 || cfg->proof_delay_ms % 1000) {
		snprintf(err, cap, "%s: %s: answers carry whole seconds", name,
			 cfg->rl_delay_ms % 1000        ? "ratelimit-delay"
			 : cfg->expired_delay_ms % 1000 ? "expired-delay"
							: "proof-retry-delay");
		return -1;
	}
	return 0;
}

int rd_config_load_buf(struct rd_config *cfg, const char *name, const char *buf, size_t len,
		       char *err, size_t cap)
{
	if (conf_parse_buf(rd_config_keys, cfg, name, buf, len, err, cap) < 0)
		return -1;
	return check(cfg, name, err, cap);
}

int rd_config_load(struct rd_config *cfg, const char *path, char *err, size_t cap)
{
	if (conf_parse_file(rd_config_keys, cfg, path, err, cap) < 0)
		return -1;
	return check(cfg, path, err, cap);
}
