#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/xmalloc.h"

#define DIAG_DEFAULT_LIMIT	200

void
diags_init(struct diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = xstrdup(file);
	d->limit = DIAG_DEFAULT_LIMIT;
}

void
diags_free(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

void
diag_add(struct diags *d, enum diag_severity sev, int line, int column,
    const char *path, const char *fmt, ...)
{
	struct diag *g;
	va_list ap;
	char *msg;

	if (sev == DIAG_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	if (d->n >= d->limit)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = xstrdup("(out of memory formatting message)");
	va_end(ap);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->severity = sev;
	g->line = line;
	g->column = column;
	g->path = xstrdup(path != NULL ? path : "");
	g->msg = msg;
}

static void
diag_format(const struct diags *d, const struct diag *g, char *buf, size_t len)
{
	const char *sev = g->severity == DIAG_ERROR ? "error" : "warning";

	if (g->path[0] != '\0')
		snprintf(buf, len, "%s:%d:%d: %s: %s: %s", d->file, g->line,
		    g->column, sev, g->path, g->msg);
	else
		snprintf(buf, len, "%s:%d:%d: %s: %s", d->file, g->line,
		    g->column, sev, g->msg);
}

/* Order by place in the file; equal places keep the order found. */
static int
diag_cmp(const void *a, const void *b)
{
	const struct diag *x = *(const struct diag *const *)a;
	const struct diag *y = *(const struct diag *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x < y ? -1 : x > y;
}

void
diags_print(const struct diags *d, FILE *fp)
{
	const struct diag **order;
	char buf[1024];
	size_t i;

	if (d->n == 0)
		goto out;
	order = xcalloc(d->n, sizeof(*order));
	for (i = 0; i < d->n; i++)
		order[i] = &d->v[i];
	qsort(order, d->n, sizeof(*order), diag_cmp);
	for (i = 0; i < d->n; i++) {
		diag_format(d, order[i], buf, sizeof(buf));
		fprintf(fp, "%s\n", buf);
	}
	free(order);
out:
	if (d->n < d->nerrors + d->nwarnings)
		fprintf(fp, "%s: %zu more problems not shown\n", d->file,
		    d->nerrors + d->nwarnings - d->n);
}

char *
diags_first_error(const struct diags *d)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].severity != DIAG_ERROR)
			continue;
		diag_format(d, &d->v[i], buf, sizeof(buf));
		return xstrdup(buf);
	}
	return NULL;
}
