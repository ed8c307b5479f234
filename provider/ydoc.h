/*
 * ydoc: a bounded YAML reader that keeps positions.
 *
 * libyaml's events are assembled into a small tree of maps, sequences and
 * scalars, each node carrying the line and column where it starts, so that
 * every later check can say file:line:column.  Shared by the provider
 * dictionary loader and the broker's configuration.
 *
 * It is strict where YAML is dangerous or ambiguous for configuration:
 * anchors and aliases are refused (no billion-laughs expansion, no hidden
 * sharing), duplicate keys are errors, keys must be scalars, and size,
 * depth and node count are capped.  Only the first document of a stream is
 * read; a second one is an error.
 */
#ifndef VB_PROVIDER_YDOC_H
#define VB_PROVIDER_YDOC_H

#include <stddef.h>

#include "common/diag.h"

enum ynode_type {
	YNODE_SCALAR = 1,
	YNODE_SEQ,
	YNODE_MAP,
};

struct ynode;

struct ypair {
	struct ynode	*key;		/* always a scalar */
	struct ynode	*value;
};

struct ynode {
	enum ynode_type	 type;
	int		 line;		/* 1-based */
	int		 column;	/* 1-based */
	/* scalar */
	char		*str;		/* NUL-terminated; len excludes it */
	size_t		 len;
	int		 plain;		/* unquoted: may mean null/bool/number */
	/* sequence: items; map: pairs, in document order */
	struct ynode	**items;
	struct ypair	*pairs;
	size_t		 n;
};

struct ydoc_limits {
	size_t	max_bytes;	/* input size */
	size_t	max_depth;	/* nesting of maps and sequences */
	size_t	max_nodes;
	size_t	max_scalar;	/* bytes in one scalar */
};

/* 4 MiB, depth 64, 200,000 nodes, 256 KiB per scalar. */
extern const struct ydoc_limits ydoc_default_limits;

/*
 * Parse buf (len bytes) into a tree.  Problems are added to d (with d's
 * file name); returns the root, or NULL when the input has errors or is
 * empty (an empty document adds no error: *empty is set to 1).  The caller
 * frees the tree with ynode_free().
 */
struct ynode *ydoc_parse(const char *buf, size_t len,
	    const struct ydoc_limits *limits, struct diags *d, int *empty);

/*
 * Read a regular file of at most max_bytes into *buf (NUL-terminated,
 * allocated; the caller frees it).  Returns 0, or -1 with a diagnostic.
 */
int	ydoc_read_file(const char *path, size_t max_bytes, char **buf,
	    size_t *len, struct diags *d);
/* Read a file and parse it; an unreadable file is one diagnostic. */
struct ynode *ydoc_load_file(const char *path,
	    const struct ydoc_limits *limits, struct diags *d, int *empty);

void	ynode_free(struct ynode *n);

/*
 * Report every key of map that is not in allowed (NULL-terminated) at
 * severity sev, with a "did you mean" when one is close; a warning says
 * the key is ignored.  Returns how many were reported.
 */
size_t	ydoc_check_keys(struct diags *d, enum diag_severity sev,
	    const struct ynode *map, const char *path,
	    const char *const *allowed);

/* The value for key in a map, or NULL. */
struct ynode *ynode_get(const struct ynode *map, const char *key);
/* "map", "sequence" or "scalar", for messages. */
const char *ynode_type_name(enum ynode_type t);
/* A plain scalar spelling null ("", "~", "null", "Null", "NULL"). */
int	ynode_is_null(const struct ynode *n);
/*
 * Scalar conversions in YAML 1.2 core schema spelling.  Each returns 0,
 * or -1 when the node is not a scalar of that kind.
 */
int	ynode_bool(const struct ynode *n, int *out);
int	ynode_int(const struct ynode *n, long long min, long long max,
	    long long *out);

#endif
