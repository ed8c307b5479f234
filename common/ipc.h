/*
 * IPC framing between the parent and its roles.
 *
 * Messages travel over an AF_UNIX SOCK_SEQPACKET socketpair, so the kernel
 * keeps message boundaries and a short or oversized datagram is visible as
 * such.  Each message is a fixed header followed by at most IPC_MAX_PAYLOAD
 * bytes, and may carry one file descriptor (SCM_RIGHTS), announced by
 * IPC_F_FD in the header.  Nothing is trusted: ipc_recv() checks the frame,
 * ipc_check() checks the type, payload size and descriptor against a table
 * the receiver owns, in the manner of OpenSSH's monitor and relayd's imsg.
 */
#ifndef VB_COMMON_IPC_H
#define VB_COMMON_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_MAX_PAYLOAD	4096
#define IPC_F_FD	0x0001	/* a descriptor rides with this message */

struct ipc_hdr {
	uint16_t	type;
	uint16_t	flags;
	uint32_t	len;	/* payload bytes after the header */
	uint32_t	id;	/* request id, echoed in the reply */
};

struct ipc_msg {
	struct ipc_hdr	hdr;
	uint8_t		data[IPC_MAX_PAYLOAD];
	int		fd;	/* -1 unless hdr.flags has IPC_F_FD */
};

/* What a receiver accepts: one row per message type. */
struct ipc_type {
	uint16_t	 type;
	const char	*name;
	uint32_t	 min_len;
	uint32_t	 max_len;
	int		 with_fd;	/* 1: must carry a descriptor, 0: must not */
};

/* Create a SOCK_SEQPACKET socketpair, both ends close-on-exec. */
int	ipc_pair(int sv[2]);

/*
 * Send one message; fd is passed when >= 0 (the caller keeps its copy).
 * Returns 0 or -errno; a payload over IPC_MAX_PAYLOAD is -EMSGSIZE.
 */
int	ipc_send(int sock, uint16_t type, uint32_t id, const void *data,
	    size_t len, int fd);

/*
 * Receive one message into msg.  Returns 1 for a message, 0 at end of file,
 * -EAGAIN when a non-blocking socket has nothing, or a negative VB_E* code
 * for a malformed frame (truncated, oversized, descriptor mismatch).  Any
 * descriptor received with a bad frame is closed; on success msg->fd belongs
 * to the caller.
 */
int	ipc_recv(int sock, struct ipc_msg *msg);

/*
 * Check msg against the receiver's table.  Returns 0 and sets *row, or a
 * negative VB_E* code (VB_ETYPE, VB_ESIZE, VB_EFD) with *cause filled in a
 * static buffer naming the type and what was wrong.
 */
int	ipc_check(const struct ipc_msg *msg, const struct ipc_type *table,
	    size_t n, const struct ipc_type **row, const char **cause);

/* Close the message's descriptor if it has one. */
void	ipc_msg_clear(struct ipc_msg *msg);

/*
 * A sealed memfd holding len bytes of text: how payloads larger than a
 * message (a configuration view, a registered object) travel with one.
 * Returns the descriptor, or a negative errno.  The receiver checks the
 * seals and the size before reading.
 */
int	ipc_memfd(const char *name, const char *text, size_t len);

#endif
