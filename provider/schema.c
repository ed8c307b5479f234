/*
 * Data schemas: loading a service's `data:` block and checking input
 * against it.
 *
 * Loading keeps going after a problem so one run reports them all, the way
 * the rest of the dictionary loader does.  Validation likewise reports
 * every bad field, each with its path ("rules[2].port"), and builds a new
 * object with defaults filled in and CloudStack's stringly-typed values
 * ("22", "true") converted to the declared JSON types.
 */
#include "config.h"

#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/schema.h"

/* Messages kept from one validation; the rest are counted. */
#define SCHEMA_MAX_ERRORS	100
/* PCRE2 work per match, so a pattern cannot stall a worker. */
#define SCHEMA_MATCH_LIMIT	1000000
#define SCHEMA_DEPTH_LIMIT	10000
#define SCHEMA_HEAP_LIMIT	8192	/* KiB */

enum schema_type {
	ST_STRING,
	ST_INT,
	ST_BOOL,
	ST_IP,
	ST_CIDR,
	ST_PORT,
	ST_MAC,
	ST_ENUM,
	ST_LIST,
	ST_OBJECT,
};

static const char *const schema_type_names[] = {
	"string", "int", "bool", "ip", "cidr", "port", "mac", "enum", "list",
	"object", NULL
};

static const char *const schema_keys[] = {
	"type", "description", "required", "default", "pattern", "min", "max",
	"values", "enum", "items", "fields", NULL
};

struct sfield {
	char		 *name;
	enum schema_type  type;
	int		  required;
	json_t		 *def;		/* validated default, or NULL */
	char		 *pattern;
	pcre2_code	 *re;
	int		  has_min, has_max;
	long long	  min, max;
	char		**values;	/* enum */
	size_t		  nvalues;
	struct sfield	 *items;	/* list */
	struct sfield	**fields;	/* object */
	size_t		  nfields;
	const char	**names;	/* object: NULL-terminated */
};

struct schema {
	struct sfield	*root;
};

/* Errors gathered by one validation. */
struct verr {
	json_t	*errors;
	size_t	 n;
};

static void	sfield_free(struct sfield *);
static json_t	*check_value(const struct sfield *, json_t *, const char *,
		    struct verr *);

static void
sfield_free(struct sfield *f)
{
	size_t i;

	if (f == NULL)
		return;
	free(f->name);
	json_decref(f->def);
	free(f->pattern);
	pcre2_code_free(f->re);
	for (i = 0; i < f->nvalues; i++)
		free(f->values[i]);
	free(f->values);
	sfield_free(f->items);
	for (i = 0; i < f->nfields; i++)
		sfield_free(f->fields[i]);
	free(f->fields);
	free(f->names);
	free(f);
}

void
schema_free(struct schema *s)
{
	if (s == NULL)
		return;
	sfield_free(s->root);
	free(s);
}

static const struct sfield *
find_field(const struct sfield *obj, const char *name)
{
	size_t i;

	for (i = 0; i < obj->nfields; i++) {
		if (strcmp(obj->fields[i]->name, name) == 0)
			return obj->fields[i];
	}
	return NULL;
}

int
schema_has_field(const struct schema *s, const char *name)
{
	return s != NULL && name != NULL && find_field(s->root, name) != NULL;
}

const char *const *
schema_field_names(const struct schema *s)
{
	static const char *const none[] = { NULL };

	if (s == NULL)
		return none;
	return (const char *const *)s->root->names;
}

static int
type_lookup(const char *name, enum schema_type *t)
{
	size_t i;

	for (i = 0; schema_type_names[i] != NULL; i++) {
		if (strcmp(name, schema_type_names[i]) == 0) {
			*t = (enum schema_type)i;
			return 0;
		}
	}
	return -1;
}

static void
bad_type(const struct ynode *n, const char *path, struct diags *d)
{
	const char *sug = str_suggest(n->str, schema_type_names);

	diag_add(d, DIAG_ERROR, n->line, n->column, path, "unknown type "
	    "'%.64s'%s%s%s; valid types are string, int, bool, ip, cidr, "
	    "port, mac, enum, list and object", n->str,
	    sug != NULL ? " (did you mean '" : "", sug != NULL ? sug : "",
	    sug != NULL ? "'?)" : "");
}

/*
 * A YAML default as JSON, typed by the field it is for: a plain 22 is an
 * integer for an int, but the string "22" for a string field.
 */
static json_t *
ynode_to_json(const struct ynode *n, const struct sfield *f)
{
	const struct sfield	*sub;
	json_t			*v, *item;
	long long		 ll;
	size_t			 i;
	int			 b;

	switch (n->type) {
	case YNODE_SCALAR:
		if (f == NULL || f->type == ST_LIST || f->type == ST_OBJECT ||
		    f->type == ST_INT || f->type == ST_PORT ||
		    f->type == ST_BOOL) {
			if (ynode_is_null(n))
				return json_null();
			if (ynode_bool(n, &b) == 0)
				return json_boolean(b);
			if (ynode_int(n, LLONG_MIN, LLONG_MAX, &ll) == 0)
				return json_integer(ll);
		}
		return json_stringn(n->str, n->len);
	case YNODE_SEQ:
		v = json_array();
		sub = f != NULL && f->type == ST_LIST ? f->items : NULL;
		for (i = 0; i < n->n; i++) {
			if ((item = ynode_to_json(n->items[i], sub)) == NULL) {
				json_decref(v);
				return NULL;
			}
			json_array_append_new(v, item);
		}
		return v;
	case YNODE_MAP:
		v = json_object();
		for (i = 0; i < n->n; i++) {
			sub = f != NULL && f->type == ST_OBJECT ?
			    find_field(f, n->pairs[i].key->str) : NULL;
			if ((item = ynode_to_json(n->pairs[i].value, sub)) ==
			    NULL) {
				json_decref(v);
				return NULL;
			}
			json_object_set_new(v, n->pairs[i].key->str, item);
		}
		return v;
	}
	return NULL;
}

static struct sfield *load_field(const struct ynode *, const char *,
    const char *, struct diags *);

/* Load a map of field definitions into obj (fields:, or data: itself). */
static void
load_fields(struct sfield *obj, const struct ynode *map, const char *path,
    struct diags *d)
{
	struct sfield	*f;
	char		*sub;
	size_t		 i;

	obj->fields = xcalloc(map->n + 1, sizeof(*obj->fields));
	obj->names = xcalloc(map->n + 1, sizeof(*obj->names));
	for (i = 0; i < map->n; i++) {
		sub = xasprintf("%s.%s", path, map->pairs[i].key->str);
		f = load_field(map->pairs[i].value, map->pairs[i].key->str,
		    sub, d);
		free(sub);
		if (f == NULL)
			continue;
		obj->names[obj->nfields] = f->name;
		obj->fields[obj->nfields++] = f;
	}
}

static void
load_pattern(struct sfield *f, const struct ynode *n, const char *path,
    struct diags *d)
{
	PCRE2_UCHAR	buf[256];
	PCRE2_SIZE	erroff;
	int		errcode;

	if (n->type != YNODE_SCALAR) {
		diag_add(d, DIAG_ERROR, n->line, n->column, path, "expected a "
		    "regular expression, found a %s", ynode_type_name(n->type));
		return;
	}
	f->re = pcre2_compile((PCRE2_SPTR)n->str, n->len, PCRE2_UTF |
	    PCRE2_ANCHORED | PCRE2_ENDANCHORED, &errcode, &erroff, NULL);
	if (f->re == NULL) {
		pcre2_get_error_message(errcode, buf, sizeof(buf));
		diag_add(d, DIAG_ERROR, n->line, n->column, path, "invalid "
		    "regular expression at offset %zu: %s", (size_t)erroff,
		    (char *)buf);
		return;
	}
	f->pattern = xstrdup(n->str);
}

static void
load_values(struct sfield *f, const struct ynode *n, const char *path,
    struct diags *d)
{
	size_t i, j;

	if (n->type != YNODE_SEQ || n->n == 0) {
		diag_add(d, DIAG_ERROR, n->line, n->column, path, "expected a "
		    "non-empty list of allowed values, such as [pass, block]");
		return;
	}
	f->values = xcalloc(n->n, sizeof(*f->values));
	for (i = 0; i < n->n; i++) {
		if (n->items[i]->type != YNODE_SCALAR) {
			diag_add(d, DIAG_ERROR, n->items[i]->line,
			    n->items[i]->column, path, "each allowed value "
			    "must be a scalar, not a %s",
			    ynode_type_name(n->items[i]->type));
			continue;
		}
		for (j = 0; j < f->nvalues; j++) {
			if (strcmp(f->values[j], n->items[i]->str) == 0)
				break;
		}
		if (j < f->nvalues) {
			diag_add(d, DIAG_WARNING, n->items[i]->line,
			    n->items[i]->column, path, "'%.64s' is listed "
			    "twice", n->items[i]->str);
			continue;
		}
		f->values[f->nvalues++] = xstrdup(n->items[i]->str);
	}
}

static void
load_bound(const struct ynode *n, const char *path, struct diags *d,
    int *has, long long *v)
{
	if (ynode_int(n, LLONG_MIN, LLONG_MAX, v) != 0) {
		diag_add(d, DIAG_ERROR, n->line, n->column, path, "expected an "
		    "integer");
		return;
	}
	*has = 1;
}

/* Check a default against its own field, as input would be. */
static void
load_default(struct sfield *f, const struct ynode *n, const char *path,
    struct diags *d)
{
	struct verr	 ve;
	json_t		*v, *ok;
	size_t		 i;

	if (ynode_is_null(n))
		return;
	if ((v = ynode_to_json(n, f)) == NULL) {
		diag_add(d, DIAG_ERROR, n->line, n->column, path, "default is "
		    "not valid UTF-8");
		return;
	}
	ve.errors = json_array();
	ve.n = 0;
	ok = check_value(f, v, "", &ve);
	json_decref(v);
	for (i = 0; i < json_array_size(ve.errors); i++)
		diag_add(d, DIAG_ERROR, n->line, n->column, path, "invalid "
		    "default: %s", json_string_value(json_array_get(ve.errors,
		    i)));
	json_decref(ve.errors);
	f->def = ok;
}

/* The items of a list that does not say: strings. */
static struct sfield *
string_items(void)
{
	struct sfield *f = xcalloc(1, sizeof(*f));

	f->name = xstrdup("items");
	f->type = ST_STRING;
	return f;
}

/* One field definition: a map of keys, or a bare type name. */
static struct sfield *
load_field(const struct ynode *n, const char *name, const char *path,
    struct diags *d)
{
	const struct ynode	*k, *v, *tnode = NULL, *vals = NULL;
	const struct ynode	*items = NULL, *fields = NULL, *def = NULL;
	const struct ynode	*pat = NULL;
	struct sfield		*f;
	const char		*key, *sug;
	char			*kp;
	size_t			 i, nerrors = d->nerrors;
	int			 b, has_type = 0;

	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(name);
	f->type = ST_STRING;
	if (n->type == YNODE_SCALAR && !ynode_is_null(n)) {
		if (type_lookup(n->str, &f->type) != 0)
			bad_type(n, path, d);
		if (f->type == ST_ENUM)
			diag_add(d, DIAG_ERROR, n->line, n->column, path,
			    "an enum needs its values: write {type: enum, "
			    "values: [...]}");
		else if (f->type == ST_OBJECT)
			diag_add(d, DIAG_ERROR, n->line, n->column, path,
			    "an object needs its fields: write {type: "
			    "object, fields: {...}}");
		goto out;
	}
	if (n->type != YNODE_MAP) {
		diag_add(d, DIAG_ERROR, n->line, n->column, path, "expected a "
		    "field definition such as {type: string}, found %s",
		    n->type == YNODE_SCALAR ? "nothing" : "a sequence");
		goto out;
	}
	for (i = 0; i < n->n; i++) {
		k = n->pairs[i].key;
		v = n->pairs[i].value;
		key = k->str;
		kp = xasprintf("%s.%s", path, key);
		if (strcmp(key, "type") == 0) {
			has_type = 1;
			tnode = v;
			if (v->type != YNODE_SCALAR)
				diag_add(d, DIAG_ERROR, v->line, v->column, kp,
				    "expected a type name");
			else if (type_lookup(v->str, &f->type) != 0)
				bad_type(v, kp, d);
		} else if (strcmp(key, "description") == 0) {
			if (v->type != YNODE_SCALAR)
				diag_add(d, DIAG_ERROR, v->line, v->column, kp,
				    "expected text");
		} else if (strcmp(key, "required") == 0) {
			if (ynode_bool(v, &b) != 0)
				diag_add(d, DIAG_ERROR, v->line, v->column, kp,
				    "expected true or false");
			else
				f->required = b;
		} else if (strcmp(key, "default") == 0)
			def = v;
		else if (strcmp(key, "pattern") == 0)
			pat = v;
		else if (strcmp(key, "min") == 0)
			load_bound(v, kp, d, &f->has_min, &f->min);
		else if (strcmp(key, "max") == 0)
			load_bound(v, kp, d, &f->has_max, &f->max);
		else if (strcmp(key, "values") == 0 ||
		    strcmp(key, "enum") == 0) {
			if (vals != NULL)
				diag_add(d, DIAG_ERROR, k->line, k->column, kp,
				    "give the allowed values once, as values: "
				    "or enum:, not both");
			else
				vals = v;
		} else if (strcmp(key, "items") == 0)
			items = v;
		else if (strcmp(key, "fields") == 0)
			fields = v;
		else {
			sug = str_suggest(key, schema_keys);
			diag_add(d, DIAG_WARNING, k->line, k->column, kp,
			    "unknown key '%.64s' is ignored%s%s%s", key,
			    sug != NULL ? " (did you mean '" : "",
			    sug != NULL ? sug : "", sug != NULL ? "'?)" : "");
		}
		free(kp);
	}
	/* CloudStack writes {type: string, enum: [...]}: that is an enum. */
	if (vals != NULL && (!has_type || f->type == ST_STRING))
		f->type = ST_ENUM;

#define NOT_FOR(node, what, ok)	do {					\
	if ((node) != NULL && !(ok)) {					\
		kp = xasprintf("%s.%s", path, what);			\
		diag_add(d, DIAG_ERROR, (node)->line, (node)->column, kp, \
		    "%s does not apply to a field of type %s", what,	\
		    schema_type_names[f->type]);			\
		free(kp);						\
	}								\
} while (0)
	NOT_FOR(vals, "values", f->type == ST_ENUM);
	NOT_FOR(items, "items", f->type == ST_LIST);
	NOT_FOR(fields, "fields", f->type == ST_OBJECT);
	NOT_FOR(pat, "pattern", f->type == ST_STRING);
	NOT_FOR(f->has_min ? ynode_get(n, "min") : NULL, "min",
	    f->type == ST_INT || f->type == ST_PORT || f->type == ST_STRING ||
	    f->type == ST_LIST);
	NOT_FOR(f->has_max ? ynode_get(n, "max") : NULL, "max",
	    f->type == ST_INT || f->type == ST_PORT || f->type == ST_STRING ||
	    f->type == ST_LIST);
#undef NOT_FOR
	if (f->has_min && f->has_max && f->min > f->max) {
		v = ynode_get(n, "min");
		diag_add(d, DIAG_ERROR, v->line, v->column, path, "min %lld is "
		    "greater than max %lld", f->min, f->max);
	}
	if ((f->type == ST_STRING || f->type == ST_LIST) &&
	    ((f->has_min && f->min < 0) || (f->has_max && f->max < 0))) {
		v = ynode_get(n, f->has_min && f->min < 0 ? "min" : "max");
		diag_add(d, DIAG_ERROR, v->line, v->column, path, "a length "
		    "cannot be negative");
	}
	if (f->type == ST_ENUM && vals == NULL)
		diag_add(d, DIAG_ERROR, (tnode != NULL ? tnode : n)->line,
		    (tnode != NULL ? tnode : n)->column, path, "an enum needs "
		    "its allowed values: add values: [...]");
	if (vals != NULL && f->type == ST_ENUM) {
		kp = xasprintf("%s.values", path);
		load_values(f, vals, kp, d);
		free(kp);
	}
	if (pat != NULL && f->type == ST_STRING) {
		kp = xasprintf("%s.pattern", path);
		load_pattern(f, pat, kp, d);
		free(kp);
	}
	if (f->type == ST_LIST && items != NULL) {
		kp = xasprintf("%s.items", path);
		f->items = load_field(items, "items", kp, d);
		free(kp);
	}
	if (f->type == ST_LIST && f->items == NULL)
		f->items = string_items();
	if (f->type == ST_OBJECT) {
		kp = xasprintf("%s.fields", path);
		if (fields == NULL)
			diag_add(d, DIAG_ERROR, n->line, n->column, path, "an "
			    "object needs its fields: add fields: {...}");
		else if (fields->type != YNODE_MAP)
			diag_add(d, DIAG_ERROR, fields->line, fields->column,
			    kp, "expected a map of field definitions");
		else
			load_fields(f, fields, kp, d);
		free(kp);
	}
	if (def != NULL && d->nerrors == nerrors) {
		kp = xasprintf("%s.default", path);
		if (f->required && !ynode_is_null(def))
			diag_add(d, DIAG_WARNING, def->line, def->column, kp,
			    "a required field never uses its default");
		load_default(f, def, kp, d);
		free(kp);
	}
out:
	if (f->type == ST_LIST && f->items == NULL)
		f->items = string_items();
	if (f->type == ST_OBJECT && f->names == NULL) {
		f->fields = xcalloc(1, sizeof(*f->fields));
		f->names = xcalloc(1, sizeof(*f->names));
	}
	if (d->nerrors != nerrors) {
		sfield_free(f);
		return NULL;
	}
	return f;
}

struct schema *
schema_load(const struct ynode *map, const char *path, struct diags *d)
{
	struct schema	*s;
	size_t		 nerrors = d->nerrors;

	if (path == NULL)
		path = "data";
	s = xcalloc(1, sizeof(*s));
	s->root = xcalloc(1, sizeof(*s->root));
	s->root->name = xstrdup("");
	s->root->type = ST_OBJECT;
	if (map == NULL || ynode_is_null(map)) {
		s->root->fields = xcalloc(1, sizeof(*s->root->fields));
		s->root->names = xcalloc(1, sizeof(*s->root->names));
		return s;
	}
	if (map->type != YNODE_MAP) {
		diag_add(d, DIAG_ERROR, map->line, map->column, path,
		    "expected a map of field definitions, found a %s",
		    ynode_type_name(map->type));
		schema_free(s);
		return NULL;
	}
	load_fields(s->root, map, path, d);
	if (d->nerrors != nerrors) {
		schema_free(s);
		return NULL;
	}
	return s;
}

/* Validation. */

static void __attribute__((format(printf, 3, 4)))
verr_add(struct verr *ve, const char *path, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (ve->n++ >= SCHEMA_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	if (*path != '\0')
		json_array_append_new(ve->errors, json_sprintf("%s: %s", path,
		    msg));
	else
		json_array_append_new(ve->errors, json_string(msg));
	free(msg);
}

static const char *
kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a decimal number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* The value as it appears in a message: quoted, cut, no control bytes. */
static const char *
show(const json_t *v, char *buf, size_t size)
{
	const char	*s;
	size_t		 i, n, o = 0, max = 40;

	if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, size, "%g", json_real_value(v));
		return buf;
	}
	if (!json_is_string(v))
		return kind_name(v);
	s = json_string_value(v);
	n = json_string_length(v);
	buf[o++] = '"';
	for (i = 0; i < n && i < max && o + 8 < size; i++) {
		if ((u_char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
			    (u_char)s[i]);
		else
			buf[o++] = s[i];
	}
	/* Do not cut a UTF-8 sequence in two (its bytes were copied 1:1). */
	while (i > 0 && i < n && ((u_char)s[i] & 0xc0) == 0x80) {
		o--;
		i--;
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int
is_digits(const char *s, size_t n, int allow_minus)
{
	size_t i = 0;

	if (allow_minus && n > 0 && s[0] == '-')
		i = 1;
	if (i >= n)
		return 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return 1;
}

/* An integer, or a string of digits as CloudStack sends; -1 if neither. */
static int
get_int(const json_t *v, long long *out, int *range)
{
	char	*end;

	*range = 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v) || !is_digits(json_string_value(v),
	    json_string_length(v), 1))
		return -1;
	errno = 0;
	*out = strtoll(json_string_value(v), &end, 10);
	if (errno == ERANGE)
		*range = 1;
	return 0;
}

static int
is_ip(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ||
	    inet_pton(AF_INET6, s, &a) == 1;
}

static int
is_cidr(const char *s, size_t n)
{
	struct in6_addr	 a;
	char		 buf[INET6_ADDRSTRLEN + 8];
	const char	*slash;
	size_t		 alen;
	int		 max, prefix = 0;

	if (n >= sizeof(buf) || (slash = memchr(s, '/', n)) == NULL)
		return 0;
	alen = (size_t)(slash - s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &a) == 1)
		max = 32;
	else if (inet_pton(AF_INET6, buf, &a) == 1)
		max = 128;
	else
		return 0;
	s = slash + 1;
	n -= alen + 1;
	if (n == 0 || n > 3 || !is_digits(s, n, 0) || (n > 1 && s[0] == '0'))
		return 0;
	for (; n > 0; s++, n--)
		prefix = prefix * 10 + (*s - '0');
	return prefix <= max;
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff. */
static int
is_mac(const char *s, size_t n)
{
	size_t	i;
	char	sep;

	if (n != 17)
		return 0;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return 0;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != sep)
				return 0;
		} else if (!is_hex((u_char)s[i]))
			return 0;
	}
	return 1;
}

static size_t
utf8_length(const char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (((u_char)p[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static int
match_pattern(const struct sfield *f, const json_t *v, const char *path,
    struct verr *ve)
{
	pcre2_match_context	*mctx;
	pcre2_match_data	*md;
	char			 buf[128];
	int			 rc;

	mctx = pcre2_match_context_create(NULL);
	md = pcre2_match_data_create_from_pattern(f->re, NULL);
	if (mctx == NULL || md == NULL) {
		pcre2_match_context_free(mctx);
		pcre2_match_data_free(md);
		verr_add(ve, path, "out of memory matching the pattern");
		return -1;
	}
	pcre2_set_match_limit(mctx, SCHEMA_MATCH_LIMIT);
	pcre2_set_depth_limit(mctx, SCHEMA_DEPTH_LIMIT);
	pcre2_set_heap_limit(mctx, SCHEMA_HEAP_LIMIT);
	rc = pcre2_match(f->re, (PCRE2_SPTR)json_string_value(v),
	    json_string_length(v), 0, 0, md, mctx);
	pcre2_match_data_free(md);
	pcre2_match_context_free(mctx);
	if (rc >= 0)
		return 0;
	if (rc == PCRE2_ERROR_NOMATCH)
		verr_add(ve, path, "%s does not match the pattern %.80s",
		    show(v, buf, sizeof(buf)), f->pattern);
	else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT)
		verr_add(ve, path, "checking the pattern %.80s took too long",
		    f->pattern);
	else
		verr_add(ve, path, "cannot match the pattern (error %d)", rc);
	return -1;
}

static int
check_bounds(const struct sfield *f, long long n, const char *path,
    struct verr *ve, const char *unit)
{
	if (f->has_min && n < f->min) {
		if (unit == NULL)
			verr_add(ve, path, "%lld is below the minimum %lld", n,
			    f->min);
		else
			verr_add(ve, path, "has %lld %s; at least %lld needed",
			    n, unit, f->min);
		return -1;
	}
	if (f->has_max && n > f->max) {
		if (unit == NULL)
			verr_add(ve, path, "%lld is above the maximum %lld", n,
			    f->max);
		else
			verr_add(ve, path, "has %lld %s; at most %lld allowed",
			    n, unit, f->max);
		return -1;
	}
	return 0;
}

static char *
join_path(const char *path, const char *name)
{
	if (*path == '\0')
		return xstrdup(name);
	return xasprintf("%s.%s", path, name);
}

static json_t *
check_object(const struct sfield *f, json_t *v, const char *path,
    struct verr *ve)
{
	const struct sfield	*sub;
	const char		*key, *sug;
	json_t			*out, *val, *ok;
	char			*p;
	size_t			 i, before = ve->n;

	if (!json_is_object(v)) {
		verr_add(ve, path, "expected an object, got %s", kind_name(v));
		return NULL;
	}
	out = json_object();
	json_object_foreach(v, key, val) {
		if ((sub = find_field(f, key)) != NULL)
			continue;
		sug = ve->n < SCHEMA_MAX_ERRORS ? str_suggest(key,
		    (const char *const *)f->names) : NULL;
		p = join_path(path, key);
		verr_add(ve, p, "unknown field%s%s%s", sug != NULL ?
		    " (did you mean " : "", sug != NULL ? sug : "",
		    sug != NULL ? "?)" : "");
		free(p);
	}
	for (i = 0; i < f->nfields; i++) {
		sub = f->fields[i];
		p = join_path(path, sub->name);
		val = json_object_get(v, sub->name);
		if (val == NULL || json_is_null(val)) {
			if (sub->def != NULL)
				json_object_set_new(out, sub->name,
				    json_deep_copy(sub->def));
			else if (sub->required)
				verr_add(ve, p, "is required");
		} else if ((ok = check_value(sub, val, p, ve)) != NULL)
			json_object_set_new(out, sub->name, ok);
		free(p);
	}
	if (ve->n != before) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *
check_list(const struct sfield *f, json_t *v, const char *path,
    struct verr *ve)
{
	json_t	*out, *ok;
	char	*p;
	size_t	 i, before = ve->n;

	if (!json_is_array(v)) {
		verr_add(ve, path, "expected a list, got %s", kind_name(v));
		return NULL;
	}
	if (check_bounds(f, (long long)json_array_size(v), path, ve,
	    "items") != 0)
		return NULL;
	out = json_array();
	for (i = 0; i < json_array_size(v); i++) {
		p = xasprintf("%s[%zu]", path, i);
		ok = check_value(f->items, json_array_get(v, i), p, ve);
		free(p);
		if (ok != NULL)
			json_array_append_new(out, ok);
		/* A list of a million bad items need not be read to the end. */
		if (ve->n > SCHEMA_MAX_ERRORS)
			break;
	}
	if (ve->n != before) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Check one value; a new (converted) value, or NULL after verr_add. */
static json_t *
check_value(const struct sfield *f, json_t *v, const char *path,
    struct verr *ve)
{
	char		 buf[128];
	const char	*s;
	long long	 ll;
	size_t		 i, n;
	int		 range;

	switch (f->type) {
	case ST_OBJECT:
		return check_object(f, v, path, ve);
	case ST_LIST:
		return check_list(f, v, path, ve);
	case ST_INT:
	case ST_PORT:
		if (get_int(v, &ll, &range) != 0) {
			if (json_is_string(v) || json_is_real(v))
				verr_add(ve, path, "%s is not %s",
				    show(v, buf, sizeof(buf)), f->type ==
				    ST_PORT ? "a port (1-65535)" :
				    "an integer");
			else
				verr_add(ve, path, "expected %s, got %s",
				    f->type == ST_PORT ? "a port (1-65535)" :
				    "an integer", kind_name(v));
			return NULL;
		}
		if (range) {
			verr_add(ve, path, "%s is out of range",
			    show(v, buf, sizeof(buf)));
			return NULL;
		}
		if (f->type == ST_PORT && (ll < 1 || ll > 65535)) {
			verr_add(ve, path, "%lld is not a port (1-65535)", ll);
			return NULL;
		}
		if (check_bounds(f, ll, path, ve, NULL) != 0)
			return NULL;
		return json_integer(ll);
	case ST_BOOL:
		if (json_is_boolean(v))
			return json_incref(v);
		if (json_is_string(v) && strcmp(json_string_value(v),
		    "true") == 0)
			return json_true();
		if (json_is_string(v) && strcmp(json_string_value(v),
		    "false") == 0)
			return json_false();
		if (json_is_string(v))
			verr_add(ve, path, "%s is not a boolean (true or "
			    "false)", show(v, buf, sizeof(buf)));
		else
			verr_add(ve, path, "expected a boolean, got %s",
			    kind_name(v));
		return NULL;
	default:
		break;
	}
	/* The rest are strings. */
	if (!json_is_string(v)) {
		verr_add(ve, path, "expected %s, got %s",
		    f->type == ST_STRING ? "a string" :
		    f->type == ST_IP ? "an IP address (a string)" :
		    f->type == ST_CIDR ? "a CIDR (a string)" :
		    f->type == ST_MAC ? "a MAC address (a string)" :
		    "one of the allowed values (a string)", kind_name(v));
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	switch (f->type) {
	case ST_STRING:
		if (check_bounds(f, (long long)utf8_length(s, n), path, ve,
		    "characters") != 0)
			return NULL;
		if (f->re != NULL && match_pattern(f, v, path, ve) != 0)
			return NULL;
		break;
	case ST_IP:
		if (strlen(s) != n || !is_ip(s)) {
			verr_add(ve, path, "%s is not an IP address",
			    show(v, buf, sizeof(buf)));
			return NULL;
		}
		break;
	case ST_CIDR:
		if (strlen(s) != n || !is_cidr(s, n)) {
			verr_add(ve, path, "%s is not a CIDR (address/prefix, "
			    "e.g. 10.0.0.0/24)", show(v, buf, sizeof(buf)));
			return NULL;
		}
		break;
	case ST_MAC:
		if (!is_mac(s, n)) {
			verr_add(ve, path, "%s is not a MAC address "
			    "(aa:bb:cc:dd:ee:ff)", show(v, buf, sizeof(buf)));
			return NULL;
		}
		break;
	case ST_ENUM:
		for (i = 0; i < f->nvalues; i++) {
			if (strlen(f->values[i]) == n &&
			    memcmp(f->values[i], s, n) == 0)
				break;
		}
		if (i == f->nvalues) {
			char	*list = NULL, *t;

			for (i = 0; i < f->nvalues && i < 16; i++) {
				t = xasprintf("%s%s%s", list != NULL ? list :
				    "", list != NULL ? ", " : "",
				    f->values[i]);
				free(list);
				list = t;
			}
			verr_add(ve, path, "%s is not one of: %s%s",
			    show(v, buf, sizeof(buf)), list != NULL ? list : "",
			    f->nvalues > 16 ? ", ..." : "");
			free(list);
			return NULL;
		}
		break;
	default:
		break;
	}
	return json_incref(v);
}

json_t *
schema_validate(const struct schema *s, json_t *input, json_t **errors)
{
	struct verr	 ve;
	json_t		*out;

	ve.errors = json_array();
	ve.n = 0;
	if (s == NULL) {
		verr_add(&ve, "", "no schema");
		out = NULL;
	} else
		out = check_value(s->root, input, "", &ve);
	if (ve.n > SCHEMA_MAX_ERRORS)
		json_array_append_new(ve.errors, json_sprintf("and %zu more "
		    "problems", ve.n - SCHEMA_MAX_ERRORS));
	if (ve.n > 0) {
		json_decref(out);
		out = NULL;
	}
	if (errors != NULL)
		*errors = ve.errors;
	else
		json_decref(ve.errors);
	return out;
}
