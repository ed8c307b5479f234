/*
 * The engine's registry: /v1/networks, /v1/providers, /v1/appliances and
 * /v1/users.  Reads come from the configuration view the parent sent (it
 * merges broker.yaml with the state directory); writes go to the parent
 * as PRIV_STATE_PUT / PRIV_STATE_DEL, which validates with the
 * configuration parser, writes the state file, pushes every role its new
 * view and only then answers.  So when the reply arrives here the view
 * already holds the change (the channel keeps order), and the answer is
 * built from it.
 *
 * What the engine checks before asking (so the client gets every problem
 * at once, with field names): the body's shape (JSON types, unknown
 * fields), for a provider the whole dictionary (the parent never parses
 * dictionaries), and that an appliance's network and provider exist.
 * The parent's parser checks the rest (addresses, ports, key syntax).
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "broker/engine.h"
#include "broker/priv-proto.h"
#include "common/diag.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/dict.h"

#define REGISTRY_MASK	"********"

/* What a path's first segment names. */
struct reg_kind {
	const char	*plural;	/* "networks": path and list key */
	const char	*kind;		/* "network": the parent's kind */
	size_t		 name_max;
};

static const struct reg_kind reg_kinds[] = {
	{ "networks", "network", NETNS_NAME_MAX },
	{ "providers", "provider", 63 },
	{ "appliances", "appliance", 63 },
	{ "users", "user", 32 },
};

/* A field of a body: its JSON type, and for objects/arrays the inside. */
enum reg_type {
	RT_STRING = 1,
	RT_INT,
	RT_OBJECT,		/* any object (cs_data) */
	RT_STRINGS,		/* array of strings */
	RT_INTS,		/* array of integers */
	RT_VETH,		/* {peer, peer_netns} */
	RT_ROUTES,		/* [{to, via}] */
	RT_GRANTS,		/* [{appliances, networks, ports}] */
};

struct reg_field {
	const char	*name;
	enum reg_type	 type;
};

static const struct reg_field net_fields[] = {
	{ "name", RT_STRING }, { "mac", RT_STRING }, { "veth", RT_VETH },
	{ "ifname", RT_STRING }, { "mtu", RT_INT },
	{ "addresses", RT_STRINGS }, { "gateway", RT_STRING },
	{ "gateway6", RT_STRING }, { "routes", RT_ROUTES }, { NULL, 0 },
};
static const struct reg_field app_fields[] = {
	{ "name", RT_STRING }, { "network", RT_STRING },
	{ "address", RT_STRING }, { "ports", RT_INTS },
	{ "provider", RT_STRING }, { "cs_data", RT_OBJECT }, { NULL, 0 },
};
static const struct reg_field user_fields[] = {
	{ "name", RT_STRING }, { "ssh_authorized_keys", RT_STRINGS },
	{ "ssh_principals", RT_STRINGS }, { "ssh_password_hash", RT_STRING },
	{ "proxy_password_hash", RT_STRING }, { "grants", RT_GRANTS },
	{ NULL, 0 },
};
static const struct reg_field veth_fields[] = {
	{ "peer", RT_STRING }, { "peer_netns", RT_STRING }, { NULL, 0 },
};
static const struct reg_field route_fields[] = {
	{ "to", RT_STRING }, { "via", RT_STRING }, { NULL, 0 },
};
static const struct reg_field grant_fields[] = {
	{ "appliances", RT_STRINGS }, { "networks", RT_STRINGS },
	{ "ports", RT_INTS }, { NULL, 0 },
};

/* A write waiting for the parent's answer. */
struct reg_call {
	struct engine		*e;
	struct engine_req	*req;
	const struct reg_kind	*k;
	char			 name[64];
	char			 client[128];	/* for the log, after the reply */
	int			 existed;
	int			 del;
};

static const struct reg_kind *
reg_kind_of(struct engine_req *req)
{
	const char *p = engine_req_path(req), *s;
	size_t i, n;

	if (strncmp(p, "/v1/", 4) != 0)
		return NULL;
	p += 4;
	n = (s = strchr(p, '/')) != NULL ? (size_t)(s - p) : strlen(p);
	for (i = 0; i < sizeof(reg_kinds) / sizeof(reg_kinds[0]); i++)
		if (strlen(reg_kinds[i].plural) == n &&
		    strncmp(reg_kinds[i].plural, p, n) == 0)
			return &reg_kinds[i];
	return NULL;
}

/* Find NAME in the view's list KEY ("appliances", "networks", "users"). */
static json_t *
registry_find(struct engine *e, const char *key, const char *name)
{
	json_t *list, *o;
	size_t i;

	if (e->view == NULL || name == NULL)
		return NULL;
	list = json_object_get(e->view, key);
	json_array_foreach(list, i, o) {
		const char *n = json_string_value(json_object_get(o, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return o;
	}
	return NULL;
}

json_t *
engine_appliance(struct engine *e, const char *name)
{
	return registry_find(e, "appliances", name);
}

json_t *
engine_network(struct engine *e, const char *name)
{
	return registry_find(e, "networks", name);
}

json_t *
engine_provider(struct engine *e, const char *name)
{
	if (e->view == NULL || name == NULL)
		return NULL;
	return json_object_get(json_object_get(e->view, "providers"), name);
}

/* An object as answered: secrets replaced by the mask (a new object). */
static json_t *
reg_masked(const struct reg_kind *k, json_t *o)
{
	json_t *c = json_deep_copy(o), *cs, *v;
	const char *key;

	if (strcmp(k->kind, "appliance") == 0 &&
	    (cs = json_object_get(c, "cs_data")) != NULL) {
		json_object_foreach(cs, key, v)
			if (prov_is_secret_name(key))
				json_object_set_new(cs, key,
				    json_string(REGISTRY_MASK));
	}
	if (strcmp(k->kind, "user") == 0) {
		if (json_object_get(c, "ssh_password_hash") != NULL)
			json_object_set_new(c, "ssh_password_hash",
			    json_string(REGISTRY_MASK));
		if (json_object_get(c, "proxy_password_hash") != NULL)
			json_object_set_new(c, "proxy_password_hash",
			    json_string(REGISTRY_MASK));
	}
	return c;
}

/* A provider's summary, from its YAML (linted again: it is cheap). */
static json_t *
reg_provider_summary(const char *name, json_t *p)
{
	const char *yaml = json_string_value(json_object_get(p, "yaml"));
	struct prov_dict *dict;
	struct diags d;
	json_t *o, *svcs, *ops, *keys;
	size_t i, j;

	o = json_pack("{s:s,s:O*}", "name", name, "origin",
	    json_object_get(p, "origin"));
	if (yaml == NULL)
		return o;
	diags_init(&d, name);
	dict = prov_dict_parse(yaml, strlen(yaml), name, &d);
	diags_free(&d);
	if (dict == NULL) {
		json_object_set_new(o, "error", json_string("the dictionary no "
		    "longer loads"));
		return o;
	}
	if (dict->description != NULL)
		json_object_set_new(o, "description",
		    json_string(dict->description));
	if (dict->version != NULL)
		json_object_set_new(o, "version", json_string(dict->version));
	if (dict->vendor != NULL)
		json_object_set_new(o, "vendor", json_string(dict->vendor));
	svcs = json_array();
	for (i = 0; i < dict->nservices; i++) {
		ops = json_array();
		for (j = 0; j < dict->services[i].nops; j++)
			json_array_append_new(ops, json_string(
			    dict->services[i].ops[j].name));
		json_array_append_new(svcs, json_pack("{s:s,s:o}", "name",
		    dict->services[i].name, "operations", ops));
	}
	json_object_set_new(o, "services", svcs);
	keys = json_array();
	for (i = 0; i < dict->ncs_keys; i++)
		json_array_append_new(keys, json_string(dict->cs_keys[i]));
	json_object_set_new(o, "cs_data_keys", keys);
	prov_dict_free(dict);
	return o;
}

void
engine_registry_list(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	const struct reg_kind *k = reg_kind_of(req);
	json_t *list, *o;
	const char *name;
	size_t i;

	(void)params;
	if (k == NULL) {
		engine_reply_error(req, 404, "not_found", NULL, "no such "
		    "resource");
		return;
	}
	list = json_array();
	if (strcmp(k->kind, "provider") == 0) {
		json_object_foreach(json_object_get(e->view, "providers"), name,
		    o)
			json_array_append_new(list, reg_provider_summary(name,
			    o));
	} else {
		json_array_foreach(json_object_get(e->view, k->plural), i, o) {
			/* the ssh and proxy views hold names only */
			if (json_is_object(o))
				json_array_append_new(list, reg_masked(k, o));
		}
	}
	engine_reply_json(req, 200, json_pack("{s:o}", k->plural, list));
}

/* The object kind/name in the view (borrowed), or NULL. */
static json_t *
reg_lookup(struct engine *e, const struct reg_kind *k, const char *name)
{
	if (strcmp(k->kind, "provider") == 0)
		return engine_provider(e, name);
	return registry_find(e, k->plural, name);
}

static int
reg_accepts_yaml(const char *accept)
{
	return accept != NULL && (strstr(accept, "application/yaml") ||
	    strstr(accept, "text/yaml") || strstr(accept, "application/x-yaml"));
}

void
engine_registry_get(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	const struct reg_kind *k = reg_kind_of(req);
	json_t *o;
	const char *yaml;

	if (k == NULL || (o = reg_lookup(e, k, params[0])) == NULL) {
		engine_reply_error(req, 404, "not_found", NULL, "no %s \"%s\"",
		    k ? k->kind : "object", params[0]);
		return;
	}
	if (strcmp(k->kind, "provider") == 0) {
		yaml = json_string_value(json_object_get(o, "yaml"));
		if (reg_accepts_yaml(engine_req_header(req, "Accept")) &&
		    yaml != NULL) {
			engine_reply_text(req, 200, "application/yaml", yaml,
			    strlen(yaml));
			return;
		}
		engine_reply_json(req, 200, reg_provider_summary(params[0], o));
		return;
	}
	engine_reply_json(req, 200, reg_masked(k, o));
}

/* Add {field, message} to details. */
static void
reg_detail(json_t *details, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reg_detail(json_t *details, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	json_array_append_new(details, json_pack("{s:s,s:s}", "field", field,
	    "message", msg ? msg : "invalid"));
	free(msg);
}

static void reg_check_fields(json_t *, const char *,
	    const struct reg_field *, json_t *);

/* Check one value against type; path names it in details. */
static void
reg_check_value(json_t *v, const char *path, enum reg_type type,
    json_t *details)
{
	const struct reg_field *sub = NULL;
	char buf[256];
	json_t *x;
	size_t i;

	switch (type) {
	case RT_STRING:
		if (!json_is_string(v))
			reg_detail(details, path, "expected a string");
		return;
	case RT_INT:
		if (!json_is_integer(v))
			reg_detail(details, path, "expected an integer");
		return;
	case RT_OBJECT:
		if (!json_is_object(v))
			reg_detail(details, path, "expected an object");
		return;
	case RT_VETH:
		if (!json_is_object(v))
			reg_detail(details, path, "expected an object");
		else
			reg_check_fields(v, path, veth_fields, details);
		return;
	case RT_STRINGS:
	case RT_INTS:
	case RT_ROUTES:
	case RT_GRANTS:
		break;
	}
	if (!json_is_array(v)) {
		reg_detail(details, path, "expected an array");
		return;
	}
	if (type == RT_ROUTES)
		sub = route_fields;
	else if (type == RT_GRANTS)
		sub = grant_fields;
	json_array_foreach(v, i, x) {
		snprintf(buf, sizeof(buf), "%.200s[%zu]", path, i);
		if (type == RT_STRINGS && !json_is_string(x))
			reg_detail(details, buf, "expected a string");
		else if (type == RT_INTS && !json_is_integer(x))
			reg_detail(details, buf, "expected an integer");
		else if (sub != NULL && !json_is_object(x))
			reg_detail(details, buf, "expected an object");
		else if (sub != NULL)
			reg_check_fields(x, buf, sub, details);
	}
}

/* Unknown fields and wrong types of an object, all of them. */
static void
reg_check_fields(json_t *o, const char *prefix, const struct reg_field *f,
    json_t *details)
{
	const char *key;
	char path[256];
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v) {
		for (i = 0; f[i].name != NULL; i++)
			if (strcmp(f[i].name, key) == 0)
				break;
		snprintf(path, sizeof(path), "%.200s%s%.50s", prefix,
		    prefix[0] ? "." : "", key);
		if (f[i].name == NULL) {
			reg_detail(details, path, "unknown field");
			continue;
		}
		reg_check_value(v, path, f[i].type, details);
	}
}

/*
 * A client that read an object back gets the mask for secrets; PUT of
 * the mask keeps the value in force, so GET then PUT round-trips.
 */
static void
reg_unmask(const struct reg_kind *k, json_t *body, json_t *cur)
{
	static const char *const hashes[] = { "ssh_password_hash",
	    "proxy_password_hash", NULL };
	json_t *cs, *ccs, *v;
	const char *key;
	size_t i;

	if (cur == NULL)
		return;
	if (strcmp(k->kind, "user") == 0) {
		for (i = 0; hashes[i] != NULL; i++) {
			v = json_object_get(body, hashes[i]);
			if (json_is_string(v) && strcmp(json_string_value(v),
			    REGISTRY_MASK) == 0 && json_object_get(cur,
			    hashes[i]) != NULL)
				json_object_set(body, hashes[i],
				    json_object_get(cur, hashes[i]));
		}
	}
	if (strcmp(k->kind, "appliance") == 0 &&
	    (cs = json_object_get(body, "cs_data")) != NULL &&
	    (ccs = json_object_get(cur, "cs_data")) != NULL) {
		json_object_foreach(cs, key, v)
			if (json_is_string(v) && strcmp(json_string_value(v),
			    REGISTRY_MASK) == 0 && json_object_get(ccs, key))
				json_object_set(cs, key, json_object_get(ccs,
				    key));
	}
}

/* The parent answered a write. */
static void
reg_on_reply(int code, const char *msg, void *arg)
{
	struct reg_call *c = arg;
	const struct reg_kind *k = c->k;
	json_t *o;

	if (code == 0) {
		if (c->del) {
			log_info("%s: %s %s deleted", c->client, k->kind,
			    c->name);
			engine_reply_json(c->req, 204, NULL);
		} else if (strcmp(k->kind, "provider") == 0) {
			o = engine_provider(c->e, c->name);
			engine_reply_json(c->req, c->existed ? 200 : 201,
			    o != NULL ? reg_provider_summary(c->name, o) :
			    json_pack("{s:s}", "name", c->name));
		} else {
			o = reg_lookup(c->e, k, c->name);
			engine_reply_json(c->req, c->existed ? 200 : 201,
			    o != NULL ? reg_masked(k, o) : json_pack("{s:s}",
			    "name", c->name));
		}
		/* c->req is gone with the reply: the client name was kept */
		if (!c->del)
			log_info("%s: %s %s %s", c->client, k->kind, c->name,
			    c->existed ? "put" : "created");
		free(c);
		return;
	}
	if (code == VB_ENOTOWNED)
		engine_reply_error(c->req, 409, "defined_in_config", NULL,
		    "%s", msg);
	else if (code == -EBUSY)
		engine_reply_error(c->req, 409, "in_use", NULL, "%s", msg);
	else if (code == VB_ENOTFOUND && c->del)
		engine_reply_error(c->req, 404, "not_found", NULL, "%s", msg);
	else if (code == VB_ECONFIG || code == VB_ENOTFOUND ||
	    code == VB_EEXIST)
		engine_reply_error(c->req, 422, strcmp(k->kind, "provider") ==
		    0 ? "invalid_provider" : "invalid_object", NULL, "%s", msg);
	else
		engine_reply_error(c->req, 502, "parent_failed", NULL, "%s",
		    msg != NULL ? msg : err_str(code));
	free(c);
}

/* Send the parent a write; answers the request on failure to send. */
static void
reg_send(struct engine *e, struct engine_req *req, const struct reg_kind *k,
    const char *name, const char *text, size_t len, int existed, int del)
{
	struct priv_state st;
	struct reg_call *c;
	long h;
	int fd = -1;

	memset(&st, 0, sizeof(st));
	str_copy(st.kind, k->kind, sizeof(st.kind));
	str_copy(st.name, name, sizeof(st.name));
	st.size = len;
	if (!del && (fd = ipc_memfd("vnf-broker-state", text, len)) < 0) {
		engine_reply_error(req, 500, "internal", NULL, "memfd: %s",
		    err_str(fd));
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->e = e;
	c->req = req;
	str_copy(c->client, engine_req_client(req), sizeof(c->client));
	c->k = k;
	str_copy(c->name, name, sizeof(c->name));
	c->existed = existed;
	c->del = del;
	h = role_request(e->rt, del ? PRIV_STATE_DEL : PRIV_STATE_PUT, &st,
	    sizeof(st), fd, reg_on_reply, c);
	if (fd >= 0)
		close(fd);
	if (h < 0) {
		free(c);
		engine_reply_error(req, 502, "parent_failed", NULL, "cannot "
		    "reach the parent: %s", err_str((int)h));
	}
}

/* A name in a path: the rule of its kind (the parent checks it again). */
static int
reg_name_ok(const struct reg_kind *k, const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > k->name_max || name[0] == '-' || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    (ch == '.' && strcmp(k->kind, "network") == 0)))
			return 0;
	}
	return 1;
}

static int
reg_yaml_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, "; ");
	return (n == 16 && strncasecmp(ct, "application/yaml", n) == 0) ||
	    (n == 18 && strncasecmp(ct, "application/x-yaml", n) == 0) ||
	    (n == 9 && strncasecmp(ct, "text/yaml", n) == 0) ||
	    (n == 10 && strncasecmp(ct, "text/plain", n) == 0);
}

/* PUT /v1/providers/NAME: the dictionary, linted here, kept as text. */
static void
reg_put_provider(struct engine *e, struct engine_req *req,
    const struct reg_kind *k, const char *name)
{
	struct prov_dict *dict;
	struct diags d;
	const char *body;
	json_t *details;
	size_t len, i;

	if (!reg_yaml_type(engine_req_header(req, "Content-Type"))) {
		engine_reply_error(req, 415, "unsupported_media_type", NULL,
		    "a provider is uploaded as YAML (Content-Type: "
		    "application/yaml)");
		return;
	}
	if ((body = engine_req_body(req, &len)) == NULL || len == 0) {
		engine_reply_error(req, 422, "invalid_provider", NULL,
		    "the body is empty: expected the dictionary's YAML");
		return;
	}
	if (memchr(body, '\0', len) != NULL || len > PRIV_STATE_MAX) {
		engine_reply_error(req, len > PRIV_STATE_MAX ? 413 : 422,
		    len > PRIV_STATE_MAX ? "body_too_large" :
		    "invalid_provider", NULL, "a dictionary is text of at most "
		    "%d bytes", PRIV_STATE_MAX);
		return;
	}
	diags_init(&d, name);
	dict = prov_dict_parse(body, len, name, &d);
	if (dict == NULL) {
		details = json_array();
		for (i = 0; i < d.n; i++) {
			if (d.v[i].severity != DIAG_ERROR)
				continue;
			json_array_append_new(details, json_pack(
			    "{s:i,s:i,s:s,s:s}", "line", d.v[i].line, "column",
			    d.v[i].column, "path", d.v[i].path ? d.v[i].path :
			    "", "message", d.v[i].msg ? d.v[i].msg : ""));
		}
		engine_reply_error(req, 422, "invalid_provider", details,
		    "provider \"%s\": %zu error%s in the dictionary", name,
		    d.nerrors, d.nerrors == 1 ? "" : "s");
		diags_free(&d);
		return;
	}
	prov_dict_free(dict);
	diags_free(&d);
	reg_send(e, req, k, name, body, len, engine_provider(e, name) != NULL,
	    0);
}

void
engine_registry_put(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	const struct reg_kind *k = reg_kind_of(req);
	const struct reg_field *fields;
	const char *name = params[0], *s;
	json_t *body, *cur, *details, *v;
	char *text;

	if (k == NULL) {
		engine_reply_error(req, 404, "not_found", NULL, "no such "
		    "resource");
		return;
	}
	if (!reg_name_ok(k, name)) {
		engine_reply_error(req, 400, "invalid_field", json_pack(
		    "[{s:s,s:s}]", "field", "name", "message", "invalid name"),
		    "\"%s\" is not a valid %s name (1 to %zu of A-Z a-z 0-9 - "
		    "_%s)", name, k->kind, k->name_max, strcmp(k->kind,
		    "network") == 0 ? " ." : "");
		return;
	}
	if (strcmp(k->kind, "provider") == 0) {
		reg_put_provider(e, req, k, name);
		return;
	}
	if ((body = engine_req_json(req)) == NULL)
		return;		/* answered: 400 invalid_json */
	fields = strcmp(k->kind, "network") == 0 ? net_fields :
	    strcmp(k->kind, "appliance") == 0 ? app_fields : user_fields;
	details = json_array();
	reg_check_fields(body, "", fields, details);
	if ((v = json_object_get(body, "name")) != NULL &&
	    json_is_string(v) && strcmp(json_string_value(v), name) != 0)
		reg_detail(details, "name", "\"%s\" differs from the name in "
		    "the path, \"%s\"", json_string_value(v), name);
	if (json_array_size(details) > 0) {
		engine_reply_error(req, 400, "invalid_field", details,
		    "%zu invalid field%s", json_array_size(details),
		    json_array_size(details) == 1 ? "" : "s");
		return;
	}
	json_decref(details);
	cur = reg_lookup(e, k, name);
	if (cur != NULL && strcmp(json_string_value(json_object_get(cur,
	    "origin")) ? json_string_value(json_object_get(cur, "origin")) :
	    "", "config") == 0) {
		engine_reply_error(req, 409, "defined_in_config", NULL, "%s "
		    "\"%s\" is defined in broker.yaml; change it there", k->kind,
		    name);
		return;
	}
	if (strcmp(k->kind, "appliance") == 0) {
		s = json_string_value(json_object_get(body, "network"));
		if (s != NULL && engine_network(e, s) == NULL) {
			engine_reply_error(req, 422, "invalid_object", json_pack(
			    "[{s:s,s:s}]", "field", "network", "message",
			    "unknown network"), "network \"%s\" does not exist",
			    s);
			return;
		}
		s = json_string_value(json_object_get(body, "provider"));
		if (s != NULL && engine_provider(e, s) == NULL) {
			engine_reply_error(req, 422, "invalid_object", json_pack(
			    "[{s:s,s:s}]", "field", "provider", "message",
			    "unknown provider"), "provider \"%s\" is not "
			    "registered", s);
			return;
		}
	}
	/* The state file: the body as given, with its name. */
	body = json_deep_copy(body);
	json_object_set_new(body, "name", json_string(name));
	reg_unmask(k, body, cur);
	text = json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(body);
	if (text == NULL) {
		engine_reply_error(req, 500, "internal", NULL, "out of memory");
		return;
	}
	reg_send(e, req, k, name, text, strlen(text), cur != NULL, 0);
	free(text);
}

void
engine_registry_delete(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	const struct reg_kind *k = reg_kind_of(req);
	const char *name = params[0], *origin, *key;
	json_t *cur, *a;
	size_t i;

	if (k == NULL || (cur = reg_lookup(e, k, name)) == NULL) {
		engine_reply_error(req, 404, "not_found", NULL, "no %s \"%s\"",
		    k ? k->kind : "object", name);
		return;
	}
	origin = json_string_value(json_object_get(cur, "origin"));
	if (origin != NULL && strcmp(origin, "config") == 0) {
		engine_reply_error(req, 409, "defined_in_config", NULL, "%s "
		    "\"%s\" is defined in broker.yaml; remove it there",
		    k->kind, name);
		return;
	}
	key = strcmp(k->kind, "network") == 0 ? "network" :
	    strcmp(k->kind, "provider") == 0 ? "provider" : NULL;
	if (key != NULL) {
		json_array_foreach(json_object_get(e->view, "appliances"), i,
		    a) {
			const char *u = json_string_value(json_object_get(a,
			    key));

			if (u != NULL && strcmp(u, name) == 0) {
				engine_reply_error(req, 409, "in_use", json_pack(
				    "[{s:s}]", "appliance", json_string_value(
				    json_object_get(a, "name"))), "%s \"%s\" is "
				    "used by appliance \"%s\"", k->kind, name,
				    json_string_value(json_object_get(a,
				    "name")));
				return;
			}
		}
	}
	if (strcmp(k->kind, "provider") == 0 &&
	    engine_ops_provider_busy(e, name)) {
		engine_reply_error(req, 409, "in_use", NULL, "provider \"%s\" "
		    "is used by a running or queued operation", name);
		return;
	}
	reg_send(e, req, k, name, NULL, 0, 1, 1);
}
