/*
 * Templates: the compiled form shared by the parser (template.c) and the
 * renderer (template-render.c).  Not for use outside those two files.
 *
 * A template is a tree: a body is a list of nodes; a node is literal text,
 * an output tag, a conditional (a list of branches, the last one possibly
 * an else) or a loop.  Expressions and conditions are small trees of
 * their own.  Every node keeps the byte offset it came from, so errors at
 * render time can say line:column.
 */
#ifndef VB_PROVIDER_TEMPLATE_INT_H
#define VB_PROVIDER_TEMPLATE_INT_H

#include <stddef.h>

#include <jansson.h>

#include "provider/template.h"

/* Nesting of not, and, or and parentheses within one condition. */
#define TPL_MAX_COND_DEPTH	32
/* Nodes (text and tags) executed in one render, loop bodies included. */
#define TPL_MAX_STEPS		2000000
/* Bytes that filters and comparisons may touch in one render. */
#define TPL_MAX_WORK		(16 * TPL_MAX_OUTPUT)

enum tpl_step_kind {
	TPL_STEP_FIELD,		/* .name, ["name"] or the colon form */
	TPL_STEP_INDEX,		/* [n] */
};

struct tpl_step {
	enum tpl_step_kind	 kind;
	char			*name;
	long long		 index;
};

enum tpl_expr_kind {
	TPL_EXPR_PATH,
	TPL_EXPR_DOT,		/* .X or . : relative to the current data */
	TPL_EXPR_CALL,
	TPL_EXPR_CONST,
};

enum tpl_func {
	TPL_FUNC_NOW,
	TPL_FUNC_UUID,
};

struct tpl_expr {
	enum tpl_expr_kind	 kind;
	int			 off;
	char			*text;		/* as written, for messages */
	char			*root;		/* TPL_EXPR_PATH */
	struct tpl_step		*steps;
	size_t			 nsteps;
	enum tpl_func		 func;		/* TPL_EXPR_CALL */
	json_t			*value;		/* TPL_EXPR_CONST */
};

enum tpl_filter_kind {
	TPL_FILTER_JSON,
	TPL_FILTER_URL,
	TPL_FILTER_BASE64,
	TPL_FILTER_DEFAULT,
	TPL_FILTER_UPPER,
	TPL_FILTER_LOWER,
	TPL_FILTER_TRIM,
	TPL_FILTER_JOIN,
	TPL_FILTER_LENGTH,
	TPL_FILTER_NETWORK,
	TPL_FILTER_NETMASK,
	TPL_FILTER_WILDCARD,
	TPL_FILTER_PREFIXLEN,
};

struct tpl_filter {
	enum tpl_filter_kind	 kind;
	int			 off;
	struct tpl_expr		**args;
	size_t			 nargs;
};

enum tpl_cond_kind {
	TPL_COND_EXPR,
	TPL_COND_NOT,
	TPL_COND_AND,
	TPL_COND_OR,
	TPL_COND_EQ,
	TPL_COND_NE,
};

struct tpl_cond {
	enum tpl_cond_kind	 kind;
	struct tpl_cond		*l, *r;		/* not, and, or */
	struct tpl_expr		*a, *b;		/* expr, eq, ne */
};

enum tpl_node_kind {
	TPL_NODE_TEXT,
	TPL_NODE_OUTPUT,
	TPL_NODE_IF,
	TPL_NODE_FOR,
};

struct tpl_node;

struct tpl_body {
	struct tpl_node	**v;
	size_t		  n;
	size_t		  cap;
};

struct tpl_branch {
	struct tpl_cond	*cond;		/* NULL: else */
	struct tpl_body	 body;
};

struct tpl_node {
	enum tpl_node_kind	 kind;
	int			 off;
	/* text: points into the template's copy of the source */
	const char		*text;
	size_t			 len;
	/* output */
	struct tpl_expr		*expr;
	struct tpl_filter	*filters;
	size_t			 nfilters;
	/* if */
	struct tpl_branch	*branches;
	size_t			 nbranches;
	/* for: var is NULL for range, which moves the dot instead */
	char			*var;
	struct tpl_expr		*list;
	struct tpl_body		 body;
};

struct tpl {
	char		*src;
	size_t		 len;
	struct tpl_body	 body;
};

/* Fill err (may be NULL) for byte offset off of src (off -1: no place). */
void	tpl_set_error(struct tpl_error *err, const char *src, int off,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
