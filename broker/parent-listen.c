/*
 * What the parent gives each role at start: the listening sockets it
 * bound (kept open across role restarts and reloads, so a restart loses
 * no port and queued connections wait), the audit sink, and the role's
 * view of the configuration as JSON in a sealed memfd.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/conf-int.h"
#include "broker/parent.h"
#include "broker/priv-proto.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define PARENT_LISTEN_BACKLOG	1024

static enum role_id
parent_listener_role(const char *name)
{
	if (strcmp(name, "ssh") == 0)
		return ROLE_SSH;
	if (strcmp(name, "api") == 0 || strcmp(name, "api_unix") == 0)
		return ROLE_ENGINE;
	return ROLE_PROXY;	/* proxy, proxy_tls */
}

/* Where the engine's unix socket lives: api.socket, or run_dir/api.sock. */
static char *
parent_api_socket_path(const struct broker_config *conf)
{
	const char *s = json_string_value(json_object_get(
	    conf->role_settings[ROLE_ENGINE], "socket"));

	return s != NULL ? xstrdup(s) : xasprintf("%s/api.sock",
	    conf->run_dir);
}

/*
 * The engine's local socket for vnf-brokerctl: root:GROUP (the roles'
 * user's group), 0660.  Peers are told apart by SO_PEERCRED in the role;
 * the mode only keeps everyone else from connecting at all.  Returns the
 * socket, or -1 with *cause.
 */
static int
parent_api_socket(const char *path, gid_t gid, char **cause)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*cause = xasprintf("api socket %s: path too long", path);
		return -1;
	}
	str_copy(sun.sun_path, path, sizeof(sun.sun_path));
	/*
	 * A stale socket from a run that was killed (the pid file says none
	 * runs now) is replaced; anything else there is left alone.
	 */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		*cause = xasprintf("api socket %s: exists and is not a socket",
		    path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("api socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		*cause = xasprintf("api socket %s: unlink: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		*cause = xasprintf("api socket %s: bind: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (chown(path, 0, gid) == -1)
		log_warn("api socket %s: chown: %s", path, strerror(errno));
	if (chmod(path, 0660) == -1 ||
	    listen(fd, PARENT_LISTEN_BACKLOG) == -1) {
		*cause = xasprintf("api socket %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Where cl binds, for the log: its address, or api_unix's path (*tofree). */
static const char *
parent_where(const struct broker_config *conf, const struct conf_listener *cl,
    char **tofree)
{
	*tofree = NULL;
	if (strcmp(cl->name, "api_unix") != 0)
		return cl->addr;
	*tofree = parent_api_socket_path(conf);
	return *tofree;
}

/*
 * Bind one listener of conf.  Returns the listening socket, or -1 with
 * *cause naming the listener, its address and why.
 */
static int
parent_listener_bind(const struct broker_config *conf,
    const struct conf_listener *cl, gid_t gid, char **cause)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char *path;
	int fd, one = 1;

	if (strcmp(cl->name, "api_unix") == 0) {
		path = parent_api_socket_path(conf);
		fd = parent_api_socket(path, gid, cause);
		free(path);
		return fd;
	}
	if (conf_listen_parse(cl->addr, &ss, &sl) == -1) {
		*cause = xasprintf("listen.%s %s: bad address", cl->name,
		    cl->addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		*cause = xasprintf("listen.%s %s: socket: %s", cl->name,
		    cl->addr, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1) {
		*cause = xasprintf("listen.%s %s: bind: %s", cl->name,
		    cl->addr, strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, PARENT_LISTEN_BACKLOG) == -1) {
		*cause = xasprintf("listen.%s %s: listen: %s", cl->name,
		    cl->addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
parent_listeners_open(struct parent *p)
{
	const struct conf_listener *cl;
	char *cause = NULL, *path;
	size_t i;
	int fd;

	for (i = 0; i < p->conf->nlisteners; i++) {
		cl = &p->conf->listeners[i];
		if ((fd = parent_listener_bind(p->conf, cl, p->gid,
		    &cause)) == -1)
			fatal("%s", cause);
		log_info("listening for %s on %s", cl->name,
		    parent_where(p->conf, cl, &path));
		free(path);
		p->listeners[p->nlisteners].conf = cl;
		p->listeners[p->nlisteners].role = parent_listener_role(
		    cl->name);
		p->listeners[p->nlisteners].fd = fd;
		p->nlisteners++;
	}
}

void
parent_listeners_close(struct parent *p)
{
	size_t i;
	char *path;

	for (i = 0; i < p->nlisteners; i++) {
		close(p->listeners[i].fd);
		if (strcmp(p->listeners[i].conf->name, "api_unix") == 0) {
			path = parent_api_socket_path(p->conf);
			unlink(path);
			free(path);
		}
	}
	p->nlisteners = 0;
}

int
parent_listen_key(const struct conf_listener *cl, const char *unix_path,
    struct parent_listen_key *k)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char host[INET6_ADDRSTRLEN];
	socklen_t sl;

	memset(k, 0, sizeof(*k));
	str_copy(k->kind, cl->name, sizeof(k->kind));
	if (strcmp(cl->name, "api_unix") == 0) {
		if (unix_path == NULL || str_copy(k->where, unix_path,
		    sizeof(k->where)) >= sizeof(k->where))
			return -1;
		return 0;
	}
	if (conf_listen_parse(cl->addr, &ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(k->where, sizeof(k->where), "%s:%u", host,
		    (unsigned)ntohs(sin->sin_port));
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(k->where, sizeof(k->where), "[%s]:%u", host,
		    (unsigned)ntohs(sin6->sin6_port));
	}
	return 0;
}

/*
 * Two passes over small arrays (at most CONF_LISTENERS_MAX each), on
 * purpose: first kind and address together, so an unchanged listener
 * always keeps its own socket; then the address alone, so a listener
 * that only changed kind (proxy to proxy_tls on the same port) keeps the
 * socket too, since binding that address again would fail while the old
 * socket listens.  Queued connections then go to the new kind's role.
 */
unsigned
parent_listeners_diff(const struct parent_listen_key *old, size_t nold,
    const struct parent_listen_key *nw, size_t nnew, int *keep)
{
	int taken[CONF_LISTENERS_MAX];
	unsigned changed = 0;
	size_t i, j;
	int pass;

	memset(taken, 0, sizeof(taken));
	for (i = 0; i < nnew; i++)
		keep[i] = -1;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nnew; i++) {
			if (keep[i] != -1)
				continue;
			for (j = 0; j < nold && j < CONF_LISTENERS_MAX; j++) {
				if (taken[j] ||
				    strcmp(old[j].where, nw[i].where) != 0)
					continue;
				if (pass == 0 &&
				    strcmp(old[j].kind, nw[i].kind) != 0)
					continue;
				/* a unix path serves only api_unix */
				if ((strcmp(old[j].kind, "api_unix") == 0) !=
				    (strcmp(nw[i].kind, "api_unix") == 0))
					continue;
				keep[i] = (int)j;
				taken[j] = 1;
				break;
			}
		}
	}
	for (i = 0; i < nnew; i++) {
		if (keep[i] == -1)
			changed |= 1u << parent_listener_role(nw[i].kind);
		else if (strcmp(old[keep[i]].kind, nw[i].kind) != 0)
			changed |= 1u << parent_listener_role(nw[i].kind) |
			    1u << parent_listener_role(old[keep[i]].kind);
	}
	for (j = 0; j < nold && j < CONF_LISTENERS_MAX; j++)
		if (!taken[j])
			changed |= 1u << parent_listener_role(old[j].kind);
	return changed;
}

int
parent_listeners_prepare(struct parent *p, const struct broker_config *n,
    gid_t gid, struct parent_listen_plan *lp, char **cause)
{
	struct parent_listen_key ok[CONF_LISTENERS_MAX], nk[CONF_LISTENERS_MAX];
	char *new_unix;
	size_t i;
	int fd, rv = -1;

	memset(lp, 0, sizeof(*lp));
	lp->gid = gid;
	lp->old_gid = p->gid;
	lp->old_unix = parent_api_socket_path(p->conf);
	new_unix = parent_api_socket_path(n);
	for (i = 0; i < p->nlisteners; i++)
		if (parent_listen_key(p->listeners[i].conf, lp->old_unix,
		    &ok[i]) == -1)
			fatal("listener %s %s: no longer parses",
			    p->listeners[i].conf->name,
			    p->listeners[i].conf->addr);
	for (i = 0; i < n->nlisteners; i++) {
		if (parent_listen_key(&n->listeners[i], new_unix,
		    &nk[i]) == -1) {
			*cause = xasprintf("listen.%s %s: bad address",
			    n->listeners[i].name, n->listeners[i].addr);
			goto out;
		}
	}
	lp->changed = parent_listeners_diff(ok, p->nlisteners, nk,
	    n->nlisteners, lp->keep);
	/* Bind every new one before anything changes; undo on failure. */
	for (lp->n = 0; lp->n < n->nlisteners; lp->n++) {
		i = lp->n;
		lp->set[i].role = parent_listener_role(n->listeners[i].name);
		if (lp->keep[i] != -1) {
			lp->set[i].fd = p->listeners[lp->keep[i]].fd;
			continue;
		}
		if ((fd = parent_listener_bind(n, &n->listeners[i], gid,
		    cause)) == -1)
			goto out;
		lp->set[i].fd = fd;
	}
	rv = 0;
out:
	free(new_unix);
	if (rv != 0)
		parent_listeners_abort(p, lp);
	return rv;
}

void
parent_listeners_abort(struct parent *p, struct parent_listen_plan *lp)
{
	size_t i;

	(void)p;
	for (i = 0; i < lp->n; i++) {
		if (lp->keep[i] != -1)
			continue;
		/* an api_unix socket bound here was never in force */
		close(lp->set[i].fd);
	}
	lp->n = 0;
	free(lp->old_unix);
	lp->old_unix = NULL;
}

void
parent_listeners_commit(struct parent *p, const struct broker_config *n,
    struct parent_listen_plan *lp)
{
	struct parent_listener *pl;
	int taken[CONF_LISTENERS_MAX];
	char *path;
	size_t i;

	memset(taken, 0, sizeof(taken));
	for (i = 0; i < lp->n; i++) {
		if (lp->keep[i] == -1) {
			log_info("SIGHUP: listener %s %s added",
			    n->listeners[i].name, parent_where(n,
			    &n->listeners[i], &path));
			free(path);
			continue;
		}
		taken[lp->keep[i]] = 1;
		pl = &p->listeners[lp->keep[i]];
		/* the roles' group changed: let the new one connect */
		if (strcmp(n->listeners[i].name, "api_unix") == 0 &&
		    lp->gid != lp->old_gid &&
		    chown(lp->old_unix, 0, lp->gid) == -1)
			log_warn("api socket %s: chown: %s", lp->old_unix,
			    strerror(errno));
		if (strcmp(pl->conf->name, n->listeners[i].name) != 0)
			log_info("SIGHUP: listener %s now serves %s (was "
			    "%s); its socket is kept", n->listeners[i].addr,
			    n->listeners[i].name, pl->conf->name);
	}
	for (i = 0; i < p->nlisteners; i++) {
		if (taken[i])
			continue;
		pl = &p->listeners[i];
		log_info("SIGHUP: listener %s %s removed", pl->conf->name,
		    strcmp(pl->conf->name, "api_unix") == 0 ? lp->old_unix :
		    pl->conf->addr);
		close(pl->fd);
		if (strcmp(pl->conf->name, "api_unix") == 0)
			unlink(lp->old_unix);
	}
	/* The conf entries move into the configuration in force. */
	memcpy(p->conf->listeners, n->listeners, sizeof(p->conf->listeners));
	p->conf->nlisteners = n->nlisteners;
	for (i = 0; i < lp->n; i++) {
		p->listeners[i].conf = &p->conf->listeners[i];
		p->listeners[i].role = lp->set[i].role;
		p->listeners[i].fd = lp->set[i].fd;
	}
	p->nlisteners = lp->n;
	free(lp->old_unix);
	lp->old_unix = NULL;
	lp->n = 0;
}


void
parent_audit_open(struct parent *p)
{
	if (p->conf->audit_log == NULL) {
		p->audit_fd = -1;	/* roles write audit lines to stderr */
		return;
	}
	p->audit_fd = open(p->conf->audit_log, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0640);
	if (p->audit_fd == -1)
		fatal("audit_log %s: %s", p->conf->audit_log, strerror(errno));
}

/* The role's view: shared access data, its own settings, network names. */
static json_t *
parent_role_view(struct parent *p, struct role *r)
{
	json_t *view, *nets, *settings;
	size_t i;

	view = json_deep_copy(p->conf->view);
	json_object_set_new(view, "role", json_string(r->def->name));
	settings = p->conf->role_settings[r->def->id];
	json_object_set_new(view, "settings", settings != NULL ?
	    json_deep_copy(settings) : json_object());
	nets = json_array();
	for (i = 0; i < p->nnets; i++)
		json_array_append_new(nets, json_string(netns_net_name(
		    p->nets[i])));
	json_object_set_new(view, "networks", nets);
	/* H2: state: registered objects (the engine's networks with state) */
	parent_state_merge(p, view, r->def->id == ROLE_ENGINE);
	return view;
}

/* H2: state: send one role its view with generation gen. */
static int
parent_role_send_view(struct parent *p, struct role *r, uint32_t gen)
{
	struct priv_config pc;
	json_t *view;
	char *text;
	int fd, e;

	view = parent_role_view(p, r);
	text = json_dumps(view, JSON_COMPACT);
	json_decref(view);
	if (text == NULL)
		return -ENOMEM;
	memset(&pc, 0, sizeof(pc));
	pc.size = strlen(text);
	pc.generation = gen;
	fd = ipc_memfd("vnf-broker-config", text, pc.size);
	free(text);
	if (fd < 0)
		return fd;
	e = ipc_send(r->fd, PRIV_CONFIG, 0, &pc, sizeof(pc), fd);
	close(fd);
	return e;
}

/*
 * After a change: every running role gets its new view.  A role that
 * cannot take it (its channel is full) is ended and restarted with the
 * view in force, so none keeps an old one.
 */
static void
parent_view_send(struct parent *p, struct role *r, uint32_t gen)
{
	char buf[96];
	int e;

	if (r->pid == 0 || r->fd == -1 || r->ending)
		return;
	if ((e = parent_role_send_view(p, r, gen)) != 0) {
		snprintf(buf, sizeof(buf), "cannot send its new "
		    "configuration: %s", err_str(e));
		parent_role_end(p, r, buf);
	}
}

void
parent_views_push(struct parent *p)
{
	uint32_t gen = ++p->config_gen;
	size_t i;

	for (i = 0; i < ROLE_MAX; i++)
		parent_view_send(p, &p->roles[i], gen);
}

void
parent_view_push(struct parent *p, struct role *r)
{
	parent_view_send(p, r, ++p->config_gen);
}
/* end H2: state */

int
parent_role_send_setup(struct parent *p, struct role *r)
{
	struct priv_listener pl;
	size_t i;
	int e;

	if ((e = parent_role_send_view(p, r, ++p->config_gen)) != 0)
		return e;
	for (i = 0; i < p->nlisteners; i++) {
		if (p->listeners[i].role != r->def->id)
			continue;
		memset(&pl, 0, sizeof(pl));
		str_copy(pl.name, p->listeners[i].conf->name, sizeof(pl.name));
		if ((e = ipc_send(r->fd, PRIV_LISTENER, 0, &pl, sizeof(pl),
		    p->listeners[i].fd)) != 0)
			return e;
	}
	return 0;
}
