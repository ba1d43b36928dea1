/* The witness's state directory: logs/<hex SHA-256 of the origin> holds the last checkpoint
 * cosigned for that log (the log's signatures and this witness's cosignature), evidence/ the
 * conflicting checkpoints kept. Each file is written to a temporary name, fsync'd, renamed
 * over the old one and the directory fsync'd: after a crash at any point the file is the old
 * checkpoint or the new one, never a mix, and a cosignature is only ever returned after the
 * new one is durable. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "witness.h"

#define TMP_SUFFIX ".tmp"

static void hexs(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

#ifdef RECALL_WITNESS_TEST_HOOKS
/* Test builds only: die by SIGKILL at a named point of a state write, as a power cut would. */
static void crash_point(const char *where)
{
	const char *at = getenv("RECALL_WITNESS_CRASH");
	if (at && !strcmp(at, where))
		raise(SIGKILL);
}
#else
#define crash_point(where) ((void)0)
#endif

/* Writes name in dir atomically and durably. -1 (errno kept) on any failure. hooks: a state
 * write (test builds may crash it on purpose). */
static int write_at(int dir, const char *name, const void *p, size_t n, bool hooks)
{
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX, name);
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -1;
	const uint8_t *b = p;
	size_t done = 0, upto = n;
#ifdef RECALL_WITNESS_TEST_HOOKS
	const char *at = getenv("RECALL_WITNESS_CRASH");
	if (hooks && at && !strcmp(at, "mid-write"))
		upto = n / 2; /* then crash with half the temporary file written */
#endif
	while (done < upto) {
		ssize_t w = write(fd, b + done, upto - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (upto != n) {
		fsync(fd);
		raise(SIGKILL);
	}
	if (done != n || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlinkat(dir, tmp, 0);
		errno = e;
		return -1;
	}
	close(fd);
	if (hooks)
		crash_point("after-temp");
	if (renameat(dir, tmp, dir, name) < 0) {
		int e = errno;
		unlinkat(dir, tmp, 0);
		errno = e;
		return -1;
	}
	if (fsync(dir) < 0)
		return -1;
	if (hooks)
		crash_point("after-rename");
	return 0;
}

/* The whole file name in dir (at most max bytes) into a malloc'd buffer. NULL with errno
 * (ENOENT: no such file; EFBIG: larger than max). */
static char *read_at(int dir, const char *name, size_t max, size_t *len)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	char *b = malloc(max + 1);
	size_t n = 0;
	while (b && n <= max) {
		ssize_t r = read(fd, b + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			b = NULL;
		}
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	int e = errno;
	close(fd);
	if (b && n > max) {
		free(b);
		b = NULL;
		e = EFBIG;
	}
	errno = e;
	*len = n;
	return b;
}

static int open_sub(int dir, const char *name, const char *top, char *err, size_t cap)
{
	if (mkdirat(dir, name, 0750) < 0 && errno != EEXIST) {
		snprintf(err, cap, "%s/%s: mkdir: %s", top, name, strerror(errno));
		return -1;
	}
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		snprintf(err, cap, "%s/%s: %s", top, name, strerror(errno));
	return fd;
}

/* Removes what a crash between a temporary file's creation and its rename left behind (the
 * file it was to replace is intact), and counts the other entries. */
static int sweep(struct wt *w, int dirfd, const char *path, uint64_t *count)
{
	DIR *d = fdopendir(dup(dirfd));
	if (!d)
		return -1;
	struct dirent *e;
	*count = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), sl = strlen(TMP_SUFFIX);
		if (e->d_name[0] == '.')
			continue;
		if (l > sl && !strcmp(e->d_name + l - sl, TMP_SUFFIX)) {
			log_info("%s/%s: removing a temporary file an interrupted write left", path,
				 e->d_name);
			unlinkat(dirfd, e->d_name, 0);
		} else {
			(*count)++;
		}
	}
	closedir(d);
	return 0;
}

/* Loads the last cosigned checkpoint of l, if there is one. It must parse, be for l's
 * origin and carry a valid cosignature by this witness's key. */
static int load_log(struct wt *w, struct wt_log *l, char *err, size_t cap)
{
	const char *dir = w->cfg->state_dir;
	size_t len;
	crypto_hash_sha256(l->root, NULL, 0);
	l->note = read_at(w->logsfd, l->id, RC_NOTE_MAX_LEN, &len);
	if (!l->note) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, cap, "%s/logs/%s: %s", dir, l->id, strerror(errno));
		return -1;
	}
	l->note_len = len;
	static struct rc_note n;
	struct rc_checkpoint c;
	struct rc_diag d = {0, NULL};
	int e = rc_note_parse(&n, l->note, len, &d);
	if (!e)
		e = rc_checkpoint_parse(&c, n.text, n.text_len, &d);
	if (e) {
		snprintf(err, cap, "%s/logs/%s: byte %zu: %s: %s; not starting without the state",
			 dir, l->id, d.off, d.field ? d.field : "note", rc_strerror(e));
		return -1;
	}
	if (c.origin_len != l->origin_len || memcmp(c.origin, l->origin, l->origin_len)) {
		snprintf(err, cap, "%s/logs/%s: a checkpoint of another log", dir, l->id);
		return -1;
	}
	if ((e = rc_note_verify(&n, &w->key, &l->time)) != RC_OK) {
		snprintf(err, cap, "%s/logs/%s: not cosigned by this witness's key %s+%08x (%s)",
			 dir, l->id, w->key.name, (unsigned)w->key.keyid, rc_strerror(e));
		return -1;
	}
	l->have = true;
	l->size = c.size;
	memcpy(l->root, c.root, sizeof(l->root));
	return 0;
}

static int add_logs(struct wt *w, char *err, size_t cap)
{
	const struct wt_vkeys *k = &w->cfg->logs;
	w->logs = calloc(k->n, sizeof(*w->logs));
	if (!w->logs) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < k->n; i++) {
		struct wt_log *l = wt_find(w, k->v[i].name, k->v[i].name_len);
		if (!l) {
			l = &w->logs[w->nlogs++];
			memcpy(l->origin, k->v[i].name, k->v[i].name_len + 1);
			l->origin_len = k->v[i].name_len;
			uint8_t h[32];
			crypto_hash_sha256(h, (const uint8_t *)l->origin, l->origin_len);
			hexs(l->id, h, sizeof(h));
		}
		l->keys[l->nkeys++] = &k->v[i];
	}
	return 0;
}

int wt_open(struct wt *w, const struct wt_config *cfg, const uint8_t sk[64], const uint8_t pk[32],
	    char *err, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->dirfd = w->logsfd = w->evidencefd = -1;
	pthread_mutex_init(&w->mu, NULL);
	log_rate_init(&w->rl, 1, 20);
	if (rc_note_key_init(&w->key, cfg->name, strlen(cfg->name), RC_NOTE_ALG_COSIG, pk)) {
		snprintf(err, cap, "name: '%s' is not a valid key name", cfg->name);
		return -1;
	}
	if (!(w->sk = sodium_malloc(64))) {
		snprintf(err, cap, "cannot allocate protected memory for the key");
		return -1;
	}
	memcpy(w->sk, sk, 64);
	if (add_logs(w, err, cap) < 0)
		return -1;
	const char *dir = cfg->state_dir;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, cap, "state-dir %s: mkdir: %s", dir, strerror(errno));
		return -1;
	}
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		snprintf(err, cap, "state-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Two witnesses on one state would each check against a state the other replaces. */
	if (flock(w->dirfd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, cap, "state-dir %s: %s", dir,
			 errno == EWOULDBLOCK ? "another recall-witness is using it"
					      : strerror(errno));
		return -1;
	}
	if ((w->logsfd = open_sub(w->dirfd, "logs", dir, err, cap)) < 0 ||
	    (w->evidencefd = open_sub(w->dirfd, "evidence", dir, err, cap)) < 0)
		return -1;
	uint64_t nstate;
	if (sweep(w, w->logsfd, "logs", &nstate) < 0 ||
	    sweep(w, w->evidencefd, "evidence", &w->evidence_files) < 0) {
		snprintf(err, cap, "state-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < w->nlogs; i++)
		if (load_log(w, &w->logs[i], err, cap) < 0)
			return -1;
	return 0;
}

void wt_close(struct wt *w)
{
	for (size_t i = 0; w->logs && i < w->nlogs; i++)
		free(w->logs[i].note);
	free(w->logs);
	w->logs = NULL;
	if (w->sk)
		sodium_free(w->sk);
	w->sk = NULL;
	for (int *fd = &w->dirfd; fd <= &w->evidencefd; fd++)
		if (*fd >= 0)
			close(*fd);
	w->dirfd = w->logsfd = w->evidencefd = -1;
	pthread_mutex_destroy(&w->mu);
}

struct wt_log *wt_find(struct wt *w, const char *origin, size_t len)
{
	for (size_t i = 0; i < w->nlogs; i++)
		if (w->logs[i].origin_len == len && !memcmp(w->logs[i].origin, origin, len))
			return &w->logs[i];
	return NULL;
}

struct wt_log *wt_find_id(struct wt *w, const char *id, size_t len)
{
	for (size_t i = 0; i < w->nlogs; i++)
		if (len == 64 && !memcmp(w->logs[i].id, id, 64))
			return &w->logs[i];
	return NULL;
}

int wt_state_write(struct wt *w, const struct wt_log *l, const char *note, size_t len)
{
	if (write_at(w->logsfd, l->id, note, len, true) < 0) {
		log_warn("%s/logs/%s: cannot save the checkpoint of %s; not cosigning",
			 w->cfg->state_dir, l->id, l->origin);
		return -1;
	}
	return 0;
}

void wt_evidence(struct wt *w, const struct wt_log *l, const char *kind, const char *text,
		 size_t text_len, const char *body, size_t body_len, uint64_t now)
{
	/* One file per (log, kind, checkpoint text): a request repeated with other proofs adds
	 * nothing, and every file needs a checkpoint the log signed. */
	crypto_hash_sha256_state st;
	uint8_t h[32];
	char name[128], hx[33];
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)text, text_len);
	crypto_hash_sha256_final(&st, h);
	hexs(hx, h, 16);
	snprintf(name, sizeof(name), "%.16s-%s-%s", l->id, kind, hx);
	if (faccessat(w->evidencefd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return;
	if (w->evidence_files >= w->cfg->evidence_max) {
		log_warnx_rl(&w->rl, "%s: evidence-max (%llu files) reached; %s not kept",
			     l->origin, (unsigned long long)w->cfg->evidence_max, kind);
		return;
	}
	char *f = NULL;
	size_t fl = 0;
	FILE *m = open_memstream(&f, &fl);
	if (!m)
		return;
	fprintf(m, "# recall-witness evidence: %s, log %s, received at %llu\n", kind, l->origin,
		(unsigned long long)now);
	fprintf(m, "# the last checkpoint this witness cosigned for the log:\n");
	if (l->have)
		fwrite(l->note, 1, l->note_len, m);
	else
		fprintf(m, "# (none)\n");
	fprintf(m, "# the add-checkpoint request that conflicts with it:\n");
	fwrite(body, 1, body_len, m);
	fclose(m);
	if (f && write_at(w->evidencefd, name, f, fl, false) == 0) {
		w->evidence_files++;
		w->count[WT_EVIDENCE]++;
		log_warnx_rl(&w->rl, "%s: %s kept as evidence in %s/evidence/%s", l->origin, kind,
			     w->cfg->state_dir, name);
	} else {
		log_warnx_rl(&w->rl, "%s/evidence/%s: cannot write: %s", w->cfg->state_dir, name,
			     strerror(errno));
	}
	free(f);
}
