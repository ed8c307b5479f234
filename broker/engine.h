/*
 * The engine role (vnf-broker-engine): the control API and the provider
 * engine, unprivileged, one libevent loop plus the provider runner's
 * worker pool.  Shared between its files:
 *
 *	engine-main.c	 role hooks, start-up, the configuration view
 *	engine-conf.c	 the `api:` section of broker.yaml (parsed in the parent)
 *	engine-http.c	 the API server: TLS and unix listeners, mutual TLS,
 *			 bearer tokens, peer credentials, limits, routing
 *	engine-ops.c	 operations, jobs, health schedule, bootstrap
 *	engine-registry.c networks, providers, appliances, users: read from
 *			 the view, written through the parent (PRIV_STATE_*)
 *	engine-metrics.c /metrics
 *
 * THREADS.  Everything here runs on the event loop thread, except what
 * engine-ops.c hands to the runner's workers; those never touch a
 * struct engine_req or the view, only what the job was given.
 *
 * REQUESTS.  A handler gets the request and the path's parameters, and
 * answers now or later (an operation that waits for its result, a write
 * that waits for the parent).  Exactly one engine_reply_*() per request;
 * the request is freed by it.  When the client goes away first, the
 * request's on_gone callback (if set) runs, and the handler's later reply
 * is dropped quietly (the request stays valid until that reply).
 */
#ifndef VB_BROKER_ENGINE_H
#define VB_BROKER_ENGINE_H

#include <stddef.h>

#include <event2/event.h>
#include <jansson.h>

#include "broker/role.h"

#define ENGINE_API_VERSION	"v1"
#define ENGINE_MAX_PARAMS	4	/* {name} segments in one route */
#define ENGINE_MAX_BODY		(4u * 1024 * 1024)	/* default */

struct engine;
struct engine_req;
struct engine_ops;		/* engine-ops.c */
struct engine_metrics;		/* engine-metrics.c */

/* Who is calling: set by engine-http.c before any handler runs. */
enum engine_client_kind {
	ENGINE_CLIENT_LOCAL = 1,	/* unix socket, uid checked */
	ENGINE_CLIENT_CERT,		/* mutual TLS */
	ENGINE_CLIENT_TOKEN,		/* bearer token */
};

enum engine_method {
	ENGINE_GET = 1,
	ENGINE_PUT,
	ENGINE_POST,
	ENGINE_DELETE,
};

typedef void	(*engine_handler)(struct engine *, struct engine_req *,
		    const char *const params[ENGINE_MAX_PARAMS]);

/*
 * One row of the routing table.  Paths are literal segments and {name}
 * parameters, e.g. "/v1/appliances/{}/operations/{}/{}".  The table is
 * one explicit array in engine-http.c.
 */
struct engine_route {
	enum engine_method	 method;
	const char		*path;
	engine_handler		 handler;
	unsigned		 flags;
#define ENGINE_ROUTE_BODY	0x01	/* takes a body */
#define ENGINE_ROUTE_PUBLIC	0x02	/* no authentication (never set yet) */
};

struct engine {
	struct role_rt		*rt;
	struct event_base	*base;
	json_t			*view;		/* configuration in force */
	unsigned		 generation;	/* +1 per view received */
	json_t			*settings;	/* view's "settings" (api:) */
	struct engine_ops	*ops;
	struct engine_metrics	*metrics;
	struct engine_http	*http;
	int			 stopping;
};

/* engine-http.c: the request. */
enum engine_method engine_req_method(const struct engine_req *);
const char *engine_req_path(const struct engine_req *);
/* Query parameter, or NULL. */
const char *engine_req_query(const struct engine_req *, const char *key);
/* A request header, or NULL. */
const char *engine_req_header(const struct engine_req *, const char *name);
/* The body (not NUL-terminated; may contain NUL), or NULL when empty. */
const void *engine_req_body(const struct engine_req *, size_t *len);
/*
 * The body as a JSON object.  On a parse error or a non-object, answers
 * 400 invalid_json with the line and column and returns NULL (the
 * request is then finished).  The object is borrowed from the request.
 */
json_t	*engine_req_json(struct engine_req *);
enum engine_client_kind engine_req_client_kind(const struct engine_req *);
/* Who: "uid:0", "cert:SHA256:...", "token:NAME"; for audit and logs. */
const char *engine_req_client(const struct engine_req *);
/* Called once if the client disconnects before the reply. */
void	engine_req_on_gone(struct engine_req *, void (*cb)(void *),
	    void *arg);

/* engine-http.c: answers.  Each finishes (and frees) the request. */
/* body is stolen; NULL sends no body. */
void	engine_reply_json(struct engine_req *, int status, json_t *body);
void	engine_reply_text(struct engine_req *, int status,
	    const char *content_type, const char *text, size_t len);
/*
 * {"error": code, "message": ..., "details": details} with status.
 * details is stolen and may be NULL (then []).
 */
void	engine_reply_error(struct engine_req *, int status, const char *code,
	    json_t *details, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* engine-http.c: the server. */
int	engine_http_new(struct engine *, char **cause);
void	engine_http_listener(struct engine *, const char *name, int fd);
void	engine_http_settings(struct engine *);	/* settings changed */
/* Stop accepting; answer what is in flight; cb when all are done. */
void	engine_http_stop(struct engine *, void (*cb)(struct engine *));
void	engine_http_free(struct engine *);

/* engine-registry.c: the routes' handlers for registered objects. */
void	engine_registry_list(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_registry_get(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_registry_put(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_registry_delete(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
/* The kind a path names ("networks", ...), from the first segment. */
/* Look up registered objects in the view (borrowed), or NULL. */
json_t	*engine_appliance(struct engine *, const char *name);
json_t	*engine_provider(struct engine *, const char *name);
json_t	*engine_network(struct engine *, const char *name);

/* engine-ops.c */
int	engine_ops_new(struct engine *, char **cause);
/* The view changed: recompile providers that changed, reschedule health. */
void	engine_ops_reload(struct engine *);
void	engine_ops_stop(struct engine *);
void	engine_ops_free(struct engine *);
void	engine_op_run(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_job_get(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_health_get(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_health_run(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_bootstrap_start(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_bootstrap_get(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_hostkeys_get(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_hostkeys_delete(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
/* Refresh the gauges (jobs, health states) before a scrape. */
void	engine_ops_metrics(struct engine *);
/* Is this provider used by a running or queued job? (delete refuses) */
int	engine_ops_provider_busy(struct engine *, const char *provider);

/* engine-metrics.c */
struct engine_metrics *engine_metrics_new(void);
void	engine_metrics_free(struct engine_metrics *);
/* Counters by fixed name (no per-user or per-appliance labels). */
void	engine_metric_inc(struct engine *, const char *name,
	    const char *label, double by);
void	engine_metrics_reply(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);
void	engine_self_health(struct engine *, struct engine_req *,
	    const char *const params[ENGINE_MAX_PARAMS]);

/* H1: additions by the API server's author (engine-http.c, -metrics.c). */
/* Route flag: the body is YAML (PUT /v1/providers/{name}), not JSON. */
#define ENGINE_ROUTE_YAML	0x04
/*
 * A gauge by fixed name and label ("jobs" "queued", "health_states"
 * "healthy"): set to value; shown in /metrics as vnf_broker_NAME.
 */
void	engine_metric_set(struct engine *, const char *name,
	    const char *label, double value);
/* End of H1 additions. */

#endif
