/*
 * vnf-provider: the provider author's tool.
 *
 *	vnf-provider lint [--json] [--strict] FILE...
 *	vnf-provider render [--json] [--show-secrets] FILE SERVICE OPERATION
 *	    [--data JSON] [--cs-data JSON]
 *	vnf-provider jsonpath [--compact] [--paths] EXPR [FILE]
 *	vnf-provider run FILE --target HOST[:PORT] [--cs-data JSON|FILE]
 *	    SERVICE OPERATION [--data JSON]
 *	vnf-provider health FILE --target HOST[:PORT] [--check NAME]
 *	vnf-provider bootstrap FILE --target HOST[:PORT] [--state FILE]
 *
 * See docs/vnf-provider.1.  Exit status: 0 success; 1 warnings under
 * lint --strict; 2 errors in the input (dictionary, data, expression,
 * document); 3 an operation, check or bootstrap that failed (run, health,
 * bootstrap: the printed result says why); 64 a usage error.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/diag.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "provider/bootstrap.h"
#include "provider/dict.h"
#include "provider/health.h"
#include "provider/jsonpath.h"
#include "provider/runner.h"

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
	    "       %s run FILE --target HOST[:PORT] [--cs-data JSON|FILE]\n"
	    "           SERVICE OPERATION [--data JSON|@FILE]\n"
	    "       %s health FILE --target HOST[:PORT] [--check NAME]\n"
	    "       %s bootstrap FILE --target HOST[:PORT] [--state FILE]\n"
	    "Run \"%s COMMAND --help\" for one command's options.\n",
	    progname, progname, progname, progname, progname, progname,
	    progname);
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

/*
 * run, health, bootstrap: against a reachable VNF, with plain sockets.
 *
 * Every connection goes to --target, whatever host the dictionary's
 * connection renders: the tool stands in for the broker's socket
 * callback, which would make the socket inside the appliance's network.
 */

/* The operation failed, a check failed, the bootstrap did not finish. */
#define EXIT_FAILED	3

struct tool_target {
	char		*host;		/* --target, without brackets */
	int		 port;		/* 0: the connection's port */
	const char	*known_hosts;	/* TOFU store, one "host:port fp"
					   per line */
};

/* Connect a TCP socket to host:port within timeout_ms (0: 10 s). */
static int
tool_connect(const char *host, int port, int timeout_ms, char **cause)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	char ports[16];
	socklen_t sl;
	int fd = -1, err = 0, rc, fl;

	if (timeout_ms <= 0)
		timeout_ms = 10000;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(ports, sizeof(ports), "%d", port);
	if ((rc = getaddrinfo(host, ports, &hints, &res)) != 0) {
		*cause = xasprintf("%s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, timeout_ms);
			if (rc == 1) {
				sl = sizeof(err);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
				    &sl) == 0 && err == 0)
					break;
			} else
				err = rc == 0 ? ETIMEDOUT : errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		*cause = xasprintf("connect %s:%d: %s", host, port,
		    err == ETIMEDOUT ? "timed out" : strerror(err));
		errno = err;
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl != -1)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static int
tool_socket(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	const struct tool_target *tt = arg;

	(void)host;
	return tool_connect(tt->host, tt->port ? tt->port : port, timeout_ms,
	    cause);
}

/* Callbacks go where their URL says (the management server). */
static int
tool_callback_socket(void *arg, const char *host, int port, int timeout_ms,
    char **cause)
{
	(void)arg;
	return tool_connect(host, port, timeout_ms, cause);
}

/* Trust on first use, in a text file of "host:port SHA256:..." lines. */
static int
tool_hostkey(void *arg, const char *host, int port, const char *fp,
    char **known)
{
	const struct tool_target *tt = arg;
	char key[300], line[512], *sp;
	FILE *fp_;
	int eff = tt->port ? tt->port : port;

	(void)host;
	*known = NULL;
	snprintf(key, sizeof(key), "%s:%d", tt->host, eff);
	if ((fp_ = fopen(tt->known_hosts, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp_) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if ((sp = strchr(line, ' ')) == NULL)
				continue;
			*sp++ = '\0';
			if (strcmp(line, key) == 0) {
				*known = xstrdup(sp);
				fclose(fp_);
				return 0;
			}
		}
		fclose(fp_);
	}
	if ((fp_ = fopen(tt->known_hosts, "a")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, tt->known_hosts,
		    strerror(errno));
		return -1;
	}
	fprintf(fp_, "%s %s\n", key, fp);
	fclose(fp_);
	fprintf(stderr, "%s: %s: recorded the host key of %s: %s\n", progname,
	    tt->known_hosts, key, fp);
	return 0;
}

/* HOST, HOST:PORT, [V6], [V6]:PORT. */
static int
tool_parse_target(const char *s, struct tool_target *tt)
{
	const char *p, *end;
	char *ep;
	long v;

	tt->port = 0;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		tt->host = xstrndup(s + 1, (size_t)(end - s - 1));
		p = end[1] == ':' ? end + 2 : NULL;
		if (end[1] != '\0' && end[1] != ':')
			return -1;
	} else if ((p = strchr(s, ':')) != NULL && strchr(p + 1, ':') == NULL) {
		tt->host = xstrndup(s, (size_t)(p - s));
		p++;
	} else {
		tt->host = xstrdup(s);	/* a name, or a bare IPv6 address */
		p = NULL;
	}
	if (*tt->host == '\0')
		return -1;
	if (p != NULL) {
		errno = 0;
		v = strtol(p, &ep, 10);
		if (*p == '\0' || *ep != '\0' || errno != 0 || v < 1 ||
		    v > 65535)
			return -1;
		tt->port = (int)v;
	}
	return 0;
}

/* JSON text, @FILE, or a FILE name (what --cs-data FILE means). */
static json_t *
tool_json_arg(const char *opt, const char *arg)
{
	const char *p = arg;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '{' || *p == '[' || *p == '"' || *p == '@')
		return render_json_arg(opt, arg);
	{
		char *at = xasprintf("@%s", arg);
		json_t *v = render_json_arg(opt, at);

		free(at);
		return v;
	}
}

static void
tool_print(json_t *res, int compact)
{
	char *s = json_dumps(res, JSON_PRESERVE_ORDER | (compact ?
	    JSON_COMPACT : JSON_INDENT(2)));

	printf("%s\n", s != NULL ? s : "{}");
	free(s);
}

static char *
tool_default_known_hosts(void)
{
	const char *base = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *dir;

	if (base != NULL && *base != '\0')
		dir = xasprintf("%s/vnf-provider", base);
	else
		dir = xasprintf("%s/.local/state/vnf-provider", home ? home :
		    "/tmp");
	{
		/* mkdir -p of the last two levels; errors show on use. */
		char *parent = xstrdup(dir), *sl = strrchr(parent, '/');

		if (sl != NULL) {
			*sl = '\0';
			mkdir(parent, 0700);
		}
		free(parent);
		mkdir(dir, 0700);
	}
	{
		char *f = xasprintf("%s/known_hosts", dir);

		free(dir);
		return f;
	}
}

struct tool_common {
	struct tool_target	 tt;
	struct prov_target	 t;
	struct prov_dict	*dict;
	json_t			*cs;
	char			*kh;
	const char		*hostkey;
	const char		*callback_url;
	int			 timeout_s;
	int			 compact;
};

static const struct option tool_opts[] = {
	{ "target", required_argument, NULL, 'T' },
	{ "cs-data", required_argument, NULL, 'c' },
	{ "data", required_argument, NULL, 'd' },
	{ "hostkey", required_argument, NULL, 'K' },
	{ "known-hosts", required_argument, NULL, 'k' },
	{ "timeout", required_argument, NULL, 't' },
	{ "callback-url", required_argument, NULL, 'C' },
	{ "check", required_argument, NULL, 'n' },
	{ "state", required_argument, NULL, 's' },
	{ "deadline", required_argument, NULL, 'D' },
	{ "retry", required_argument, NULL, 'r' },
	{ "compact", no_argument, NULL, 'j' },
	{ "repeat", required_argument, NULL, 'R' },
	{ "interval", required_argument, NULL, 'I' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
exec_usage(FILE *fp, const char *cmd)
{
	if (strcmp(cmd, "run") == 0)
		fprintf(fp, "usage: %s run FILE --target HOST[:PORT] "
		    "[--cs-data JSON|FILE]\n"
		    "           SERVICE OPERATION [--data JSON|@FILE] "
		    "[options]\n"
		    "Run one operation against the VNF at --target and print "
		    "the result JSON.\n"
		    "  --repeat N            run it N times (1-10000) over kept "
		    "connections,\n"
		    "                        as the engine does; one result "
		    "each\n"
		    "  --interval MS         with --repeat: the pause between "
		    "runs (default 0)\n", progname);
	else if (strcmp(cmd, "health") == 0)
		fprintf(fp, "usage: %s health FILE --target HOST[:PORT] "
		    "[--cs-data JSON|FILE] [--check NAME]\n"
		    "           [options]\n"
		    "Run the dictionary's health checks and print the "
		    "aggregate.\n", progname);
	else
		fprintf(fp, "usage: %s bootstrap FILE --target HOST[:PORT] "
		    "[--cs-data JSON|FILE] [--state FILE]\n"
		    "           [--deadline SECONDS] [--retry MS] [options]\n"
		    "Bootstrap the VNF (or resume the bootstrap kept in "
		    "--state).\n", progname);
	fprintf(fp,
	    "Options:\n"
	    "  --target HOST[:PORT]  where every connection goes (PORT "
	    "replaces the\n"
	    "                        connection's port)\n"
	    "  --cs-data JSON|FILE   the CloudStack data (default {}; "
	    "mgmt_ip defaults\n"
	    "                        to the target host)\n"
	    "  --hostkey SHA256:...  the SSH host key to accept\n"
	    "  --known-hosts FILE    trust-on-first-use store (default\n"
	    "                        ~/.local/state/vnf-provider/known_hosts)\n"
	    "  --timeout SECONDS     per connection and command (default: "
	    "the dictionary's)\n"
	    "  --callback-url URL    the CloudStack API for cloudstack-api "
	    "callbacks\n"
	    "  --compact             print the result on one line\n"
	    "Exit status: 0 success (healthy, ready), 3 failed (the result "
	    "says why),\n"
	    "2 errors in the input, 64 a usage error.\n");
}

static void
tool_common_free(struct tool_common *tc)
{
	prov_dict_free(tc->dict);
	json_decref(tc->cs);
	free(tc->tt.host);
	free(tc->kh);
}

/* Load the dictionary and set up the target; 0 or an exit status. */
static int
tool_setup(struct tool_common *tc, const char *file, const char *target)
{
	struct diags d;
	size_t i;

	if (target == NULL) {
		fprintf(stderr, "%s: --target HOST[:PORT] is required\n",
		    progname);
		return EXIT_USAGE;
	}
	if (tool_parse_target(target, &tc->tt) != 0) {
		fprintf(stderr, "%s: --target %s: expected HOST, HOST:PORT or "
		    "[ADDRESS]:PORT\n", progname, target);
		return EXIT_USAGE;
	}
	diags_init(&d, file);
	tc->dict = prov_dict_load(file, &d);
	if (tc->dict == NULL) {
		diags_print(&d, stderr);
		diags_free(&d);
		return EXIT_ERR;
	}
	diags_free(&d);
	if (tc->cs == NULL)
		tc->cs = json_object();
	if (!json_is_object(tc->cs)) {
		fprintf(stderr, "%s: --cs-data: expected a JSON object\n",
		    progname);
		return EXIT_ERR;
	}
	/* The management address defaults to the target. */
	if (json_object_get(tc->cs, "mgmt_ip") == NULL)
		json_object_set_new(tc->cs, "mgmt_ip",
		    json_string(tc->tt.host));
	for (i = 0; i < tc->dict->ncs_keys; i++)
		if (strstr(tc->dict->cs_keys[i], "mgmt_ip") != NULL &&
		    json_object_get(tc->cs, tc->dict->cs_keys[i]) == NULL)
			json_object_set_new(tc->cs, tc->dict->cs_keys[i],
			    json_string(tc->tt.host));
	if (tc->kh == NULL)
		tc->kh = tool_default_known_hosts();
	tc->tt.known_hosts = tc->kh;
	tc->t.name = tc->tt.host;
	tc->t.address = tc->tt.host;
	tc->t.open_socket = tool_socket;
	tc->t.socket_arg = &tc->tt;
	tc->t.hostkey_sha256 = tc->hostkey;
	tc->t.hostkey_cb = tool_hostkey;
	tc->t.hostkey_arg = &tc->tt;
	tc->t.callback_socket = tool_callback_socket;
	tc->t.cloudstack_url = tc->callback_url;
	tc->t.timeout_ms = tc->timeout_s * 1000;
	return 0;
}

/* Options every one of the three takes; 1 handled, 0 not, -1 bad. */
static int
tool_common_opt(struct tool_common *tc, int ch, const char **target)
{
	char *ep;
	long v;

	switch (ch) {
	case 'T':
		*target = optarg;
		return 1;
	case 'c':
		json_decref(tc->cs);
		return (tc->cs = tool_json_arg("--cs-data", optarg)) == NULL ?
		    -1 : 1;
	case 'K':
		tc->hostkey = optarg;
		return 1;
	case 'k':
		free(tc->kh);
		tc->kh = xstrdup(optarg);
		return 1;
	case 't':
		v = strtol(optarg, &ep, 10);
		if (*optarg == '\0' || *ep != '\0' || v < 1 ||
		    v > PROV_MAX_TIMEOUT) {
			fprintf(stderr, "%s: --timeout %s: expected 1-%d "
			    "seconds\n", progname, optarg, PROV_MAX_TIMEOUT);
			return -1;
		}
		tc->timeout_s = (int)v;
		return 1;
	case 'C':
		tc->callback_url = optarg;
		return 1;
	case 'j':
		tc->compact = 1;
		return 1;
	}
	return 0;
}

static int
cmd_run(int argc, char **argv)
{
	struct tool_common tc;
	struct prov_run_req rq;
	struct prov_run_conns *conns = NULL;
	const char *target = NULL;
	json_t *data = NULL, *res = NULL;
	char *ep, *cause = NULL;
	long repeat = 1, interval = 0, i;
	int ch, rc = EXIT_USAGE, r;

	memset(&tc, 0, sizeof(tc));
	while ((ch = getopt_long(argc, argv, "h", tool_opts, NULL)) != -1) {
		if ((r = tool_common_opt(&tc, ch, &target)) == 1)
			continue;
		if (r == -1)
			goto out;
		if (ch == 'd') {
			json_decref(data);
			if ((data = tool_json_arg("--data", optarg)) == NULL) {
				rc = EXIT_ERR;
				goto out;
			}
			continue;
		}
		if (ch == 'R') {
			repeat = strtol(optarg, &ep, 10);
			if (*optarg == '\0' || *ep != '\0' || repeat < 1 ||
			    repeat > 10000) {
				fprintf(stderr, "%s: --repeat %s: expected a "
				    "count from 1 to 10000\n", progname,
				    optarg);
				goto out;
			}
			continue;
		}
		if (ch == 'I') {
			interval = strtol(optarg, &ep, 10);
			if (*optarg == '\0' || *ep != '\0' || interval < 0 ||
			    interval > 3600000) {
				fprintf(stderr, "%s: --interval %s: expected "
				    "milliseconds (0-3600000)\n", progname,
				    optarg);
				goto out;
			}
			continue;
		}
		if (ch == 'h') {
			exec_usage(stdout, "run");
			rc = 0;
			goto out;
		}
		exec_usage(stderr, "run");
		goto out;
	}
	argc -= optind;
	argv += optind;
	if (argc != 3) {
		exec_usage(stderr, "run");
		goto out;
	}
	if ((rc = tool_setup(&tc, argv[0], target)) != 0)
		goto out;
	/* Several runs share the engine's kept connections and tokens. */
	if (repeat > 1) {
		if (prov_run_conns_new(NULL, &conns, &cause) != 0) {
			fprintf(stderr, "%s: %s\n", progname, cause);
			free(cause);
			rc = EXIT_ERR;
			goto out;
		}
		tc.t.conns = conns;
	}
	memset(&rq, 0, sizeof(rq));
	rq.service = argv[1];
	rq.operation = argv[2];
	rq.data = data;
	rq.cs_data = tc.cs;
	rc = 0;
	for (i = 0; i < repeat; i++) {
		if (i > 0 && interval > 0)
			(void)poll(NULL, 0, (int)interval);
		json_decref(res);
		r = prov_run_op(tc.dict, &tc.t, &rq, &res);
		tool_print(res, tc.compact);
		if (r != 0)
			rc = EXIT_FAILED;
	}
out:
	prov_run_conns_free(conns);
	json_decref(res);
	json_decref(data);
	tool_common_free(&tc);
	return rc;
}

static int
cmd_health(int argc, char **argv)
{
	struct tool_common tc;
	const char *target = NULL, *only = NULL;
	json_t *res = NULL;
	int ch, rc = EXIT_USAGE, r;

	memset(&tc, 0, sizeof(tc));
	while ((ch = getopt_long(argc, argv, "h", tool_opts, NULL)) != -1) {
		if ((r = tool_common_opt(&tc, ch, &target)) == 1)
			continue;
		if (r == -1)
			goto out;
		if (ch == 'n') {
			only = optarg;
			continue;
		}
		if (ch == 'h') {
			exec_usage(stdout, "health");
			rc = 0;
			goto out;
		}
		exec_usage(stderr, "health");
		goto out;
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		exec_usage(stderr, "health");
		goto out;
	}
	if ((rc = tool_setup(&tc, argv[0], target)) != 0)
		goto out;
	r = prov_health_run(tc.dict, &tc.t, tc.cs, only, &res);
	if (r == -ENOENT) {
		fprintf(stderr, "%s: %s: no health check \"%s\"\n", progname,
		    argv[0], only);
		rc = EXIT_ERR;
		goto out;
	}
	tool_print(res, tc.compact);
	rc = r == 0 ? 0 : EXIT_FAILED;
out:
	json_decref(res);
	tool_common_free(&tc);
	return rc;
}

/* --state FILE: JSON, replaced atomically, mode 0600. */
static int
state_load(void *arg, json_t **state, char **cause)
{
	const char *path = arg;
	json_error_t err;

	*state = NULL;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if ((*state = json_load_file(path, 0, &err)) == NULL) {
		*cause = xasprintf("%s: %s", path, err.text);
		return -1;
	}
	return 0;
}

static int
state_save(void *arg, json_t *state, char **cause)
{
	const char *path = arg;
	char *tmp = xasprintf("%s.tmp", path), *s;
	size_t len;
	int fd, rc = -1;

	s = json_dumps(state, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s == NULL) {
		*cause = xstrdup("cannot encode the state");
		goto out;
	}
	len = strlen(s);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	freezero_str(s);
	free(tmp);
	return rc;
}

static int
cmd_bootstrap(int argc, char **argv)
{
	struct tool_common tc;
	struct prov_boot_opts bo;
	struct prov_boot_store store;
	const char *target = NULL, *state = NULL;
	json_t *res = NULL;
	char *ep;
	long v;
	int ch, rc = EXIT_USAGE, r;

	memset(&tc, 0, sizeof(tc));
	memset(&bo, 0, sizeof(bo));
	while ((ch = getopt_long(argc, argv, "h", tool_opts, NULL)) != -1) {
		if ((r = tool_common_opt(&tc, ch, &target)) == 1)
			continue;
		if (r == -1)
			goto out;
		switch (ch) {
		case 's':
			state = optarg;
			continue;
		case 'D':
		case 'r':
			v = strtol(optarg, &ep, 10);
			if (*optarg == '\0' || *ep != '\0' || v < 1 ||
			    v > 86400000) {
				fprintf(stderr, "%s: %s: not a positive "
				    "number\n", progname, optarg);
				goto out;
			}
			if (ch == 'D')
				bo.deadline_s = (int)v;
			else
				bo.retry_ms = (int)v;
			continue;
		case 'h':
			exec_usage(stdout, "bootstrap");
			rc = 0;
			goto out;
		}
		exec_usage(stderr, "bootstrap");
		goto out;
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		exec_usage(stderr, "bootstrap");
		goto out;
	}
	if ((rc = tool_setup(&tc, argv[0], target)) != 0)
		goto out;
	if (state != NULL) {
		store.load = state_load;
		store.save = state_save;
		store.arg = (void *)(uintptr_t)state;
		bo.store = &store;
	}
	r = prov_boot_run(tc.dict, &tc.t, tc.cs, &bo, &res);
	tool_print(res, tc.compact);
	rc = r == 0 ? 0 : EXIT_FAILED;
out:
	json_decref(res);
	tool_common_free(&tc);
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
		{ "run", cmd_run },
		{ "health", cmd_health },
		{ "bootstrap", cmd_bootstrap },
	};
	static const char *const names[] = { "lint", "render", "jsonpath",
	    "run", "health", "bootstrap", NULL };
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
