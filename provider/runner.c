/*
 * The operation runner: validate, render, execute, judge, transform, call
 * back, and answer one result JSON.  See provider/runner.h and
 * docs/provider-engine.md.
 *
 * An operation is a list of steps: for HTTP one request; for SSH the
 * connect and then one step per command line.  The first step that
 * fails ends the operation; the steps after it are listed as "not run",
 * so a result always says how far a multi-step operation got.
 *
 * Two renders are made of every operation: one with the secrets, which
 * is sent, and one masked (prov_op_render's mask), which is what the
 * result shows as each step's request.  Everything else the result
 * carries (output, errors, transformed data) is scrubbed of the run's
 * secret values at the end, so a device that echoes a password back does
 * not leak it either.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "provider/cli.h"
#include "provider/cssign.h"
#include "provider/http.h"
#include "provider/jsonpath.h"
#include "provider/runner-int.h"

/* Bytes of an HTTP error body quoted in a step's error. */
#define RUN_QUOTE	200

long long
prov_run_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *
prov_run_env(json_t *data, json_t *cs_data)
{
	json_t *env = json_object();

	json_object_set_new(env, "get_data", data != NULL ?
	    json_deep_copy(data) : json_object());
	json_object_set_new(env, "get_cs_data", json_is_object(cs_data) ?
	    json_deep_copy(cs_data) : json_object());
	return env;
}

int
prov_run_src(const char *src, enum tpl_ctx ctx, json_t *env,
    const char *what, char **out, char **cause)
{
	struct prov_text t;
	struct tpl_error err;
	int rc;

	*out = NULL;
	if (!tpl_has_tags(src)) {
		*out = xstrdup(src);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	memset(&err, 0, sizeof(err));
	t.src = xstrdup(src);
	if (tpl_compile(src, strlen(src), &t.tpl, &err) != 0) {
		*cause = xasprintf("%s: %s", what, err.msg);
		free(t.src);
		return -1;
	}
	rc = prov_text_render(&t, ctx, env, what, out, cause);
	tpl_free(t.tpl);
	free(t.src);
	return rc;
}

int
prov_run_port(const struct prov_conn *c)
{
	if (c == NULL)
		return 0;
	if (c->port != 0)
		return c->port;
	switch (c->proto) {
	case PROV_PROTO_SSH:
		return 22;
	case PROV_PROTO_HTTP:
		return 80;
	default:
		return 443;
	}
}

const struct prov_conn *
prov_run_first_conn(const struct prov_dict *dict, enum prov_proto proto)
{
	size_t i;

	for (i = 0; i < dict->nconns; i++)
		if (dict->conns[i].proto == proto)
			return &dict->conns[i];
	return NULL;
}

/* Sockets: the target's callback, for either executor. */

int
prov_run_ssh_socket(void *arg, const char *host, int port, char **cause)
{
	const struct prov_run_sock *s = arg;

	if (s->callback)
		return s->t->callback_socket(s->t->callback_arg, host, port,
		    s->timeout_ms, cause);
	if (s->t->open_socket == NULL) {
		*cause = xstrdup("no socket callback was given");
		return -1;
	}
	return s->t->open_socket(s->t->socket_arg, host, port, s->timeout_ms,
	    cause);
}

int
prov_run_http_socket(void *arg, const char *host, int port, int family,
    char **cause)
{
	const struct prov_run_sock *s = arg;

	/* An address literal: libcurl may connect the socket itself. */
	if (!s->callback && family != AF_UNSPEC &&
	    s->t->open_socket_raw != NULL)
		return s->t->open_socket_raw(s->t->socket_arg, host, port,
		    s->timeout_ms, cause);
	return prov_run_ssh_socket(arg, host, port, cause);
}

/* Secrets and masking. */

void
prov_run_secret_add(json_t *secrets, const char *s)
{
	size_t i;
	json_t *v;

	if (s == NULL || strlen(s) < 3)
		return;
	json_array_foreach(secrets, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return;
	json_array_append_new(secrets, json_string(s));
}

static void
secrets_walk(json_t *secrets, json_t *v, int secret)
{
	const char *k;
	json_t *item;
	size_t i;
	char num[64];

	if (json_is_object(v)) {
		json_object_foreach(v, k, item)
			secrets_walk(secrets, item, secret ||
			    prov_is_secret_name(k));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			secrets_walk(secrets, item, secret);
	} else if (secret && json_is_string(v))
		prov_run_secret_add(secrets, json_string_value(v));
	else if (secret && json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		prov_run_secret_add(secrets, num);
	}
}

static int
secret_cmp(const void *a, const void *b)
{
	size_t x = strlen(json_string_value(*(json_t *const *)a));
	size_t y = strlen(json_string_value(*(json_t *const *)b));

	return x < y ? 1 : x > y ? -1 : 0;
}

void
prov_run_secrets_sort(json_t *secrets)
{
	json_t **v;
	size_t n = json_array_size(secrets), i;

	if (n < 2)
		return;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(secrets, i));
	qsort(v, n, sizeof(*v), secret_cmp);
	json_array_clear(secrets);
	for (i = 0; i < n; i++)
		json_array_append_new(secrets, v[i]);
	free(v);
}

json_t *
prov_run_secrets(json_t *cs_data, json_t *data)
{
	json_t *s = json_array();

	secrets_walk(s, cs_data, 0);
	secrets_walk(s, data, 0);
	prov_run_secrets_sort(s);
	return s;
}

char *
prov_run_mask_str(const char *s, json_t *secrets)
{
	char *cur = xstrdup(s), *next, *p;
	const char *sec;
	size_t i, sl, ml = strlen(PROV_RUN_MASK), n;
	json_t *v;

	json_array_foreach(secrets, i, v) {
		sec = json_string_value(v);
		sl = strlen(sec);
		if (sl == 0 || strstr(cur, sec) == NULL)
			continue;
		/* Count, then rebuild. */
		n = 0;
		for (p = strstr(cur, sec); p != NULL; p = strstr(p + sl, sec))
			n++;
		next = xmalloc(strlen(cur) + n * ml + 1);
		next[0] = '\0';
		{
			const char *from = cur;
			char *to = next;

			while ((p = strstr(from, sec)) != NULL) {
				memcpy(to, from, (size_t)(p - from));
				to += p - from;
				memcpy(to, PROV_RUN_MASK, ml);
				to += ml;
				from = p + sl;
			}
			strcpy(to, from);
		}
		freezero_str(cur);
		cur = next;
	}
	return cur;
}

void
prov_run_mask(json_t *v, json_t *secrets)
{
	const char *k;
	json_t *item;
	size_t i;
	char *m;

	if (json_array_size(secrets) == 0)
		return;
	if (json_is_object(v)) {
		json_object_foreach(v, k, item)
			prov_run_mask(item, secrets);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			prov_run_mask(item, secrets);
	} else if (json_is_string(v)) {
		m = prov_run_mask_str(json_string_value(v), secrets);
		if (strcmp(m, json_string_value(v)) != 0)
			json_string_set(v, m);
		free(m);
	}
}

/* Judging. */

int
prov_run_status_ok(const int *expected, size_t n, long status)
{
	size_t i;

	if (expected == NULL || n == 0)
		return status >= 200 && status <= 299;
	for (i = 0; i < n; i++)
		if (expected[i] == status)
			return 1;
	return 0;
}

/* "200, 201" or "any 2xx", for messages. */
static char *
status_list(const int *expected, size_t n)
{
	char *s = NULL, *t;
	size_t i;

	if (expected == NULL || n == 0)
		return xstrdup("any 2xx");
	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%d", s ? s : "", s ? ", " : "",
		    expected[i]);
		free(s);
		s = t;
	}
	return s;
}

int
prov_run_judge(const struct prov_response *r, const char *text, size_t len,
    char **reason)
{
	struct cli_pattern *success = NULL, **errors = NULL;
	struct cli_verdict v;
	char *cause = NULL;
	size_t i, n = 0;
	int rc = -1;

	*reason = NULL;
	if (r->success_pattern == NULL && r->nerror_patterns == 0)
		return 1;
	memset(&v, 0, sizeof(v));
	if (r->success_pattern != NULL &&
	    cli_compile(r->success_pattern, 0, &success, &cause) != 0)
		goto out;
	errors = xcalloc(r->nerror_patterns + 1, sizeof(*errors));
	for (n = 0; n < r->nerror_patterns; n++)
		if (cli_compile(r->error_patterns[n], 0, &errors[n],
		    &cause) != 0)
			goto out;
	if (cli_check(success, (const struct cli_pattern *const *)errors, n,
	    text, len, NULL, &v, &cause) != 0)
		goto out;
	if (v.ok)
		rc = 1;
	else {
		*reason = xstrdup(v.reason ? v.reason : "the output was "
		    "judged a failure");
		rc = 0;
	}
out:
	if (rc == -1)
		*reason = xasprintf("judging the output: %s", cause ? cause :
		    "matching failed");
	free(cause);
	cli_verdict_clear(&v);
	cli_pattern_free(success);
	for (i = 0; i < n; i++)
		cli_pattern_free(errors[i]);
	free(errors);
	return rc;
}

/* The built-in parsers, parse_*. */
static int
run_parser(const char *name, const char *text, size_t len, json_t **out,
    char **cause)
{
	json_error_t jerr;
	const char *p, *e, *end = text + len;
	json_t *arr;

	if (strcmp(name, "parse_json") == 0) {
		if ((*out = json_loadb(text, len, JSON_DECODE_ANY,
		    &jerr)) == NULL) {
			*cause = xasprintf("parse_json: the output is not "
			    "JSON: line %d, column %d: %s", jerr.line,
			    jerr.column, jerr.text);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "parse_lines") == 0) {
		arr = json_array();
		for (p = text; p < end; p = e + 1) {
			if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
				e = end;
			while (e > p && (e[-1] == '\r' || e[-1] == ' ' ||
			    e[-1] == '\t'))
				e--;
			if (e > p)
				json_array_append_new(arr, json_stringn(p,
				    (size_t)(e - p)));
			if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
				break;
		}
		*out = arr;
		return 0;
	}
	*cause = xasprintf("%s: no such parser; the built-in parsers are "
	    "parse_json and parse_lines", name);
	return -1;
}

/* first: the first item of a list; a record of one field, its value. */
static json_t *
xform_first(json_t *v)
{
	json_t *f;
	const char *k;
	json_t *only = NULL;

	if (!json_is_array(v))
		return v;
	f = json_array_size(v) > 0 ? json_incref(json_array_get(v, 0)) :
	    json_null();
	json_decref(v);
	if (json_is_object(f) && json_object_size(f) == 1) {
		json_object_foreach(f, k, only)
			break;
		only = json_incref(only);
		json_decref(f);
		return only;
	}
	return f;
}

/* value: the template over the input; one tag alone keeps its type. */
static int
xform_value(const struct prov_transform *x, json_t *env, json_t **v,
    char **cause)
{
	json_error_t jerr;
	char *s = NULL;

	if (env == NULL) {
		*cause = xstrdup("no operation input to read");
		return -1;
	}
	if (prov_text_render(&x->value, x->value_typed ? TPL_CTX_JSON :
	    TPL_CTX_TEXT, env, "value", &s, cause) != 0)
		return -1;
	if (x->value_typed) {
		*v = json_loads(s != NULL ? s : "null", JSON_DECODE_ANY, &jerr);
		if (*v == NULL)
			*v = json_string(s);
	} else
		*v = json_string(s != NULL ? s : "");
	free(s);
	if (*v == NULL)
		*v = json_null();
	return 0;
}

int
prov_run_transform(const struct prov_response *r, const char *text,
    size_t len, json_t *env, json_t **data, char **cause)
{
	const struct prov_transform *x;
	struct cli_pattern *p;
	json_error_t jerr;
	json_t *doc = NULL, *out, *vals, *v;
	char *c = NULL;
	size_t i;

	*data = NULL;
	if (r->format == PROV_FORMAT_NONE) {
		*data = json_null();
		return 0;
	}
	if (r->format == PROV_FORMAT_JSON) {
		doc = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
		if (doc == NULL) {
			*cause = xasprintf("the response is not JSON (line %d, "
			    "column %d: %s)", jerr.line, jerr.column,
			    jerr.text);
			return -1;
		}
		if (r->ntransform == 0) {
			*data = doc;
			return 0;
		}
	} else if (r->ntransform == 0) {
		*data = json_stringn(text, len);
		if (*data == NULL)	/* not UTF-8: raw keeps it */
			*data = json_null();
		return 0;
	}
	out = json_object();
	for (i = 0; i < r->ntransform; i++) {
		x = &r->transform[i];
		v = NULL;
		switch (x->kind) {
		case PROV_XFORM_JSONPATH:
			if (doc == NULL || jp_query(x->jp, doc, &vals, NULL,
			    &c) != 0)
				goto fail;
			if (jp_is_singular(x->jp)) {
				v = json_array_size(vals) > 0 ?
				    json_incref(json_array_get(vals, 0)) :
				    json_null();
				json_decref(vals);
			} else
				v = vals;
			break;
		case PROV_XFORM_REGEX:
			if (cli_compile(x->expr, 0, &p, &c) != 0)
				goto fail;
			if (cli_records(p, text, len, NULL, &v, &c) != 0) {
				cli_pattern_free(p);
				goto fail;
			}
			cli_pattern_free(p);
			break;
		case PROV_XFORM_PARSER:
			if (run_parser(x->expr, text, len, &v, &c) != 0)
				goto fail;
			break;
		case PROV_XFORM_VALUE:
			if (xform_value(x, env, &v, &c) != 0)
				goto fail;
			break;
		}
		if (x->first)
			v = xform_first(v);
		json_object_set_new(out, x->name, v != NULL ? v : json_null());
	}
	json_decref(doc);
	*data = out;
	return 0;
fail:
	*cause = xasprintf("transform %s: %s", x->name, c ? c : "failed");
	free(c);
	json_decref(doc);
	json_decref(out);
	return -1;
}

/* SSH connections. */

void
prov_run_login_clear(struct prov_run_login *l)
{
	free(l->host);
	free(l->user);
	freezero_str(l->pass);
	freezero_str(l->key);
	freezero_str(l->phrase);
	free(l->pin);
	memset(l, 0, sizeof(*l));
}

/* Render one optional text of a connection; "" counts as absent. */
static int
login_text(const struct prov_text *t, enum tpl_ctx ctx, json_t *env,
    const char *what, char **out, char **cause)
{
	if (prov_text_render(t, ctx, env, what, out, cause) != 0)
		return -1;
	if (*out != NULL && **out == '\0') {
		free(*out);
		*out = NULL;
	}
	return 0;
}

int
prov_run_ssh_login(const struct prov_target *t, const struct prov_conn *c,
    json_t *env, const char *password, struct prov_run_login *l,
    char **cause)
{
	memset(l, 0, sizeof(*l));
	l->port = prov_run_port(c);
	if (prov_text_render(&c->host, TPL_CTX_HEADER, env, "connection host",
	    &l->host, cause) != 0 ||
	    prov_text_render(&c->username, TPL_CTX_TEXT, env,
	    "connection username", &l->user, cause) != 0 ||
	    login_text(&c->private_key, TPL_CTX_TEXT, env,
	    "connection private_key", &l->key, cause) != 0 ||
	    login_text(&c->key_passphrase, TPL_CTX_TEXT, env,
	    "connection key_passphrase", &l->phrase, cause) != 0 ||
	    login_text(&c->pinned_sha256, TPL_CTX_HEADER, env,
	    "connection pinned_sha256", &l->pin, cause) != 0)
		goto fail;
	if (password != NULL)
		l->pass = xstrdup(password);
	else if (prov_text_render(&c->password, TPL_CTX_TEXT, env,
	    "connection password", &l->pass, cause) != 0)
		goto fail;
	if (l->host == NULL || *l->host == '\0') {
		free(l->host);
		l->host = xstrdup(t->address != NULL ? t->address : "");
	}
	if (l->user == NULL || *l->user == '\0') {
		*cause = xasprintf("connection %s: no username", c->name);
		goto fail;
	}
	/* The target's pin (the engine's record) wins over the dictionary's. */
	if (t->hostkey_sha256 != NULL) {
		free(l->pin);
		l->pin = xstrdup(t->hostkey_sha256);
	}
	return 0;
fail:
	/* Keep the host and password for the caller's messages and masking. */
	return -EINVAL;
}

int
prov_run_ssh_open(const struct prov_target *t, const struct prov_run_login *l,
    int timeout_ms, struct sshx_conn **out, char **cause)
{
	struct sshx_opts o;
	struct prov_run_sock sock = { .t = t, .timeout_ms = timeout_ms };

	memset(&o, 0, sizeof(o));
	o.host = l->host;
	o.port = l->port;
	o.username = l->user;
	o.password = l->pass;
	o.private_key = l->key;
	o.key_passphrase = l->phrase;
	o.hostkey_sha256 = l->pin;
	o.hostkey_cb = t->hostkey_cb;
	o.hostkey_arg = t->hostkey_arg;
	o.open_socket = prov_run_ssh_socket;
	o.socket_arg = &sock;
	o.connect_timeout_ms = timeout_ms;
	o.command_timeout_ms = timeout_ms;
	return sshx_connect(&o, out, cause);
}

int
prov_run_ssh_connect(const struct prov_target *t, const struct prov_conn *c,
    json_t *env, const char *password, int timeout_ms,
    struct sshx_conn **out, char **host_out, char **pass_out, char **cause)
{
	struct prov_run_login l;
	int rc;

	*out = NULL;
	if ((rc = prov_run_ssh_login(t, c, env, password, &l, cause)) == 0)
		rc = prov_run_ssh_open(t, &l, timeout_ms, out, cause);
	if (host_out != NULL) {
		*host_out = l.host;
		l.host = NULL;
	}
	if (pass_out != NULL) {
		*pass_out = l.pass;
		l.pass = NULL;
	}
	prov_run_login_clear(&l);
	return rc;
}

/* One run. */

struct run {
	const struct prov_dict		*dict;
	const struct prov_target	*t;
	const struct prov_run_req	*rq;
	const struct prov_service	*svc;
	const struct prov_op		*op;
	const struct prov_conn		*conn;
	struct prov_request		*req;	/* what is sent */
	struct prov_request		*shown;	/* masked */
	json_t				*cs;	/* cs-data, an object */
	json_t				*steps;
	json_t				*secrets;
	json_t				*data;	/* transformed */
	char				*raw;
	size_t				 rawlen;
	int				 raw_truncated;
	char				*error;
	long long			 t0;
	struct prov_http_keep		*keep;	/* the appliance's kept HTTP
						   connections, or NULL */
};

static json_t *
step_add(struct run *r, const char *name, const char *request)
{
	json_t *st;

	st = json_pack("{s:s, s:s?, s:s, s:i, s:n}", "step", name,
	    "request", request, "status", "not run", "elapsed_ms", 0,
	    "error");
	json_array_append_new(r->steps, st);
	return st;
}

static void
step_end(json_t *st, long long start, const char *error)
{
	json_object_set_new(st, "status", json_string(error ? "failed" :
	    "success"));
	json_object_set_new(st, "elapsed_ms", json_integer(prov_run_now_ms() -
	    start));
	if (error != NULL)
		json_object_set_new(st, "error", json_string(error));
}

/* Record the operation's error (the first one wins). */
static void __attribute__((format(printf, 2, 3)))
run_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (r->error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	r->error = s != NULL ? s : xstrdup("failed");
}

static void
raw_add(struct run *r, const char *s, size_t n)
{
	size_t room;

	if (n == 0)
		return;
	room = PROV_RUN_MAX_RAW - r->rawlen;
	if (n > room) {
		n = room;
		r->raw_truncated = 1;
	}
	r->raw = xreallocarray(r->raw, r->rawlen + n + 1, 1);
	memcpy(r->raw + r->rawlen, s, n);
	r->rawlen += n;
	r->raw[r->rawlen] = '\0';
}

static int
run_timeout_ms(const struct run *r)
{
	if (r->t->timeout_ms > 0)
		return r->t->timeout_ms;
	if (r->conn != NULL && r->conn->timeout > 0)
		return r->conn->timeout * 1000;
	return PROV_DEFAULT_TIMEOUT * 1000;
}

static const char *
gi_str(const struct prov_dict *dict, const char *key)
{
	json_t *v = json_object_get(dict->general_info, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* TLS and socket settings of an HTTP request over the operation's
 * connection. */
static void
http_setup(struct run *r, struct prov_http_req *hr, struct prov_run_sock *sock,
    const char *pin)
{
	hr->total_timeout_ms = run_timeout_ms(r);
	hr->connect_timeout_ms = hr->total_timeout_ms <
	    PROV_HTTP_CONNECT_TIMEOUT_MS ? hr->total_timeout_ms :
	    PROV_HTTP_CONNECT_TIMEOUT_MS;
	if (r->conn != NULL && !r->conn->verify_ssl)
		hr->verify_tls = PROV_HTTP_VERIFY_OFF;
	hr->pinned_sha256 = pin;
	hr->ca_file = r->t->ca_file;
	sock->timeout_ms = (int)hr->connect_timeout_ms;
	hr->open_socket = prov_run_http_socket;
	hr->open_socket_arg = sock;
	hr->keep = r->keep;
}

/* A URL of the connection: absolute as is, relative under its host. */
static char *
conn_url(struct run *r, const char *url)
{
	const char *host;
	char port[16] = "";

	if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		return xstrdup(url);
	host = r->req->host != NULL && *r->req->host != '\0' ? r->req->host :
	    (r->t->address != NULL ? r->t->address : "");
	if (r->conn->port != 0)
		snprintf(port, sizeof(port), ":%d", r->conn->port);
	return xasprintf("%s://%s%s%s%s", r->conn->proto == PROV_PROTO_HTTP ?
	    "http" : "https", host, port, url[0] == '/' ? "" : "/", url);
}

/* What identifies a login: its URL (key) and what it sends (cred). */
struct http_login {
	char		*url;
	char		*body;
	const char	*ctype;		/* NULL: no body */
	char		*user;		/* login_auth basic */
	char		*pass;
	char		*key;
	unsigned char	 cred[PROV_RUN_CRED_LEN];
};

static void
http_login_clear(struct http_login *lg)
{
	free(lg->url);
	freezero_str(lg->body);
	free(lg->user);
	freezero_str(lg->pass);
	free(lg->key);
	explicit_bzero(lg->cred, sizeof(lg->cred));
	memset(lg, 0, sizeof(*lg));
}

/* Render the login request of auth type login. */
static int
http_login_render(struct run *r, json_t *env, struct http_login *lg,
    char **cause)
{
	const struct prov_auth *a = &r->conn->auth;
	char *url = NULL, *user = NULL, *pass = NULL, *eu, *ep, *fu, *fp;
	const char *parts[4];
	int rc = -1;

	memset(lg, 0, sizeof(*lg));
	if (prov_text_render(&a->login_url, TPL_CTX_URL, env, "auth login_url",
	    &url, cause) != 0)
		goto out;
	lg->url = conn_url(r, url != NULL ? url : "/");
	if (a->login_basic) {
		/* The credentials go as Basic, the body is login_body only. */
		if (prov_text_render(&r->conn->username, TPL_CTX_TEXT, env,
		    "connection username", &lg->user, cause) != 0 ||
		    prov_text_render(&r->conn->password, TPL_CTX_TEXT, env,
		    "connection password", &lg->pass, cause) != 0)
			goto out;
		if (lg->user == NULL)
			lg->user = xstrdup("");
		if (lg->pass == NULL)
			lg->pass = xstrdup("");
		prov_run_secret_add(r->secrets, lg->pass);
	}
	if (a->login_body.src != NULL) {
		if (prov_text_render(&a->login_body, (enum tpl_ctx)a->login_body_ctx,
		    env, "auth login_body", &lg->body, cause) != 0)
			goto out;
		lg->ctype = a->login_body_ctx == TPL_CTX_JSON ?
		    "application/json" : "application/x-www-form-urlencoded";
	} else if (a->login_basic) {
		lg->body = xstrdup("");
		lg->ctype = NULL;
	} else {
		if (prov_text_render(&r->conn->username, TPL_CTX_TEXT, env,
		    "connection username", &user, cause) != 0 ||
		    prov_text_render(&r->conn->password, TPL_CTX_TEXT, env,
		    "connection password", &pass, cause) != 0)
			goto out;
		prov_run_secret_add(r->secrets, pass);
		eu = prov_form_encode(user ? user : "");
		ep = prov_form_encode(pass ? pass : "");
		fu = prov_form_encode(a->username_field);
		fp = prov_form_encode(a->password_field);
		lg->body = xasprintf("%s=%s&%s=%s", fu, eu, fp, ep);
		free(eu);
		freezero_str(ep);
		free(fu);
		free(fp);
		lg->ctype = "application/x-www-form-urlencoded";
	}
	lg->key = xasprintf("http\n%s\n%s\n%s", r->t->name ? r->t->name : "",
	    r->conn->name, lg->url);
	parts[0] = lg->body;
	parts[1] = a->token_path;
	parts[2] = lg->user ? lg->user : "";
	parts[3] = lg->pass ? lg->pass : "";
	prov_run_cred(lg->cred, parts, 4);
	rc = 0;
out:
	free(url);
	free(user);
	freezero_str(pass);
	return rc;
}

/*
 * Log in: POST the login request, take the token at token_path.  Adds a
 * "login" step.  Returns the token (allocated) or NULL with the run
 * failed.
 */
static char *
http_login(struct run *r, struct http_login *lg, const char *pin,
    const char *why)
{
	const struct prov_auth *a = &r->conn->auth;
	struct prov_http_req hr;
	struct prov_http_resp resp;
	struct prov_http_header h[2];
	struct prov_run_sock sock = { .t = r->t };
	json_t *doc = NULL, *v = NULL, *st;
	char *cause = NULL, *shown, *tok = NULL, *jcause = NULL;
	long long start = prov_run_now_ms();

	shown = xasprintf("%s %s%s", a->login_method, lg->url, why);
	st = step_add(r, "login", shown);
	free(shown);
	prov_http_req_init(&hr);
	hr.method = a->login_method;
	hr.url = lg->url;
	h[0].name = "Accept";
	h[0].value = "application/json";
	h[1].name = "Content-Type";
	h[1].value = lg->ctype;
	hr.headers = h;
	hr.nheaders = lg->ctype != NULL ? 2 : 1;
	if (lg->ctype != NULL) {
		hr.body = lg->body;
		hr.body_len = strlen(lg->body);
	}
	if (lg->user != NULL) {
		hr.auth.kind = PROV_HTTP_AUTH_BASIC;
		hr.auth.username = lg->user;
		hr.auth.password = lg->pass;
	}
	http_setup(r, &hr, &sock, pin);
	memset(&resp, 0, sizeof(resp));
	if (prov_http_do(&hr, &resp, &cause) != 0)
		goto fail;
	json_object_set_new(st, "http_status", json_integer(resp.status));
	if (!prov_run_status_ok(NULL, 0, resp.status)) {
		cause = xasprintf("HTTP status %ld from the login request, "
		    "expected any 2xx: %.*s%s", resp.status,
		    (int)(resp.body_len > RUN_QUOTE ? RUN_QUOTE :
		    resp.body_len), resp.body ? resp.body : "",
		    resp.body_len > RUN_QUOTE ? "..." : "");
		goto fail;
	}
	if ((doc = json_loadb(resp.body, resp.body_len, JSON_DECODE_ANY,
	    NULL)) == NULL) {
		cause = xstrdup("the login response is not JSON");
		goto fail;
	}
	if (jp_query_one(a->token_jp, doc, &v, &jcause) != 0 ||
	    (!json_is_string(v) && !json_is_integer(v)) ||
	    (json_is_string(v) && json_string_length(v) == 0)) {
		cause = xasprintf("the login response has no token at %s",
		    a->token_path);
		goto fail;
	}
	tok = json_is_string(v) ? xstrdup(json_string_value(v)) :
	    xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (strpbrk(tok, "\r\n") != NULL || (a->token_cookie != NULL &&
	    strpbrk(tok, ";, \t") != NULL)) {
		freezero_str(tok);
		tok = NULL;
		cause = xasprintf("the token at %s cannot be sent in a %s",
		    a->token_path, a->token_cookie ? "cookie" : "header");
		goto fail;
	}
	prov_run_secret_add(r->secrets, tok);
	step_end(st, start, NULL);
	goto out;
fail:
	step_end(st, start, cause ? cause : "failed");
	run_fail(r, "login: %s", cause ? cause : "failed");
out:
	prov_http_resp_free(&resp);
	json_decref(doc);
	json_decref(v);
	free(jcause);
	free(cause);
	return tok;
}

/* The token in the request: token_header (+ prefix) or a cookie. */
static void
http_token_header(const struct prov_request *req, const struct prov_auth *a,
    struct prov_http_header *h, size_t *nh, const char *tok, char **value)
{
	const char *name = a->token_cookie != NULL ? "Cookie" :
	    a->token_header, *orig = NULL;
	size_t i;

	/* A cookie joins the operation's own Cookie header, if any. */
	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->header_names[i], name) == 0)
			orig = req->header_values[i];
	freezero_str(*value);
	for (i = 0; i < *nh; i++)
		if (strcasecmp(h[i].name, name) == 0)
			break;
	if (a->token_cookie != NULL)
		*value = xasprintf("%s%s%s=%s", orig ? orig : "",
		    orig ? "; " : "", a->token_cookie, tok);
	else
		*value = xasprintf("%s%s", a->token_prefix ? a->token_prefix :
		    "", tok);
	h[i].name = name;
	h[i].value = *value;
	if (i == *nh)
		(*nh)++;
}

/* The HTTP request of the operation. */
static void
run_http(struct run *r)
{
	struct prov_http_req hr;
	struct prov_http_resp resp;
	struct prov_http_header *h = NULL;
	struct prov_run_sock sock = { .t = r->t };
	struct http_login lg;
	const struct prov_auth *a = r->conn != NULL ? &r->conn->auth : NULL;
	char *url = NULL, *cause = NULL, *shown = NULL, *reason = NULL;
	char *exp, *q, *pin = NULL, *tok = NULL, *tokhdr = NULL;
	char *keepkey = NULL;
	unsigned char keepcred[PROV_RUN_CRED_LEN];
	long long start;
	json_t *env, *st;
	size_t i, nh;
	int rc, login, again = 0;

	memset(&lg, 0, sizeof(lg));
	memset(&resp, 0, sizeof(resp));
	env = prov_run_env(r->req->data, r->cs);
	login = a != NULL && a->kind == PROV_AUTH_LOGIN;
	if (r->req->url == NULL) {
		run_fail(r, "request: the operation has no url");
		goto out;
	}
	/* A relative url over a connection without a host. */
	if (strncmp(r->req->url, "https:///", 9) == 0 ||
	    strncmp(r->req->url, "http:///", 8) == 0) {
		q = strstr(r->req->url, ":///");
		url = xasprintf("%.*s://%s%s", (int)(q - r->req->url),
		    r->req->url, r->t->address ? r->t->address : "", q + 3);
	} else
		url = xstrdup(r->req->url);
	if (r->conn != NULL) {
		if (prov_text_render(&r->conn->pinned_sha256, TPL_CTX_HEADER, env,
		    "connection pinned_sha256", &pin, &cause) != 0) {
			st = step_add(r, "http", NULL);
			step_end(st, prov_run_now_ms(), cause);
			run_fail(r, "http: %s", cause);
			goto out;
		}
		if (pin != NULL && *pin == '\0') {
			free(pin);
			pin = NULL;
		}
		/* The form field's value, to mask (the render added it). */
		if (a->kind == PROV_AUTH_FORM && prov_text_render(&a->token,
		    TPL_CTX_TEXT, env, "auth token", &tok, &cause) == 0) {
			prov_run_secret_add(r->secrets, tok);
			freezero_str(tok);
			tok = NULL;
		}
		free(cause);
		cause = NULL;
	}

	/*
	 * The appliance's open HTTP(S) connections, kept by the TLS settings
	 * they were made with: another pin or verification gets new ones.
	 */
	if (r->t->conns != NULL) {
		const char *parts[3];

		keepkey = xasprintf("httpc\n%s\n%s", r->t->name ? r->t->name :
		    "", r->conn != NULL ? r->conn->name : "");
		parts[0] = pin;
		parts[1] = r->conn != NULL && !r->conn->verify_ssl ? "off" :
		    "on";
		parts[2] = r->t->ca_file;
		prov_run_cred(keepcred, parts, 3);
		r->keep = prov_run_conns_http_take(r->t->conns, keepkey,
		    keepcred);
	}

	/* Auth type login: a kept token, or log in first. */
	if (login) {
		if (http_login_render(r, env, &lg, &cause) != 0) {
			st = step_add(r, "login", NULL);
			step_end(st, prov_run_now_ms(), cause);
			run_fail(r, "login: %s", cause);
			goto out;
		}
		tok = prov_run_conns_token_get(r->t->conns, lg.key, lg.cred);
		if (tok == NULL) {
			if ((tok = http_login(r, &lg, pin, "")) == NULL)
				goto out;
			prov_run_conns_token_set(r->t->conns, lg.key,
			    r->t->name, lg.cred, tok);
		} else
			prov_run_secret_add(r->secrets, tok);
	}

	h = xcalloc(r->req->nheaders + 2, sizeof(*h));
	nh = r->req->nheaders;
	for (i = 0; i < nh; i++) {
		h[i].name = r->req->header_names[i];
		h[i].value = r->req->header_values[i];
		if (strcasecmp(h[i].name, "Authorization") == 0 ||
		    prov_is_secret_name(h[i].name)) {
			prov_run_secret_add(r->secrets, h[i].value);
			if ((q = strchr(h[i].value, ' ')) != NULL)
				prov_run_secret_add(r->secrets, q + 1);
		}
	}
	if (login)
		http_token_header(r->req, a, h, &nh, tok, &tokhdr);
	shown = xasprintf("%s %s", r->req->method, r->shown->url &&
	    strstr(r->shown->url, ":///") == NULL ? r->shown->url : url);

again:
	st = step_add(r, "http", shown);
	prov_http_req_init(&hr);
	hr.method = r->req->method;
	hr.url = url;
	hr.headers = h;
	hr.nheaders = nh;
	hr.body = r->req->body;
	hr.body_len = r->req->bodylen;
	http_setup(r, &hr, &sock, pin);

	prov_http_resp_free(&resp);
	memset(&resp, 0, sizeof(resp));
	start = prov_run_now_ms();
	rc = prov_http_do(&hr, &resp, &cause);
	if (rc != 0) {
		/* The executor's causes already start "http: ". */
		step_end(st, start, cause ? cause : "http: failed");
		run_fail(r, "%s", cause ? cause : "http: failed");
		goto out;
	}
	json_object_set_new(st, "http_status", json_integer(resp.status));
	if (login && resp.status == 401) {
		/* The token expired or was revoked: log in again, once. */
		prov_run_conns_token_set(r->t->conns, lg.key, r->t->name,
		    lg.cred, NULL);
		if (again) {
			free(cause);
			cause = xasprintf("HTTP status 401 with a token just "
			    "obtained from %s: the appliance refuses the login's "
			    "token; not trying again", lg.url);
			step_end(st, start, cause);
			run_fail(r, "http: %s", cause);
			goto out;
		}
		json_object_set_new(st, "status", json_string("retried"));
		json_object_set_new(st, "elapsed_ms",
		    json_integer(prov_run_now_ms() - start));
		json_object_set_new(st, "error", json_string("HTTP status "
		    "401: logging in again"));
		again = 1;
		freezero_str(tok);
		if ((tok = http_login(r, &lg, pin, " (again, after 401)")) ==
		    NULL)
			goto out;
		prov_run_conns_token_set(r->t->conns, lg.key, r->t->name,
		    lg.cred, tok);
		http_token_header(r->req, a, h, &nh, tok, &tokhdr);
		goto again;
	}
	raw_add(r, resp.body, resp.body_len);
	if (!prov_run_status_ok(r->op->response.expected_status,
	    r->op->response.nexpected_status, resp.status)) {
		struct prov_response errs_only = r->op->response;

		exp = status_list(r->op->response.expected_status,
		    r->op->response.nexpected_status);
		free(cause);
		/*
		 * The vendor's words: an error pattern matching the body
		 * says more than its first bytes.
		 */
		errs_only.success_pattern = NULL;
		if (errs_only.nerror_patterns > 0 && prov_run_judge(&errs_only,
		    resp.body ? resp.body : "", resp.body_len, &reason) == 0)
			cause = xasprintf("HTTP status %ld, expected %s; %s",
			    resp.status, exp, reason);
		else
			cause = xasprintf("HTTP status %ld, expected %s: "
			    "%.*s%s", resp.status, exp,
			    (int)(resp.body_len > RUN_QUOTE ? RUN_QUOTE :
			    resp.body_len), resp.body ? resp.body : "",
			    resp.body_len > RUN_QUOTE ? "..." : "");
		free(reason);
		reason = NULL;
		free(exp);
		step_end(st, start, cause);
		run_fail(r, "http: %s", cause);
		goto out;
	}
	if (prov_run_judge(&r->op->response, resp.body ? resp.body : "",
	    resp.body_len, &reason) != 1) {
		step_end(st, start, reason);
		run_fail(r, "http: %s", reason);
		goto out;
	}
	step_end(st, start, NULL);
out:
	if (r->keep != NULL) {
		prov_run_conns_http_put(r->t->conns, keepkey, r->t->name,
		    keepcred, r->keep);
		r->keep = NULL;
	}
	free(keepkey);
	prov_http_resp_free(&resp);
	http_login_clear(&lg);
	freezero_str(tok);
	freezero_str(tokhdr);
	json_decref(env);
	free(reason);
	free(cause);
	free(shown);
	free(h);
	free(url);
	free(pin);
}

/*
 * The SSH session of one operation: a kept one (t->conns) or a new one.
 */
struct ssh_sess {
	struct prov_run_login	 l;
	char			*key;		/* cache key */
	unsigned char		 cred[PROV_RUN_CRED_LEN];
	struct sshx_conn	*c;
	struct sshx_cli		*cli;
	char			*home;		/* CLI: prompt after login */
	int			 reused;
};

/* Connect anew (and open the CLI), with the operation's error patterns. */
static int
run_ssh_open(struct run *r, struct ssh_sess *x, int cli_mode,
    const char *const *errsrc, size_t nerr, int timeout, char **cause)
{
	struct sshx_cli_opts co;
	int rc;

	if ((rc = prov_run_ssh_open(r->t, &x->l, timeout, &x->c,
	    cause)) != 0 || !cli_mode)
		return rc;
	memset(&co, 0, sizeof(co));
	co.prompt = gi_str(r->dict, "cli_prompt");
	co.paging_command = gi_str(r->dict, "cli_paging_command");
	co.error_patterns = errsrc;
	co.nerror_patterns = nerr;
	if ((rc = sshx_cli_open(x->c, &co, &x->cli, cause)) != 0)
		return rc;
	x->home = xstrdup(sshx_cli_prompt(x->cli) ? sshx_cli_prompt(x->cli) :
	    "");
	return 0;
}

static void
run_ssh_close(struct ssh_sess *x)
{
	sshx_cli_close(x->cli);
	sshx_close(x->c);
	free(x->home);
	x->cli = NULL;
	x->c = NULL;
	x->home = NULL;
}

/*
 * The SSH commands of the operation: exec, or an interactive CLI.
 *
 * With t->conns, the appliance's kept connection is used when it is
 * alive and logged in with the same credentials; after the operation it
 * is kept again unless the transport failed (an SSH error, a timeout, a
 * lost channel) or a CLI was left at another prompt than the one it
 * logged in at (a configure mode the next operation would not expect).
 * A command that fails on a kept connection before anything of this
 * operation was sent is run again on a new connection, once.
 */
static void
run_ssh(struct run *r)
{
	struct ssh_sess x;
	struct sshx_result res;
	struct cli_pattern **errs = NULL;
	struct cli_verdict v;
	const char *mode, *shown;
	const char **errsrc = NULL;
	const char *credparts[5];
	json_t *env, *st, *cst;
	char *cause = NULL, *out = NULL;
	char *what = NULL, *req;
	long long start;
	unsigned long base = 0;
	size_t i, j, nerr = 0, nerrsrc = 0, outlen, first;
	int rc, timeout, cli_mode, failed = 0, broken = 0, retried = 0;

	memset(&x, 0, sizeof(x));
	if (r->conn == NULL || r->conn->proto != PROV_PROTO_SSH) {
		run_fail(r, "connect: no ssh connection for this operation");
		return;
	}
	mode = gi_str(r->dict, "ssh_mode");
	cli_mode = mode != NULL && strcmp(mode, "cli") == 0;
	timeout = run_timeout_ms(r);
	env = prov_run_env(r->req->data, r->cs);

	/* Every step is listed first, so those never reached say so. */
	{
		char *u = NULL, *h = NULL, *ignore = NULL;

		(void)prov_text_render(&r->conn->username, TPL_CTX_TEXT, env,
		    "username", &u, &ignore);
		free(ignore);
		ignore = NULL;
		(void)prov_text_render(&r->conn->host, TPL_CTX_HEADER, env,
		    "host", &h, &ignore);
		free(ignore);
		req = xasprintf("ssh %s@%s:%d (%s)", u ? u : "", h && *h ? h :
		    (r->t->address ? r->t->address : ""),
		    prov_run_port(r->conn), cli_mode ? "cli" : "exec");
		free(u);
		free(h);
	}
	cst = step_add(r, "connect", req);
	free(req);
	first = json_array_size(r->steps);
	for (i = 0; i < r->req->ncommands; i++) {
		what = xasprintf("command %zu", i + 1);
		shown = r->shown != NULL && r->shown->ncommands ==
		    r->req->ncommands ? r->shown->commands[i] : PROV_RUN_MASK;
		step_add(r, what, shown);
		free(what);
	}
	if (r->op->response.nerror_patterns > 0) {
		nerrsrc = r->op->response.nerror_patterns;
		errsrc = xcalloc(nerrsrc, sizeof(*errsrc));
		for (i = 0; i < nerrsrc; i++)
			errsrc[i] = r->op->response.error_patterns[i];
	}

	start = prov_run_now_ms();
	rc = prov_run_ssh_login(r->t, r->conn, env, r->rq->password, &x.l,
	    &cause);
	prov_run_secret_add(r->secrets, x.l.pass);
	prov_run_secret_add(r->secrets, x.l.phrase);
	if (rc == 0) {
		credparts[0] = x.l.pass;
		credparts[1] = x.l.key;
		credparts[2] = x.l.phrase;
		credparts[3] = x.l.pin;
		credparts[4] = r->t->hostkey_cb != NULL ? "tofu" : NULL;
		prov_run_cred(x.cred, credparts, 5);
		x.key = xasprintf("ssh\n%s\n%s\n%s:%d\n%s\n%s",
		    r->t->name ? r->t->name : "", r->conn->name, x.l.host,
		    x.l.port, x.l.user, cli_mode ? "cli" : "exec");
		x.reused = prov_run_conns_ssh_take(r->t->conns, x.key, x.cred,
		    &x.c, &x.cli, &x.home);
		if (x.reused && cli_mode)
			rc = sshx_cli_begin(x.cli, errsrc, nerrsrc, &cause);
		else if (!x.reused)
			rc = run_ssh_open(r, &x, cli_mode, errsrc, nerrsrc,
			    timeout, &cause);
	}
	if (rc != 0) {
		step_end(cst, start, cause ? cause : "connect failed");
		run_fail(r, "connect: %s", cause ? cause : "failed");
		broken = 1;
		goto out;
	}
	if (x.reused)
		json_object_set_new(cst, "reused", json_true());
	step_end(cst, start, NULL);

	/* Error patterns, checked on each command's own output (exec). */
	if (!cli_mode && r->op->response.nerror_patterns > 0) {
		errs = xcalloc(r->op->response.nerror_patterns, sizeof(*errs));
		for (nerr = 0; nerr < r->op->response.nerror_patterns; nerr++)
			if (cli_compile(r->op->response.error_patterns[nerr], 0,
			    &errs[nerr], &cause) != 0) {
				run_fail(r, "judge: %s", cause);
				goto out;
			}
	}

	base = sshx_sent(x.c);
	for (i = 0; i < r->req->ncommands && !failed; i++) {
		st = json_array_get(r->steps, first + i);
		shown = json_string_value(json_object_get(st, "request"));
		start = prov_run_now_ms();
		free(cause);
		cause = NULL;
		if (cli_mode)
			rc = sshx_cli_send(x.cli, r->req->commands[i], shown,
			    timeout, &out, &cause);
		else {
			memset(&res, 0, sizeof(res));
			rc = sshx_exec_timeout(x.c, r->req->commands[i],
			    timeout, &res, &cause);
		}
		if (rc != 0 && rc != -EIO && x.reused && !retried &&
		    sshx_sent(x.c) == base) {
			/*
			 * The kept connection failed before anything of this
			 * operation reached the appliance: once more, anew.
			 */
			log_debug("runner: %s: the kept connection failed "
			    "before sending (%s); connecting again",
			    r->t->name ? r->t->name : x.l.host,
			    cause ? cause : "?");
			free(out);
			out = NULL;
			free(cause);
			cause = NULL;
			retried = 1;
			run_ssh_close(&x);
			x.reused = 0;
			json_object_del(cst, "reused");
			json_object_set_new(cst, "retried", json_true());
			start = prov_run_now_ms();
			if ((rc = run_ssh_open(r, &x, cli_mode, errsrc,
			    nerrsrc, timeout, &cause)) != 0) {
				step_end(cst, start, cause ? cause :
				    "connect failed");
				run_fail(r, "connect: %s", cause ? cause :
				    "failed");
				broken = 1;
				goto out;
			}
			base = sshx_sent(x.c);
			i--;
			continue;
		}
		if (cli_mode) {
			if (out != NULL) {
				raw_add(r, out, strlen(out));
				raw_add(r, "\n", 1);
			}
			free(out);
			out = NULL;
			if (rc != 0) {
				if (rc != -EIO)
					broken = 1;
				step_end(st, start, cause ? cause : "failed");
				run_fail(r, "command %zu: %s", i + 1,
				    cause ? cause : "failed");
				failed = 1;
				continue;
			}
			step_end(st, start, NULL);
			continue;
		}
		if (rc != 0) {
			broken = 1;
			step_end(st, start, cause ? cause : "failed");
			run_fail(r, "command %zu: %s", i + 1, cause ? cause :
			    "failed");
			failed = 1;
			continue;
		}
		json_object_set_new(st, "exit_status",
		    json_integer(res.exit_status));
		raw_add(r, res.out, res.outlen);
		if (res.exit_status != 0 || res.signal != NULL) {
			outlen = res.errlen;
			while (outlen > 0 && (res.err[outlen - 1] == '\n' ||
			    res.err[outlen - 1] == '\r'))
				outlen--;
			free(cause);
			if (res.signal != NULL)
				cause = xasprintf("killed by signal %s",
				    res.signal);
			else
				cause = xasprintf("exit status %d%s%.*s",
				    res.exit_status, outlen ? ": " : "",
				    (int)(outlen > 1024 ? 1024 : outlen),
				    res.err ? res.err : "");
			step_end(st, start, cause);
			run_fail(r, "command %zu: %s", i + 1, cause);
			failed = 1;
		} else if (nerr > 0) {
			/* stdout and stderr together, as a terminal shows. */
			char *both = xasprintf("%s%s", res.out ? res.out : "",
			    res.err ? res.err : "");

			memset(&v, 0, sizeof(v));
			if (cli_check(NULL,
			    (const struct cli_pattern *const *)errs, nerr, both,
			    strlen(both), NULL, &v, &cause) != 0 || !v.ok) {
				char *why = xstrdup(v.reason ? v.reason :
				    (cause ? cause : "error pattern"));

				step_end(st, start, why);
				run_fail(r, "command %zu: %s", i + 1, why);
				free(why);
				failed = 1;
			} else
				step_end(st, start, NULL);
			cli_verdict_clear(&v);
			free(both);
		} else
			step_end(st, start, NULL);
		sshx_result_clear(&res);
	}
	if (!failed && r->op->response.success_pattern != NULL) {
		char *reason = NULL;
		struct prov_response only = r->op->response;

		only.nerror_patterns = 0;
		if (prov_run_judge(&only, r->raw ? r->raw : "", r->rawlen,
		    &reason) != 1)
			run_fail(r, "judge: %s", reason);
		free(reason);
	}
out:
	for (j = 0; j < nerr; j++)
		cli_pattern_free(errs[j]);
	free(errs);
	free(errsrc);
	if (x.c != NULL && !broken && x.cli != NULL &&
	    (sshx_cli_prompt(x.cli) == NULL || x.home == NULL ||
	    strcmp(sshx_cli_prompt(x.cli), x.home) != 0)) {
		log_debug("runner: %s: the CLI was left at another prompt than "
		    "after login; not kept", r->t->name ? r->t->name : "");
		broken = 1;
	}
	if (x.c != NULL && !broken && r->t->conns != NULL) {
		prov_run_conns_ssh_put(r->t->conns, x.key, r->t->name, x.cred,
		    x.c, x.cli, x.home);
		x.c = NULL;
		x.cli = NULL;
		x.home = NULL;
	}
	run_ssh_close(&x);
	prov_run_login_clear(&x.l);
	explicit_bzero(x.cred, sizeof(x.cred));
	free(x.key);
	json_decref(env);
	free(cause);
}

/* A copy of v whose string leaves are rendered as text. */
static json_t *
render_value(json_t *v, json_t *env, const char *what, char **cause)
{
	json_t *out, *item, *sub;
	const char *k;
	char *s, *w;
	size_t i;

	if (json_is_string(v)) {
		if (prov_run_src(json_string_value(v), TPL_CTX_TEXT, env, what,
		    &s, cause) != 0)
			return NULL;
		out = json_string(s);
		freezero_str(s);
		return out;
	}
	if (json_is_array(v) || json_is_object(v)) {
		out = json_is_array(v) ? json_array() : json_object();
		if (json_is_array(v))
			json_array_foreach(v, i, item) {
				w = xasprintf("%s[%zu]", what, i);
				sub = render_value(item, env, w, cause);
				free(w);
				if (sub == NULL)
					goto fail;
				json_array_append_new(out, sub);
			}
		else
			json_object_foreach(v, k, item) {
				w = xasprintf("%s.%s", what, k);
				sub = render_value(item, env, w, cause);
				free(w);
				if (sub == NULL)
					goto fail;
				json_object_set_new(out, k, sub);
			}
		return out;
fail:
		json_decref(out);
		return NULL;
	}
	return json_incref(v);
}

/* Take a string parameter by any of its spellings. */
static char *
take_param(json_t *params, const char *const *names)
{
	json_t *v;
	char *s = NULL;

	for (; *names != NULL; names++) {
		v = json_object_get(params, *names);
		if (v == NULL)
			continue;
		if (s == NULL && json_is_string(v))
			s = xstrdup(json_string_value(v));
		json_object_del(params, *names);
	}
	return s;
}

static void
run_callback(struct run *r)
{
	static const char *const apikey_names[] = { "api_key", "apiKey",
	    "apikey", NULL };
	static const char *const secret_names[] = { "secret_key", "secretKey",
	    "secretkey", NULL };
	const struct prov_callback *cb = r->op->callback;
	struct prov_http_req hr;
	struct prov_http_resp resp;
	struct prov_http_header *h = NULL;
	struct prov_run_sock sock = { .t = r->t, .callback = 1 };
	json_t *env, *params = NULL, *st, *v;
	char *cause = NULL, *url = NULL, *apikey = NULL, *secret = NULL;
	char *query = NULL, *body = NULL, *shown = NULL, *s;
	const char *base;
	char expires[CSSIGN_EXPIRES_LEN];
	long long start = prov_run_now_ms();
	size_t i, nh = 0;

	env = prov_run_env(r->req->data, r->cs);
	json_object_set_new(env, "response", json_is_object(r->data) ?
	    json_deep_copy(r->data) : json_object());
	prov_http_req_init(&hr);
	memset(&resp, 0, sizeof(resp));

	if (cb->kind == PROV_CALLBACK_CLOUDSTACK) {
		st = step_add(r, "callback", "cloudstack-api");
		if (cb->parameters == NULL || (params = render_value(
		    cb->parameters, env, "callback.parameters",
		    &cause)) == NULL) {
			if (cause == NULL)
				cause = xstrdup("no parameters");
			goto fail;
		}
		apikey = take_param(params, apikey_names);
		secret = take_param(params, secret_names);
		prov_run_secret_add(r->secrets, apikey);
		prov_run_secret_add(r->secrets, secret);
		if (apikey == NULL || secret == NULL) {
			cause = xstrdup("cloudstack-api needs the parameters "
			    "api_key and secret_key");
			goto fail;
		}
		base = r->t->cloudstack_url;
		if (base == NULL)
			base = json_string_value(json_object_get(r->cs,
			    "cloudstack_api_url"));
		if (base == NULL) {
			cause = xstrdup("no CloudStack API URL (the broker's "
			    "setting, or cs-data cloudstack_api_url)");
			goto fail;
		}
		json_object_set_new(params, "apiKey", json_string(apikey));
		if (json_object_get(params, "response") == NULL)
			json_object_set_new(params, "response",
			    json_string("json"));
		json_object_set_new(params, "signatureversion",
		    json_string("3"));
		cssign_expires(time(NULL) + PROV_RUN_CS_EXPIRES_S, expires,
		    sizeof(expires));
		json_object_set_new(params, "expires", json_string(expires));
		if (cssign_query(params, secret, &query, &cause) != 0)
			goto fail;
		url = xasprintf("%s%s%s", base, strchr(base, '?') ? "&" : "?",
		    query);
		shown = xasprintf("GET %s?command=%s (signed)", base,
		    json_string_value(json_object_get(params, "command")) ?
		    json_string_value(json_object_get(params, "command")) :
		    "");
		json_object_set_new(st, "request", json_string(shown));
		hr.method = "GET";
	} else {
		if (prov_text_render(&cb->url, TPL_CTX_URL, env, "callback.url",
		    &url, &cause) != 0) {
			st = step_add(r, "callback", cb->url.src);
			goto fail;
		}
		shown = xasprintf("%s %s", cb->method ? cb->method : "POST",
		    url);
		st = step_add(r, "callback", shown);
		h = xcalloc(cb->nheaders + 1, sizeof(*h));
		for (i = 0; i < cb->nheaders; i++) {
			if (prov_text_render(&cb->headers[i].value,
			    TPL_CTX_HEADER, env, "callback.headers", &s,
			    &cause) != 0)
				goto fail;
			h[nh].name = cb->headers[i].name;
			h[nh++].value = s;
		}
		if (cb->body.src != NULL && prov_text_render(&cb->body,
		    cb->body_json ? TPL_CTX_JSON : TPL_CTX_TEXT, env,
		    "callback.body", &body, &cause) != 0)
			goto fail;
		hr.method = cb->method ? cb->method : "POST";
		hr.headers = h;
		hr.nheaders = nh;
		if (body != NULL) {
			hr.body = body;
			hr.body_len = strlen(body);
		}
	}
	hr.url = url;
	hr.total_timeout_ms = run_timeout_ms(r);
	hr.connect_timeout_ms = hr.total_timeout_ms;
	if (hr.connect_timeout_ms > PROV_HTTP_CONNECT_TIMEOUT_MS)
		hr.connect_timeout_ms = PROV_HTTP_CONNECT_TIMEOUT_MS;
	hr.ca_file = r->t->ca_file;
	if (r->t->callback_socket != NULL) {
		sock.timeout_ms = (int)hr.connect_timeout_ms;
		hr.open_socket = prov_run_http_socket;
		hr.open_socket_arg = &sock;
	}
	if (prov_http_do(&hr, &resp, &cause) != 0)
		goto fail;
	json_object_set_new(st, "http_status", json_integer(resp.status));
	if (!prov_run_status_ok(NULL, 0, resp.status)) {
		cause = xasprintf("HTTP status %ld: %.*s%s", resp.status,
		    (int)(resp.body_len > RUN_QUOTE ? RUN_QUOTE :
		    resp.body_len), resp.body ? resp.body : "",
		    resp.body_len > RUN_QUOTE ? "..." : "");
		goto fail;
	}
	if ((v = json_loadb(resp.body, resp.body_len, 0, NULL)) != NULL)
		json_object_set_new(st, "response", v);
	step_end(st, start, NULL);
	goto out;
fail:
	step_end(st, start, cause ? cause : "failed");
	run_fail(r, "callback: %s", cause ? cause : "failed");
out:
	prov_http_resp_free(&resp);
	for (i = 0; i < nh; i++)
		freezero_str((char *)(uintptr_t)h[i].value);
	free(h);
	freezero_str(body);
	freezero_str(query);
	freezero_str(url);
	freezero_str(apikey);
	freezero_str(secret);
	free(shown);
	free(cause);
	json_decref(params);
	json_decref(env);
}

/* Render the operation over conn, which may differ from its own
 * (bootstrap's initial_connection). */
static int
run_render(struct run *r, const struct prov_conn *conn, char **cause)
{
	struct prov_op tmp;

	if (conn == r->op->conn) {
		if (prov_op_render(r->dict, r->op, r->rq->data, r->cs, 0,
		    &r->req, cause) != 0)
			return -1;
		if (prov_op_render(r->dict, r->op, r->rq->data, r->cs, 1,
		    &r->shown, cause) != 0)
			return -1;
		return 0;
	}
	/*
	 * A shallow copy of the operation pointing at the other
	 * connection: prov_op_render reads only op->conn for it.
	 */
	tmp = *r->op;
	tmp.conn = conn;
	if (prov_op_render(r->dict, &tmp, r->rq->data, r->cs, 0, &r->req,
	    cause) != 0)
		return -1;
	if (prov_op_render(r->dict, &tmp, r->rq->data, r->cs, 1, &r->shown,
	    cause) != 0)
		return -1;
	return 0;
}

/*
 * then: the operations that follow a success (an apply after a change),
 * each run as its own operation with the same input and no callback;
 * their steps join this result as "then NAME: STEP".  The first failure
 * fails the operation: the change was made but not applied, and the
 * error says which follower failed.
 */
static void
run_then(struct run *r)
{
	struct prov_run_req sub;
	json_t *res, *st;
	const char *status, *err;
	char *name;
	size_t i, j;

	for (i = 0; i < r->op->nthen && r->error == NULL; i++) {
		sub = *r->rq;
		sub.operation = r->op->then[i];
		sub.no_callback = 1;
		res = NULL;
		(void)prov_run_op(r->dict, r->t, &sub, &res);
		json_array_foreach(json_object_get(res, "steps"), j, st) {
			st = json_deep_copy(st);
			name = xasprintf("then %s: %s", r->op->then[i],
			    json_string_value(json_object_get(st, "step")));
			json_object_set_new(st, "step", json_string(name));
			free(name);
			json_array_append_new(r->steps, st);
		}
		status = json_string_value(json_object_get(res, "status"));
		if (status == NULL || strcmp(status, "success") != 0) {
			err = json_string_value(json_object_get(res, "error"));
			run_fail(r, "then %s: %s", r->op->then[i],
			    err != NULL ? err : "failed");
		}
		json_decref(res);
	}
}

int
prov_run_op(const struct prov_dict *dict, const struct prov_target *t,
    const struct prov_run_req *rq, json_t **result)
{
	struct run r;
	json_t *res, *st, *masked, *dsecrets;
	char *cause = NULL;
	long long start;
	int ok;

	memset(&r, 0, sizeof(r));
	r.dict = dict;
	r.t = t;
	r.rq = rq;
	r.t0 = prov_run_now_ms();
	r.steps = json_array();
	r.cs = json_is_object(rq->cs_data) ? json_deep_copy(rq->cs_data) :
	    json_object();
	/* {{mgmt_ip}} and a connection without host: the target's address. */
	if (json_object_get(r.cs, "mgmt_ip") == NULL && t->address != NULL)
		json_object_set_new(r.cs, "mgmt_ip", json_string(t->address));
	r.secrets = prov_run_secrets(r.cs, rq->data);
	if (rq->password != NULL)
		prov_run_secret_add(r.secrets, rq->password);

	if ((r.svc = prov_service_find(dict, rq->service)) == NULL) {
		run_fail(&r, "validate: no service \"%s\" in %s", rq->service,
		    dict->name);
		goto done;
	}
	if ((r.op = prov_op_find(r.svc, rq->operation)) == NULL) {
		run_fail(&r, "validate: service %s has no operation \"%s\"",
		    r.svc->name, rq->operation);
		goto done;
	}
	r.conn = rq->conn != NULL ? rq->conn : r.op->conn;
	if (rq->conn != NULL && r.op->transport == PROV_TRANSPORT_SSH &&
	    rq->conn->proto != PROV_PROTO_SSH)
		r.conn = r.op->conn;
	if (rq->conn != NULL && r.op->transport == PROV_TRANSPORT_HTTP &&
	    rq->conn->proto == PROV_PROTO_SSH)
		r.conn = r.op->conn;

	start = prov_run_now_ms();
	st = step_add(&r, "validate", NULL);
	if (run_render(&r, r.conn, &cause) != 0) {
		step_end(st, start, cause);
		run_fail(&r, "validate: %s", cause);
		goto done;
	}
	step_end(st, start, NULL);
	/* Secrets of the validated data (defaults included). */
	dsecrets = prov_run_secrets(NULL, r.req->data);
	{
		size_t i;
		json_t *v;

		json_array_foreach(dsecrets, i, v)
			prov_run_secret_add(r.secrets, json_string_value(v));
	}
	json_decref(dsecrets);
	prov_run_secrets_sort(r.secrets);

	if (r.op->transport == PROV_TRANSPORT_HTTP)
		run_http(&r);
	else
		run_ssh(&r);
	prov_run_secrets_sort(r.secrets);

	if (r.error == NULL) {
		start = prov_run_now_ms();
		if (r.op->response.format != PROV_FORMAT_NONE)
			st = step_add(&r, "transform", NULL);
		else
			st = NULL;
		json_t *xenv = prov_run_env(r.req != NULL ? r.req->data : NULL,
		    r.cs);

		if (prov_run_transform(&r.op->response, r.raw ? r.raw : "",
		    r.rawlen, xenv, &r.data, &cause) != 0) {
			if (st != NULL)
				step_end(st, start, cause);
			run_fail(&r, "transform: %s", cause);
		} else if (st != NULL)
			step_end(st, start, NULL);
		json_decref(xenv);
	}
	if (r.error == NULL && r.op->nthen > 0)
		run_then(&r);
	if (r.error == NULL && r.op->callback != NULL && !rq->no_callback)
		run_callback(&r);
done:
	ok = r.error == NULL;
	res = json_object();
	json_object_set_new(res, "status", json_string(ok ? "success" :
	    "failed"));
	json_object_set_new(res, "service", json_string(rq->service));
	json_object_set_new(res, "operation", json_string(rq->operation));
	if (t->name != NULL)
		json_object_set_new(res, "appliance", json_string(t->name));
	json_object_set_new(res, "data", r.data != NULL && ok ?
	    json_incref(r.data) : json_null());
	json_object_set_new(res, "steps", json_incref(r.steps));
	if (r.raw != NULL) {
		json_t *raw = json_stringn(r.raw, r.rawlen);

		json_object_set_new(res, "raw", raw != NULL ? raw :
		    json_string("(not UTF-8)"));
	} else
		json_object_set_new(res, "raw", json_null());
	if (r.raw_truncated)
		json_object_set_new(res, "raw_truncated", json_true());
	json_object_set_new(res, "error", r.error ? json_string(r.error) :
	    json_null());
	json_object_set_new(res, "elapsed_ms", json_integer(prov_run_now_ms() -
	    r.t0));
	/* A fresh copy, so masking never touches a caller's value. */
	masked = json_deep_copy(res);
	json_decref(res);
	prov_run_mask(masked, r.secrets);
	*result = masked;

	free(cause);
	free(r.error);
	if (r.raw != NULL)
		explicit_bzero(r.raw, r.rawlen);
	free(r.raw);
	json_decref(r.data);
	json_decref(r.steps);
	json_decref(r.secrets);
	json_decref(r.cs);
	prov_request_free(r.req);
	prov_request_free(r.shown);
	return ok ? 0 : -1;
}
