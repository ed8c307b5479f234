/*
 * The operation runner's speed, for tests/bench/workflow-bench.sh.
 *
 *	bench-workflow serve PORT [ADDR]
 *		a small HTTP/1.0 server on ADDR:PORT (127.0.0.1) answering every
 *		request with a fixed JSON list (the "HTTP VNF"), 8 threads
 *	bench-workflow run DICT SERVICE OPERATION --target HOST:PORT
 *	    [--cs-data JSON] [--hostkey SHA256:...] [--count N]
 *	    [--seconds S] [--parallel K] [--no-reuse]
 *		runs the operation up to N times or S seconds, one after the
 *		other (K = 1) or on the runner's pool as K appliances at
 *		the same address (K > 1), and prints one line:
 *		ops=N failed=F seconds=X ops_per_s=Y p50_ms=A p99_ms=B
 *	bench-workflow cycle DICT SERVICE --target HOST:PORT --data JSON
 *	    [--cs-data JSON] [--hostkey SHA256:...] [--count N]
 *	    [--seconds S]
 *		create (with --data), list, delete (with the id create
 *		returned as data.id, else the one in --data), up to N cycles
 *		or S seconds, one appliance with kept connections; prints
 *		cycles=N ops=M failed=F seconds=X ops_per_s=Y mean_ms=Z
 *
 * Each operation is a full run: validate, render, execute, judge,
 * transform.  SSH connections are kept between an appliance's operations
 * as the engine keeps them (struct prov_run_conns); --no-reuse makes a
 * new one each time.  HTTP makes a new TCP connection each time.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/diag.h"
#include "provider/dict.h"
#include "provider/http.h"
#include "provider/runner.h"

static const char body[] =
    "{\"rows\": [{\"id\": 1, \"action\": \"pass\", \"port\": 22}, "
    "{\"id\": 2, \"action\": \"block\", \"port\": 23}, "
    "{\"id\": 3, \"action\": \"pass\", \"port\": 443}]}";

static void *
serve_thread(void *arg)
{
	int ls = *(int *)arg, c;
	char buf[8192], resp[1024];
	ssize_t n;
	size_t got;
	int rl;

	rl = snprintf(resp, sizeof(resp), "HTTP/1.0 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", strlen(body), body);
	for (;;) {
		if ((c = accept(ls, NULL, NULL)) == -1)
			continue;
		got = 0;
		while (got < sizeof(buf) - 1 && (n = read(c, buf + got,
		    sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		/* A short write means the client went away: nothing to do. */
		if (got > 0)
			(void)!write(c, resp, (size_t)rl);
		close(c);
	}
	return NULL;
}

static int
cmd_serve(int port, const char *addr)
{
	struct sockaddr_in sin;
	pthread_t th;
	int ls, one = 1, i;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (addr != NULL && inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "bench-workflow serve: bad address %s\n", addr);
		return 64;
	}
	if (bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(ls, 1024) == -1) {
		perror("bench-workflow serve");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (i = 0; i < 8; i++)
		pthread_create(&th, NULL, serve_thread, &ls);
	for (;;)
		pause();
}

struct tgt {
	struct in_addr	 addr;
	int		 port;
};

static int
bench_socket(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	const struct tgt *t = arg;
	struct sockaddr_in sin;
	int fd;

	(void)host;
	(void)port;
	(void)timeout_ms;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)t->port);
	sin.sin_addr = t->addr;
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1) {
		*cause = strdup(strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* As the engine does for HTTP: a socket libcurl connects itself. */
static int
bench_socket_raw(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	int fd;

	(void)arg;
	(void)host;
	(void)port;
	(void)timeout_ms;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		*cause = strdup(strerror(errno));
	return fd;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct pjob {
	const struct prov_dict		*dict;
	const struct prov_target	*t;
	const struct prov_run_req	*rq;
	double				*lat;
	int				*failed;
	pthread_mutex_t			*mu;
};

static json_t *
pjob_run(void *arg, int cancel)
{
	struct pjob *j = arg;
	json_t *res = NULL;
	double t0 = now_s();

	if (!cancel && prov_run_op(j->dict, j->t, j->rq, &res) != 0) {
		pthread_mutex_lock(j->mu);
		(*j->failed)++;
		pthread_mutex_unlock(j->mu);
	}
	*j->lat = (now_s() - t0) * 1000;
	free(j);
	return res;
}

static void
pjob_done(void *arg, json_t *res)
{
	(void)arg;
	json_decref(res);
}

/* What run and cycle share: their options, the dictionary, the target. */
struct bw_args {
	const char		*target;	/* the address, after setup */
	const char		*hostkey;
	json_t			*cs;		/* with mgmt_ip */
	json_t			*data;
	long			 count;
	double			 limit;
	int			 parallel;
	int			 reuse;
	struct tgt		 tt;
	struct prov_dict	*dict;
};

/*
 * Parse the options, want positional arguments (the first is DICT), load
 * the dictionary and split --target.  Returns 0 with *pos, or the exit
 * status (64 usage, 2 a bad dictionary).
 */
static int
bw_setup(int argc, char **argv, int want, const char *usage,
    struct bw_args *a, char ***pos)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 'T' },
		{ "cs-data", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "hostkey", required_argument, NULL, 'K' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "no-reuse", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct diags d;
	char *colon = NULL;
	int ch;

	memset(a, 0, sizeof(*a));
	a->count = 1000;
	a->limit = 10;
	a->parallel = 1;
	a->reuse = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'T':
			a->target = optarg;
			break;
		case 'c':
			a->cs = json_loads(optarg, 0, NULL);
			break;
		case 'd':
			a->data = json_loads(optarg, 0, NULL);
			break;
		case 'K':
			a->hostkey = optarg;
			break;
		case 'n':
			a->count = atol(optarg);
			break;
		case 's':
			a->limit = atof(optarg);
			break;
		case 'p':
			a->parallel = atoi(optarg);
			break;
		case 'R':
			a->reuse = 0;
			break;
		default:
			return 64;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != want || a->target == NULL ||
	    (colon = strchr(a->target, ':')) == NULL || a->parallel < 1 ||
	    a->parallel > 64 || a->count < 1) {
		fprintf(stderr, "usage: bench-workflow %s\n", usage);
		return 64;
	}
	*colon = '\0';
	if (inet_pton(AF_INET, a->target, &a->tt.addr) != 1)
		return 64;
	a->tt.port = atoi(colon + 1);
	diags_init(&d, argv[0]);
	if ((a->dict = prov_dict_load(argv[0], &d)) == NULL) {
		diags_print(&d, stderr);
		return 2;
	}
	diags_free(&d);
	prov_http_init();
	if (a->cs == NULL)
		a->cs = json_object();
	json_object_set_new(a->cs, "mgmt_ip", json_string(a->target));
	*pos = argv;
	return 0;
}

/* An appliance at the target, named name. */
static void
bw_target(struct prov_target *t, const char *name, struct bw_args *a)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->address = a->target;
	t->open_socket = bench_socket;
	t->open_socket_raw = bench_socket_raw;
	t->socket_arg = &a->tt;
	t->hostkey_sha256 = a->hostkey;
	t->timeout_ms = 10000;
}

static void
bw_free(struct bw_args *a)
{
	json_decref(a->cs);
	json_decref(a->data);
	prov_dict_free(a->dict);
}

static int
cmd_run(int argc, char **argv)
{
	struct bw_args a;
	struct prov_target *tg;
	struct prov_run_req rq;
	struct prov_run_pool *pool = NULL;
	struct prov_run_pool_opts po;
	struct prov_run_conns *conns = NULL;
	json_t *res;
	char *cause = NULL, names[64][24];
	double *lat, t0, el;
	int failed = 0, i, rc;
	long n = 0;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

	if ((rc = bw_setup(argc, argv, 3, "run DICT SERVICE OP --target "
	    "ADDR:PORT ...", &a, &argv)) != 0)
		return rc;
	tg = calloc((size_t)a.parallel, sizeof(*tg));
	for (i = 0; i < a.parallel; i++) {
		snprintf(names[i], sizeof(names[i]), "appliance-%d", i);
		bw_target(&tg[i], names[i], &a);
	}
	memset(&rq, 0, sizeof(rq));
	rq.service = argv[1];
	rq.operation = argv[2];
	rq.data = a.data;
	rq.cs_data = a.cs;
	lat = calloc((size_t)a.count, sizeof(*lat));

	if (a.parallel == 1 && a.reuse && prov_run_conns_new(NULL, &conns,
	    &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	tg[0].conns = conns;
	t0 = now_s();
	if (a.parallel == 1) {
		for (n = 0; n < a.count && now_s() - t0 < a.limit; n++) {
			double s = now_s();

			if (prov_run_op(a.dict, &tg[0], &rq, &res) != 0) {
				if (failed++ == 0) {
					char *js = json_dumps(res, 0);

					fprintf(stderr, "first failure: %s\n",
					    js);
					free(js);
				}
			}
			lat[n] = (now_s() - s) * 1000;
			json_decref(res);
		}
	} else {
		memset(&po, 0, sizeof(po));
		po.workers = a.parallel;
		po.max_queued = (size_t)a.count + 1;
		po.max_per_key = (size_t)a.count + 1;
		po.no_reuse = !a.reuse;
		if (prov_run_pool_new(&po, &pool, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			return 1;
		}
		for (i = 0; i < a.parallel; i++)
			tg[i].conns = prov_run_pool_conns(pool);
		/* Submit in batches so the time limit can stop it. */
		while (n < a.count && now_s() - t0 < a.limit) {
			long batch = n + a.parallel * 16 < a.count ?
			    n + a.parallel * 16 : a.count;

			for (; n < batch; n++) {
				struct pjob *j = calloc(1, sizeof(*j));

				j->dict = a.dict;
				j->t = &tg[n % a.parallel];
				j->rq = &rq;
				j->lat = &lat[n];
				j->failed = &failed;
				j->mu = &mu;
				prov_run_pool_submit(pool, j->t->name, pjob_run,
				    j, pjob_done, NULL, NULL);
			}
			prov_run_pool_drain(pool);
		}
		prov_run_pool_free(pool);
	}
	el = now_s() - t0;
	prov_run_conns_free(conns);
	qsort(lat, (size_t)n, sizeof(*lat), dcmp);
	printf("ops=%ld failed=%d seconds=%.3f ops_per_s=%.1f p50_ms=%.3f "
	    "p99_ms=%.3f\n", n, failed, el, (double)n / el,
	    n ? lat[n / 2] : 0.0, n ? lat[(size_t)((double)n * 0.99) <
	    (size_t)n ? (size_t)((double)n * 0.99) : (size_t)n - 1] : 0.0);
	free(lat);
	free(tg);
	bw_free(&a);
	return failed == 0 ? 0 : 1;
}

/* One operation of a cycle: 0, or -1 (its result printed the first time). */
static int
cycle_op(const struct prov_dict *dict, const struct prov_target *t,
    const char *service, const char *op, json_t *data, json_t *cs,
    json_t **res, int *failed)
{
	struct prov_run_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.service = service;
	rq.operation = op;
	rq.data = data;
	rq.cs_data = cs;
	if (prov_run_op(dict, t, &rq, res) == 0)
		return 0;
	if ((*failed)++ == 0) {
		char *js = json_dumps(*res, 0);

		fprintf(stderr, "first failure (%s): %s\n", op, js);
		free(js);
	}
	return -1;
}

static int
cmd_cycle(int argc, char **argv)
{
	struct bw_args a;
	struct prov_target tg;
	struct prov_run_conns *conns = NULL;
	json_t *res, *del, *id;
	char *cause = NULL;
	double t0, el;
	long n, ops = 0;
	int failed = 0, rc;

	if ((rc = bw_setup(argc, argv, 2, "cycle DICT SERVICE --target "
	    "ADDR:PORT --data JSON ...", &a, &argv)) != 0)
		return rc;
	if (a.data == NULL) {
		fprintf(stderr, "usage: bench-workflow cycle: --data is "
		    "required\n");
		bw_free(&a);
		return 64;
	}
	bw_target(&tg, "appliance-0", &a);
	if (prov_run_conns_new(NULL, &conns, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	tg.conns = conns;
	t0 = now_s();
	for (n = 0; n < a.count && now_s() - t0 < a.limit && failed == 0;
	    n++) {
		res = NULL;
		ops++;
		if (cycle_op(a.dict, &tg, argv[1], "create", a.data, a.cs, &res,
		    &failed) != 0) {
			json_decref(res);
			break;
		}
		id = json_object_get(json_object_get(res, "data"), "id");
		if (id == NULL || json_is_null(id))
			id = json_object_get(a.data, "id");
		del = json_object();
		json_object_set(del, "id", id);
		json_decref(res);
		res = NULL;
		ops++;
		cycle_op(a.dict, &tg, argv[1], "list", NULL, a.cs, &res,
		    &failed);
		json_decref(res);
		res = NULL;
		ops++;
		cycle_op(a.dict, &tg, argv[1], "delete", del, a.cs, &res,
		    &failed);
		json_decref(res);
		json_decref(del);
	}
	el = now_s() - t0;
	prov_run_conns_free(conns);
	printf("cycles=%ld ops=%ld failed=%d seconds=%.3f ops_per_s=%.1f "
	    "mean_ms=%.3f\n", n, ops, failed, el, (double)ops / el,
	    ops ? el * 1000 / (double)ops : 0.0);
	bw_free(&a);
	return failed == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "serve") == 0)
		return cmd_serve(atoi(argv[2]), argc >= 4 ? argv[3] : NULL);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "cycle") == 0)
		return cmd_cycle(argc - 1, argv + 1);
	fprintf(stderr, "usage: bench-workflow serve PORT [ADDR] | run ... | "
	    "cycle ...\n");
	return 64;
}
