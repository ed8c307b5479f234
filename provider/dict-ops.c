/*
 * Provider dictionaries: services and their operations.
 *
 * An operation is checked in the order its parts depend on each other:
 * get_data (the fields it reads) and the transport (method, connection)
 * first, then the response (whose transform names a callback may read),
 * then every template: url, headers, body, commands, callback.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/dict-int.h"
#include "provider/dict.h"
#include "provider/jsonpath.h"
#include "provider/schema.h"
#include "provider/template.h"
#include "provider/ydoc.h"

/* A growing string, for building the template of a structured body. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 256;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Text as the inside of a JSON string literal. */
static void
sb_json_escape(struct sbuf *b, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			sb_add(b, esc, 2);
		} else if (ch == '\n')
			sb_str(b, "\\n");
		else if (ch == '\t')
			sb_str(b, "\\t");
		else if (ch == '\r')
			sb_str(b, "\\r");
		else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			sb_str(b, esc);
		} else
			sb_add(b, s + i, 1);
	}
}

/*
 * Is s (trimmed) exactly one output tag, {{ expr }}?  Such a leaf keeps
 * the JSON type of its value: it is written outside quotes, where the
 * template's JSON context writes a JSON value.
 */
static int
dict_single_tag(const char *s)
{
	static const char *const kw[] = { "if", "else", "end", "for", "range",
	    NULL };
	const char *end, *second, *w;
	size_t i, n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n < 4 || strncmp(s, "{{", 2) != 0 || strncmp(s + n - 2, "}}", 2))
		return 0;
	end = strstr(s + 2, "}}");
	if (end != s + n - 2)
		return 0;
	second = strstr(s + 2, "{{");
	if (second != NULL && second < end)
		return 0;
	w = s + 2;
	while (isspace((unsigned char)*w))
		w++;
	for (i = 0; kw[i] != NULL; i++) {
		size_t l = strlen(kw[i]);

		if (strncmp(w, kw[i], l) == 0 &&
		    !isalnum((unsigned char)w[l]) && w[l] != '_')
			return 0;
	}
	return 1;
}

static int
dict_body_emit(struct dctx *c, const struct ynode *n, const char *path,
    const struct scope *s, struct sbuf *b)
{
	struct tmap m = { .n = n };
	char p[PROV_PATH_MAX];
	const char *q, *open, *close;
	struct tpl *t;
	size_t i;
	int b2, rc = 0;

	switch (n->type) {
	case YNODE_MAP:
		sb_str(b, "{");
		for (i = 0; i < n->n; i++) {
			const struct ynode *k = n->pairs[i].key;

			dict_path(p, sizeof(p), path, k->str);
			if (tpl_has_tags(k->str)) {
				dict_error(c, k, p, "a key of a structured "
				    "body cannot be a template");
				rc = -1;
			}
			if (i > 0)
				sb_str(b, ",");
			sb_str(b, "\"");
			sb_json_escape(b, k->str, k->len);
			sb_str(b, "\":");
			if (dict_body_emit(c, n->pairs[i].value, p, s, b) == -1)
				rc = -1;
		}
		sb_str(b, "}");
		return rc;
	case YNODE_SEQ:
		sb_str(b, "[");
		for (i = 0; i < n->n; i++) {
			dict_path_index(p, sizeof(p), path, i);
			if (i > 0)
				sb_str(b, ",");
			if (dict_body_emit(c, n->items[i], p, s, b) == -1)
				rc = -1;
		}
		sb_str(b, "]");
		return rc;
	case YNODE_SCALAR:
		break;
	}
	if (n->plain && ynode_is_null(n)) {
		sb_str(b, "null");
		return 0;
	}
	if (n->plain && ynode_bool(n, &b2) == 0) {
		sb_str(b, b2 ? "true" : "false");
		return 0;
	}
	if (strlen(n->str) != n->len) {
		dict_error(c, n, path, "expected a string, found one with a "
		    "NUL byte");
		return -1;
	}
	if (n->plain) {
		json_t *num = json_loads(n->str, JSON_DECODE_ANY, NULL);

		if (num != NULL && json_is_number(num)) {
			json_decref(num);
			sb_str(b, n->str);
			return 0;
		}
		json_decref(num);
	}
	if (!tpl_has_tags(n->str)) {
		sb_str(b, "\"");
		sb_json_escape(b, n->str, n->len);
		sb_str(b, "\"");
		return 0;
	}
	if ((t = dict_tpl(c, n->str, &m, path, s)) == NULL)
		return -1;
	tpl_free(t);
	if (dict_single_tag(n->str)) {
		q = strstr(n->str, "{{");
		close = strstr(q, "}}");
		sb_add(b, q, (size_t)(close + 2 - q));
		return 0;
	}
	/* Literal parts are escaped; tags are copied as they are. */
	sb_str(b, "\"");
	q = n->str;
	while ((open = strstr(q, "{{")) != NULL &&
	    (close = strstr(open + 2, "}}")) != NULL) {
		sb_json_escape(b, q, (size_t)(open - q));
		sb_add(b, open, (size_t)(close + 2 - open));
		q = close + 2;
	}
	sb_json_escape(b, q, strlen(q));
	sb_str(b, "\"");
	return 0;
}

/*
 * A body given as a YAML map or list: one JSON template whose string
 * leaves are the templates written, checked one by one at their places.
 */
int
dict_json_body(struct dctx *c, const struct ynode *n, const char *path,
    const struct scope *s, struct prov_text *t)
{
	struct tpl_error err;
	struct sbuf b = { NULL, 0, 0 };

	memset(t, 0, sizeof(*t));
	if (dict_body_emit(c, n, path, s, &b) == -1) {
		free(b.p);
		return -1;
	}
	t->line = n->line;
	t->column = n->column;
	t->src = b.p;
	if (tpl_has_tags(t->src) &&
	    tpl_compile(t->src, b.len, &t->tpl, &err) != 0) {
		dict_error(c, n, path, "template syntax: %s (in the body "
		    "built from this map)", err.msg);
		prov_text_free(t);
		return -1;
	}
	return 0;
}

/* The place of a "jsonpath: at N: ..." cause within scalar n. */
static void
dict_jp_error(struct dctx *c, const struct ynode *n, const char *path,
    const char *expr, const char *cause)
{
	int at = 1, line, column;

	if (cause != NULL && sscanf(cause, "jsonpath: at %d", &at) != 1)
		at = 1;
	dict_scalar_pos(c, n, 1, at, &line, &column);
	dict_error_at(c, line, column, path, "invalid JSONPath \"%s\": %s",
	    expr, cause != NULL ? cause : "invalid expression");
}

static int
dict_parser_name(const char *s)
{
	if (strncmp(s, "parse_", 6) != 0 || s[6] == '\0')
		return 0;
	for (s += 6; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s)
		    && *s != '_')
			return 0;
	return 1;
}

/*
 * A transform written as a map: {expr: EXPR, first: true} (the first
 * match only) or {value: TEMPLATE} (from the operation's input, for an
 * appliance that answers a create with nothing: VyOS).  Returns the
 * expression node, or NULL when the entry is a value (or broken).
 */
static const struct ynode *
dict_transform_map(struct dctx *c, const struct ynode *v, const char *p,
    const struct scope *s, struct prov_transform *x)
{
	static const char *const keys[] = { "expr", "first", "value", NULL };
	const struct ynode *e, *f, *val;
	char q[PROV_PATH_MAX];
	const char *src;
	int b;

	dict_check_keys(c, v, p, keys);
	e = ynode_get(v, "expr");
	val = ynode_get(v, "value");
	if ((f = ynode_get(v, "first")) != NULL) {
		dict_path(q, sizeof(q), p, "first");
		if (dict_bool(c, f, q, &b) == 0)
			x->first = b;
	}
	if ((e == NULL) == (val == NULL)) {
		dict_error(c, v, p, "a transform map needs expr (a JSONPath "
		    "or regular expression) or value (a template), one of "
		    "them");
		return NULL;
	}
	if (val == NULL)
		return e;
	dict_path(q, sizeof(q), p, "value");
	if (x->first)
		dict_error(c, f, p, "first goes with expr, not value");
	if (dict_text(c, val, q, 0, s, &x->value) != 0)
		return NULL;
	src = x->value.src;
	x->value_typed = src != NULL && strncmp(src, "{{", 2) == 0 &&
	    strstr(src + 2, "{{") == NULL &&
	    strlen(src) >= 4 && strcmp(src + strlen(src) - 2, "}}") == 0;
	x->kind = PROV_XFORM_VALUE;
	return NULL;
}

static void
dict_transform(struct dctx *c, const struct ynode *n, const char *path,
    const struct ynode *fmtnode, const struct scope *s,
    struct prov_response *r)
{
	struct prov_transform *x;
	const struct ynode *v;
	char p[PROV_PATH_MAX], *cause;
	size_t i;

	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return;
	if (r->format == PROV_FORMAT_NONE) {
		dict_error(c, n, path, "a transform needs response.format: "
		    "expected json (JSONPath), cli or text (regular "
		    "expressions)%s", fmtnode != NULL ? "" : "; format is "
		    "not given");
		return;
	}
	if (r->format == PROV_FORMAT_XML) {
		dict_error(c, n, path, "transforms are not supported for "
		    "format xml: expected format json, cli or text");
		return;
	}
	r->transform = xcalloc(n->n ? n->n : 1, sizeof(*r->transform));
	for (i = 0; i < n->n; i++) {
		v = n->pairs[i].value;
		dict_path(p, sizeof(p), path, n->pairs[i].key->str);
		x = &r->transform[r->ntransform];
		x->line = v->line;
		x->column = v->column;
		if (v->type == YNODE_MAP) {
			v = dict_transform_map(c, v, p, s, x);
			if (v == NULL) {
				if (x->kind != PROV_XFORM_VALUE) {
					prov_text_free(&x->value);
					memset(x, 0, sizeof(*x));
					continue;
				}
				x->name = xstrdup(n->pairs[i].key->str);
				x->expr = xstrdup(x->value.src);
				r->ntransform++;
				continue;
			}
			{
				char q[PROV_PATH_MAX];

				dict_path(q, sizeof(q), p, "expr");
				str_copy(p, q, sizeof(p));
			}
		}
		if (dict_want(c, v, p, YNODE_SCALAR) == -1)
			continue;
		if (r->format == PROV_FORMAT_JSON) {
			cause = NULL;
			x->kind = PROV_XFORM_JSONPATH;
			if (jp_compile(v->str, &x->jp, &cause) != 0) {
				dict_jp_error(c, v, p, v->str, cause);
				free(cause);
				continue;
			}
		} else if (dict_parser_name(v->str))
			x->kind = PROV_XFORM_PARSER;
		else {
			x->kind = PROV_XFORM_REGEX;
			if ((x->re = dict_regex(c, v, p, v->str)) == NULL)
				continue;
		}
		x->name = xstrdup(n->pairs[i].key->str);
		x->expr = xstrdup(v->str);
		r->ntransform++;
	}
}

static void
dict_patterns(struct dctx *c, const struct ynode *n, const char *path,
    struct prov_response *r)
{
	char p[PROV_PATH_MAX];
	const struct ynode *v;
	size_t i, cnt;
	void *re;

	if (ynode_is_null(n))
		return;
	if (n->type == YNODE_MAP) {
		dict_want(c, n, path, YNODE_SEQ);
		return;
	}
	cnt = n->type == YNODE_SEQ ? n->n : 1;
	r->error_patterns = xcalloc(cnt ? cnt : 1, sizeof(*r->error_patterns));
	r->error_re = xcalloc(cnt ? cnt : 1, sizeof(*r->error_re));
	for (i = 0; i < cnt; i++) {
		v = n->type == YNODE_SEQ ? n->items[i] : n;
		if (n->type == YNODE_SEQ)
			dict_path_index(p, sizeof(p), path, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		if (dict_want(c, v, p, YNODE_SCALAR) == -1)
			continue;
		if ((re = dict_regex(c, v, p, v->str)) == NULL)
			continue;
		r->error_patterns[r->nerror_patterns] = xstrdup(v->str);
		r->error_re[r->nerror_patterns++] = re;
	}
}

static void dict_callback(struct dctx *, const struct ynode *,
    const struct ynode *, const char *, struct prov_service *,
    struct prov_op *);

static void
dict_response(struct dctx *c, const struct ynode *n, const char *path,
    struct prov_service *svc, struct prov_op *op)
{
	static const char *const keys[] = { "format", "transform",
	    "success_pattern", "error_patterns", "expected_status", "callback",
	    "parameters", NULL };
	static const char *const formats[] = { "json", "cli", "xml", "text",
	    NULL };
	struct prov_response *r = &op->response;
	const struct ynode *v, *fmt, *cb;
	char p[PROV_PATH_MAX];
	const char *hint;
	size_t i;

	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return;
	dict_check_keys(c, n, path, keys);
	if ((fmt = ynode_get(n, "format")) != NULL) {
		dict_path(p, sizeof(p), path, "format");
		if (dict_want(c, fmt, p, YNODE_SCALAR) == 0) {
			for (i = 0; formats[i] != NULL; i++)
				if (strcmp(fmt->str, formats[i]) == 0)
					break;
			if (formats[i] != NULL)
				r->format = (enum prov_format)(i + 1);
			else {
				hint = str_suggest(fmt->str, formats);
				dict_error(c, fmt, p, "expected json, cli, xml "
				    "or text, found \"%s\"%s%s%s", fmt->str,
				    hint ? "; did you mean \"" : "",
				    hint ? hint : "", hint ? "\"?" : "");
			}
		}
	}
	if ((v = ynode_get(n, "transform")) != NULL) {
		dict_path(p, sizeof(p), path, "transform");
		struct scope s = { .svc = svc, .op = op, .path = path };

		dict_transform(c, v, p, fmt, &s, r);
	}
	if ((v = ynode_get(n, "success_pattern")) != NULL &&
	    !ynode_is_null(v)) {
		dict_path(p, sizeof(p), path, "success_pattern");
		if (dict_want(c, v, p, YNODE_SCALAR) == 0 &&
		    (r->success_re = dict_regex(c, v, p, v->str)) != NULL)
			r->success_pattern = xstrdup(v->str);
	}
	if ((v = ynode_get(n, "error_patterns")) != NULL) {
		dict_path(p, sizeof(p), path, "error_patterns");
		dict_patterns(c, v, p, r);
	}
	if ((v = ynode_get(n, "expected_status")) != NULL) {
		dict_path(p, sizeof(p), path, "expected_status");
		if (op->transport == PROV_TRANSPORT_SSH)
			dict_error(c, v, p, "expected_status is for HTTP "
			    "operations; this one runs over ssh (use "
			    "success_pattern)");
		else
			dict_status_list(c, v, p, &r->expected_status,
			    &r->nexpected_status);
	}
	cb = ynode_get(n, "callback");
	v = ynode_get(n, "parameters");
	if (cb != NULL) {
		dict_path(p, sizeof(p), path, "callback");
		dict_callback(c, cb, v, p, svc, op);
	} else if (v != NULL) {
		dict_path(p, sizeof(p), path, "parameters");
		dict_error(c, v, p, "parameters without a callback: expected "
		    "them inside callback (callback.parameters)");
	}
}

/*
 * A callback: `action: cloudstack-api` with parameters, or a plain HTTP
 * call (method, url, headers, body).  extparams is the `parameters` key
 * beside a callback written inside response, as CloudStack's example has it.
 */
static void
dict_callback(struct dctx *c, const struct ynode *n,
    const struct ynode *extparams, const char *path, struct prov_service *svc,
    struct prov_op *op)
{
	static const char *const keys[] = { "action", "parameters", "method",
	    "url", "headers", "body", NULL };
	static const char *const actions[] = { "cloudstack-api", NULL };
	struct scope s = { .svc = svc, .op = op, .callback = 1 };
	struct prov_callback *cb;
	const struct ynode *v, *params;
	char p[PROV_PATH_MAX];
	const char *verb, *hint;

	if (op->callback != NULL) {
		dict_error(c, n, path, "a second callback: expected one, "
		    "either beside response or inside it");
		return;
	}
	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return;
	dict_check_keys(c, n, path, keys);
	cb = op->callback = xcalloc(1, sizeof(*cb));
	cb->line = n->line;
	cb->column = n->column;
	s.path = path;
	params = ynode_get(n, "parameters");
	if (params != NULL && extparams != NULL)
		dict_error(c, extparams, path, "parameters given twice, inside "
		    "callback and beside it: expected callback.parameters "
		    "only");
	else if (params == NULL)
		params = extparams;

	if ((v = ynode_get(n, "action")) != NULL) {
		dict_path(p, sizeof(p), path, "action");
		if (dict_want(c, v, p, YNODE_SCALAR) == -1)
			return;
		if (strcmp(v->str, "cloudstack-api") != 0) {
			hint = str_suggest(v->str, actions);
			dict_error(c, v, p, "expected cloudstack-api, found "
			    "\"%s\"%s", v->str, hint ? "; did you mean "
			    "\"cloudstack-api\"?" : " (for a plain HTTP call, "
			    "give method and url instead)");
			return;
		}
		cb->kind = PROV_CALLBACK_CLOUDSTACK;
		cb->action = xstrdup(v->str);
		if (ynode_get(n, "url") != NULL)
			dict_error(c, ynode_get(n, "url"), path, "a "
			    "cloudstack-api callback takes parameters, not a "
			    "url");
		if (params == NULL) {
			dict_error(c, n, path, "missing required key "
			    "\"parameters\" for a cloudstack-api callback");
			return;
		}
		dict_path(p, sizeof(p), path, "parameters");
		if (dict_want(c, params, p, YNODE_MAP) == -1)
			return;
		if (ynode_get(params, "command") == NULL)
			dict_error(c, params, p, "missing required key "
			    "\"command\": the CloudStack API command to call");
		cb->parameters = dict_value(c, params, p, &s);
		return;
	}

	cb->kind = PROV_CALLBACK_HTTP;
	if (params != NULL)
		dict_warn(c, params, path, "parameters are for a "
		    "cloudstack-api callback; ignored for a plain HTTP one");
	cb->method = xstrdup("POST");
	if ((v = ynode_get(n, "method")) != NULL) {
		dict_path(p, sizeof(p), path, "method");
		if (dict_want(c, v, p, YNODE_SCALAR) == 0) {
			if ((verb = dict_http_verb(v->str)) == NULL)
				dict_error(c, v, p, "expected an HTTP method "
				    "(GET, POST, PUT, PATCH, DELETE), found "
				    "\"%s\"", v->str);
			else {
				free(cb->method);
				cb->method = xstrdup(verb);
			}
		}
	}
	dict_path(p, sizeof(p), path, "url");
	if ((v = ynode_get(n, "url")) == NULL)
		dict_error(c, n, path, "missing required key \"url\" (or "
		    "\"action: cloudstack-api\")");
	else
		dict_text(c, v, p, 0, &s, &cb->url);
	if ((v = ynode_get(n, "headers")) != NULL) {
		dict_path(p, sizeof(p), path, "headers");
		dict_headers(c, v, p, &s, &cb->headers, &cb->nheaders);
	}
	if ((v = ynode_get(n, "body")) != NULL && !ynode_is_null(v)) {
		dict_path(p, sizeof(p), path, "body");
		if (v->type == YNODE_SCALAR)
			dict_text(c, v, p, 0, &s, &cb->body);
		else {
			cb->body_json = 1;
			dict_json_body(c, v, p, &s, &cb->body);
		}
	}
}

static const struct prov_header *
dict_find_header(const struct prov_header *h, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return &h[i];
	return NULL;
}

/* The context a string body renders in: from Content-Type, or its look. */
static int
dict_body_ctx(const struct prov_op *op, const char *src)
{
	const struct prov_header *ct;

	ct = dict_find_header(op->headers, op->nheaders, "Content-Type");
	if (ct == NULL && op->conn != NULL)
		ct = dict_find_header(op->conn->headers, op->conn->nheaders,
		    "Content-Type");
	if (ct != NULL && ct->value.src != NULL) {
		if (strstr(ct->value.src, "json") != NULL)
			return TPL_CTX_JSON;
		if (strstr(ct->value.src, "x-www-form-urlencoded") != NULL)
			return TPL_CTX_FORM;
		return TPL_CTX_TEXT;
	}
	while (isspace((unsigned char)*src))
		src++;
	return *src == '{' || *src == '[' ? TPL_CTX_JSON : TPL_CTX_TEXT;
}

/* The command lines: one template, one line per item. */
static void
dict_commands(struct dctx *c, const struct ynode *n, const char *path,
    const struct scope *s, struct prov_op *op)
{
	const struct ynode **items;
	struct sbuf b = { NULL, 0, 0 };
	char p[PROV_PATH_MAX];
	struct tmap m;
	size_t i;
	int bad = 0;

	if (dict_want(c, n, path, YNODE_SEQ) == -1)
		return;
	if (n->n == 0) {
		dict_error(c, n, path, "expected at least one command, found "
		    "an empty list");
		return;
	}
	items = xcalloc(n->n, sizeof(*items));
	op->commands = xcalloc(n->n, sizeof(*op->commands));
	for (i = 0; i < n->n; i++) {
		const struct ynode *v = n->items[i];

		dict_path_index(p, sizeof(p), path, i);
		items[i] = v;
		if (v->type != YNODE_SCALAR || ynode_is_null(v)) {
			dict_error(c, v, p, "expected a command line (a "
			    "string), found %s%s", v->type == YNODE_MAP ?
			    "a map" : v->type == YNODE_SEQ ? "a sequence" :
			    "nothing", v->type == YNODE_MAP ? "; quote the line "
			    "if it contains \": \"" : "");
			bad = 1;
			continue;
		}
		if (strchr(v->str, '\n') != NULL || strchr(v->str, '\r') !=
		    NULL || strlen(v->str) != v->len) {
			dict_error(c, v, p, "expected one command line, found "
			    "a line break or NUL in it: write one item per "
			    "line");
			bad = 1;
			continue;
		}
		op->commands[op->ncommands++] = xstrdup(v->str);
		if (i > 0)
			sb_str(&b, "\n");
		sb_str(&b, v->str);
	}
	if (!bad && tpl_has_tags(b.p)) {
		m.n = n;
		m.items = items;
		m.nitems = n->n;
		op->commands_tpl = dict_tpl(c, b.p, &m, path, s);
	}
	free(b.p);
	free(items);
}

static void
dict_get_data(struct dctx *c, const struct ynode *n, const char *path,
    struct prov_service *svc, struct prov_op *op)
{
	char p[PROV_PATH_MAX];
	const char *hint;
	size_t i;

	op->has_get_data = 1;
	if (n->type != YNODE_SEQ) {
		dict_error(c, n, path, "expected a list of data field names "
		    "(possibly empty, []), found %s", n->type == YNODE_MAP ?
		    "a map" : "a scalar");
		return;
	}
	op->get_data = xcalloc(n->n ? n->n : 1, sizeof(*op->get_data));
	for (i = 0; i < n->n; i++) {
		const struct ynode *v = n->items[i];

		dict_path_index(p, sizeof(p), path, i);
		if (dict_want(c, v, p, YNODE_SCALAR) == -1)
			continue;
		if (svc->schema != NULL && !schema_has_field(svc->schema,
		    v->str)) {
			hint = dict_suggest(v->str,
			    schema_field_names(svc->schema), (size_t)-1);
			dict_error(c, v, p, "\"%s\" is not a field of "
			    "services.%s.data%s%s%s", v->str, svc->name,
			    hint ? "; did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?" : "");
			continue;
		}
		op->get_data[op->nget_data++] = xstrdup(v->str);
	}
}

/* Is a connection's type unresolved (and so already reported)? */
static int
dict_unresolved_conns(const struct prov_dict *dict)
{
	size_t i;

	for (i = 0; i < dict->nconns; i++)
		if (dict->conns[i].proto == 0)
			return 1;
	return 0;
}

/* Which transport, over which connection. */
static void
dict_transport(struct dctx *c, const struct ynode *n, const char *path,
    struct prov_op *op)
{
	const struct ynode *mnode, *cnode;
	const struct prov_conn *named;
	const char **names, *verb, *hint;
	char p[PROV_PATH_MAX];
	size_t i, nnames;

	mnode = ynode_get(n, "method");
	cnode = ynode_get(n, "connection");
	nnames = c->dict->nconns <= PROV_SUGGEST_MAX ? c->dict->nconns : 0;
	names = xcalloc(nnames + 1, sizeof(*names));
	for (i = 0; i < nnames; i++)
		names[i] = c->dict->conns[i].name;
	if (cnode != NULL) {
		dict_path(p, sizeof(p), path, "connection");
		op->connection = dict_string(c, cnode, p);
		if (op->connection != NULL &&
		    (op->conn = prov_conn_find(c->dict, op->connection)) ==
		    NULL) {
			hint = dict_suggest(op->connection, names, nnames);
			dict_error(c, cnode, p, "no connection named \"%s\" in "
			    "connections%s%s%s", op->connection,
			    hint ? "; did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?" : "");
		}
	}
	if (mnode != NULL) {
		dict_path(p, sizeof(p), path, "method");
		if (dict_want(c, mnode, p, YNODE_SCALAR) == -1)
			goto out;
		if ((verb = dict_http_verb(mnode->str)) != NULL) {
			op->transport = PROV_TRANSPORT_HTTP;
			op->method = xstrdup(verb);
			op->http_method = xstrdup(verb);
		} else if (strcmp(mnode->str, "ssh") == 0) {
			op->transport = PROV_TRANSPORT_SSH;
			op->method = xstrdup("ssh");
		} else if ((named = prov_conn_find(c->dict, mnode->str)) !=
		    NULL) {
			op->method = xstrdup(mnode->str);
			if (op->conn != NULL && op->conn != named)
				dict_error(c, mnode, p, "method names "
				    "connection \"%s\" but connection is "
				    "\"%s\": expected one of them",
				    mnode->str, op->connection);
			op->conn = named;
			op->transport = named->proto == PROV_PROTO_SSH ?
			    PROV_TRANSPORT_SSH : PROV_TRANSPORT_HTTP;
		} else {
			hint = dict_suggest(mnode->str, names, nnames);
			if (hint == NULL) {
				static const char *const verbs[] = { "GET",
				    "POST", "PUT", "PATCH", "DELETE", "ssh",
				    NULL };
				hint = str_suggest(mnode->str, verbs);
			}
			dict_error(c, mnode, p, "expected an HTTP method (GET, "
			    "POST, PUT, PATCH, DELETE), ssh or a connection "
			    "name, found \"%s\"%s%s%s", mnode->str,
			    hint ? "; did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?" : "");
			goto out;
		}
	} else if (op->conn != NULL)
		op->transport = op->conn->proto == PROV_PROTO_SSH ?
		    PROV_TRANSPORT_SSH : PROV_TRANSPORT_HTTP;
	else if (ynode_get(n, "commands") != NULL)
		op->transport = PROV_TRANSPORT_SSH;
	else if (ynode_get(n, "url") != NULL)
		op->transport = PROV_TRANSPORT_HTTP;
	else {
		dict_error(c, n, path, "missing what to send: expected \"url\" "
		    "(HTTP) or \"commands\" (ssh)");
		goto out;
	}

	if (op->transport == PROV_TRANSPORT_SSH) {
		if (op->conn == NULL && op->connection == NULL &&
		    (op->conn = dict_first_conn(c->dict, 1)) == NULL &&
		    !dict_unresolved_conns(c->dict))
			dict_error(c, mnode ? mnode : n, path, "an ssh "
			    "operation needs a connection of type ssh; none is "
			    "defined in connections");
		else if (op->conn != NULL && op->conn->proto != 0 &&
		    op->conn->proto != PROV_PROTO_SSH)
			dict_error(c, cnode ? cnode : mnode, path, "method ssh "
			    "needs an ssh connection, found \"%s\" of type %s",
			    op->conn->name, op->conn->type);
	} else {
		if (op->conn != NULL && op->conn->proto == PROV_PROTO_SSH)
			dict_error(c, cnode ? cnode : mnode, path, "an HTTP "
			    "operation needs an http or https connection, "
			    "found \"%s\" of type ssh", op->conn->name);
		if (op->http_method == NULL)
			op->http_method = xstrdup(ynode_get(n, "body") ?
			    "POST" : "GET");
	}
out:
	free(names);
}

/*
 * then: an operation name or a list of them, run in order after this one
 * succeeds (OPNsense's apply after a change).  Names are checked once the
 * whole service is read (dict_then_check).
 */
static void
dict_then(struct dctx *c, const struct ynode *n, const char *path,
    struct prov_op *op)
{
	size_t i, cnt = n->type == YNODE_SEQ ? n->n : 1;

	if (n->type != YNODE_SCALAR && n->type != YNODE_SEQ) {
		dict_error(c, n, path, "expected an operation name or a list "
		    "of them");
		return;
	}
	op->then = xcalloc(cnt, sizeof(*op->then));
	for (i = 0; i < cnt; i++) {
		const struct ynode *v = n->type == YNODE_SEQ ? n->items[i] : n;

		if (dict_want(c, v, path, YNODE_SCALAR) == -1)
			continue;
		op->then[op->nthen++] = xstrdup(v->str);
	}
}

/* Every `then` names another operation of the service, one without its
 * own `then` (one level: no chains, no loops). */
static void
dict_then_check(struct dctx *c, const struct ynode *sv, const char *sp,
    struct prov_service *svc)
{
	const struct prov_op *op, *f;
	const struct ynode *n;
	char p[PROV_PATH_MAX], q[PROV_PATH_MAX];
	size_t i, j, k;

	for (i = 0; i < svc->nops; i++) {
		op = &svc->ops[i];
		if (op->nthen == 0)
			continue;
		dict_path(q, sizeof(q), sp, op->name);
		dict_path(p, sizeof(p), q, "then");
		n = ynode_get(ynode_get(sv, op->name), "then");
		for (j = 0; j < op->nthen; j++) {
			const struct ynode *at = n != NULL &&
			    n->type == YNODE_SEQ && j < n->n ? n->items[j] : n;

			f = NULL;
			for (k = 0; k < svc->nops; k++)
				if (strcmp(svc->ops[k].name, op->then[j]) == 0)
					f = &svc->ops[k];
			if (f == NULL)
				dict_error(c, at, p, "no operation \"%s\" in "
				    "service %s", op->then[j], svc->name);
			else if (f == op)
				dict_error(c, at, p, "operation %s cannot "
				    "follow itself", op->name);
			else if (f->nthen > 0)
				dict_error(c, at, p, "operation %s has a `then` "
				    "of its own; only one level is allowed",
				    f->name);
		}
	}
}

static void
dict_op(struct dctx *c, const struct ynode *n, const char *name,
    const char *path, struct prov_service *svc, struct prov_op *op)
{
	static const char *const keys[] = { "description", "get_data",
	    "method", "connection", "url", "headers", "body", "commands",
	    "response", "callback", "then", NULL };
	struct scope s = { .svc = svc, .op = op };
	const struct ynode *v, *cb;
	char p[PROV_PATH_MAX];

	op->name = xstrdup(name);
	op->svc = svc;
	op->line = n->line;
	op->column = n->column;
	s.path = path;
	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return;
	dict_check_keys(c, n, path, keys);
	if ((v = ynode_get(n, "description")) != NULL && !ynode_is_null(v)) {
		dict_path(p, sizeof(p), path, "description");
		dict_want(c, v, p, YNODE_SCALAR);
	}
	if ((v = ynode_get(n, "get_data")) != NULL) {
		dict_path(p, sizeof(p), path, "get_data");
		dict_get_data(c, v, p, svc, op);
	}
	dict_transport(c, n, path, op);
	if ((v = ynode_get(n, "response")) != NULL) {
		dict_path(p, sizeof(p), path, "response");
		dict_response(c, v, p, svc, op);
	}

	if (op->transport == PROV_TRANSPORT_SSH) {
		if ((v = ynode_get(n, "url")) != NULL)
			dict_error(c, v, path, "url is for HTTP operations; "
			    "this one runs commands over ssh");
		if ((v = ynode_get(n, "body")) != NULL)
			dict_error(c, v, path, "body is for HTTP operations; "
			    "this one runs commands over ssh");
		if ((v = ynode_get(n, "commands")) == NULL)
			dict_error(c, n, path, "missing required key "
			    "\"commands\" for an ssh operation");
	} else if (op->transport == PROV_TRANSPORT_HTTP) {
		if ((v = ynode_get(n, "commands")) != NULL)
			dict_error(c, v, path, "commands are sent over ssh; "
			    "this operation is HTTP (method %s)",
			    op->http_method ? op->http_method : "?");
		if ((v = ynode_get(n, "url")) == NULL)
			dict_error(c, n, path, "missing required key \"url\" "
			    "for an HTTP operation");
	}
	if ((v = ynode_get(n, "url")) != NULL) {
		dict_path(p, sizeof(p), path, "url");
		if (dict_text(c, v, p, 0, &s, &op->url) == 0 &&
		    op->conn == NULL && op->connection == NULL &&
		    op->url.src != NULL &&
		    strncmp(op->url.src, "http://", 7) != 0 &&
		    strncmp(op->url.src, "https://", 8) != 0 &&
		    op->transport == PROV_TRANSPORT_HTTP)
			dict_error(c, v, p, "expected an absolute url "
			    "(http:// or https://) or a connection for a "
			    "relative one, found \"%s\"", op->url.src);
	}
	if ((v = ynode_get(n, "headers")) != NULL) {
		dict_path(p, sizeof(p), path, "headers");
		dict_headers(c, v, p, &s, &op->headers, &op->nheaders);
	}
	if ((v = ynode_get(n, "body")) != NULL && !ynode_is_null(v)) {
		dict_path(p, sizeof(p), path, "body");
		if (v->type == YNODE_SCALAR) {
			op->body_ctx = dict_body_ctx(op, v->str);
			dict_text(c, v, p, 0, &s, &op->body);
		} else {
			op->body_json = 1;
			op->body_ctx = TPL_CTX_JSON;
			dict_json_body(c, v, p, &s, &op->body);
		}
		if (op->body.src != NULL && op->body.tpl == NULL &&
		    op->body_ctx == TPL_CTX_JSON) {
			json_error_t jerr;
			json_t *j = json_loads(op->body.src, JSON_DECODE_ANY,
			    &jerr);
			int l, col;

			if (j == NULL) {
				dict_scalar_pos(c, v, jerr.line, jerr.column,
				    &l, &col);
				dict_error_at(c, l, col, p, "expected a JSON "
				    "body, found invalid JSON: %s", jerr.text);
			}
			json_decref(j);
		}
	}
	if ((v = ynode_get(n, "commands")) != NULL &&
	    op->transport != PROV_TRANSPORT_HTTP) {
		dict_path(p, sizeof(p), path, "commands");
		dict_commands(c, v, p, &s, op);
	}
	if ((cb = ynode_get(n, "callback")) != NULL) {
		dict_path(p, sizeof(p), path, "callback");
		dict_callback(c, cb, NULL, p, svc, op);
	}
	if ((v = ynode_get(n, "then")) != NULL && !ynode_is_null(v)) {
		dict_path(p, sizeof(p), path, "then");
		dict_then(c, v, p, op);
	}
}

void
prov_op_clear(struct prov_op *op)
{
	struct prov_response *r = &op->response;
	struct prov_callback *cb = op->callback;
	size_t i;

	free(op->name);
	for (i = 0; i < op->nget_data; i++)
		free(op->get_data[i]);
	free(op->get_data);
	for (i = 0; i < op->nthen; i++)
		free(op->then[i]);
	free(op->then);
	free(op->method);
	free(op->http_method);
	free(op->connection);
	prov_text_free(&op->url);
	prov_headers_free(op->headers, op->nheaders);
	prov_text_free(&op->body);
	for (i = 0; i < op->ncommands; i++)
		free(op->commands[i]);
	free(op->commands);
	tpl_free(op->commands_tpl);
	for (i = 0; i < r->ntransform; i++) {
		free(r->transform[i].name);
		free(r->transform[i].expr);
		prov_text_free(&r->transform[i].value);
		jp_free(r->transform[i].jp);
		prov_regex_free(r->transform[i].re);
	}
	free(r->transform);
	free(r->success_pattern);
	prov_regex_free(r->success_re);
	for (i = 0; i < r->nerror_patterns; i++) {
		free(r->error_patterns[i]);
		prov_regex_free(r->error_re[i]);
	}
	free(r->error_patterns);
	free(r->error_re);
	free(r->expected_status);
	if (cb != NULL) {
		free(cb->action);
		json_decref(cb->parameters);
		free(cb->method);
		prov_text_free(&cb->url);
		prov_headers_free(cb->headers, cb->nheaders);
		prov_text_free(&cb->body);
		free(cb);
	}
	memset(op, 0, sizeof(*op));
}

void
dict_services(struct dctx *c, const struct ynode *n)
{
	struct prov_dict *dict = c->dict;
	struct prov_service *svc;
	const struct ynode *sv, *data, *k;
	char sp[PROV_PATH_MAX], p[PROV_PATH_MAX];
	size_t i, j;

	if (dict_want(c, n, "services", YNODE_MAP) == -1)
		return;
	if (n->n == 0)
		dict_error(c, n, "services", "expected at least one service, "
		    "found none");
	dict->services = xcalloc(n->n ? n->n : 1, sizeof(*dict->services));
	for (i = 0; i < n->n; i++) {
		sv = n->pairs[i].value;
		svc = &dict->services[dict->nservices++];
		svc->name = xstrdup(n->pairs[i].key->str);
		svc->line = sv->line;
		svc->column = sv->column;
		dict_path(sp, sizeof(sp), "services", svc->name);
		if (dict_want(c, sv, sp, YNODE_MAP) == -1)
			continue;
		if ((data = ynode_get(sv, "data")) != NULL &&
		    !ynode_is_null(data)) {
			dict_path(p, sizeof(p), sp, "data");
			if (dict_want(c, data, p, YNODE_MAP) == 0)
				svc->schema = schema_load(data, p, c->d);
		}
		svc->ops = xcalloc(sv->n ? sv->n : 1, sizeof(*svc->ops));
		for (j = 0; j < sv->n; j++) {
			k = sv->pairs[j].key;
			if (strcmp(k->str, "data") == 0)
				continue;
			if (strcmp(k->str, "description") == 0) {
				dict_path(p, sizeof(p), sp, "description");
				dict_want(c, sv->pairs[j].value, p,
				    YNODE_SCALAR);
				continue;
			}
			dict_path(p, sizeof(p), sp, k->str);
			dict_op(c, sv->pairs[j].value, k->str, p, svc,
			    &svc->ops[svc->nops++]);
		}
		if (svc->nops == 0)
			dict_warn(c, n->pairs[i].key, sp, "service \"%s\" has "
			    "no operations", svc->name);
		dict_then_check(c, sv, sp, svc);
	}
	dict_index_services(dict);
}
