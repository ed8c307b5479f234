/*
 * Provider dictionaries: rendering an operation into what would be sent.
 *
 * The input is checked against the service's schema first, every bad
 * field reported; only then is anything rendered.  Each template renders
 * in the context its value lands in (URL, header, JSON or form body, CLI
 * line), so a value that cannot be made safe there fails the whole render.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "provider/dict.h"
#include "provider/schema.h"
#include "provider/template.h"

#define PROV_MASK	"********"

int
prov_text_render(const struct prov_text *t, enum tpl_ctx ctx, json_t *env,
    const char *what, char **out, char **cause)
{
	struct tpl_error err;

	*out = NULL;
	if (t->src == NULL)
		return 0;
	if (t->tpl == NULL) {
		*out = xstrdup(t->src);
		return 0;
	}
	memset(&err, 0, sizeof(err));
	if (tpl_render(t->tpl, ctx, env, out, NULL, &err) != 0) {
		*cause = xasprintf("%s: %s", what, err.msg);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* The same for a bare template source (parameters' leaves). */
static int
rnd_src(const char *src, enum tpl_ctx ctx, json_t *env, const char *what,
    char **out, char **cause)
{
	struct prov_text t = { .src = (char *)(uintptr_t)src };
	struct tpl_error err;
	int rc;

	if (!tpl_has_tags(src)) {
		*out = xstrdup(src);
		return 0;
	}
	memset(&err, 0, sizeof(err));
	if (tpl_compile(src, strlen(src), &t.tpl, &err) != 0) {
		*cause = xasprintf("%s: %s", what, err.msg);
		return -1;
	}
	rc = prov_text_render(&t, ctx, env, what, out, cause);
	tpl_free(t.tpl);
	return rc;
}

/* A copy of v whose string leaves are rendered as text. */
static json_t *
rnd_value(json_t *v, json_t *env, const char *what, char **cause)
{
	json_t *out, *item;
	const char *k;
	char *s, *sub;
	size_t i;

	if (json_is_string(v)) {
		if (rnd_src(json_string_value(v), TPL_CTX_TEXT, env, what, &s,
		    cause) != 0)
			return NULL;
		out = json_string(s);
		freezero_str(s);
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, item) {
			sub = xasprintf("%s[%zu]", what, i);
			item = rnd_value(item, env, sub, cause);
			free(sub);
			if (item == NULL) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, item);
		}
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, k, item) {
			sub = xasprintf("%s.%s", what, k);
			item = rnd_value(item, env, sub, cause);
			free(sub);
			if (item == NULL) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, item);
		}
		return out;
	}
	return json_incref(v);
}

/* Replace the values of secret-named fields (recursively) for display. */
static void
rnd_mask(json_t *v)
{
	const char *k;
	json_t *item;
	size_t i;

	if (json_is_array(v))
		json_array_foreach(v, i, item)
			rnd_mask(item);
	else if (json_is_object(v))
		json_object_foreach(v, k, item) {
			if (prov_is_secret_name(k) && (json_is_string(item) ||
			    json_is_number(item)))
				json_object_set_new(v, k, json_string(PROV_MASK));
			else
				rnd_mask(item);
		}
}

static int
rnd_header_secret(const char *name)
{
	return strcasecmp(name, "Authorization") == 0 ||
	    strcasecmp(name, "Proxy-Authorization") == 0 ||
	    prov_is_secret_name(name);
}

static void
rnd_header_set(struct prov_request *r, const char *name, char *value)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->header_names[i], name) == 0) {
			freezero_str(r->header_values[i]);
			r->header_values[i] = value;
			return;
		}
	}
	r->header_names = xreallocarray(r->header_names, r->nheaders + 1,
	    sizeof(*r->header_names));
	r->header_values = xreallocarray(r->header_values, r->nheaders + 1,
	    sizeof(*r->header_values));
	r->header_names[r->nheaders] = xstrdup(name);
	r->header_values[r->nheaders++] = value;
}

static int
rnd_headers(struct prov_request *r, const struct prov_header *h, size_t n,
    json_t *env, int mask, const char *what, char **cause)
{
	char *v, *w;
	size_t i;

	for (i = 0; i < n; i++) {
		w = xasprintf("%s.%s", what, h[i].name);
		if (prov_text_render(&h[i].value, TPL_CTX_HEADER, env, w, &v,
		    cause) != 0) {
			free(w);
			return -1;
		}
		free(w);
		if (mask && rnd_header_secret(h[i].name)) {
			freezero_str(v);
			v = xstrdup(PROV_MASK);
		}
		rnd_header_set(r, h[i].name, v);
	}
	return 0;
}

static char *
rnd_base64(const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, o = 0;
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	unsigned int v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned int)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned int)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* Authorization from the connection's auth kind. */
static int
rnd_auth(struct prov_request *r, const struct prov_conn *conn, json_t *env,
    int mask, char **cause)
{
	char *user = NULL, *pass = NULL, *tok = NULL, *pair, *b64;
	int rc = -1;

	switch (conn->auth.kind) {
	case PROV_AUTH_BASIC:
		if (prov_text_render(&conn->username, TPL_CTX_HEADER, env, "username",
		    &user, cause) != 0 || prov_text_render(&conn->password,
		    TPL_CTX_HEADER, env, "password", &pass, cause) != 0)
			goto out;
		pair = xasprintf("%s:%s", user ? user : "", pass ? pass : "");
		b64 = rnd_base64(pair);
		freezero_str(pair);
		rnd_header_set(r, "Authorization", mask ? xstrdup(PROV_MASK) :
		    xasprintf("Basic %s", b64));
		freezero_str(b64);
		break;
	case PROV_AUTH_BEARER:
	case PROV_AUTH_API_KEY:
		if (prov_text_render(&conn->auth.token, TPL_CTX_HEADER, env, "token",
		    &tok, cause) != 0)
			goto out;
		if (conn->auth.kind == PROV_AUTH_BEARER)
			rnd_header_set(r, "Authorization", mask ?
			    xstrdup(PROV_MASK) : xasprintf("Bearer %s",
			    tok ? tok : ""));
		else
			rnd_header_set(r, conn->auth.header, mask ?
			    xstrdup(PROV_MASK) : xstrdup(tok ? tok : ""));
		break;
	default:
		break;
	}
	rc = 0;
out:
	freezero_str(user);
	freezero_str(pass);
	freezero_str(tok);
	return rc;
}

/* application/x-www-form-urlencoded encoding of s (space as '+'). */
char *
prov_form_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out, *o;

	o = out = xmalloc(strlen(s) * 3 + 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '*')
			*o++ = (char)c;
		else if (c == ' ')
			*o++ = '+';
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/*
 * Auth type form: FIELD=TOKEN added to a form body (VyOS's key=).  The
 * body must be a form, or absent; Content-Type is set when missing.
 */
static int
rnd_auth_form(struct prov_request *r, const struct prov_conn *conn,
    json_t *env, int mask, char **cause)
{
	char *tok = NULL, *enc, *field, *body;
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->header_names[i], "Content-Type") == 0)
			break;
	if (i < r->nheaders && strstr(r->header_values[i],
	    "x-www-form-urlencoded") == NULL) {
		*cause = xasprintf("auth type form adds the field \"%s\" to a "
		    "form body, but the body's Content-Type is \"%s\"",
		    conn->auth.field, r->header_values[i]);
		return -1;
	}
	if (prov_text_render(&conn->auth.token, TPL_CTX_TEXT, env, "auth token", &tok,
	    cause) != 0)
		return -1;
	enc = mask ? xstrdup(PROV_MASK) : prov_form_encode(tok ? tok : "");
	freezero_str(tok);
	field = prov_form_encode(conn->auth.field);
	body = xasprintf("%s%s%s=%s", r->body ? r->body : "",
	    r->body && *r->body ? "&" : "", field, enc);
	free(field);
	freezero_str(enc);
	freezero_str(r->body);
	r->body = body;
	r->bodylen = strlen(body);
	if (i == r->nheaders)
		rnd_header_set(r, "Content-Type",
		    xstrdup("application/x-www-form-urlencoded"));
	return 0;
}

/* The rendered output of the commands template, one line each. */
static void
rnd_split_lines(struct prov_request *r, char *text)
{
	char *line, *next, *p;

	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0')
			continue;	/* a line that held only {{ if }} */
		r->commands = xreallocarray(r->commands, r->ncommands + 1,
		    sizeof(*r->commands));
		r->commands[r->ncommands++] = xstrdup(line);
	}
}

static int
rnd_callback(struct prov_request *r, const struct prov_op *op, json_t *env,
    int mask, char **cause)
{
	const struct prov_callback *cb = op->callback;
	json_t *o, *params, *hdrs;
	struct prov_request tmp;
	char *s;
	size_t i;

	o = json_object();
	r->callback = o;
	if (cb->kind == PROV_CALLBACK_CLOUDSTACK) {
		json_object_set_new(o, "action", json_string(cb->action));
		if (cb->parameters != NULL) {
			params = rnd_value(cb->parameters, env,
			    "callback.parameters", cause);
			if (params == NULL)
				return -1;
			if (mask)
				rnd_mask(params);
			json_object_set_new(o, "parameters", params);
		}
		return 0;
	}
	json_object_set_new(o, "method", json_string(cb->method));
	if (prov_text_render(&cb->url, TPL_CTX_URL, env, "callback.url", &s,
	    cause) != 0)
		return -1;
	json_object_set_new(o, "url", json_string(s ? s : ""));
	free(s);
	memset(&tmp, 0, sizeof(tmp));
	if (rnd_headers(&tmp, cb->headers, cb->nheaders, env, mask,
	    "callback.headers", cause) != 0)
		goto fail;
	hdrs = json_object();
	for (i = 0; i < tmp.nheaders; i++)
		json_object_set_new(hdrs, tmp.header_names[i],
		    json_string(tmp.header_values[i]));
	json_object_set_new(o, "headers", hdrs);
	if (cb->body.src != NULL) {
		if (prov_text_render(&cb->body, cb->body_json ? TPL_CTX_JSON :
		    TPL_CTX_TEXT, env, "callback.body", &s, cause) != 0)
			goto fail;
		json_object_set_new(o, "body", json_string(s));
		freezero_str(s);
	}
	for (i = 0; i < tmp.nheaders; i++) {
		free(tmp.header_names[i]);
		freezero_str(tmp.header_values[i]);
	}
	free(tmp.header_names);
	free(tmp.header_values);
	return 0;
fail:
	for (i = 0; i < tmp.nheaders; i++) {
		free(tmp.header_names[i]);
		freezero_str(tmp.header_values[i]);
	}
	free(tmp.header_names);
	free(tmp.header_values);
	return -1;
}

/* Check the input against the schema; every bad field in one message. */
static json_t *
rnd_validate(const struct prov_service *svc, json_t *data, char **cause)
{
	json_t *errors = NULL, *v, *out, *item, *e;
	size_t i, j;
	char *msg = NULL, *tmp;

	if (data == NULL)
		data = json_object();
	else
		json_incref(data);
	if (!json_is_object(data) && !json_is_array(data)) {
		*cause = xstrdup("data: expected a JSON object (or a list of "
		    "them)");
		json_decref(data);
		return NULL;
	}
	if (svc->schema == NULL)
		return data;
	if (json_is_object(data)) {
		v = schema_validate(svc->schema, data, &errors);
		out = v;
	} else {
		out = json_array();
		json_array_foreach(data, i, item) {
			errors = NULL;
			v = json_is_object(item) ? schema_validate(svc->schema,
			    item, &errors) : NULL;
			if (!json_is_object(item)) {
				tmp = xasprintf("%s%sdata[%zu]: expected an "
				    "object", msg ? msg : "", msg ? "; " : "",
				    i);
				free(msg);
				msg = tmp;
			}
			json_array_foreach(errors, j, e) {
				tmp = xasprintf("%s%sdata[%zu].%s",
				    msg ? msg : "", msg ? "; " : "", i,
				    json_string_value(e));
				free(msg);
				msg = tmp;
			}
			json_decref(errors);
			errors = NULL;
			if (v != NULL)
				json_array_append_new(out, v);
		}
		if (msg != NULL) {
			json_decref(out);
			out = NULL;
		}
	}
	json_array_foreach(errors, j, e) {
		tmp = xasprintf("%s%s%s", msg ? msg : "", msg ? "; " : "",
		    json_string_value(e));
		free(msg);
		msg = tmp;
	}
	json_decref(errors);
	json_decref(data);
	if (out == NULL) {
		*cause = xasprintf("invalid data for service %s: %s",
		    svc->name, msg ? msg : "rejected by the schema");
		free(msg);
		return NULL;
	}
	free(msg);
	return out;
}

int
prov_op_render(const struct prov_dict *dict, const struct prov_op *op,
    json_t *data, json_t *cs_data, int mask, struct prov_request **out,
    char **cause)
{
	struct prov_request *r;
	json_t *env = NULL, *gd, *cs, *resp;
	const struct prov_conn *conn = op->conn;
	char *s = NULL, *url = NULL;
	size_t i;
	int rc = -1;

	(void)dict;
	*out = NULL;
	*cause = NULL;
	r = xcalloc(1, sizeof(*r));
	r->transport = op->transport;
	r->conn = conn;
	if ((r->data = rnd_validate(op->svc, data, cause)) == NULL)
		goto out;

	gd = json_deep_copy(r->data);
	if (json_is_object(gd) && op->uses_index) {
		json_t *list = json_array();

		json_array_append_new(list, gd);
		gd = list;
	}
	cs = cs_data != NULL ? json_deep_copy(cs_data) : json_object();
	if (!json_is_object(cs)) {
		json_decref(gd);
		json_decref(cs);
		*cause = xstrdup("cs-data: expected a JSON object");
		goto out;
	}
	if (mask) {
		rnd_mask(gd);
		rnd_mask(cs);
	}
	env = json_object();
	json_object_set_new(env, "get_data", gd);
	json_object_set_new(env, "get_cs_data", cs);
	/* What a callback may read of the response: placeholders here. */
	resp = json_object();
	for (i = 0; i < op->response.ntransform; i++) {
		s = xasprintf("<response.%s>", op->response.transform[i].name);
		json_object_set_new(resp, op->response.transform[i].name,
		    json_string(s));
		free(s);
	}
	s = NULL;
	json_object_set_new(env, "response", resp);

	if (conn != NULL && prov_text_render(&conn->host, TPL_CTX_HEADER, env,
	    "connection host", &r->host, cause) != 0)
		goto out;
	/* No host: the appliance's management address, as documented. */
	if (conn != NULL && (r->host == NULL || *r->host == '\0') &&
	    json_is_string(json_object_get(cs_data, "mgmt_ip"))) {
		free(r->host);
		r->host = xstrdup(json_string_value(json_object_get(cs_data,
		    "mgmt_ip")));
	}

	if (op->transport == PROV_TRANSPORT_SSH) {
		if (op->commands_tpl != NULL) {
			struct tpl_error err;

			memset(&err, 0, sizeof(err));
			if (tpl_render(op->commands_tpl, TPL_CTX_CLI, env, &s,
			    NULL, &err) != 0) {
				*cause = xasprintf("commands line %d: %s",
				    err.line, err.msg);
				goto out;
			}
			rnd_split_lines(r, s);
			freezero_str(s);
			s = NULL;
		} else
			for (i = 0; i < op->ncommands; i++) {
				r->commands = xreallocarray(r->commands,
				    r->ncommands + 1, sizeof(*r->commands));
				r->commands[r->ncommands++] =
				    xstrdup(op->commands[i]);
			}
	} else {
		r->method = xstrdup(op->http_method ? op->http_method : "GET");
		if (prov_text_render(&op->url, TPL_CTX_URL, env, "url", &url,
		    cause) != 0)
			goto out;
		if (url != NULL && conn != NULL &&
		    strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0) {
			char port[16] = "";

			if (r->host == NULL || *r->host == '\0') {
				*cause = xasprintf("connection %s has no host: "
				    "give it one, or the appliance's "
				    "management address (mgmt_ip)", conn->name);
				goto out;
			}

			if (conn->port != 0)
				snprintf(port, sizeof(port), ":%d", conn->port);
			r->url = xasprintf("%s://%s%s%s%s",
			    conn->proto == PROV_PROTO_HTTP ? "http" : "https",
			    r->host ? r->host : "", port,
			    url[0] == '/' ? "" : "/", url);
			free(url);
		} else
			r->url = url;
		url = NULL;
		if (conn != NULL) {
			if (rnd_headers(r, conn->headers, conn->nheaders, env,
			    mask, "connection headers", cause) != 0 ||
			    rnd_auth(r, conn, env, mask, cause) != 0)
				goto out;
		}
		if (rnd_headers(r, op->headers, op->nheaders, env, mask,
		    "headers", cause) != 0)
			goto out;
		if (op->body.src != NULL) {
			if (prov_text_render(&op->body, op->body_ctx, env, "body",
			    &r->body, cause) != 0)
				goto out;
			r->bodylen = strlen(r->body);
			if (op->body_json) {
				for (i = 0; i < r->nheaders; i++)
					if (strcasecmp(r->header_names[i],
					    "Content-Type") == 0)
						break;
				if (i == r->nheaders)
					rnd_header_set(r, "Content-Type",
					    xstrdup("application/json"));
			}
		}
		if (conn != NULL && conn->auth.kind == PROV_AUTH_FORM &&
		    rnd_auth_form(r, conn, env, mask, cause) != 0)
			goto out;
	}
	if (op->callback != NULL && rnd_callback(r, op, env, mask, cause) != 0)
		goto out;
	*out = r;
	r = NULL;
	rc = 0;
out:
	free(url);
	json_decref(env);
	prov_request_free(r);
	return rc;
}

void
prov_request_free(struct prov_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->host);
	free(r->method);
	free(r->url);
	for (i = 0; i < r->nheaders; i++) {
		free(r->header_names[i]);
		freezero_str(r->header_values[i]);
	}
	free(r->header_names);
	free(r->header_values);
	freezero_str(r->body);
	for (i = 0; i < r->ncommands; i++)
		freezero_str(r->commands[i]);
	free(r->commands);
	json_decref(r->callback);
	json_decref(r->data);
	free(r);
}
