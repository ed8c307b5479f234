/*
 * JSONPath (RFC 9535): evaluation of a compiled expression.
 *
 * A query is run segment by segment over nodelists, as the RFC describes
 * it.  Paths are kept only when the caller asks for them, as a chain of
 * parent links allocated in chunks that all go at the end of the query.
 * Every node added to a nodelist, visited by a descendant segment or
 * compared counts as a step against a budget, and every nodelist has a
 * size cap, so a hostile expression or document ends in a clear error
 * rather than unbounded time or memory.  The descendant segment walks the
 * document with an explicit stack, not recursion, for the same reason.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/jsonpath-int.h"

/* One step of a path: a member name, or an array index if key is NULL. */
struct jp_pel {
	const struct jp_pel	*parent;
	const char		*key;
	size_t			 keylen;
	size_t			 index;
};

#define JP_PELCHUNK 512
/* Workspace of the DFA regex matcher, in ints. */
#define JP_DFA_WS	65536

struct jp_pelchunk {
	struct jp_pelchunk	*next;
	size_t			 n;
	struct jp_pel		 v[JP_PELCHUNK];
};

/* The last pattern a match() or search() call site took from a document. */
struct jp_recache {
	char		*pat;
	size_t		 len;
	pcre2_code	*code;
	int		 valid;
};

/* The path of the root node; a NULL path means paths are not kept. */
static const struct jp_pel jp_root_pel;

static int	eval_logical(struct jp_ctx *, const struct jp_node *, json_t *);
static int	eval_call(struct jp_ctx *, const struct jp_node *, json_t *,
		    struct jp_fval *);
static int	eval_query(struct jp_ctx *, const struct jp_query *, json_t *,
		    const struct jp_pel *, struct jp_nodes *);

int
jp_ctx_error(struct jp_ctx *ctx, int error, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (ctx->error != 0)
		return (ctx->error);
	ctx->error = error;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg != NULL) {
		if (asprintf(&ctx->cause, "jsonpath: %s", msg) == -1)
			ctx->cause = NULL;
		free(msg);
	}
	return (error);
}

int
jp_ctx_step(struct jp_ctx *ctx, size_t n)
{
	ctx->steps += n;
	if (ctx->steps > ctx->max_steps)
		return (jp_ctx_error(ctx, -E2BIG, "query exceeded the work "
		    "limit of %zu steps", ctx->max_steps));
	return (0);
}

static void
nodes_free(struct jp_nodes *nl)
{
	free(nl->v);
	memset(nl, 0, sizeof *nl);
}

static int
nodes_add(struct jp_ctx *ctx, struct jp_nodes *nl, json_t *v,
    const struct jp_pel *path)
{
	struct jp_ent	*nv;
	size_t		 ncap;
	int		 error;

	if ((error = jp_ctx_step(ctx, 1)) != 0)
		return (error);
	if (nl->n >= ctx->max_nodes)
		return (jp_ctx_error(ctx, -E2BIG, "a nodelist would hold more "
		    "than %zu nodes", ctx->max_nodes));
	if (nl->n == nl->cap) {
		ncap = nl->cap == 0 ? 8 : nl->cap * 2;
		if ((nv = reallocarray(nl->v, ncap, sizeof *nv)) == NULL)
			return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
		nl->v = nv;
		nl->cap = ncap;
	}
	nl->v[nl->n].v = v;
	nl->v[nl->n].path = path;
	nl->n++;
	return (0);
}

/* The path of a child of a node with path parent; NULL if not kept. */
static int
pel_new(struct jp_ctx *ctx, const struct jp_pel *parent, const char *key,
    size_t keylen, size_t index, const struct jp_pel **out)
{
	struct jp_pelchunk	*c;
	struct jp_pel		*p;

	*out = NULL;
	if (parent == NULL)
		return (0);
	c = ctx->pels;
	if (c == NULL || c->n == JP_PELCHUNK) {
		if ((c = malloc(sizeof *c)) == NULL)
			return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
		c->next = ctx->pels;
		c->n = 0;
		ctx->pels = c;
	}
	p = &c->v[c->n++];
	p->parent = parent;
	p->key = key;
	p->keylen = keylen;
	p->index = index;
	*out = p;
	return (0);
}

static int
add_member(struct jp_ctx *ctx, struct jp_nodes *out, const struct jp_ent *e,
    const char *key, size_t keylen, json_t *v)
{
	const struct jp_pel	*path;
	int			 error;

	if ((error = pel_new(ctx, e->path, key, keylen, 0, &path)) != 0)
		return (error);
	return (nodes_add(ctx, out, v, path));
}

static int
add_element(struct jp_ctx *ctx, struct jp_nodes *out, const struct jp_ent *e,
    size_t i)
{
	const struct jp_pel	*path;
	int			 error;

	if ((error = pel_new(ctx, e->path, NULL, 0, i, &path)) != 0)
		return (error);
	return (nodes_add(ctx, out, json_array_get(e->v, i), path));
}

/* Slice of an array, RFC 9535 section 2.3.4.2.2. */
static int
apply_slice(struct jp_ctx *ctx, const struct jp_sel *sel,
    const struct jp_ent *e, struct jp_nodes *out)
{
	int64_t	len = json_array_size(e->v), step = sel->step;
	int64_t	start, end, lower, upper, i;
	int	error;

	if (step == 0)
		return (0);
	if (step > 0) {
		start = sel->has_start ? sel->start : 0;
		end = sel->has_end ? sel->end : len;
	} else {
		start = sel->has_start ? sel->start : len - 1;
		end = sel->has_end ? sel->end : -len - 1;
	}
	if (start < 0)
		start += len;
	if (end < 0)
		end += len;
	if (step > 0) {
		lower = start < 0 ? 0 : (start > len ? len : start);
		upper = end < 0 ? 0 : (end > len ? len : end);
		for (i = lower; i < upper; i += step) {
			if ((error = add_element(ctx, out, e, i)) != 0)
				return (error);
		}
	} else {
		upper = start < -1 ? -1 : (start > len - 1 ? len - 1 : start);
		lower = end < -1 ? -1 : (end > len - 1 ? len - 1 : end);
		for (i = upper; lower < i; i += step) {
			if ((error = add_element(ctx, out, e, i)) != 0)
				return (error);
		}
	}
	return (0);
}

/* Apply one selector to one node, appending what it selects to out. */
static int
apply_selector(struct jp_ctx *ctx, const struct jp_sel *sel,
    const struct jp_ent *e, struct jp_nodes *out)
{
	json_t		*v;
	void		*it;
	const char	*key;
	size_t		 i, n;
	int64_t		 idx;
	int		 r;

	switch (sel->type) {
	case JP_SEL_NAME:
		if (!json_is_object(e->v))
			return (0);
		v = json_object_getn(e->v, sel->name, sel->namelen);
		if (v == NULL)
			return (0);
		return (add_member(ctx, out, e, sel->name, sel->namelen, v));
	case JP_SEL_INDEX:
		if (!json_is_array(e->v))
			return (0);
		n = json_array_size(e->v);
		idx = sel->index < 0 ? sel->index + (int64_t)n : sel->index;
		if (idx < 0 || idx >= (int64_t)n)
			return (0);
		return (add_element(ctx, out, e, idx));
	case JP_SEL_SLICE:
		if (!json_is_array(e->v))
			return (0);
		return (apply_slice(ctx, sel, e, out));
	case JP_SEL_WILD:
	case JP_SEL_FILTER:
		break;
	}

	if (json_is_array(e->v)) {
		n = json_array_size(e->v);
		for (i = 0; i < n; i++) {
			v = json_array_get(e->v, i);
			if (sel->type == JP_SEL_FILTER) {
				if ((r = eval_logical(ctx, sel->filter, v)) < 0)
					return (r);
				if (r == 0)
					continue;
			}
			if ((r = add_element(ctx, out, e, i)) != 0)
				return (r);
		}
	} else if (json_is_object(e->v)) {
		for (it = json_object_iter(e->v); it != NULL;
		    it = json_object_iter_next(e->v, it)) {
			key = json_object_iter_key(it);
			v = json_object_iter_value(it);
			if (sel->type == JP_SEL_FILTER) {
				if ((r = eval_logical(ctx, sel->filter, v)) < 0)
					return (r);
				if (r == 0)
					continue;
			}
			r = add_member(ctx, out, e, key,
			    json_object_iter_key_len(it), v);
			if (r != 0)
				return (r);
		}
	}
	return (0);
}

static int
apply_selectors(struct jp_ctx *ctx, const struct jp_seg *seg,
    const struct jp_ent *e, struct jp_nodes *out)
{
	size_t	i;
	int	error;

	for (i = 0; i < seg->nsels; i++) {
		if ((error = apply_selector(ctx, &seg->sels[i], e, out)) != 0)
			return (error);
	}
	return (0);
}

/* A container being walked by a descendant segment. */
struct jp_walk {
	struct jp_ent	 e;
	size_t		 i;
	void		*it;
};

static int
walk_push(struct jp_ctx *ctx, struct jp_walk **stack, size_t *n, size_t *cap,
    const struct jp_ent *e)
{
	struct jp_walk	*w;
	size_t		 ncap;

	if (json_is_array(e->v) ? json_array_size(e->v) == 0 :
	    (!json_is_object(e->v) || json_object_size(e->v) == 0))
		return (0);
	if (*n >= JP_MAX_DOC_DEPTH)
		return (jp_ctx_error(ctx, -E2BIG, "document nested deeper "
		    "than %d levels", JP_MAX_DOC_DEPTH));
	if (*n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if ((w = reallocarray(*stack, ncap, sizeof *w)) == NULL)
			return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
		*stack = w;
		*cap = ncap;
	}
	w = &(*stack)[(*n)++];
	w->e = *e;
	w->i = 0;
	w->it = json_is_object(e->v) ? json_object_iter(e->v) : NULL;
	return (0);
}

/*
 * Descendant segment on one node: the node, then its descendants in
 * document order (each node before its children), each given the
 * segment's selectors in turn.
 */
static int
apply_descendant(struct jp_ctx *ctx, const struct jp_seg *seg,
    const struct jp_ent *start, struct jp_nodes *out)
{
	struct jp_walk	*stack = NULL, *w;
	struct jp_ent	 child;
	size_t		 n = 0, cap = 0;
	int		 error;

	if ((error = jp_ctx_step(ctx, 1)) != 0 ||
	    (error = apply_selectors(ctx, seg, start, out)) != 0 ||
	    (error = walk_push(ctx, &stack, &n, &cap, start)) != 0)
		goto out;
	while (n > 0) {
		w = &stack[n - 1];
		if (json_is_array(w->e.v)) {
			if (w->i >= json_array_size(w->e.v)) {
				n--;
				continue;
			}
			child.v = json_array_get(w->e.v, w->i);
			error = pel_new(ctx, w->e.path, NULL, 0, w->i,
			    &child.path);
			w->i++;
		} else {
			if (w->it == NULL) {
				n--;
				continue;
			}
			child.v = json_object_iter_value(w->it);
			error = pel_new(ctx, w->e.path,
			    json_object_iter_key(w->it),
			    json_object_iter_key_len(w->it), 0, &child.path);
			w->it = json_object_iter_next(w->e.v, w->it);
		}
		if (error != 0 ||
		    (error = jp_ctx_step(ctx, 1)) != 0 ||
		    (error = apply_selectors(ctx, seg, &child, out)) != 0 ||
		    (error = walk_push(ctx, &stack, &n, &cap, &child)) != 0)
			goto out;
	}
out:
	free(stack);
	return (error);
}

/* Run a query from cur ('@') or the root ('$'); out is a new nodelist. */
static int
eval_query(struct jp_ctx *ctx, const struct jp_query *q, json_t *cur,
    const struct jp_pel *path, struct jp_nodes *out)
{
	struct jp_nodes		 in, next;
	const struct jp_seg	*seg;
	size_t			 i, j;
	int			 error;

	memset(&in, 0, sizeof in);
	memset(&next, 0, sizeof next);
	if ((error = nodes_add(ctx, &in, q->relative ? cur : ctx->root,
	    path)) != 0)
		goto out;
	for (i = 0; i < q->nsegs; i++) {
		seg = &q->segs[i];
		for (j = 0; j < in.n; j++) {
			if (seg->descendant)
				error = apply_descendant(ctx, seg, &in.v[j],
				    &next);
			else
				error = apply_selectors(ctx, seg, &in.v[j],
				    &next);
			if (error != 0)
				goto out;
		}
		nodes_free(&in);
		in = next;
		memset(&next, 0, sizeof next);
	}
	*out = in;
	memset(&in, 0, sizeof in);
out:
	nodes_free(&in);
	nodes_free(&next);
	return (error);
}

/* A singular query, walked directly: the value or NULL for Nothing. */
static int
eval_singular(struct jp_ctx *ctx, const struct jp_query *q, json_t *cur,
    json_t **out)
{
	const struct jp_sel	*sel;
	json_t			*v = q->relative ? cur : ctx->root;
	size_t			 i, n;
	int64_t			 idx;
	int			 error;

	if ((error = jp_ctx_step(ctx, q->nsegs + 1)) != 0)
		return (error);
	for (i = 0; i < q->nsegs && v != NULL; i++) {
		sel = &q->segs[i].sels[0];
		if (sel->type == JP_SEL_NAME) {
			if (!json_is_object(v))
				v = NULL;
			else
				v = json_object_getn(v, sel->name,
				    sel->namelen);
		} else {
			if (!json_is_array(v)) {
				v = NULL;
				continue;
			}
			n = json_array_size(v);
			idx = sel->index < 0 ? sel->index + (int64_t)n :
			    sel->index;
			if (idx < 0 || idx >= (int64_t)n)
				v = NULL;
			else
				v = json_array_get(v, idx);
		}
	}
	*out = v;
	return (0);
}

static void
fval_clear(struct jp_fval *fv)
{
	if (fv->owned != NULL)
		json_decref(fv->owned);
	nodes_free(&fv->nodes);
	memset(fv, 0, sizeof *fv);
}

/* A comparable or ValueType argument: literal, singular query, function. */
static int
eval_value(struct jp_ctx *ctx, const struct jp_node *n, json_t *cur,
    struct jp_fval *out)
{
	memset(out, 0, sizeof *out);
	out->type = JP_T_VALUE;
	switch (n->type) {
	case JP_N_LITERAL:
		out->v = n->lit;
		return (0);
	case JP_N_QUERY:
		return (eval_singular(ctx, n->query, cur, &out->v));
	case JP_N_FUNC:
		return (eval_call(ctx, n, cur, out));
	default:
		return (jp_ctx_error(ctx, -EINVAL, "internal error: "
		    "node %d is not a value", n->type));
	}
}

static int
is_number(const json_t *v)
{
	return (json_is_integer(v) || json_is_real(v));
}

/* Deep equality, numbers by value (1 == 1.0); 1, 0 or an error. */
static int
values_equal(struct jp_ctx *ctx, json_t *a, json_t *b, u_int depth)
{
	const char	*key;
	json_t		*bv;
	void		*it;
	size_t		 i, n;
	int		 r;

	if ((r = jp_ctx_step(ctx, 1)) != 0)
		return (r);
	if (depth > JP_MAX_DOC_DEPTH)
		return (jp_ctx_error(ctx, -E2BIG, "document nested deeper "
		    "than %d levels", JP_MAX_DOC_DEPTH));
	if (is_number(a) && is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return (json_integer_value(a) == json_integer_value(b));
		return (json_number_value(a) == json_number_value(b));
	}
	if (json_typeof(a) != json_typeof(b))
		return (0);
	switch (json_typeof(a)) {
	case JSON_STRING:
		n = json_string_length(a);
		return (n == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b), n) == 0);
	case JSON_ARRAY:
		n = json_array_size(a);
		if (n != json_array_size(b))
			return (0);
		for (i = 0; i < n; i++) {
			r = values_equal(ctx, json_array_get(a, i),
			    json_array_get(b, i), depth + 1);
			if (r <= 0)
				return (r);
		}
		return (1);
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return (0);
		for (it = json_object_iter(a); it != NULL;
		    it = json_object_iter_next(a, it)) {
			key = json_object_iter_key(it);
			bv = json_object_getn(b, key,
			    json_object_iter_key_len(it));
			if (bv == NULL)
				return (0);
			r = values_equal(ctx, json_object_iter_value(it), bv,
			    depth + 1);
			if (r <= 0)
				return (r);
		}
		return (1);
	default:
		/* true, false, null: the type is the value. */
		return (1);
	}
}

/* a < b: numbers by value, strings by code points, else false. */
static int
value_less(const json_t *a, const json_t *b)
{
	size_t	la, lb;
	int	r;

	if (a == NULL || b == NULL)
		return (0);
	if (is_number(a) && is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return (json_integer_value(a) < json_integer_value(b));
		return (json_number_value(a) < json_number_value(b));
	}
	if (json_is_string(a) && json_is_string(b)) {
		/* UTF-8 byte order is code point order. */
		la = json_string_length(a);
		lb = json_string_length(b);
		r = memcmp(json_string_value(a), json_string_value(b),
		    la < lb ? la : lb);
		return (r < 0 || (r == 0 && la < lb));
	}
	return (0);
}

/* Equality where either side may be Nothing (NULL). */
static int
compare_equal(struct jp_ctx *ctx, json_t *a, json_t *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (values_equal(ctx, a, b, 0));
}

static int
eval_compare(struct jp_ctx *ctx, const struct jp_node *n, json_t *cur)
{
	struct jp_fval	a, b;
	int		r;

	memset(&b, 0, sizeof b);
	if ((r = eval_value(ctx, n->a, cur, &a)) != 0 ||
	    (r = eval_value(ctx, n->b, cur, &b)) != 0)
		goto out;
	switch (n->op) {
	case JP_EQ:
		r = compare_equal(ctx, a.v, b.v);
		break;
	case JP_NE:
		r = compare_equal(ctx, a.v, b.v);
		if (r >= 0)
			r = !r;
		break;
	case JP_LT:
		r = value_less(a.v, b.v);
		break;
	case JP_GT:
		r = value_less(b.v, a.v);
		break;
	case JP_LE:
		r = value_less(a.v, b.v);
		if (r == 0)
			r = compare_equal(ctx, a.v, b.v);
		break;
	case JP_GE:
		r = value_less(b.v, a.v);
		if (r == 0)
			r = compare_equal(ctx, a.v, b.v);
		break;
	}
out:
	fval_clear(&a);
	fval_clear(&b);
	return (r);
}

/* A logical-expr with '@' bound to cur: 1, 0 or an error. */
static int
eval_logical(struct jp_ctx *ctx, const struct jp_node *n, json_t *cur)
{
	struct jp_fval	fv;
	struct jp_nodes	nl;
	int		r;

	switch (n->type) {
	case JP_N_OR:
		if ((r = eval_logical(ctx, n->a, cur)) != 0)
			return (r);
		return (eval_logical(ctx, n->b, cur));
	case JP_N_AND:
		if ((r = eval_logical(ctx, n->a, cur)) <= 0)
			return (r);
		return (eval_logical(ctx, n->b, cur));
	case JP_N_NOT:
		if ((r = eval_logical(ctx, n->a, cur)) < 0)
			return (r);
		return (!r);
	case JP_N_CMP:
		return (eval_compare(ctx, n, cur));
	case JP_N_EXIST:
		if (n->a->type == JP_N_QUERY) {
			memset(&nl, 0, sizeof nl);
			r = eval_query(ctx, n->a->query, cur, NULL, &nl);
			if (r == 0)
				r = nl.n != 0;
			nodes_free(&nl);
			return (r);
		}
		if ((r = eval_call(ctx, n->a, cur, &fv)) == 0)
			r = fv.nodes.n != 0;
		fval_clear(&fv);
		return (r);
	case JP_N_FUNC:
		if ((r = eval_call(ctx, n, cur, &fv)) == 0)
			r = fv.logical;
		fval_clear(&fv);
		return (r);
	default:
		return (jp_ctx_error(ctx, -EINVAL, "internal error: "
		    "node %d is not logical", n->type));
	}
}

/* Evaluate the arguments of a call, then call it. */
static int
eval_call(struct jp_ctx *ctx, const struct jp_node *n, json_t *cur,
    struct jp_fval *out)
{
	const struct jp_func	*f = n->func;
	struct jp_fval		 args[2];
	const struct jp_node	*a;
	size_t			 i;
	int			 error = 0, r;

	memset(out, 0, sizeof *out);
	memset(args, 0, sizeof args);
	out->type = f->result;
	if ((error = jp_ctx_step(ctx, 1)) != 0)
		return (error);
	for (i = 0; i < n->nargs && i < 2; i++) {
		a = n->args[i];
		args[i].type = f->args[i];
		switch (f->args[i]) {
		case JP_T_VALUE:
			error = eval_value(ctx, a, cur, &args[i]);
			break;
		case JP_T_NODES:
			if (a->type == JP_N_QUERY)
				error = eval_query(ctx, a->query, cur, NULL,
				    &args[i].nodes);
			else
				error = eval_call(ctx, a, cur, &args[i]);
			args[i].type = JP_T_NODES;
			break;
		case JP_T_LOGICAL:
			if ((r = eval_logical(ctx, a, cur)) < 0)
				error = r;
			else
				args[i].logical = r;
			break;
		}
		if (error != 0)
			goto out;
	}
	error = f->eval(ctx, n, args, out);
out:
	for (i = 0; i < 2; i++)
		fval_clear(&args[i]);
	return (error);
}

/* Append s to a growing buffer. */
struct jp_buf {
	char	*s;
	size_t	 n;
	size_t	 cap;
};

static int
buf_add(struct jp_buf *b, const char *s, size_t len)
{
	char	*ns;
	size_t	 ncap;

	if (b->cap - b->n < len + 1) {
		ncap = b->cap == 0 ? 64 : b->cap;
		while (ncap - b->n < len + 1)
			ncap *= 2;
		if ((ns = realloc(b->s, ncap)) == NULL)
			return (-ENOMEM);
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->n, s, len);
	b->n += len;
	b->s[b->n] = '\0';
	return (0);
}

/* A member name in a normalized path, escaped as RFC 9535 2.7 says. */
static int
buf_add_name(struct jp_buf *b, const char *key, size_t len)
{
	char		 esc[8];
	const char	*rep;
	size_t		 i, run = 0;
	u_char		 c;

	for (i = 0; i < len; i++) {
		c = key[i];
		switch (c) {
		case '\b':
			rep = "\\b";
			break;
		case '\f':
			rep = "\\f";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\t':
			rep = "\\t";
			break;
		case '\'':
			rep = "\\'";
			break;
		case '\\':
			rep = "\\\\";
			break;
		default:
			if (c >= 0x20) {
				run++;
				continue;
			}
			snprintf(esc, sizeof esc, "\\u%04x", c);
			rep = esc;
			break;
		}
		if (buf_add(b, key + i - run, run) != 0 ||
		    buf_add(b, rep, strlen(rep)) != 0)
			return (-ENOMEM);
		run = 0;
	}
	return (buf_add(b, key + len - run, run));
}

/* The normalized path of a node, "$['a'][0]", as a new JSON string. */
static int
path_string(struct jp_ctx *ctx, const struct jp_pel *path, json_t **out)
{
	const struct jp_pel	**chain = NULL, *p;
	struct jp_buf		  b;
	char			  num[32];
	size_t			  n = 0, i;
	int			  error = -ENOMEM;

	memset(&b, 0, sizeof b);
	for (p = path; p != NULL && p != &jp_root_pel; p = p->parent)
		n++;
	if (n > 0 && (chain = reallocarray(NULL, n, sizeof *chain)) == NULL)
		goto out;
	i = n;
	for (p = path; p != NULL && p != &jp_root_pel; p = p->parent)
		chain[--i] = p;
	if (buf_add(&b, "$", 1) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		p = chain[i];
		if (p->key == NULL) {
			snprintf(num, sizeof num, "[%zu]", p->index);
			if (buf_add(&b, num, strlen(num)) != 0)
				goto out;
			continue;
		}
		if (buf_add(&b, "['", 2) != 0 ||
		    buf_add_name(&b, p->key, p->keylen) != 0 ||
		    buf_add(&b, "']", 2) != 0)
			goto out;
	}
	if ((*out = json_stringn_nocheck(b.s, b.n)) == NULL)
		goto out;
	error = 0;
out:
	if (error != 0)
		jp_ctx_error(ctx, error, "out of memory");
	free(chain);
	free(b.s);
	return (error);
}

int
jp_query_limits(const struct jp_expr *e, json_t *doc,
    const struct jp_limits *limits, json_t **values_out, json_t **paths_out,
    char **cause)
{
	struct jp_ctx		 ctx;
	struct jp_nodes		 nl;
	struct jp_pelchunk	*c;
	struct jp_recache	*rc;
	json_t			*values = NULL, *paths = NULL, *s;
	size_t			 i;
	int			 error;

	*values_out = NULL;
	if (paths_out != NULL)
		*paths_out = NULL;
	if (cause != NULL)
		*cause = NULL;
	memset(&ctx, 0, sizeof ctx);
	memset(&nl, 0, sizeof nl);
	ctx.root = doc;
	ctx.max_nodes = JP_MAX_NODES;
	ctx.max_steps = JP_MAX_STEPS;
	if (limits != NULL && limits->max_nodes != 0)
		ctx.max_nodes = limits->max_nodes;
	if (limits != NULL && limits->max_steps != 0)
		ctx.max_steps = limits->max_steps;
	if (doc == NULL) {
		error = jp_ctx_error(&ctx, -EINVAL, "no document");
		goto out;
	}
	if (e->nslots > 0) {
		ctx.recache = calloc(e->nslots, sizeof *ctx.recache);
		if (ctx.recache == NULL) {
			error = jp_ctx_error(&ctx, -ENOMEM, "out of memory");
			goto out;
		}
		ctx.nrecache = e->nslots;
	}

	error = eval_query(&ctx, e->query, doc,
	    paths_out != NULL ? &jp_root_pel : NULL, &nl);
	if (error != 0)
		goto out;

	if ((values = json_array()) == NULL ||
	    (paths_out != NULL && (paths = json_array()) == NULL)) {
		error = jp_ctx_error(&ctx, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nl.n; i++) {
		if (json_array_append(values, nl.v[i].v) != 0) {
			error = jp_ctx_error(&ctx, -ENOMEM, "out of memory");
			goto out;
		}
		if (paths == NULL)
			continue;
		if ((error = path_string(&ctx, nl.v[i].path, &s)) != 0)
			goto out;
		if (json_array_append_new(paths, s) != 0) {
			error = jp_ctx_error(&ctx, -ENOMEM, "out of memory");
			goto out;
		}
	}
	*values_out = values;
	values = NULL;
	if (paths_out != NULL) {
		*paths_out = paths;
		paths = NULL;
	}

out:
	if (values != NULL)
		json_decref(values);
	if (paths != NULL)
		json_decref(paths);
	nodes_free(&nl);
	while ((c = ctx.pels) != NULL) {
		ctx.pels = c->next;
		free(c);
	}
	for (i = 0; i < ctx.nrecache; i++) {
		rc = &ctx.recache[i];
		free(rc->pat);
		if (rc->code != NULL)
			pcre2_code_free(rc->code);
	}
	free(ctx.recache);
	if (ctx.md != NULL)
		pcre2_match_data_free(ctx.md);
	free(ctx.ws);
	if (error != 0 && cause != NULL) {
		*cause = ctx.cause;
		ctx.cause = NULL;
	}
	free(ctx.cause);
	return (error);
}

int
jp_query(const struct jp_expr *e, json_t *doc, json_t **values_out,
    json_t **paths_out, char **cause)
{
	return (jp_query_limits(e, doc, NULL, values_out, paths_out, cause));
}

int
jp_query_one(const struct jp_expr *e, json_t *doc, json_t **value_out,
    char **cause)
{
	json_t	*values;
	size_t	 n;
	int	 error;

	*value_out = NULL;
	if ((error = jp_query(e, doc, &values, NULL, cause)) != 0)
		return (error);
	n = json_array_size(values);
	if (n == 1) {
		*value_out = json_incref(json_array_get(values, 0));
		json_decref(values);
		return (0);
	}
	json_decref(values);
	if (cause != NULL && asprintf(cause, "jsonpath: %s selects %s",
	    e->src, n == 0 ? "nothing" : "more than one value") == -1)
		*cause = NULL;
	return (n == 0 ? -ENOENT : -ERANGE);
}

/*
 * match() and search(): does subject match the pattern?  Patterns that
 * are literals were compiled with the expression; others are compiled
 * here, once per distinct pattern in a row at each call site.  The DFA
 * matcher needs a workspace for the states alive at once; it starts small
 * and grows, and a pattern that needs more than JP_DFA_WS ints is refused
 * as too complex.
 */
int
jp_regex_match(struct jp_ctx *ctx, const struct jp_node *call, json_t *subject,
    json_t *pattern, int *matched)
{
	struct jp_recache	*rc;
	const pcre2_code	*code;
	const char		*pat;
	size_t			 len, size;
	int			 rv, error;

	*matched = 0;
	if (!json_is_string(subject) || !json_is_string(pattern))
		return (0);
	if (call->args[1]->type == JP_N_LITERAL) {
		if (call->re_invalid)
			return (0);
		code = call->re;
	} else {
		rc = &ctx->recache[call->slot];
		pat = json_string_value(pattern);
		len = json_string_length(pattern);
		if (rc->pat == NULL || rc->len != len ||
		    memcmp(rc->pat, pat, len) != 0) {
			free(rc->pat);
			if (rc->code != NULL)
				pcre2_code_free(rc->code);
			rc->code = NULL;
			rc->valid = 0;
			if ((rc->pat = malloc(len + 1)) == NULL)
				return (jp_ctx_error(ctx, -ENOMEM,
				    "out of memory"));
			memcpy(rc->pat, pat, len);
			rc->len = len;
			error = jp_regex_compile(pat, len,
			    strcmp(call->func->name, "match") == 0, &rc->code);
			if (error == -ENOMEM)
				return (jp_ctx_error(ctx, error,
				    "out of memory"));
			rc->valid = error == 0;
		}
		if (!rc->valid)
			return (0);
		code = rc->code;
	}
	/* Charge the subject times the pattern: the bound on DFA work. */
	if (pcre2_pattern_info(code, PCRE2_INFO_SIZE, &size) != 0)
		size = 0;
	len = json_string_length(subject);
	if ((error = jp_ctx_step(ctx, (len + 1) * (1 + size / 256))) != 0)
		return (error);
	if (ctx->md == NULL &&
	    (ctx->md = pcre2_match_data_create(1, NULL)) == NULL)
		return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
	for (;;) {
		if (ctx->ws == NULL) {
			ctx->nws = 1024;
			ctx->ws = reallocarray(NULL, ctx->nws, sizeof *ctx->ws);
			if (ctx->ws == NULL)
				return (jp_ctx_error(ctx, -ENOMEM,
				    "out of memory"));
		}
		rv = pcre2_dfa_match(code,
		    (PCRE2_SPTR)json_string_value(subject), len, 0,
		    PCRE2_DFA_SHORTEST, ctx->md, NULL, ctx->ws, ctx->nws);
		if (rv != PCRE2_ERROR_DFA_WSSIZE || ctx->nws >= JP_DFA_WS)
			break;
		/* Grow the workspace and try again. */
		free(ctx->ws);
		ctx->nws *= 4;
		if ((ctx->ws = reallocarray(NULL, ctx->nws,
		    sizeof *ctx->ws)) == NULL)
			return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
	}
	if (rv >= 0) {
		*matched = 1;
		return (0);
	}
	switch (rv) {
	case PCRE2_ERROR_DFA_WSSIZE:
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
		return (jp_ctx_error(ctx, -E2BIG, "%s(): the regular "
		    "expression is too complex to run on this value",
		    call->func->name));
	case PCRE2_ERROR_NOMEMORY:
		return (jp_ctx_error(ctx, -ENOMEM, "out of memory"));
	default:
		/* No match, or a subject that is not valid UTF-8. */
		return (0);
	}
}
