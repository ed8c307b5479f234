#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/priv-proto.h"
#include "broker/privclient.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

static uint32_t privc_next_id = 1;

/* Send a request and wait for its reply; *fd gets a passed socket. */
static int
privc_call(int ipc, uint16_t type, const void *data, size_t len, int *fd,
    char **cause)
{
	static const struct ipc_type replies[] = {
		{ PRIV_SOCKET_OK, "SOCKET_OK", 0, 0, 1 },
		{ PRIV_OK, "OK", 0, 0, 0 },
		{ PRIV_ERROR, "ERROR", sizeof(struct priv_error),
		    sizeof(struct priv_error), 0 },
		{ PRIV_CONFIG, "CONFIG", sizeof(struct priv_config),
		    sizeof(struct priv_config), 1 },
		{ PRIV_LISTENER, "LISTENER", sizeof(struct priv_listener),
		    sizeof(struct priv_listener), 1 },
	};
	const struct ipc_type *row;
	struct priv_error err;
	struct ipc_msg *msg;
	const char *why;
	uint32_t id = privc_next_id++;
	int r;

	if ((r = ipc_send(ipc, type, id, data, len, -1)) != 0) {
		*cause = xasprintf("sending to the parent: %s", err_str(r));
		return r;
	}
	msg = xmalloc(sizeof(*msg));
again:
	if ((r = ipc_recv(ipc, msg)) != 1) {
		*cause = xasprintf("reading the parent's reply: %s",
		    r == 0 ? "parent closed the channel" : err_str(r));
		r = r == 0 ? -EPIPE : r;
		goto out;
	}
	r = ipc_check(msg, replies, sizeof(replies) / sizeof(replies[0]), &row,
	    &why);
	/* Set-up messages are for event-driven roles; a blocking caller skips. */
	if (r == 0 && (row->type == PRIV_CONFIG || row->type == PRIV_LISTENER)) {
		ipc_msg_clear(msg);
		goto again;
	}
	if (r != 0 || msg->hdr.id != id) {
		*cause = xasprintf("bad reply from the parent: %s",
		    r != 0 ? why : "wrong request id");
		ipc_msg_clear(msg);
		r = VB_EPROTO;
		goto out;
	}
	if (row->type == PRIV_ERROR) {
		memcpy(&err, msg->data, sizeof(err));
		err.message[sizeof(err.message) - 1] = '\0';
		*cause = xstrdup(err.message);
		r = err.code < 0 ? err.code : VB_EPROTO;
		goto out;
	}
	if (fd != NULL)
		*fd = msg->fd;
	else
		ipc_msg_clear(msg);
	r = 0;
out:
	free(msg);
	return r;
}

int
privc_socket(int ipc, const char *network, int domain, int type, char **cause)
{
	struct priv_socket_req req;
	int fd = -1, r;

	memset(&req, 0, sizeof(req));
	if (str_copy(req.network, network, sizeof(req.network)) >=
	    sizeof(req.network)) {
		*cause = xasprintf("network name \"%s\" is too long", network);
		return -ENAMETOOLONG;
	}
	req.domain = domain;
	req.type = type;
	if ((r = privc_call(ipc, PRIV_SOCKET_REQ, &req, sizeof(req), &fd,
	    cause)) != 0)
		return r;
	return fd;
}

int
privc_net_attach(int ipc, const struct netns_spec *spec, char **cause)
{
	return privc_call(ipc, PRIV_NET_ATTACH, spec, sizeof(*spec), NULL,
	    cause);
}

int
privc_net_detach(int ipc, const char *name, char **cause)
{
	struct priv_net_name req;

	memset(&req, 0, sizeof(req));
	if (str_copy(req.name, name, sizeof(req.name)) >= sizeof(req.name)) {
		*cause = xasprintf("network name \"%s\" is too long", name);
		return -ENAMETOOLONG;
	}
	return privc_call(ipc, PRIV_NET_DETACH, &req, sizeof(req), NULL, cause);
}
