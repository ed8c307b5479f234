/*
 * What the parent gives each role at start: the listening sockets it
 * bound (kept open across role restarts, so a restart loses no port and
 * queued connections wait), the audit sink, and the role's view of the
 * configuration as JSON in a sealed memfd.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
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
	if (strcmp(name, "api") == 0)
		return ROLE_ENGINE;
	return ROLE_PROXY;	/* proxy, proxy_tls */
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
		p->listeners[p->nlisteners].conf = cl;
		p->listeners[p->nlisteners].role = parent_listener_role(
		    cl->name);
		p->listeners[p->nlisteners].fd = fd;
		p->nlisteners++;
		log_info("listening for %s on %s", cl->name, cl->addr);
	}
}

void
parent_listeners_close(struct parent *p)
{
	size_t i;

	for (i = 0; i < p->nlisteners; i++)
		close(p->listeners[i].fd);
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
	return view;
}

/* A sealed memfd holding text; returns the descriptor or -errno. */
static int
parent_memfd(const char *text, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd, e;

	fd = memfd_create("vnf-broker-config", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return -errno;
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		goto fail;
	return fd;
fail:
	e = errno ? -errno : -EIO;
	close(fd);
	return e;
}

int
parent_role_send_setup(struct parent *p, struct role *r)
{
	struct priv_config pc;
	struct priv_listener pl;
	json_t *view;
	char *text;
	size_t i;
	int fd, e;

	view = parent_role_view(p, r);
	text = json_dumps(view, JSON_COMPACT);
	json_decref(view);
	if (text == NULL)
		return -ENOMEM;
	memset(&pc, 0, sizeof(pc));
	pc.size = strlen(text);
	pc.generation = ++p->config_gen;
	fd = parent_memfd(text, pc.size);
	free(text);
	if (fd < 0)
		return fd;
	e = ipc_send(r->fd, PRIV_CONFIG, 0, &pc, sizeof(pc), fd);
	close(fd);
	if (e != 0)
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
