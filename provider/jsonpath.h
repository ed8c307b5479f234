/*
 * JSONPath (RFC 9535) over jansson values.
 *
 * An expression is compiled once and may then be run against any number of
 * documents, from any number of threads at once: a compiled expression is
 * never modified by jp_query().
 *
 *	struct jp_expr	*e;
 *	json_t		*values, *paths;
 *	char		*cause;
 *
 *	if (jp_compile("$.rows[?@.enabled == '1'].uuid", &e, &cause) != 0) {
 *		log_warnx("%s", cause);
 *		free(cause);
 *		return;
 *	}
 *	if (jp_query(e, doc, &values, &paths, &cause) == 0) {
 *		... values is a JSON array of the selected values, paths a
 *		... JSON array of their normalized paths ("$['rows'][0]['uuid']")
 *		json_decref(values);
 *		json_decref(paths);
 *	}
 *	jp_free(e);
 *
 * Every function returns 0 or a negative code:
 *	-EINVAL	the expression is not valid JSONPath (jp_compile);
 *	-E2BIG	a limit below was reached;
 *	-ENOMEM	out of memory.
 * Where a function takes char **cause, a failure stores there a message
 * for the user, such as "jsonpath: at 4: expected ']' or ',' after the
 * selector" (the position counts characters from 1); the caller frees it
 * with free().  cause may be NULL when the caller has no use for the
 * message; on allocation failure *cause may be left NULL.
 *
 * Documents are only read.  Object members are visited in insertion order
 * (the order jansson's json_object_foreach gives), which for a parsed
 * document is the order of the text.  Member names are compared by
 * length, so a name holding U+0000 (set with json_object_setn) is found
 * by $['a\u0000b'].
 */
#ifndef VB_PROVIDER_JSONPATH_H
#define VB_PROVIDER_JSONPATH_H

#include <stddef.h>

#include <jansson.h>

/* Bytes in an expression. */
#define JP_MAX_EXPR		4096
/* Nesting of filters, parentheses and function calls in an expression. */
#define JP_MAX_DEPTH		64
/* Default cap on the nodes of any one nodelist, the result included. */
#define JP_MAX_NODES		1000000
/* Default cap on the work of one query: nodes visited, values compared,
 * characters given to match() and search(). */
#define JP_MAX_STEPS		50000000
/* Nesting of arrays and objects a query will descend into or compare. */
#define JP_MAX_DOC_DEPTH	4096

struct jp_expr;

/* Query-time limits; a zero field means the default above. */
struct jp_limits {
	size_t	max_nodes;
	size_t	max_steps;
};

/*
 * Compile a NUL-terminated expression.  On success *out is a new
 * expression the caller frees with jp_free().
 */
int	jp_compile(const char *expr, struct jp_expr **out, char **cause);
/* The same for an expression of len bytes (a NUL byte in it is invalid). */
int	jp_compilen(const char *expr, size_t len, struct jp_expr **out,
	    char **cause);
void	jp_free(struct jp_expr *e);

/* The text the expression was compiled from; owned by e. */
const char *jp_source(const struct jp_expr *e);
/* Nonzero if the query is singular: it can select at most one node. */
int	jp_is_singular(const struct jp_expr *e);

/*
 * Run e against doc with the default limits.  On success *values_out is a
 * new JSON array holding a reference to each selected value, in nodelist
 * order; if paths_out is not NULL, *paths_out is a new JSON array of the
 * matching normalized path strings.  The caller json_decref()s both.  On
 * failure neither is set.
 */
int	jp_query(const struct jp_expr *e, json_t *doc, json_t **values_out,
	    json_t **paths_out, char **cause);
/* The same with explicit limits (NULL for the defaults). */
int	jp_query_limits(const struct jp_expr *e, json_t *doc,
	    const struct jp_limits *limits, json_t **values_out,
	    json_t **paths_out, char **cause);

/*
 * Convenience for transforms that expect one value: 0 and a new reference
 * in *value_out if the query selects exactly one node, -ENOENT (with a
 * cause) if it selects none, -ERANGE if more than one.
 */
int	jp_query_one(const struct jp_expr *e, json_t *doc, json_t **value_out,
	    char **cause);

#endif
