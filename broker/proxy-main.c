/*
 * vnf-broker-proxy: the HTTP(S) proxy role.  Started by vnf-brokerd as an
 * unprivileged user; gets its configuration and its listening sockets
 * ("proxy", "proxy_tls") from the parent, asks it for sockets inside guest
 * networks, and serves every client in one libevent loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/listener.h>

#include "broker/audit.h"
#include "broker/proxy.h"
#include "broker/pwcheck.h"
#include "common/log.h"
#include "common/xmalloc.h"

static struct proxy proxy;

/* An integer setting within [min, max], or def when absent. */
static int
proxy_setting_int(json_t *s, const char *key, long long def, long long min,
    long long max, long long *out, char **cause)
{
	json_t *v = json_object_get(s, key);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		*cause = xasprintf("setting %s out of range", key);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
proxy_settings_load(struct proxy_settings *set, json_t *s, char **cause)
{
	long long v[9];
	json_t *o;

	memset(set, 0, sizeof(*set));
	if (s == NULL)
		s = json_object();
	else
		json_incref(s);
	if (proxy_setting_int(s, "connect_timeout", 10, 1, 300, &v[0],
	    cause) != 0 ||
	    proxy_setting_int(s, "idle_timeout", 300, 1, 86400, &v[1],
	    cause) != 0 ||
	    proxy_setting_int(s, "request_timeout", 30, 1, 3600, &v[2],
	    cause) != 0 ||
	    proxy_setting_int(s, "shutdown_grace", 5, 0, 3600, &v[3],
	    cause) != 0 ||
	    proxy_setting_int(s, "max_connections", 20000, 1, 1000000, &v[4],
	    cause) != 0 ||
	    proxy_setting_int(s, "max_request_line", 8192, 256, 65536, &v[5],
	    cause) != 0 ||
	    proxy_setting_int(s, "max_header_size", 32768, 1024, 262144,
	    &v[6], cause) != 0 ||
	    proxy_setting_int(s, "max_headers", 100, 8, HP_HEADERS_HARD_MAX,
	    &v[7], cause) != 0 ||
	    proxy_setting_int(s, "auth_cache_ttl", 300, 0, 86400, &v[8],
	    cause) != 0) {
		json_decref(s);
		return -1;
	}
	set->connect_timeout = (int)v[0];
	set->idle_timeout = (int)v[1];
	set->request_timeout = (int)v[2];
	set->shutdown_grace = (int)v[3];
	set->max_connections = (long)v[4];
	set->limits.request_line = (size_t)v[5];
	set->limits.head = (size_t)v[6];
	set->limits.headers = (size_t)v[7];
	set->auth_cache_ttl = (int)v[8];
	set->client_cert_required = json_is_true(json_object_get(s,
	    "client_certificate_required"));
	if ((o = json_object_get(s, "pac_proxy")) != NULL &&
	    json_is_string(o))
		set->pac_proxy = xstrdup(json_string_value(o));
	json_decref(s);
	return 0;
}

void
proxy_settings_clear(struct proxy_settings *set)
{
	free(set->pac_proxy);
	memset(set, 0, sizeof(*set));
}

static void
proxy_on_accept(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct proxy_listener *pl = arg;

	proxy_conn_accept(pl->px, fd, sa, salen, pl->tls);
}

static void
proxy_on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_listener *pl = arg;

	if (pl->lev != NULL)
		evconnlistener_enable(pl->lev);
}

static void
proxy_on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct proxy_listener *pl = arg;
	struct timeval tv = { 1, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	/*
	 * EMFILE and friends: the pending connection stays in the kernel's
	 * queue and would wake us at once, forever.  Stop accepting for a
	 * second (open tunnels go on), then try again.
	 */
	log_warn("accept on %s: %s; accepting again in 1 s", pl->name,
	    evutil_socket_error_to_string(e));
	if (pl->ev_pause == NULL)
		pl->ev_pause = evtimer_new(pl->px->base,
		    proxy_on_accept_resume, pl);
	if (pl->ev_pause != NULL) {
		evconnlistener_disable(lev);
		evtimer_add(pl->ev_pause, &tv);
	}
}

static void
proxy_on_config(struct role_rt *rt, json_t *conf, void *arg)
{
	struct proxy *px = arg;
	struct access *a;
	char *cause = NULL;

	/* The parent built this view: if it is unusable, nothing can be served. */
	if ((a = access_load(conf, &cause)) == NULL)
		fatal("configuration: %s", cause);
	access_free(px->access);
	px->access = a;
	json_decref(px->conf);
	px->conf = json_incref(conf);
	px->dns_suffix = json_string_value(json_object_get(conf,
	    "dns_suffix"));
	proxy_settings_clear(&px->set);
	if (proxy_settings_load(&px->set, json_object_get(conf, "settings"),
	    &cause) != 0)
		fatal("%s", cause);
}

static void
proxy_on_listener(struct role_rt *rt, const char *name, int fd, void *arg)
{
	struct proxy *px = arg;
	struct proxy_listener *pl;
	char *cause = NULL;
	int tls = strcmp(name, "proxy_tls") == 0;

	if (px->nlisteners == PROXY_LISTENERS_MAX ||
	    (strcmp(name, "proxy") != 0 && !tls)) {
		log_warn("listener %s: not ours or too many; closed", name);
		close(fd);
		return;
	}
	if (tls && px->tls == NULL) {
		px->tls = proxy_tls_context(json_object_get(px->conf,
		    "settings"), &cause);
		if (px->tls == NULL) {
			log_error("TLS listener disabled: %s", cause);
			free(cause);
			close(fd);
			return;
		}
	}
	evutil_make_socket_nonblocking(fd);
	pl = &px->listeners[px->nlisteners];
	pl->px = px;
	pl->tls = tls;
	snprintf(pl->name, sizeof(pl->name), "%s", name);
	/* backlog 0: the parent has called listen() already */
	pl->lev = evconnlistener_new(px->base, proxy_on_accept, pl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (pl->lev == NULL) {
		log_error("listener %s: cannot watch it", name);
		close(fd);
		return;
	}
	evconnlistener_set_error_cb(pl->lev, proxy_on_accept_error);
	px->nlisteners++;
	log_info("serving %s%s", name, tls ? " (TLS)" : "");
}

static void
proxy_on_ready(struct role_rt *rt, void *arg)
{
	struct proxy *px = arg;

	log_info("ready: %zu appliance%s known",
	    json_array_size(json_object_get(px->conf, "appliances")),
	    json_array_size(json_object_get(px->conf, "appliances")) == 1 ?
	    "" : "s");
}

static void
proxy_on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *px = arg;

	log_info("shutdown grace over: %ld connection%s cut", px->nconns,
	    px->nconns == 1 ? "" : "s");
	while (!TAILQ_EMPTY(&px->conns)) {
		struct proxy_conn *pc = TAILQ_FIRST(&px->conns);

		pc->outcome = "closed";
		pc->reason = "shutdown";
		proxy_conn_free(pc);
	}
	role_exit(px->rt);
}

/*
 * Stop accepting; tunnels may finish within shutdown_grace, or, replaced
 * after SIGHUP, within drain_timeout (role_draining()).
 */
static void
proxy_on_stop(struct role_rt *rt, void *arg)
{
	struct proxy *px = arg;
	struct timeval tv;
	size_t i;

	px->stopping = 1;
	for (i = 0; i < px->nlisteners; i++) {
		evconnlistener_free(px->listeners[i].lev);
		px->listeners[i].lev = NULL;
		if (px->listeners[i].ev_pause != NULL) {
			event_free(px->listeners[i].ev_pause);
			px->listeners[i].ev_pause = NULL;
		}
	}
	px->nlisteners = 0;
	proxy_conn_stop_idle(px);
	if (px->nconns == 0) {
		role_exit(rt);
		return;
	}
	tv.tv_sec = role_draining(rt) > 0 ? (time_t)role_draining(rt) :
	    px->set.shutdown_grace;
	log_info("stopping: %ld connection%s may finish within %lld s",
	    px->nconns, px->nconns == 1 ? "" : "s", (long long)tv.tv_sec);
	tv.tv_usec = 0;
	px->ev_grace = evtimer_new(px->base, proxy_on_grace, px);
	evtimer_add(px->ev_grace, &tv);
}

/* A connection ended; the last one during shutdown ends the role. */
void
proxy_conn_gone(struct proxy *px)
{
	if (px->stopping && px->nconns == 0)
		role_exit(px->rt);
}

int
main(int argc, char **argv)
{
	static const struct role_hooks hooks = {
		.on_config = proxy_on_config,
		.on_listener = proxy_on_listener,
		.on_ready = proxy_on_ready,
		.on_stop = proxy_on_stop,
		.arg = &proxy,
	};
	struct proxy *px = &proxy;
	char *cause = NULL;
	int status;

	TAILQ_INIT(&px->conns);
	audit_set_role("proxy");
	if ((px->rt = role_init("proxy", &hooks, &cause)) == NULL) {
		fprintf(stderr, "vnf-broker-proxy: %s\n", cause);
		free(cause);
		return 1;
	}
	px->base = role_base(px->rt);
	proxy_auth_init(px);
	status = role_run(px->rt);
	while (!TAILQ_EMPTY(&px->conns))
		proxy_conn_free(TAILQ_FIRST(&px->conns));
	pwcheck_free(px->pw);
	if (px->ev_grace != NULL)
		event_free(px->ev_grace);
	if (px->tls != NULL)
		SSL_CTX_free(px->tls);
	access_free(px->access);
	json_decref(px->conf);
	proxy_settings_clear(&px->set);
	role_free(px->rt);
	return status;
}
