/*
 * Internals shared by the runner, health checks and bootstrap
 * (provider/runner.c, health.c, bootstrap.c).  Not a public interface.
 */
#ifndef VB_PROVIDER_RUNNER_INT_H
#define VB_PROVIDER_RUNNER_INT_H

#include <jansson.h>

#include "provider/dict.h"
#include "provider/http.h"
#include "provider/runner.h"
#include "provider/sshx.h"
#include "provider/template.h"

/* The template environment {get_data, get_cs_data}; data may be NULL. */
json_t	*prov_run_env(json_t *data, json_t *cs_data);
/* prov_text_render (dict.h) for a bare template source. */
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

/*
 * The rendered login of an SSH connection: what sshx_connect needs, and
 * the cache key and credential digest of the connection.
 */
struct prov_run_login {
	char		*host;
	int		 port;
	char		*user;
	char		*pass;
	char		*key;		/* private key, PEM */
	char		*phrase;
	char		*pin;		/* host key pin */
};
int	prov_run_ssh_login(const struct prov_target *t,
	    const struct prov_conn *c, json_t *env, const char *password,
	    struct prov_run_login *l, char **cause);
void	prov_run_login_clear(struct prov_run_login *l);
int	prov_run_ssh_open(const struct prov_target *t,
	    const struct prov_run_login *l, int timeout_ms,
	    struct sshx_conn **out, char **cause);

/* Connection reuse (runner-conns.c). */
#define PROV_RUN_CRED_LEN	32
/* SHA-256 over n strings (NULL and "" differ). */
void	prov_run_cred(unsigned char *out, const char *const *parts, size_t n);
/*
 * Take the kept SSH connection of key when its credentials are cred and
 * it is still alive: 1 with *c, *cli (may be NULL) and *home (the CLI's
 * prompt after login, allocated) handed over; else 0 (a stale or
 * mismatched one is closed).  p may be NULL.
 */
int	prov_run_conns_ssh_take(struct prov_run_conns *p, const char *key,
	    const unsigned char *cred, struct sshx_conn **c,
	    struct sshx_cli **cli, char **home);
/* Keep c (and cli, home) for key; with p NULL, close them.  Takes all. */
void	prov_run_conns_ssh_put(struct prov_run_conns *p, const char *key,
	    const char *appliance, const unsigned char *cred,
	    struct sshx_conn *c, struct sshx_cli *cli, char *home);
/*
 * The kept HTTP(S) connections of key (a libcurl handle), or a new empty
 * keep when there are none or their TLS settings (cred) differ; NULL when
 * p is NULL.  Put it back after the operation; with p NULL, put frees it.
 */
struct prov_http_keep *prov_run_conns_http_take(struct prov_run_conns *p,
	    const char *key, const unsigned char *cred);
void	prov_run_conns_http_put(struct prov_run_conns *p, const char *key,
	    const char *appliance, const unsigned char *cred,
	    struct prov_http_keep *k);
/* An HTTP login token: a copy, or NULL; set NULL forgets it. */
char	*prov_run_conns_token_get(struct prov_run_conns *p, const char *key,
	    const unsigned char *cred);
void	prov_run_conns_token_set(struct prov_run_conns *p, const char *key,
	    const char *appliance, const unsigned char *cred,
	    const char *token);

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
