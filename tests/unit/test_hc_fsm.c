/* recall-healthcheck's parts: the announcement state machine (rise, fall, hold-down) on a
 * fake clock, BIRD's reply lines and protocol names, a BIRD control socket played by a
 * thread, and the check-in judged against a responder played by a thread on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "hc.h"

/* Feed results r[0..n) one per `step` ms from t0; returns the changes as a string of
 * '.', 'A' (announce) and 'W' (withdraw). */
static void run(struct hc_fsm *f, const char *r, uint64_t *t, uint64_t step, char *out)
{
	for (size_t i = 0; r[i]; i++) {
		enum hc_change c = hc_fsm_step(f, r[i] == '+', *t);
		out[i] = c == HC_ANNOUNCE ? 'A' : c == HC_WITHDRAW ? 'W' : '.';
		*t += step;
	}
	out[strlen(r)] = 0;
}

static void test_rise_fall(void **state)
{
	struct hc_fsm f;
	char out[64];
	uint64_t t = 1000;
	hc_fsm_init(&f, 3, 2, 0);
	assert_false(f.up);
	/* announced on the 3rd pass in a row, not before; a failure restarts the count */
	run(&f, "++-+++", &t, 100, out);
	assert_string_equal(out, ".....A");
	assert_true(f.up);
	/* one failure is noise; two in a row withdraw; more failures change nothing */
	run(&f, "-+-+--+--", &t, 100, out);
	assert_string_equal(out, ".....W...");
	assert_false(f.up);
	/* hold-down 0: back after rise passes */
	run(&f, "+++", &t, 100, out);
	assert_string_equal(out, "..A");
}

static void test_hold_down(void **state)
{
	struct hc_fsm f;
	char out[64];
	uint64_t t = 5000;
	hc_fsm_init(&f, 2, 1, 3000);
	/* no hold-down at start: announced after rise */
	run(&f, "++", &t, 100, out);
	assert_string_equal(out, ".A");
	assert_int_equal(hc_fsm_hold_left(&f, t), 0);
	run(&f, "-", &t, 100, out); /* withdrawn at 5200 */
	assert_string_equal(out, "W");
	assert_int_equal(hc_fsm_hold_left(&f, 5250), 3000); /* failing: all of it */
	/* passing from 5300: announced once passing for 3 s, at 8300, not before */
	run(&f, "++++++++++++++++++++++++++++++", &t, 100, out); /* 5300 .. 8200 */
	assert_null(strchr(out, 'A'));
	assert_int_equal(hc_fsm_hold_left(&f, 8200), 100);
	run(&f, "+", &t, 100, out);
	assert_string_equal(out, "A");
	assert_int_equal(hc_fsm_hold_left(&f, t), 0);
	/* a failure during the hold-down starts it again from the next pass */
	run(&f, "-", &t, 100, out); /* withdrawn at 8400 */
	assert_string_equal(out, "W");
	run(&f, "++++-", &t, 100, out); /* 8500 .. 8900 */
	assert_string_equal(out, ".....");
	run(&f, "++++++++++++++++++++++++++++++", &t, 100, out); /* 9000 .. 11900 */
	assert_null(strchr(out, 'A'));
	run(&f, "+", &t, 100, out); /* 12000 */
	assert_string_equal(out, "A");
}

static void test_clock_from_zero(void **state)
{
	/* a monotonic clock may start near 0: nothing may underflow */
	struct hc_fsm f;
	hc_fsm_init(&f, 1, 1, 1000);
	assert_int_equal(hc_fsm_step(&f, true, 0), HC_ANNOUNCE);
	assert_int_equal(hc_fsm_step(&f, false, 10), HC_WITHDRAW);
	assert_int_equal(hc_fsm_step(&f, true, 500), HC_SAME);
	assert_int_equal(hc_fsm_hold_left(&f, 500), 1000);
	assert_int_equal(hc_fsm_step(&f, true, 1400), HC_SAME);
	assert_int_equal(hc_fsm_step(&f, true, 1500), HC_ANNOUNCE);
	/* rise 0 and fall 0 mean 1 */
	hc_fsm_init(&f, 0, 0, 0);
	assert_int_equal(hc_fsm_step(&f, true, 0), HC_ANNOUNCE);
	assert_int_equal(hc_fsm_step(&f, false, 1), HC_WITHDRAW);
}

static void test_bird_line(void **state)
{
	int code;
	bool last;
	assert_int_equal(hc_bird_line("0001 BIRD 2.0.12 ready.", 23, &code, &last), 0);
	assert_int_equal(code, 1);
	assert_true(last);
	assert_int_equal(hc_bird_line("1002-anycast4 Static", 20, &code, &last), 0);
	assert_int_equal(code, 1002);
	assert_false(last);
	assert_int_equal(hc_bird_line(" more", 5, &code, &last), 0);
	assert_int_equal(code, -1);
	assert_false(last);
	assert_int_equal(hc_bird_line("8003 No protocols match", 23, &code, &last), 0);
	assert_int_equal(code, 8003);
	const char *bad[] = {"", "0001", "001 x", "00a1 x", "0001x", "hello world"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hc_bird_line(bad[i], strlen(bad[i]), &code, &last), -1);
	assert_true(hc_bird_name_ok("anycast4"));
	assert_true(hc_bird_name_ok("_a_1"));
	const char *names[] = {"", "4any", "any cast", "a;b", "a\nshow", "a-b"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_false(hc_bird_name_ok(names[i]));
}

/* ---- a BIRD control socket played by a thread: greets, answers each command with the
 * lines given, records what it was sent ---- */

struct fake_bird {
	int lfd;
	const char *greeting;
	const char *answers[4];
	char got[512];
};

static void *bird_thread(void *arg)
{
	struct fake_bird *b = arg;
	int fd = accept(b->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (write(fd, b->greeting, strlen(b->greeting)) < 0)
		goto out;
	size_t len = 0;
	for (int i = 0; i < 4 && b->answers[i]; i++) {
		/* read one command line */
		for (;;) {
			ssize_t n = read(fd, b->got + len, 1);
			if (n <= 0)
				goto out;
			len += (size_t)n;
			if (b->got[len - 1] == '\n' || len == sizeof(b->got) - 1)
				break;
		}
		if (write(fd, b->answers[i], strlen(b->answers[i])) < 0)
			goto out;
	}
out:
	close(fd);
	return NULL;
}

static int bird_run(struct fake_bird *b, const char *const *protos, size_t n, bool enable,
		    char *err)
{
	char path[] = "/tmp/hc-bird-XXXXXX";
	int tfd = mkstemp(path);
	assert_true(tfd >= 0);
	close(tfd);
	unlink(path);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, path);
	b->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(b->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(b->lfd, 1), 0);
	memset(b->got, 0, sizeof(b->got));
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, bird_thread, b), 0);
	int rc = hc_bird_set(path, protos, n, enable, err, 256);
	pthread_join(th, NULL);
	close(b->lfd);
	unlink(path);
	return rc;
}

static void test_bird_socket(void **state)
{
	const char *p[] = {"anycast4", "anycast6"};
	char err[256] = "";
	struct fake_bird b = {
	    .greeting = "0001 BIRD 2.0.12 ready.\n",
	    .answers = {"0011 anycast4: enabled\n", "0010 anycast6: already enabled\n"}};
	assert_int_equal(bird_run(&b, p, 2, true, err), 0);
	assert_string_equal(b.got, "enable anycast4\nenable anycast6\n");
	/* a continuation and a multi-line reply before the last line */
	struct fake_bird b2 = {.greeting = "0001 BIRD 2.0.12 ready.\n",
			       .answers = {"1002-x\n more\n0009 anycast4: disabled\n"}};
	assert_int_equal(bird_run(&b2, p, 1, false, err), 0);
	assert_string_equal(b2.got, "disable anycast4\n");
	/* an error reply: the reason names BIRD's text */
	struct fake_bird b3 = {.greeting = "0001 BIRD 2.0.12 ready.\n",
			       .answers = {"8003 No protocols match\n"}};
	assert_int_equal(bird_run(&b3, p, 1, true, err), -1);
	assert_non_null(strstr(err, "No protocols match"));
	/* something that is not BIRD */
	struct fake_bird b4 = {.greeting = "HTTP/1.1 400 Bad Request\n"};
	assert_int_equal(bird_run(&b4, p, 1, true, err), -1);
	assert_non_null(strstr(err, "reply form"));
	/* nobody listening */
	assert_int_equal(hc_bird_set("/nonexistent/bird.ctl", p, 1, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is BIRD running"));
}

/* ---- a responder played by a thread on 127.0.0.1: answers the one check-in it gets ---- */

enum { R_CLEAR, R_RETRY, R_RECALLED_JUNK, R_OTHER_NONCE, R_GARBAGE_THEN_CLEAR, R_SILENT };

struct fake_rd {
	int fd;
	int mode;
};

static void *rd_thread(void *arg)
{
	struct fake_rd *r = arg;
	uint8_t buf[1500], out[RC_ANSWER_MAX];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(r->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	struct rc_checkin c;
	if (n != RC_CHECKIN_SIZE || rc_checkin_decode(&c, buf, (size_t)n, NULL) ||
	    r->mode == R_SILENT)
		return NULL;
	static const uint8_t junk[8] = {1, 2, 3};
	struct rc_answer a = {.type = RC_MSG_CLEAR, .serial = 42};
	memcpy(a.nonce, c.nonce, RC_NONCE_LEN);
	if (r->mode == R_RETRY)
		a = (struct rc_answer){.type = RC_MSG_RETRY, .delay = 3600};
	else if (r->mode == R_RECALLED_JUNK)
		a = (struct rc_answer){.type = RC_MSG_RECALLED, .blob = junk, .blob_len = 8};
	if (r->mode != R_CLEAR && r->mode != R_GARBAGE_THEN_CLEAR)
		memcpy(a.nonce, c.nonce, RC_NONCE_LEN);
	if (r->mode == R_OTHER_NONCE)
		a.nonce[0] ^= 1;
	if (r->mode == R_GARBAGE_THEN_CLEAR)
		sendto(r->fd, "garbage", 7, 0, (struct sockaddr *)&from, fl);
	size_t len;
	if (rc_answer_encode(&a, out, sizeof(out), &len) == 0)
		sendto(r->fd, out, len, 0, (struct sockaddr *)&from, fl);
	return NULL;
}

static int check_against(int mode, const struct hc_check *c, char *why)
{
	struct fake_rd r = {.fd = socket(AF_INET, SOCK_DGRAM, 0), .mode = mode};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	assert_int_equal(bind(r.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	socklen_t sl = sizeof(sin);
	getsockname(r.fd, (struct sockaddr *)&sin, &sl);
	struct hc_target t;
	assert_int_equal(hc_target_parse(&t, "127.0.0.1", ntohs(sin.sin_port)), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, rd_thread, &r), 0);
	int rc = hc_check_once(c, &t, why, 256);
	if (mode == R_SILENT || rc < 0)
		shutdown(r.fd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(r.fd);
	return rc;
}

static void test_check(void **state)
{
	assert_true(sodium_init() >= 0);
	static struct hc_check c = {.timeout_ms = 300,
				    .expect = (1u << RC_MSG_CLEAR) | (1u << RC_MSG_RECALLED)};
	char why[256];
	assert_int_equal(hc_check_identity(&c, "Recall", "Health-Check", "0", why, sizeof(why)), 0);
	assert_string_equal(c.model, "health-check");
	assert_int_equal(check_against(R_CLEAR, &c, why), 0);
	assert_string_equal(why, "clear, feed serial 42");
	/* retry-later (recalld's answer with an expired feed): not healthy */
	assert_int_equal(check_against(R_RETRY, &c, why), -1);
	assert_non_null(strstr(why, "retry"));
	/* an answer to another nonce is ignored: no answer */
	assert_int_equal(check_against(R_OTHER_NONCE, &c, why), -1);
	assert_non_null(strstr(why, "another check-in"));
	assert_int_equal(check_against(R_SILENT, &c, why), -1);
	assert_non_null(strstr(why, "no answer within 300 ms"));
	/* garbage first, then the answer: the answer counts */
	assert_int_equal(check_against(R_GARBAGE_THEN_CLEAR, &c, why), 0);
	/* clear when only a recall is expected (a canary identity) */
	c.expect = 1u << RC_MSG_RECALLED;
	assert_int_equal(check_against(R_CLEAR, &c, why), -1);
	assert_non_null(strstr(why, "answer is clear"));
	/* a recall whose notice does not verify, with anchors given */
	uint8_t pks[1][RC_PK_LEN], sk[64];
	crypto_sign_keypair(pks[0], sk);
	c.have_anchors =
	    rc_anchors_init(&c.anchors, 1, 1, (const uint8_t(*)[RC_PK_LEN])pks, 1) == 0;
	assert_true(c.have_anchors);
	assert_int_equal(check_against(R_RECALLED_JUNK, &c, why), -1);
	assert_non_null(strstr(why, "not valid"));
	/* nobody listening on the port: refused or silent, never healthy */
	struct hc_target t;
	assert_int_equal(hc_target_parse(&t, "127.0.0.1", 9), 0);
	assert_int_equal(hc_check_once(&c, &t, why, sizeof(why)), -1);
	assert_int_equal(hc_target_parse(&t, "localhost", 7412), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rise_fall),       cmocka_unit_test(test_hold_down),
	    cmocka_unit_test(test_clock_from_zero), cmocka_unit_test(test_bird_line),
	    cmocka_unit_test(test_bird_socket),     cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
