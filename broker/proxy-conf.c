/*
 * The `proxy:` section of broker.yaml, checked in the parent at load.
 *
 * The role runs unprivileged and cannot read root-only key files, so the
 * certificate, key and client CA named here are read now, while the parent
 * is still root, and travel to the role inside its settings (the sealed,
 * private configuration memfd), as PEM text.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/conf-int.h"
#include "common/xmalloc.h"


/* host:port as clients reach the proxy, for the PAC file. */
static int
proxy_conf_hostport(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t i;

	if (colon == NULL || colon == s || colon[1] == '\0' ||
	    strlen(s) > 255)
		return 0;
	for (i = 0; s + i < colon; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-._[]:", s[i]) == NULL)
			return 0;
	for (i = 1; colon[i] != '\0'; i++)
		if (colon[i] < '0' || colon[i] > '9' || i > 5)
			return 0;
	return atoi(colon + 1) > 0 && atoi(colon + 1) < 65536;
}

json_t *
proxy_conf_parse(struct cfg_ctx *c, const struct ynode *map)
{
	static const char *const keys[] = { "tls_certificate", "tls_key",
	    "client_ca", "client_certificate_required", "connect_timeout",
	    "idle_timeout", "request_timeout", "shutdown_grace",
	    "max_connections", "max_request_line", "max_header_size",
	    "max_headers", "auth_cache_ttl", "pac_proxy", NULL };
	const struct ynode *v;
	size_t errs = c->d->nerrors;
	const char *s;
	json_t *out;
	int cert, key, b;

	if (cfg_want(c, map, "proxy", YNODE_MAP) == -1)
		return NULL;
	cfg_check_keys(c, map, "proxy", keys);
	out = json_object();
	cert = cfg_pem(c, map, "proxy", "tls_certificate", out);
	key = cfg_pem(c, map, "proxy", "tls_key", out);
	if (cert != key)
		cfg_error(c, map, "proxy", "tls_certificate and tls_key go "
		    "together: give both, or neither for a self-signed "
		    "certificate");
	cfg_pem(c, map, "proxy", "client_ca", out);
	if ((v = ynode_get(map, "client_certificate_required")) != NULL) {
		if (ynode_bool(v, &b) == -1)
			cfg_error(c, v, "proxy", "client_certificate_required: "
			    "expected true or false, found \"%s\"", v->str ?
			    v->str : ynode_type_name(v->type));
		else if (b && ynode_get(map, "client_ca") == NULL)
			cfg_error(c, v, "proxy", "client_certificate_required: "
			    "needs client_ca, the CA that signs them");
		else
			json_object_set_new(out, "client_certificate_required",
			    json_boolean(b));
	}
	cfg_int(c, map, "proxy", "connect_timeout", 1, 300, "seconds", out);
	cfg_int(c, map, "proxy", "idle_timeout", 1, 86400, "seconds", out);
	cfg_int(c, map, "proxy", "request_timeout", 1, 3600, "seconds", out);
	cfg_int(c, map, "proxy", "shutdown_grace", 0, 3600, "seconds", out);
	cfg_int(c, map, "proxy", "max_connections", 1, 1000000, "a count", out);
	cfg_int(c, map, "proxy", "max_request_line", 256, 65536, "bytes", out);
	cfg_int(c, map, "proxy", "max_header_size", 1024, 262144, "bytes", out);
	cfg_int(c, map, "proxy", "max_headers", 8, 1024, "a count", out);
	cfg_int(c, map, "proxy", "auth_cache_ttl", 0, 86400, "seconds", out);
	if ((v = ynode_get(map, "pac_proxy")) != NULL &&
	    (s = cfg_string(c, v, "proxy")) != NULL) {
		if (!proxy_conf_hostport(s))
			cfg_error(c, v, "proxy", "pac_proxy: expected HOST:PORT "
			    "as browsers reach the proxy, such as "
			    "broker.example:3128, found \"%s\"", s);
		else
			json_object_set_new(out, "pac_proxy", json_string(s));
	}
	if (c->d->nerrors != errs) {
		json_decref(out);
		return NULL;
	}
	return out;
}
