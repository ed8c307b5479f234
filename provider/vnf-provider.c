/*
 * vnf-provider: the provider author's tool.
 *
 *	vnf-provider lint [--json] [--strict] FILE...
 *	vnf-provider render [--json] [--show-secrets] FILE SERVICE OPERATION
 *	    [--data JSON] [--cs-data JSON]
 *	vnf-provider jsonpath [--compact] [--paths] EXPR [FILE]
 *
 * See docs/vnf-provider.1.  Exit status: 0 success; 1 warnings under
 * lint --strict; 2 errors in the input (dictionary, data, expression,
 * document); 64 a usage error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/diag.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/dict.h"
#include "provider/jsonpath.h"

#define EXIT_WARN	1
#define EXIT_ERR	2
#define EXIT_USAGE	64

/* JSON documents and --data files: bounded like dictionaries. */
#define MAX_INPUT	(64 * 1024 * 1024)

static const char *progname = "vnf-provider";

static void
usage_main(FILE *fp)
{
	fprintf(fp,
	    "usage: %s lint [--json] [--strict] FILE...\n"
	    "       %s render [--json] [--show-secrets] FILE SERVICE OPERATION\n"
	    "           [--data JSON|@FILE] [--cs-data JSON|@FILE]\n"
	    "       %s jsonpath [--compact] [--paths] EXPR [FILE]\n"
	    "Run \"%s COMMAND --help\" for one command's options.\n",
	    progname, progname, progname, progname);
}

/* Read a whole stream, at most MAX_INPUT bytes. */
static int
read_all(FILE *fp, char **bufp, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (len > MAX_INPUT) {
			free(buf);
			errno = EFBIG;
			return -1;
		}
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* lint */

static void
lint_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s lint [--json] [--strict] FILE...\n"
	    "Check provider dictionaries; report every problem as\n"
	    "FILE:LINE:COLUMN: SEVERITY: PATH: MESSAGE, then the get_cs_data\n"
	    "keys each dictionary reads.\n"
	    "  --json     print one JSON array of {file, line, column, severity,\n"
	    "             path, message}\n"
	    "  --strict   exit 1 when there are warnings\n"
	    "Exit status: 0 clean, 1 warnings (with --strict), 2 errors.\n",
	    progname);
}

static int
diag_order(const void *a, const void *b)
{
	const struct diag *x = *(const struct diag *const *)a;
	const struct diag *y = *(const struct diag *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void
lint_json_add(json_t *arr, const struct diags *d)
{
	const struct diag **order;
	json_t *o;
	size_t i;

	if (d->n == 0)
		return;
	order = xcalloc(d->n, sizeof(*order));
	for (i = 0; i < d->n; i++)
		order[i] = &d->v[i];
	qsort(order, d->n, sizeof(*order), diag_order);
	for (i = 0; i < d->n; i++) {
		o = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s}",
		    "file", d->file, "line", order[i]->line,
		    "column", order[i]->column, "severity",
		    order[i]->severity == DIAG_ERROR ? "error" : "warning",
		    "path", order[i]->path, "message", order[i]->msg);
		if (o != NULL)
			json_array_append_new(arr, o);
	}
	free(order);
}

static int
cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct prov_dict *dict;
	struct diags d;
	json_t *arr = NULL;
	size_t errors = 0, warnings = 0, i;
	int ch, json = 0, strict = 0, f;
	char *s;

	while ((ch = getopt_long(argc, argv, "+jsh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 's':
			strict = 1;
			break;
		case 'h':
			lint_usage(stdout);
			return 0;
		default:
			lint_usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		lint_usage(stderr);
		return EXIT_USAGE;
	}
	if (json)
		arr = json_array();
	for (f = 0; f < argc; f++) {
		diags_init(&d, argv[f]);
		dict = prov_dict_load(argv[f], &d);
		errors += d.nerrors;
		warnings += d.nwarnings;
		if (json)
			lint_json_add(arr, &d);
		else {
			diags_print(&d, stdout);
			if (dict != NULL && dict->ncs_keys > 0) {
				printf("%s: get_cs_data keys:", argv[f]);
				for (i = 0; i < dict->ncs_keys; i++)
					printf(" %s", dict->cs_keys[i]);
				printf("\n");
			}
		}
		prov_dict_free(dict);
		diags_free(&d);
	}
	if (json) {
		s = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", s != NULL ? s : "[]");
		free(s);
		json_decref(arr);
	} else if (errors + warnings > 0)
		printf("%zu error%s, %zu warning%s\n", errors,
		    errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
	if (errors > 0)
		return EXIT_ERR;
	if (strict && warnings > 0)
		return EXIT_WARN;
	return 0;
}

/* render */

static void
render_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s render [--json] [--show-secrets] FILE SERVICE OPERATION\n"
	    "           [--data JSON|@FILE] [--cs-data JSON|@FILE]\n"
	    "Validate --data against the service's data schema and print what\n"
	    "the operation would send: method, URL, headers and body, or the\n"
	    "CLI lines, and the callback.  Secrets (password, secret, token and\n"
	    "key fields; Authorization headers) print as ********.\n"
	    "  --data JSON       the operation's input: an object, or a list\n"
	    "                    of them (default {})\n"
	    "  --cs-data JSON    the CloudStack data get_cs_data reads (default {})\n"
	    "  --json            print the request as one JSON object\n"
	    "  --show-secrets    do not mask secrets\n"
	    "Exit status: 0 rendered, 2 errors.\n", progname);
}

/* JSON from the command line: text, or @FILE. */
static json_t *
render_json_arg(const char *opt, const char *arg)
{
	json_error_t err;
	json_t *v;
	FILE *fp;
	char *buf;
	size_t len;

	if (arg[0] != '@')
		v = json_loads(arg, JSON_DECODE_ANY, &err);
	else {
		if ((fp = fopen(arg + 1, "r")) == NULL) {
			fprintf(stderr, "%s: %s: %s: %s\n", progname, opt,
			    arg + 1, strerror(errno));
			return NULL;
		}
		if (read_all(fp, &buf, &len) == -1) {
			fprintf(stderr, "%s: %s: %s: %s\n", progname, opt,
			    arg + 1, strerror(errno));
			fclose(fp);
			return NULL;
		}
		fclose(fp);
		v = json_loadb(buf, len, JSON_DECODE_ANY, &err);
		free(buf);
	}
	if (v == NULL)
		fprintf(stderr, "%s: %s: invalid JSON at line %d, column %d: "
		    "%s\n", progname, opt, err.line, err.column, err.text);
	return v;
}

static void
render_print(const struct prov_op *op, const struct prov_request *r)
{
	const struct prov_conn *c = r->conn;
	char *s;
	size_t i;

	printf("# %s.%s over %s", op->svc->name, op->name,
	    r->transport == PROV_TRANSPORT_SSH ? "ssh" : "HTTP");
	if (c != NULL) {
		printf(", connection %s (%s", c->name, c->type ? c->type : "?");
		if (r->host != NULL)
			printf(" %s", r->host);
		if (c->port != 0)
			printf(" port %d", c->port);
		printf(")");
	}
	printf("\n");
	if (r->transport == PROV_TRANSPORT_SSH) {
		for (i = 0; i < r->ncommands; i++)
			printf("%s\n", r->commands[i]);
	} else {
		printf("%s %s\n", r->method, r->url ? r->url : "");
		for (i = 0; i < r->nheaders; i++)
			printf("%s: %s\n", r->header_names[i],
			    r->header_values[i]);
		if (r->body != NULL)
			printf("\n%s%s", r->body, r->bodylen > 0 &&
			    r->body[r->bodylen - 1] == '\n' ? "" : "\n");
	}
	if (r->callback != NULL) {
		s = json_dumps(r->callback, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("# callback\n%s\n", s ? s : "");
		free(s);
	}
}

static json_t *
render_to_json(const struct prov_request *r)
{
	json_t *o, *h, *cmds;
	size_t i;

	o = json_object();
	json_object_set_new(o, "transport", json_string(r->transport ==
	    PROV_TRANSPORT_SSH ? "ssh" : "http"));
	if (r->conn != NULL)
		json_object_set_new(o, "connection", json_string(r->conn->name));
	if (r->host != NULL)
		json_object_set_new(o, "host", json_string(r->host));
	if (r->transport == PROV_TRANSPORT_SSH) {
		cmds = json_array();
		for (i = 0; i < r->ncommands; i++)
			json_array_append_new(cmds, json_string(r->commands[i]));
		json_object_set_new(o, "commands", cmds);
	} else {
		json_object_set_new(o, "method", json_string(r->method));
		json_object_set_new(o, "url", json_string(r->url ? r->url : ""));
		h = json_object();
		for (i = 0; i < r->nheaders; i++)
			json_object_set_new(h, r->header_names[i],
			    json_string(r->header_values[i]));
		json_object_set_new(o, "headers", h);
		if (r->body != NULL)
			json_object_set_new(o, "body", json_stringn(r->body,
			    r->bodylen));
	}
	if (r->callback != NULL)
		json_object_set(o, "callback", r->callback);
	return o;
}

static int
cmd_render(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "cs-data", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct prov_service *svc;
	const struct prov_op *op;
	struct prov_dict *dict = NULL;
	struct prov_request *req = NULL;
	const char **names = NULL, *hint;
	json_t *data = NULL, *cs = NULL, *o;
	struct diags d;
	char *cause = NULL, *s;
	int ch, json = 0, mask = 1, rc = EXIT_ERR;
	size_t i;

	diags_init(&d, "-");
	while ((ch = getopt_long(argc, argv, "d:c:jSh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			json_decref(data);
			if ((data = render_json_arg("--data", optarg)) == NULL)
				goto out;
			break;
		case 'c':
			json_decref(cs);
			if ((cs = render_json_arg("--cs-data", optarg)) == NULL)
				goto out;
			break;
		case 'j':
			json = 1;
			break;
		case 'S':
			mask = 0;
			break;
		case 'h':
			render_usage(stdout);
			rc = 0;
			goto out;
		default:
			render_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3) {
		render_usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	diags_free(&d);
	diags_init(&d, argv[0]);
	if ((dict = prov_dict_load(argv[0], &d)) == NULL) {
		diags_print(&d, stderr);
		goto out;
	}
	if ((svc = prov_service_find(dict, argv[1])) == NULL) {
		names = xcalloc(dict->nservices + 1, sizeof(*names));
		for (i = 0; i < dict->nservices; i++)
			names[i] = dict->services[i].name;
		hint = str_suggest(argv[1], names);
		fprintf(stderr, "%s: %s: no service \"%s\"%s%s%s\n", progname,
		    argv[0], argv[1], hint ? "; did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?" : "");
		goto out;
	}
	if ((op = prov_op_find(svc, argv[2])) == NULL) {
		names = xcalloc(svc->nops + 1, sizeof(*names));
		for (i = 0; i < svc->nops; i++)
			names[i] = svc->ops[i].name;
		hint = str_suggest(argv[2], names);
		fprintf(stderr, "%s: %s: service %s has no operation \"%s\""
		    "%s%s%s\n", progname, argv[0], svc->name, argv[2],
		    hint ? "; did you mean \"" : "", hint ? hint : "",
		    hint ? "\"?" : "");
		goto out;
	}
	if (prov_op_render(dict, op, data, cs, mask, &req, &cause) != 0) {
		fprintf(stderr, "%s: %s: %s.%s: %s\n", progname, argv[0],
		    svc->name, op->name, cause ? cause : "cannot render");
		goto out;
	}
	if (json) {
		o = render_to_json(req);
		s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(o);
	} else
		render_print(op, req);
	rc = 0;
out:
	free(names);
	free(cause);
	prov_request_free(req);
	prov_dict_free(dict);
	json_decref(data);
	json_decref(cs);
	diags_free(&d);
	return rc;
}

/* jsonpath */

static void
jsonpath_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s jsonpath [--compact] [--paths] EXPR [FILE]\n"
	    "Evaluate an RFC 9535 JSONPath expression against the JSON document\n"
	    "in FILE (standard input without FILE) and print the selected nodes\n"
	    "as a JSON array.\n"
	    "  --compact   print the array on one line\n"
	    "  --paths     print the nodes' normalized paths instead of values\n"
	    "Exit status: 0 success (even when nothing is selected), 2 an\n"
	    "invalid expression or document.\n", progname);
}

static int
cmd_jsonpath(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "compact", no_argument, NULL, 'c' },
		{ "paths", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct jp_expr *e = NULL;
	json_t *doc = NULL, *values = NULL, *paths = NULL;
	json_error_t jerr;
	const char *file;
	char *cause = NULL, *buf = NULL, *s;
	size_t len;
	int ch, compact = 0, showpaths = 0, rc = EXIT_ERR;
	FILE *fp;

	while ((ch = getopt_long(argc, argv, "+cph", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			compact = 1;
			break;
		case 'p':
			showpaths = 1;
			break;
		case 'h':
			jsonpath_usage(stdout);
			return 0;
		default:
			jsonpath_usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2) {
		jsonpath_usage(stderr);
		return EXIT_USAGE;
	}
	if (jp_compile(argv[0], &e, &cause) != 0) {
		fprintf(stderr, "%s: invalid expression \"%s\": %s\n",
		    progname, argv[0], cause ? cause : "invalid");
		goto out;
	}
	file = argc == 2 ? argv[1] : "-";
	if (strcmp(file, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(file, "r")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, file,
		    strerror(errno));
		goto out;
	}
	if (read_all(fp, &buf, &len) == -1) {
		fprintf(stderr, "%s: %s: %s\n", progname, file,
		    strerror(errno));
		if (fp != stdin)
			fclose(fp);
		goto out;
	}
	if (fp != stdin)
		fclose(fp);
	doc = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "%s: %s: invalid JSON at line %d, column %d: "
		    "%s\n", progname, strcmp(file, "-") == 0 ? "<stdin>" : file,
		    jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (jp_query(e, doc, &values, &paths, &cause) != 0) {
		fprintf(stderr, "%s: %s\n", progname,
		    cause ? cause : "query failed");
		goto out;
	}
	s = json_dumps(showpaths ? paths : values, JSON_ENCODE_ANY |
	    JSON_PRESERVE_ORDER | (compact ? JSON_COMPACT : JSON_INDENT(2)));
	if (s == NULL) {
		fprintf(stderr, "%s: cannot print the result\n", progname);
		goto out;
	}
	printf("%s\n", s);
	free(s);
	rc = 0;
out:
	free(cause);
	free(buf);
	json_decref(doc);
	json_decref(values);
	json_decref(paths);
	jp_free(e);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "lint", cmd_lint },
		{ "render", cmd_render },
		{ "jsonpath", cmd_jsonpath },
	};
	static const char *const names[] = { "lint", "render", "jsonpath",
	    NULL };
	const char *hint;
	size_t i;

	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage_main(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", progname, PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			optind = 1;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	hint = str_suggest(argv[1], names);
	fprintf(stderr, "%s: unknown command \"%s\"%s%s%s\n", progname, argv[1],
	    hint ? "; did you mean \"" : "", hint ? hint : "",
	    hint ? "\"?" : "");
	usage_main(stderr);
	return EXIT_USAGE;
}
