/*
 * Internals shared by the runner, health checks and bootstrap
 * (provider/runner.c, health.c, bootstrap.c).  Not a public interface.
 */
#ifndef VB_PROVIDER_RUNNER_INT_H
#define VB_PROVIDER_RUNNER_INT_H

#include <jansson.h>

#include "provider/dict.h"
#include "provider/runner.h"
#include "provider/sshx.h"
#include "provider/template.h"

/* Monotonic milliseconds. */
long long prov_run_now_ms(void);
/* The template environment {get_data, get_cs_data}; data may be NULL. */
json_t	*prov_run_env(json_t *data, json_t *cs_data);
/* Render a dictionary text (src as is without tags; NULL when absent). */
int	prov_run_text(const struct prov_text *t, enum tpl_ctx ctx, json_t *env,
	    const char *what, char **out, char **cause);
/* The same for a bare template source. */
int	prov_run_src(const char *src, enum tpl_ctx ctx, json_t *env,
	    const char *what, char **out, char **cause);
/* A connection's effective port (given, or the protocol's). */
int	prov_run_port(const struct prov_conn *c);
/* The first connection of a protocol, or NULL. */
const struct prov_conn *prov_run_first_conn(const struct prov_dict *dict,
	    enum prov_proto proto);

/*
 * Connect and authenticate over SSH with connection c, rendered in env;
 * password, when not NULL, replaces the connection's.  *host_out (may be
 * NULL) gets the rendered host; *pass_out (may be NULL) the password
 * used, for masking (the caller frees both).
 */
int	prov_run_ssh_connect(const struct prov_target *t,
	    const struct prov_conn *c, json_t *env, const char *password,
	    int timeout_ms, struct sshx_conn **out, char **host_out,
	    char **pass_out, char **cause);

/* open_socket adapters: the argument is a struct prov_run_sock *. */
struct prov_run_sock {
	const struct prov_target *t;
	int		 timeout_ms;
	int		 callback;	/* use t->callback_socket */
};
int	prov_run_http_socket(void *arg, const char *host, int port, int family,
	    char **cause);
int	prov_run_ssh_socket(void *arg, const char *host, int port,
	    char **cause);

/* Append a string secret to the array when long enough. */
void	prov_run_secret_add(json_t *secrets, const char *s);
/* Sort the secrets longest first (masking replaces longer ones first). */
void	prov_run_secrets_sort(json_t *secrets);

#endif
