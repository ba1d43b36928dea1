/* recall-gate's inventory store (gate/inventory.c, gate/store.c): merging by MAC and by source
 * address, source ranks, randomised MACs as devices of their own, several addresses per device,
 * absence and eviction, and the JSON file: a round trip, and damaged files refused with the file
 * and position named, kept aside, the store empty. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gated.h"

static struct gate g;
static char err[1024];

static int setup(void **state)
{
	(void)state;
	memset(&g, 0, sizeof(g));
	snprintf(g.cfg.state_dir, sizeof(g.cfg.state_dir), "/tmp/gate_inv.XXXXXX");
	assert_non_null(mkdtemp(g.cfg.state_dir));
	g.inv = gate_inv_new(3600);
	assert_non_null(g.inv);
	g.now = 1000000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[400];
	gate_inv_free(g.inv);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g.cfg.state_dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static struct gate_obs obs_mac(const char *mac, const char *addr)
{
	struct gate_obs o;
	memset(&o, 0, sizeof(o));
	if (mac) {
		assert_int_equal(gate_mac_parse(mac, o.mac), 0);
		o.has_mac = true;
	}
	if (addr)
		assert_int_equal(gate_addr_parse(addr, &o.addr), 0);
	return o;
}

static void set(struct gate_obs *o, enum gate_field f, enum gate_src s, const char *v)
{
	snprintf(o->f[f].v, sizeof(o->f[f].v), "%s", v);
	o->f[f].src = (uint8_t)s;
}

static struct gate_device *dev(const char *mac)
{
	uint8_t m[6];
	assert_int_equal(gate_mac_parse(mac, m), 0);
	return gate_inv_find(g.inv, m);
}

static void merge_by_mac_and_source(void **state)
{
	(void)state;
	unsigned chg;
	struct gate_obs o = obs_mac("00:11:22:33:44:55", "192.168.7.10");
	set(&o, GF_HOSTNAME, GS_DHCP, "cam");
	set(&o, GF_VENDOR_CLASS, GS_DHCP, "udhcp 1.36");
	struct gate_device *d = gate_inv_observe_ex(&g, &o, &chg, NULL);
	assert_non_null(d);
	assert_int_equal(chg & (GATE_CHG_NEW | GATE_CHG_ADDR | GATE_CHG_FIELD),
			 GATE_CHG_NEW | GATE_CHG_ADDR | GATE_CHG_FIELD);
	assert_false(d->mac_random);
	/* SSDP from the camera's address: attributed by source, fields merged in. */
	struct gate_obs s = obs_mac(NULL, "192.168.7.10");
	set(&s, GF_UPNP_URL, GS_SSDP, "http://192.168.7.10:8000/desc.xml");
	set(&s, GF_HOSTNAME, GS_SSDP, "ssdp ranks above dhcp");
	g.now += 10;
	assert_ptr_equal(gate_inv_observe_ex(&g, &s, &chg, NULL), d);
	assert_true(chg & GATE_CHG_UPNP);
	assert_false(chg & GATE_CHG_NEW);
	assert_string_equal(d->f[GF_UPNP_URL].v, "http://192.168.7.10:8000/desc.xml");
	/* A lower-ranked source does not replace a recent higher-ranked value. */
	struct gate_obs u = obs_mac("00:11:22:33:44:55", NULL);
	set(&u, GF_MODEL, GS_UPNP, "DS-2CD2042WD");
	gate_inv_observe(&g, &u);
	struct gate_obs m = obs_mac(NULL, "192.168.7.10");
	set(&m, GF_MODEL, GS_SSDP, "other");
	gate_inv_observe_ex(&g, &m, &chg, NULL);
	assert_false(chg & GATE_CHG_FIELD);
	assert_string_equal(d->f[GF_MODEL].v, "DS-2CD2042WD");
	assert_int_equal(d->f[GF_MODEL].src, GS_UPNP);
	/* ... but does once the value has not been repeated for more than a day. */
	g.now += 86400 + 60;
	gate_inv_observe_ex(&g, &m, &chg, NULL);
	assert_true(chg & GATE_CHG_FIELD);
	assert_string_equal(d->f[GF_MODEL].v, "other");
	/* Unknown source address: nothing is created. */
	struct gate_obs x = obs_mac(NULL, "192.168.7.99");
	set(&x, GF_MODEL, GS_SSDP, "ghost");
	assert_null(gate_inv_observe(&g, &x));
	assert_int_equal(gate_inv_count(g.inv), 1);
	assert_int_equal(gate_inv_stats(g.inv)->unresolved, 1);
	/* Broadcast and zero MACs are nobody's. */
	struct gate_obs b = obs_mac("ff:ff:ff:ff:ff:ff", NULL);
	assert_null(gate_inv_observe(&g, &b));
	memset(b.mac, 0, 6);
	assert_null(gate_inv_observe(&g, &b));
	assert_int_equal(gate_inv_count(g.inv), 1);
}

static void randomised_mac_is_a_new_device(void **state)
{
	(void)state;
	struct gate_obs a = obs_mac("02:aa:bb:cc:dd:01", "192.168.7.20");
	set(&a, GF_HOSTNAME, GS_DHCP, "phone");
	struct gate_device *d1 = gate_inv_observe(&g, &a);
	assert_non_null(d1);
	assert_true(d1->mac_random);
	g.now += 7200;
	/* The phone comes back with another random MAC and gets the same address. */
	struct gate_obs b = obs_mac("06:aa:bb:cc:dd:02", "192.168.7.20");
	set(&b, GF_HOSTNAME, GS_DHCP, "phone");
	struct gate_device *moved;
	unsigned chg;
	struct gate_device *d2 = gate_inv_observe_ex(&g, &b, &chg, &moved);
	assert_non_null(d2);
	assert_int_equal(gate_inv_count(g.inv), 2);
	d1 = dev("02:aa:bb:cc:dd:01");
	assert_ptr_equal(moved, d1);
	assert_int_equal(d1->naddr, 0); /* the address moved to the new entry */
	assert_int_equal(d2->naddr, 1);
	assert_true(gate_inv_absent(g.inv, d1, g.now));
	assert_false(gate_inv_absent(g.inv, d2, g.now));
}

static void several_addresses_newest_kept(void **state)
{
	(void)state;
	char a[64];
	for (int i = 0; i < GATE_ADDRS_MAX + 3; i++) {
		snprintf(a, sizeof(a), "2001:db8::%x", i + 1);
		struct gate_obs o = obs_mac("00:11:22:33:44:66", a);
		g.now++;
		assert_non_null(gate_inv_observe(&g, &o));
	}
	struct gate_obs o4 = obs_mac("00:11:22:33:44:66", "192.168.7.30");
	g.now++;
	struct gate_device *d = gate_inv_observe(&g, &o4);
	assert_int_equal(d->naddr, GATE_ADDRS_MAX);
	struct gate_addr x;
	gate_addr_parse("2001:db8::1", &x);
	assert_null(gate_inv_by_addr(g.inv, &x)); /* the oldest ones went */
	gate_addr_parse("2001:db8::b", &x);
	assert_ptr_equal(gate_inv_by_addr(g.inv, &x), d);
	gate_addr_parse("192.168.7.30", &x);
	assert_ptr_equal(gate_inv_by_addr(g.inv, &x), d);
	/* An address observed again is refreshed, not duplicated. */
	g.now++;
	gate_inv_observe(&g, &o4);
	assert_int_equal(d->naddr, GATE_ADDRS_MAX);
}

static void eviction_oldest_absent_first(void **state)
{
	(void)state;
	char mac[18];
	/* A recalled device, absent for the longest: it must stay. */
	struct gate_obs r = obs_mac("00:00:5e:00:53:01", NULL);
	struct gate_device *rd = gate_inv_observe(&g, &r);
	rd->state = GATE_ST_QUARANTINED;
	for (int i = 1; i < GATE_DEVICES_MAX; i++) {
		snprintf(mac, sizeof(mac), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
		struct gate_obs o = obs_mac(mac, NULL);
		g.now++;
		assert_non_null(gate_inv_observe(&g, &o));
	}
	assert_int_equal(gate_inv_count(g.inv), GATE_DEVICES_MAX);
	/* Full, nobody absent: a new MAC is refused, no present device is pushed out. */
	struct gate_obs n = obs_mac("00:00:5e:00:53:99", NULL);
	assert_null(gate_inv_observe(&g, &n));
	assert_int_equal(gate_inv_stats(g.inv)->full, 1);
	/* An hour later all are absent; the oldest absent without recall state goes first. */
	g.now += 3600 + 10;
	assert_non_null(gate_inv_observe(&g, &n));
	assert_int_equal(gate_inv_count(g.inv), GATE_DEVICES_MAX);
	assert_null(dev("02:00:00:00:00:01"));
	assert_non_null(dev("02:00:00:00:00:02"));
	assert_non_null(dev("00:00:5e:00:53:01"));
	assert_int_equal(gate_inv_stats(g.inv)->evicted, 1);
}

static void persistence_round_trip(void **state)
{
	(void)state;
	struct gate_obs o = obs_mac("00:11:22:33:44:77", "192.168.7.40");
	set(&o, GF_FRIENDLY, GS_UPNP, "Cam \"one\" <b>");
	set(&o, GF_FWVER, GS_OWNER, "V5.4.5 build 170124");
	gate_inv_observe(&g, &o);
	struct gate_obs o6 = obs_mac("00:11:22:33:44:77", "fe80::211:22ff:fe33:4477");
	gate_inv_observe(&g, &o6);
	struct gate_device *d = dev("00:11:22:33:44:77");
	d->state = GATE_ST_QUARANTINED;
	d->policy = GATE_POL_NOTIFY;
	snprintf(d->notice_id, sizeof(d->notice_id), "RC-2026-0001");
	d->checked = 1234;
	struct gate_device before = *d;
	assert_int_equal(gate_inv_save_path(g.inv, g.cfg.state_dir, err, sizeof(err)), 0);
	assert_false(gate_inv_dirty(g.inv));
	/* Seen again with nothing new: only the sighting times are to be written (later). */
	g.now += 5;
	gate_inv_observe(&g, &o);
	assert_false(gate_inv_dirty(g.inv));
	assert_true(gate_inv_seen_dirty(g.inv));
	struct gate_obs o2 = obs_mac("00:11:22:33:44:77", NULL);
	set(&o2, GF_HOSTNAME, GS_DHCP, "cam");
	gate_inv_observe(&g, &o2);
	assert_true(gate_inv_dirty(g.inv));
	assert_int_equal(gate_inv_save_path(g.inv, g.cfg.state_dir, err, sizeof(err)), 0);
	before = *gate_inv_find(g.inv, before.mac);
	gate_inv_free(g.inv);
	g.inv = gate_inv_new(3600);
	assert_int_equal(gate_inv_load(&g, err, sizeof(err)), 0);
	assert_int_equal(gate_inv_count(g.inv), 1);
	d = dev("00:11:22:33:44:77");
	assert_non_null(d);
	assert_memory_equal(d->addr, before.addr, sizeof(d->addr));
	assert_memory_equal(d->f, before.f, sizeof(d->f));
	assert_int_equal(d->naddr, 2);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	assert_int_equal(d->policy, GATE_POL_NOTIFY);
	assert_string_equal(d->notice_id, "RC-2026-0001");
	assert_int_equal(d->checked, 1234);
	assert_int_equal(d->first_seen, before.first_seen);
	assert_int_equal(d->last_seen, before.last_seen);
}

static void write_file(const char *text)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s", g.cfg.state_dir, GATED_INV_FILE);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void refused(const char *text, const char *expect)
{
	char path[420];
	write_file(text);
	gate_inv_free(g.inv);
	g.inv = gate_inv_new(3600);
	assert_int_equal(gate_inv_load(&g, err, sizeof(err)), -1);
	if (!strstr(err, expect) || !strstr(err, GATED_INV_FILE))
		fail_msg("error \"%s\" does not name \"%s\" and the file", err, expect);
	assert_int_equal(gate_inv_count(g.inv), 0);
	snprintf(path, sizeof(path), "%s/%s.bad", g.cfg.state_dir, GATED_INV_FILE);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/%s", g.cfg.state_dir, GATED_INV_FILE);
	assert_int_equal(access(path, F_OK), -1);
}

#define HEAD "{\"format\":\"recall-gate-inventory\",\"version\":1,\"devices\":["
#define DEV0                                                                                       \
	"{\"mac\":\"00:11:22:33:44:55\",\"first_seen\":1,\"last_seen\":2,\"checked\":0,"           \
	"\"notice\":\"\",\"state\":\"clear\",\"policy\":\"enforce\",\"addrs\":[],"
static void damaged_file_refused(void **state)
{
	(void)state;
	/* A good file first, to show the harness accepts it. */
	write_file(HEAD DEV0 "\"fields\":{}}]}");
	assert_int_equal(gate_inv_load(&g, err, sizeof(err)), 0);
	assert_int_equal(gate_inv_count(g.inv), 1);
	refused(HEAD DEV0 "\"fields\":{}}", ":1:"); /* truncated: line:column */
	refused("{\"format\":\"recall-gate-inventory\",\n\"version\":1,\n\"devices\":[,]}", ":3:");
	refused(HEAD DEV0 "\"fields\":{\"model\":{\"value\":7,\"source\":\"upnp\",\"seen\":1}}}]}",
		"devices[0].fields.model.value");
	refused(HEAD DEV0 "\"fields\":{\"colour\":{}}}]}", "devices[0].fields.colour");
	refused(HEAD DEV0 "\"fields\":{\"model\":{\"value\":\"a\\u001bb\",\"source\":\"upnp\","
			  "\"seen\":1}}}]}",
		"control bytes");
	refused(HEAD DEV0 "\"fields\":{}}," DEV0 "\"fields\":{}}]}", "devices[1]: the same mac");
	refused(HEAD "{\"mac\":\"01:00:5e:00:00:01\"}]}", "devices[0]");
	refused(HEAD DEV0 "\"fields\":{}, \"mac\":\"00:11:22:33:44:56\"}]}", "duplicate");
	refused("{\"format\":\"other\",\"version\":1,\"devices\":[]}", "format");
	refused(HEAD DEV0 "\"fields\":{}}]}\n\n garbage", ":3:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(merge_by_mac_and_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(randomised_mac_is_a_new_device, setup, teardown),
	    cmocka_unit_test_setup_teardown(several_addresses_newest_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(eviction_oldest_absent_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(persistence_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(damaged_file_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
