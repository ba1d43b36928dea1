/* recall-gate identity with confidence (gate/identity.c): the ladder declared > described >
 * model > unknown on observations as the parsers give them, canonical names (PROTOCOL.md 5.2)
 * through the installed tables gate/data/vendors.map, oui.txt and dhcp-fingerprints.txt, the
 * mapping text, randomised MACs, the source ranks the inventory merges by, and bad tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "parse.h"
#include "testutil.h"

#define MAP RECALL_SOURCE_DIR "/gate/data/vendors.map"
#define OUI RECALL_SOURCE_DIR "/gate/data/oui.txt"
#define FPS RECALL_SOURCE_DIR "/gate/data/dhcp-fingerprints.txt"

static char err[256];
static const void *al;

/* Line number of the first line of file that starts with prefix (the tables may grow). */
static unsigned line_of(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[600];
	unsigned n = 0, hit = 0;
	while (!hit && fgets(buf, sizeof(buf), f)) {
		n++;
		if (!strncmp(buf, prefix, strlen(prefix)))
			hit = n;
	}
	fclose(f);
	assert_true(hit > 0);
	return hit;
}

static int setup(void **state)
{
	al = gate_aliases_load(MAP, OUI, err, sizeof(err));
	if (!al)
		fprintf(stderr, "%s\n", err);
	return al ? 0 : -1;
}

static int teardown(void **state)
{
	gate_aliases_free(al);
	return 0;
}

static void set(struct gate_device *d, enum gate_field f, enum gate_src src, const char *v)
{
	snprintf(d->f[f].v, sizeof(d->f[f].v), "%s", v);
	d->f[f].src = (uint8_t)src;
}

/* A device from one parsed sample (as the inventory would hold it). */
static void from_obs(struct gate_device *d, const struct gate_obs *o)
{
	for (int f = 0; f < GF__N; f++)
		if (o->f[f].src)
			d->f[f] = o->f[f];
}

static void assert_id(const struct gate_device *d, enum gate_conf c, const char *v, const char *m,
		      const char *fw)
{
	assert_int_equal(d->conf, c);
	assert_string_equal(d->id_store[0], v);
	assert_string_equal(d->id_store[1], m);
	assert_string_equal(d->id_store[3], fw);
	assert_true(rc_str_eq(d->id.vendor, rc_str_c(v)));
	assert_true(rc_str_eq(d->id.fwver, rc_str_c(fw)));
	if (c >= GATE_CONF_DESCRIBED)
		assert_int_equal(rc_identity_check(&d->id), 0);
}

static void described_upnp(void **state)
{
	struct gate_device d = {0};
	struct gate_obs o;
	size_t n;
	char *x = tu_read_data("gate/upnp-ptzoptics.xml", &n);
	assert_int_equal(gate_upnp_parse(x, n, &o, err, sizeof(err)), 0);
	free(x);
	from_obs(&d, &o);
	assert_int_equal(gate_identity(&d, al), 1);
	/* the lab's recalled camera (CVE-2024-8956): ptzoptics / pt30x-ndi / 6.3.34 */
	assert_id(&d, GATE_CONF_DESCRIBED, "ptzoptics", "pt30x-ndi", "6.3.34");
	assert_string_equal(d.mapping, "");         /* the name was canonical already */
	assert_int_equal(gate_identity(&d, al), 0); /* unchanged */
}

static void model_only_alias(void **state)
{
	struct gate_device d = {0};
	struct gate_obs o;
	size_t n;
	char *x = tu_read_data("gate/upnp-hikvision.xml", &n);
	assert_int_equal(gate_upnp_parse(x, n, &o, err, sizeof(err)), 0);
	free(x);
	from_obs(&d, &o);
	assert_int_equal(gate_identity(&d, al), 1);
	assert_id(&d, GATE_CONF_MODEL, "hikvision", "ds-2cd2142fwd-i", "");
	char want[GATE_VAL_MAX];
	snprintf(want, sizeof(want),
		 "Hikvision Digital Technology Co., Ltd. -> hikvision (vendors.map:%u)",
		 line_of(MAP, "Hikvision Digital Technology Co., Ltd.\t"));
	assert_string_equal(d.mapping, want);
	/* case and spacing of the raw name do not matter */
	set(&d, GF_MANUFACTURER, GS_UPNP, "  hikvision  DIGITAL technology co., ltd. ");
	gate_identity(&d, al);
	assert_string_equal(d.id_store[0], "hikvision");
	/* a firmware build from the owner makes it checkable (described: vendor from UPnP) */
	set(&d, GF_FWVER, GS_OWNER, "V5.5.0 build 170725");
	assert_int_equal(gate_identity(&d, al), 1);
	assert_id(&d, GATE_CONF_DESCRIBED, "hikvision", "ds-2cd2142fwd-i", "V5.5.0 build 170725");
	/* a firmware string that is no fwver (not ASCII) is no build */
	set(&d, GF_FWVER, GS_UPNP, "V5\xc3\xa9");
	gate_identity(&d, al);
	assert_int_equal(d.conf, GATE_CONF_MODEL);
	/* model number stands in for a missing model name */
	struct gate_device e = {0};
	set(&e, GF_MANUFACTURER, GS_UPNP, "Zyxel Communications Corporation");
	set(&e, GF_MODEL_NUMBER, GS_UPNP, "USG FLEX 100");
	gate_identity(&e, al);
	assert_id(&e, GATE_CONF_MODEL, "zyxel", "usg%20flex%20100", "");
}

static void declared(void **state)
{
	struct gate_device d = {0};
	struct gate_obs o;
	size_t n;
	char *x = tu_read_data("gate/announce-recalled.json", &n);
	assert_int_equal(gate_announce_parse((uint8_t *)x, n, &o, err, sizeof(err)), 0);
	free(x);
	from_obs(&d, &o);
	gate_identity(&d, al);
	/* the agent's names are canonical and used as they are (not escaped again) */
	assert_id(&d, GATE_CONF_DECLARED, "tp-link", "archer%20ax21", "1.0.3 Build 2021");
	assert_string_equal(d.id_store[2], "v1.26");
	assert_string_equal(d.mapping, "");
	/* the MUD file naming firmware: declared */
	struct gate_device m = {0};
	x = tu_read_data("gate/mud-lightbulb.json", &n);
	assert_int_equal(gate_mud_parse(x, n, &o, err, sizeof(err)), 0);
	free(x);
	from_obs(&m, &o);
	gate_identity(&m, al);
	assert_id(&m, GATE_CONF_DECLARED, "example%20lighting%20inc.", "lightbulb%202000", "2.4.1");
	/* a declared build with the model from a lesser source is only described */
	set(&m, GF_MODEL, GS_MDNS, "LightBulb 2000");
	gate_identity(&m, al);
	assert_int_equal(m.conf, GATE_CONF_DESCRIBED);
	/* a non-canonical name claimed by an agent (a persisted, edited inventory): unknown */
	set(&d, GF_MANUFACTURER, GS_AGENT, "TP-Link");
	gate_identity(&d, al);
	assert_int_equal(d.conf, GATE_CONF_UNKNOWN);
}

static void oui_and_random(void **state)
{
	struct gate_device d = {.mac = {0x44, 0x47, 0xcc, 0x12, 0x34, 0x56}};
	set(&d, GF_MODEL, GS_MDNS, "DS-2CD2142FWD-I");
	assert_int_equal(gate_identity(&d, al), 1);
	assert_id(&d, GATE_CONF_MODEL, "hikvision", "ds-2cd2142fwd-i", "");
	char want[GATE_VAL_MAX];
	snprintf(want, sizeof(want), "OUI 44:47:cc -> hikvision (oui.txt:%u)",
		 line_of(OUI, "4447CC\t"));
	assert_string_equal(d.mapping, want);
	/* even with a build from mDNS, an OUI-derived vendor keeps it model-only: the OUI
	 * names the network chip's maker, which is often not the device's */
	set(&d, GF_FWVER, GS_MDNS, "V5.4.5");
	gate_identity(&d, al);
	assert_int_equal(d.conf, GATE_CONF_MODEL);
	assert_string_equal(d.id_store[3], "");
	/* the same prefix with the locally administered bit: a randomised MAC, no vendor */
	d.mac[0] = 0x46;
	assert_int_equal(gate_identity(&d, al), 1);
	assert_int_equal(d.conf, GATE_CONF_UNKNOWN);
	assert_string_equal(d.mapping, "");
	assert_null(d.id.vendor.p);
	assert_null(gate_alias_oui(al, d.mac, NULL)); /* the table lookup refuses it too */
	d.mac[0] = 0x44;
	assert_non_null(gate_alias_oui(al, d.mac, NULL));
	d.mac_random = true; /* the inventory's flag is honoured too */
	gate_identity(&d, al);
	assert_int_equal(d.conf, GATE_CONF_UNKNOWN);
	/* a silent device: OUI, DHCP fingerprint, no model: unknown */
	struct gate_device s = {.mac = {0x44, 0x47, 0xcc, 1, 2, 3}};
	set(&s, GF_VENDOR_CLASS, GS_DHCP, "udhcp 1.36.1");
	set(&s, GF_DHCP_PRL, GS_DHCP, "1,3,6,12,15,28,42");
	gate_identity(&s, al);
	assert_int_equal(s.conf, GATE_CONF_UNKNOWN);
	/* no tables at all: names canonicalised as they are */
	struct gate_device t = {0};
	set(&t, GF_MANUFACTURER, GS_UPNP, "D-Link Corporation");
	set(&t, GF_MODEL, GS_UPNP, "DIR-605L");
	gate_identity(&t, NULL);
	assert_id(&t, GATE_CONF_MODEL, "d-link%20corporation", "dir-605l", "");
	gate_identity(&t, al);
	assert_id(&t, GATE_CONF_MODEL, "d-link", "dir-605l", "");
	/* a model whose canonical form is over 64 bytes is no identity (never truncated) */
	set(&t, GF_MODEL, GS_UPNP, "A Very Long Model Name That Goes On / And On And On For Ever");
	gate_identity(&t, al);
	assert_int_equal(t.conf, GATE_CONF_UNKNOWN);
	assert_int_equal(gate_identity(NULL, al), -1);
}

/* A silent device known by its OUI and DHCP fingerprint (dhcp-fingerprints.txt): model only,
 * whatever else it claims; any difference in option 60 or 55, another OUI vendor, a randomised
 * MAC or a model from a real source and the table is not used. */
static void fingerprint(void **state)
{
	const void *a = gate_aliases_load(MAP, OUI, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(gate_fingerprints_load(a, FPS, err, sizeof(err)), 0);
	unsigned line = line_of(FPS, "d-link\t");
	char want[128];
	/* 00:1b:11 is a D-Link OUI (oui.txt) */
	struct gate_device s = {.mac = {0x00, 0x1b, 0x11, 0x50, 0x0c, 0x03}};
	set(&s, GF_VENDOR_CLASS, GS_DHCP, "udhcp 1.19.4");
	set(&s, GF_DHCP_PRL, GS_DHCP, "1,3,6,12,15,28,33,42,121");
	assert_int_equal(gate_identity(&s, a), 1);
	assert_id(&s, GATE_CONF_MODEL, "d-link", "dir-605l", "");
	snprintf(want, sizeof(want),
		 "OUI 00:1b:11 + DHCP options 60, 55 -> d-link dir-605l (dhcp-fingerprints.txt:%u)",
		 line);
	assert_string_equal(s.mapping, want);
	/* a firmware version from DHCP-rank sources does not make a guess a build */
	set(&s, GF_FWVER, GS_SSDP, "2.06B01");
	gate_identity(&s, a);
	assert_int_equal(s.conf, GATE_CONF_MODEL);
	assert_string_equal(s.id_store[3], "");
	s.f[GF_FWVER].src = GS_NONE;
	/* one option more, another vendor class, another OUI vendor, a randomised MAC: unknown */
	set(&s, GF_DHCP_PRL, GS_DHCP, "1,3,6,12,15,28,33,42,121,249");
	gate_identity(&s, a);
	assert_int_equal(s.conf, GATE_CONF_UNKNOWN);
	set(&s, GF_DHCP_PRL, GS_DHCP, "1,3,6,12,15,28,33,42,121");
	set(&s, GF_VENDOR_CLASS, GS_DHCP, "udhcp 1.19.5");
	gate_identity(&s, a);
	assert_int_equal(s.conf, GATE_CONF_UNKNOWN);
	set(&s, GF_VENDOR_CLASS, GS_DHCP, "udhcp 1.19.4");
	gate_identity(&s, a);
	assert_int_equal(s.conf, GATE_CONF_MODEL);
	s.mac[0] = 0x44, s.mac[1] = 0x47, s.mac[2] = 0xcc; /* Hikvision */
	gate_identity(&s, a);
	assert_int_equal(s.conf, GATE_CONF_UNKNOWN);
	s.mac[0] = 0x02, s.mac[1] = 0x1b, s.mac[2] = 0x11; /* locally administered */
	gate_identity(&s, a);
	assert_int_equal(s.conf, GATE_CONF_UNKNOWN);
	s.mac[0] = 0x00;
	/* a model from the network wins over the table */
	set(&s, GF_MODEL, GS_MDNS, "DCS-930L");
	gate_identity(&s, a);
	assert_id(&s, GATE_CONF_MODEL, "d-link", "dcs-930l", "");
	assert_null(strstr(s.mapping, "fingerprints"));
	/* without the table the silent device stays unknown */
	s.f[GF_MODEL].src = GS_NONE;
	gate_identity(&s, al);
	assert_int_equal(s.conf, GATE_CONF_UNKNOWN);
	/* bad lines: file:line, and the tables keep no fingerprint */
	char dir[] = "/tmp/test_gate_identity.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[128];
	snprintf(p, sizeof(p), "%s/fp", dir);
	static const char *const bad[] = {
	    "d-link\tudhcp 1.19.4\t1,3,6\n",           /* three fields */
	    "D-Link\tudhcp 1.19.4\t1,3,6\tdir-605l\n", /* vendor not canonical */
	    "d-link\tudhcp 1.19.4\t1,3,,6\tdir-605l\n",
	    "d-link\tudhcp 1.19.4\t1;3\tdir-605l\n",
	    "d-link\t\t1,3\tdir-605l\n", /* no vendor class */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fprintf(f, "# c\n%s", bad[i]);
		fclose(f);
		assert_int_equal(gate_fingerprints_load(a, p, err, sizeof(err)), -1);
		if (!strstr(err, ":2:"))
			fail_msg("case %zu: \"%s\"", i, err);
	}
	unlink(p);
	rmdir(dir);
	gate_identity(&s, a);
	assert_int_equal(s.conf, GATE_CONF_UNKNOWN);
	gate_aliases_free(a);
}

static void ranks(void **state)
{
	assert_true(gate_src_rank(GS_AGENT) == gate_src_rank(GS_MUD));
	assert_true(gate_src_rank(GS_OWNER) == gate_src_rank(GS_AGENT));
	assert_true(gate_src_rank(GS_MUD) > gate_src_rank(GS_UPNP));
	assert_true(gate_src_rank(GS_UPNP) == gate_src_rank(GS_MDNS));
	assert_true(gate_src_rank(GS_MDNS) > gate_src_rank(GS_SSDP));
	assert_true(gate_src_rank(GS_SSDP) > gate_src_rank(GS_DHCP));
	assert_true(gate_src_rank(GS_DHCP) > gate_src_rank(GS_OUI));
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void bad_tables(void **state)
{
	char dir[] = "/tmp/test_gate_identity.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[128];
	snprintf(p, sizeof(p), "%s/t", dir);
	static const struct {
		const char *text;
		bool oui;
		const char *where;
	} bad[] = {
	    {"# ok\nAcme Ltd\tACME\n", false, ":2:"}, /* not canonical */
	    {"Acme Ltd\n", false, ":1:"},             /* no tab */
	    {"Acme\tacme\textra\n", false, ":1:"},    /* three fields */
	    {"\tacme\n", false, ":1:"},               /* empty raw */
	    {"4447CC\thikvision\tx\n4447C\tx\tx\n", true, ":2:"},
	    {"4447GG\thikvision\tx\n", true, ":1:"},
	    {"4647CC\thikvision\tx\n", true, ":1:"}, /* locally administered */
	    {"4547CC\thikvision\tx\n", true, ":1:"}, /* group */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(p, bad[i].text);
		const void *a = gate_aliases_load(bad[i].oui ? NULL : p, bad[i].oui ? p : NULL, err,
						  sizeof(err));
		assert_null(a);
		if (!strstr(err, bad[i].where))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].where);
	}
	char *lng = malloc(2000);
	memset(lng, 'a', 1999);
	lng[1999] = '\0';
	write_file(p, lng);
	free(lng);
	assert_null(gate_aliases_load(p, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "longer"));
	unlink(p);
	assert_null(gate_aliases_load(p, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(described_upnp), cmocka_unit_test(model_only_alias),
	    cmocka_unit_test(declared),       cmocka_unit_test(oui_and_random),
	    cmocka_unit_test(ranks),          cmocka_unit_test(bad_tables),
	    cmocka_unit_test(fingerprint),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
