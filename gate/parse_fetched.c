/* What recall-gate-helper does with a body it fetched (gate/helper_main.c): a UPnP description
 * is parsed as one, a MUD file is checked against the URL it came from (RFC 8520 3.3). A file
 * of its own: in parse_mud.c it would pull the UPnP parser, and so libxml2, into every program
 * that uses the MUD parser, the resident daemon among them (docs/GATE.md, "Memory"). */
#include "parse.h"

int gate_fetched_parse(bool mud, const char *url, const char *body, size_t len, struct gate_obs *o,
		       char *err, size_t errlen)
{
	if (!mud)
		return gate_upnp_parse(body, len, o, err, errlen);
	return gate_mud_check(body, len, url, o, err, errlen);
}
