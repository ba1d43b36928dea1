/* recalld unit-test worlds: a fixture directory, a configuration over it and the state loaded
 * from both, plus a worker context. Header-only (static functions) with the fixture code, for
 * tests/unit/test_recalld_*.c. */
#ifndef RECALL_RDWORLD_H
#define RECALL_RDWORLD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rd.h"
#include "rdfix.c"

struct world {
	char dir[64];
	struct rdfix_opts o;
	struct rd_state *st;
	struct rd_counters cnt;
	struct rd_ctx x;
	bool nowrite; /* world_load: keep the fixture files as they are */
	char err[1024];
};

/* Make the fixture directory for w->o (set by the caller after world_init) and write `extra`
 * configuration lines after the standard ones. */
static inline int world_config(struct world *w, struct rd_config **out, const char *extra)
{
	char text[8192];
	int n = snprintf(text, sizeof(text),
			 "listen = 127.0.0.1\nport = 7412\nfeed = %s/feed\nfeed-key = %s/feed.pub\n"
			 "anchors = %s/anchors\n",
			 w->dir, w->dir, w->dir);
	for (uint64_t e = 0; e < w->o.epoch; e++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "rotation = %s/rot-%llu\n",
			      w->dir, (unsigned long long)e);
	snprintf(text + n, sizeof(text) - (size_t)n, "%s", extra ? extra : "");
	struct rd_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -1;
	if (rd_config_load_buf(cfg, "test.conf", text, strlen(text), w->err, sizeof(w->err)) < 0) {
		rd_config_free(cfg);
		free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

static inline void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "/tmp/recalld-unit-XXXXXX");
	if (!mkdtemp(w->dir))
		abort();
	rdfix_defaults(&w->o);
	w->o.epoch = 2;
	w->x.cnt = &w->cnt;
	w->x.nworkers = 1;
	w->x.now_s = w->o.now;
	w->x.now_ms = 1000;
	if (rd_rl_init(&w->x.rl, 1024) || rd_ring_init(&w->x.ring, 64))
		abort();
}

/* Write the fixtures and load a state with `extra` configuration; returns rd_load_err or -1
 * for a configuration error. */
static inline int world_load(struct world *w, const char *extra, const struct rd_state *cur)
{
	struct rd_config *cfg;
	if (!w->nowrite && rdfix_write_dir(w->dir, &w->o, true) < 0)
		abort();
	if (world_config(w, &cfg, extra) < 0)
		return -1;
	struct rd_state *st;
	int rc = rd_state_load(&st, cfg, cur, cur ? cur->gen + 1 : 1, false, w->o.now, w->err,
			       sizeof(w->err));
	if (rc) {
		rd_config_free(cfg);
		free(cfg);
		return rc;
	}
	if (!cur)
		w->st = st;
	else {
		rd_state_free(w->st);
		w->st = st;
	}
	return 0;
}

static inline void world_free(struct world *w)
{
	char cmd[128];
	rd_state_free(w->st);
	rd_rl_free(&w->x.rl);
	rd_ring_free(&w->x.ring);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", w->dir);
}

/* A check-in of the test device with this model, firmware and anchor epoch. */
static inline void world_checkin(uint8_t out[RC_CHECKIN_SIZE], const char *model, const char *fwver,
				 uint64_t epoch, uint8_t nonce_byte)
{
	struct rc_checkin c;
	memset(&c, 0, sizeof(c));
	memset(c.nonce, nonce_byte, RC_NONCE_LEN);
	c.nonce[0] = 0xa5;
	fx_identity(&c.id);
	c.id.model = rc_str_c(model);
	c.id.fwver = rc_str_c(fwver);
	c.anchor_epoch = epoch;
	if (rc_checkin_encode(&c, out) != RC_OK)
		abort();
}

static inline uint64_t ctr(const struct world *w, enum rd_ctr c)
{
	return atomic_load(&w->cnt.c[c]);
}

#endif
