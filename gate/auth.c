/* The owner's login: a password set at install by `recall-gate passwd` (argon2id via libsodium's
 * crypto_pwhash_str, file mode 0600), sessions with a random 32-byte id in an HttpOnly,
 * SameSite=Strict cookie, a CSRF token per session, constant-time comparisons, and a limit on
 * failed logins per client address and for all addresses together. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "web.h"

/* Argon2id cost: OWASP's minimum for argon2id (19 MiB, 2 passes) keeps a login under a second
 * on a home router's CPU while its 19 MiB are transient (freed after each verification). */
#define PW_OPSLIMIT 2
#define PW_MEMLIMIT (19u << 20)

/* Failed logins: 5 at once per address, then one per 20 s; 20 for all addresses, then one per
 * 5 s (a LAN host can take many IPv6 addresses). */
#define PEER_BURST 5.0
#define PEER_PER_S (1.0 / 20)
#define ALL_BURST  20.0
#define ALL_PER_S  (1.0 / 5)

/* Read the password hash; -1 with a message that tells the owner what to do. */
static int read_hash(const char *path, char out[crypto_pwhash_STRBYTES], char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen,
			 "no owner password (%s: %s): run `recall-gate passwd` to set one before "
			 "the owner's page can start",
			 path, strerror(errno));
		return -1;
	}
	struct stat st;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) == 0)
		n = read(fd, out, crypto_pwhash_STRBYTES - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen,
			 "%s: not a regular file of mode 0600 (run `recall-gate passwd` again)",
			 path);
		return -1;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (strncmp(out, crypto_pwhash_argon2id_STRPREFIX,
		    strlen(crypto_pwhash_argon2id_STRPREFIX))) {
		snprintf(err, errlen,
			 "%s: not an argon2id password hash (run `recall-gate passwd`)", path);
		return -1;
	}
	return 0;
}

int web_auth_init(struct web_auth *a, const char *state_dir, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if ((size_t)snprintf(a->pwfile, sizeof a->pwfile, "%s/password", state_dir) >=
	    sizeof a->pwfile) {
		snprintf(err, errlen, "state_dir too long for the password file path");
		return -1;
	}
	char h[crypto_pwhash_STRBYTES];
	int rc = read_hash(a->pwfile, h, err, errlen);
	sodium_memzero(h, sizeof h);
	a->global.tokens = ALL_BURST;
	return rc;
}

struct web_session *web_session_find(struct web_auth *a, const char *cookie, uint64_t now)
{
	uint8_t id[WEB_TOKEN_LEN];
	size_t n = 0;
	if (!cookie || strlen(cookie) != WEB_TOKEN_HEX ||
	    sodium_hex2bin(id, sizeof id, cookie, WEB_TOKEN_HEX, NULL, &n, NULL) != 0 ||
	    n != WEB_TOKEN_LEN)
		return NULL;
	/* Every slot is compared, in constant time, so timing says nothing about the ids. */
	struct web_session *found = NULL;
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
		struct web_session *s = &a->s[i];
		bool live = s->created != 0 && now < s->created + WEB_SESSION_TTL;
		if (sodium_memcmp(s->id, id, sizeof id) == 0 && live)
			found = s;
		if (s->created != 0 && !live)
			sodium_memzero(s, sizeof *s);
	}
	return found;
}

bool web_csrf_ok(const struct web_session *s, const char *token)
{
	if (!s || !token || strlen(token) != WEB_TOKEN_HEX)
		return false;
	return sodium_memcmp(s->csrf, token, WEB_TOKEN_HEX) == 0;
}

static bool take(struct web_bucket *b, double burst, double per_s, uint64_t now, unsigned *retry)
{
	if (b->last == 0)
		b->tokens = burst;
	else if (now > b->last)
		b->tokens += (double)(now - b->last) * per_s;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last = now;
	if (b->tokens >= 1.0)
		return true;
	unsigned w = (unsigned)((1.0 - b->tokens) / per_s) + 1;
	if (w > *retry)
		*retry = w;
	return false;
}

/* The bucket of a client address: its own, else a free or the least recently used slot. */
static struct web_bucket *peer_bucket(struct web_auth *a, const char *peer)
{
	struct web_bucket *lru = &a->peers[0];
	for (size_t i = 0; i < sizeof a->peers / sizeof a->peers[0]; i++) {
		struct web_bucket *b = &a->peers[i];
		if (b->last && strcmp(b->peer, peer) == 0)
			return b;
		if (b->last < lru->last)
			lru = b;
	}
	memset(lru, 0, sizeof *lru);
	snprintf(lru->peer, sizeof lru->peer, "%s", peer);
	return lru;
}

static void new_session(struct web_auth *a, uint64_t now, char *cookie)
{
	struct web_session *s = &a->s[0];
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
		if (a->s[i].created < s->created)
			s = &a->s[i];
	memset(s, 0, sizeof *s);
	randombytes_buf(s->id, sizeof s->id);
	uint8_t t[WEB_TOKEN_LEN];
	randombytes_buf(t, sizeof t);
	sodium_bin2hex(s->csrf, sizeof s->csrf, t, sizeof t);
	sodium_bin2hex(cookie, WEB_TOKEN_HEX + 1, s->id, sizeof s->id);
	s->created = now ? now : 1;
}

int web_login(struct web_auth *a, const char *peer, const char *pw, size_t pwlen, uint64_t now,
	      char *cookie, unsigned *retry, char *err, size_t errlen)
{
	*retry = 0;
	struct web_bucket *pb = peer_bucket(a, peer ? peer : "?");
	/* Both buckets are looked at before the (slow) hash: a limited client costs nothing. */
	bool ok_peer = take(pb, PEER_BURST, PEER_PER_S, now, retry);
	bool ok_all = take(&a->global, ALL_BURST, ALL_PER_S, now, retry);
	if (!ok_peer || !ok_all) {
		a->logins_limited++;
		return -2;
	}
	char h[crypto_pwhash_STRBYTES];
	if (read_hash(a->pwfile, h, err, errlen) != 0)
		return -3;
	int rc = pwlen > 0 && pwlen <= WEB_PW_MAX && crypto_pwhash_str_verify(h, pw, pwlen) == 0;
	sodium_memzero(h, sizeof h);
	if (!rc) {
		pb->tokens -= 1.0;
		a->global.tokens -= 1.0;
		a->logins_failed++;
		return -1;
	}
	new_session(a, now, cookie);
	return 0;
}

void web_logout(struct web_auth *a, struct web_session *s)
{
	(void)a;
	if (s)
		sodium_memzero(s, sizeof *s);
}

/* One line from fd (no echo when it is a terminal); returns its length or -1. */
static ssize_t read_line(int fd, const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	bool tty = isatty(fd) && tcgetattr(fd, &old) == 0;
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	size_t n = 0;
	while (n < cap) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n') {
			break;
		}
		buf[n++] = c;
	}
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n == cap)
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

int gate_passwd_set(const char *state_dir, int in_fd, char *err, size_t errlen)
{
	char pw[WEB_PW_MAX + 2], again[WEB_PW_MAX + 2], path[300], tmp[310];
	char h[crypto_pwhash_STRBYTES];
	int rc = -1, fd = -1;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/password", state_dir) >= sizeof path) {
		snprintf(err, errlen, "state_dir too long");
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s.new", path);
	ssize_t n = read_line(in_fd, "New owner password: ", pw, sizeof pw - 1);
	if (n < 0 || (size_t)n < WEB_PW_MIN) {
		snprintf(err, errlen, "the password must have %d to %d bytes", WEB_PW_MIN,
			 WEB_PW_MAX);
		goto out;
	}
	if (isatty(in_fd)) {
		ssize_t m = read_line(in_fd, "Again: ", again, sizeof again - 1);
		if (m != n || sodium_memcmp(pw, again, (size_t)n) != 0) {
			snprintf(err, errlen, "the two passwords differ; nothing changed");
			goto out;
		}
	}
	if (crypto_pwhash_str(h, pw, (unsigned long long)n, PW_OPSLIMIT, PW_MEMLIMIT) != 0) {
		snprintf(err, errlen, "hashing the password failed (out of memory?)");
		goto out;
	}
	/* Written beside the old file and renamed over it: a crash leaves the old or the new. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t hl = strlen(h);
	/* Run by root at install, read by the daemon's own user: the file goes to the owner of
	 * the state directory (the unit's StateDirectory), still mode 0600. */
	struct stat dst;
	if (fd >= 0 && geteuid() == 0 && stat(state_dir, &dst) == 0 && dst.st_uid != 0 &&
	    fchown(fd, dst.st_uid, dst.st_gid) != 0) {
		snprintf(err, errlen, "%s: chown to the state directory's owner: %s", tmp,
			 strerror(errno));
		goto out;
	}
	if (fd < 0 || write(fd, h, hl) != (ssize_t)hl || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(again, sizeof again);
	sodium_memzero(h, sizeof h);
	return rc;
}

int gate_passwd_main(const struct gate_config *cfg)
{
	char err[512];
	if (gate_passwd_set(cfg->state_dir, STDIN_FILENO, err, sizeof err) != 0) {
		fprintf(stderr, "recall-gate passwd: %s\n", err);
		return 1;
	}
	fprintf(stderr, "recall-gate passwd: owner password written to %s/password\n",
		cfg->state_dir);
	return 0;
}
