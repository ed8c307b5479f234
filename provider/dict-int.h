/*
 * Internals shared by the dictionary loader's files (dict.c, dict-ops.c,
 * dict-render.c).  Not a public interface.
 */
#ifndef VB_PROVIDER_DICT_INT_H
#define VB_PROVIDER_DICT_INT_H

#include <stddef.h>

#include "common/diag.h"
#include "provider/dict.h"
#include "provider/ydoc.h"

#define PROV_PATH_MAX	512
/* "Did you mean" is looked for among at most this many names. */
#define PROV_SUGGEST_MAX	512

/* Load state: the diagnostics, the source text, what is being built. */
struct dctx {
	struct diags	*d;
	const char	*buf;		/* the YAML source, for positions */
	size_t		 len;
	size_t		*lines;		/* byte offset of each line start */
	size_t		 nlines;
	struct prov_dict *dict;
	char		**cs;		/* get_cs_data keys seen */
	size_t		 ncs;
	size_t		 cscap;
};

/*
 * Where a template's text came from: one scalar, or (for commands) one
 * scalar per template line.
 */
struct tmap {
	const struct ynode *n;
	const struct ynode *const *items;
	size_t		 nitems;
};

/* What a template may read where it appears. */
struct scope {
	const char	*path;
	struct prov_service *svc;	/* NULL outside services */
	struct prov_op	*op;		/* NULL outside operations */
	int		 callback;	/* response.X may be read */
};

void	dict_error(struct dctx *, const struct ynode *, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	dict_warn(struct dctx *, const struct ynode *, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	dict_error_at(struct dctx *, int, int, const char *, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
void	dict_path(char *, size_t, const char *, const char *);
void	dict_path_index(char *, size_t, const char *, size_t);
void	dict_check_keys(struct dctx *, const struct ynode *, const char *,
	    const char *const *);
int	dict_want(struct dctx *, const struct ynode *, const char *,
	    enum ynode_type);
char	*dict_string(struct dctx *, const struct ynode *, const char *);
int	dict_int(struct dctx *, const struct ynode *, const char *, long long,
	    long long, int *);
int	dict_bool(struct dctx *, const struct ynode *, const char *, int *);
int	dict_text(struct dctx *, const struct ynode *, const char *, int,
	    const struct scope *, struct prov_text *);
struct tpl *dict_tpl(struct dctx *, const char *, const struct tmap *,
	    const char *, const struct scope *);
void	dict_scalar_pos(struct dctx *, const struct ynode *, int, int, int *,
	    int *);
int	dict_headers(struct dctx *, const struct ynode *, const char *,
	    const struct scope *, struct prov_header **, size_t *);
int	dict_status_list(struct dctx *, const struct ynode *, const char *,
	    int **, size_t *);
json_t	*dict_value(struct dctx *, const struct ynode *, const char *,
	    const struct scope *);
int	dict_json_body(struct dctx *, const struct ynode *, const char *,
	    const struct scope *, struct prov_text *);
const char *dict_http_verb(const char *);
const struct prov_conn *dict_first_conn(const struct prov_dict *, int);
void	*dict_regex(struct dctx *, const struct ynode *, const char *,
	    const char *);

void	prov_text_free(struct prov_text *);
void	prov_headers_free(struct prov_header *, size_t);
void	prov_conn_clear(struct prov_conn *);
void	prov_check_clear(struct prov_check *);
void	prov_op_clear(struct prov_op *);
void	prov_regex_free(void *);

void	dict_index_conns(struct prov_dict *);
void	dict_index_services(struct prov_dict *);
const char *dict_suggest(const char *, const char *const *, size_t);

/* dict-ops.c: services and their operations. */
void	dict_services(struct dctx *, const struct ynode *);

#endif
