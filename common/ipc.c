#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/ipc.h"

int
ipc_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -errno;
	return 0;
}

int
ipc_send(int sock, uint16_t type, uint32_t id, const void *data, size_t len,
    int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct ipc_hdr hdr;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	if (len > IPC_MAX_PAYLOAD)
		return -EMSGSIZE;
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len;
	hdr.id = id;
	hdr.flags = fd >= 0 ? IPC_F_FD : 0;

	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	if (fd >= 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	if ((size_t)n != sizeof(hdr) + len)
		return -EIO;
	return 0;
}

/* Close every descriptor in the control data; used on rejected frames. */
static void
ipc_close_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;
	size_t i, nfd;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

int
ipc_recv(int sock, struct ipc_msg *msg)
{
	union {
		struct cmsghdr hdr;
		/* room for more than one, so extra descriptors are seen */
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cmsgbuf;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	size_t nfd = 0;
	ssize_t n;
	int fd = -1;

	msg->fd = -1;
	iov[0].iov_base = &msg->hdr;
	iov[0].iov_len = sizeof(msg->hdr);
	iov[1].iov_base = msg->data;
	iov[1].iov_len = sizeof(msg->data);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return 0;

	if (mh.msg_flags & MSG_CTRUNC) {
		ipc_close_fds(&mh);
		/*
		 * A whole message announcing one descriptor, with the
		 * descriptor dropped: the kernel had no slot for it here
		 * (EMFILE).  The message is good; say so, with fd -1.
		 */
		if (mh.msg_controllen == 0 && !(mh.msg_flags & MSG_TRUNC) &&
		    (size_t)n >= sizeof(msg->hdr) &&
		    msg->hdr.len == (size_t)n - sizeof(msg->hdr) &&
		    msg->hdr.flags == IPC_F_FD)
			return VB_ENOFD;
		return VB_EFD;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			ipc_close_fds(&mh);
			return VB_EFD;
		}
		nfd += (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd == 1)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	}
	if (nfd > 1) {
		ipc_close_fds(&mh);
		return VB_EFD;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		ipc_close_fds(&mh);
		return VB_E2BIG;
	}
	if ((size_t)n < sizeof(msg->hdr) ||
	    msg->hdr.len != (size_t)n - sizeof(msg->hdr)) {
		ipc_close_fds(&mh);
		return VB_ETRUNC;
	}
	if (((msg->hdr.flags & IPC_F_FD) != 0) != (nfd == 1) ||
	    (msg->hdr.flags & ~IPC_F_FD) != 0) {
		ipc_close_fds(&mh);
		return VB_EFD;
	}
	msg->fd = fd;
	return 1;
}

int
ipc_check(const struct ipc_msg *msg, const struct ipc_type *table, size_t n,
    const struct ipc_type **row, const char **cause)
{
	static char buf[160];
	size_t i;

	for (i = 0; i < n; i++) {
		if (table[i].type != msg->hdr.type)
			continue;
		if (msg->hdr.len < table[i].min_len ||
		    msg->hdr.len > table[i].max_len) {
			snprintf(buf, sizeof(buf),
			    "%s: payload of %u bytes, expected %u to %u",
			    table[i].name, msg->hdr.len, table[i].min_len,
			    table[i].max_len);
			*cause = buf;
			return VB_ESIZE;
		}
		if (table[i].with_fd != (msg->fd >= 0)) {
			snprintf(buf, sizeof(buf), "%s: %s", table[i].name,
			    table[i].with_fd ? "descriptor missing" :
			    "unexpected descriptor");
			*cause = buf;
			return VB_EFD;
		}
		*row = &table[i];
		return 0;
	}
	snprintf(buf, sizeof(buf), "unknown message type %u", msg->hdr.type);
	*cause = buf;
	return VB_ETYPE;
}

void
ipc_msg_clear(struct ipc_msg *msg)
{
	if (msg->fd >= 0)
		close(msg->fd);
	msg->fd = -1;
}

int
ipc_memfd(const char *name, const char *text, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd, e;

	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
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
