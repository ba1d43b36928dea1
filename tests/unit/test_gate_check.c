/* recall-gate's check on a device's behalf (gate/check.c, checkin.c, actions.c). Feed mode over
 * feeds built with the library (rc_feed_build, as recall-tool feed does) from the test
 * authority keys of tests/helpers/fixtures.c: covered, other model, other build, forged, below
 * threshold, expired (trusted clock), model only -> possible (never blocked), policies, the
 * agent's own quarantine, owner actions, feed reload. Checkin mode against a fake responder on
 * loopback: the gateway mark, wrong nonce, wrong source, forged notice, recall, clear.
 * No nftables here (g.nft stays NULL: enforcement is tests/netns/gate_enforce.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "gate_loopback.h"
#include "fixtures.h"
#include "gated.h"
#include "recall/error.h"
#include "recall/feed.h"

static struct fx_key keys[3], stranger[2], feedkey;
static struct rc_anchors anchors;
static char dir[64];
static struct gate g;

static void path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *b, size_t n)
{
	char p[128];
	path(p, sizeof(p), name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

struct blob {
	uint8_t b[RC_NOTICE_MAX];
	size_t n;
};

/* fx_notice with another id/model/version/validity, signed by nk of ks. */
static void notice(struct blob *o, const char *id, const char *model, const char *ver,
		   uint64_t expiry, uint8_t action, const struct fx_key *ks, size_t nk)
{
	struct rc_notice n;
	fx_notice(&n, FX_NOW);
	n.id = rc_str_c(id);
	n.target.model = rc_str_c(model);
	n.target.versions[0] = rc_str_c(ver);
	n.target.nhwrevs = 0;
	if (expiry)
		n.expiry = expiry;
	n.action = action;
	assert_int_equal(fx_signed_notice(o->b, sizeof(o->b), &o->n, &n, ks, nk), RC_OK);
}

/* Write a feed of the given notices with this serial to dir/feed. */
static void feed(const struct blob *nb, size_t n, uint64_t serial)
{
	const uint8_t *p[8];
	size_t l[8], bad, len;
	for (size_t i = 0; i < n; i++)
		p[i] = nb[i].b, l[i] = nb[i].n;
	struct rc_feed_meta m = {
	    .serial = serial, .issued = FX_NOW - 3600, .expiry = FX_NOW + 86400};
	assert_int_equal(rc_anchors_id(&anchors, m.anchors_id), RC_OK);
	uint8_t *f;
	assert_int_equal(rc_feed_build(&f, &len, &m, p, l, n, feedkey.sk, &bad), RC_OK);
	write_file("feed.tmp", f, len);
	free(f);
	char a[128], b[128];
	path(a, sizeof(a), "feed.tmp");
	path(b, sizeof(b), "feed");
	assert_int_equal(rename(a, b), 0);
}

static struct blob good[4];

static void good_feed(uint64_t serial)
{
	notice(&good[0], "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, keys, 2);
	notice(&good[1], "RC-OLD", "cam-2", "1.0", FX_NOW - 10, RC_ACTION_QUARANTINE, keys, 3);
	notice(&good[2], "RC-NOTE", "cam-3", "2.0", 0, RC_ACTION_NOTIFY, keys, 2);
	notice(&good[3], "RC-MODEL", "cam-4", "9.9", 0, RC_ACTION_QUARANTINE, keys, 2);
	feed(good, 4, serial);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(fx_anchors(&anchors, keys, 3, 2, 1, 0x40), RC_OK);
	fx_key(&stranger[0], 0x70);
	fx_key(&stranger[1], 0x71);
	fx_key(&feedkey, 0x60);
	snprintf(dir, sizeof(dir), "/tmp/test_gate_check.XXXXXX");
	assert_non_null(mkdtemp(dir));
	uint8_t ab[1024];
	size_t an;
	assert_int_equal(rc_anchors_encode(&anchors, ab, sizeof(ab), &an), RC_OK);
	write_file("anchors", ab, an);
	char line[128], b64[64];
	sodium_bin2base64(b64, sizeof(b64), feedkey.pk, RC_PK_LEN, sodium_base64_VARIANT_ORIGINAL);
	int ln = snprintf(line, sizeof(line), "recall-ed25519-public %s\n", b64);
	write_file("feed.pub", line, (size_t)ln);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	const char *names[] = {"anchors", "feed.pub", "feed"};
	char p[128];
	for (size_t i = 0; i < 3; i++) {
		path(p, sizeof(p), names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

/* A fresh gate in feed mode (clock trusted at FX_NOW) with an empty inventory. */
static void gate_feed(void)
{
	memset(&g, 0, sizeof(g));
	g.now = FX_NOW;
	snprintf(g.cfg.state_dir, sizeof(g.cfg.state_dir), "%s", dir);
	snprintf(g.cfg.check_mode, sizeof(g.cfg.check_mode), "feed");
	path(g.cfg.feed, sizeof(g.cfg.feed), "feed");
	path(g.cfg.feed_key, sizeof(g.cfg.feed_key), "feed.pub");
	path(g.cfg.anchors, sizeof(g.cfg.anchors), "anchors");
	g.inv = gate_inv_new(3600);
	assert_non_null(g.inv);
	char err[256] = "";
	assert_int_equal(gate_check_init(&g, err, sizeof(err)), 0);
	gate_check_clock(&g, 1);
}

static void gate_done(void)
{
	gate_check_free(&g);
	gate_inv_free(g.inv);
}

struct fv {
	enum gate_field f;
	const char *v;
};

/* One observation of device 02:00:00:00:00:<last>: the fields (NULL values left out), all
 * from source src. */
static struct gate_obs observation(uint8_t last, enum gate_src src, const struct fv *fs, size_t n)
{
	struct gate_obs o;
	memset(&o, 0, sizeof(o));
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
	memcpy(o.mac, mac, 6);
	o.has_mac = true;
	for (size_t i = 0; i < n && fs[i].v; i++) {
		snprintf(o.f[fs[i].f].v, GATE_VAL_MAX, "%s", fs[i].v);
		o.f[fs[i].f].src = src;
	}
	return o;
}

/* A device in the inventory described by UPnP as ACME / model / fwver (G1's gate_identity
 * derives the canonical identity; model only when fwver is NULL). */
static struct gate_device *device(uint8_t last, const char *model, const char *fwver)
{
	const struct fv fs[] = {{GF_MANUFACTURER, "ACME"}, {GF_MODEL, model}, {GF_FWVER, fwver}};
	struct gate_obs o = observation(last, GS_UPNP, fs, 3);
	struct gate_device *d = gate_inv_observe(&g, &o);
	assert_non_null(d);
	assert_true(gate_identity(d, NULL) >= 0);
	assert_int_equal(d->conf, fwver ? GATE_CONF_DESCRIBED : GATE_CONF_MODEL);
	return d;
}

static void test_feed_mode(void **state)
{
	(void)state;
	good_feed(1);
	gate_feed();
	struct gate_device *d = device(1, "cam-1", "1.2.3");
	gate_check_device(&g, d);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	assert_string_equal(d->notice_id, "RC-TEST-1");
	assert_true(gate_blocked(&g, d));
	assert_int_equal(d->checked, FX_NOW);
	struct rc_notice n;
	assert_int_equal(gate_notice_get(&g, "RC-TEST-1", &n), 0);
	assert_int_equal(n.nendpoints, 1);
	assert_int_not_equal(gate_notice_get(&g, "RC-NONE", &n), 0);

	struct gate_device *om = device(2, "cam-9", "1.2.3"); /* other model */
	gate_check_device(&g, om);
	assert_int_equal(om->state, GATE_ST_CLEAR);
	struct gate_device *ob = device(3, "cam-1", "1.2.4"); /* other build */
	gate_check_device(&g, ob);
	assert_int_equal(ob->state, GATE_ST_CLEAR);
	assert_false(gate_blocked(&g, ob));

	/* Expired notice: clear with a trusted clock; with an untrusted one too, as the time
	 * floor (trusted readings, the feed's issue time) is past its expiry (PROTOCOL.md 9.4). */
	struct gate_device *ex = device(4, "cam-2", "1.0");
	gate_check_device(&g, ex);
	assert_int_equal(ex->state, GATE_ST_CLEAR);
	gate_check_clock(&g, 0);
	gate_check_device(&g, ex);
	assert_int_equal(ex->state, GATE_ST_CLEAR);
	gate_check_clock(&g, 1);
	/* A clock stepped back below the floor is not trusted and cannot reopen it. */
	g.now = FX_NOW - 7200;
	gate_check_device(&g, ex);
	assert_int_equal(ex->state, GATE_ST_CLEAR);
	g.now = FX_NOW;

	/* Notify-only notice: recalled, not blocked. */
	struct gate_device *nt = device(5, "cam-3", "2.0");
	gate_check_device(&g, nt);
	assert_int_equal(nt->state, GATE_ST_RECALLED);
	assert_string_equal(nt->notice_id, "RC-NOTE");
	assert_false(gate_blocked(&g, nt));

	/* Model only: possibly affected, never blocked; other model: clear. */
	struct gate_device *mo = device(6, "cam-4", NULL);
	gate_check_device(&g, mo);
	assert_int_equal(mo->state, GATE_ST_POSSIBLE);
	assert_string_equal(mo->notice_id, "RC-MODEL");
	assert_false(gate_blocked(&g, mo));
	struct gate_device *mo2 = device(7, "cam-8", NULL);
	gate_check_device(&g, mo2);
	assert_int_equal(mo2->state, GATE_ST_CLEAR);
	/* Unknown identity: unchecked. */
	struct gate_device *un = device(8, "cam-1", NULL);
	un->conf = GATE_CONF_UNKNOWN;
	gate_check_device(&g, un);
	assert_int_equal(un->state, GATE_ST_UNCHECKED);
	/* The owner reads the firmware version off the device: now build-level and recalled. */
	char err[128];
	assert_int_equal(gate_action_device(&g, mo, GATE_ACT_CONFIRM_FW, "9.9", err, sizeof(err)),
			 0);
	assert_int_equal(mo->state, GATE_ST_QUARANTINED);
	assert_int_equal(mo->f[GF_FWVER].src, GS_OWNER);
	assert_int_not_equal(
	    gate_action_device(&g, mo, GATE_ACT_CONFIRM_FW, " 9.9", err, sizeof(err)), 0);
	gate_done();
}

static void test_policy_actions(void **state)
{
	(void)state;
	good_feed(1);
	gate_feed();
	char err[128];
	struct gate_device *d = device(1, "cam-1", "1.2.3");
	d->policy = GATE_POL_NOTIFY;
	gate_check_device(&g, d);
	assert_int_equal(d->state, GATE_ST_RECALLED);
	assert_false(gate_blocked(&g, d));
	assert_int_equal(gate_action_device(&g, d, GATE_ACT_ENFORCE, NULL, err, sizeof(err)), 0);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	assert_true(gate_blocked(&g, d));
	/* Release: the recall stands, no longer enforced, also after a re-check. */
	assert_int_equal(gate_action_device(&g, d, GATE_ACT_RELEASE, NULL, err, sizeof(err)), 0);
	assert_int_equal(d->state, GATE_ST_RECALLED);
	gate_check_device(&g, d);
	assert_false(gate_blocked(&g, d));
	/* Allow: never blocked, even by hand-set state. */
	assert_int_equal(gate_action_device(&g, d, GATE_ACT_ALLOW, NULL, err, sizeof(err)), 0);
	d->state = GATE_ST_QUARANTINED;
	assert_false(gate_blocked(&g, d));
	/* The owner's own quarantine of a clear device: a check does not lift it. */
	struct gate_device *c = device(2, "cam-9", "1.0");
	assert_int_equal(gate_action_device(&g, c, GATE_ACT_QUARANTINE, NULL, err, sizeof(err)), 0);
	gate_check_device(&g, c);
	assert_int_equal(c->state, GATE_ST_QUARANTINED);
	assert_true(gate_blocked(&g, c));
	assert_int_equal(gate_action_device(&g, c, GATE_ACT_RELEASE, NULL, err, sizeof(err)), 0);
	assert_int_equal(c->state, GATE_ST_CLEAR);
	/* The device's own agent reports quarantine: blocked here too, whatever the list. */
	struct gate_device *a = device(3, "cam-9", "1.0");
	snprintf(a->f[GF_AGENT_STATE].v, GATE_VAL_MAX, "quarantined");
	a->f[GF_AGENT_STATE].src = GS_AGENT;
	snprintf(a->f[GF_AGENT_NOTICE].v, GATE_VAL_MAX, "VENDOR-1");
	a->f[GF_AGENT_NOTICE].src = GS_AGENT;
	gate_check_device(&g, a);
	assert_int_equal(a->state, GATE_ST_AGENT_QUAR);
	assert_string_equal(a->notice_id, "VENDOR-1");
	assert_true(gate_blocked(&g, a));
	/* The agent reports normal again (fixed): lifted, checked again. */
	snprintf(a->f[GF_AGENT_STATE].v, GATE_VAL_MAX, "normal");
	gate_check_device(&g, a);
	assert_int_equal(a->state, GATE_ST_CLEAR);
	assert_false(gate_blocked(&g, a));
	/* ...but a state from another source (a DHCP hostname trick) is not the agent's. */
	struct gate_device *f = device(4, "cam-9", "1.0");
	snprintf(f->f[GF_AGENT_STATE].v, GATE_VAL_MAX, "quarantined");
	f->f[GF_AGENT_STATE].src = GS_DHCP;
	gate_check_device(&g, f);
	assert_int_equal(f->state, GATE_ST_CLEAR);
	/* Unknown action; no such device. */
	assert_int_not_equal(gate_action_device(&g, a, (enum gate_action)99, NULL, err, 128), 0);
	uint8_t none[6] = {9, 9, 9, 9, 9, 9};
	assert_int_not_equal(gate_action(&g, none, GATE_ACT_ALLOW, NULL, err, sizeof(err)), 0);
	gate_done();
}

/* Bad feeds are refused as recalld refuses them; a good one held is kept. */
static void test_feed_refused(void **state)
{
	(void)state;
	struct blob nb[2];
	/* forged: signed by keys that are not anchors */
	notice(&nb[0], "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, stranger, 2);
	feed(nb, 1, 1);
	gate_feed();
	struct gate_device *d = device(1, "cam-1", "1.2.3");
	gate_check_device(&g, d);
	assert_int_equal(d->state, GATE_ST_UNCHECKED);
	assert_int_equal(g.check->st.feed_rejected, 1);
	gate_done();
	/* below threshold: one anchor signature of k = 2 */
	notice(&nb[0], "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, keys, 1);
	feed(nb, 1, 1);
	gate_feed();
	d = device(1, "cam-1", "1.2.3");
	gate_check_device(&g, d);
	assert_int_equal(d->state, GATE_ST_UNCHECKED);
	/* a good feed appears: reloaded on the tick, every device checked again */
	good_feed(2);
	g.now++;
	gate_check_tick(&g);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	/* then a forged one, a rollback, and garbage: refused, the good one stays */
	notice(&nb[0], "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, stranger, 2);
	feed(nb, 1, 3);
	g.now++;
	gate_check_tick(&g);
	good_feed(1);
	g.now++;
	gate_check_tick(&g);
	write_file("feed", "garbage", 7);
	g.now++;
	gate_check_tick(&g);
	assert_int_equal(g.check->st.feed_rejected, 4);
	assert_int_equal(g.check->feed.meta.serial, 2);
	gate_check_device(&g, d);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	gate_done();
}

/* ---- checkin mode against a fake responder on loopback ---- */

/* Receive the gate's check-in: returns its nonce and where it came from. */
static void recv_checkin(int fd, uint8_t nonce[RC_NONCE_LEN], struct sockaddr_storage *from,
			 socklen_t *fl, const char *fwver)
{
	uint8_t buf[1500];
	*fl = sizeof(*from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)from, fl);
	assert_int_equal(n, RC_CHECKIN_SIZE);
	struct rc_checkin c;
	assert_int_equal(rc_checkin_decode(&c, buf, (size_t)n, NULL), RC_OK);
	assert_int_equal(c.sender, RC_SENDER_GATEWAY);
	assert_true(rc_str_eq(c.id.fwver, rc_str_c(fwver)));
	memcpy(nonce, c.nonce, RC_NONCE_LEN);
}

static void reply(int fd, const struct sockaddr_storage *to, socklen_t tl, uint8_t type,
		  const uint8_t nonce[RC_NONCE_LEN], const struct blob *b)
{
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	assert_int_equal(
	    fx_answer(out, sizeof(out), &len, type, nonce, 7, b ? b->b : NULL, b ? b->n : 0),
	    RC_OK);
	assert_int_equal(sendto(fd, out, len, 0, (const struct sockaddr *)to, tl), (ssize_t)len);
	usleep(20000);
	gate_check_input(&g);
}

static void test_checkin_mode(void **state)
{
	(void)state;
	uint16_t port, port2;
	int rs = udp_loopback(&port), other = udp_loopback(&port2);
	memset(&g, 0, sizeof(g));
	g.now = FX_NOW;
	snprintf(g.cfg.check_mode, sizeof(g.cfg.check_mode), "checkin");
	path(g.cfg.anchors, sizeof(g.cfg.anchors), "anchors");
	snprintf(g.cfg.responder[0], sizeof(g.cfg.responder[0]), "127.0.0.1:%u", port);
	g.cfg.nresponder = 1;
	g.inv = gate_inv_new(3600);
	char err[256] = "";
	assert_int_equal(gate_check_init(&g, err, sizeof(err)), 0);
	assert_true(gate_check_fd(&g) >= 0);
	gate_check_clock(&g, 1);

	struct gate_device *d = device(1, "cam-1", "1.2.3");
	uint8_t nonce[RC_NONCE_LEN], wrong[RC_NONCE_LEN];
	struct sockaddr_storage from;
	socklen_t fl;
	struct blob ok, forged, other_dev;
	notice(&ok, "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, keys, 2);
	notice(&forged, "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, stranger, 2);
	notice(&other_dev, "RC-X", "cam-1", "0.1", 0, RC_ACTION_QUARANTINE, keys, 2);
	gate_check_device(&g, d);
	recv_checkin(rs, nonce, &from, &fl, "1.2.3");
	/* wrong nonce: ignored */
	memcpy(wrong, nonce, sizeof(wrong));
	wrong[0] ^= 1;
	reply(rs, &from, fl, RC_MSG_RECALLED, wrong, &ok);
	assert_int_equal(g.check->st.rx_nonce, 1);
	/* right nonce from another port: ignored */
	reply(other, &from, fl, RC_MSG_RECALLED, nonce, &ok);
	assert_int_equal(g.check->st.rx_source, 1);
	/* forged (strangers' signatures), and a notice for another build: discarded */
	reply(rs, &from, fl, RC_MSG_RECALLED, nonce, &forged);
	assert_int_equal(g.check->st.rx_threshold, 1);
	reply(rs, &from, fl, RC_MSG_RECALLED, nonce, &other_dev);
	assert_int_equal(g.check->st.rx_notcovered, 1);
	assert_int_equal(d->state, GATE_ST_UNCHECKED);
	/* the genuine recall: quarantined, the notice kept for the page */
	reply(rs, &from, fl, RC_MSG_RECALLED, nonce, &ok);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	assert_string_equal(d->notice_id, "RC-TEST-1");
	struct rc_notice n;
	assert_int_equal(gate_notice_get(&g, "RC-TEST-1", &n), 0);
	/* the nonce is retired: a replay changes nothing */
	reply(rs, &from, fl, RC_MSG_CLEAR, nonce, NULL);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	/* a new check answered clear: released */
	gate_check_device(&g, d);
	recv_checkin(rs, nonce, &from, &fl, "1.2.3");
	reply(rs, &from, fl, RC_MSG_CLEAR, nonce, NULL);
	assert_int_equal(d->state, GATE_ST_CLEAR);
	/* no answer: bounded retries, each with a fresh nonce, then nothing changes */
	gate_check_device(&g, d);
	recv_checkin(rs, nonce, &from, &fl, "1.2.3");
	for (int i = 1; i < GATE_TRIES; i++) {
		gate_checkin_tick(&g, gate_mono_ms() + GATE_TIMEOUT_MS + 1);
		recv_checkin(rs, wrong, &from, &fl, "1.2.3");
		assert_memory_not_equal(wrong, nonce, RC_NONCE_LEN);
	}
	gate_checkin_tick(&g, gate_mono_ms() + GATE_TIMEOUT_MS + 1);
	assert_int_equal(g.check->st.giveups, 1);
	assert_int_equal(d->state, GATE_ST_CLEAR);
	/* model only: no notice list in this mode, so unchecked */
	struct gate_device *mo = device(2, "cam-4", NULL);
	gate_check_device(&g, mo);
	assert_int_equal(mo->state, GATE_ST_UNCHECKED);
	close(rs);
	close(other);
	gate_done();
}

/* The nftables script (gate/enforce.c) with no table held: one string, the length returned,
 * every set declared, the chain hooked before the distribution's filter; an empty set gets no
 * element statement (nft refuses "{ }"), also when it is the last one. */
static void test_enforce_script(void **state)
{
	(void)state;
	static char buf[65536];
	memset(&g, 0, sizeof(g));
	snprintf(g.cfg.interface, sizeof(g.cfg.interface), "br-lan");
	snprintf(g.cfg.responder[0], sizeof(g.cfg.responder[0]), "198.51.100.74:7412");
	g.cfg.nresponder = 1;
	memset(buf, 'x', sizeof(buf));
	size_t n = gate_enforce_script(&g, buf, sizeof(buf));
	assert_true(n < sizeof(buf));
	assert_int_equal(strlen(buf), n);
	assert_non_null(strstr(buf, "hook forward priority filter - 10; policy accept;"));
	assert_non_null(strstr(buf, "iifname \"br-lan\" ether saddr @q_mac jump quarantined"));
	assert_non_null(strstr(buf, "add element inet recall_gate checkin4 { 198.51.100.74 }\n"));
	assert_null(strstr(buf, "checkin6 {  }"));
	assert_null(strstr(buf, "add element inet recall_gate checkin6"));
	assert_int_equal(memcmp(buf + n - 2, "}\n", 2), 0);
}

/* With RECALL_WRITE_SEEDS=DIR: the seed corpus of fuzz_gate_answer (DIR/gate_answer/): answers
 * for nonce 0 to the fuzz target's device (acme / cam-1 / 1.2.3). */
static void test_write_seeds(void **state)
{
	(void)state;
	const char *dir0 = getenv("RECALL_WRITE_SEEDS");
	if (!dir0)
		return;
	static const uint8_t zero[RC_NONCE_LEN];
	struct blob ok, forged, other, rot;
	struct rc_anchors next;
	struct fx_key nk[3];
	notice(&ok, "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, keys, 2);
	notice(&forged, "RC-TEST-1", "cam-1", "1.2.3", 0, RC_ACTION_QUARANTINE, stranger, 2);
	notice(&other, "RC-X", "cam-1", "0.1", 0, RC_ACTION_QUARANTINE, keys, 3);
	assert_int_equal(fx_anchors(&next, nk, 3, 2, 2, 0x50), RC_OK);
	assert_int_equal(fx_rotation(rot.b, sizeof(rot.b), &rot.n, &anchors, &next, keys, 2),
			 RC_OK);
	const struct {
		const char *name;
		uint8_t type;
		uint64_t arg;
		const struct blob *b;
	} s[] = {
	    {"recalled", RC_MSG_RECALLED, 0, &ok},
	    {"forged", RC_MSG_RECALLED, 0, &forged},
	    {"other-build", RC_MSG_RECALLED, 0, &other},
	    {"clear", RC_MSG_CLEAR, 7, NULL},
	    {"retry", RC_MSG_RETRY, 300, NULL},
	    {"unsupported", RC_MSG_UNSUPPORTED, 2, NULL},
	    {"rotate", RC_MSG_ROTATE, 0, &rot},
	};
	char p[512];
	snprintf(p, sizeof(p), "%s/gate_answer", dir0);
	mkdir(p, 0755);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		uint8_t out[RC_ANSWER_MAX];
		size_t len;
		assert_int_equal(fx_answer(out, sizeof(out), &len, s[i].type, zero, s[i].arg,
					   s[i].b ? s[i].b->b : NULL, s[i].b ? s[i].b->n : 0),
				 RC_OK);
		snprintf(p, sizeof(p), "%s/gate_answer/%s.bin", dir0, s[i].name);
		FILE *f = fopen(p, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(out, 1, len, f), len);
		fclose(f);
	}
}

/* An agent announcement as the daemon merges it (gate_observe): vendor, model, build, state and
 * notice, all from the device's agent. */
static struct gate_device *announce(uint8_t last, const char *state, const char *notice)
{
	const struct fv fs[] = {{GF_MANUFACTURER, "acme"},
				{GF_MODEL, "cam-7"},
				{GF_FWVER, "1.0"},
				{GF_AGENT_STATE, state},
				{GF_AGENT_NOTICE, notice}};
	struct gate_obs o = observation(last, GS_AGENT, fs, 5);
	gate_observe(&g, &o);
	struct gate_device *d = gate_inv_find(g.inv, o.mac);
	assert_non_null(d);
	return d;
}

/* The agent's report alone changes (same identity): quarantined, another notice, normal again
 * after the fix. Each reaches the check (gate/daemon.c gate_changed). */
static void test_agent_report(void **state)
{
	(void)state;
	good_feed(1);
	gate_feed();
	struct gate_device *d = announce(9, "normal", "");
	assert_int_equal(d->state, GATE_ST_CLEAR);
	d = announce(9, "quarantined", "RC-AGENT-1");
	assert_int_equal(d->state, GATE_ST_AGENT_QUAR);
	assert_string_equal(d->notice_id, "RC-AGENT-1");
	assert_true(gate_blocked(&g, d));
	d = announce(9, "quarantined", "RC-AGENT-2");
	assert_string_equal(d->notice_id, "RC-AGENT-2");
	d = announce(9, "normal", "");
	assert_int_equal(d->state, GATE_ST_CLEAR);
	assert_false(gate_blocked(&g, d));
	gate_done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_feed_mode),      cmocka_unit_test(test_policy_actions),
	    cmocka_unit_test(test_feed_refused),   cmocka_unit_test(test_checkin_mode),
	    cmocka_unit_test(test_enforce_script), cmocka_unit_test(test_write_seeds),
	    cmocka_unit_test(test_agent_report),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
