/*
 * bench-netns: cost of attaching and detaching veth-backed networks with
 * the netns module, as the parent does it.  Root only.  Names every
 * namespace vbb-nN and every peer vbb-pN; detaches what it attached even
 * when interrupted half-way.
 *
 *   bench-netns COUNT OWNER_DIR
 */
#include "config.h"

#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strutil.h"
#include "netns/netns.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct netns_net **nets;
	struct netns_spec spec;
	double *att, *det, t0, sum_a = 0, sum_d = 0;
	char *cause = NULL;
	int i, n, done = 0, rc = 0;

	if (argc != 3 || (n = atoi(argv[1])) <= 0 || n > 4096) {
		fprintf(stderr, "usage: bench-netns COUNT(1-4096) OWNER_DIR\n");
		return 2;
	}
	signal(SIGINT, SIG_IGN);	/* finish the cleanup once started */
	if (netns_init(argv[2], &cause) != 0) {
		fprintf(stderr, "bench-netns: %s\n", cause);
		return 1;
	}
	nets = calloc((size_t)n, sizeof(*nets));
	att = calloc((size_t)n, sizeof(*att));
	det = calloc((size_t)n, sizeof(*det));
	if (nets == NULL || att == NULL || det == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		memset(&spec, 0, sizeof(spec));
		snprintf(spec.name, sizeof(spec.name), "vbb-n%d", i);
		spec.kind = NETNS_LINK_VETH;
		snprintf(spec.veth_peer, sizeof(spec.veth_peer), "vbb-p%d", i);
		spec.naddrs = 1;
		/* every network the same CIDR, as guest networks may be */
		netns_addr_parse("198.18.1.2/24", 1, &spec.addrs[0]);
		netns_addr_parse("198.18.1.1", 0, &spec.gateway4);
		t0 = now_ms();
		if (netns_attach(&spec, &nets[i], &cause) != 0) {
			fprintf(stderr, "bench-netns: %s\n", cause);
			rc = 1;
			break;
		}
		att[i] = now_ms() - t0;
		sum_a += att[i];
		done++;
	}
	for (i = done - 1; i >= 0; i--) {
		t0 = now_ms();
		if (netns_detach(nets[i], &cause) != 0) {
			fprintf(stderr, "bench-netns: %s\n", cause);
			free(cause);
			cause = NULL;
			rc = 1;
		}
		det[i] = now_ms() - t0;
		sum_d += det[i];
	}
	netns_shutdown();
	if (done == n) {
		qsort(att, (size_t)n, sizeof(*att), cmp_double);
		qsort(det, (size_t)n, sizeof(*det), cmp_double);
		printf("attach %d networks: mean %.2f ms, p50 %.2f ms, p99 %.2f "
		    "ms, total %.0f ms\n", n, sum_a / n, att[n / 2],
		    att[(n * 99) / 100], sum_a);
		printf("detach %d networks: mean %.2f ms, p50 %.2f ms, p99 %.2f "
		    "ms, total %.0f ms\n", n, sum_d / n, det[n / 2],
		    det[(n * 99) / 100], sum_d);
	}
	free(nets);
	free(att);
	free(det);
	return rc;
}
