/*
 * bench-provider: the provider language's costs, per second.
 *
 *   bench-provider FIXTURE SECONDS
 *
 * 1. load and validate a dictionary of at least 2,000 lines, made from
 *    FIXTURE's services block repeated under new service names;
 * 2. render a typical request (the first service's create operation);
 * 3. evaluate a filter JSONPath over a generated 1 MB document.
 * Each loop runs for SECONDS (at most 30) and at most 1,000,000 times.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/diag.h"
#include "common/xmalloc.h"
#include "provider/dict.h"
#include "provider/jsonpath.h"
#include "provider/ydoc.h"

#define BENCH_MAX_ITER	1000000

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Repeat the services block of text until the result has >= 2000 lines. */
static char *
bench_big_dict(const char *text, int *lines, int *services)
{
	const char *svc = strstr(text, "\nservices:\n"), *block, *name;
	size_t head, cap, len;
	char *out, *copy, *p;
	int n = 0, l;

	if (svc == NULL)
		return NULL;
	head = (size_t)(svc - text) + strlen("\nservices:\n");
	block = text + head;
	if ((name = strstr(block, "FIREWALL_RULES:")) == NULL)
		return NULL;
	cap = strlen(text) * 80 + 4096;
	out = xmalloc(cap);
	memcpy(out, text, head);
	len = head;
	for (l = 0, p = out; (p = memchr(p, '\n', (size_t)(out + len - p))); p++)
		l++;
	while (l < 2000 && len + strlen(block) + 16 < cap) {
		copy = xasprintf("  FIREWALL_RULES_%d:%s", n++, name +
		    strlen("FIREWALL_RULES:"));
		memcpy(out + len, copy, strlen(copy));
		len += strlen(copy);
		for (p = copy; (p = strchr(p, '\n')) != NULL; p++)
			l++;
		free(copy);
	}
	out[len] = '\0';
	*lines = l;
	*services = n;
	return out;
}

int
main(int argc, char **argv)
{
	const struct prov_service *svc;
	const struct prov_op *op;
	struct prov_request *req;
	struct prov_dict *dict;
	struct jp_expr *expr;
	struct diags d;
	json_t *data, *cs, *doc, *rows, *vals;
	char *text, *big, *cause = NULL, *dump;
	double secs, t0, t;
	size_t len;
	long iter;
	int lines, nsvc, i;

	if (argc != 3 || (secs = atof(argv[2])) <= 0 || secs > 30) {
		fprintf(stderr, "usage: bench-provider FIXTURE SECONDS(<=30)\n");
		return 2;
	}
	diags_init(&d, argv[1]);
	if (ydoc_read_file(argv[1], 1 << 20, &text, &len, &d) == -1) {
		diags_print(&d, stderr);
		return 1;
	}
	diags_free(&d);
	if ((big = bench_big_dict(text, &lines, &nsvc)) == NULL) {
		fprintf(stderr, "bench-provider: no FIREWALL_RULES service\n");
		return 1;
	}

	/* 1. load and validate */
	t0 = now_s();
	for (iter = 0; iter < BENCH_MAX_ITER; iter++) {
		diags_init(&d, "big.yaml");
		dict = prov_dict_parse(big, strlen(big), "big.yaml", &d);
		if (dict == NULL) {
			diags_print(&d, stderr);
			return 1;
		}
		prov_dict_free(dict);
		diags_free(&d);
		if ((t = now_s() - t0) >= secs)
			break;
	}
	printf("load+validate %d-line dictionary (%d services): %.1f per "
	    "second (%.2f ms each)\n", lines, nsvc, (double)(iter + 1) / t,
	    t * 1e3 / (double)(iter + 1));

	/* 2. render a typical request */
	diags_init(&d, "big.yaml");
	dict = prov_dict_parse(big, strlen(big), "big.yaml", &d);
	diags_free(&d);
	svc = prov_service_find(dict, "FIREWALL_RULES_0");
	op = svc != NULL ? prov_op_find(svc, "create") : NULL;
	if (op == NULL) {
		fprintf(stderr, "bench-provider: no FIREWALL_RULES_0/create\n");
		return 1;
	}
	data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "action", "pass",
	    "protocol", "tcp", "source_ip", "198.18.0.0/15", "dest_ip",
	    "198.18.1.10", "dest_port", "443");
	cs = json_pack("{s:s, s:s, s:s, s:s}", "vnf_mgmt_ip", "198.18.1.10",
	    "vnf_api_key", "key", "user_api_key", "k", "user_secret_key", "s");
	t0 = now_s();
	for (iter = 0; iter < BENCH_MAX_ITER; iter++) {
		if (prov_op_render(dict, op, data, cs, 0, &req, &cause) != 0) {
			fprintf(stderr, "bench-provider: render: %s\n", cause);
			return 1;
		}
		prov_request_free(req);
		if ((t = now_s() - t0) >= secs)
			break;
	}
	printf("render FIREWALL_RULES create: %.0f per second (%.1f us each)\n",
	    (double)(iter + 1) / t, t * 1e6 / (double)(iter + 1));
	json_decref(data);
	json_decref(cs);
	prov_dict_free(dict);

	/* 3. a filter JSONPath over ~1 MB */
	rows = json_array();
	doc = json_pack("{s:o}", "rows", rows);
	for (i = 0; ; i++) {
		json_array_append_new(rows, json_pack("{s:s%, s:s, s:i, s:s, "
		    "s:s}", "uuid", "4f9c2a1e-0000-4000-8000-0000000000000000", 36,
		    "enabled", i % 3 ? "1" : "0", "mtu", 1400 + i % 200,
		    "interface", i % 2 ? "wan" : "lan", "descr",
		    "rule generated for the benchmark"));
		if (i % 1000 == 999) {
			dump = json_dumps(doc, JSON_COMPACT);
			len = strlen(dump);
			free(dump);
			if (len >= 1 << 20)
				break;
		}
	}
	if (jp_compile("$.rows[?@.enabled == '1' && @.mtu > 1500].uuid", &expr,
	    &cause) != 0) {
		fprintf(stderr, "bench-provider: %s\n", cause);
		return 1;
	}
	t0 = now_s();
	for (iter = 0; iter < BENCH_MAX_ITER; iter++) {
		if (jp_query(expr, doc, &vals, NULL, &cause) != 0) {
			fprintf(stderr, "bench-provider: %s\n", cause);
			return 1;
		}
		if (iter == 0)
			printf("jsonpath over %zu bytes (%zu rows) selects %zu "
			    "values\n", len, json_array_size(rows),
			    json_array_size(vals));
		json_decref(vals);
		if ((t = now_s() - t0) >= secs)
			break;
	}
	printf("jsonpath filter over 1 MB: %.1f per second (%.2f ms each)\n",
	    (double)(iter + 1) / t, t * 1e3 / (double)(iter + 1));
	jp_free(expr);
	json_decref(doc);
	free(big);
	free(text);
	return 0;
}
