/*
 * Internals shared by the configuration parser's files (conf.c,
 * conf-access.c, and each role's own section parser such as ssh-conf.c
 * and proxy-conf.c).  Not for use outside the parser.
 */
#ifndef VB_BROKER_CONF_INT_H
#define VB_BROKER_CONF_INT_H

#include <sys/socket.h>

#include <jansson.h>

#include "broker/conf.h"
#include "common/diag.h"
#include "provider/ydoc.h"

struct cfg_ctx {
	struct diags		*d;
	struct broker_config	*conf;
	/* Every appliance name written, valid or not (an object as a set). */
	json_t			*appliance_names;
};

void	cfg_error(struct cfg_ctx *c, const struct ynode *n, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	cfg_warning(struct cfg_ctx *c, const struct ynode *n,
	    const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Report keys of map not in allowed[] (NULL-terminated), with a hint. */
void	cfg_check_keys(struct cfg_ctx *c, const struct ynode *map,
	    const char *path, const char *const *allowed);
/* 0 if n is of type, else an error and -1. */
int	cfg_want(struct cfg_ctx *c, const struct ynode *n, const char *path,
	    enum ynode_type type);
/* A non-empty scalar (borrowed), or NULL after an error. */
const char *cfg_string(struct cfg_ctx *c, const struct ynode *n,
	    const char *path);
/* An absolute path (allocated), or NULL after an error. */
char	*cfg_abspath(struct cfg_ctx *c, const struct ynode *n,
	    const char *path);
/*
 * An integer key of map within [min, max] (unit names it): 1 with *n, 0
 * when absent, -1 after an error at section (NULL: a top-level key).
 */
int	cfg_int_get(struct cfg_ctx *c, const struct ynode *map,
	    const char *section, const char *key, long long min,
	    long long max, const char *unit, long long *n);
/* ... into out. */
void	cfg_int(struct cfg_ctx *c, const struct ynode *map,
	    const char *section, const char *key, long long min,
	    long long max, const char *unit, json_t *out);
/*
 * key: PATH of a PEM file (at most CFG_PEM_MAX bytes), read now (by the
 * parent, so it may be root's only) into out as KEY_pem, with the path as
 * KEY.  Returns 1 when the key is present (even if it failed), else 0.
 */
#define CFG_PEM_MAX	(1024 * 1024)
int	cfg_pem(struct cfg_ctx *c, const struct ynode *map,
	    const char *section, const char *key, json_t *out);

/* conf-access.c */
int	conf_name_valid(const char *s, size_t max);
int	conf_listen_parse(const char *s, struct sockaddr_storage *ss,
	    socklen_t *sslen);
void	conf_listen(struct cfg_ctx *c, const struct ynode *map);
void	conf_dns_suffix(struct cfg_ctx *c, const struct ynode *v);
void	conf_appliances(struct cfg_ctx *c, const struct ynode *seq);
void	conf_users(struct cfg_ctx *c, const struct ynode *seq);

/*
 * Each role's own section (`ssh:`, `proxy:`, `engine:`): checked with
 * positions and turned into the JSON the role receives as its settings.
 * Returns a new object, or NULL after errors.  In ssh-conf.c,
 * proxy-conf.c and engine-conf.c, owned by each role.
 */
json_t	*ssh_conf_parse(struct cfg_ctx *c, const struct ynode *map);
json_t	*proxy_conf_parse(struct cfg_ctx *c, const struct ynode *map);
/* engine-conf.c: the `api:` section (the engine role's settings). */
json_t	*api_conf_parse(struct cfg_ctx *c, const struct ynode *map);
/*
 * Check one user's ssh_authorized_keys entries (the JSON array of
 * strings made from node seq) in the ssh role's syntax.
 */
void	ssh_conf_check_keys(struct cfg_ctx *c, const struct ynode *seq,
	    const char *path);

#endif
