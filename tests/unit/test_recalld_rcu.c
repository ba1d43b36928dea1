/* State publication (responder/worker.c): threads that acquire and release the current state
 * in a tight loop while the main thread publishes new states and frees the replaced ones.
 * A state must never be freed while a worker uses it (ASan in the sanitizer build; here the
 * workers also check what they read), and no worker may see an older state after a newer one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "probe/rdworld.h"

#define THREADS 3
#define RELOADS 300

struct reader {
	struct rd_worker *w;
	atomic_bool *stop;
	uint64_t reads, errors, last_serial;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	while (!atomic_load(r->stop)) {
		const struct rd_state *st = rd_worker_acquire(r->w);
		uint64_t serial = st->fm->feed.meta.serial;
		/* everything reachable from the state must be intact while announced */
		if (memcmp(st->fm->map, RC_FEED_MAGIC, 8) || st->fm->refs == 0 ||
		    st->cfg->refs == 0 || serial < r->last_serial || st->nrot != 2)
			r->errors++;
		r->last_serial = serial;
		r->reads++;
		rd_worker_release(r->w);
	}
	return NULL;
}

static void test_publish_under_readers(void **state)
{
	struct world w;
	world_init(&w);
	w.o.nnotices = 20;
	assert_int_equal(world_load(&w, "", NULL), 0);
	struct rd_server srv;
	memset(&srv, 0, sizeof(srv));
	srv.nworkers = THREADS;
	srv.w = calloc(THREADS, sizeof(*srv.w));
	assert_non_null(srv.w);
	atomic_bool stop;
	atomic_init(&stop, false);
	struct reader rd[THREADS];
	pthread_t th[THREADS];
	struct rd_state *cur = w.st;
	w.st = NULL; /* the server owns it now */
	rd_server_publish(&srv, cur);
	for (int i = 0; i < THREADS; i++) {
		srv.w[i].srv = &srv;
		atomic_init(&srv.w[i].using_st, NULL);
		rd[i] = (struct reader){&srv.w[i], &stop, 0, 0, 0};
		assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
	}
	uint64_t gen = cur->gen;
	for (int i = 0; i < RELOADS; i++) {
		struct rd_config *cfg = NULL;
		struct rd_state *st;
		if (i % 10 == 0) { /* a new feed (new mapping) every 10th reload */
			w.o.serial++;
			assert_int_equal(rdfix_write_dir(w.dir, &w.o, true), 0);
		}
		assert_int_equal(world_config(&w, &cfg, ""), 0);
		int rc = rd_state_load(&st, cfg, cur, ++gen, false, w.o.now, w.err, sizeof(w.err));
		if (rc)
			fail_msg("reload %d: %s", i, w.err);
		rd_server_publish(&srv, st);
		cur = st;
		rd_server_reclaim(&srv, false);
	}
	atomic_store(&stop, true);
	uint64_t reads = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(rd[i].errors, 0);
		reads += rd[i].reads;
	}
	rd_server_reclaim(&srv, true);
	assert_int_equal(srv.nretired, 0);
	assert_true(reads > RELOADS);
	/* after the last publish every reader saw the last serial or an earlier one */
	for (int i = 0; i < THREADS; i++)
		assert_true(rd[i].last_serial <= w.o.serial);
	rd_state_free(cur);
	free(srv.w);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_publish_under_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
