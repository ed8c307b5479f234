/*
 * The operation runner: one operation of a provider dictionary, run
 * against one appliance, answered as a result JSON.
 *
 *	validate data -> render -> execute (HTTP or SSH) -> judge -> transform
 *	    -> call back -> result
 *
 *	struct prov_target	 t = {
 *		.name = "fw-001", .address = "198.18.0.2",
 *		.open_socket = engine_socket, .socket_arg = appliance,
 *		.hostkey_cb = engine_tofu, .hostkey_arg = appliance,
 *	};
 *	struct prov_run_req	 rq = {
 *		.service = "FIREWALL_RULES", .operation = "create",
 *		.data = data, .cs_data = cs,
 *	};
 *	json_t			*result;
 *
 *	prov_run_op(dict, &t, &rq, &result);
 *	... {"status": "success"|"failed", "service", "operation", "data",
 *	...  "steps": [{"step", "request", "status", "elapsed_ms", "error"}],
 *	...  "raw", "error", "elapsed_ms"}
 *	json_decref(result);
 *
 * The result is documented in docs/provider-engine.md.  Every string in
 * it has the secrets of the run (secret-named cs-data and data fields,
 * rendered passwords, tokens and Authorization values) replaced by
 * "********".
 *
 * SOCKETS.  The runner never resolves a name nor opens a socket to an
 * appliance: every connection (HTTP, SSH, a health check's TCP connect)
 * asks t->open_socket for a connected socket to (host, port), where host
 * is what the dictionary rendered (or t->address); HTTP to an address
 * literal asks t->open_socket_raw, when set, for one libcurl connects.  Callbacks go to the
 * management server through t->callback_socket.
 *
 * POOL.  prov_run_pool runs jobs on a bounded set of threads.  Jobs
 * submitted with one key (an appliance) run one at a time, in submission
 * order; jobs of different keys run in parallel.  Queues are bounded, in
 * total and per key: a submit past a limit is refused with a cause.
 *
 * Ownership: results are new references the caller owns.  The dictionary
 * and target are borrowed and must outlive the call (for the pool: until
 * the job's done callback ran).
 */
#ifndef VB_PROVIDER_RUNNER_H
#define VB_PROVIDER_RUNNER_H

#include <stddef.h>

#include <jansson.h>

#include "provider/dict.h"
#include "provider/sshx.h"

/* Bytes of response or output kept in a result's "raw". */
#define PROV_RUN_MAX_RAW		(1024u * 1024)
/* Default pool limits. */
#define PROV_RUN_WORKERS		8
#define PROV_RUN_MAX_QUEUED		10000
#define PROV_RUN_MAX_PER_KEY		256
/* A cloudstack-api callback's signature is valid for this long. */
#define PROV_RUN_CS_EXPIRES_S		300

#define PROV_RUN_MASK			"********"
/* Kept connections: closed after this long unused; at most this many. */
#define PROV_RUN_IDLE_MS		60000
#define PROV_RUN_MAX_CONNS		4096

struct prov_run_conns;

/* Monotonic milliseconds: the clock of the runner's deadlines. */
long long prov_run_now_ms(void);

/*
 * A connected TCP socket to host:port, within timeout_ms (0: the
 * callback's own default).  Return the descriptor (the runner owns it
 * then) or -1 with *cause set (allocated) or left NULL (errno is used).
 * It must not return a socket still connecting.
 */
typedef int (*prov_run_socket_fn)(void *arg, const char *host, int port,
	    int timeout_ms, char **cause);

/* Where and how to reach one appliance. */
struct prov_target {
	const char	*name;		/* for messages and pool keys */
	const char	*address;	/* management address: the host when
					   a connection renders none */
	prov_run_socket_fn open_socket;	/* required */
	void		*socket_arg;
	/*
	 * Optional, for HTTP to an address literal: a socket that may reach
	 * host, NOT connected (same arg and checks as open_socket).  libcurl
	 * then connects it itself, once: with a connected socket, Debian
	 * 12's libcurl must disconnect it and connect again (see http.c),
	 * which costs a handshake and leaves the appliance a reset
	 * connection.  NULL: open_socket.
	 */
	prov_run_socket_fn open_socket_raw;
	/* SSH host keys: a pinned fingerprint, or trust on first use. */
	const char	*hostkey_sha256;
	sshx_hostkey_fn	 hostkey_cb;
	void		*hostkey_arg;
	const char	*ca_file;	/* HTTPS: PEM to trust; NULL: system */
	/* Callbacks to the management server.  NULL: the HTTP executor
	 * connects a plain socket to an address literal itself. */
	prov_run_socket_fn callback_socket;
	void		*callback_arg;
	/* cloudstack-api callbacks are sent here (".../client/api"); NULL:
	 * the cs-data key cloudstack_api_url. */
	const char	*cloudstack_url;
	int		 timeout_ms;	/* 0: each connection's timeout */
	/* Where authenticated SSH connections (and CLI sessions) and HTTP
	 * login tokens are kept between operations; NULL: none, each
	 * operation logs in anew.  The pool sets its own when NULL. */
	struct prov_run_conns *conns;
};

/* One operation to run. */
struct prov_run_req {
	const char	*service;
	const char	*operation;
	json_t		*data;		/* borrowed; NULL: {} */
	json_t		*cs_data;	/* borrowed; NULL: {} */
	/* Bootstrap: run over this connection (initial_connection) instead
	 * of the operation's, with this password instead of the rendered
	 * one.  NULL: the operation's own. */
	const struct prov_conn *conn;
	const char	*password;
	int		 no_callback;	/* skip the operation's callback */
};

/*
 * Run one operation.  *result is always set (a failed result for bad
 * input names the step, "validate").  Returns 0 when the status is
 * "success", -1 when "failed".
 */
int	prov_run_op(const struct prov_dict *dict, const struct prov_target *t,
	    const struct prov_run_req *rq, json_t **result);

/*
 * The pieces of judging, exported for tests and for health checks.
 */

/* Is status one of the expected ones (NULL list: any 2xx)? */
int	prov_run_status_ok(const int *expected, size_t n, long status);
/*
 * Judge output against the response's error_patterns and
 * success_pattern (cli_check).  Returns 1 success, 0 failure with
 * *reason (allocated), -1 when matching itself failed (*reason too).
 */
int	prov_run_judge(const struct prov_response *r, const char *text,
	    size_t len, char **reason);
/*
 * Apply the response's format and transforms to text.  *data is a new
 * value: json without transforms, the parsed document; with transforms,
 * an object of one member each (a singular JSONPath gives its value or
 * null, any other a list; a regular expression gives a list of records;
 * parse_lines a list of lines, parse_json the parsed text); without a
 * format, null.  A transform with first keeps only the first match (a
 * record of one field as its value); a value transform renders its
 * template over env ({get_data, get_cs_data}; NULL: none given).
 * Returns 0, or -1 with *cause.
 */
int	prov_run_transform(const struct prov_response *r, const char *text,
	    size_t len, json_t *env, json_t **data, char **cause);
/*
 * The secret values of a run: strings of secret-named fields (recursive)
 * of each object given.  A new array of strings, longest first; values
 * shorter than 3 bytes are left out.
 */
json_t	*prov_run_secrets(json_t *cs_data, json_t *data);
/* Replace every occurrence of every secret in every string of v. */
void	prov_run_mask(json_t *v, json_t *secrets);
/* The same on a C string: a new string. */
char	*prov_run_mask_str(const char *s, json_t *secrets);

/*
 * Connection reuse.  A struct prov_run_conns keeps, between operations,
 * one authenticated SSH connection per appliance, connection, host, user
 * and mode (with its interactive CLI session, when the dictionary uses
 * one), and the token of HTTP auth type login.  An operation takes the
 * kept connection when its credentials (password, key, pinned host key)
 * are the same ones, else it closes it and logs in anew.  A connection
 * is closed after idle_ms unused, on any transport error, when the
 * credentials change, and by prov_run_conns_forget().  A command that
 * fails on a kept connection before anything of it was sent is tried
 * once more on a new connection; once sent, never (it may have run).
 * Thread-safe; a connection is used by one operation at a time.
 */
struct prov_run_conns_opts {
	int		 idle_ms;	/* 0: PROV_RUN_IDLE_MS */
	size_t		 max;		/* 0: PROV_RUN_MAX_CONNS; past it, the
					   one idle the longest is closed */
};

int	prov_run_conns_new(const struct prov_run_conns_opts *o,
	    struct prov_run_conns **out, char **cause);
/* Close every kept connection and free; NULL is fine. */
void	prov_run_conns_free(struct prov_run_conns *p);
/* Close and forget what is kept for one appliance (credentials rotated,
 * appliance gone). */
void	prov_run_conns_forget(struct prov_run_conns *p, const char *appliance);
/* Connections and tokens kept now (not those in use). */
size_t	prov_run_conns_count(struct prov_run_conns *p);

/*
 * The worker pool.
 */
struct prov_run_pool;

/*
 * A job: run it and return its result (a new reference, never NULL).
 * With cancel set (the pool is stopping before it ran), only release
 * the job and return NULL: the pool answers a failed result.
 */
typedef json_t *(*prov_run_job_fn)(void *job, int cancel);
/* Called on a worker thread with the job's result (ownership passes). */
typedef void (*prov_run_done_fn)(void *arg, json_t *result);

struct prov_run_pool_opts {
	int		 workers;	/* 0: PROV_RUN_WORKERS */
	size_t		 max_queued;	/* 0: PROV_RUN_MAX_QUEUED */
	size_t		 max_per_key;	/* 0: PROV_RUN_MAX_PER_KEY */
	int		 idle_ms;	/* kept connections; 0: PROV_RUN_IDLE_MS */
	int		 no_reuse;	/* keep no connection between jobs */
};

int	prov_run_pool_new(const struct prov_run_pool_opts *o,
	    struct prov_run_pool **out, char **cause);
/*
 * Queue fn(job) under key.  Returns 0, or -EAGAIN when a queue limit is
 * reached, -ESHUTDOWN when the pool is stopping, with *cause; then
 * neither fn nor done will be called.
 */
int	prov_run_pool_submit(struct prov_run_pool *p, const char *key,
	    prov_run_job_fn fn, void *job, prov_run_done_fn done, void *arg,
	    char **cause);
/*
 * Queue one operation (prov_run_op); rq's strings and JSON are copied,
 * dict and t are borrowed until done is called.
 */
int	prov_run_submit(struct prov_run_pool *p, const struct prov_dict *dict,
	    const struct prov_target *t, const struct prov_run_req *rq,
	    prov_run_done_fn done, void *arg, char **cause);
/* The pool's kept connections (NULL with no_reuse); owned by the pool. */
struct prov_run_conns *prov_run_pool_conns(struct prov_run_pool *p);
/* Jobs queued and running. */
size_t	prov_run_pool_pending(struct prov_run_pool *p);
/* Wait until every job submitted so far has finished. */
void	prov_run_pool_drain(struct prov_run_pool *p);
/*
 * Stop: running jobs finish; queued ones are answered with a failed
 * result ("cancelled"); threads are joined.  NULL is fine.
 */
void	prov_run_pool_free(struct prov_run_pool *p);

#endif
