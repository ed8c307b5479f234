/*
 * What the parent gives each role at start: the listening sockets it
 * bound (kept open across role restarts, so a restart loses no port and
 * queued connections wait), the audit sink, and the role's view of the
 * configuration as JSON in a sealed memfd.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

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
parent_api_socket_path(struct parent *p)
{
	const char *s = json_string_value(json_object_get(
	    p->conf->role_settings[ROLE_ENGINE], "socket"));

	return s != NULL ? xstrdup(s) : xasprintf("%s/api.sock",
	    p->conf->run_dir);
}

/*
 * The engine's local socket for vnf-brokerctl: root:GROUP (the roles'
 * user's group), 0660.  Peers are told apart by SO_PEERCRED in the role;
 * the mode only keeps everyone else from connecting at all.
 */
static int
parent_api_socket(struct parent *p)
{
	struct sockaddr_un sun;
	struct passwd *pw;
	struct stat st;
	char *path = parent_api_socket_path(p);
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatal("api socket %s: path too long", path);
	str_copy(sun.sun_path, path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("api socket: %s", strerror(errno));
	/*
	 * A stale socket from a run that was killed (the pid file says none
	 * runs now) is replaced; anything else there is left alone.
	 */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		fatal("api socket %s: exists and is not a socket", path);
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("api socket %s: unlink: %s", path, strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("api socket %s: bind: %s", path, strerror(errno));
	if ((pw = getpwnam(p->conf->user)) != NULL &&
	    chown(path, 0, pw->pw_gid) == -1)
		log_warn("api socket %s: chown: %s", path, strerror(errno));
	if (chmod(path, 0660) == -1)
		fatal("api socket %s: chmod: %s", path, strerror(errno));
	if (listen(fd, PARENT_LISTEN_BACKLOG) == -1)
		fatal("api socket %s: listen: %s", path, strerror(errno));
	log_info("listening for api_unix on %s", path);
	free(path);
	return fd;
}

void
parent_listeners_open(struct parent *p)
{
	const struct conf_listener *cl;
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;
	int fd, one = 1;

	for (i = 0; i < p->conf->nlisteners; i++) {
		cl = &p->conf->listeners[i];
		if (strcmp(cl->name, "api_unix") == 0) {
			fd = parent_api_socket(p);
			goto add;
		}
		if (conf_listen_parse(cl->addr, &ss, &sl) == -1)
			fatal("listen.%s: bad address %s", cl->name, cl->addr);
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1)
			fatal("listen.%s %s: socket: %s", cl->name, cl->addr,
			    strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sl) == -1)
			fatal("listen.%s %s: bind: %s", cl->name, cl->addr,
			    strerror(errno));
		if (listen(fd, PARENT_LISTEN_BACKLOG) == -1)
			fatal("listen.%s %s: listen: %s", cl->name, cl->addr,
			    strerror(errno));
		log_info("listening for %s on %s", cl->name, cl->addr);
add:
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
			path = parent_api_socket_path(p);
			unlink(path);
			free(path);
		}
	}
	p->nlisteners = 0;
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
void
parent_views_push(struct parent *p)
{
	uint32_t gen = ++p->config_gen;
	char buf[96];
	size_t i;
	int e;

	for (i = 0; i < ROLE_MAX; i++) {
		struct role *r = &p->roles[i];

		if (r->pid == 0 || r->fd == -1 || r->ending)
			continue;
		if ((e = parent_role_send_view(p, r, gen)) != 0) {
			snprintf(buf, sizeof(buf), "cannot send its new "
			    "configuration: %s", err_str(e));
			parent_role_end(p, r, buf);
		}
	}
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
