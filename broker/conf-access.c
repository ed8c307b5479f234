/*
 * Configuration of who may reach what: listeners, the DNS suffix, the
 * audit sink, appliances and users with their grants.  Parsed and checked
 * here, in the parent, with positions; what the roles need is kept as
 * JSON and handed to them (broker/registry.c reads it back).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/conf-int.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

/* Appliance and user names: DNS-label-like, so they work as targets. */
int
conf_name_valid(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	}
	return 1;
}

/* A DNS suffix: labels of [A-Za-z0-9-] separated by dots. */
static int
conf_suffix_valid(const char *s)
{
	size_t i, label = 0, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/*
 * A listen address "ADDR:PORT" or "[ADDR6]:PORT"; fills a normalised
 * string for the JSON view.  Returns 0 or -1.
 */
int
conf_listen_parse(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[64], *end;
	const char *colon;
	unsigned long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		hl = (size_t)(colon - s - 1);
		colon++;
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (!isdigit((unsigned char)colon[1]))
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static const char *const listener_names[] = { "ssh", "proxy", "proxy_tls",
    "api", NULL };

void
conf_listen(struct cfg_ctx *c, const struct ynode *map)
{
	struct broker_config *conf = c->conf;
	struct sockaddr_storage ss;
	const struct ynode *k, *v;
	const char *hint;
	char path[64];
	socklen_t sl;
	size_t i, j, l;

	if (cfg_want(c, map, "listen", YNODE_MAP) == -1)
		return;
	for (i = 0; i < map->n; i++) {
		k = map->pairs[i].key;
		v = map->pairs[i].value;
		for (l = 0; listener_names[l] != NULL; l++)
			if (strcmp(k->str, listener_names[l]) == 0)
				break;
		if (listener_names[l] == NULL) {
			hint = str_suggest(k->str, listener_names);
			cfg_error(c, k, "listen", "unknown listener \"%s\"%s%s%s; "
			    "listeners are ssh, proxy, proxy_tls and api",
			    k->str, hint ? " (did you mean \"" : "",
			    hint ? hint : "", hint ? "\"?)" : "");
			continue;
		}
		snprintf(path, sizeof(path), "listen.%s", k->str);
		if (cfg_want(c, v, path, YNODE_SEQ) == -1)
			continue;
		for (j = 0; j < v->n; j++) {
			const char *s = cfg_string(c, v->items[j], path);

			if (s == NULL)
				continue;
			if (conf_listen_parse(s, &ss, &sl) == -1) {
				cfg_error(c, v->items[j], path, "expected "
				    "ADDRESS:PORT such as 127.0.0.1:2222 or "
				    "[::1]:2222, found \"%s\"", s);
				continue;
			}
			if (conf->nlisteners == CONF_LISTENERS_MAX) {
				cfg_error(c, v->items[j], path, "more than %d "
				    "listeners", CONF_LISTENERS_MAX);
				continue;
			}
			str_copy(conf->listeners[conf->nlisteners].name, k->str,
			    sizeof(conf->listeners[0].name));
			str_copy(conf->listeners[conf->nlisteners].addr, s,
			    sizeof(conf->listeners[0].addr));
			conf->nlisteners++;
		}
	}
}

void
conf_dns_suffix(struct cfg_ctx *c, const struct ynode *v)
{
	const char *s = cfg_string(c, v, "dns_suffix");

	if (s == NULL)
		return;
	while (*s == '.')
		s++;
	if (!conf_suffix_valid(s)) {
		cfg_error(c, v, "dns_suffix", "expected a domain such as "
		    "vnf.internal, found \"%s\"", v->str);
		return;
	}
	json_object_set_new(c->conf->view, "dns_suffix", json_string(s));
}

/* A list of ports 1..65535; returns a JSON array or NULL after errors. */
static json_t *
conf_ports(struct cfg_ctx *c, const struct ynode *v, const char *path)
{
	json_t *a;
	long long p;
	size_t i, errs = c->d->nerrors;

	if (cfg_want(c, v, path, YNODE_SEQ) == -1)
		return NULL;
	if (v->n == 0) {
		cfg_error(c, v, path, "at least one port is required");
		return NULL;
	}
	a = json_array();
	for (i = 0; i < v->n; i++) {
		if (ynode_int(v->items[i], 1, 65535, &p) == -1) {
			cfg_error(c, v->items[i], path, "expected a port from 1 "
			    "to 65535, found \"%s\"", v->items[i]->str ?
			    v->items[i]->str : ynode_type_name(v->items[i]->type));
			continue;
		}
		json_array_append_new(a, json_integer(p));
	}
	if (c->d->nerrors != errs) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static int
conf_network_known(const struct broker_config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nnetworks; i++)
		if (strcmp(conf->networks[i].name, name) == 0)
			return 1;
	return 0;
}

void
conf_appliances(struct cfg_ctx *c, const struct ynode *seq)
{
	static const char *const keys[] = { "name", "network", "address",
	    "ports", "provider", "cs_data", NULL };
	const struct ynode *m, *v;
	struct netns_addr addr;
	json_t *list, *a, *ports;
	char path[96], buf[64];
	const char *s;
	size_t i;

	if (cfg_want(c, seq, "appliances", YNODE_SEQ) == -1)
		return;
	list = json_array();
	for (i = 0; i < seq->n; i++) {
		size_t errs = c->d->nerrors;

		m = seq->items[i];
		snprintf(path, sizeof(path), "appliances[%zu]", i);
		if (cfg_want(c, m, path, YNODE_MAP) == -1)
			continue;
		cfg_check_keys(c, m, path, keys);
		a = json_object();
		if ((v = ynode_get(m, "name")) == NULL)
			cfg_error(c, m, path, "name: required");
		else if ((s = cfg_string(c, v, path)) != NULL) {
			if (!conf_name_valid(s, 63))
				cfg_error(c, v, path, "name: \"%s\" is not a "
				    "valid appliance name (1 to 63 of A-Z a-z "
				    "0-9 - _)", s);
			if (json_object_get(c->appliance_names, s) != NULL)
				cfg_error(c, v, path, "duplicate appliance name "
				    "\"%s\" (first at line %lld)", s,
				    json_integer_value(json_object_get(
				    c->appliance_names, s)));
			else
				json_object_set_new(c->appliance_names, s,
				    json_integer(v->line));
			json_object_set_new(a, "name", json_string(s));
		}
		if ((v = ynode_get(m, "network")) == NULL)
			cfg_error(c, m, path, "network: required (the guest "
			    "network the appliance is on)");
		else if ((s = cfg_string(c, v, path)) != NULL) {
			if (!conf_network_known(c->conf, s))
				cfg_error(c, v, path, "network: \"%s\" is not "
				    "one of the networks", s);
			json_object_set_new(a, "network", json_string(s));
		}
		if ((v = ynode_get(m, "address")) == NULL)
			cfg_error(c, m, path, "address: required (the "
			    "appliance's management address)");
		else if ((s = cfg_string(c, v, path)) != NULL) {
			if (netns_addr_parse(s, 0, &addr) == -1)
				cfg_error(c, v, path, "address: expected an IPv4 "
				    "or IPv6 address, found \"%s\"", s);
			else
				json_object_set_new(a, "address", json_string(
				    netns_addr_fmt(&addr, 0, buf, sizeof(buf))));
		}
		if ((v = ynode_get(m, "ports")) == NULL)
			cfg_error(c, m, path, "ports: required (the ports the "
			    "jump host and proxy may open, such as [22, 443])");
		else if ((ports = conf_ports(c, v, path)) != NULL)
			json_object_set_new(a, "ports", ports);
		/* For the engine only: the dictionary and its get_cs_data. */
		if ((v = ynode_get(m, "provider")) != NULL &&
		    (s = cfg_string(c, v, path)) != NULL) {
			if (!conf_name_valid(s, 63))
				cfg_error(c, v, path, "provider: \"%s\" is not a "
				    "valid provider name (1 to 63 of A-Z a-z "
				    "0-9 - _)", s);
			json_object_set_new(a, "provider", json_string(s));
		}
		if ((v = ynode_get(m, "cs_data")) != NULL &&
		    cfg_want(c, v, path, YNODE_MAP) == 0)
			json_object_set_new(a, "cs_data", config_node_json(v));
		if (c->d->nerrors == errs)
			json_array_append(list, a);
		json_decref(a);
	}
	json_object_set_new(c->conf->view, "appliances", list);
}

/* A list of names (or "*") for a grant; NULL after errors. */
static json_t *
conf_names(struct cfg_ctx *c, const struct ynode *v, const char *path)
{
	json_t *a;
	const char *s;
	size_t i;

	if (cfg_want(c, v, path, YNODE_SEQ) == -1)
		return NULL;
	a = json_array();
	for (i = 0; i < v->n; i++)
		if ((s = cfg_string(c, v->items[i], path)) != NULL)
			json_array_append_new(a, json_string(s));
	return a;
}

/* Written in the file, even if that appliance had errors of its own. */
static int
conf_appliance_known(struct cfg_ctx *c, const char *name)
{
	return json_object_get(c->appliance_names, name) != NULL;
}

static json_t *
conf_grant(struct cfg_ctx *c, const struct ynode *m, const char *path)
{
	static const char *const keys[] = { "appliances", "networks",
	    "ports", NULL };
	const struct ynode *apps, *nets, *ports;
	json_t *g, *a;
	size_t i;

	if (cfg_want(c, m, path, YNODE_MAP) == -1)
		return NULL;
	cfg_check_keys(c, m, path, keys);
	apps = ynode_get(m, "appliances");
	nets = ynode_get(m, "networks");
	ports = ynode_get(m, "ports");
	if (apps == NULL && nets == NULL) {
		cfg_error(c, m, path, "a grant names appliances, networks or "
		    "both");
		return NULL;
	}
	if (nets != NULL && ports == NULL) {
		cfg_error(c, m, path, "ports: required for a network grant "
		    "(which ports of any address in it may be reached)");
		return NULL;
	}
	g = json_object();
	if (apps != NULL && (a = conf_names(c, apps, path)) != NULL) {
		json_object_set_new(g, "appliances", a);
		for (i = 0; i < apps->n && i < json_array_size(a); i++) {
			const char *s = json_string_value(json_array_get(a, i));

			if (strcmp(s, "*") != 0 && !conf_appliance_known(c, s))
				cfg_error(c, apps->items[i], path, "appliance "
				    "\"%s\" is not defined", s);
		}
	}
	if (nets != NULL && (a = conf_names(c, nets, path)) != NULL) {
		json_object_set_new(g, "networks", a);
		for (i = 0; i < nets->n && i < json_array_size(a); i++) {
			const char *s = json_string_value(json_array_get(a, i));

			if (strcmp(s, "*") != 0 &&
			    !conf_network_known(c->conf, s))
				cfg_error(c, nets->items[i], path, "network "
				    "\"%s\" is not one of the networks", s);
		}
	}
	if (ports != NULL && (a = conf_ports(c, ports, path)) != NULL)
		json_object_set_new(g, "ports", a);
	return g;
}

/* crypt(3) hashes we accept: yescrypt, bcrypt, sha512crypt, sha256crypt. */
static int
conf_hash_valid(const char *s)
{
	static const char *const prefixes[] = { "$y$", "$2b$", "$2y$", "$6$",
	    "$5$", NULL };
	size_t i;

	for (i = 0; prefixes[i] != NULL; i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return strlen(s) > strlen(prefixes[i]) + 8;
	return 0;
}

void
conf_users(struct cfg_ctx *c, const struct ynode *seq)
{
	static const char *const keys[] = { "name", "ssh_authorized_keys",
	    "ssh_principals", "ssh_password_hash", "proxy_password_hash",
	    "grants", NULL };
	static const char *const hashes[] = { "ssh_password_hash",
	    "proxy_password_hash", NULL };
	const struct ynode *m, *v;
	json_t *list, *u, *a, *g, *seen;
	char path[96], sub[128];
	const char *s;
	size_t i, j;

	if (cfg_want(c, seq, "users", YNODE_SEQ) == -1)
		return;
	list = json_array();
	seen = json_object();
	for (i = 0; i < seq->n; i++) {
		size_t errs = c->d->nerrors;

		m = seq->items[i];
		snprintf(path, sizeof(path), "users[%zu]", i);
		if (cfg_want(c, m, path, YNODE_MAP) == -1)
			continue;
		cfg_check_keys(c, m, path, keys);
		u = json_object();
		if ((v = ynode_get(m, "name")) == NULL)
			cfg_error(c, m, path, "name: required");
		else if ((s = cfg_string(c, v, path)) != NULL) {
			if (!conf_name_valid(s, 32))
				cfg_error(c, v, path, "name: \"%s\" is not a "
				    "valid user name (1 to 32 of A-Z a-z 0-9 - "
				    "_)", s);
			if ((a = json_object_get(seen, s)) != NULL)
				cfg_error(c, v, path, "duplicate user \"%s\" "
				    "(first at line %lld)", s,
				    json_integer_value(a));
			else
				json_object_set_new(seen, s,
				    json_integer(v->line));
			json_object_set_new(u, "name", json_string(s));
			snprintf(path, sizeof(path), "users[%zu] (%s)", i, s);
		}
		if ((v = ynode_get(m, "ssh_authorized_keys")) != NULL &&
		    (a = conf_names(c, v, path)) != NULL) {
			/* The ssh role's parser checks each line's syntax. */
			ssh_conf_check_keys(c, v, path);
			json_object_set_new(u, "ssh_authorized_keys", a);
		}
		if ((v = ynode_get(m, "ssh_principals")) != NULL &&
		    (a = conf_names(c, v, path)) != NULL)
			json_object_set_new(u, "ssh_principals", a);
		/* The jump host's and the proxy's: the same formats. */
		for (j = 0; hashes[j] != NULL; j++) {
			if ((v = ynode_get(m, hashes[j])) == NULL ||
			    (s = cfg_string(c, v, path)) == NULL)
				continue;
			if (!conf_hash_valid(s))
				cfg_error(c, v, path, "%s: expected a crypt(3) "
				    "hash ($y$, $2b$, $6$ or $5$; make one with "
				    "mkpasswd), not a password", hashes[j]);
			json_object_set_new(u, hashes[j], json_string(s));
		}
		g = json_array();
		if ((v = ynode_get(m, "grants")) != NULL &&
		    cfg_want(c, v, path, YNODE_SEQ) == 0) {
			for (j = 0; j < v->n; j++) {
				json_t *one;

				snprintf(sub, sizeof(sub), "%s.grants[%zu]",
				    path, j);
				if ((one = conf_grant(c, v->items[j], sub)))
					json_array_append_new(g, one);
			}
		}
		json_object_set_new(u, "grants", g);
		if (c->d->nerrors == errs)
			json_array_append(list, u);
		json_decref(u);
	}
	json_decref(seen);
	json_object_set_new(c->conf->view, "users", list);
}
