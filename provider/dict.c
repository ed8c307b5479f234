/*
 * Provider dictionaries: loading and validation of everything but the
 * services (dict-ops.c), and the helpers both share.
 *
 * The loader walks the ydoc tree once, building the structures and adding
 * every problem it meets to the diagnostics; it never stops at the first.
 * A value that is wrong is reported and left out, so later checks still
 * run on the rest.  References (a connection named by an operation, the
 * service and operation named by an initial action) are resolved after
 * their targets are all known.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/diag.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/dict-int.h"
#include "provider/dict.h"
#include "provider/jsonpath.h"
#include "provider/schema.h"
#include "provider/template.h"
#include "provider/ydoc.h"

/* Diagnostics. */

static void	dict_vadd(struct dctx *, enum diag_severity, int, int,
		    const char *, const char *, va_list)
		    __attribute__((format(printf, 6, 0)));

static void
dict_vadd(struct dctx *c, enum diag_severity sev, int line, int column,
    const char *path, const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	diag_add(c->d, sev, line, column, path, "%s",
	    msg != NULL ? msg : "(out of memory)");
	free(msg);
}

void
dict_error(struct dctx *c, const struct ynode *n, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dict_vadd(c, DIAG_ERROR, n ? n->line : 0, n ? n->column : 0, path, fmt,
	    ap);
	va_end(ap);
}

void
dict_warn(struct dctx *c, const struct ynode *n, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dict_vadd(c, DIAG_WARNING, n ? n->line : 0, n ? n->column : 0, path,
	    fmt, ap);
	va_end(ap);
}

void
dict_error_at(struct dctx *c, int line, int column, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dict_vadd(c, DIAG_ERROR, line, column, path, fmt, ap);
	va_end(ap);
}

/* Key paths: a.b, a.b[2].  Truncated (ending "...") rather than overflowing. */
static void
dict_path_trunc(char *buf, size_t size)
{
	if (size >= 4)
		memcpy(buf + size - 4, "...", 4);
}

void
dict_path(char *buf, size_t size, const char *parent, const char *key)
{
	int r;

	if (parent == NULL || *parent == '\0')
		r = snprintf(buf, size, "%s", key);
	else
		r = snprintf(buf, size, "%s.%s", parent, key);
	if (r < 0 || (size_t)r >= size)
		dict_path_trunc(buf, size);
}

void
dict_path_index(char *buf, size_t size, const char *parent, size_t i)
{
	int r;

	r = snprintf(buf, size, "%s[%zu]", parent, i);
	if (r < 0 || (size_t)r >= size)
		dict_path_trunc(buf, size);
}

/* Unknown keys are warnings: the dictionary still loads without them. */
void
dict_check_keys(struct dctx *c, const struct ynode *map, const char *path,
    const char *const *allowed)
{
	ydoc_check_keys(c->d, DIAG_WARNING, map, path, allowed);
}

static const char *
dict_kind(const struct ynode *n)
{
	if (n->type == YNODE_SCALAR && ynode_is_null(n))
		return "nothing";
	switch (n->type) {
	case YNODE_MAP:
		return "a map";
	case YNODE_SEQ:
		return "a sequence";
	default:
		return "a scalar";
	}
}

int
dict_want(struct dctx *c, const struct ynode *n, const char *path,
    enum ynode_type type)
{
	if (n->type == type && !(type == YNODE_SCALAR && ynode_is_null(n)))
		return 0;
	dict_error(c, n, path, "expected %s, found %s",
	    type == YNODE_MAP ? "a map" : type == YNODE_SEQ ? "a sequence" :
	    "a string", dict_kind(n));
	return -1;
}

/* A non-empty scalar, allocated; NULL (with an error) otherwise. */
char *
dict_string(struct dctx *c, const struct ynode *n, const char *path)
{
	if (dict_want(c, n, path, YNODE_SCALAR) == -1)
		return NULL;
	if (n->len == 0) {
		dict_error(c, n, path, "expected a non-empty string, found "
		    "\"\"");
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		dict_error(c, n, path, "expected a string, found one with a "
		    "NUL byte");
		return NULL;
	}
	return xstrdup(n->str);
}

int
dict_int(struct dctx *c, const struct ynode *n, const char *path,
    long long min, long long max, int *out)
{
	long long v;

	if (ynode_int(n, min, max, &v) == 0) {
		*out = (int)v;
		return 0;
	}
	if (n->type == YNODE_SCALAR)
		dict_error(c, n, path, "expected an integer from %lld to %lld, "
		    "found \"%s\"", min, max, n->str);
	else
		dict_error(c, n, path, "expected an integer from %lld to %lld, "
		    "found %s", min, max, dict_kind(n));
	return -1;
}

int
dict_bool(struct dctx *c, const struct ynode *n, const char *path, int *out)
{
	if (ynode_bool(n, out) == 0)
		return 0;
	if (n->type == YNODE_SCALAR)
		dict_error(c, n, path, "expected true or false, found \"%s\"",
		    n->str);
	else
		dict_error(c, n, path, "expected true or false, found %s",
		    dict_kind(n));
	return -1;
}

/* HTTP verbs, upper case; NULL if s is not one (any case accepted). */
const char *
dict_http_verb(const char *s)
{
	static const char *const verbs[] = { "GET", "POST", "PUT", "PATCH",
	    "DELETE", "HEAD", "OPTIONS", NULL };
	size_t i;

	for (i = 0; verbs[i] != NULL; i++)
		if (strcasecmp(s, verbs[i]) == 0)
			return verbs[i];
	return NULL;
}

/* Positions: from a place in a scalar's text to a place in the file. */

static const char *
dict_src_at(struct dctx *c, int line, int column)
{
	size_t off;

	if (c->buf == NULL || line < 1 || (size_t)line > c->nlines ||
	    column < 1)
		return NULL;
	off = c->lines[line - 1] + (size_t)column - 1;
	return off < c->len ? c->buf + off : NULL;
}

static int
dict_line_indent(struct dctx *c, int line)
{
	const char *p = dict_src_at(c, line, 1), *end = c->buf + c->len;
	int ind = 0;

	while (p != NULL && p < end && *p == ' ') {
		p++;
		ind++;
	}
	return ind;
}

/* A blank or missing line (for finding a block scalar's indentation). */
static int
dict_line_blank(struct dctx *c, int line)
{
	const char *p = dict_src_at(c, line, 1), *end = c->buf + c->len;

	if (p == NULL)
		return 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end || *p == '\n' || *p == '\r';
}

/*
 * The file position of line tline, column tcol of scalar n's value.
 * Exact for plain, quoted (without escapes before the place) and literal
 * block scalars; approximate for folded ones.
 */
void
dict_scalar_pos(struct dctx *c, const struct ynode *n, int tline, int tcol,
    int *line, int *column)
{
	const char *p = dict_src_at(c, n->line, n->column);
	int first, quoted;

	if (tline < 1)
		tline = 1;
	if (tcol < 1)
		tcol = 1;
	*line = n->line;
	*column = n->column;
	if (p != NULL && (*p == '|' || *p == '>')) {
		first = n->line + 1;
		while ((size_t)first <= c->nlines && dict_line_blank(c, first))
			first++;
		*line = n->line + tline;
		*column = dict_line_indent(c, first) + tcol;
		return;
	}
	quoted = p != NULL && (*p == '"' || *p == '\'');
	*line = n->line + tline - 1;
	if (tline == 1)
		*column = n->column + quoted + tcol - 1;
	else
		*column = dict_line_indent(c, *line) + tcol;
}

static void
dict_tmap_pos(struct dctx *c, const struct tmap *m, int tline, int tcol,
    int *line, int *column)
{
	const struct ynode *n = m->n;

	if (m->items != NULL && m->nitems > 0) {
		if (tline >= 1 && (size_t)tline <= m->nitems)
			n = m->items[tline - 1];
		else
			n = m->items[m->nitems - 1];
		tline = 1;
	}
	dict_scalar_pos(c, n, tline, tcol, line, column);
}

/* Template variables: what each may read where it appears. */

struct varcheck {
	struct dctx	*c;
	const struct tmap *map;
	const struct scope *s;
};

/* Collected in any order; sorted and made unique once, at the end. */
static void
dict_cs_add(struct dctx *c, const char *key)
{
	if (c->ncs == c->cscap) {
		c->cscap = c->cscap ? c->cscap * 2 : 16;
		c->cs = xreallocarray(c->cs, c->cscap, sizeof(*c->cs));
	}
	c->cs[c->ncs++] = xstrdup(key);
}

static int
dict_in_list(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void
dict_var_get_data(struct varcheck *v, const char *field, int index, int line,
    int column)
{
	const struct scope *s = v->s;
	const char *const *names;
	const char *hint;

	if (s->op == NULL) {
		dict_error_at(v->c, line, column, s->path, "get_data is the "
		    "input of a service operation; it cannot be read here "
		    "(use get_cs_data)");
		return;
	}
	if (index >= 0)
		s->op->uses_index = 1;
	if (field == NULL)
		return;
	if (s->svc != NULL && s->svc->schema != NULL &&
	    !schema_has_field(s->svc->schema, field)) {
		names = schema_field_names(s->svc->schema);
		hint = dict_suggest(field, names, (size_t)-1);
		dict_error_at(v->c, line, column, s->path, "get_data.%s: no "
		    "such field in services.%s.data%s%s%s", field,
		    s->svc->name, hint ? "; did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?" : "");
		return;
	}
	if (s->op->nget_data > 0 &&
	    !dict_in_list(s->op->get_data, s->op->nget_data, field))
		diag_add(v->c->d, DIAG_WARNING, line, column, s->path,
		    "get_data.%s is read but not listed in the operation's "
		    "get_data; CloudStack may not send it", field);
}

static void
dict_var_cb(const char *root, const char *field, int index, int line,
    int column, void *arg)
{
	struct varcheck *v = arg;
	static const char *const roots[] = { "get_data", "get_cs_data", NULL };
	const struct prov_op *op = v->s->op;
	const char *hint;
	size_t i;
	int fl, fc;

	dict_tmap_pos(v->c, v->map, line, column, &fl, &fc);
	if (strcmp(root, "get_data") == 0) {
		dict_var_get_data(v, field, index, fl, fc);
		return;
	}
	if (strcmp(root, "get_cs_data") == 0) {
		if (field == NULL)
			dict_error_at(v->c, fl, fc, v->s->path, "get_cs_data "
			    "needs a key: get_cs_data.KEY");
		else
			dict_cs_add(v->c, field);
		return;
	}
	if (v->s->callback && op != NULL && strcmp(root, "response") == 0) {
		if (field == NULL)
			return;
		for (i = 0; i < op->response.ntransform; i++)
			if (strcmp(op->response.transform[i].name, field) == 0)
				return;
		dict_error_at(v->c, fl, fc, v->s->path, "response.%s: no such "
		    "transform in the operation's response", field);
		return;
	}
	hint = str_suggest(root, roots);
	if (hint != NULL) {
		dict_error_at(v->c, fl, fc, v->s->path, "unknown variable "
		    "\"%s\"; did you mean \"%s\"?", root, hint);
		return;
	}
	/* A bare name ({{mgmt_ip}}) is a key of the CloudStack data. */
	dict_cs_add(v->c, root);
}

/*
 * Compile src (the text of the scalar(s) in m) and check the variables it
 * reads.  Returns the template, or NULL with errors at the tag's place.
 */
struct tpl *
dict_tpl(struct dctx *c, const char *src, const struct tmap *m,
    const char *path, const struct scope *s)
{
	struct tpl_error err;
	struct varcheck v;
	struct scope local;
	struct tpl *t = NULL;
	int line, column;

	memset(&err, 0, sizeof(err));
	if (tpl_compile(src, strlen(src), &t, &err) != 0) {
		dict_tmap_pos(c, m, err.line, err.column, &line, &column);
		dict_error_at(c, line, column, path, "template syntax: %s",
		    err.msg[0] != '\0' ? err.msg : "invalid");
		return NULL;
	}
	local = *s;
	local.path = path;
	v.c = c;
	v.map = m;
	v.s = &local;
	tpl_vars(t, dict_var_cb, &v);
	return t;
}

/*
 * A string that may be a template.  Absent (n NULL) leaves t empty; with
 * nullok a null value does too.  Returns 0, or -1 after an error.
 */
int
dict_text(struct dctx *c, const struct ynode *n, const char *path, int nullok,
    const struct scope *s, struct prov_text *t)
{
	struct tmap m = { .n = n };

	memset(t, 0, sizeof(*t));
	if (n == NULL || (nullok && ynode_is_null(n)))
		return 0;
	if (n->type != YNODE_SCALAR) {
		dict_want(c, n, path, YNODE_SCALAR);
		return -1;
	}
	if (strlen(n->str) != n->len) {
		dict_error(c, n, path, "expected a string, found one with a "
		    "NUL byte");
		return -1;
	}
	t->line = n->line;
	t->column = n->column;
	if (tpl_has_tags(n->str)) {
		t->tpl = dict_tpl(c, n->str, &m, path, s);
		if (t->tpl == NULL)
			return -1;
	}
	t->src = xstrdup(n->str);
	return 0;
}

void
prov_text_free(struct prov_text *t)
{
	tpl_free(t->tpl);
	free(t->src);
	memset(t, 0, sizeof(*t));
}

/* A PCRE2 pattern; NULL (with an error at the offending place) if invalid. */
void *
dict_regex(struct dctx *c, const struct ynode *n, const char *path,
    const char *pattern)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	int code, line, column;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF, &code, &off, NULL);
	if (re != NULL)
		return re;
	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", code);
	dict_scalar_pos(c, n, 1, (int)off + 1, &line, &column);
	dict_error_at(c, line, column, path, "invalid regular expression "
	    "\"%s\": %s at offset %zu", pattern, (char *)msg, (size_t)off);
	return NULL;
}

void
prov_regex_free(void *re)
{
	pcre2_code_free(re);
}

/* A header name is an HTTP token. */
static int
dict_header_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	return 1;
}

int
dict_headers(struct dctx *c, const struct ynode *n, const char *path,
    const struct scope *s, struct prov_header **out, size_t *nout)
{
	struct prov_header *h;
	const struct ynode *k;
	char p[PROV_PATH_MAX];
	size_t i;

	*out = NULL;
	*nout = 0;
	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return -1;
	*out = xcalloc(n->n ? n->n : 1, sizeof(**out));
	for (i = 0; i < n->n; i++) {
		k = n->pairs[i].key;
		dict_path(p, sizeof(p), path, k->str);
		if (!dict_header_name_ok(k->str)) {
			dict_error(c, k, path, "invalid header name \"%s\": "
			    "expected letters, digits and -", k->str);
			continue;
		}
		h = &(*out)[*nout];
		if (dict_want(c, n->pairs[i].value, p, YNODE_SCALAR) == -1 ||
		    dict_text(c, n->pairs[i].value, p, 0, s, &h->value) == -1)
			continue;
		h->name = xstrdup(k->str);
		(*nout)++;
	}
	return 0;
}

void
prov_headers_free(struct prov_header *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		prov_text_free(&h[i].value);
	}
	free(h);
}

/* expected_status: an integer or a list of them, 100 to 599. */
int
dict_status_list(struct dctx *c, const struct ynode *n, const char *path,
    int **out, size_t *nout)
{
	char p[PROV_PATH_MAX];
	size_t i;
	int v;

	*out = NULL;
	*nout = 0;
	if (n->type == YNODE_SCALAR) {
		if (dict_int(c, n, path, 100, 599, &v) == -1)
			return -1;
		*out = xmalloc(sizeof(**out));
		(*out)[(*nout)++] = v;
		return 0;
	}
	if (n->type != YNODE_SEQ || n->n == 0) {
		dict_error(c, n, path, "expected an HTTP status or a non-empty "
		    "list of them, found %s", dict_kind(n));
		return -1;
	}
	*out = xcalloc(n->n, sizeof(**out));
	for (i = 0; i < n->n; i++) {
		dict_path_index(p, sizeof(p), path, i);
		if (dict_int(c, n->items[i], p, 100, 599, &v) == 0)
			(*out)[(*nout)++] = v;
	}
	return 0;
}

/* Does a plain scalar spell a JSON number? */
static int
dict_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (isdigit((unsigned char)*s))
		while (isdigit((unsigned char)*s))
			s++;
	else
		return 0;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/*
 * A YAML value as JSON: plain scalars take their YAML 1.2 core type,
 * quoted ones are strings.  With s set, strings are templates: each is
 * compiled and its variables checked.
 */
json_t *
dict_value(struct dctx *c, const struct ynode *n, const char *path,
    const struct scope *s)
{
	struct tmap m = { .n = n };
	char p[PROV_PATH_MAX];
	struct tpl *t;
	json_t *v, *item;
	size_t i;
	int b;

	switch (n->type) {
	case YNODE_MAP:
		v = json_object();
		for (i = 0; i < n->n; i++) {
			dict_path(p, sizeof(p), path, n->pairs[i].key->str);
			item = dict_value(c, n->pairs[i].value, p, s);
			if (item != NULL)
				json_object_set_new(v, n->pairs[i].key->str,
				    item);
		}
		return v;
	case YNODE_SEQ:
		v = json_array();
		for (i = 0; i < n->n; i++) {
			dict_path_index(p, sizeof(p), path, i);
			item = dict_value(c, n->items[i], p, s);
			if (item != NULL)
				json_array_append_new(v, item);
		}
		return v;
	case YNODE_SCALAR:
		break;
	}
	if (n->plain) {
		if (ynode_is_null(n))
			return json_null();
		if (ynode_bool(n, &b) == 0)
			return json_boolean(b);
		if (dict_json_number(n->str)) {
			if (strpbrk(n->str, ".eE") == NULL)
				return json_integer(strtoll(n->str, NULL, 10));
			return json_real(strtod(n->str, NULL));
		}
	}
	if (s != NULL && tpl_has_tags(n->str)) {
		t = dict_tpl(c, n->str, &m, path, s);
		if (t == NULL)
			return NULL;
		tpl_free(t);
	}
	return json_stringn(n->str, n->len);
}

/* general_info: version, vendor, author, debug; anything else is kept. */
static void
dict_general_info(struct dctx *c, const struct ynode *n)
{
	struct prov_dict *dict = c->dict;
	const struct ynode *v;
	const char *path = "general_info";
	char p[PROV_PATH_MAX];

	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return;
	dict->general_info = dict_value(c, n, path, NULL);
	if ((v = ynode_get(n, "version")) != NULL) {
		dict_path(p, sizeof(p), path, "version");
		dict->version = dict_string(c, v, p);
	}
	if ((v = ynode_get(n, "vendor")) != NULL) {
		dict_path(p, sizeof(p), path, "vendor");
		dict->vendor = dict_string(c, v, p);
	}
	if ((v = ynode_get(n, "author")) != NULL) {
		dict_path(p, sizeof(p), path, "author");
		dict->author = dict_string(c, v, p);
	}
	if ((v = ynode_get(n, "debug")) != NULL) {
		dict_path(p, sizeof(p), path, "debug");
		dict_bool(c, v, p, &dict->debug);
	}
}

/* Connections. */

#define CONN_HOST	0x01
#define CONN_PORT	0x02
#define CONN_USER	0x04
#define CONN_PASS	0x08
#define CONN_TIMEOUT	0x10
#define CONN_VERIFY	0x20
#define CONN_AUTH	0x40
#define CONN_HEADERS	0x80
#define CONN_KEY	0x100
#define CONN_PASSPHRASE	0x200
#define CONN_PIN	0x400

static const char *const conn_auth_kinds[] = { "none", "basic", "bearer",
    "api_key", "form", "login", NULL };

/* A string key of an auth map, or NULL. */
static char *
dict_auth_str(struct dctx *c, const struct ynode *n, const char *path,
    const char *key)
{
	const struct ynode *v;
	char p[PROV_PATH_MAX];

	if ((v = ynode_get(n, key)) == NULL)
		return NULL;
	dict_path(p, sizeof(p), path, key);
	return dict_string(c, v, p);
}

/* Keys that belong to one auth kind only: an error on the others. */
static void
dict_auth_only(struct dctx *c, const struct ynode *n, const char *path,
    const char *kind, const char *const *keys, const char *owner)
{
	const struct ynode *v;
	char p[PROV_PATH_MAX];

	for (; *keys != NULL; keys++)
		if ((v = ynode_get(n, *keys)) != NULL) {
			dict_path(p, sizeof(p), path, *keys);
			dict_error(c, v, p, "\"%s\" belongs to auth type %s, "
			    "not %s", *keys, owner, kind);
		}
}

/*
 * The login request of auth type login: login_url (required),
 * login_method, login_body (a map is sent as JSON, a string as a form),
 * token_path (a JSONPath into the response, required), and where the
 * token goes: token_header (+ token_prefix) or token_cookie.
 */
static void
dict_auth_login(struct dctx *c, const struct ynode *n, const char *path,
    const struct scope *s, struct prov_auth *a)
{
	const struct ynode *v;
	char p[PROV_PATH_MAX], *cause = NULL;
	const char *verb;

	if ((v = ynode_get(n, "login_url")) != NULL) {
		dict_path(p, sizeof(p), path, "login_url");
		dict_text(c, v, p, 0, s, &a->login_url);
	} else
		dict_error(c, n, path, "missing required key \"login_url\" "
		    "for auth type login");
	if ((v = ynode_get(n, "login_method")) != NULL) {
		dict_path(p, sizeof(p), path, "login_method");
		if (dict_want(c, v, p, YNODE_SCALAR) == 0) {
			if ((verb = dict_http_verb(v->str)) == NULL)
				dict_error(c, v, p, "expected an HTTP method "
				    "(GET, POST, PUT, PATCH, DELETE), found "
				    "\"%s\"", v->str);
			else
				a->login_method = xstrdup(verb);
		}
	}
	if (a->login_method == NULL)
		a->login_method = xstrdup("POST");
	if ((v = ynode_get(n, "login_body")) != NULL && !ynode_is_null(v)) {
		dict_path(p, sizeof(p), path, "login_body");
		if (v->type == YNODE_SCALAR) {
			const char *q = v->str;

			while (isspace((unsigned char)*q))
				q++;
			a->login_body_ctx = *q == '{' || *q == '[' ?
			    TPL_CTX_JSON : TPL_CTX_FORM;
			dict_text(c, v, p, 0, s, &a->login_body);
		} else {
			a->login_body_ctx = TPL_CTX_JSON;
			dict_json_body(c, v, p, s, &a->login_body);
		}
	}
	a->username_field = dict_auth_str(c, n, path, "username_field");
	a->password_field = dict_auth_str(c, n, path, "password_field");
	if (a->username_field == NULL)
		a->username_field = xstrdup("username");
	if (a->password_field == NULL)
		a->password_field = xstrdup("password");
	if ((v = ynode_get(n, "token_path")) != NULL) {
		dict_path(p, sizeof(p), path, "token_path");
		if (dict_want(c, v, p, YNODE_SCALAR) == 0) {
			if (jp_compile(v->str, &a->token_jp, &cause) != 0) {
				dict_error(c, v, p, "invalid JSONPath \"%s\": "
				    "%s", v->str, cause ? cause :
				    "invalid expression");
				free(cause);
			} else if (!jp_is_singular(a->token_jp))
				dict_error(c, v, p, "the token JSONPath \"%s\" "
				    "must be singular (one value: $.a.b, "
				    "$.list[0].c)", v->str);
			else
				a->token_path = xstrdup(v->str);
		}
	} else
		dict_error(c, n, path, "missing required key \"token_path\" "
		    "for auth type login (a JSONPath such as $.token)");
	if ((v = ynode_get(n, "login_auth")) != NULL) {
		dict_path(p, sizeof(p), path, "login_auth");
		if (dict_want(c, v, p, YNODE_SCALAR) == 0) {
			if (strcmp(v->str, "basic") == 0)
				a->login_basic = 1;
			else if (strcmp(v->str, "none") != 0)
				dict_error(c, v, p, "expected basic or none, "
				    "found \"%s\"", v->str);
		}
	}
	a->token_header = dict_auth_str(c, n, path, "token_header");
	a->token_prefix = dict_auth_str(c, n, path, "token_prefix");
	a->token_cookie = dict_auth_str(c, n, path, "token_cookie");
	if (a->token_cookie != NULL && a->token_header != NULL)
		dict_error(c, n, path, "token_header and token_cookie are "
		    "exclusive: the token is sent one way");
	if (a->token_cookie == NULL && a->token_header == NULL)
		a->token_header = xstrdup("Authorization");
	if (a->token_header != NULL && a->token_prefix == NULL)
		a->token_prefix = xstrdup(strcasecmp(a->token_header,
		    "Authorization") == 0 ? "Bearer " : "");
}

static void
dict_auth(struct dctx *c, const struct ynode *n, const char *path,
    const struct scope *s, struct prov_auth *a)
{
	static const char *const keys[] = { "type", "token", "header",
	    "field", "login_url", "login_method", "login_body",
	    "username_field", "password_field", "token_path", "token_header",
	    "token_prefix", "token_cookie", "login_auth", NULL };
	static const char *const login_keys[] = { "login_url", "login_method",
	    "login_auth",
	    "login_body", "username_field", "password_field", "token_path",
	    "token_header", "token_prefix", "token_cookie", NULL };
	static const char *const header_only[] = { "header", NULL };
	static const char *const field_only[] = { "field", NULL };
	static const char *const token_only[] = { "token", NULL };
	const struct ynode *kind = n, *v;
	char p[PROV_PATH_MAX];
	const char *hint;
	size_t i;

	if (n->type == YNODE_MAP) {
		dict_check_keys(c, n, path, keys);
		kind = ynode_get(n, "type");
		if (kind == NULL) {
			dict_error(c, n, path, "missing required key \"type\" "
			    "(none, basic, bearer, api_key, form or login)");
			return;
		}
	}
	dict_path(p, sizeof(p), path, n->type == YNODE_MAP ? "type" : "");
	if (dict_want(c, kind, n->type == YNODE_MAP ? p : path,
	    YNODE_SCALAR) == -1)
		return;
	for (i = 0; conn_auth_kinds[i] != NULL; i++)
		if (strcmp(kind->str, conn_auth_kinds[i]) == 0)
			break;
	if (conn_auth_kinds[i] == NULL) {
		hint = str_suggest(kind->str, conn_auth_kinds);
		dict_error(c, kind, path, "unknown auth type \"%s\", expected "
		    "none, basic, bearer, api_key, form or login%s%s%s",
		    kind->str, hint ? "; did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?" : "");
		return;
	}
	a->kind = (enum prov_auth_kind)i;
	if (n->type != YNODE_MAP) {
		if (a->kind == PROV_AUTH_BEARER ||
		    a->kind == PROV_AUTH_API_KEY || a->kind == PROV_AUTH_FORM)
			dict_error(c, n, path, "auth type %s needs a token: "
			    "write auth as a map {type, token}", kind->str);
		else if (a->kind == PROV_AUTH_LOGIN)
			dict_error(c, n, path, "auth type login needs "
			    "login_url and token_path: write auth as a map");
		return;
	}
	if ((v = ynode_get(n, "token")) != NULL) {
		dict_path(p, sizeof(p), path, "token");
		dict_text(c, v, p, 0, s, &a->token);
	} else if (a->kind == PROV_AUTH_BEARER ||
	    a->kind == PROV_AUTH_API_KEY || a->kind == PROV_AUTH_FORM)
		dict_error(c, n, path, "missing required key \"token\" for "
		    "auth type %s", kind->str);
	if (a->kind != PROV_AUTH_BEARER && a->kind != PROV_AUTH_API_KEY &&
	    a->kind != PROV_AUTH_FORM)
		dict_auth_only(c, n, path, kind->str, token_only,
		    "bearer, api_key or form");
	if (a->kind == PROV_AUTH_API_KEY) {
		a->header = dict_auth_str(c, n, path, "header");
		if (a->header == NULL)
			a->header = xstrdup("X-API-Key");
	} else
		dict_auth_only(c, n, path, kind->str, header_only, "api_key");
	if (a->kind == PROV_AUTH_FORM) {
		a->field = dict_auth_str(c, n, path, "field");
		if (a->field == NULL)
			a->field = xstrdup("key");
	} else
		dict_auth_only(c, n, path, kind->str, field_only, "form");
	if (a->kind == PROV_AUTH_LOGIN)
		dict_auth_login(c, n, path, s, a);
	else
		dict_auth_only(c, n, path, kind->str, login_keys, "login");
}

static enum prov_proto
dict_proto(const char *s)
{
	if (strcmp(s, "ssh") == 0)
		return PROV_PROTO_SSH;
	if (strcmp(s, "http") == 0)
		return PROV_PROTO_HTTP;
	if (strcmp(s, "https") == 0)
		return PROV_PROTO_HTTPS;
	return 0;
}

/*
 * One connection.  typekey is "type" for connections and "method" for
 * bootstrap's initial_connection (which accepts either spelling).
 */
static void
dict_conn(struct dctx *c, const struct ynode *n, const char *name,
    const char *path, int initial, struct prov_conn *conn)
{
	static const char *const keys[] = { "type", "host", "port",
	    "username", "password", "private_key", "key_passphrase",
	    "pinned_sha256", "timeout", "verify_ssl", "auth", "headers", NULL };
	static const char *const ikeys[] = { "type", "method", "host", "port",
	    "username", "password", "private_key", "key_passphrase",
	    "pinned_sha256", "timeout", "verify_ssl", "auth", "headers", NULL };
	struct scope s = { .path = path };
	const struct ynode *v, *tv;
	char p[PROV_PATH_MAX];
	int x;

	conn->name = xstrdup(name);
	conn->line = n->line;
	conn->column = n->column;
	conn->timeout = PROV_DEFAULT_TIMEOUT;
	conn->verify_ssl = 1;
	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return;
	dict_check_keys(c, n, path, initial ? ikeys : keys);
	tv = ynode_get(n, "type");
	if (initial && tv == NULL)
		tv = ynode_get(n, "method");
	if (tv == NULL)
		dict_error(c, n, path, "missing required key \"%s\" (ssh, "
		    "http, https%s)", initial ? "method" : "type",
		    initial ? "" : " or another connection's name");
	else {
		dict_path(p, sizeof(p), path, initial ? "method" : "type");
		conn->type = dict_string(c, tv, p);
		conn->type_line = tv->line;
		conn->type_column = tv->column;
		if (conn->type != NULL) {
			conn->proto = dict_proto(conn->type);
			if (conn->proto == 0 && initial) {
				dict_error(c, tv, p, "expected ssh, http or "
				    "https, found \"%s\"", conn->type);
				free(conn->type);
				conn->type = NULL;
			}
		}
	}
	if ((v = ynode_get(n, "host")) != NULL) {
		dict_path(p, sizeof(p), path, "host");
		if (dict_text(c, v, p, 0, &s, &conn->host) == 0)
			conn->set |= CONN_HOST;
	}
	if ((v = ynode_get(n, "port")) != NULL) {
		dict_path(p, sizeof(p), path, "port");
		if (dict_int(c, v, p, 1, 65535, &conn->port) == 0)
			conn->set |= CONN_PORT;
	}
	if ((v = ynode_get(n, "username")) != NULL) {
		dict_path(p, sizeof(p), path, "username");
		if (dict_text(c, v, p, 0, &s, &conn->username) == 0)
			conn->set |= CONN_USER;
	}
	if ((v = ynode_get(n, "password")) != NULL) {
		dict_path(p, sizeof(p), path, "password");
		if (dict_text(c, v, p, 0, &s, &conn->password) == 0)
			conn->set |= CONN_PASS;
	}
	if ((v = ynode_get(n, "private_key")) != NULL) {
		dict_path(p, sizeof(p), path, "private_key");
		if (dict_text(c, v, p, 0, &s, &conn->private_key) == 0)
			conn->set |= CONN_KEY;
	}
	if ((v = ynode_get(n, "key_passphrase")) != NULL) {
		dict_path(p, sizeof(p), path, "key_passphrase");
		if (dict_text(c, v, p, 0, &s, &conn->key_passphrase) == 0)
			conn->set |= CONN_PASSPHRASE;
	}
	if ((v = ynode_get(n, "pinned_sha256")) != NULL) {
		dict_path(p, sizeof(p), path, "pinned_sha256");
		if (dict_text(c, v, p, 0, &s, &conn->pinned_sha256) == 0)
			conn->set |= CONN_PIN;
	}
	if ((v = ynode_get(n, "timeout")) != NULL) {
		dict_path(p, sizeof(p), path, "timeout");
		if (dict_int(c, v, p, 1, PROV_MAX_TIMEOUT, &conn->timeout) == 0)
			conn->set |= CONN_TIMEOUT;
	}
	if ((v = ynode_get(n, "verify_ssl")) != NULL) {
		dict_path(p, sizeof(p), path, "verify_ssl");
		if (dict_bool(c, v, p, &x) == 0) {
			conn->verify_ssl = x;
			conn->set |= CONN_VERIFY;
		}
	}
	if ((v = ynode_get(n, "auth")) != NULL) {
		dict_path(p, sizeof(p), path, "auth");
		dict_auth(c, v, p, &s, &conn->auth);
		conn->set |= CONN_AUTH;
	}
	if ((v = ynode_get(n, "headers")) != NULL) {
		dict_path(p, sizeof(p), path, "headers");
		if (dict_headers(c, v, p, &s, &conn->headers,
		    &conn->nheaders) == 0)
			conn->set |= CONN_HEADERS;
	}
}

/* A copy of a dictionary text (the template compiled again). */
static void
dict_text_copy(struct prov_text *to, const struct prov_text *from)
{
	memset(to, 0, sizeof(*to));
	if (from->src == NULL)
		return;
	to->src = xstrdup(from->src);
	to->line = from->line;
	to->column = from->column;
	if (from->tpl != NULL && tpl_compile(to->src, strlen(to->src),
	    &to->tpl, &(struct tpl_error){ 0 }) != 0)
		to->tpl = NULL;
}

static char *
dict_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A deep copy of an auth section. */
static void
dict_auth_copy(struct prov_auth *to, const struct prov_auth *from)
{
	char *cause = NULL;

	memset(to, 0, sizeof(*to));
	to->kind = from->kind;
	dict_text_copy(&to->token, &from->token);
	to->header = dict_strdup(from->header);
	to->field = dict_strdup(from->field);
	dict_text_copy(&to->login_url, &from->login_url);
	to->login_method = dict_strdup(from->login_method);
	dict_text_copy(&to->login_body, &from->login_body);
	to->login_body_ctx = from->login_body_ctx;
	to->username_field = dict_strdup(from->username_field);
	to->password_field = dict_strdup(from->password_field);
	to->token_path = dict_strdup(from->token_path);
	if (to->token_path != NULL && jp_compile(to->token_path,
	    &to->token_jp, &cause) != 0) {
		free(cause);
		to->token_jp = NULL;
	}
	to->token_header = dict_strdup(from->token_header);
	to->token_prefix = dict_strdup(from->token_prefix);
	to->token_cookie = dict_strdup(from->token_cookie);
	to->login_basic = from->login_basic;
}

static void
prov_auth_clear(struct prov_auth *a)
{
	prov_text_free(&a->token);
	free(a->header);
	free(a->field);
	prov_text_free(&a->login_url);
	free(a->login_method);
	prov_text_free(&a->login_body);
	free(a->username_field);
	free(a->password_field);
	free(a->token_path);
	jp_free(a->token_jp);
	free(a->token_header);
	free(a->token_prefix);
	free(a->token_cookie);
	memset(a, 0, sizeof(*a));
}

/* Copy what a connection did not set from the one it extends. */
static void
dict_conn_inherit(struct prov_conn *to, const struct prov_conn *from)
{
	size_t i;

	to->proto = from->proto;
	if (!(to->set & CONN_HOST))
		dict_text_copy(&to->host, &from->host);
	if (!(to->set & CONN_PORT))
		to->port = from->port;
	if (!(to->set & CONN_TIMEOUT))
		to->timeout = from->timeout;
	if (!(to->set & CONN_VERIFY))
		to->verify_ssl = from->verify_ssl;
	if (!(to->set & CONN_USER))
		dict_text_copy(&to->username, &from->username);
	if (!(to->set & CONN_PASS))
		dict_text_copy(&to->password, &from->password);
	if (!(to->set & CONN_KEY))
		dict_text_copy(&to->private_key, &from->private_key);
	if (!(to->set & CONN_PASSPHRASE))
		dict_text_copy(&to->key_passphrase, &from->key_passphrase);
	if (!(to->set & CONN_PIN))
		dict_text_copy(&to->pinned_sha256, &from->pinned_sha256);
	if (!(to->set & CONN_AUTH))
		dict_auth_copy(&to->auth, &from->auth);
	if (!(to->set & CONN_HEADERS) && from->nheaders > 0) {
		to->headers = xcalloc(from->nheaders, sizeof(*to->headers));
		for (i = 0; i < from->nheaders; i++) {
			to->headers[i].name = xstrdup(from->headers[i].name);
			dict_text_copy(&to->headers[i].value,
			    &from->headers[i].value);
		}
		to->nheaders = from->nheaders;
	}
	to->set |= from->set;
}

static void
dict_connections(struct dctx *c, const struct ynode *n)
{
	struct prov_dict *dict = c->dict;
	const struct prov_conn *base;
	const char **names, *hint;
	char p[PROV_PATH_MAX];
	size_t i, j, *chain;
	int *done;

	if (dict_want(c, n, "connections", YNODE_MAP) == -1)
		return;
	dict->conns = xcalloc(n->n ? n->n : 1, sizeof(*dict->conns));
	for (i = 0; i < n->n; i++) {
		dict_path(p, sizeof(p), "connections", n->pairs[i].key->str);
		dict_conn(c, n->pairs[i].value, n->pairs[i].key->str, p, 0,
		    &dict->conns[dict->nconns++]);
	}

	dict_index_conns(dict);

	/*
	 * `type: restconf`: extend another connection.  Follow each chain to
	 * a connection with a protocol, then resolve the chain back from it;
	 * a chain that comes back to itself is a loop.  Each connection is
	 * walked once: linear in the number of connections.
	 */
	names = xcalloc(dict->nconns + 4, sizeof(*names));
	names[0] = "ssh";
	names[1] = "http";
	names[2] = "https";
	for (i = 0; i < dict->nconns; i++)
		names[i + 3] = dict->conns[i].name;
	done = xcalloc(dict->nconns ? dict->nconns : 1, sizeof(*done));
	chain = xcalloc(dict->nconns ? dict->nconns : 1, sizeof(*chain));
	for (i = 0; i < dict->nconns; i++) {
		size_t len = 0, k;

		/* done: 0 unseen, 1 on the current walk, 2 finished. */
		for (j = i; done[j] == 0;) {
			struct prov_conn *conn = &dict->conns[j];

			done[j] = 1;
			chain[len++] = j;
			if (conn->type == NULL || conn->proto != 0)
				break;
			base = prov_conn_find(dict, conn->type);
			if (base == NULL || base == conn)
				break;
			j = (size_t)(base - dict->conns);
		}
		/* Resolve backwards: each from the one it extends. */
		for (k = len; k > 0; k--) {
			struct prov_conn *conn = &dict->conns[chain[k - 1]];

			done[chain[k - 1]] = 2;
			if (conn->type == NULL || conn->proto != 0)
				continue;
			base = prov_conn_find(dict, conn->type);
			if (base != NULL && base != conn && base->proto != 0)
				dict_conn_inherit(conn, base);
		}
	}
	free(chain);
	for (i = 0; i < dict->nconns; i++) {
		struct prov_conn *conn = &dict->conns[i];

		if (conn->type == NULL || conn->proto != 0)
			continue;
		dict_path(p, sizeof(p), "connections", conn->name);
		strncat(p, ".type", sizeof(p) - strlen(p) - 1);
		base = prov_conn_find(dict, conn->type);
		if (base != NULL) {
			dict_error_at(c, conn->type_line, conn->type_column, p,
			    "connection \"%s\" extends \"%s\", which extends "
			    "it back: expected ssh, http, https or a "
			    "connection that resolves to one", conn->name,
			    conn->type);
			continue;
		}
		hint = dict_suggest(conn->type, names, dict->nconns + 3);
		dict_error_at(c, conn->type_line, conn->type_column, p, "unknown "
		    "connection type \"%s\", expected ssh, http, https or the "
		    "name of another connection%s%s%s", conn->type,
		    hint ? "; did you mean \"" : "", hint ? hint : "",
		    hint ? "\"?" : "");
	}
	free(done);
	free(names);
}

void
prov_conn_clear(struct prov_conn *conn)
{
	free(conn->name);
	free(conn->type);
	prov_text_free(&conn->host);
	prov_text_free(&conn->username);
	prov_text_free(&conn->password);
	prov_text_free(&conn->private_key);
	prov_text_free(&conn->key_passphrase);
	prov_text_free(&conn->pinned_sha256);
	prov_auth_clear(&conn->auth);
	prov_headers_free(conn->headers, conn->nheaders);
	memset(conn, 0, sizeof(*conn));
}

/*
 * Lookups by name go through an index of positions sorted by name, so a
 * dictionary with many connections, services or operations loads in
 * n log n, not n squared.
 */
struct dict_ent {
	const char	*name;
	size_t		 i;
};

static int
dict_ent_cmp(const void *a, const void *b)
{
	const struct dict_ent *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * Positions 0..n-1 of an array of structs (stride bytes each, the name
 * their first member), sorted by name.
 */
static size_t *
dict_index_build(const void *base, size_t n, size_t stride)
{
	struct dict_ent *e = xcalloc(n ? n : 1, sizeof(*e));
	size_t *idx = xcalloc(n ? n : 1, sizeof(*idx)), i;

	for (i = 0; i < n; i++) {
		e[i].name = *(const char *const *)(const void *)
		    ((const char *)base + i * stride);
		if (e[i].name == NULL)
			e[i].name = "";
		e[i].i = i;
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), dict_ent_cmp);
	for (i = 0; i < n; i++)
		idx[i] = e[i].i;
	free(e);
	return idx;
}

/* Binary search of an index built by dict_index_build; -1 when absent. */
static long
dict_find(const void *base, const size_t *idx, size_t n, size_t stride,
    const char *name)
{
	size_t lo = 0, hi = n, mid;
	const char *s;
	int r;

	if (idx == NULL) {
		for (mid = 0; mid < n; mid++) {
			s = *(const char *const *)(const void *)
			    ((const char *)base + mid * stride);
			if (s != NULL && strcmp(s, name) == 0)
				return (long)mid;
		}
		return -1;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		s = *(const char *const *)(const void *)((const char *)base +
		    idx[mid] * stride);
		r = strcmp(name, s);
		if (r == 0)
			return (long)idx[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

void
dict_index_conns(struct prov_dict *dict)
{
	free(dict->conn_index);
	dict->conn_index = dict_index_build(dict->conns, dict->nconns,
	    sizeof(*dict->conns));
}

void
dict_index_services(struct prov_dict *dict)
{
	size_t i;

	free(dict->service_index);
	dict->service_index = dict_index_build(dict->services,
	    dict->nservices, sizeof(*dict->services));
	for (i = 0; i < dict->nservices; i++) {
		free(dict->services[i].op_index);
		dict->services[i].op_index = dict_index_build(
		    dict->services[i].ops, dict->services[i].nops,
		    sizeof(*dict->services[i].ops));
	}
}

/*
 * str_suggest over a list that is short enough to be worth it: a long
 * list would make every unknown name cost a pass over all of them.  n is
 * the length, or (size_t)-1 to count the NULL-terminated list.
 */
const char *
dict_suggest(const char *word, const char *const *names, size_t n)
{
	if (names == NULL)
		return NULL;
	if (n == (size_t)-1)
		for (n = 0; names[n] != NULL && n <= PROV_SUGGEST_MAX; n++)
			;
	if (n > PROV_SUGGEST_MAX)
		return NULL;
	return str_suggest(word, names);
}

const struct prov_conn *
prov_conn_find(const struct prov_dict *dict, const char *name)
{
	long i;

	i = dict_find(dict->conns, dict->conn_index, dict->nconns,
	    sizeof(*dict->conns), name);
	return i < 0 ? NULL : &dict->conns[i];
}

const struct prov_conn *
dict_first_conn(const struct prov_dict *dict, int ssh)
{
	size_t i;

	for (i = 0; i < dict->nconns; i++) {
		if (dict->conns[i].proto == 0)
			continue;
		if ((dict->conns[i].proto == PROV_PROTO_SSH) == ssh)
			return &dict->conns[i];
	}
	return NULL;
}

/* Health checks, and bootstrap's ready_test. */

static void
dict_check(struct dctx *c, const struct ynode *n, const char *name,
    const char *path, const struct prov_conn *initial, struct prov_check *ck)
{
	static const char *const keys[] = { "type", "connection", "command",
	    "expected_output", "method", "url", "expected_status", "port",
	    "operation", "timeout", "interval", NULL };
	static const char *const kinds[] = { "command", "http", "tcp",
	    "operation", NULL };
	struct scope s = { .path = path };
	const struct ynode *v, *cmd, *url, *port, *type, *opn;
	char p[PROV_PATH_MAX];
	const char *verb;

	ck->name = xstrdup(name);
	ck->line = n->line;
	ck->column = n->column;
	ck->timeout = PROV_DEFAULT_CHECK_TIMEOUT;
	ck->interval = PROV_DEFAULT_CHECK_INTERVAL;
	if (dict_want(c, n, path, YNODE_MAP) == -1)
		return;
	dict_check_keys(c, n, path, keys);
	cmd = ynode_get(n, "command");
	url = ynode_get(n, "url");
	port = ynode_get(n, "port");
	opn = ynode_get(n, "operation");
	type = ynode_get(n, "type");
	if (type != NULL) {
		dict_path(p, sizeof(p), path, "type");
		if (dict_want(c, type, p, YNODE_SCALAR) == 0) {
			if (strcmp(type->str, "command") == 0)
				ck->kind = PROV_CHECK_COMMAND;
			else if (strcmp(type->str, "http") == 0)
				ck->kind = PROV_CHECK_HTTP;
			else if (strcmp(type->str, "tcp") == 0)
				ck->kind = PROV_CHECK_TCP;
			else if (strcmp(type->str, "operation") == 0)
				ck->kind = PROV_CHECK_OPERATION;
			else
				dict_error(c, type, p, "expected command, http, "
				    "tcp or operation, found \"%s\"%s", type->str,
				    str_suggest(type->str, kinds) ?
				    " (check the spelling)" : "");
		}
	} else if (cmd != NULL && url != NULL)
		dict_error(c, n, path, "a check has a command or a url, not "
		    "both");
	else if (opn != NULL && (cmd != NULL || url != NULL || port != NULL))
		dict_error(c, opn, path, "an operation check has no command, "
		    "url or port: the operation says what to send");
	else if (cmd != NULL)
		ck->kind = PROV_CHECK_COMMAND;
	else if (url != NULL)
		ck->kind = PROV_CHECK_HTTP;
	else if (port != NULL)
		ck->kind = PROV_CHECK_TCP;
	else if (opn != NULL)
		ck->kind = PROV_CHECK_OPERATION;
	else
		dict_error(c, n, path, "missing what to check: expected "
		    "\"command\" (ssh), \"url\" (http), \"port\" (tcp) or "
		    "\"operation\" (SERVICE.OPERATION)");

	if ((v = ynode_get(n, "timeout")) != NULL) {
		dict_path(p, sizeof(p), path, "timeout");
		dict_int(c, v, p, 1, PROV_MAX_TIMEOUT, &ck->timeout);
	}
	if ((v = ynode_get(n, "interval")) != NULL) {
		dict_path(p, sizeof(p), path, "interval");
		dict_int(c, v, p, 1, 86400, &ck->interval);
	}
	if ((v = ynode_get(n, "connection")) != NULL) {
		dict_path(p, sizeof(p), path, "connection");
		ck->connection = dict_string(c, v, p);
		if (ck->connection != NULL) {
			ck->conn = prov_conn_find(c->dict, ck->connection);
			if (ck->conn == NULL)
				dict_error(c, v, p, "no connection named "
				    "\"%s\" in connections", ck->connection);
		}
	}

	switch (ck->kind) {
	case PROV_CHECK_COMMAND:
		dict_path(p, sizeof(p), path, "command");
		if (cmd == NULL)
			dict_error(c, n, path, "missing required key "
			    "\"command\"");
		else
			dict_text(c, cmd, p, 0, &s, &ck->command);
		if ((v = ynode_get(n, "expected_output")) != NULL) {
			dict_path(p, sizeof(p), path, "expected_output");
			dict_text(c, v, p, 1, &s, &ck->expected_output);
		}
		if (ck->conn == NULL && ck->connection == NULL) {
			if (initial != NULL && initial->proto == PROV_PROTO_SSH)
				ck->conn = initial;
			else
				ck->conn = dict_first_conn(c->dict, 1);
			if (ck->conn == NULL)
				dict_error(c, cmd ? cmd : n, path, "a command "
				    "check needs a connection of type ssh; "
				    "none is defined");
		} else if (ck->conn != NULL && ck->conn->proto != 0 &&
		    ck->conn->proto != PROV_PROTO_SSH)
			dict_error(c, ynode_get(n, "connection"), path,
			    "a command check needs an ssh connection, found "
			    "\"%s\" of type %s", ck->conn->name,
			    ck->conn->type);
		break;
	case PROV_CHECK_HTTP:
		ck->method = xstrdup("GET");
		if ((v = ynode_get(n, "method")) != NULL) {
			dict_path(p, sizeof(p), path, "method");
			if (dict_want(c, v, p, YNODE_SCALAR) == 0) {
				if ((verb = dict_http_verb(v->str)) == NULL)
					dict_error(c, v, p, "expected an HTTP "
					    "method (GET, POST...), found "
					    "\"%s\"", v->str);
				else {
					free(ck->method);
					ck->method = xstrdup(verb);
				}
			}
		}
		dict_path(p, sizeof(p), path, "url");
		if (url == NULL)
			dict_error(c, n, path, "missing required key \"url\"");
		else
			dict_text(c, url, p, 0, &s, &ck->url);
		if ((v = ynode_get(n, "expected_status")) != NULL) {
			dict_path(p, sizeof(p), path, "expected_status");
			dict_status_list(c, v, p, &ck->expected_status,
			    &ck->nexpected_status);
		}
		break;
	case PROV_CHECK_TCP:
		dict_path(p, sizeof(p), path, "port");
		if (port == NULL)
			dict_error(c, n, path, "missing required key \"port\"");
		else
			dict_int(c, port, p, 1, 65535, &ck->port);
		break;
	case PROV_CHECK_OPERATION:
		dict_path(p, sizeof(p), path, "operation");
		if (opn == NULL) {
			dict_error(c, n, path, "missing required key "
			    "\"operation\"");
			break;
		}
		if (dict_want(c, opn, p, YNODE_SCALAR) != 0)
			break;
		{
			const char *dot = strchr(opn->str, '.');

			if (dot == NULL || dot == opn->str || dot[1] == '\0') {
				dict_error(c, opn, p, "expected SERVICE.OPERATION "
				    "(System.status), found \"%s\"", opn->str);
				break;
			}
			ck->op_service = xstrndup(opn->str,
			    (size_t)(dot - opn->str));
			ck->op_name = xstrdup(dot + 1);
			ck->op_line = opn->line;
			ck->op_column = opn->column;
		}
		break;
	}
}

/* Operation checks name services defined later in the file. */
static void
dict_resolve_check(struct dctx *c, const struct prov_check *ck,
    const char *path)
{
	const struct prov_service *svc;
	char p[PROV_PATH_MAX];

	if (ck == NULL || ck->kind != PROV_CHECK_OPERATION ||
	    ck->op_service == NULL)
		return;
	dict_path(p, sizeof(p), path, "operation");
	if ((svc = prov_service_find(c->dict, ck->op_service)) == NULL)
		dict_error_at(c, ck->op_line, ck->op_column, p, "no service "
		    "named \"%s\" in services", ck->op_service);
	else if (prov_op_find(svc, ck->op_name) == NULL)
		dict_error_at(c, ck->op_line, ck->op_column, p, "service "
		    "\"%s\" has no operation \"%s\"", ck->op_service,
		    ck->op_name);
}

void
prov_check_clear(struct prov_check *ck)
{
	free(ck->name);
	free(ck->connection);
	prov_text_free(&ck->command);
	prov_text_free(&ck->expected_output);
	free(ck->method);
	prov_text_free(&ck->url);
	free(ck->expected_status);
	free(ck->op_service);
	free(ck->op_name);
	memset(ck, 0, sizeof(*ck));
}

static void
dict_healthchecks(struct dctx *c, const struct ynode *n, const char *key)
{
	struct prov_dict *dict = c->dict;
	char p[PROV_PATH_MAX];
	size_t i;

	if (dict_want(c, n, key, YNODE_MAP) == -1)
		return;
	dict->checks = xcalloc(n->n ? n->n : 1, sizeof(*dict->checks));
	for (i = 0; i < n->n; i++) {
		dict_path(p, sizeof(p), key, n->pairs[i].key->str);
		dict_check(c, n->pairs[i].value, n->pairs[i].key->str, p, NULL,
		    &dict->checks[dict->nchecks++]);
	}
}

/* Bootstrap. */

static void
dict_actions(struct dctx *c, const struct ynode *n, const char *path)
{
	static const char *const keys[] = { "service", "action", "parameters",
	    NULL };
	struct prov_bootstrap *b = &c->dict->bootstrap;
	struct prov_action *a;
	const struct ynode *item, *v;
	char ip[PROV_PATH_MAX], p[PROV_PATH_MAX];
	size_t i;

	if (dict_want(c, n, path, YNODE_SEQ) == -1)
		return;
	b->actions = xcalloc(n->n ? n->n : 1, sizeof(*b->actions));
	for (i = 0; i < n->n; i++) {
		item = n->items[i];
		dict_path_index(ip, sizeof(ip), path, i);
		if (dict_want(c, item, ip, YNODE_MAP) == -1)
			continue;
		a = &b->actions[b->nactions++];
		a->line = item->line;
		a->column = item->column;
		dict_check_keys(c, item, ip, keys);
		dict_path(p, sizeof(p), ip, "service");
		if ((v = ynode_get(item, "service")) == NULL)
			dict_error(c, item, ip, "missing required key "
			    "\"service\"");
		else
			a->service = dict_string(c, v, p);
		dict_path(p, sizeof(p), ip, "action");
		if ((v = ynode_get(item, "action")) == NULL)
			dict_error(c, item, ip, "missing required key "
			    "\"action\"");
		else
			a->action = dict_string(c, v, p);
		/* Checked once services are known (dict_resolve_actions). */
	}
}

/*
 * initial_actions name services and operations defined later in the file:
 * resolve them, and check the parameters' keys against the data schema.
 */
static void
dict_resolve_actions(struct dctx *c, const struct ynode *n)
{
	struct prov_bootstrap *b = &c->dict->bootstrap;
	const struct ynode *item, *v, *params, *rec;
	const char **names, *hint;
	struct prov_action *a;
	struct scope s;
	char ip[PROV_PATH_MAX], p[PROV_PATH_MAX];
	size_t i, j, k, ia = 0;

	for (i = 0; i < n->n && ia < b->nactions; i++) {
		item = n->items[i];
		if (item->type != YNODE_MAP)
			continue;
		a = &b->actions[ia++];
		dict_path_index(ip, sizeof(ip), "bootstrap.initial_actions", i);
		if (a->service != NULL) {
			a->svc = prov_service_find(c->dict, a->service);
			if (a->svc == NULL) {
				size_t ns = c->dict->nservices;

				names = xcalloc(ns <= PROV_SUGGEST_MAX ? ns + 1 :
				    1, sizeof(*names));
				for (j = 0; ns <= PROV_SUGGEST_MAX && j < ns; j++)
					names[j] = c->dict->services[j].name;
				hint = dict_suggest(a->service, names, ns);
				dict_path(p, sizeof(p), ip, "service");
				dict_error(c, ynode_get(item, "service"), p,
				    "no service named \"%s\" in services%s%s%s",
				    a->service, hint ? "; did you mean \"" : "",
				    hint ? hint : "", hint ? "\"?" : "");
				free(names);
			}
		}
		if (a->svc != NULL && a->action != NULL) {
			a->op = prov_op_find(a->svc, a->action);
			if (a->op == NULL) {
				size_t no = a->svc->nops;

				names = xcalloc(no <= PROV_SUGGEST_MAX ? no + 1 :
				    1, sizeof(*names));
				for (j = 0; no <= PROV_SUGGEST_MAX && j < no; j++)
					names[j] = a->svc->ops[j].name;
				hint = dict_suggest(a->action, names, no);
				dict_path(p, sizeof(p), ip, "action");
				dict_error(c, ynode_get(item, "action"), p,
				    "service \"%s\" has no operation \"%s\"%s%s%s",
				    a->service, a->action,
				    hint ? "; did you mean \"" : "",
				    hint ? hint : "", hint ? "\"?" : "");
				free(names);
			}
		}
		if ((params = ynode_get(item, "parameters")) == NULL)
			continue;
		dict_path(p, sizeof(p), ip, "parameters");
		memset(&s, 0, sizeof(s));
		s.path = p;
		a->parameters = dict_value(c, params, p, &s);
		if (a->svc == NULL || a->svc->schema == NULL)
			continue;
		/* A map is one record, a list several. */
		for (j = 0; j < (params->type == YNODE_SEQ ? params->n : 1);
		    j++) {
			rec = params->type == YNODE_SEQ ? params->items[j] :
			    params;
			if (rec->type != YNODE_MAP) {
				dict_error(c, rec, p, "expected a map of "
				    "service \"%s\" data fields, found %s",
				    a->service, dict_kind(rec));
				continue;
			}
			for (k = 0; k < rec->n; k++) {
				v = rec->pairs[k].key;
				if (schema_has_field(a->svc->schema, v->str))
					continue;
				hint = dict_suggest(v->str,
				    schema_field_names(a->svc->schema),
				    (size_t)-1);
				dict_error(c, v, p, "\"%s\" is not a field of "
				    "services.%s.data%s%s%s", v->str,
				    a->service, hint ? "; did you mean \"" : "",
				    hint ? hint : "", hint ? "\"?" : "");
			}
		}
	}
}

static void
dict_bootstrap(struct dctx *c, const struct ynode *n)
{
	static const char *const keys[] = { "network_init", "userdata",
	    "initial_connection", "initial_actions", "ready_test", NULL };
	static const char *const inits[] = { "config_drive", "dhcp", "static",
	    NULL };
	struct prov_bootstrap *b = &c->dict->bootstrap;
	struct scope s = { .path = "bootstrap" };
	const struct ynode *v;
	const char *hint;
	char p[PROV_PATH_MAX];
	size_t i;

	if (dict_want(c, n, "bootstrap", YNODE_MAP) == -1)
		return;
	b->present = 1;
	dict_check_keys(c, n, "bootstrap", keys);
	if ((v = ynode_get(n, "network_init")) != NULL &&
	    dict_want(c, v, "bootstrap.network_init", YNODE_SCALAR) == 0) {
		for (i = 0; inits[i] != NULL; i++)
			if (strcmp(v->str, inits[i]) == 0)
				break;
		if (inits[i] != NULL)
			b->network_init = (enum prov_netinit)(i + 1);
		else {
			hint = str_suggest(v->str, inits);
			dict_error(c, v, "bootstrap.network_init", "expected "
			    "config_drive, dhcp or static, found \"%s\"%s%s%s",
			    v->str, hint ? "; did you mean \"" : "",
			    hint ? hint : "", hint ? "\"?" : "");
		}
	}
	if ((v = ynode_get(n, "userdata")) != NULL)
		dict_text(c, v, "bootstrap.userdata", 1, &s, &b->userdata);
	if ((v = ynode_get(n, "initial_connection")) != NULL) {
		b->initial_connection = xcalloc(1,
		    sizeof(*b->initial_connection));
		dict_conn(c, v, "initial_connection",
		    "bootstrap.initial_connection", 1, b->initial_connection);
	}
	if ((v = ynode_get(n, "initial_actions")) != NULL)
		dict_actions(c, v, "bootstrap.initial_actions");
	if ((v = ynode_get(n, "ready_test")) != NULL) {
		dict_path(p, sizeof(p), "bootstrap", "ready_test");
		b->ready_test = xcalloc(1, sizeof(*b->ready_test));
		dict_check(c, v, "ready_test", p, b->initial_connection,
		    b->ready_test);
	}
}

/* The whole dictionary. */

static int
dict_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
dict_index_lines(struct dctx *c)
{
	size_t i, cap = 64;

	c->lines = xcalloc(cap, sizeof(*c->lines));
	c->lines[c->nlines++] = 0;
	for (i = 0; i < c->len; i++) {
		if (c->buf[i] != '\n')
			continue;
		if (c->nlines == cap) {
			cap *= 2;
			c->lines = xreallocarray(c->lines, cap,
			    sizeof(*c->lines));
		}
		c->lines[c->nlines++] = i + 1;
	}
}

static void
dict_root(struct dctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "name", "description",
	    "general_info", "connections", "healthchecks", "health_checks",
	    "bootstrap", "services", NULL };
	static const char *const gikeys[] = { "version", "vendor", "author",
	    "debug", NULL };
	struct prov_dict *dict = c->dict;
	const struct ynode *v, *hc, *hc2, *k;
	size_t i, j;

	if (dict_want(c, root, "", YNODE_MAP) == -1)
		return;
	for (i = 0; i < root->n; i++) {
		k = root->pairs[i].key;
		for (j = 0; gikeys[j] != NULL; j++)
			if (strcmp(k->str, gikeys[j]) == 0)
				break;
		if (gikeys[j] != NULL)
			dict_warn(c, k, "", "\"%s\" belongs under general_info; "
			    "ignored here", k->str);
		else
			dict_check_keys(c, &(struct ynode){ .type = YNODE_MAP,
			    .pairs = &root->pairs[i], .n = 1 }, "", keys);
	}

	if ((v = ynode_get(root, "name")) == NULL)
		dict_error(c, root, "", "missing required key \"name\"");
	else
		dict->name = dict_string(c, v, "name");
	if ((v = ynode_get(root, "description")) != NULL &&
	    !ynode_is_null(v))
		dict->description = dict_string(c, v, "description");
	if ((v = ynode_get(root, "general_info")) != NULL)
		dict_general_info(c, v);
	if ((v = ynode_get(root, "connections")) != NULL)
		dict_connections(c, v);
	hc = ynode_get(root, "healthchecks");
	hc2 = ynode_get(root, "health_checks");
	if (hc != NULL && hc2 != NULL)
		dict_error(c, hc2, "health_checks", "both healthchecks and "
		    "health_checks are given: expected one of them");
	else if (hc != NULL)
		dict_healthchecks(c, hc, "healthchecks");
	else if (hc2 != NULL)
		dict_healthchecks(c, hc2, "health_checks");
	if ((v = ynode_get(root, "bootstrap")) != NULL)
		dict_bootstrap(c, v);
	if ((v = ynode_get(root, "services")) == NULL)
		dict_error(c, root, "", "missing required key \"services\"");
	else
		dict_services(c, v);
	if ((v = ynode_get(root, "bootstrap")) != NULL &&
	    (v = ynode_get(v, "initial_actions")) != NULL &&
	    v->type == YNODE_SEQ)
		dict_resolve_actions(c, v);
	{
		char p[PROV_PATH_MAX];

		for (i = 0; i < dict->nchecks; i++) {
			dict_path(p, sizeof(p), hc2 != NULL && hc == NULL ?
			    "health_checks" : "healthchecks",
			    dict->checks[i].name);
			dict_resolve_check(c, &dict->checks[i], p);
		}
		dict_resolve_check(c, dict->bootstrap.ready_test,
		    "bootstrap.ready_test");
	}
}

struct prov_dict *
prov_dict_parse(const char *buf, size_t len, const char *file,
    struct diags *d)
{
	struct prov_dict *dict;
	struct ynode *root;
	struct dctx c;
	size_t errors = d->nerrors, i, j;
	int empty;

	(void)file;
	root = ydoc_parse(buf, len, NULL, d, &empty);
	if (root == NULL) {
		if (empty)
			diag_add(d, DIAG_ERROR, 1, 1, NULL, "empty document: "
			    "expected a provider dictionary (a map with name "
			    "and services)");
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.buf = buf;
	c.len = len;
	dict_index_lines(&c);
	dict = xcalloc(1, sizeof(*dict));
	dict->file = xstrdup(d->file != NULL ? d->file : "");
	c.dict = dict;

	dict_root(&c, root);

	if (c.ncs > 0)
		qsort(c.cs, c.ncs, sizeof(*c.cs), dict_strcmp);
	for (i = 0, j = 0; i < c.ncs; i++) {
		if (j > 0 && strcmp(c.cs[j - 1], c.cs[i]) == 0)
			free(c.cs[i]);
		else
			c.cs[j++] = c.cs[i];
	}
	dict->cs_keys = c.cs;
	dict->ncs_keys = j;
	free(c.lines);
	ynode_free(root);
	if (d->nerrors != errors) {
		prov_dict_free(dict);
		return NULL;
	}
	return dict;
}

struct prov_dict *
prov_dict_load(const char *path, struct diags *d)
{
	struct prov_dict *dict;
	char *buf;
	size_t len;

	if (ydoc_read_file(path, ydoc_default_limits.max_bytes, &buf, &len,
	    d) == -1)
		return NULL;
	dict = prov_dict_parse(buf, len, path, d);
	free(buf);
	return dict;
}

void
prov_dict_free(struct prov_dict *dict)
{
	struct prov_bootstrap *b;
	size_t i, j;

	if (dict == NULL)
		return;
	free(dict->file);
	free(dict->name);
	free(dict->description);
	free(dict->version);
	free(dict->vendor);
	free(dict->author);
	json_decref(dict->general_info);
	for (i = 0; i < dict->nconns; i++)
		prov_conn_clear(&dict->conns[i]);
	free(dict->conns);
	for (i = 0; i < dict->nchecks; i++)
		prov_check_clear(&dict->checks[i]);
	free(dict->checks);
	b = &dict->bootstrap;
	prov_text_free(&b->userdata);
	if (b->initial_connection != NULL) {
		prov_conn_clear(b->initial_connection);
		free(b->initial_connection);
	}
	for (i = 0; i < b->nactions; i++) {
		free(b->actions[i].service);
		free(b->actions[i].action);
		json_decref(b->actions[i].parameters);
	}
	free(b->actions);
	if (b->ready_test != NULL) {
		prov_check_clear(b->ready_test);
		free(b->ready_test);
	}
	for (i = 0; i < dict->nservices; i++) {
		struct prov_service *svc = &dict->services[i];

		free(svc->name);
		schema_free(svc->schema);
		for (j = 0; j < svc->nops; j++)
			prov_op_clear(&svc->ops[j]);
		free(svc->ops);
		free(svc->op_index);
	}
	free(dict->services);
	for (i = 0; i < dict->ncs_keys; i++)
		free(dict->cs_keys[i]);
	free(dict->cs_keys);
	free(dict->conn_index);
	free(dict->service_index);
	free(dict);
}

const struct prov_service *
prov_service_find(const struct prov_dict *dict, const char *name)
{
	long i;

	i = dict_find(dict->services, dict->service_index, dict->nservices,
	    sizeof(*dict->services), name);
	return i < 0 ? NULL : &dict->services[i];
}

const struct prov_op *
prov_op_find(const struct prov_service *svc, const char *name)
{
	long i;

	i = dict_find(svc->ops, svc->op_index, svc->nops, sizeof(*svc->ops),
	    name);
	return i < 0 ? NULL : &svc->ops[i];
}

/* password, passwd, secret, token, key (api_key, secret_key), credential. */
int
prov_is_secret_name(const char *name)
{
	static const char *const words[] = { "pass", "secret", "token", "key",
	    "credential", "auth", "cookie", NULL };
	char low[128];
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (i = 0; words[i] != NULL; i++)
		if (strstr(low, words[i]) != NULL)
			return 1;
	return 0;
}
