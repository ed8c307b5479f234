#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "common/diag.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/ydoc.h"

const struct ydoc_limits ydoc_default_limits = {
	.max_bytes = 4 * 1024 * 1024,
	.max_depth = 64,
	.max_nodes = 200000,
	.max_scalar = 256 * 1024,
};

/* Parser state: a stack of open collections. */
struct ydoc_ctx {
	const struct ydoc_limits *lim;
	struct diags	*d;
	struct ynode	**stack;
	size_t		 depth;
	size_t		 nodes;
	struct ynode	*root;
	int		 failed;
};

static struct ynode *
ynode_new(enum ynode_type type, const yaml_mark_t *mark)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (int)mark->line + 1;
	n->column = (int)mark->column + 1;
	return n;
}

void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	free(n->str);
	for (i = 0; n->type == YNODE_SEQ && i < n->n; i++)
		ynode_free(n->items[i]);
	for (i = 0; n->type == YNODE_MAP && i < n->n; i++) {
		ynode_free(n->pairs[i].key);
		ynode_free(n->pairs[i].value);
	}
	free(n->items);
	free(n->pairs);
	free(n);
}

const char *
ynode_type_name(enum ynode_type t)
{
	switch (t) {
	case YNODE_SCALAR:
		return "scalar";
	case YNODE_SEQ:
		return "sequence";
	case YNODE_MAP:
		return "map";
	}
	return "?";
}

/*
 * Attach a finished node to the collection on top of the stack.  In a map,
 * nodes alternate key, value: a key waits in a pair with a NULL value.
 */
static void
ydoc_attach(struct ydoc_ctx *c, struct ynode *n)
{
	struct ynode *top;
	size_t i;

	if (c->depth == 0) {
		c->root = n;
		return;
	}
	top = c->stack[c->depth - 1];
	if (top->type == YNODE_SEQ) {
		top->items = xreallocarray(top->items, top->n + 1,
		    sizeof(*top->items));
		top->items[top->n++] = n;
		return;
	}
	if (top->n > 0 && top->pairs[top->n - 1].value == NULL) {
		top->pairs[top->n - 1].value = n;
		return;
	}
	/*
	 * A bad key is reported but still stored, so that the value after it
	 * pairs with it and the rest of the map is read in step; the tree is
	 * thrown away at the end because an error was recorded.
	 */
	if (n->type != YNODE_SCALAR) {
		diag_add(c->d, DIAG_ERROR, n->line, n->column, NULL,
		    "a map key must be a plain string, not a %s",
		    ynode_type_name(n->type));
	} else {
		for (i = 0; i < top->n; i++) {
			if (top->pairs[i].key->str == NULL ||
			    strcmp(top->pairs[i].key->str, n->str) != 0)
				continue;
			diag_add(c->d, DIAG_ERROR, n->line, n->column, NULL,
			    "duplicate key \"%s\" (first at line %d)", n->str,
			    top->pairs[i].key->line);
			break;
		}
	}
	top->pairs = xreallocarray(top->pairs, top->n + 1, sizeof(*top->pairs));
	top->pairs[top->n].key = n;
	top->pairs[top->n].value = NULL;
	top->n++;
}

static int
ydoc_count(struct ydoc_ctx *c, const yaml_mark_t *mark)
{
	if (++c->nodes > c->lim->max_nodes) {
		diag_add(c->d, DIAG_ERROR, (int)mark->line + 1,
		    (int)mark->column + 1, NULL,
		    "more than %zu nodes; the document is too large",
		    c->lim->max_nodes);
		return -1;
	}
	return 0;
}

/* Handle one event; returns 1 at document end, 0 to go on, -1 to stop. */
static int
ydoc_event(struct ydoc_ctx *c, yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct ynode *n;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_START_EVENT:
	case YAML_NO_EVENT:
		return 0;
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return 1;
	case YAML_ALIAS_EVENT:
		diag_add(c->d, DIAG_ERROR, (int)m->line + 1, (int)m->column + 1,
		    NULL, "aliases (*%s) are not supported; write the value out",
		    ev->data.alias.anchor);
		return -1;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL)
			goto anchor;
		if (ydoc_count(c, m) == -1)
			return -1;
		if (ev->data.scalar.length > c->lim->max_scalar) {
			diag_add(c->d, DIAG_ERROR, (int)m->line + 1,
			    (int)m->column + 1, NULL,
			    "value of %zu bytes is over the limit of %zu",
			    ev->data.scalar.length, c->lim->max_scalar);
			return -1;
		}
		n = ynode_new(YNODE_SCALAR, m);
		n->len = ev->data.scalar.length;
		n->str = xmalloc(n->len + 1);
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (memchr(n->str, '\0', n->len) != NULL) {
			diag_add(c->d, DIAG_ERROR, n->line, n->column, NULL,
			    "value contains a NUL character");
			ynode_free(n);
			return -1;
		}
		ydoc_attach(c, n);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if ((ev->type == YAML_SEQUENCE_START_EVENT &&
		    ev->data.sequence_start.anchor != NULL) ||
		    (ev->type == YAML_MAPPING_START_EVENT &&
		    ev->data.mapping_start.anchor != NULL))
			goto anchor;
		if (ydoc_count(c, m) == -1)
			return -1;
		if (c->depth >= c->lim->max_depth) {
			diag_add(c->d, DIAG_ERROR, (int)m->line + 1,
			    (int)m->column + 1, NULL,
			    "nested deeper than %zu levels", c->lim->max_depth);
			return -1;
		}
		n = ynode_new(ev->type == YAML_SEQUENCE_START_EVENT ?
		    YNODE_SEQ : YNODE_MAP, m);
		c->stack[c->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = c->stack[--c->depth];
		c->stack[c->depth] = NULL;
		ydoc_attach(c, n);
		return 0;
	}
	return 0;
anchor:
	diag_add(c->d, DIAG_ERROR, (int)m->line + 1, (int)m->column + 1, NULL,
	    "anchors (&name) are not supported; write the value out");
	return -1;
}

struct ynode *
ydoc_parse(const char *buf, size_t len, const struct ydoc_limits *lim,
    struct diags *d, int *empty)
{
	struct ydoc_ctx c;
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t i, errors_before = d->nerrors;
	int r, docs = 0;

	if (lim == NULL)
		lim = &ydoc_default_limits;
	*empty = 0;
	if (len > lim->max_bytes) {
		diag_add(d, DIAG_ERROR, 0, 0, NULL,
		    "file of %zu bytes is over the limit of %zu", len,
		    lim->max_bytes);
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.lim = lim;
	c.d = d;
	c.stack = xcalloc(lim->max_depth + 1, sizeof(*c.stack));

	if (!yaml_parser_initialize(&parser)) {
		diag_add(d, DIAG_ERROR, 0, 0, NULL,
		    "cannot initialise the YAML parser");
		free(c.stack);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			diag_add(d, DIAG_ERROR,
			    (int)parser.problem_mark.line + 1,
			    (int)parser.problem_mark.column + 1, NULL,
			    "YAML syntax: %s%s%s",
			    parser.problem ? parser.problem : "invalid",
			    parser.context ? " " : "",
			    parser.context ? parser.context : "");
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			diag_add(d, DIAG_ERROR, (int)ev.start_mark.line + 1,
			    (int)ev.start_mark.column + 1, NULL,
			    "only one YAML document is allowed per file");
			yaml_event_delete(&ev);
			break;
		}
		r = ydoc_event(&c, &ev);
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
		if (r == -1)
			break;
	}
	yaml_parser_delete(&parser);

	for (i = 0; i < c.depth; i++)
		ynode_free(c.stack[i]);
	free(c.stack);
	if (d->nerrors != errors_before) {
		ynode_free(c.root);
		return NULL;
	}
	if (c.root == NULL)
		*empty = 1;
	return c.root;
}

int
ydoc_read_file(const char *path, size_t max_bytes, char **bufp, size_t *lenp,
    struct diags *d)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		diag_add(d, DIAG_ERROR, 0, 0, NULL, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		diag_add(d, DIAG_ERROR, 0, 0, NULL, "not a regular file");
		goto out;
	}
	if ((size_t)st.st_size > max_bytes) {
		diag_add(d, DIAG_ERROR, 0, 0, NULL,
		    "file of %lld bytes is over the limit of %zu",
		    (long long)st.st_size, max_bytes);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	/* Read to the size seen; a file that grows meanwhile is cut there. */
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			diag_add(d, DIAG_ERROR, 0, 0, NULL, "cannot read: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	*bufp = buf;
	*lenp = off;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

struct ynode *
ydoc_load_file(const char *path, const struct ydoc_limits *lim,
    struct diags *d, int *empty)
{
	struct ynode *root;
	char *buf;
	size_t len;

	if (lim == NULL)
		lim = &ydoc_default_limits;
	*empty = 0;
	if (ydoc_read_file(path, lim->max_bytes, &buf, &len, d) == -1)
		return NULL;
	root = ydoc_parse(buf, len, lim, d, empty);
	free(buf);
	return root;
}

size_t
ydoc_check_keys(struct diags *d, enum diag_severity sev,
    const struct ynode *map, const char *path, const char *const *allowed)
{
	const struct ynode *k;
	const char *hint, *ignored = sev == DIAG_WARNING ? ", ignored" : "";
	size_t i, j, n = 0;

	for (i = 0; map != NULL && map->type == YNODE_MAP && i < map->n; i++) {
		k = map->pairs[i].key;
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(k->str, allowed[j]) == 0)
				break;
		if (allowed[j] != NULL)
			continue;
		n++;
		if ((hint = str_suggest(k->str, allowed)) != NULL)
			diag_add(d, sev, k->line, k->column, path,
			    "unknown key \"%s\"%s; did you mean \"%s\"?",
			    k->str, ignored, hint);
		else
			diag_add(d, sev, k->line, k->column, path,
			    "unknown key \"%s\"%s", k->str, ignored);
	}
	return n;
}

struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

int
ynode_is_null(const struct ynode *n)
{
	if (n == NULL)
		return 1;
	if (n->type != YNODE_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	    strcmp(n->str, "NULL") == 0;
}

int
ynode_bool(const struct ynode *n, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", NULL };
	static const char *const no[] = { "false", "False", "FALSE", NULL };
	size_t i;

	if (n == NULL || n->type != YNODE_SCALAR || !n->plain)
		return -1;
	for (i = 0; yes[i] != NULL; i++) {
		if (strcmp(n->str, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(n->str, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
ynode_int(const struct ynode *n, long long min, long long max, long long *out)
{
	long long v;
	char *end;

	if (n == NULL || n->type != YNODE_SCALAR || !n->plain || n->len == 0)
		return -1;
	errno = 0;
	v = strtoll(n->str, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
