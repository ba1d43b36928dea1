/* UPnP device description (UPnP Device Architecture 2.0, section 2.3) with libxml2. The bytes
 * come from a LAN device, so the parser is held tight: XML_PARSE_NONET (no network fetch),
 * no XML_PARSE_NOENT (entities are never substituted), no XML_PARSE_DTDLOAD / DTDATTR /
 * DTDVALID (no external subset is read), no XML_PARSE_HUGE (libxml2's own limits stay on),
 * and a description with any DOCTYPE is refused before libxml2 sees it: UPnP descriptions
 * have none, and refusing it closes internal-subset entity tricks (billion laughs) too. The
 * document is read as UTF-8 (the encoding UDA requires), so a UTF-16 DOCTYPE cannot hide from
 * that check.
 *
 * Taken from the root device (root/device, not embedded devices): manufacturer, modelName,
 * modelNumber, friendlyName, and a firmware build from <firmwareVersion> or
 * <softwareVersion> (vendor extensions, any namespace; the standard has none). serialNumber
 * and UDN identify one unit, not a build, and are left. */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "parse.h"

#define UPNP_NS "urn:schemas-upnp-org:device-1-0"

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* UPnP elements must be in the UPnP namespace (or in none: some stacks omit it). */
static bool upnp_ns(const xmlNode *n)
{
	return !n->ns || (n->ns->href && !strcmp((const char *)n->ns->href, UPNP_NS));
}

/* Depth of the element tree, without recursion (a deep tree must not use the stack). */
static unsigned tree_depth(const xmlNode *root)
{
	unsigned depth = 1, max = 1;
	const xmlNode *n = root;
	for (;;) {
		if (n->children) {
			n = n->children;
			if (++depth > max)
				max = depth;
			continue;
		}
		while (n != root && !n->next) {
			n = n->parent;
			depth--;
		}
		if (n == root)
			return max;
		n = n->next;
	}
}

/* The text of a leaf element (text and CDATA children only); NULL if it has other children. */
static int leaf_set(const xmlNode *e, struct gate_obs *o, enum gate_field f, const char *what,
		    char *err, size_t errlen)
{
	for (const xmlNode *c = e->children; c; c = c->next)
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			return gate_err(err, errlen, "UPnP <%s>: not a text element", what);
	xmlChar *t = xmlNodeGetContent(e);
	if (!t)
		return 0;
	int r = gate_obs_set(o, f, GS_UPNP, (const char *)t, strlen((const char *)t), what, err,
			     errlen);
	xmlFree(t);
	return r;
}

static const struct {
	const char *name;
	enum gate_field f;
	bool upnp; /* must be in the UPnP namespace */
} elems[] = {
    {"manufacturer", GF_MANUFACTURER, true}, {"modelName", GF_MODEL, true},
    {"modelNumber", GF_MODEL_NUMBER, true},  {"friendlyName", GF_FRIENDLY, true},
    {"firmwareVersion", GF_FWVER, false},    {"softwareVersion", GF_FWVER, false},
};

static int take_device(const xmlNode *dev, struct gate_obs *o, char *err, size_t errlen)
{
	bool seen[sizeof(elems) / sizeof(elems[0])] = {false};
	for (const xmlNode *c = dev->children; c; c = c->next) {
		for (size_t i = 0; i < sizeof(elems) / sizeof(elems[0]); i++) {
			if (!named(c, elems[i].name) || (elems[i].upnp && !upnp_ns(c)))
				continue;
			if (seen[i])
				return gate_err(err, errlen, "UPnP: <%s> twice in the root device",
						elems[i].name);
			seen[i] = true;
			/* firmwareVersion wins over softwareVersion when both are there */
			if (elems[i].f == GF_FWVER && o->f[GF_FWVER].src &&
			    !strcmp(elems[i].name, "softwareVersion"))
				continue;
			if (leaf_set(c, o, elems[i].f, elems[i].name, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

int gate_upnp_parse(const char *xml, size_t len, struct gate_obs *o, char *err, size_t errlen)
{
	gate_obs_init(o);
	if (!xml || !len)
		return gate_err(err, errlen, "UPnP description: empty");
	if (len > GATE_UPNP_MAX)
		return gate_err(err, errlen, "UPnP description: %zu bytes, more than %d", len,
				GATE_UPNP_MAX);
	/* UDA 2.0 descriptions are UTF-8: a NUL byte means UTF-16/32, where the scan below would
	 * not see a DOCTYPE, and the parser is told UTF-8 whatever the document declares */
	if (memchr(xml, 0, len))
		return gate_err(err, errlen, "UPnP description: NUL byte (not UTF-8)");
	if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8))
		return gate_err(err, errlen,
				"UPnP description: DOCTYPE or ENTITY declaration "
				"refused");
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "upnp-description.xml", "UTF-8",
				    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
					XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		return gate_err(err, errlen, "UPnP description: not well-formed XML (line %d: %s)",
				e ? e->line : 0, e && e->message ? e->message : "?");
	}
	int r = -1;
	xmlNode *root = xmlDocGetRootElement(doc);
	if (doc->intSubset || doc->extSubset) {
		gate_err(err, errlen, "UPnP description: DOCTYPE refused");
		goto out;
	}
	if (!root || !named(root, "root") || !upnp_ns(root)) {
		gate_err(err, errlen, "UPnP description: root element is not <root> of %s",
			 UPNP_NS);
		goto out;
	}
	if (tree_depth(root) > GATE_UPNP_DEPTH) {
		gate_err(err, errlen, "UPnP description: nested deeper than %d", GATE_UPNP_DEPTH);
		goto out;
	}
	const xmlNode *dev = NULL;
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (named(c, "device") && upnp_ns(c)) {
			if (dev) {
				gate_err(err, errlen, "UPnP description: two root devices");
				goto out;
			}
			dev = c;
		}
	}
	if (!dev) {
		gate_err(err, errlen, "UPnP description: no <device> in <root>");
		goto out;
	}
	r = take_device(dev, o, err, errlen);
out:
	xmlFreeDoc(doc);
	if (r < 0)
		gate_obs_init(o);
	return r;
}
