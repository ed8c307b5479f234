/*
 * Fuzz target: what the parent does with a datagram from a role before
 * acting on it.  The input is sent as one datagram over a SOCK_SEQPACKET
 * pair, framed by ipc_recv(), checked against the privileged protocol's
 * table by ipc_check(), and a NET_ATTACH payload goes through
 * netns_spec_check(), the validator of everything an attach request
 * carries.
 */
#include "config.h"

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/priv-proto.h"
#include "common/ipc.h"
#include "netns/netns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ipc_type table[] = {
	{ PRIV_SOCKET_REQ, "SOCKET_REQ", sizeof(struct priv_socket_req),
	    sizeof(struct priv_socket_req), 0 },
	{ PRIV_NET_ATTACH, "NET_ATTACH", sizeof(struct netns_spec),
	    sizeof(struct netns_spec), 0 },
	{ PRIV_NET_DETACH, "NET_DETACH", sizeof(struct priv_net_name),
	    sizeof(struct priv_net_name), 0 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ipc_msg msg;
	const struct ipc_type *row;
	struct netns_spec spec;
	const char *why;
	char *cause = NULL;
	int sv[2];

	if (size == 0 || size > sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD + 64)
		return 0;
	if (ipc_pair(sv) != 0)
		abort();
	if (send(sv[0], data, size, 0) != (ssize_t)size)
		abort();
	if (ipc_recv(sv[1], &msg) == 1 &&
	    ipc_check(&msg, table, sizeof(table) / sizeof(table[0]), &row,
	    &why) == 0 && row->type == PRIV_NET_ATTACH) {
		memcpy(&spec, msg.data, sizeof(spec));
		if (netns_spec_check(&spec, &cause) != 0 && cause == NULL)
			abort();	/* a refusal always says why */
		free(cause);
	}
	ipc_msg_clear(&msg);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
