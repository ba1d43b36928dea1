/* recall-gate inputs that are not LAN datagrams: dnsmasq's dhcp-script argv + environment,
 * odhcpd's state-file lines, MUD files (RFC 8520), recall-agent announcements, and the URL
 * policies of the two fetches. Real-world-shaped samples and every refusal path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gate_assert.h"
#include "testutil.h"

static char err[256];

/* ---- DHCP (dnsmasq --dhcp-script) ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void dhcp_dnsmasq(void **state)
{
	struct gate_obs o;
	/* a udhcpc camera with vendor class and a MUD URL, as dnsmasq passes it */
	const char *argv[] = {"add", "44:47:cc:12:34:56", "192.168.1.64", "cam"};
	const char *env[] = {"DNSMASQ_INTERFACE=br-lan",
			     "DNSMASQ_SUPPLIED_HOSTNAME=HIKVISION-CAM",
			     "DNSMASQ_VENDOR_CLASS=udhcp 1.36.1",
			     "DNSMASQ_REQUESTED_OPTIONS=1,3,6,12,15,28,42",
			     "DNSMASQ_MUD_URL=https://mud.example.com/cam",
			     "DNSMASQ_TIME_REMAINING=43200",
			     "DNSMASQ_LEASE_EXPIRES=1795412961",
			     "DNSMASQ_TAGS=lan known"};
	assert_int_equal(gate_dhcp_parse(argv, N(argv), env, N(env), &o, err, sizeof(err)), 0);
	assert_true(o.has_mac);
	static const uint8_t mac[6] = {0x44, 0x47, 0xcc, 0x12, 0x34, 0x56};
	assert_memory_equal(o.mac, mac, 6);
	assert_int_equal(o.addr.family, 4);
	assert_memory_equal(o.addr.a, "\xc0\xa8\x01\x40", 4);
	assert_field(&o, GF_HOSTNAME, GS_DHCP, "HIKVISION-CAM"); /* the client's own name */
	assert_field(&o, GF_VENDOR_CLASS, GS_DHCP, "udhcp 1.36.1");
	assert_field(&o, GF_DHCP_PRL, GS_DHCP, "1,3,6,12,15,28,42");
	assert_field(&o, GF_MUD_URL, GS_DHCP, "https://mud.example.com/cam");
	/* argv hostname when the client sent none; old and del */
	const char *old[] = {"old", "44-47-CC-12-34-56", "192.168.1.64", "cam"};
	assert_int_equal(gate_dhcp_parse(old, N(old), NULL, 0, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_HOSTNAME, GS_DHCP, "cam");
	const char *del[] = {"del", "44:47:cc:12:34:56", "192.168.1.64"};
	assert_int_equal(gate_dhcp_parse(del, N(del), env, N(env), &o, err, sizeof(err)), 0);
	assert_true(o.has_mac);
	assert_empty(&o);
	/* DHCPv6: DUID in argv, MAC from DNSMASQ_MAC, vendor class data 0 */
	const char *v6[] = {"add", "00:01:00:01:2c:1f:aa:bb:44:47:cc:12:34:56", "2001:db8::64"};
	const char *env6[] = {"DNSMASQ_MAC=44:47:cc:12:34:56", "DNSMASQ_IAID=12345",
			      "DNSMASQ_VENDOR_CLASS_ID=4491", "DNSMASQ_VENDOR_CLASS0=docsis3.0",
			      "DNSMASQ_SERVER_DUID=00:01:00:01:aa"};
	assert_int_equal(gate_dhcp_parse(v6, N(v6), env6, N(env6), &o, err, sizeof(err)), 0);
	assert_int_equal(o.addr.family, 6);
	assert_memory_equal(o.mac, mac, 6);
	assert_field(&o, GF_VENDOR_CLASS, GS_DHCP6, "docsis3.0");
}

static void dhcp_refused(void **state)
{
	struct gate_obs o;
	const char *ok_env[] = {"DNSMASQ_SUPPLIED_HOSTNAME=x"};
	static const struct {
		const char *argv[5];
		size_t argc;
		const char *env[3];
		size_t nenv;
		const char *why;
	} bad[] = {
	    {{"tftp", "100", "192.168.1.2", "/f"}, 4, {NULL}, 0, "action"},
	    {{"add", "06-01:23:45:67:89:ab", "192.168.1.2"}, 3, {NULL}, 0, "Ethernet MAC"},
	    {{"add", "44:47:cc:12:34:56", "192.168.1.256"}, 3, {NULL}, 0, "IPv4"},
	    {{"add", "44:47:cc:12:34:56", "fe80::1%eth0"}, 3, {NULL}, 0, "IPv6"},
	    {{"add", "44:47:cc:12:34:56"}, 2, {NULL}, 0, "arguments"},
	    {{"add", "a", "b", "c", "d"}, 5, {NULL}, 0, "arguments"},
	    {{"add", "44:47:cc:12:34:56", "192.168.1.2"}, 3, {"PATH=/bin"}, 1, "DNSMASQ_"},
	    {{"add", "44:47:cc:12:34:56", "192.168.1.2"}, 3, {"DNSMASQ_X"}, 1, "DNSMASQ_"},
	    {{"add", "44:47:cc:12:34:56", "192.168.1.2"},
	     3,
	     {"DNSMASQ_MUD_URL=a", "DNSMASQ_MUD_URL=b"},
	     2,
	     "twice"},
	    {{"add", "44:47:cc:12:34:56", "192.168.1.2"},
	     3,
	     {"DNSMASQ_REQUESTED_OPTIONS=1,3;reboot"},
	     1,
	     "decimal"},
	    {{"add", "44:47:cc:12:34:56", "192.168.1.2"},
	     3,
	     {"DNSMASQ_REQUESTED_OPTIONS=1,,3"},
	     1,
	     "decimal"},
	    {{"add", "44:47:cc:12:34:56", "192.168.1.2"},
	     3,
	     {"DNSMASQ_MAC=44:47:cc:12:34:57"},
	     1,
	     "lease's MAC"},
	    {{"add", "00:01:00:01", "2001:db8::2"}, 3, {NULL}, 0, "DNSMASQ_MAC"},
	};
	for (size_t i = 0; i < N(bad); i++) {
		err[0] = '\0';
		assert_int_equal(gate_dhcp_parse(bad[i].argv, bad[i].argc, bad[i].env, bad[i].nenv,
						 &o, err, sizeof(err)),
				 -1);
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].why);
		assert_empty(&o);
	}
	/* too many variables, too long a value */
	const char *argv[] = {"add", "44:47:cc:12:34:56", "192.168.1.2"};
	const char *many[GATE_DHCP_ENV + 1];
	for (size_t i = 0; i < N(many); i++)
		many[i] = ok_env[0];
	assert_int_equal(gate_dhcp_parse(argv, 3, many, N(many), &o, err, sizeof(err)), -1);
	char *lng = malloc(GATE_DHCP_VAR_MAX + 40);
	strcpy(lng, "DNSMASQ_MUD_URL=");
	memset(lng + 16, 'a', GATE_DHCP_VAR_MAX);
	lng[16 + GATE_DHCP_VAR_MAX] = '\0';
	const char *envl[] = {lng};
	assert_int_equal(gate_dhcp_parse(argv, 3, envl, 1, &o, err, sizeof(err)), -1);
	/* a MUD URL too long to keep whole is refused; a long hostname is shortened */
	lng[16 + 200] = '\0';
	assert_int_equal(gate_dhcp_parse(argv, 3, envl, 1, &o, err, sizeof(err)), -1);
	memcpy(lng, "DNSMASQ_SUPPLIED_HOSTNAME=", 26);
	assert_int_equal(gate_dhcp_parse(argv, 3, envl, 1, &o, err, sizeof(err)), 0);
	assert_int_equal(strlen(o.f[GF_HOSTNAME].v), GATE_VAL_MAX - 1);
	free(lng);
	/* a shell-looking hostname is text: nothing here runs it, and controls are escaped */
	const char *envs[] = {"DNSMASQ_SUPPLIED_HOSTNAME=$(reboot);`id`\x1b]0;x\x07"};
	assert_int_equal(gate_dhcp_parse(argv, 3, envs, 1, &o, err, sizeof(err)), 0);
	assert_string_equal(o.f[GF_HOSTNAME].v, "$(reboot);`id`\\x1b]0;x\\x07");
}

/* ---- odhcpd state-file lines ---- */

static void odhcpd_lines(void **state)
{
	struct gate_obs o;
	const char *v4 = "# br-lan 4447cc123456 ipv4 cam 1795412961 c0a80140 32 192.168.1.64/32\n";
	assert_int_equal(gate_odhcpd_parse(v4, strlen(v4), &o, err, sizeof(err)), 0);
	assert_true(o.has_mac);
	assert_int_equal(o.mac[0], 0x44);
	assert_int_equal(o.addr.family, 4);
	assert_field(&o, GF_HOSTNAME, GS_DHCP, "cam");
	const char *v6 = "# br-lan 000100012c1faabb4447cc123456 1a2b3c - 1795412961 64 128 "
			 "2001:db8::64/128 2001:db8::65/128";
	assert_int_equal(gate_odhcpd_parse(v6, strlen(v6), &o, err, sizeof(err)), 0);
	assert_true(o.has_mac);
	assert_int_equal(o.mac[5], 0x56);
	assert_int_equal(o.addr.family, 6);
	assert_int_equal(o.f[GF_HOSTNAME].src, GS_NONE);
	const char *ll =
	    "# br-lan 000300014447cc123456 1 broken\\x20na\\x01me -1 64 128 2001:db8::7/128";
	assert_int_equal(gate_odhcpd_parse(ll, strlen(ll), &o, err, sizeof(err)), 0);
	assert_int_equal(o.mac[0], 0x44);
	assert_int_equal(o.f[GF_HOSTNAME].src, GS_NONE);
	/* DUID-EN: no MAC, address only */
	const char *en = "# br-lan 0002000009bf0102 1 h 0 64 128 2001:db8::8/128";
	assert_int_equal(gate_odhcpd_parse(en, strlen(en), &o, err, sizeof(err)), 0);
	assert_false(o.has_mac);
	static const char *const bad[] = {
	    "192.168.1.64\tcam.lan\tcam",                                /* hosts line */
	    "# br-lan 4447cc12345 ipv4 cam 0 1 32 192.168.1.64/32",      /* odd hex */
	    "# br-lan 4447cc1234567890 ipv4 cam 0 1 32 192.168.1.64/32", /* v4 not a MAC */
	    "# br-lan 4447cc123456 ipv4 cam 0 1 32 192.168.1.999/32",    /* bad address */
	    "# br-lan 4447cc123456 ipv4 cam 0 1 32",                     /* no address */
	};
	for (size_t i = 0; i < N(bad); i++)
		assert_int_equal(gate_odhcpd_parse(bad[i], strlen(bad[i]), &o, err, sizeof(err)),
				 -1);
}

/* ---- MUD ---- */

/* What the helper does with a fetched body: a MUD file is checked against the URL it was
 * fetched from (RFC 8520 3.3), a UPnP description is parsed as one. */
static void fetched_bodies(void **state)
{
	struct gate_obs o;
	size_t n;
	char *s = tu_read_data("gate/mud-lightbulb.json", &n);
	assert_int_equal(gate_fetched_parse(true, "https://lighting.example.com/lightbulb2000", s,
					    n, &o, err, sizeof(err)),
			 0);
	assert_field(&o, GF_MODEL, GS_MUD, "LightBulb 2000");
	assert_int_equal(gate_fetched_parse(true, "https://evil.example.net/lightbulb2000", s, n,
					    &o, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "mud-url is not the URL"));
	assert_empty(&o);
	free(s);
	s = tu_read_data("gate/upnp-hikvision.xml", &n);
	assert_int_equal(
	    gate_fetched_parse(false, "http://192.168.1.20/d.xml", s, n, &o, err, sizeof(err)), 0);
	assert_int_equal(o.f[GF_MANUFACTURER].src, GS_UPNP);
	free(s);
	(void)state;
}

static void mud_files(void **state)
{
	struct gate_obs o;
	size_t n;
	char *s = tu_read_data("gate/mud-lightbulb.json", &n);
	assert_int_equal(gate_mud_parse(s, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_MUD_URL, GS_MUD, "https://lighting.example.com/lightbulb2000");
	assert_field(&o, GF_MANUFACTURER, GS_MUD, "Example Lighting Inc.");
	assert_field(&o, GF_MODEL, GS_MUD, "LightBulb 2000");
	assert_field(&o, GF_FWVER, GS_MUD, "2.4.1"); /* firmware-rev over software-rev */
	assert_field(&o, GF_FRIENDLY, GS_MUD, "The BMS Example Light Bulb");
	assert_int_equal(gate_mud_check(s, n, "https://lighting.example.com/lightbulb2000", &o, err,
					sizeof(err)),
			 0);
	/* a file whose mud-url is not where it came from */
	assert_int_equal(
	    gate_mud_check(s, n, "https://evil.example.net/lightbulb2000", &o, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "mud-url"));
	assert_empty(&o);
	tu_write_seed("gate_mud", "lightbulb.json", (uint8_t *)s, n);
	free(s);
	const char *sw = "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"https://a.example/m\","
			 "\"software-rev\":\"1.0\",\"model-name\":\"M\"}}";
	assert_int_equal(gate_mud_parse(sw, strlen(sw), &o, err, sizeof(err)), 0);
	assert_field(&o, GF_FWVER, GS_MUD, "1.0");
	static const char *const bad[] = {
	    "{\"ietf-mud:mud\":{\"mud-version\":2,\"mud-url\":\"https://a.example/m\"}}",
	    "{\"ietf-mud:mud\":{\"mud-version\":1}}",
	    "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"https://a.example/m\","
	    "\"model-name\":7}}",
	    "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"https://a.example/m\","
	    "\"model-name\":\"a\",\"model-name\":\"b\"}}", /* duplicate key */
	    "{\"ietf-mud:mud\":[]}",
	    "{\"mud\":{}}",
	    "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"https://a.example/m\","
	    "\"model-name\":\"a\\u0000b\"}}", /* NUL inside */
	    "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"https://a.example/m\","
	    "\"model-name\":\"\xff\"}}", /* bad UTF-8 */
	    "{\"ietf-mud:mud\":",
	};
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(gate_mud_parse(bad[i], strlen(bad[i]), &o, err, sizeof(err)), -1);
		assert_true(strncmp(err, "MUD", 3) == 0);
		assert_empty(&o);
	}
	char deep[512] = "{\"ietf-mud:mud\":{\"mud-version\":1,\"mud-url\":\"https://a.example/m\","
			 "\"x\":";
	for (int i = 0; i < GATE_MUD_DEPTH; i++)
		strcat(deep, "[");
	for (int i = 0; i < GATE_MUD_DEPTH; i++)
		strcat(deep, "]");
	strcat(deep, "}}");
	assert_int_equal(gate_mud_parse(deep, strlen(deep), &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "deeper"));
	char *big = malloc(GATE_MUD_MAX + 1);
	memset(big, ' ', GATE_MUD_MAX + 1);
	assert_int_equal(gate_mud_parse(big, GATE_MUD_MAX + 1, &o, err, sizeof(err)), -1);
	free(big);
}

/* ---- agent announcements ---- */

static int ann(const char *s, struct gate_obs *o)
{
	return gate_announce_parse((const uint8_t *)s, strlen(s), o, err, sizeof(err));
}

static void announcements(void **state)
{
	struct gate_obs o;
	size_t n;
	char *s = tu_read_data("gate/announce-recalled.json", &n);
	assert_int_equal(gate_announce_parse((uint8_t *)s, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_MANUFACTURER, GS_AGENT, "tp-link");
	assert_field(&o, GF_MODEL, GS_AGENT, "archer%20ax21");
	assert_field(&o, GF_HWREV, GS_AGENT, "v1.26");
	assert_field(&o, GF_FWVER, GS_AGENT, "1.0.3 Build 2021");
	assert_field(&o, GF_AGENT_STATE, GS_AGENT, "quarantined");
	assert_field(&o, GF_AGENT_NOTICE, GS_AGENT, "CERT-2026-0042");
	tu_write_seed("gate_announce", "recalled.json", (uint8_t *)s, n);
	free(s);
	const char *rem = "{\"recall-agent\":1,\"event\":\"reminder\",\"state\":\"normal\","
			  "\"vendor\":\"acme\",\"model\":\"cam\",\"hwrev\":\"\",\"fwver\":\"1.0\","
			  "\"future\":{\"x\":[1,2]}}";
	assert_int_equal(ann(rem, &o), 0);
	assert_int_equal(o.f[GF_HWREV].src, GS_NONE);
	static const char *const bad[] = {
	    "{\"recall-agent\":2,\"state\":\"normal\",\"vendor\":\"a\",\"model\":\"b\","
	    "\"fwver\":\"1\"}",
	    "{\"state\":\"normal\",\"vendor\":\"a\",\"model\":\"b\",\"fwver\":\"1\"}",
	    "{\"recall-agent\":1,\"state\":\"normal\",\"vendor\":\"TP-Link\",\"model\":\"b\","
	    "\"fwver\":\"1\"}", /* not canonical */
	    "{\"recall-agent\":1,\"state\":\"normal\",\"vendor\":\"a\",\"model\":\"b c\","
	    "\"fwver\":\"1\"}",
	    "{\"recall-agent\":1,\"state\":\"normal\",\"vendor\":\"a\",\"model\":\"b\","
	    "\"fwver\":\"1\\n2\"}",
	    "{\"recall-agent\":1,\"state\":\"<b>\",\"vendor\":\"a\",\"model\":\"b\","
	    "\"fwver\":\"1\"}",
	    "{\"recall-agent\":1,\"state\":\"normal\",\"vendor\":\"a\",\"model\":\"b\"}",
	    "{\"recall-agent\":1,\"state\":\"normal\",\"vendor\":\"a\",\"model\":\"b\","
	    "\"fwver\":\"1\",\"notice\":\"id with space\"}",
	    "{\"recall-agent\":1,\"state\":\"normal\",\"vendor\":\"a\",\"vendor\":\"b\","
	    "\"model\":\"b\",\"fwver\":\"1\"}",
	    "[1]",
	    "{\"recall-agent\":1,",
	};
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(ann(bad[i], &o), -1);
		assert_true(strncmp(err, "announcement", 12) == 0);
		assert_empty(&o);
	}
	char big[GATE_ANNOUNCE_MAX + 2];
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, rem, strlen(rem));
	assert_int_equal(ann(big, &o), -1);
}

/* ---- URL policies ---- */

static void url_upnp(void **state)
{
	struct gate_addr v4 = {.family = 4, .a = {192, 168, 1, 64}};
	struct gate_addr v6 = {.family = 6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x64}};
	assert_int_equal(
	    gate_url_check_upnp("http://192.168.1.64/rootDesc.xml", &v4, err, sizeof(err)), 0);
	assert_int_equal(
	    gate_url_check_upnp("HTTP://192.168.1.64:49152/d.xml?x=1", &v4, err, sizeof(err)), 0);
	assert_int_equal(
	    gate_url_check_upnp("http://[2001:db8::64]:80/d.xml", &v6, err, sizeof(err)), 0);
	assert_int_equal(gate_url_check_upnp("http://192.168.1.64", &v4, err, sizeof(err)), 0);
	static const struct {
		const char *url;
		const char *why;
	} bad[] = {
	    {"http://192.168.1.65/d.xml", "sender"},         /* another device */
	    {"http://192.168.1.1/cgi-bin/reboot", "sender"}, /* the gateway */
	    {"http://127.0.0.1/d.xml", "sender"},
	    {"http://camera.lan/d.xml", "IPv4"}, /* names resolve anywhere */
	    {"http://user:pw@192.168.1.64/d.xml", "userinfo"},
	    {"http://192.168.1.65@192.168.1.64/", "userinfo"},
	    {"https://192.168.1.64/d.xml", "scheme"},
	    {"file:///etc/passwd", "scheme"},
	    {"http://192.168.1.64:0/", "port"},
	    {"http://192.168.1.64:65536/", "port"},
	    {"http://192.168.1.64:80x/", "port"},
	    {"http://192.168.1.64/a b", "not allowed"},
	    {"http://192.168.1.64/\\x1b", "not allowed"},
	    {"http://192.168.1.64/%zz", "escape"},
	    {"http://0300.0250.1.64/", "IPv4"}, /* inet_aton forms */
	    {"http://[2001:db8::64]/", "IPv4"}, /* v6 literal, v4 sender */
	    {"http:/192.168.1.64/", "scheme"},
	    {"http://", "no host"},
	};
	for (size_t i = 0; i < N(bad); i++) {
		err[0] = '\0';
		assert_int_equal(gate_url_check_upnp(bad[i].url, &v4, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].url, err, bad[i].why);
	}
	assert_int_equal(gate_url_check_upnp("http://[2001:db8::65]/", &v6, err, sizeof(err)), -1);
	assert_int_equal(gate_url_check_upnp("http://[fe80::1%25eth0]/", &v6, err, sizeof(err)),
			 -1);
	assert_int_equal(gate_url_check_upnp("http://192.168.1.64/", NULL, err, sizeof(err)), -1);
	char lng[GATE_URL_MAX + 40] = "http://192.168.1.64/";
	memset(lng + 20, 'a', GATE_URL_MAX);
	lng[20 + GATE_URL_MAX] = '\0';
	assert_int_equal(gate_url_check_upnp(lng, &v4, err, sizeof(err)), -1);
}

static void url_mud(void **state)
{
	assert_int_equal(
	    gate_url_check_mud("https://lighting.example.com/lightbulb2000", err, sizeof(err)), 0);
	assert_int_equal(
	    gate_url_check_mud("https://mud.example.com:8443/v1/cam", err, sizeof(err)), 0);
	static const char *const bad[] = {
	    "http://lighting.example.com/lightbulb2000", /* not https */
	    "https://user@lighting.example.com/x",       /* userinfo */
	    "https:///x",                                /* no host */
	    "https://192.168.1.1/x",                     /* IP literal */
	    "https://[2001:db8::1]/x",
	    "https://3232235777/x", /* a number is an address */
	    "https://localhost/x",
	    "https://printer.local/x",
	    "https://intranet/x", /* no dot */
	    "https://a.example.com/x y",
	    "https://a_b.example.com/x",
	    "ftp://a.example.com/x",
	    "https://a.example.com:4294967739/x", /* wraps to 443 in 32 bits */
	    "https://a.example.com:65536/x",
	};
	for (size_t i = 0; i < N(bad); i++)
		if (gate_url_check_mud(bad[i], err, sizeof(err)) != -1)
			fail_msg("%s accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dhcp_dnsmasq),   cmocka_unit_test(dhcp_refused),
	    cmocka_unit_test(odhcpd_lines),   cmocka_unit_test(mud_files),
	    cmocka_unit_test(fetched_bodies), cmocka_unit_test(announcements),
	    cmocka_unit_test(url_upnp),       cmocka_unit_test(url_mud),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
