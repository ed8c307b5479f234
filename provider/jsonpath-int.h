/*
 * JSONPath internals shared by the parser (jsonpath.c), the evaluator
 * (jsonpath-eval.c), the function extensions (jsonpath-func.c) and the
 * I-Regexp translator (jsonpath-iregexp.c).  Not for other modules.
 */
#ifndef VB_PROVIDER_JSONPATH_INT_H
#define VB_PROVIDER_JSONPATH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "provider/jsonpath.h"

/* Largest index or slice bound an expression may hold (I-JSON, 2^53-1). */
#define JP_MAX_INT	INT64_C(9007199254740991)

/* The types of RFC 9535 section 2.4.1. */
enum jp_type {
	JP_T_VALUE,
	JP_T_LOGICAL,
	JP_T_NODES
};

enum jp_seltype {
	JP_SEL_NAME,
	JP_SEL_WILD,
	JP_SEL_INDEX,
	JP_SEL_SLICE,
	JP_SEL_FILTER
};

struct jp_node;

struct jp_sel {
	enum jp_seltype		 type;
	char			*name;		/* JP_SEL_NAME, may hold NUL */
	size_t			 namelen;
	int64_t			 index;		/* JP_SEL_INDEX */
	int64_t			 start;		/* JP_SEL_SLICE */
	int64_t			 end;
	int64_t			 step;
	int			 has_start;
	int			 has_end;
	struct jp_node		*filter;	/* JP_SEL_FILTER, logical */
};

struct jp_seg {
	int			 descendant;
	int			 blank;		/* blank space inside brackets */
	struct jp_sel		*sels;
	size_t			 nsels;
};

/* A query: '$' or '@' followed by segments. */
struct jp_query {
	int			 relative;	/* starts at '@' */
	int			 singular;
	struct jp_seg		*segs;
	size_t			 nsegs;
};

enum jp_ntype {
	JP_N_OR,		/* a || b */
	JP_N_AND,		/* a && b */
	JP_N_NOT,		/* !a */
	JP_N_EXIST,		/* a (query or nodes function) is not empty */
	JP_N_CMP,		/* a op b */
	JP_N_LITERAL,		/* lit */
	JP_N_QUERY,		/* query */
	JP_N_FUNC		/* func(args) */
};

enum jp_cmpop {
	JP_EQ,
	JP_NE,
	JP_LT,
	JP_LE,
	JP_GT,
	JP_GE
};

struct jp_func;

/* A node of a filter expression. */
struct jp_node {
	enum jp_ntype		 type;
	size_t			 pos;		/* 1-based, for messages */
	struct jp_node		*a;
	struct jp_node		*b;
	enum jp_cmpop		 op;
	json_t			*lit;
	struct jp_query		*query;
	const struct jp_func	*func;
	struct jp_node		**args;
	size_t			 nargs;
	/* match() and search() with a literal pattern: compiled once. */
	pcre2_code		*re;
	int			 re_invalid;
	size_t			 slot;		/* per-query regex cache index */
};

struct jp_expr {
	char			*src;
	struct jp_query		*query;
	size_t			 nslots;
};

/* A node of the document: its value and, when asked for, its path. */
struct jp_pel;
struct jp_ent {
	json_t			*v;
	const struct jp_pel	*path;
};

struct jp_nodes {
	struct jp_ent		*v;
	size_t			 n;
	size_t			 cap;
};

/* The value of a function argument or result (RFC 9535 section 2.4.1). */
struct jp_fval {
	enum jp_type		 type;
	json_t			*v;		/* value, NULL for Nothing */
	json_t			*owned;		/* reference to drop, or NULL */
	int			 logical;
	struct jp_nodes		 nodes;
};

struct jp_ctx;

/* A function extension: name, declared types, and how to run it. */
struct jp_func {
	const char		*name;
	enum jp_type		 result;
	size_t			 nargs;
	enum jp_type		 args[2];
	int			 regex;		/* second argument is a pattern */
	int			(*eval)(struct jp_ctx *, const struct jp_node *,
				    struct jp_fval *, struct jp_fval *);
};

const struct jp_func *jp_func_find(const char *name, size_t len);

/* Evaluation state of one jp_query() call. */
struct jp_ctx {
	json_t			*root;
	size_t			 max_nodes;
	size_t			 max_steps;
	size_t			 steps;
	int			 error;
	char			*cause;
	struct jp_pelchunk	*pels;
	/* Per-call-site cache of the last pattern taken from the document. */
	struct jp_recache	*recache;
	size_t			 nrecache;
	pcre2_match_data	*md;
	int			*ws;		/* DFA workspace */
	size_t			 nws;
};

/* Set the context's error once (the first error wins); returns it. */
int	jp_ctx_error(struct jp_ctx *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Count one unit of work; negative once the budget is spent. */
int	jp_ctx_step(struct jp_ctx *, size_t);


/* Regex support for match() and search(). */
int	jp_regex_compile(const char *, size_t, int, pcre2_code **);
int	jp_regex_match(struct jp_ctx *, const struct jp_node *, json_t *,
	    json_t *, int *);

/*
 * Translate an I-Regexp (RFC 9485) of len bytes to a PCRE2 pattern; *out
 * is a new NUL-terminated string of *outlen bytes (it may hold NUL bytes).
 * Returns 0, -EINVAL if the pattern is not a valid I-Regexp, or -ENOMEM.
 */
int	jp_iregexp_to_pcre(const char *, size_t, char **, size_t *);

/* Decode one UTF-8 character; its length, or 0 if invalid. */
size_t	jp_utf8_decode(const char *, size_t, uint32_t *);

void	jp_query_free(struct jp_query *);
void	jp_node_free(struct jp_node *);

#endif
