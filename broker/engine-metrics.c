/*
 * /metrics (Prometheus text format 0.0.4) and /v1/health of the engine
 * role.  Counters and gauges have fixed names and one label each with a
 * small fixed set of values (a status class, an operation result, a
 * health state): never a user, an appliance or a path, which would grow
 * without bound.  Connections, tunnels and bytes are counted by the ssh
 * and proxy roles in pages of shared memory the parent gave them; the
 * engine maps them read-only and sums at each scrape (role-stats.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "broker/engine.h"
#include "broker/role-stats.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define METRICS_MAX		128	/* (name, label) pairs */
#define METRIC_NAME_MAX		48
#define METRIC_LABEL_MAX	32

/* What each known metric is; others are reported as untyped counters. */
static const struct metric_def {
	const char	*name;
	const char	*label;		/* label key, or NULL */
	int		 gauge;
	const char	*help;
	const char	*preset[4];	/* label values shown even at 0 */
} metric_defs[] = {
	{ "api_requests", "class", 0, "API requests answered, by status "
	    "class", { "2xx", "4xx", "5xx", NULL } },
	{ "api_tls_failures", NULL, 0, "TLS handshakes refused on the API "
	    "listener", { NULL } },
	{ "operations", "result", 0, "Provider operations finished, by "
	    "result", { NULL } },
	{ "health_states", "state", 1, "Appliances by last health state",
	    { "unknown", "healthy", "unhealthy", NULL } },
	{ "jobs", "state", 1, "Jobs by state", { "queued", "running", NULL } },
};
#define METRIC_NDEFS	(sizeof(metric_defs) / sizeof(metric_defs[0]))

struct metric {
	char	name[METRIC_NAME_MAX];
	char	label[METRIC_LABEL_MAX];	/* "" when none */
	double	value;
};

struct engine_metrics {
	struct metric	m[METRICS_MAX];
	size_t		n;
	struct timespec	start;		/* CLOCK_MONOTONIC */
	int		full_warned;
};

/* Names and label values are ours, but checked: [a-z0-9_.-] only. */
static int
metric_word_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i + 1 >= max || !(islower((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]) || strchr("_.-", s[i])))
			return 0;
	return 1;
}

static struct metric *
metric_find(struct engine_metrics *em, const char *name, const char *label)
{
	struct metric *m;
	size_t i;

	if (label == NULL)
		label = "";
	for (i = 0; i < em->n; i++)
		if (strcmp(em->m[i].name, name) == 0 &&
		    strcmp(em->m[i].label, label) == 0)
			return &em->m[i];
	if (!metric_word_ok(name, METRIC_NAME_MAX) || name[0] == '\0' ||
	    !metric_word_ok(label, METRIC_LABEL_MAX))
		return NULL;
	if (em->n == METRICS_MAX) {
		if (!em->full_warned)
			log_warn("metrics: more than %d series; %s{%s} "
			    "dropped", METRICS_MAX, name, label);
		em->full_warned = 1;
		return NULL;
	}
	m = &em->m[em->n++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->label, sizeof(m->label), "%s", label);
	return m;
}

struct engine_metrics *
engine_metrics_new(void)
{
	struct engine_metrics *em = xcalloc(1, sizeof(*em));
	size_t i, j;

	clock_gettime(CLOCK_MONOTONIC, &em->start);
	for (i = 0; i < METRIC_NDEFS; i++) {
		if (metric_defs[i].label == NULL)
			metric_find(em, metric_defs[i].name, NULL);
		for (j = 0; metric_defs[i].preset[j] != NULL; j++)
			metric_find(em, metric_defs[i].name,
			    metric_defs[i].preset[j]);
	}
	return em;
}

void
engine_metrics_free(struct engine_metrics *em)
{
	free(em);
}

void
engine_metric_inc(struct engine *e, const char *name, const char *label,
    double by)
{
	struct metric *m;

	if (e->metrics != NULL && (m = metric_find(e->metrics, name,
	    label)) != NULL)
		m->value += by;
}

void
engine_metric_set(struct engine *e, const char *name, const char *label,
    double value)
{
	struct metric *m;

	if (e->metrics != NULL && (m = metric_find(e->metrics, name,
	    label)) != NULL)
		m->value = value;
}

static const struct metric_def *
metric_def(const char *name)
{
	size_t i;

	for (i = 0; i < METRIC_NDEFS; i++)
		if (strcmp(metric_defs[i].name, name) == 0)
			return &metric_defs[i];
	return NULL;
}

static long long
metrics_uptime(struct engine_metrics *em)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - em->start.tv_sec);
}

/* The ssh and proxy roles' counters, labelled by role only. */
static const struct role_family {
	const char	*name;
	const char	*type;
	const char	*help;
	enum role_stat	 stat;
	enum role_stat	 stat2;		/* direction="down", or RS_NSTATS */
} role_families[] = {
	{ "connections", "gauge", "Client connections open", RS_CONNS_OPEN,
	    RS_NSTATS },
	{ "connections_total", "counter", "Client connections accepted",
	    RS_CONNS, RS_NSTATS },
	{ "tunnels", "gauge", "Connections to VNFs open (proxy tunnels and "
	    "forwards, SSH direct-tcpip channels)", RS_TUNNELS_OPEN,
	    RS_NSTATS },
	{ "tunnels_total", "counter", "Connections to VNFs opened",
	    RS_TUNNELS, RS_NSTATS },
	{ "denied_total", "counter", "Requests refused (audited as denied)",
	    RS_DENIED, RS_NSTATS },
	{ "errors_total", "counter", "Requests failed (audited as error)",
	    RS_ERRORS, RS_NSTATS },
	{ "tunnel_bytes_total", "counter", "Bytes through tunnels, up (client "
	    "to VNF) and down", RS_BYTES_UP, RS_BYTES_DOWN },
};

static void
metrics_roles(struct evbuffer *b)
{
	static const char *const roles[] = { "ssh", "proxy" };
	uint64_t v[2][RS_NSTATS];
	int have[2];
	size_t f, i;

	for (i = 0; i < 2; i++)
		have[i] = role_stats_read(roles[i], v[i]) == 0;
	if (!have[0] && !have[1])
		return;
	for (f = 0; f < sizeof(role_families) / sizeof(role_families[0]);
	    f++) {
		const struct role_family *rf = &role_families[f];

		evbuffer_add_printf(b, "# HELP vnf_broker_%s %s.\n"
		    "# TYPE vnf_broker_%s %s\n", rf->name, rf->help, rf->name,
		    rf->type);
		for (i = 0; i < 2; i++) {
			if (!have[i])
				continue;
			if (rf->stat2 == RS_NSTATS) {
				evbuffer_add_printf(b, "vnf_broker_%s{role=\"%s\"}"
				    " %llu\n", rf->name, roles[i],
				    (unsigned long long)v[i][rf->stat]);
				continue;
			}
			evbuffer_add_printf(b, "vnf_broker_%s{role=\"%s\","
			    "direction=\"up\"} %llu\n"
			    "vnf_broker_%s{role=\"%s\",direction=\"down\"} "
			    "%llu\n", rf->name, roles[i],
			    (unsigned long long)v[i][rf->stat], rf->name,
			    roles[i], (unsigned long long)v[i][rf->stat2]);
		}
	}
}

void
engine_metrics_reply(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	struct engine_metrics *em = e->metrics;
	const struct metric_def *d;
	struct evbuffer *b = evbuffer_new();
	size_t i, j, len;
	char *text;

	(void)params;
	engine_ops_metrics(e);
	evbuffer_add_printf(b, "# HELP vnf_broker_engine_up The engine role "
	    "is serving.\n# TYPE vnf_broker_engine_up gauge\n"
	    "vnf_broker_engine_up 1\n");
	evbuffer_add_printf(b, "# HELP vnf_broker_engine_uptime_seconds "
	    "Seconds since the engine role started.\n"
	    "# TYPE vnf_broker_engine_uptime_seconds gauge\n"
	    "vnf_broker_engine_uptime_seconds %lld\n", metrics_uptime(em));
	evbuffer_add_printf(b, "# HELP vnf_broker_config_generation "
	    "Configuration views received.\n"
	    "# TYPE vnf_broker_config_generation gauge\n"
	    "vnf_broker_config_generation %u\n", e->generation);
	/* One family at a time, in the order first seen. */
	for (i = 0; i < em->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(em->m[j].name, em->m[i].name) == 0)
				break;
		if (j < i)
			continue;
		d = metric_def(em->m[i].name);
		evbuffer_add_printf(b, "# HELP vnf_broker_%s%s %s.\n"
		    "# TYPE vnf_broker_%s%s %s\n", em->m[i].name,
		    d != NULL && d->gauge ? "" : "_total",
		    d != NULL ? d->help : "Engine counter", em->m[i].name,
		    d != NULL && d->gauge ? "" : "_total",
		    d != NULL && d->gauge ? "gauge" : "counter");
		for (j = i; j < em->n; j++) {
			if (strcmp(em->m[j].name, em->m[i].name) != 0)
				continue;
			evbuffer_add_printf(b, "vnf_broker_%s%s", em->m[j].name,
			    d != NULL && d->gauge ? "" : "_total");
			if (em->m[j].label[0] != '\0')
				evbuffer_add_printf(b, "{%s=\"%s\"}",
				    d != NULL && d->label ? d->label : "label",
				    em->m[j].label);
			evbuffer_add_printf(b, " %.17g\n", em->m[j].value);
		}
	}
	metrics_roles(b);
	len = evbuffer_get_length(b);
	text = xmalloc(len + 1);
	evbuffer_remove(b, text, len);
	evbuffer_free(b);
	engine_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    text, len);
	free(text);
}

void
engine_self_health(struct engine *e, struct engine_req *req,
    const char *const params[ENGINE_MAX_PARAMS])
{
	json_t *o, *roles;

	(void)params;
	o = json_pack("{s:s, s:s, s:I, s:I}", "status", e->stopping ?
	    "stopping" : "ok", "version", PACKAGE_VERSION, "generation",
	    (json_int_t)e->generation, "uptime_s",
	    (json_int_t)metrics_uptime(e->metrics));
	/* The parent may list the roles it runs in the view. */
	if ((roles = json_object_get(e->view, "roles")) != NULL)
		json_object_set(o, "roles", roles);
	engine_reply_json(req, 200, o);
}
