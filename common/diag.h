/*
 * Diagnostics: a list of problems found in one pass over a file, each with
 * its place (file:line:column), the key path it concerns, and a message.
 * Parsers keep going after an error and add every problem here, so one run
 * reports them all (relayd's config parser does the same).
 */
#ifndef VB_COMMON_DIAG_H
#define VB_COMMON_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_severity {
	DIAG_ERROR = 0,
	DIAG_WARNING,
};

struct diag {
	enum diag_severity severity;
	int		 line;		/* 1-based; 0 = whole file */
	int		 column;	/* 1-based; 0 = unknown */
	char		*path;		/* key path such as networks[1].gateway */
	char		*msg;
};

struct diags {
	char		*file;
	struct diag	*v;
	size_t		 n;
	size_t		 cap;
	size_t		 nerrors;
	size_t		 nwarnings;
	size_t		 limit;		/* stop recording after this many */
};

void	diags_init(struct diags *d, const char *file);
void	diags_free(struct diags *d);
void	diag_add(struct diags *d, enum diag_severity sev, int line, int column,
	    const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* Print each as "file:line:column: error: path: message". */
void	diags_print(const struct diags *d, FILE *fp);
/* The first error formatted as above, allocated; NULL if none. */
char	*diags_first_error(const struct diags *d);

#endif
