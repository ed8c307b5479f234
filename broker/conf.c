#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/conf-int.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/ydoc.h"

/* The jump host's listener when the ssh role has none: loopback only. */
#define CONF_SSH_DEFAULT_LISTEN	"127.0.0.1:2222"

/* Where installed role programs live: vnf-broker-ssh, -proxy, -engine. */
#define ROLE_PROGRAM_DIR	LIBEXECDIR "/vnf-broker"

/*
 * The embedded default: no guest networks and no roles; nothing listens
 * beyond loopback.  Later roles add their loopback listeners here.
 */

const char config_default_yaml[] =
    "# vnf-brokerd embedded default configuration\n"
    "user: vnf-broker\n"
    "state_dir: " LOCALSTATEDIR "/lib/vnf-broker\n"
    "run_dir: " RUNSTATEDIR "/vnf-broker\n"
    "log:\n"
    "  level: info\n"
    "  target: stderr\n"
    "restart_backoff_max: 60\n"
    "networks: []\n"
    "# When roles.ssh is enabled and listen.ssh is not given, the jump\n"
    "# host listens on loopback:\n"
    "#   listen: {ssh: [\"" CONF_SSH_DEFAULT_LISTEN "\"]}\n";

/* NULL-terminated, so it doubles as the list str_suggest() takes. */
static const char *const role_names[ROLE_MAX + 1] = {
	[ROLE_SSH] = "ssh",
	[ROLE_PROXY] = "proxy",
	[ROLE_ENGINE] = "engine",
	[ROLE_MAX] = NULL,
};

const char *
config_role_name(enum role_id id)
{
	return role_names[id];
}

static void
cfg_vdiag(struct cfg_ctx *c, enum diag_severity sev, const struct ynode *n,
    const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void
cfg_vdiag(struct cfg_ctx *c, enum diag_severity sev, const struct ynode *n,
    const char *path, const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	diag_add(c->d, sev, n ? n->line : 0, n ? n->column : 0, path, "%s",
	    msg ? msg : "(out of memory)");
	free(msg);
}

void
cfg_error(struct cfg_ctx *c, const struct ynode *n, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vdiag(c, DIAG_ERROR, n, path, fmt, ap);
	va_end(ap);
}

void
cfg_warning(struct cfg_ctx *c, const struct ynode *n, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vdiag(c, DIAG_WARNING, n, path, fmt, ap);
	va_end(ap);
}

void
cfg_check_keys(struct cfg_ctx *c, const struct ynode *map, const char *path,
    const char *const *allowed)
{
	ydoc_check_keys(c->d, DIAG_ERROR, map, path, allowed);
}

int
cfg_want(struct cfg_ctx *c, const struct ynode *n, const char *path,
    enum ynode_type type)
{
	if (n->type == type)
		return 0;
	cfg_error(c, n, path, "expected a %s, found a %s", ynode_type_name(type),
	    ynode_type_name(n->type));
	return -1;
}

const char *
cfg_string(struct cfg_ctx *c, const struct ynode *n, const char *path)
{
	if (cfg_want(c, n, path, YNODE_SCALAR) == -1)
		return NULL;
	if (n->len == 0 || ynode_is_null(n)) {
		cfg_error(c, n, path, "expected a value, found nothing");
		return NULL;
	}
	return n->str;
}

char *
cfg_abspath(struct cfg_ctx *c, const struct ynode *n, const char *path)
{
	const char *s = cfg_string(c, n, path);

	if (s == NULL)
		return NULL;
	if (s[0] != '/') {
		cfg_error(c, n, path, "expected an absolute path, found \"%s\"",
		    s);
		return NULL;
	}
	return xstrdup(s);
}

/* Read a PEM file of at most CFG_PEM_MAX bytes; NULL after an error. */
static char *
cfg_read_pem(struct cfg_ctx *c, const struct ynode *v, const char *section,
    const char *key, const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		cfg_error(c, v, section, "%s: %s: %s", key, path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CFG_PEM_MAX) {
		cfg_error(c, v, section, "%s: %s: expected a PEM file of at "
		    "most 1 MiB", key, path);
		goto fail;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			cfg_error(c, v, section, "%s: %s: %s", key, path,
			    n == 0 ? "file shrank while read" :
			    strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	buf[off] = '\0';
	if (strlen(buf) != off || strstr(buf, "-----BEGIN ") == NULL) {
		cfg_error(c, v, section, "%s: %s: no PEM block in it", key,
		    path);
		goto fail;
	}
	close(fd);
	return buf;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, off);
		free(buf);
	}
	close(fd);
	return NULL;
}

int
cfg_int_get(struct cfg_ctx *c, const struct ynode *map, const char *section,
    const char *key, long long min, long long max, const char *unit,
    long long *n)
{
	const struct ynode *v;
	const char *found;

	if ((v = ynode_get(map, key)) == NULL)
		return 0;
	if (ynode_int(v, min, max, n) == 0)
		return 1;
	found = v->str ? v->str : ynode_type_name(v->type);
	if (section == NULL)
		cfg_error(c, v, key, "expected %s from %lld to %lld, found "
		    "\"%s\"", unit, min, max, found);
	else
		cfg_error(c, v, section, "%s: expected %s from %lld to %lld, "
		    "found \"%s\"", key, unit, min, max, found);
	return -1;
}

void
cfg_int(struct cfg_ctx *c, const struct ynode *map, const char *section,
    const char *key, long long min, long long max, const char *unit,
    json_t *out)
{
	long long n;

	if (cfg_int_get(c, map, section, key, min, max, unit, &n) == 1)
		json_object_set_new(out, key, json_integer(n));
}

int
cfg_pem(struct cfg_ctx *c, const struct ynode *map, const char *section,
    const char *key, json_t *out)
{
	const struct ynode *v;
	char *path, *pem, pemkey[64];

	if ((v = ynode_get(map, key)) == NULL)
		return 0;
	if ((path = cfg_abspath(c, v, section)) == NULL)
		return 1;
	if ((pem = cfg_read_pem(c, v, section, key, path)) != NULL) {
		snprintf(pemkey, sizeof(pemkey), "%s_pem", key);
		json_object_set_new(out, key, json_string(path));
		json_object_set_new(out, pemkey, json_string(pem));
		explicit_bzero(pem, strlen(pem));
		free(pem);
	}
	free(path);
	return 1;
}

static void
cfg_replace(char **dst, char *val)
{
	if (val == NULL)
		return;
	free(*dst);
	*dst = val;
}

static void
cfg_log(struct cfg_ctx *c, const struct ynode *map)
{
	static const char *const keys[] = { "level", "target", NULL };
	const struct ynode *v;
	const char *s;

	if (cfg_want(c, map, "log", YNODE_MAP) == -1)
		return;
	cfg_check_keys(c, map, "log", keys);
	if ((v = ynode_get(map, "level")) != NULL &&
	    (s = cfg_string(c, v, "log.level")) != NULL &&
	    log_level_parse(s, &c->conf->log_level) == -1)
		cfg_error(c, v, "log.level", "expected one of error, warn, "
		    "info, debug; found \"%s\"", s);
	if ((v = ynode_get(map, "target")) != NULL &&
	    (s = cfg_string(c, v, "log.target")) != NULL) {
		if (strcmp(s, "stderr") == 0)
			c->conf->log_syslog = 0;
		else if (strcmp(s, "syslog") == 0)
			c->conf->log_syslog = 1;
		else
			cfg_error(c, v, "log.target", "expected stderr or "
			    "syslog; found \"%s\"", s);
	}
}

static void
cfg_role(struct cfg_ctx *c, const struct ynode *map, enum role_id id)
{
	static const char *const keys[] = { "enabled", "program", "args", NULL };
	struct role_conf *rc = &c->conf->roles[id];
	const struct ynode *v;
	char path[64];
	size_t i;

	snprintf(path, sizeof(path), "roles.%s", role_names[id]);
	if (cfg_want(c, map, path, YNODE_MAP) == -1)
		return;
	cfg_check_keys(c, map, path, keys);
	rc->enabled = 1;
	if ((v = ynode_get(map, "enabled")) != NULL &&
	    ynode_bool(v, &rc->enabled) == -1)
		cfg_error(c, v, path, "enabled: expected true or false, found "
		    "\"%s\"", v->str ? v->str : ynode_type_name(v->type));
	if ((v = ynode_get(map, "program")) != NULL)
		cfg_replace(&rc->program, cfg_abspath(c, v, path));
	if ((v = ynode_get(map, "args")) != NULL &&
	    cfg_want(c, v, path, YNODE_SEQ) == 0) {
		rc->args = xcalloc(v->n + 1, sizeof(*rc->args));
		for (i = 0; i < v->n; i++) {
			if (cfg_want(c, v->items[i], path, YNODE_SCALAR) == 0)
				rc->args[rc->nargs++] = xstrdup(v->items[i]->str);
		}
	}
	if (rc->enabled && rc->program == NULL)
		rc->program = xasprintf("%s/vnf-broker-%s", ROLE_PROGRAM_DIR,
		    role_names[id]);
	if (rc->enabled && access(rc->program, X_OK) == -1)
		cfg_error(c, ynode_get(map, "program") ? ynode_get(map,
		    "program") : map, path, "program: %s: %s", rc->program,
		    strerror(errno));
}

static void
cfg_roles(struct cfg_ctx *c, const struct ynode *map)
{
	const struct ynode *k;
	const char *hint;
	size_t i;
	int id;

	if (cfg_want(c, map, "roles", YNODE_MAP) == -1)
		return;
	for (i = 0; i < map->n; i++) {
		k = map->pairs[i].key;
		for (id = 0; id < ROLE_MAX; id++)
			if (strcmp(k->str, role_names[id]) == 0)
				break;
		if (id == ROLE_MAX) {
			hint = str_suggest(k->str, role_names);
			cfg_error(c, k, "roles", "unknown role \"%s\"%s%s%s; "
			    "roles are ssh, proxy and engine", k->str,
			    hint ? " (did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?)" : "");
			continue;
		}
		cfg_role(c, map->pairs[i].value, (enum role_id)id);
	}
}

/* Parse an address field into a; reports and returns -1 on error. */
static int
cfg_addr(struct cfg_ctx *c, const struct ynode *n, const char *path,
    int want_prefix, struct netns_addr *a)
{
	const char *s = cfg_string(c, n, path);

	if (s == NULL)
		return -1;
	if (netns_addr_parse(s, want_prefix, a) == -1) {
		cfg_error(c, n, path, "expected %s, found \"%s\"", want_prefix ?
		    "an address with its prefix length (198.18.1.2/24 or "
		    "fd00::2/64)" : "an IPv4 or IPv6 address without a prefix",
		    s);
		return -1;
	}
	return 0;
}

/* Is a inside the prefix of p (same family)? */
static int
cfg_addr_inside(const struct netns_addr *a, const struct netns_addr *p)
{
	int bits = p->prefixlen, i;

	if (a->family != p->family)
		return 0;
	for (i = 0; bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a->addr[i] & mask) != (p->addr[i] & mask))
			return 0;
	}
	return 1;
}

static int
cfg_addr_on_link(const struct netns_spec *sp, const struct netns_addr *a)
{
	uint32_t i;

	for (i = 0; i < sp->naddrs; i++)
		if (cfg_addr_inside(a, &sp->addrs[i]))
			return 1;
	return 0;
}

static void
cfg_next_hop(struct cfg_ctx *c, const struct ynode *n, const char *path,
    const struct netns_spec *sp, struct netns_addr *a, int family)
{
	char buf[64];

	if (cfg_addr(c, n, path, 0, a) == -1)
		return;
	if (family != 0 && a->family != family) {
		cfg_error(c, n, path, "expected an %s address, found %s",
		    family == AF_INET ? "IPv4" : "IPv6",
		    netns_addr_fmt(a, 0, buf, sizeof(buf)));
		return;
	}
	if (!cfg_addr_on_link(sp, a))
		cfg_error(c, n, path, "%s is outside every address of the "
		    "network; a next hop must be on the link",
		    netns_addr_fmt(a, 0, buf, sizeof(buf)));
}

static void
cfg_network(struct cfg_ctx *c, const struct ynode *map, size_t idx,
    struct netns_spec *sp)
{
	static const char *const keys[] = { "name", "mac", "veth", "ifname",
	    "mtu", "addresses", "gateway", "gateway6", "routes", NULL };
	static const char *const vkeys[] = { "peer", "peer_netns", NULL };
	static const char *const rkeys[] = { "to", "via", NULL };
	const struct ynode *v, *mac, *veth, *r;
	char path[96], sub[128];
	const char *s, *name = "?";
	long long mtu;
	size_t i, j;

	snprintf(path, sizeof(path), "networks[%zu]", idx);
	if (cfg_want(c, map, path, YNODE_MAP) == -1)
		return;
	cfg_check_keys(c, map, path, keys);

	if ((v = ynode_get(map, "name")) == NULL)
		cfg_error(c, map, path, "name: required");
	else if ((s = cfg_string(c, v, path)) != NULL) {
		if (!netns_name_valid(s))
			cfg_error(c, v, path, "name: \"%s\" is not a valid "
			    "network name (1 to %d of A-Z a-z 0-9 _ . -)", s,
			    NETNS_NAME_MAX);
		else {
			str_copy(sp->name, s, sizeof(sp->name));
			name = s;
			snprintf(path, sizeof(path), "networks[%zu] (%s)", idx,
			    name);
		}
	}

	mac = ynode_get(map, "mac");
	veth = ynode_get(map, "veth");
	if (mac != NULL && veth != NULL)
		cfg_error(c, veth, path, "give either mac (a NIC) or veth (a "
		    "lab link), not both");
	else if (mac == NULL && veth == NULL)
		cfg_error(c, map, path, "mac: required (the MAC address of the "
		    "NIC on this guest network), or veth for a lab link");
	if (mac != NULL && veth == NULL && (s = cfg_string(c, mac, path))) {
		sp->kind = NETNS_LINK_MAC;
		if (netns_mac_parse(s, sp->mac) == -1)
			cfg_error(c, mac, path, "mac: expected six hex octets "
			    "such as 02:00:5e:00:53:01, found \"%s\"", s);
	}
	if (veth != NULL && mac == NULL && cfg_want(c, veth, path,
	    YNODE_MAP) == 0) {
		sp->kind = NETNS_LINK_VETH;
		snprintf(sub, sizeof(sub), "%s.veth", path);
		cfg_check_keys(c, veth, sub, vkeys);
		if ((v = ynode_get(veth, "peer")) == NULL)
			cfg_error(c, veth, sub, "peer: required (the name of "
			    "the other end of the pair)");
		else if ((s = cfg_string(c, v, sub)) != NULL &&
		    str_copy(sp->veth_peer, s, sizeof(sp->veth_peer)) >=
		    sizeof(sp->veth_peer))
			cfg_error(c, v, sub, "peer: \"%s\" is longer than %zu "
			    "characters", s, sizeof(sp->veth_peer) - 1);
		if ((v = ynode_get(veth, "peer_netns")) != NULL &&
		    (s = cfg_string(c, v, sub)) != NULL) {
			if (!netns_name_valid(s))
				cfg_error(c, v, sub, "peer_netns: \"%s\" is not "
				    "a valid namespace name", s);
			else
				str_copy(sp->veth_peer_netns, s,
				    sizeof(sp->veth_peer_netns));
		}
	}
	if ((v = ynode_get(map, "ifname")) != NULL &&
	    (s = cfg_string(c, v, path)) != NULL &&
	    str_copy(sp->ifname, s, sizeof(sp->ifname)) >= sizeof(sp->ifname))
		cfg_error(c, v, path, "ifname: \"%s\" is longer than %zu "
		    "characters", s, sizeof(sp->ifname) - 1);
	if ((v = ynode_get(map, "mtu")) != NULL) {
		if (ynode_int(v, 68, 65535, &mtu) == -1)
			cfg_error(c, v, path, "mtu: expected a number from 68 "
			    "to 65535, found \"%s\"", v->str ? v->str :
			    ynode_type_name(v->type));
		else
			sp->mtu = (uint32_t)mtu;
	}

	if ((v = ynode_get(map, "addresses")) == NULL)
		cfg_error(c, map, path, "addresses: required (at least one "
		    "address with its prefix, such as 198.18.1.2/24)");
	else if (cfg_want(c, v, path, YNODE_SEQ) == 0) {
		if (v->n == 0)
			cfg_error(c, v, path, "addresses: at least one address "
			    "is required");
		if (v->n > NETNS_ADDR_MAX)
			cfg_error(c, v, path, "addresses: at most %d, found %zu",
			    NETNS_ADDR_MAX, v->n);
		for (i = 0; i < v->n && i < NETNS_ADDR_MAX; i++) {
			struct netns_addr a;

			snprintf(sub, sizeof(sub), "%s.addresses[%zu]", path, i);
			if (cfg_addr(c, v->items[i], sub, 1, &a) == -1)
				continue;
			for (j = 0; j < sp->naddrs; j++)
				if (memcmp(&sp->addrs[j], &a, sizeof(a)) == 0)
					break;
			if (j < sp->naddrs) {
				cfg_error(c, v->items[i], sub, "duplicate "
				    "address");
				continue;
			}
			sp->addrs[sp->naddrs++] = a;
		}
	}
	if ((v = ynode_get(map, "gateway")) != NULL) {
		snprintf(sub, sizeof(sub), "%s.gateway", path);
		cfg_next_hop(c, v, sub, sp, &sp->gateway4, AF_INET);
	}
	if ((v = ynode_get(map, "gateway6")) != NULL) {
		snprintf(sub, sizeof(sub), "%s.gateway6", path);
		cfg_next_hop(c, v, sub, sp, &sp->gateway6, AF_INET6);
	}
	if ((v = ynode_get(map, "routes")) != NULL &&
	    cfg_want(c, v, path, YNODE_SEQ) == 0) {
		if (v->n > NETNS_ROUTE_MAX)
			cfg_error(c, v, path, "routes: at most %d, found %zu",
			    NETNS_ROUTE_MAX, v->n);
		for (i = 0; i < v->n && i < NETNS_ROUTE_MAX; i++) {
			struct netns_route rt;
			const struct ynode *to, *via;

			memset(&rt, 0, sizeof(rt));
			r = v->items[i];
			snprintf(sub, sizeof(sub), "%s.routes[%zu]", path, i);
			if (cfg_want(c, r, sub, YNODE_MAP) == -1)
				continue;
			cfg_check_keys(c, r, sub, rkeys);
			to = ynode_get(r, "to");
			via = ynode_get(r, "via");
			if (to == NULL || via == NULL) {
				cfg_error(c, r, sub, "both to (a prefix) and via "
				    "(a next hop) are required");
				continue;
			}
			if (cfg_addr(c, to, sub, 1, &rt.dst) == -1)
				continue;
			cfg_next_hop(c, via, sub, sp, &rt.via, rt.dst.family);
			sp->routes[sp->nroutes++] = rt;
		}
	}
}

static void
cfg_networks(struct cfg_ctx *c, const struct ynode *seq)
{
	struct broker_config *conf = c->conf;
	const struct ynode *name, *first;
	char *cause = NULL;
	size_t i, j, errs;

	if (cfg_want(c, seq, "networks", YNODE_SEQ) == -1)
		return;
	if (seq->n == 0)
		return;
	conf->networks = xcalloc(seq->n, sizeof(*conf->networks));
	for (i = 0; i < seq->n; i++) {
		struct netns_spec *sp = &conf->networks[conf->nnetworks];

		/* Names are compared even when a network has other errors. */
		name = ynode_get(seq->items[i], "name");
		for (j = 0; name != NULL && name->type == YNODE_SCALAR &&
		    j < i; j++) {
			first = ynode_get(seq->items[j], "name");
			if (first == NULL || first->type != YNODE_SCALAR ||
			    strcmp(first->str, name->str) != 0)
				continue;
			cfg_error(c, name, "networks", "duplicate network name "
			    "\"%s\" (first at line %d)", name->str,
			    first->line);
			break;
		}
		errs = c->d->nerrors;
		memset(sp, 0, sizeof(*sp));
		cfg_network(c, seq->items[i], i, sp);
		if (c->d->nerrors != errs)
			continue;
		/* The parent checks the same way before every attach. */
		if (netns_spec_check(sp, &cause) != 0) {
			cfg_error(c, seq->items[i], "networks", "%s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		conf->nnetworks++;
		json_array_append_new(conf->network_entries,
		    config_node_json(seq->items[i]));
	}
}

static struct broker_config *
config_new(void)
{
	struct broker_config *conf = xcalloc(1, sizeof(*conf));

	conf->user = xstrdup("vnf-broker");
	conf->state_dir = xstrdup(LOCALSTATEDIR "/lib/vnf-broker");
	conf->run_dir = xstrdup(RUNSTATEDIR "/vnf-broker");
	conf->log_level = LOG_LEVEL_INFO;
	conf->restart_backoff_max = 60;
	conf->drain_timeout = CONF_DRAIN_TIMEOUT;
	conf->view = json_object();
	json_object_set_new(conf->view, "appliances", json_array());
	json_object_set_new(conf->view, "users", json_array());
	conf->network_entries = json_array();
	return conf;
}

/* An enabled jump host without listen.ssh gets the embedded default. */
static void
cfg_ssh_default_listener(struct broker_config *conf)
{
	size_t i;

	if (!conf->roles[ROLE_SSH].enabled)
		return;
	for (i = 0; i < conf->nlisteners; i++)
		if (strcmp(conf->listeners[i].name, "ssh") == 0)
			return;
	if (conf->nlisteners == CONF_LISTENERS_MAX)
		return;		/* conf_listen() reported it */
	str_copy(conf->listeners[i].name, "ssh",
	    sizeof(conf->listeners[i].name));
	str_copy(conf->listeners[i].addr, CONF_SSH_DEFAULT_LISTEN,
	    sizeof(conf->listeners[i].addr));
	conf->nlisteners++;
}

/*
 * An enabled engine always gets its local unix socket, "api_unix": the
 * parent binds it at api.socket (default run_dir/api.sock); addr is only
 * a label here, the path lives in the engine's settings.
 */
static void
cfg_api_unix_listener(struct broker_config *conf)
{
	size_t i;

	if (!conf->roles[ROLE_ENGINE].enabled)
		return;
	for (i = 0; i < conf->nlisteners; i++)
		if (strcmp(conf->listeners[i].name, "api_unix") == 0)
			return;
	if (conf->nlisteners == CONF_LISTENERS_MAX)
		return;		/* conf_listen() reported it */
	str_copy(conf->listeners[i].name, "api_unix",
	    sizeof(conf->listeners[i].name));
	str_copy(conf->listeners[i].addr, "unix",
	    sizeof(conf->listeners[i].addr));
	conf->nlisteners++;
}

struct broker_config *
config_parse(const char *buf, size_t len, const char *file, struct diags *d)
{
	static const char *const keys[] = { "user", "state_dir", "run_dir",
	    "log", "roles", "restart_backoff_max", "drain_timeout",
	    "audit_log", "listen", "dns_suffix", "networks", "appliances",
	    "users", "ssh", "proxy", "api", NULL };
	struct cfg_ctx c;
	struct ynode *root, *v;
	const char *s;
	size_t errs = d->nerrors;
	long long secs;
	int empty;

	memset(&c, 0, sizeof(c));
	c.d = d;
	root = ydoc_parse(buf, len, NULL, d, &empty);
	c.appliance_names = json_object();
	if (root == NULL && !empty) {
		json_decref(c.appliance_names);
		return NULL;
	}
	c.conf = config_new();
	c.conf->path = xstrdup(file);
	if (root == NULL) {
		json_decref(c.appliance_names);
		return c.conf;	/* an empty file means every default */
	}
	if (cfg_want(&c, root, "", YNODE_MAP) == -1)
		goto out;
	cfg_check_keys(&c, root, "", keys);
	if ((v = ynode_get(root, "user")) != NULL &&
	    (s = cfg_string(&c, v, "user")) != NULL)
		cfg_replace(&c.conf->user, xstrdup(s));
	if ((v = ynode_get(root, "state_dir")) != NULL)
		cfg_replace(&c.conf->state_dir, cfg_abspath(&c, v, "state_dir"));
	if ((v = ynode_get(root, "run_dir")) != NULL)
		cfg_replace(&c.conf->run_dir, cfg_abspath(&c, v, "run_dir"));
	if ((v = ynode_get(root, "log")) != NULL)
		cfg_log(&c, v);
	if ((v = ynode_get(root, "roles")) != NULL)
		cfg_roles(&c, v);
	if (cfg_int_get(&c, root, NULL, "restart_backoff_max", 1, 3600,
	    "seconds", &secs) == 1)
		c.conf->restart_backoff_max = (unsigned)secs;
	if (cfg_int_get(&c, root, NULL, "drain_timeout", 0, 86400, "seconds",
	    &secs) == 1)
		c.conf->drain_timeout = (unsigned)secs;
	if ((v = ynode_get(root, "audit_log")) != NULL)
		cfg_replace(&c.conf->audit_log, cfg_abspath(&c, v, "audit_log"));
	if ((v = ynode_get(root, "listen")) != NULL)
		conf_listen(&c, v);
	if ((v = ynode_get(root, "dns_suffix")) != NULL)
		conf_dns_suffix(&c, v);
	/* In dependency order, whatever the order in the file. */
	if ((v = ynode_get(root, "networks")) != NULL)
		cfg_networks(&c, v);
	if ((v = ynode_get(root, "appliances")) != NULL)
		conf_appliances(&c, v);
	if ((v = ynode_get(root, "users")) != NULL)
		conf_users(&c, v);
	if ((v = ynode_get(root, "ssh")) != NULL)
		c.conf->role_settings[ROLE_SSH] = ssh_conf_parse(&c, v);
	if ((v = ynode_get(root, "proxy")) != NULL)
		c.conf->role_settings[ROLE_PROXY] = proxy_conf_parse(&c, v);
	if ((v = ynode_get(root, "api")) != NULL)
		c.conf->role_settings[ROLE_ENGINE] = api_conf_parse(&c, v);
	cfg_ssh_default_listener(c.conf);
	cfg_api_unix_listener(c.conf);
out:
	ynode_free(root);
	json_decref(c.appliance_names);
	if (d->nerrors != errs) {
		config_free(c.conf);
		return NULL;
	}
	return c.conf;
}

struct broker_config *
config_load(const char *path, struct diags *d)
{
	struct broker_config *conf;
	char *buf;
	size_t len;

	if (path == NULL && access(CONFIG_DEFAULT_PATH, F_OK) == -1 &&
	    errno == ENOENT) {
		diags_init(d, "(embedded default)");
		return config_parse(config_default_yaml,
		    strlen(config_default_yaml), d->file, d);
	}
	if (path == NULL)
		path = CONFIG_DEFAULT_PATH;
	diags_init(d, path);
	if (ydoc_read_file(path, ydoc_default_limits.max_bytes, &buf, &len,
	    d) == -1)
		return NULL;
	conf = config_parse(buf, len, path, d);
	free(buf);
	return conf;
}

void
config_free(struct broker_config *conf)
{
	size_t i, j;

	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->user);
	free(conf->state_dir);
	free(conf->run_dir);
	for (i = 0; i < ROLE_MAX; i++) {
		free(conf->roles[i].program);
		for (j = 0; j < conf->roles[i].nargs; j++)
			free(conf->roles[i].args[j]);
		free(conf->roles[i].args);
	}
	free(conf->networks);
	json_decref(conf->network_entries);
	free(conf->audit_log);
	json_decref(conf->view);
	for (i = 0; i < ROLE_MAX; i++)
		json_decref(conf->role_settings[i]);
	free(conf);
}

/* H2: state */
json_t *
config_node_json(const struct ynode *n)
{
	json_t *o;
	long long ll;
	size_t i;
	int b;

	switch (n->type) {
	case YNODE_MAP:
		o = json_object();
		for (i = 0; i < n->n; i++)
			json_object_set_new(o, n->pairs[i].key->str,
			    config_node_json(n->pairs[i].value));
		return o;
	case YNODE_SEQ:
		o = json_array();
		for (i = 0; i < n->n; i++)
			json_array_append_new(o, config_node_json(n->items[i]));
		return o;
	default:
		if (n->plain && ynode_is_null(n))
			return json_null();
		if (n->plain && ynode_bool(n, &b) == 0)
			return json_boolean(b);
		if (n->plain && ynode_int(n, LLONG_MIN, LLONG_MAX, &ll) == 0)
			return json_integer(ll);
		if (n->plain && n->len > 0 && n->len < 64 &&
		    strspn(n->str, "0123456789+-.eE") == n->len &&
		    strpbrk(n->str, "0123456789") != NULL) {
			char *end;
			double dv;

			errno = 0;
			dv = strtod(n->str, &end);
			if (*end == '\0' && errno == 0)
				return json_real(dv);
		}
		return json_stringn(n->str, n->len);
	}
}

json_t *
config_check_entry(const char *kind, const char *buf, size_t len,
    const char *file, const struct netns_spec *nets, size_t nnets,
    json_t *appliances, struct netns_spec *spec, struct diags *d)
{
	struct cfg_ctx c;
	struct ynode *root, seq;
	json_t *out = NULL;
	const char *k, *v;
	json_t *x;
	size_t errs = d->nerrors, first = d->n, i;
	int empty;

	(void)file;
	memset(&c, 0, sizeof(c));
	c.d = d;
	if ((root = ydoc_parse(buf, len, NULL, d, &empty)) == NULL) {
		if (empty)
			diag_add(d, DIAG_ERROR, 0, 0, "", "empty document: "
			    "expected a %s entry (a map)", kind);
		return NULL;
	}
	c.conf = config_new();
	c.appliance_names = json_object();
	if (cfg_want(&c, root, "", YNODE_MAP) == -1)
		goto out;
	/* The entry as the list's only item: the list's checks apply. */
	memset(&seq, 0, sizeof(seq));
	seq.type = YNODE_SEQ;
	seq.line = root->line;
	seq.column = root->column;
	seq.items = &root;
	seq.n = 1;
	if (strcmp(kind, "network") == 0) {
		cfg_networks(&c, &seq);
		if (d->nerrors == errs && c.conf->nnetworks == 1) {
			if (spec != NULL)
				*spec = c.conf->networks[0];
			out = config_node_json(root);
		}
		goto out;
	}
	/* Borrowed for the checks, given back before config_free(). */
	c.conf->networks = (struct netns_spec *)nets;
	c.conf->nnetworks = nnets;
	if (strcmp(kind, "user") == 0)
		json_object_foreach(appliances, k, x)
			json_object_set_new(c.appliance_names, k,
			    json_integer(0));
	if (strcmp(kind, "appliance") == 0) {
		conf_appliances(&c, &seq);
		v = "appliances";
	} else if (strcmp(kind, "user") == 0) {
		conf_users(&c, &seq);
		v = "users";
	} else {
		diag_add(d, DIAG_ERROR, 0, 0, "", "unknown kind \"%s\"", kind);
		v = NULL;
	}
	c.conf->networks = NULL;
	c.conf->nnetworks = 0;
	if (v != NULL && d->nerrors == errs)
		out = json_incref(json_array_get(json_object_get(c.conf->view,
		    v), 0));
out:
	/*
	 * The entry stands alone here: "appliances[0] (a1).address" reads
	 * better as "address".
	 */
	for (i = first; i < d->n; i++) {
		char *pth = d->v[i].path, *rest;

		if (pth == NULL || (rest = strstr(pth, "[0]")) == NULL ||
		    strchr(pth, '[') != rest)
			continue;
		rest += 3;
		if (rest[0] == ' ' && rest[1] == '(' &&
		    (rest = strchr(rest, ')')) != NULL)
			rest++;
		if (*rest == '.')
			rest++;
		memmove(pth, rest, strlen(rest) + 1);
	}
	ynode_free(root);
	json_decref(c.appliance_names);
	config_free(c.conf);
	if (d->nerrors != errs) {
		json_decref(out);
		return NULL;
	}
	return out;
}
/* end H2: state */
