#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/parent.h"
#include "broker/priv-proto.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

/*
 * The privileged side is a table, not a switch that trusts its caller:
 * each row says what a request looks like (size, descriptor) and which
 * permission a role needs to send it.  A request that fails either check
 * ends the role.  A request that is well formed and permitted but cannot
 * be done (no such network) gets a PRIV_ERROR reply instead.
 */
struct priv_handler {
	struct ipc_type	 t;
	unsigned	 perm;
	/* Returns 0 when a reply was sent, -1 to end the role (*why set). */
	int		(*fn)(struct parent *, struct role *,
			    const struct ipc_msg *, const char **why);
};

static int priv_socket(struct parent *, struct role *,
	    const struct ipc_msg *, const char **);
static int priv_net_attach(struct parent *, struct role *,
	    const struct ipc_msg *, const char **);
static int priv_net_detach(struct parent *, struct role *,
	    const struct ipc_msg *, const char **);

/* H2: state */
static int priv_state_put(struct parent *, struct role *,
	    const struct ipc_msg *, const char **);
static int priv_state_del(struct parent *, struct role *,
	    const struct ipc_msg *, const char **);
/* end H2: state */

static const struct priv_handler priv_handlers[] = {
	{ { PRIV_SOCKET_REQ, "SOCKET_REQ", sizeof(struct priv_socket_req),
	    sizeof(struct priv_socket_req), 0 }, PRIV_PERM_SOCKET,
	    priv_socket },
	{ { PRIV_NET_ATTACH, "NET_ATTACH", sizeof(struct netns_spec),
	    sizeof(struct netns_spec), 0 }, PRIV_PERM_NET, priv_net_attach },
	{ { PRIV_NET_DETACH, "NET_DETACH", sizeof(struct priv_net_name),
	    sizeof(struct priv_net_name), 0 }, PRIV_PERM_NET,
	    priv_net_detach },
	/* H2: state */
	{ { PRIV_STATE_PUT, "STATE_PUT", sizeof(struct priv_state),
	    sizeof(struct priv_state), 1 }, PRIV_PERM_STATE, priv_state_put },
	{ { PRIV_STATE_DEL, "STATE_DEL", sizeof(struct priv_state),
	    sizeof(struct priv_state), 0 }, PRIV_PERM_STATE, priv_state_del },
};
#define PRIV_NHANDLERS	(sizeof(priv_handlers) / sizeof(priv_handlers[0]))

/* Send a reply; a role that cannot take it (full buffer) is ended. */
static int
priv_reply(struct role *r, uint16_t type, uint32_t id, const void *data,
    size_t len, int fd, const char **why)
{
	static char buf[128];
	int e;

	if ((e = ipc_send(r->fd, type, id, data, len, fd)) == 0)
		return 0;
	snprintf(buf, sizeof(buf), "cannot send reply: %s", err_str(e));
	*why = buf;
	return -1;
}

static int
priv_reply_error(struct role *r, uint32_t id, int code, const char *msg,
    const char **why)
{
	struct priv_error err;

	memset(&err, 0, sizeof(err));
	err.code = code;
	str_copy(err.message, msg, sizeof(err.message));
	return priv_reply(r, PRIV_ERROR, id, &err, sizeof(err), -1, why);
}

/* A fixed-size name field must be NUL-terminated and valid. */
static int
priv_name_ok(const char *name, size_t size)
{
	return memchr(name, '\0', size) != NULL && netns_name_valid(name);
}

static int
priv_socket(struct parent *p, struct role *r, const struct ipc_msg *msg,
    const char **why)
{
	struct priv_socket_req req;
	struct netns_net *net;
	char buf[160];
	int fd, rv;

	memcpy(&req, msg->data, sizeof(req));
	if (!priv_name_ok(req.network, sizeof(req.network))) {
		*why = "SOCKET_REQ: invalid network name";
		return -1;
	}
	/* Only TCP and UDP over IP: never raw, packet or netlink sockets. */
	if ((req.domain != AF_INET && req.domain != AF_INET6) ||
	    (req.type != SOCK_STREAM && req.type != SOCK_DGRAM)) {
		*why = "SOCKET_REQ: only AF_INET/AF_INET6 stream or datagram "
		    "sockets may be asked for";
		return -1;
	}
	if ((net = parent_net_find(p, req.network)) == NULL) {
		snprintf(buf, sizeof(buf), "network \"%s\" is not attached",
		    req.network);
		return priv_reply_error(r, msg->hdr.id, VB_ENOTFOUND, buf, why);
	}
	fd = netns_net_socket(net, req.domain, req.type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(buf, sizeof(buf), "network \"%s\": socket: %s",
		    req.network, err_str(fd));
		return priv_reply_error(r, msg->hdr.id, fd, buf, why);
	}
	log_debug("role %s: socket in %s", r->def->name, req.network);
	rv = priv_reply(r, PRIV_SOCKET_OK, msg->hdr.id, NULL, 0, fd, why);
	close(fd);
	return rv;
}

static int
priv_net_attach(struct parent *p, struct role *r, const struct ipc_msg *msg,
    const char **why)
{
	struct netns_spec spec;
	char *cause = NULL;
	int e, rv;

	memcpy(&spec, msg->data, sizeof(spec));
	/* Untrusted: netns_spec_check() checks every field and terminator. */
	if ((e = parent_net_attach(p, &spec, &cause)) != 0) {
		log_warn("role %s: attach refused: %s", r->def->name, cause);
		rv = priv_reply_error(r, msg->hdr.id, e, cause, why);
		free(cause);
		return rv;
	}
	return priv_reply(r, PRIV_OK, msg->hdr.id, NULL, 0, -1, why);
}

static int
priv_net_detach(struct parent *p, struct role *r, const struct ipc_msg *msg,
    const char **why)
{
	struct priv_net_name req;
	char *cause = NULL;
	int e, rv;

	memcpy(&req, msg->data, sizeof(req));
	if (!priv_name_ok(req.name, sizeof(req.name))) {
		*why = "NET_DETACH: invalid network name";
		return -1;
	}
	if ((e = parent_net_detach(p, req.name, &cause)) != 0) {
		rv = priv_reply_error(r, msg->hdr.id, e, cause, why);
		free(cause);
		return rv;
	}
	return priv_reply(r, PRIV_OK, msg->hdr.id, NULL, 0, -1, why);
}

/* H2: state */
/* The fixed-size kind and name must be terminated; the rest is checked
 * by parent_state_put/del. */
static int
priv_state_names(struct priv_state *st)
{
	return memchr(st->kind, '\0', sizeof(st->kind)) != NULL &&
	    memchr(st->name, '\0', sizeof(st->name)) != NULL;
}

/*
 * Reply after a change: the views went out first, then PRIV_OK.  A kind
 * only the engine's view holds (a bootstrap saves one per step) leaves
 * the other roles, and the sockets they keep ready, alone.
 */
static int
priv_state_reply(struct parent *p, struct role *r, const char *kind,
    uint32_t id, int e, char *cause, const char **why)
{
	int rv;

	if (e < 0) {
		rv = priv_reply_error(r, id, e, cause ? cause : err_str(e),
		    why);
		free(cause);
		return rv;
	}
	if (e == 0 && parent_state_engine_only(kind))
		parent_view_push(p, &p->roles[ROLE_ENGINE]);
	else if (e == 0)
		parent_views_push(p);	/* 1: nothing changed */
	if (r->fd == -1)
		return 0;	/* the push ended it; it restarts */
	return priv_reply(r, PRIV_OK, id, NULL, 0, -1, why);
}

/*
 * The object arrives in a sealed memfd: sealed, so the role cannot change
 * it while it is read; size-checked against what the request says.
 */
static int
priv_state_put(struct parent *p, struct role *r, const struct ipc_msg *msg,
    const char **why)
{
	struct priv_state st;
	struct stat sb;
	char *buf, *cause = NULL;
	ssize_t n;
	int seals, e;
	const int want = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;

	memcpy(&st, msg->data, sizeof(st));
	if (!priv_state_names(&st)) {
		*why = "STATE_PUT: kind or name not terminated";
		return -1;
	}
	seals = fcntl(msg->fd, F_GET_SEALS);
	if (seals == -1 || (seals & want) != want || fstat(msg->fd,
	    &sb) == -1 || (uint64_t)sb.st_size != st.size) {
		*why = "STATE_PUT: the object is not a sealed memfd of the "
		    "size given";
		return -1;
	}
	if (st.size > PRIV_STATE_MAX)
		return priv_reply_error(r, msg->hdr.id, VB_ECONFIG,
		    "the object is larger than 1 MiB", why);
	buf = xmalloc(st.size + 1);
	n = pread(msg->fd, buf, st.size, 0);
	if (n < 0 || (uint64_t)n != st.size) {
		free(buf);
		return priv_reply_error(r, msg->hdr.id, -EIO,
		    "reading the object failed", why);
	}
	buf[st.size] = '\0';
	e = parent_state_put(p, st.kind, st.name, buf, st.size, &cause);
	free(buf);
	if (e < 0)
		log_warn("role %s: %s %s refused: %s", r->def->name, st.kind,
		    st.name, cause);
	return priv_state_reply(p, r, st.kind, msg->hdr.id, e, cause, why);
}

static int
priv_state_del(struct parent *p, struct role *r, const struct ipc_msg *msg,
    const char **why)
{
	struct priv_state st;
	char *cause = NULL;
	int e;

	memcpy(&st, msg->data, sizeof(st));
	if (!priv_state_names(&st)) {
		*why = "STATE_DEL: kind or name not terminated";
		return -1;
	}
	e = parent_state_del(p, st.kind, st.name, &cause);
	return priv_state_reply(p, r, st.kind, msg->hdr.id, e, cause, why);
}
/* end H2: state */

void
parent_priv_dispatch(struct parent *p, struct role *r)
{
	static struct ipc_msg msg;	/* 4 KiB; not on the stack */
	static const struct ipc_type *types;
	static struct ipc_type table[PRIV_NHANDLERS];
	const struct ipc_type *row;
	const char *why = NULL;
	char buf[192];
	size_t i, h;
	int n;

	if (types == NULL) {
		for (i = 0; i < PRIV_NHANDLERS; i++)
			table[i] = priv_handlers[i].t;
		types = table;
	}
	/* Bounded: at most a few requests per wake-up, then yield. */
	for (i = 0; i < 16 && r->fd != -1; i++) {
		n = ipc_recv(r->fd, &msg);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			parent_role_end(p, r, "it closed its channel");
			return;
		}
		if (n < 0) {
			snprintf(buf, sizeof(buf), "malformed message: %s",
			    err_str(n));
			parent_role_end(p, r, buf);
			return;
		}
		if (ipc_check(&msg, types, PRIV_NHANDLERS, &row, &why) != 0) {
			ipc_msg_clear(&msg);
			parent_role_end(p, r, why);
			return;
		}
		h = (size_t)(row - types);
		if ((priv_handlers[h].perm & r->def->perms) == 0) {
			ipc_msg_clear(&msg);
			snprintf(buf, sizeof(buf), "%s is not permitted for "
			    "this role", row->name);
			parent_role_end(p, r, buf);
			return;
		}
		/* Only STATE_PUT carries one (its memfd); the handler reads. */
		n = priv_handlers[h].fn(p, r, &msg, &why);
		ipc_msg_clear(&msg);
		if (n != 0) {
			parent_role_end(p, r, why);
			return;
		}
	}
}
