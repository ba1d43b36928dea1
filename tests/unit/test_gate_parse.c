/* recall-gate parsers of LAN datagrams: SSDP, UPnP descriptions (libxml2) and mDNS (ldns), on
 * real-world-shaped samples (tests/data/gate) and every refusal: oversize, bad lines, XML
 * entity tricks, DOCTYPEs, deep nesting, DNS compression loops. Each sample that parses is
 * also written as a fuzz seed (RECALL_WRITE_SEEDS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ldns/ldns.h>

#include "gate_assert.h"
#include "testutil.h"

static char err[256];

/* ---- SSDP ---- */

static int ssdp(const char *s, struct gate_obs *o)
{
	return gate_ssdp_parse((const uint8_t *)s, strlen(s), o, err, sizeof(err));
}

static void ssdp_samples(void **state)
{
	struct gate_obs o;
	size_t n;
	char *s = tu_read_data("gate/ssdp-notify.txt", &n);
	assert_int_equal(gate_ssdp_parse((uint8_t *)s, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_UPNP_URL, GS_SSDP, "http://192.168.1.64:80/upnp/rootDesc.xml");
	tu_write_seed("gate_ssdp", "notify.txt", (uint8_t *)s, n);
	free(s);
	s = tu_read_data("gate/ssdp-reply.txt", &n);
	assert_int_equal(gate_ssdp_parse((uint8_t *)s, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_UPNP_URL, GS_SSDP, "http://192.168.1.11:49152/description.xml");
	tu_write_seed("gate_ssdp", "reply.txt", (uint8_t *)s, n);
	free(s);
	/* a search from a phone says nothing about the phone: empty, not an error */
	s = tu_read_data("gate/ssdp-msearch.txt", &n);
	assert_int_equal(gate_ssdp_parse((uint8_t *)s, n, &o, err, sizeof(err)), 0);
	assert_empty(&o);
	tu_write_seed("gate_ssdp", "msearch.txt", (uint8_t *)s, n);
	free(s);
	/* LF line ends and a byebye without LOCATION */
	assert_int_equal(ssdp("NOTIFY * HTTP/1.1\nNTS: ssdp:byebye\n\n", &o), 0);
	assert_empty(&o);
}

static void ssdp_refused(void **state)
{
	struct gate_obs o;
	static const char *const bad[] = {
	    "GET / HTTP/1.1\r\n\r\n",                          /* not SSDP */
	    "NOTIFY * HTTP/1.1\r\nLOCATION: http://a/\r\n",    /* no end of headers */
	    "NOTIFY * HTTP/1.1\r\nLOCATION http://a/\r\n\r\n", /* no colon */
	    "NOTIFY * HTTP/1.1\r\n: x\r\n\r\n",                /* empty name */
	    "NOTIFY * HTTP/1.1\r\nLOC ATION: x\r\n\r\n",       /* not a token */
	    "NOTIFY * HTTP/1.1\r\nA: b\r\n c\r\n\r\n",         /* folded line */
	    "NOTIFY * HTTP/1.1\r\nA: b\rc\r\n\r\n",            /* bare CR */
	    "NOTIFY * HTTP/1.1\r\nLOCATION: http://a/\r\nLocation: http://b/\r\n\r\n",
	    "NOTIFY * HTTP/1.1\r\nLOCATION: http://192.168.1.2/\x1b[2J\r\n\r\n" /* ok below */,
	};
	for (size_t i = 0; i + 1 < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(ssdp(bad[i], &o), -1);
		assert_true(strncmp(err, "SSDP", 4) == 0);
		assert_empty(&o);
	}
	assert_int_equal(ssdp(bad[5], &o), -1);
	assert_non_null(strstr(err, "folded"));
	/* a control byte in a value is sanitised (and the URL policy refuses it later) */
	assert_int_equal(ssdp(bad[8], &o), 0);
	assert_string_equal(o.f[GF_UPNP_URL].v, "http://192.168.1.2/\\x1b[2J");
	/* NUL, oversize datagram, long line, too many lines, too long LOCATION */
	assert_int_equal(gate_ssdp_parse((const uint8_t *)"NOTIFY * HTTP/1.1\r\n\0\r\n\r\n", 24, &o,
					 err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "NUL"));
	char *big = malloc(GATE_SSDP_MAX + 2);
	memset(big, 'a', GATE_SSDP_MAX + 1);
	big[GATE_SSDP_MAX + 1] = '\0';
	assert_int_equal(ssdp(big, &o), -1);
	memcpy(big, "NOTIFY * HTTP/1.1\r\nX: ", 22);
	strcpy(big + 22 + GATE_SSDP_LINE_MAX, "\r\n\r\n");
	assert_int_equal(ssdp(big, &o), -1);
	assert_non_null(strstr(err, "line 2"));
	strcpy(big, "NOTIFY * HTTP/1.1\r\n");
	for (int i = 0; i < GATE_SSDP_LINES + 1; i++)
		strcat(big, "A: b\r\n");
	strcat(big, "\r\n");
	assert_int_equal(ssdp(big, &o), -1);
	assert_non_null(strstr(err, "header lines"));
	strcpy(big, "NOTIFY * HTTP/1.1\r\nLOCATION: http://192.168.1.2/");
	memset(big + strlen(big), 'p', 200);
	strcpy(big + 48 + 200, "\r\n\r\n");
	assert_int_equal(ssdp(big, &o), -1);
	assert_non_null(strstr(err, "longer than"));
	free(big);
}

/* ---- UPnP ---- */

static int upnp_file(const char *rel, struct gate_obs *o, const char *seed)
{
	size_t n;
	char *s = tu_read_data(rel, &n);
	int r = gate_upnp_parse(s, n, o, err, sizeof(err));
	if (seed)
		tu_write_seed("gate_upnp", seed, (uint8_t *)s, n);
	free(s);
	return r;
}

static void upnp_samples(void **state)
{
	struct gate_obs o;
	assert_int_equal(upnp_file("gate/upnp-hikvision.xml", &o, "hikvision.xml"), 0);
	assert_field(&o, GF_MANUFACTURER, GS_UPNP, "Hikvision Digital Technology Co., Ltd.");
	assert_field(&o, GF_MODEL, GS_UPNP, "DS-2CD2142FWD-I");
	assert_field(&o, GF_MODEL_NUMBER, GS_UPNP, "DS-2CD2142FWD-I");
	assert_field(&o, GF_FRIENDLY, GS_UPNP, "DS-2CD2142FWD-I - 712345678");
	assert_int_equal(o.f[GF_FWVER].src, GS_NONE);
	/* the root device's vendor firmwareVersion; the embedded device is not read */
	assert_int_equal(upnp_file("gate/upnp-ptzoptics.xml", &o, "ptzoptics.xml"), 0);
	assert_field(&o, GF_MANUFACTURER, GS_UPNP, "PTZOptics");
	assert_field(&o, GF_MODEL, GS_UPNP, "PT30X-NDI");
	assert_field(&o, GF_MODEL_NUMBER, GS_UPNP, "PT30X-NDI-GY");
	assert_field(&o, GF_FWVER, GS_UPNP, "6.3.34");
	assert_field(&o, GF_FRIENDLY, GS_UPNP, "PTZOptics Camera & Studio");
	/* softwareVersion when there is no firmwareVersion; firmwareVersion wins over it */
	const char *sw = "<root xmlns='urn:schemas-upnp-org:device-1-0'><device>"
			 "<manufacturer>Sonos, Inc.</manufacturer><modelName>Sonos One</modelName>"
			 "<softwareVersion>56.0-76060</softwareVersion></device></root>";
	assert_int_equal(gate_upnp_parse(sw, strlen(sw), &o, err, sizeof(err)), 0);
	assert_field(&o, GF_FWVER, GS_UPNP, "56.0-76060");
	tu_write_seed("gate_upnp", "softwareversion.xml", (const uint8_t *)sw, strlen(sw));
	const char *both =
	    "<root xmlns='urn:schemas-upnp-org:device-1-0'><device>"
	    "<softwareVersion>2</softwareVersion><firmwareVersion>1</firmwareVersion>"
	    "<modelName>M</modelName></device></root>";
	assert_int_equal(gate_upnp_parse(both, strlen(both), &o, err, sizeof(err)), 0);
	assert_field(&o, GF_FWVER, GS_UPNP, "1");
	/* bidi overrides and line breaks in a friendlyName arrive escaped, markup as text */
	const char *evil = "<root xmlns='urn:schemas-upnp-org:device-1-0'><device><friendlyName>"
			   "<![CDATA[<script>x</script>]]>&#x202e;\xe2\x80\x8b\n"
			   "</friendlyName></device></root>";
	assert_int_equal(gate_upnp_parse(evil, strlen(evil), &o, err, sizeof(err)), 0);
	assert_string_equal(o.f[GF_FRIENDLY].v, "<script>x</script>\\u202e\\u200b");
	/* an ESC is not even XML: refused by libxml2 */
	const char *esc = "<root xmlns='urn:schemas-upnp-org:device-1-0'><device><friendlyName>"
			  "\x1b[2J</friendlyName></device></root>";
	assert_int_equal(gate_upnp_parse(esc, strlen(esc), &o, err, sizeof(err)), -1);
}

static void upnp_refused(void **state)
{
	struct gate_obs o;
	/* entity tricks never expand nor fetch: refused whole */
	assert_int_equal(upnp_file("gate/upnp-xxe.xml", &o, NULL), -1);
	assert_non_null(strstr(err, "DOCTYPE or ENTITY declaration")); /* before libxml2 ran */
	assert_empty(&o);
	assert_int_equal(upnp_file("gate/upnp-laughs.xml", &o, NULL), -1);
	assert_non_null(strstr(err, "DOCTYPE or ENTITY declaration"));
	assert_empty(&o);
	assert_int_equal(upnp_file("gate/upnp-dtd-system.xml", &o, NULL), -1);
	assert_non_null(strstr(err, "DOCTYPE or ENTITY declaration"));
	assert_empty(&o);
	/* the same entity trick in UTF-16 (where a byte scan for "<!DOCTYPE" sees nothing) */
	const char *x16 =
	    "<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE root [<!ENTITY a "
	    "SYSTEM 'file:///etc/passwd'>]><root xmlns='urn:schemas-upnp-org:device-1-0'>"
	    "<device><manufacturer>&a;</manufacturer></device></root>";
	size_t n16 = 2 + 2 * strlen(x16);
	char *u16 = calloc(1, n16);
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (size_t i = 0; x16[i]; i++)
		u16[2 + 2 * i] = x16[i];
	assert_int_equal(gate_upnp_parse(u16, n16, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not UTF-8")); /* before libxml2 ran */
	assert_empty(&o);
	tu_write_seed("gate_upnp", "bad-utf16-doctype.xml", (uint8_t *)u16, n16);
	free(u16);
	/* a declared Latin-1 document is read as UTF-8: its 0xe9 is invalid and refused */
	const char *l1 = "<?xml version='1.0' encoding='ISO-8859-1'?><root "
			 "xmlns='urn:schemas-upnp-org:device-1-0'><device><modelName>caf\xe9"
			 "</modelName></device></root>";
	assert_int_equal(gate_upnp_parse(l1, strlen(l1), &o, err, sizeof(err)), -1);
	static const char *const bad[] = {
	    "<root xmlns='urn:schemas-upnp-org:device-1-0'><device>", /* not closed */
	    "<html><device><modelName>x</modelName></device></html>", /* not UPnP */
	    "<root xmlns='urn:other'><device><modelName>x</modelName></device></root>",
	    "<x:root xmlns:x='urn:other' xmlns='urn:schemas-upnp-org:device-1-0'><device>"
	    "<modelName>x</modelName></device></x:root>",            /* root ns */
	    "<root xmlns='urn:schemas-upnp-org:device-1-0'></root>", /* no device */
	    "<root xmlns='urn:schemas-upnp-org:device-1-0'><device/><device/></root>",
	    "<root xmlns='urn:schemas-upnp-org:device-1-0'><device><modelName>a</modelName>"
	    "<modelName>b</modelName></device></root>", /* twice */
	    "<root xmlns='urn:schemas-upnp-org:device-1-0'><device><modelName>a<b/>"
	    "</modelName></device></root>", /* not text */
	    "<root xmlns='urn:schemas-upnp-org:device-1-0'><device><modelName>\xff"
	    "</modelName></device></root>", /* bad UTF-8 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gate_upnp_parse(bad[i], strlen(bad[i]), &o, err, sizeof(err)), -1);
		assert_true(strncmp(err, "UPnP", 4) == 0);
		assert_empty(&o);
	}
	/* deep nesting: refused by the depth cap long before libxml2's own */
	char deep[2048] = "<root xmlns='urn:schemas-upnp-org:device-1-0'><device>";
	for (int i = 0; i < GATE_UPNP_DEPTH; i++)
		strcat(deep, "<a>");
	for (int i = 0; i < GATE_UPNP_DEPTH; i++)
		strcat(deep, "</a>");
	strcat(deep, "<modelName>m</modelName></device></root>");
	assert_int_equal(gate_upnp_parse(deep, strlen(deep), &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "deeper"));
	/* oversize: refused before parsing */
	char *big = malloc(GATE_UPNP_MAX + 1);
	memset(big, ' ', GATE_UPNP_MAX + 1);
	assert_int_equal(gate_upnp_parse(big, GATE_UPNP_MAX + 1, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
	free(big);
	/* an identity field too long to keep whole is refused, not cut */
	char lng[512] = "<root xmlns='urn:schemas-upnp-org:device-1-0'><device><modelName>";
	memset(lng + strlen(lng), 'M', 200);
	strcat(lng, "</modelName></device></root>");
	assert_int_equal(gate_upnp_parse(lng, strlen(lng), &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "modelName"));
}

/* ---- mDNS ---- */

static size_t mdns_build(uint8_t *out, size_t cap, bool response, const char *const *rrs, size_t n)
{
	ldns_pkt *p = ldns_pkt_new();
	assert_non_null(p);
	ldns_pkt_set_qr(p, response);
	ldns_pkt_set_aa(p, response);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;
		assert_int_equal(ldns_rr_new_frm_str(&rr, rrs[i], 120, NULL, NULL), LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(
		    p, i == 0 ? LDNS_SECTION_ANSWER : LDNS_SECTION_ADDITIONAL, rr));
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	assert_true(len <= cap);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

static void mdns_samples(void **state)
{
	struct gate_obs o;
	uint8_t pkt[2048];
	static const char *const cast[] = {
	    "Living\\032Room._googlecast._tcp.local. 120 IN TXT \"id=8d0c2f\" "
	    "\"md=Chromecast\" \"fn=Living Room\" \"ve=05\"",
	    "Chromecast-8d0c2f.local. 120 IN A 192.168.1.23",
	};
	size_t n = mdns_build(pkt, sizeof(pkt), true, cast, 2);
	assert_int_equal(gate_mdns_parse(pkt, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_MODEL, GS_MDNS, "Chromecast");
	assert_field(&o, GF_FRIENDLY, GS_MDNS, "Living Room");
	assert_field(&o, GF_HOSTNAME, GS_MDNS, "Chromecast-8d0c2f");
	tu_write_seed("gate_mdns", "googlecast.bin", pkt, n);

	static const char *const ipp[] = {
	    "HP\\032LaserJet._ipp._tcp.local. 120 IN TXT \"txtvers=1\" \"ty=HP LaserJet Pro "
	    "M404dn\" \"usb_MFG=HP\" \"usb_MDL=LaserJet Pro M404dn\" \"product=(HP LaserJet "
	    "Pro M404dn)\" \"Color=F\"",
	};
	n = mdns_build(pkt, sizeof(pkt), true, ipp, 1);
	assert_int_equal(gate_mdns_parse(pkt, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_MODEL, GS_MDNS, "HP LaserJet Pro M404dn"); /* ty= comes first */
	assert_field(&o, GF_MANUFACTURER, GS_MDNS, "HP");
	tu_write_seed("gate_mdns", "ipp.bin", pkt, n);

	static const char *const hap[] = {
	    "Eve\\032Energy\\03250FF._hap._tcp.local. 120 IN TXT \"c#=2\" \"ff=0\" \"id=AB:CD\" "
	    "\"md=Eve Energy 20EBO8301\" \"Manufacturer=Eve Systems\" \"FW=3.2.1\" \"s#=1\"",
	};
	n = mdns_build(pkt, sizeof(pkt), true, hap, 1);
	assert_int_equal(gate_mdns_parse(pkt, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_MODEL, GS_MDNS, "Eve Energy 20EBO8301");
	assert_field(&o, GF_MANUFACTURER, GS_MDNS, "Eve Systems"); /* keys case-insensitive */
	assert_field(&o, GF_FWVER, GS_MDNS, "3.2.1");
	tu_write_seed("gate_mdns", "hap.bin", pkt, n);

	/* model and firmware without a manufacturer (the vendor then comes from the OUI) */
	static const char *const mf[] = {
	    "Plug._hap._tcp.local. 120 IN TXT \"md=DS-2CD2142FWD-I\" \"fv=V5.4.5\"",
	};
	n = mdns_build(pkt, sizeof(pkt), true, mf, 1);
	assert_int_equal(gate_mdns_parse(pkt, n, &o, err, sizeof(err)), 0);
	assert_field(&o, GF_FWVER, GS_MDNS, "V5.4.5");
	tu_write_seed("gate_mdns", "model-fw.bin", pkt, n);

	/* a query says nothing about the sender, not even its known answers */
	static const char *const q[] = {
	    "x._googlecast._tcp.local. 120 IN TXT \"md=Chromecast\"",
	    "_googlecast._tcp.local. 120 IN PTR x._googlecast._tcp.local."};
	n = mdns_build(pkt, sizeof(pkt), false, q, 2);
	assert_int_equal(gate_mdns_parse(pkt, n, &o, err, sizeof(err)), 0);
	assert_empty(&o);
	tu_write_seed("gate_mdns", "query.bin", pkt, n);
}

static void mdns_refused(void **state)
{
	struct gate_obs o;
	/* a compression pointer to itself: ldns refuses the loop */
	static const uint8_t loop[] = {0,  0, 0x84, 0, 0, 0, 0, 1, 0,   0, 0, 0, 0xc0,
				       12, 0, 16,   0, 1, 0, 0, 0, 120, 0, 1, 0};
	assert_int_equal(gate_mdns_parse(loop, sizeof(loop), &o, err, sizeof(err)), -1);
	assert_true(strncmp(err, "mDNS", 4) == 0);
	assert_empty(&o);
	/* two pointers to each other */
	static const uint8_t loop2[] = {0,  0,    0x84, 0, 0,  0, 0, 1, 0, 0, 0,   0, 0xc0,
					14, 0xc0, 12,   0, 16, 0, 1, 0, 0, 0, 120, 0, 0};
	assert_int_equal(gate_mdns_parse(loop2, sizeof(loop2), &o, err, sizeof(err)), -1);
	/* truncated: TXT rdlength past the end */
	static const uint8_t trunc[] = {0, 0,  0x84, 0, 0, 0, 0, 1,   0, 0, 0, 0,   1,   'a', 0,
					0, 16, 0,    1, 0, 0, 0, 120, 0, 9, 3, 'm', 'd', '='};
	assert_int_equal(gate_mdns_parse(trunc, sizeof(trunc), &o, err, sizeof(err)), -1);
	/* short, oversize */
	assert_int_equal(gate_mdns_parse(loop, 11, &o, err, sizeof(err)), -1);
	uint8_t *big = calloc(1, GATE_MDNS_MAX + 1);
	assert_int_equal(gate_mdns_parse(big, GATE_MDNS_MAX + 1, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than"));
	free(big);
	/* an oversize model in TXT is refused whole, not cut */
	char rr[400] = "x._hap._tcp.local. 120 IN TXT \"md=";
	memset(rr + strlen(rr), 'M', 200);
	strcat(rr, "\"");
	const char *rrs[] = {rr};
	uint8_t pkt[1024];
	size_t n = mdns_build(pkt, sizeof(pkt), true, rrs, 1);
	assert_int_equal(gate_mdns_parse(pkt, n, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "md"));
	assert_empty(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ssdp_samples), cmocka_unit_test(ssdp_refused),
	    cmocka_unit_test(upnp_samples), cmocka_unit_test(upnp_refused),
	    cmocka_unit_test(mdns_samples), cmocka_unit_test(mdns_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
