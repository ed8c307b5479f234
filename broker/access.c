#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/access.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

/*
 * Everything is kept in the JSON the parent sent (copied once) and
 * searched linearly: a role holds at most a few thousand appliances and
 * users, and a lookup happens once per connection, not per byte.
 */
struct access {
	json_t	*view;
	char	 suffix[256];	/* "" when none */
};

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

struct access *
access_load(json_t *view, char **cause)
{
	struct access *a;
	json_t *v;

	if (!json_is_object(view) ||
	    !json_is_array(json_object_get(view, "appliances")) ||
	    !json_is_array(json_object_get(view, "users")) ||
	    !json_is_array(json_object_get(view, "networks"))) {
		*cause = xstrdup("configuration lacks appliances, users or "
		    "networks");
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->view = json_deep_copy(view);
	if ((v = json_object_get(view, "dns_suffix")) != NULL &&
	    json_is_string(v))
		str_copy(a->suffix, json_string_value(v), sizeof(a->suffix));
	return a;
}

void
access_free(struct access *a)
{
	if (a == NULL)
		return;
	json_decref(a->view);
	free(a);
}

const char *
access_result_name(enum access_result r)
{
	switch (r) {
	case ACCESS_OK:
		return "allowed";
	case ACCESS_UNKNOWN_TARGET:
		return "unknown-target";
	case ACCESS_NOT_PERMITTED:
		return "not-permitted";
	case ACCESS_PORT_NOT_ALLOWED:
		return "port-not-allowed";
	}
	return "?";
}

static json_t *
access_find(json_t *list, const char *key, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(list, i, o)
		if (strcasecmp(jstr(o, key), name) == 0)
			return o;
	return NULL;
}

static int
access_network_attached(const struct access *a, const char *name)
{
	json_t *n;
	size_t i;

	json_array_foreach(json_object_get(a->view, "networks"), i, n)
		if (json_is_string(n) &&
		    strcasecmp(json_string_value(n), name) == 0)
			return 1;
	return 0;
}

static void
access_set_sa(struct target *t, int family, const void *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->sa;

	memset(&t->sa, 0, sizeof(t->sa));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(t->port);
		memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
		t->salen = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(t->port);
		memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
		t->salen = sizeof(*sin6);
	}
	inet_ntop(family, addr, t->address, sizeof(t->address));
}

/*
 * Split "ADDRESS.NETWORK": an IPv4 address is its first four labels, an
 * IPv6 address the first label with '-' for ':'.  Returns the family, or
 * 0 when name has no address in front.
 */
static int
access_split(const char *name, unsigned char addr[16], const char **network)
{
	char buf[64];
	const char *p = name;
	size_t i, n;
	int dots = 0;

	/* IPv4: four labels of digits. */
	for (i = 0; name[i] != '\0' && i < sizeof(buf) - 1; i++) {
		if (name[i] == '.' && ++dots == 4)
			break;
		if (name[i] != '.' && !isdigit((unsigned char)name[i]))
			break;
	}
	if (dots == 4) {
		memcpy(buf, name, i);
		buf[i] = '\0';
		if (inet_pton(AF_INET, buf, addr) == 1 && name[i + 1] != '\0') {
			*network = name + i + 1;
			return AF_INET;
		}
	}
	/* IPv6: one label, hex digits and '-' standing for ':'. */
	if ((p = strchr(name, '.')) == NULL || p == name ||
	    (n = (size_t)(p - name)) >= sizeof(buf) || p[1] == '\0')
		return 0;
	for (i = 0; i < n; i++) {
		if (name[i] == '-')
			buf[i] = ':';
		else if (isxdigit((unsigned char)name[i]))
			buf[i] = name[i];
		else
			return 0;
	}
	buf[n] = '\0';
	if (strchr(buf, ':') == NULL || inet_pton(AF_INET6, buf, addr) != 1)
		return 0;
	*network = p + 1;
	return AF_INET6;
}

enum access_result
access_resolve(const struct access *a, const char *host, uint16_t port,
    struct target *t, const char **reason)
{
	unsigned char addr[16], aaddr[16];
	char name[ACCESS_NAME_MAX + 1];
	const char *network;
	json_t *app, *o;
	size_t n, sl, i;
	int family;

	memset(t, 0, sizeof(*t));
	t->port = port;
	if ((n = str_copy(name, host, sizeof(name))) >= sizeof(name) || n == 0)
		goto unknown;
	str_copy(t->name, host, sizeof(t->name));
	if (name[n - 1] == '.')
		name[--n] = '\0';
	/* Strip the DNS suffix: "x.vnf.internal" -> "x". */
	sl = strlen(a->suffix);
	if (sl > 0 && n > sl + 1 && name[n - sl - 1] == '.' &&
	    strcasecmp(name + n - sl, a->suffix) == 0)
		name[n - sl - 1] = '\0';

	if ((app = access_find(json_object_get(a->view, "appliances"), "name",
	    name)) != NULL) {
		str_copy(t->appliance, jstr(app, "name"), sizeof(t->appliance));
		str_copy(t->network, jstr(app, "network"), sizeof(t->network));
		family = strchr(jstr(app, "address"), ':') ? AF_INET6 : AF_INET;
		if (inet_pton(family, jstr(app, "address"), addr) != 1)
			goto unknown;
		access_set_sa(t, family, addr);
		if (!access_network_attached(a, t->network)) {
			*reason = "the appliance's network is not attached";
			return ACCESS_UNKNOWN_TARGET;
		}
		return ACCESS_OK;
	}
	if ((family = access_split(name, addr, &network)) == 0)
		goto unknown;
	if (!access_network_attached(a, network)) {
		*reason = "no such network";
		return ACCESS_UNKNOWN_TARGET;
	}
	/* Use the configured spelling of the network's name. */
	json_array_foreach(json_object_get(a->view, "networks"), i, o)
		if (strcasecmp(json_string_value(o), network) == 0)
			str_copy(t->network, json_string_value(o),
			    sizeof(t->network));
	access_set_sa(t, family, addr);
	/* An appliance's own address is that appliance. */
	json_array_foreach(json_object_get(a->view, "appliances"), i, o) {
		if (strcmp(jstr(o, "network"), t->network) != 0 ||
		    inet_pton(family, jstr(o, "address"), aaddr) != 1 ||
		    memcmp(aaddr, addr, family == AF_INET ? 4 : 16) != 0)
			continue;
		str_copy(t->appliance, jstr(o, "name"), sizeof(t->appliance));
		break;
	}
	return ACCESS_OK;
unknown:
	*reason = "unknown target";
	return ACCESS_UNKNOWN_TARGET;
}

static int
access_list_has(json_t *list, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (s != NULL && (strcmp(s, "*") == 0 || strcasecmp(s, name) == 0))
			return 1;
	}
	return 0;
}

static int
access_port_in(json_t *list, uint16_t port)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_integer_value(v) == port)
			return 1;
	return 0;
}

enum access_result
access_check(const struct access *a, const char *user, const struct target *t,
    const char **reason)
{
	json_t *u, *app = NULL, *g, *ports;
	size_t i;

	if (t->appliance[0] != '\0') {
		app = access_find(json_object_get(a->view, "appliances"),
		    "name", t->appliance);
		if (app == NULL) {
			*reason = "unknown target";
			return ACCESS_UNKNOWN_TARGET;
		}
		if (!access_port_in(json_object_get(app, "ports"), t->port)) {
			*reason = "port not allowed for this appliance";
			return ACCESS_PORT_NOT_ALLOWED;
		}
	}
	if ((u = access_user(a, user)) == NULL)
		goto deny;
	json_array_foreach(json_object_get(u, "grants"), i, g) {
		ports = json_object_get(g, "ports");
		if (ports != NULL && !access_port_in(ports, t->port))
			continue;
		if (app != NULL &&
		    access_list_has(json_object_get(g, "appliances"),
		    t->appliance))
			return ACCESS_OK;
		/* Network grants always name their ports (checked above). */
		if (ports != NULL &&
		    access_list_has(json_object_get(g, "networks"), t->network))
			return ACCESS_OK;
	}
deny:
	*reason = "not permitted";
	return ACCESS_NOT_PERMITTED;
}

/* User names are case-sensitive, as in ssh and HTTP authentication. */
json_t *
access_user(const struct access *a, const char *user)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(a->view, "users"), i, o)
		if (strcmp(jstr(o, "name"), user) == 0)
			return o;
	return NULL;
}
