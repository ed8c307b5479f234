/*
 * GET /proxy.pac: a proxy auto-config file that sends every host under
 * the configured DNS suffix through this proxy and everything else
 * DIRECT, so a browser needs one setting.  The proxy is named as the
 * client reached it (its Host field, already checked to be a plain
 * host[:port] by the parser) unless pac_proxy says otherwise.
 */
#include "config.h"

#include <string.h>

#include "broker/proxy.h"
#include "common/xmalloc.h"

char *
proxy_pac(struct proxy *px, const struct hp_req *req, int tls)
{
	const char *self = px->set.pac_proxy, *kind = tls ? "HTTPS" : "PROXY";

	if (self == NULL)
		self = req->host_header != NULL && req->host_header[0] != '\0' ?
		    req->host_header : "127.0.0.1:3128";
	if (px->dns_suffix == NULL)
		return xasprintf("// vnf-broker: no dns_suffix is configured, "
		    "so nothing is routed here\n"
		    "function FindProxyForURL(url, host) {\n"
		    "\treturn \"DIRECT\";\n}\n");
	return xasprintf("// vnf-broker: hosts under .%s go through %s\n"
	    "function FindProxyForURL(url, host) {\n"
	    "\thost = host.toLowerCase();\n"
	    "\tif (dnsDomainIs(host, \".%s\"))\n"
	    "\t\treturn \"%s %s\";\n"
	    "\treturn \"DIRECT\";\n}\n", px->dns_suffix, self, px->dns_suffix,
	    kind, self);
}
