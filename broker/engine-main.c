/*
 * vnf-broker-engine: the engine role.  Started by vnf-brokerd as an
 * unprivileged user; gets its view of the configuration (registered
 * networks, providers, appliances, users, and the `api:` settings) and its
 * listening sockets ("api" with TLS, "api_unix" for vnf-brokerctl) from
 * the parent, serves the control API in one libevent loop and runs
 * provider operations on the runner's workers (engine-ops.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "broker/audit.h"
#include "broker/engine.h"
#include "common/log.h"
#include "common/xmalloc.h"

static struct engine engine;

/* A new view: everything reads it from e->view from now on. */
static void
engine_on_config(struct role_rt *rt, json_t *conf, void *arg)
{
	struct engine *e = arg;

	(void)rt;
	json_decref(e->view);
	e->view = json_incref(conf);
	e->settings = json_object_get(conf, "settings");
	e->generation++;
	log_debug("configuration view %u", e->generation);
	engine_http_settings(e);
	engine_ops_reload(e);
}

static void
engine_on_listener(struct role_rt *rt, const char *name, int fd, void *arg)
{
	(void)rt;
	engine_http_listener(arg, name, fd);
}

static void
engine_on_ready(struct role_rt *rt, void *arg)
{
	struct engine *e = arg;
	size_t n = json_array_size(json_object_get(e->view, "appliances"));

	(void)rt;
	log_info("ready: %zu appliance%s known", n, n == 1 ? "" : "s");
}

/* Every request has been answered: stop the operations and leave. */
static void
engine_on_drained(struct engine *e)
{
	engine_ops_stop(e);
	role_exit(e->rt);
}

/* Stop accepting; requests in flight finish (within the role's grace). */
static void
engine_on_stop(struct role_rt *rt, void *arg)
{
	struct engine *e = arg;

	(void)rt;
	e->stopping = 1;
	engine_http_stop(e, engine_on_drained);
}

int
main(int argc, char **argv)
{
	static const struct role_hooks hooks = {
		.on_config = engine_on_config,
		.on_listener = engine_on_listener,
		.on_ready = engine_on_ready,
		.on_stop = engine_on_stop,
		.arg = &engine,
	};
	struct engine *e = &engine;
	char *cause = NULL;
	int status;

	(void)argc;
	(void)argv;
	audit_set_role("engine");
	if ((e->rt = role_init("engine", &hooks, &cause)) == NULL) {
		fprintf(stderr, "vnf-broker-engine: %s\n", cause);
		free(cause);
		return 1;
	}
	e->base = role_base(e->rt);
	e->metrics = engine_metrics_new();
	if (engine_http_new(e, &cause) != 0 ||
	    engine_ops_new(e, &cause) != 0)
		fatal("%s", cause != NULL ? cause : "start-up failed");
	status = role_run(e->rt);
	engine_http_free(e);
	engine_ops_free(e);
	engine_metrics_free(e->metrics);
	json_decref(e->view);
	role_free(e->rt);
	return status;
}
