/* Unit tests for common/ipc.c: framing, descriptors, and what is refused. */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/ipc.h"

struct pair {
	int	a;
	int	b;
	struct ipc_msg msg;
};

static int
setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int sv[2];

	assert_non_null(p);
	assert_int_equal(ipc_pair(sv), 0);
	p->a = sv[0];
	p->b = sv[1];
	p->msg.fd = -1;
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	ipc_msg_clear(&p->msg);
	close(p->a);
	close(p->b);
	free(p);
	return 0;
}

/* How many descriptors this process has open. */
static int
fd_count(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

static void
test_roundtrip(void **state)
{
	struct pair *p = *state;
	const char data[] = "hello parent";

	assert_int_equal(ipc_send(p->a, 7, 42, data, sizeof(data), -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(p->msg.hdr.type, 7);
	assert_int_equal(p->msg.hdr.id, 42);
	assert_int_equal(p->msg.hdr.len, sizeof(data));
	assert_memory_equal(p->msg.data, data, sizeof(data));
	assert_int_equal(p->msg.fd, -1);
}

static void
test_empty_payload(void **state)
{
	struct pair *p = *state;

	assert_int_equal(ipc_send(p->a, 3, 1, NULL, 0, -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(p->msg.hdr.len, 0);
}

static void
test_fd_passing(void **state)
{
	struct pair *p = *state;
	struct stat a, b;
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(ipc_send(p->a, 9, 1, "x", 1, fd), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_true(p->msg.fd >= 0);
	assert_int_not_equal(p->msg.fd, fd);
	/* The same open file arrived: same device and inode. */
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(p->msg.fd, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_dev, b.st_dev);
	close(fd);
}

static void
test_eof(void **state)
{
	struct pair *p = *state;

	close(p->a);
	p->a = -1;
	assert_int_equal(ipc_recv(p->b, &p->msg), 0);
}

static void
test_nonblocking_empty(void **state)
{
	struct pair *p = *state;

	fcntl(p->b, F_SETFL, O_NONBLOCK);
	assert_int_equal(ipc_recv(p->b, &p->msg), -EAGAIN);
}

static void
test_send_oversized_refused(void **state)
{
	struct pair *p = *state;
	static char big[IPC_MAX_PAYLOAD + 1];

	assert_int_equal(ipc_send(p->a, 1, 1, big, sizeof(big), -1),
	    -EMSGSIZE);
}

static void
test_truncated_header(void **state)
{
	struct pair *p = *state;

	assert_int_equal(send(p->a, "abc", 3, 0), 3);
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_ETRUNC);
}

static void
test_length_mismatch(void **state)
{
	struct pair *p = *state;
	uint8_t buf[sizeof(struct ipc_hdr) + 8];
	struct ipc_hdr h = { .type = 1, .len = 16 };	/* says 16, has 8 */

	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 'z', 8);
	assert_int_equal(send(p->a, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_ETRUNC);
}

static void
test_oversized_frame(void **state)
{
	struct pair *p = *state;
	static uint8_t buf[sizeof(struct ipc_hdr) + IPC_MAX_PAYLOAD + 100];
	struct ipc_hdr h = { .type = 1, .len = IPC_MAX_PAYLOAD + 100 };

	memcpy(buf, &h, sizeof(h));
	assert_int_equal(send(p->a, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_E2BIG);
	/* The next, good message still arrives: the stream is not broken. */
	assert_int_equal(ipc_send(p->a, 2, 2, "ok", 2, -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(p->msg.hdr.type, 2);
}

static void
test_fd_announced_but_missing(void **state)
{
	struct pair *p = *state;
	struct ipc_hdr h = { .type = 1, .flags = IPC_F_FD, .len = 0 };

	assert_int_equal(send(p->a, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_EFD);
}

/* Send a raw frame with nfd copies of /dev/null attached. */
static void
send_with_fds(int sock, const struct ipc_hdr *h, int nfd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} cb;
	struct iovec iov = { (void *)(uintptr_t)h, sizeof(*h) };
	struct msghdr mh;
	struct cmsghdr *cm;
	int fds[3], i;

	for (i = 0; i < nfd; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfd * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfd * sizeof(int));
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)sizeof(*h));
	for (i = 0; i < nfd; i++)
		close(fds[i]);
}

static void
test_fd_unannounced(void **state)
{
	struct pair *p = *state;
	struct ipc_hdr h = { .type = 1, .flags = 0, .len = 0 };
	int before = fd_count();

	send_with_fds(p->a, &h, 1);
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_EFD);
	assert_int_equal(p->msg.fd, -1);
	/* The descriptor that came along was closed, not leaked. */
	assert_int_equal(fd_count(), before);
}

static void
test_two_fds_refused(void **state)
{
	struct pair *p = *state;
	struct ipc_hdr h = { .type = 1, .flags = IPC_F_FD, .len = 0 };
	int before = fd_count();

	send_with_fds(p->a, &h, 2);
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_EFD);
	assert_int_equal(fd_count(), before);
}

static void
test_unknown_flags(void **state)
{
	struct pair *p = *state;
	struct ipc_hdr h = { .type = 1, .flags = 0x8000, .len = 0 };

	assert_int_equal(send(p->a, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_EFD);
}

static const struct ipc_type table[] = {
	{ 1, "FIXED", 8, 8, 0 },
	{ 2, "RANGE", 0, 16, 0 },
	{ 3, "WITHFD", 0, 0, 1 },
};

static void
test_check(void **state)
{
	struct pair *p = *state;
	const struct ipc_type *row;
	const char *cause;
	int fd;

	assert_int_equal(ipc_send(p->a, 1, 1, "12345678", 8, -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(ipc_check(&p->msg, table, 3, &row, &cause), 0);
	assert_string_equal(row->name, "FIXED");

	/* wrong size for the type */
	assert_int_equal(ipc_send(p->a, 1, 1, "1234", 4, -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(ipc_check(&p->msg, table, 3, &row, &cause), VB_ESIZE);
	assert_non_null(strstr(cause, "FIXED"));

	/* unknown type */
	assert_int_equal(ipc_send(p->a, 99, 1, NULL, 0, -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(ipc_check(&p->msg, table, 3, &row, &cause), VB_ETYPE);
	assert_non_null(strstr(cause, "99"));

	/* descriptor where none belongs, and none where one must be */
	fd = open("/dev/null", O_RDONLY);
	assert_int_equal(ipc_send(p->a, 2, 1, NULL, 0, fd), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(ipc_check(&p->msg, table, 3, &row, &cause), VB_EFD);
	ipc_msg_clear(&p->msg);
	assert_int_equal(ipc_send(p->a, 3, 1, NULL, 0, -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(ipc_check(&p->msg, table, 3, &row, &cause), VB_EFD);
	assert_int_equal(ipc_send(p->a, 3, 1, NULL, 0, fd), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(ipc_check(&p->msg, table, 3, &row, &cause), 0);
	close(fd);
}

/*
 * A descriptor the receiver has no slot for (RLIMIT_NOFILE): the kernel
 * drops it and says MSG_CTRUNC; the message itself is whole, so the
 * receiver is told VB_ENOFD (fail that request), not a broken peer.
 */
static void
test_fd_no_room(void **state)
{
	struct pair *p = *state;
	struct rlimit old, tight;
	int fd = open("/dev/null", O_RDONLY), lowest;

	assert_true(fd >= 0);
	assert_int_equal(ipc_send(p->a, 9, 5, "x", 1, fd), 0);
	close(fd);
	/* No descriptor at or above the lowest free one may be made. */
	lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight = old;
	tight.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), VB_ENOFD);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(p->msg.fd, -1);
	assert_int_equal(p->msg.hdr.type, 9);
	assert_int_equal(p->msg.hdr.id, 5);
	assert_non_null(strstr(err_str(VB_ENOFD), "RLIMIT_NOFILE"));
	/* The channel goes on. */
	assert_int_equal(ipc_send(p->a, 7, 6, "y", 1, -1), 0);
	assert_int_equal(ipc_recv(p->b, &p->msg), 1);
	assert_int_equal(p->msg.hdr.id, 6);
}

static void
test_err_str(void **state)
{
	assert_string_equal(err_str(0), "success");
	assert_string_equal(err_str(VB_ETRUNC), "truncated message");
	assert_string_equal(err_str(-ENOENT), strerror(ENOENT));
	assert_string_equal(err_str(12345), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_payload, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fd_passing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_no_room, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonblocking_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_send_oversized_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_header, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_length_mismatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_oversized_frame, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fd_announced_but_missing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_unannounced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_fds_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_flags, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test(test_err_str),
	};

	return cmocka_run_group_tests_name("common/ipc", tests, NULL, NULL);
}
