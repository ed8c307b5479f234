/*
 * test-role: a role program for proving the parent's framework.
 *
 * Started by vnf-brokerd like any role (unprivileged, channel at fd 3).  It
 * writes its pid to REPORT/pid, then waits.  On SIGUSR1 it reads commands
 * from REPORT/cmd, one per line, runs them through the privileged protocol
 * and writes one result line per command to REPORT/out (atomically):
 *
 *   probe NETWORK ADDRESS PORT    socket from the parent, connect, read a line
 *   caps                          capability sets, NoNewPrivs and ids
 *   attach-veth NAME PEER PEERNS ADDR/PREFIX
 *   detach NAME
 *   garbage KIND                  send a malformed or unpermitted request:
 *                                 short, oversized, lenmismatch, badtype,
 *                                 badsize, withfd, attach, rawsocket, badname
 *   bench N                       N socket requests vs N socket() calls
 *
 * The configuration the parent sends at start is written to REPORT/config.json
 * and the names of the listening sockets it passes to REPORT/listeners.
 * It exits when its channel closes.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/priv-proto.h"
#include "broker/privclient.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

static const char *report_dir;

static void
report_write(const char *name, const char *text)
{
	char tmp[512], path[512];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", report_dir, name);
	snprintf(path, sizeof(path), "%s/%s", report_dir, name);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	fputs(text, fp);
	fclose(fp);
	rename(tmp, path);
}

static void
cmd_probe(FILE *out, const char *net, const char *addr, const char *port)
{
	struct sockaddr_in sin;
	char *cause = NULL, buf[128];
	ssize_t n;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(out, "probe %s error bad address\n", net);
		return;
	}
	if ((fd = privc_socket(PRIV_FD, net, AF_INET, SOCK_STREAM,
	    &cause)) < 0) {
		fprintf(out, "probe %s error %s\n", net, cause);
		free(cause);
		return;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		fprintf(out, "probe %s error connect: %s\n", net,
		    strerror(errno));
		close(fd);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	fprintf(out, "probe %s ok %s\n", net, buf);
	close(fd);
}

static void
cmd_caps(FILE *out)
{
	char line[256];
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL) {
		fprintf(out, "caps error %s\n", strerror(errno));
		return;
	}
	fprintf(out, "caps");
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "Cap", 3) != 0 &&
		    strncmp(line, "NoNewPrivs", 10) != 0 &&
		    strncmp(line, "Uid", 3) != 0 && strncmp(line, "Gid", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (char *c = line; *c; c++)
			if (*c == '\t')
				*c = ' ';
		fprintf(out, " [%s]", line);
	}
	fprintf(out, "\n");
	fclose(fp);
}

static void
cmd_attach(FILE *out, const char *name, const char *peer, const char *peerns,
    const char *addr)
{
	struct netns_spec spec;
	char *cause = NULL;

	memset(&spec, 0, sizeof(spec));
	str_copy(spec.name, name, sizeof(spec.name));
	spec.kind = NETNS_LINK_VETH;
	str_copy(spec.veth_peer, peer, sizeof(spec.veth_peer));
	if (strcmp(peerns, "-") != 0)
		str_copy(spec.veth_peer_netns, peerns,
		    sizeof(spec.veth_peer_netns));
	spec.naddrs = 1;
	if (netns_addr_parse(addr, 1, &spec.addrs[0]) == -1) {
		fprintf(out, "attach %s error bad address\n", name);
		return;
	}
	if (privc_net_attach(PRIV_FD, &spec, &cause) != 0) {
		fprintf(out, "attach %s error %s\n", name, cause);
		free(cause);
		return;
	}
	fprintf(out, "attach %s ok\n", name);
}

static void
cmd_detach(FILE *out, const char *name)
{
	char *cause = NULL;

	if (privc_net_detach(PRIV_FD, name, &cause) != 0) {
		fprintf(out, "detach %s error %s\n", name, cause);
		free(cause);
		return;
	}
	fprintf(out, "detach %s ok\n", name);
}

/* Send something the parent must refuse by ending this role. */
static void
cmd_garbage(FILE *out, const char *kind)
{
	static uint8_t big[IPC_MAX_PAYLOAD + 512];
	struct priv_socket_req req;
	struct priv_net_name nn;
	struct ipc_hdr hdr;
	char *cause = NULL;

	memset(&req, 0, sizeof(req));
	str_copy(req.network, "any", sizeof(req.network));
	req.domain = AF_INET;
	req.type = SOCK_STREAM;
	memset(&hdr, 0, sizeof(hdr));
	if (strcmp(kind, "short") == 0) {
		send(PRIV_FD, "xy", 2, 0);
	} else if (strcmp(kind, "oversized") == 0) {
		hdr.type = PRIV_SOCKET_REQ;
		hdr.len = sizeof(big) - sizeof(hdr);
		memcpy(big, &hdr, sizeof(hdr));
		send(PRIV_FD, big, sizeof(big), 0);
	} else if (strcmp(kind, "lenmismatch") == 0) {
		hdr.type = PRIV_SOCKET_REQ;
		hdr.len = sizeof(req) + 10;
		memcpy(big, &hdr, sizeof(hdr));
		memcpy(big + sizeof(hdr), &req, sizeof(req));
		send(PRIV_FD, big, sizeof(hdr) + sizeof(req), 0);
	} else if (strcmp(kind, "badtype") == 0) {
		ipc_send(PRIV_FD, 4242, 1, &req, sizeof(req), -1);
	} else if (strcmp(kind, "badsize") == 0) {
		ipc_send(PRIV_FD, PRIV_SOCKET_REQ, 1, &req, sizeof(req) - 4, -1);
	} else if (strcmp(kind, "withfd") == 0) {
		ipc_send(PRIV_FD, PRIV_SOCKET_REQ, 1, &req, sizeof(req), 0);
	} else if (strcmp(kind, "attach") == 0) {
		struct netns_spec spec;

		memset(&spec, 0, sizeof(spec));
		str_copy(spec.name, "vbt-evil", sizeof(spec.name));
		privc_net_attach(PRIV_FD, &spec, &cause);
	} else if (strcmp(kind, "rawsocket") == 0) {
		privc_socket(PRIV_FD, "any", AF_PACKET, SOCK_RAW, &cause);
	} else if (strcmp(kind, "badname") == 0) {
		memset(nn.name, 'A', sizeof(nn.name));	/* no terminator */
		ipc_send(PRIV_FD, PRIV_NET_DETACH, 1, &nn, sizeof(nn), -1);
	} else {
		fprintf(out, "garbage %s unknown\n", kind);
		return;
	}
	free(cause);
	fprintf(out, "garbage %s sent\n", kind);
}

static double
elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e9 +
	    (double)(b->tv_nsec - a->tv_nsec);
}

static void
cmd_bench(FILE *out, const char *net, const char *count)
{
	struct timespec t0, t1, t2;
	char *cause = NULL;
	long i, n = atol(count);
	int fd;

	if (n <= 0 || n > 1000000) {
		fprintf(out, "bench error count must be 1..1000000\n");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if ((fd = privc_socket(PRIV_FD, net, AF_INET, SOCK_STREAM,
		    &cause)) < 0) {
			fprintf(out, "bench error %s\n", cause);
			free(cause);
			return;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < n; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			break;
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	fprintf(out, "bench %ld parent_ns_per_socket %.0f plain_ns_per_socket "
	    "%.0f ratio %.1f\n", n, elapsed_ns(&t0, &t1) / (double)n,
	    elapsed_ns(&t1, &t2) / (double)n,
	    elapsed_ns(&t0, &t1) / elapsed_ns(&t1, &t2));
}

static void
run_commands(void)
{
	char path[512], line[512], *argv[8], *save, *outbuf = NULL;
	size_t outlen = 0;
	FILE *fp, *out;
	int argc;

	snprintf(path, sizeof(path), "%s/cmd", report_dir);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	out = open_memstream(&outbuf, &outlen);
	while (fgets(line, sizeof(line), fp) != NULL) {
		argc = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save);
		    t != NULL && argc < 8; t = strtok_r(NULL, " \t\r\n", &save))
			argv[argc++] = t;
		if (argc == 0)
			continue;
		if (strcmp(argv[0], "probe") == 0 && argc == 4)
			cmd_probe(out, argv[1], argv[2], argv[3]);
		else if (strcmp(argv[0], "caps") == 0)
			cmd_caps(out);
		else if (strcmp(argv[0], "attach-veth") == 0 && argc == 5)
			cmd_attach(out, argv[1], argv[2], argv[3], argv[4]);
		else if (strcmp(argv[0], "detach") == 0 && argc == 2)
			cmd_detach(out, argv[1]);
		else if (strcmp(argv[0], "garbage") == 0 && argc == 2)
			cmd_garbage(out, argv[1]);
		else if (strcmp(argv[0], "bench") == 0 && argc == 3)
			cmd_bench(out, argv[1], argv[2]);
		else
			fprintf(out, "%s error unknown command\n", argv[0]);
		fflush(out);
	}
	fclose(fp);
	fclose(out);
	report_write("out", outbuf);
	free(outbuf);
}

/* A set-up message from the parent: record it for the test to read. */
static int
handle_parent_message(void)
{
	static struct ipc_msg msg;
	struct priv_config pc;
	struct priv_listener pl;
	char path[512], *text;
	FILE *fp;
	int n;

	n = ipc_recv(PRIV_FD, &msg);
	if (n <= 0)
		return -1;
	if (msg.hdr.type == PRIV_CONFIG && msg.fd >= 0 &&
	    msg.hdr.len == sizeof(pc)) {
		memcpy(&pc, msg.data, sizeof(pc));
		text = mmap(NULL, (size_t)pc.size, PROT_READ, MAP_PRIVATE,
		    msg.fd, 0);
		if (text != MAP_FAILED) {
			char *copy = xstrndup(text, (size_t)pc.size);

			report_write("config.json", copy);
			free(copy);
			munmap(text, (size_t)pc.size);
		}
	} else if (msg.hdr.type == PRIV_LISTENER && msg.fd >= 0 &&
	    msg.hdr.len == sizeof(pl)) {
		memcpy(&pl, msg.data, sizeof(pl));
		pl.name[sizeof(pl.name) - 1] = '\0';
		snprintf(path, sizeof(path), "%s/listeners", report_dir);
		if ((fp = fopen(path, "a")) != NULL) {
			fprintf(fp, "%s\n", pl.name);
			fclose(fp);
		}
	}
	ipc_msg_clear(&msg);
	return 0;
}

int
main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	char pid[32];
	sigset_t set;
	int sfd;

	if (argc != 3 || strcmp(argv[1], "--report") != 0) {
		fprintf(stderr, "usage: test-role --report DIR\n");
		return 2;
	}
	report_dir = argv[2];
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1)
		return 1;
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	report_write("pid", pid);

	for (;;) {
		pfd[0].fd = PRIV_FD;
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			return 1;
		if ((pfd[0].revents & POLLIN) && handle_parent_message() == -1)
			return 0;	/* parent gone or hung up on us */
		if (pfd[0].revents & (POLLHUP | POLLERR))
			return 0;
		if (pfd[1].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			run_commands();
		}
	}
}
