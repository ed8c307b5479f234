/*
 * vnf-brokerctl: the operator's client of the control API.
 *
 *	vnf-brokerctl [OPTIONS] network|appliance|user list|get|put|delete ...
 *	vnf-brokerctl [OPTIONS] provider list|get|put|delete ...
 *	vnf-brokerctl [OPTIONS] op APPLIANCE SERVICE OPERATION [--data JSON]
 *	vnf-brokerctl [OPTIONS] job ID | health APPLIANCE [--run]
 *	vnf-brokerctl [OPTIONS] bootstrap APPLIANCE [--start]
 *	vnf-brokerctl [OPTIONS] hostkeys APPLIANCE [--forget]
 *	vnf-brokerctl [OPTIONS] status | metrics | audit [--follow]
 *
 * It talks to the engine role over the local unix socket (peer
 * credentials, no secret needed) or over HTTPS with a client certificate
 * or a bearer token.  See docs/vnf-brokerctl.8.  Exit status: 0 success;
 * 1 the API refused (its {error, message, details} printed); 2 usage;
 * 3 the broker cannot be reached; 4 an operation, check, bootstrap or job
 * ran and failed.
 *
 * Every answer is read into a buffer of at most MAX_RESPONSE bytes; a
 * longer one is an error, never a truncated table.  Tables never show
 * secrets: the API masks them, and this program prints what it is given.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <yaml.h>

#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define EXIT_UNREACH	3
#define EXIT_FAILED	4

#define MAX_RESPONSE	(16u * 1024 * 1024)	/* answers we accept */
#define MAX_FILE	(8u * 1024 * 1024)	/* --file, --data @FILE */
#define MAX_TOKEN	4096
#define MAX_AUDIT_LINE	(64 * 1024)

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif

static const char *progname = "vnf-brokerctl";

/* Global options. */
static struct {
	const char	*socket;
	const char	*url;
	const char	*cacert;
	const char	*cert;
	const char	*key;
	const char	*token_file;
	const char	*config;
	long		 timeout;
	int		 json;
	int		 insecure;
} opt = {
	.socket = RUNSTATEDIR "/vnf-broker/api.sock",
	.config = SYSCONFDIR "/vnf-broker/broker.yaml",
	.timeout = 300,
};

/* One answer of the API. */
struct answer {
	long	 status;
	char	*body;		/* NUL-terminated */
	size_t	 len;
	int	 too_long;
	char	 ctype[128];
};

static void __attribute__((format(printf, 1, 2)))
warnx_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [--json] [--socket PATH | --url https://HOST:PORT\n"
	    "           [--cacert FILE] [--cert FILE --key FILE] [--token-file FILE]]\n"
	    "           [--timeout SECONDS] COMMAND ...\n"
	    "commands:\n"
	    "  network   list | get NAME | put NAME --file FILE | delete NAME\n"
	    "  provider  list | get NAME [--yaml] | put NAME FILE.yaml | delete NAME\n"
	    "  appliance list | get NAME | put NAME --file FILE | delete NAME\n"
	    "  user      list | get NAME | put NAME --file FILE | delete NAME\n"
	    "  op APPLIANCE SERVICE OPERATION [--data JSON|@FILE] [--wait SECONDS]\n"
	    "  job ID\n"
	    "  health APPLIANCE [--run]\n"
	    "  bootstrap APPLIANCE [--start]\n"
	    "  hostkeys APPLIANCE [--forget]\n"
	    "  status\n"
	    "  metrics\n"
	    "  audit [--follow] [-f FILE] [--config FILE]\n"
	    "exit status: 0 ok, 1 refused by the API, 2 usage, 3 broker not\n"
	    "reachable, 4 the operation ran and failed\n",
	    progname);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun \"%s --help\" for usage.\n", progname);
	exit(EXIT_USAGE);
}

static char *cell(json_t *);

/* Read a whole file ("-" is standard input), at most MAX_FILE bytes. */
static char *
read_file(const char *path, size_t *lenp)
{
	FILE *fp;
	char *buf;
	size_t len = 0, n;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		warnx_("%s: %s", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	if ((buf = malloc(MAX_FILE + 1)) == NULL) {
		warnx_("out of memory");
		exit(EXIT_USAGE);
	}
	while ((n = fread(buf + len, 1, MAX_FILE + 1 - len, fp)) > 0) {
		len += n;
		if (len > MAX_FILE) {
			warnx_("%s: longer than %u bytes", path, MAX_FILE);
			exit(EXIT_USAGE);
		}
	}
	if (ferror(fp)) {
		warnx_("%s: %s", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	if (fp != stdin)
		fclose(fp);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Parse JSON text given on the command line or in a file; usage error. */
static json_t *
parse_json_arg(const char *what, const char *text, size_t len)
{
	json_error_t err;
	json_t *j;

	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		usage_error("%s: invalid JSON at line %d, column %d: %s", what,
		    err.line, err.column, err.text);
	return j;
}

/*
 * YAML to JSON, for --file: a plain scalar is null, a boolean, an integer
 * or a real when it reads as one (YAML 1.2 core schema), else a string;
 * a quoted one is always a string.
 */
static json_t *
yaml_node_json(yaml_document_t *doc, yaml_node_t *n, int depth)
{
	yaml_node_pair_t *pair;
	yaml_node_item_t *item;
	json_t *o, *v;
	const char *t;
	char *end;
	long long ll;
	double d;

	if (n == NULL || depth > 64)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		t = (const char *)n->data.scalar.value;
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return json_stringn(t, n->data.scalar.length);
		if (*t == '\0' || strcmp(t, "~") == 0 ||
		    strcmp(t, "null") == 0 || strcmp(t, "Null") == 0 ||
		    strcmp(t, "NULL") == 0)
			return json_null();
		if (strcmp(t, "true") == 0 || strcmp(t, "True") == 0 ||
		    strcmp(t, "TRUE") == 0)
			return json_true();
		if (strcmp(t, "false") == 0 || strcmp(t, "False") == 0 ||
		    strcmp(t, "FALSE") == 0)
			return json_false();
		errno = 0;
		ll = strtoll(t, &end, 10);
		if (*end == '\0' && errno == 0 && strspn(t, "+-0123456789") ==
		    strlen(t))
			return json_integer(ll);
		d = strtod(t, &end);
		if (*end == '\0' && strspn(t, "+-.0123456789eE") == strlen(t) &&
		    strchr(t, '.') != NULL)
			return json_real(d);
		return json_stringn(t, n->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		o = json_array();
		for (item = n->data.sequence.items.start;
		    item < n->data.sequence.items.top; item++) {
			v = yaml_node_json(doc, yaml_document_get_node(doc,
			    *item), depth + 1);
			if (v == NULL) {
				json_decref(o);
				return NULL;
			}
			json_array_append_new(o, v);
		}
		return o;
	case YAML_MAPPING_NODE:
		o = json_object();
		for (pair = n->data.mapping.pairs.start;
		    pair < n->data.mapping.pairs.top; pair++) {
			yaml_node_t *k = yaml_document_get_node(doc, pair->key);

			if (k == NULL || k->type != YAML_SCALAR_NODE ||
			    (v = yaml_node_json(doc, yaml_document_get_node(doc,
			    pair->value), depth + 1)) == NULL) {
				json_decref(o);
				return NULL;
			}
			json_object_set_new(o, (const char *)k->data.scalar.value,
			    v);
		}
		return o;
	default:
		return NULL;
	}
}

/*
 * An object for a PUT from --file: JSON, or else YAML (a broker.yaml
 * entry copied as it is).  NULL with *cause (allocated, saying where)
 * when neither.
 */
static json_t *
parse_object_file(const char *file, const char *text, size_t len,
    char **cause)
{
	yaml_parser_t p;
	yaml_document_t doc;
	json_error_t jerr;
	json_t *j;
	size_t i = strspn(text, " \t\r\n");

	*cause = NULL;
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL && i < len && (text[i] == '{' || text[i] == '[')) {
		if (asprintf(cause, "%s: invalid JSON at line %d, column %d: "
		    "%s", file, jerr.line, jerr.column, jerr.text) < 0)
			*cause = NULL;
		return NULL;
	}
	if (j == NULL) {
		yaml_parser_initialize(&p);
		yaml_parser_set_input_string(&p, (const unsigned char *)text,
		    len);
		if (!yaml_parser_load(&p, &doc)) {
			if (asprintf(cause, "%s:%zu:%zu: neither JSON nor "
			    "YAML: %s", file, p.problem_mark.line + 1,
			    p.problem_mark.column + 1, p.problem != NULL ?
			    p.problem : "invalid YAML") < 0)
				*cause = NULL;
			yaml_parser_delete(&p);
			return NULL;
		}
		j = yaml_node_json(&doc, yaml_document_get_root_node(&doc), 0);
		yaml_document_delete(&doc);
		yaml_parser_delete(&p);
		if (j == NULL) {
			if (asprintf(cause, "%s: a YAML document the API "
			    "cannot take (keys must be plain strings, depth "
			    "at most 64)", file) < 0)
				*cause = NULL;
			return NULL;
		}
	}
	if (!json_is_object(j)) {
		json_decref(j);
		if (asprintf(cause, "%s: expected an object ({...} or key: "
		    "value lines)", file) < 0)
			*cause = NULL;
		return NULL;
	}
	return j;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;
	char *nb;

	if (a->len + n > MAX_RESPONSE) {
		a->too_long = 1;
		return 0;	/* aborts the transfer */
	}
	if ((nb = realloc(a->body, a->len + n + 1)) == NULL)
		return 0;
	a->body = nb;
	memcpy(a->body + a->len, data, n);
	a->len += n;
	a->body[a->len] = '\0';
	return n;
}

/*
 * The bearer token, from --token-file: its first line.  Read into a small
 * buffer that is cleared before it goes; the caller clears the copy.
 */
static char *
read_token(void)
{
	char buf[MAX_TOKEN + 2], *nl, *tok;
	FILE *fp;
	size_t n;

	if ((fp = fopen(opt.token_file, "r")) == NULL) {
		warnx_("%s: %s", opt.token_file, strerror(errno));
		exit(EXIT_USAGE);
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = '\0';
	if (strlen(buf) > MAX_TOKEN || buf[0] == '\0') {
		explicit_bzero(buf, sizeof(buf));
		warnx_("%s: expected a token on its first line (at most %d "
		    "bytes)", opt.token_file, MAX_TOKEN);
		exit(EXIT_USAGE);
	}
	tok = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (tok == NULL)
		exit(EXIT_USAGE);
	return tok;
}

/* The request in flight, freed at exit too (errors exit at once). */
static CURL		*cur_handle;
static struct curl_slist *cur_headers;
static char		*cur_url;

static void
api_call_free(void)
{
	struct curl_slist *s;

	/* The list may hold the token: clear it before it is freed. */
	for (s = cur_headers; s != NULL; s = s->next)
		if (strncmp(s->data, "Authorization:", 14) == 0)
			explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(cur_headers);
	cur_headers = NULL;
	if (cur_handle != NULL)
		curl_easy_cleanup(cur_handle);
	cur_handle = NULL;
	free(cur_url);
	cur_url = NULL;
}

/*
 * One request.  Returns with the answer filled in (any HTTP status), or
 * exits EXIT_UNREACH when no answer came.
 */
static void
api_call(const char *method, const char *path, const char *ctype,
    const char *body, size_t blen, const char *accept, struct answer *a)
{
	CURL *c;
	CURLcode rc;
	struct curl_slist *h = NULL;
	char *url, *hdr, *token;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *base, *ct = NULL;
	size_t ulen;

	memset(a, 0, sizeof(*a));
	api_call_free();
	if ((c = cur_handle = curl_easy_init()) == NULL) {
		warnx_("cannot initialise libcurl");
		exit(EXIT_UNREACH);
	}
	base = opt.url != NULL ? opt.url : "http://localhost";
	ulen = strlen(base) + strlen(path) + 1;
	url = cur_url = malloc(ulen);
	if (url == NULL)
		exit(EXIT_UNREACH);
	snprintf(url, ulen, "%s%s", base, path);
	/* A base ending in '/' must not double the slash. */
	if (strlen(base) > 0 && base[strlen(base) - 1] == '/')
		snprintf(url, ulen, "%.*s%s", (int)strlen(base) - 1, base, path);

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, opt.timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)MAX_RESPONSE);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (opt.url == NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, opt.socket);
	else {
		if (opt.cacert != NULL)
			curl_easy_setopt(c, CURLOPT_CAINFO, opt.cacert);
		if (opt.cert != NULL)
			curl_easy_setopt(c, CURLOPT_SSLCERT, opt.cert);
		if (opt.key != NULL)
			curl_easy_setopt(c, CURLOPT_SSLKEY, opt.key);
		if (opt.insecure) {
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (opt.token_file != NULL) {
			token = read_token();
			hdr = malloc(strlen(token) + 32);
			if (hdr == NULL)
				exit(EXIT_UNREACH);
			snprintf(hdr, strlen(token) + 32,
			    "Authorization: Bearer %s", token);
			h = curl_slist_append(h, hdr);
			explicit_bzero(hdr, strlen(hdr));
			free(hdr);
			explicit_bzero(token, strlen(token));
			free(token);
		}
	}
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)blen);
		hdr = malloc(strlen(ctype) + 16);
		if (hdr == NULL)
			exit(EXIT_UNREACH);
		snprintf(hdr, strlen(ctype) + 16, "Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
		free(hdr);
	}
	h = curl_slist_append(h, accept != NULL &&
	    strcmp(accept, "application/yaml") == 0 ?
	    "Accept: application/yaml" : "Accept: application/json");
	h = curl_slist_append(h, "Expect:");
	cur_headers = h;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);

	rc = curl_easy_perform(c);
	if (a->too_long || rc == CURLE_FILESIZE_EXCEEDED) {
		warnx_("%s %s: the answer is longer than %u bytes", method,
		    path, MAX_RESPONSE);
		exit(EXIT_UNREACH);
	}
	if (rc != CURLE_OK && opt.url == NULL && access(opt.socket, F_OK) != 0) {
		warnx_("cannot reach the broker at %s: %s (is vnf-brokerd "
		    "running with the engine role?)", opt.socket,
		    strerror(errno));
		exit(EXIT_UNREACH);
	}
	if (rc != CURLE_OK) {
		warnx_("cannot reach the broker at %s: %s",
		    opt.url != NULL ? opt.url : opt.socket,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		exit(EXIT_UNREACH);
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(a->ctype, sizeof(a->ctype), "%s", ct);
	if (a->body == NULL) {
		a->body = strdup("");
		if (a->body == NULL)
			exit(EXIT_UNREACH);
	}
	api_call_free();
}

static void
answer_free(struct answer *a)
{
	free(a->body);
	a->body = NULL;
}

/* Print a JSON value as the API sent it, indented. */
static void
print_json(json_t *j)
{
	char *s;

	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
}

/* One detail of an error, on one line. */
static void
print_detail(json_t *d)
{
	json_t *line, *col, *path, *field, *msg;
	char *s;

	if (json_is_string(d)) {
		fprintf(stderr, "  %s\n", json_string_value(d));
		return;
	}
	if (json_is_object(d)) {
		line = json_object_get(d, "line");
		col = json_object_get(d, "column");
		path = json_object_get(d, "path");
		field = json_object_get(d, "field");
		msg = json_object_get(d, "message");
		if (json_is_string(msg)) {
			fputs("  ", stderr);
			if (json_is_integer(line)) {
				fprintf(stderr, "line %lld", (long long)
				    json_integer_value(line));
				if (json_is_integer(col))
					fprintf(stderr, ", column %lld",
					    (long long)json_integer_value(col));
				fputs(": ", stderr);
			}
			if (json_is_string(path) &&
			    json_string_value(path)[0] != '\0')
				fprintf(stderr, "%s: ", json_string_value(path));
			else if (json_is_string(field))
				fprintf(stderr, "%s: ", json_string_value(field));
			fprintf(stderr, "%s\n", json_string_value(msg));
			return;
		}
	}
	if (json_is_object(d)) {
		/* {"max_body": N}, {"job": ID}: key: value, ... */
		const char *k;
		json_t *v;
		int first = 1;

		fputs("  ", stderr);
		json_object_foreach(d, k, v) {
			char *c = cell(v);
			fprintf(stderr, "%s%s: %s", first ? "" : ", ", k, c);
			free(c);
			first = 0;
		}
		fputc('\n', stderr);
		return;
	}
	s = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
	fprintf(stderr, "  %s\n", s != NULL ? s : "?");
	free(s);
}

/*
 * A refusal: print it from {error, message, details} and exit 1.  With
 * --json the API's body goes to standard output as well.
 */
static void __attribute__((noreturn))
refused(const char *method, const char *path, struct answer *a)
{
	json_t *j, *err, *msg, *details, *d;
	size_t i;

	j = json_loads(a->body, 0, NULL);
	if (opt.json && j != NULL)
		print_json(j);
	err = json_object_get(j, "error");
	msg = json_object_get(j, "message");
	if (json_is_string(err) || json_is_string(msg)) {
		fprintf(stderr, "%s: %ld %s: %s\n", progname, a->status,
		    json_is_string(err) ? json_string_value(err) : "error",
		    json_is_string(msg) ? json_string_value(msg) : "");
		details = json_object_get(j, "details");
		if (json_is_array(details))
			json_array_foreach(details, i, d)
				print_detail(d);
		else if (details != NULL && !json_is_null(details))
			print_detail(details);
	} else
		fprintf(stderr, "%s: %s %s: HTTP status %ld%s%.200s\n",
		    progname, method, path, a->status,
		    a->len > 0 ? ": " : "", a->body);
	json_decref(j);
	exit(EXIT_REFUSED);
}

/* A JSON answer with a 2xx status, or the refusal printed and exit. */
static json_t *
api_json(const char *method, const char *path, const char *ctype,
    const char *body, size_t blen, long *statusp)
{
	struct answer a;
	json_error_t err;
	json_t *j;

	api_call(method, path, ctype, body, blen, NULL, &a);
	if (a.status < 200 || a.status > 299)
		refused(method, path, &a);
	if (statusp != NULL)
		*statusp = a.status;
	if (a.len == 0) {
		answer_free(&a);
		return json_null();
	}
	j = json_loads(a.body, JSON_DECODE_ANY, &err);
	if (j == NULL) {
		warnx_("%s %s: the answer is not JSON (line %d: %s)", method,
		    path, err.line, err.text);
		answer_free(&a);
		exit(EXIT_UNREACH);
	}
	answer_free(&a);
	return j;
}

/* Percent-encode one path segment. */
static char *
seg(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o, *p;

	if (strlen(s) > 1024)
		usage_error("name too long: %.40s...", s);
	o = p = malloc(strlen(s) * 3 + 1);
	if (o == NULL)
		exit(EXIT_USAGE);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			*p++ = (char)ch;
		else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return o;
}

/* "/v1/KIND" or "/v1/KIND/NAME[SUFFIX]". */
static char *
mkpath(const char *kind, const char *name, const char *suffix)
{
	char *e, *p;
	size_t n;

	if (name == NULL) {
		n = strlen(kind) + 8;
		p = malloc(n);
		if (p == NULL)
			exit(EXIT_USAGE);
		snprintf(p, n, "/v1/%s", kind);
		return p;
	}
	e = seg(name);
	n = strlen(kind) + strlen(e) + (suffix ? strlen(suffix) : 0) + 8;
	if ((p = malloc(n)) == NULL)
		exit(EXIT_USAGE);
	snprintf(p, n, "/v1/%s/%s%s", kind, e, suffix ? suffix : "");
	free(e);
	return p;
}

/* A string for a table cell: strings as they are, others as compact JSON. */
static char *
cell(json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v))
		return strdup("-");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_array(v) && json_array_size(v) > 0) {
		/* A list of scalars reads best comma-separated. */
		size_t i, n = 0;
		json_t *e;
		char *out, *es;

		json_array_foreach(v, i, e)
			if (json_is_object(e) || json_is_array(e))
				goto compact;
		out = strdup("");
		json_array_foreach(v, i, e) {
			es = cell(e);
			n = strlen(out) + strlen(es) + 2;
			out = realloc(out, n);
			if (out == NULL)
				exit(EXIT_UNREACH);
			if (i > 0)
				strcat(out, ",");
			strcat(out, es);
			free(es);
		}
		return out;
	}
compact:
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s != NULL ? s : strdup("?");
}

/*
 * Make a cell safe for a terminal, in place: a control character (C0,
 * DEL, or C1, which some terminals take as escape sequences) or a byte
 * that is not part of valid UTF-8 becomes '?'; the result is cut after
 * max characters (not bytes: a name in UTF-8 is never split), the last
 * three "...".  Returns its width in characters.
 */
static size_t
cell_clean(char *c, size_t max)
{
	size_t i = 0, n = 0, len, k, cut = 0, cutn = 0;
	unsigned char b;
	unsigned cp;

	while (c[i] != '\0') {
		b = (unsigned char)c[i];
		len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 :
		    (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
		cp = len == 1 ? b : len == 2 ? b & 0x1f : len == 3 ? b & 0x0f :
		    b & 0x07;
		for (k = 1; k < len; k++) {
			if (((unsigned char)c[i + k] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | ((unsigned char)c[i + k] & 0x3f);
		}
		/* invalid, overlong, surrogate or beyond U+10FFFF: one '?' */
		if (len == 0 || k < len || (len == 2 && cp < 0x80) ||
		    (len == 3 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 ||
		    cp > 0x10ffff))) {
			c[i] = '?';
			len = 1;
		} else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			/* a C1 control takes 2 bytes: '?' and a dropped byte */
			c[i] = '?';
			if (len == 2)
				memmove(c + i + 1, c + i + 2, strlen(c + i + 2) + 1);
			len = 1;
		}
		if (n == max - 3) {
			cut = i;
			cutn = n;
		}
		i += len;
		n++;
	}
	if (n > max) {
		strcpy(c + cut, "...");
		n = cutn + 3;
	}
	return n;
}

/*
 * A table: a header row and one row per element of a JSON array of
 * objects, the columns named by keys, widths measured first.  A cell is
 * cut at 60 characters so one long value does not wreck the table.
 */
struct column {
	const char	*title;
	const char	*key;
	/* Optional: computes the cell from the row. */
	char		*(*fn)(json_t *row);
};

static void
print_table(json_t *rows, const struct column *cols, size_t ncols)
{
	size_t nrows = json_array_size(rows), i, k, w[16], *cw;
	char **cells;

	if (ncols > 16)
		ncols = 16;
	cells = calloc(nrows * ncols + 1, sizeof(*cells));
	cw = calloc(nrows * ncols + 1, sizeof(*cw));
	if (cells == NULL || cw == NULL)
		exit(EXIT_UNREACH);
	for (k = 0; k < ncols; k++)
		w[k] = strlen(cols[k].title);
	for (i = 0; i < nrows; i++) {
		json_t *row = json_array_get(rows, i);
		for (k = 0; k < ncols; k++) {
			char *c = cols[k].fn != NULL ? cols[k].fn(row) :
			    cell(json_object_get(row, cols[k].key));
			/* Nothing from the network reaches the terminal raw. */
			cw[i * ncols + k] = cell_clean(c, 60);
			cells[i * ncols + k] = c;
			if (cw[i * ncols + k] > w[k])
				w[k] = cw[i * ncols + k];
		}
	}
	for (k = 0; k < ncols; k++)
		printf("%-*s%s", k + 1 < ncols ? (int)w[k] : 0, cols[k].title,
		    k + 1 < ncols ? "  " : "\n");
	/* Padded by characters: printf's width counts bytes. */
	for (i = 0; i < nrows; i++)
		for (k = 0; k < ncols; k++) {
			printf("%s%*s%s", cells[i * ncols + k], k + 1 < ncols ?
			    (int)(w[k] - cw[i * ncols + k]) : 0, "",
			    k + 1 < ncols ? "  " : "\n");
			free(cells[i * ncols + k]);
		}
	free(cells);
	free(cw);
}

/* Print an object as "key: value" lines, nested values as compact JSON. */
static void
print_kv(json_t *o, const char *indent)
{
	const char *k;
	json_t *v;
	size_t w = 0;

	json_object_foreach(o, k, v)
		if (strlen(k) > w)
			w = strlen(k);
	json_object_foreach(o, k, v) {
		char *c = cell(v);
		printf("%s%-*s  %s\n", indent, (int)w + 1, k, c);
		free(c);
	}
}

/*
 * The rows of a list answer: an array, or an object holding one array
 * (such as {"networks": [...]}), or an object of objects keyed by name.
 */
static json_t *
list_rows(json_t *j, const char *kind)
{
	json_t *a, *rows, *v;
	const char *k;

	if (json_is_array(j))
		return json_incref(j);
	if ((a = json_object_get(j, kind)) != NULL && json_is_array(a))
		return json_incref(a);
	rows = json_array();
	json_object_foreach(j, k, v) {
		if (json_is_object(v)) {
			json_t *r = json_deep_copy(v);
			if (json_object_get(r, "name") == NULL)
				json_object_set_new(r, "name", json_string(k));
			json_array_append_new(rows, r);
		}
	}
	return rows;
}

static char *
col_services(json_t *row)
{
	json_t *s = json_object_get(row, "services");
	const char *k;
	json_t *v;
	json_t *names;
	char *out;

	names = json_array();
	if (json_is_object(s)) {
		json_object_foreach(s, k, v)
			json_array_append_new(names, json_string(k));
	} else if (json_is_array(s)) {
		/* [{name, operations}, ...]: the names. */
		size_t i;

		json_array_foreach(s, i, v)
			json_array_append_new(names, json_is_object(v) ?
			    json_incref(json_object_get(v, "name")) :
			    json_incref(v));
	} else {
		json_decref(names);
		return cell(s);
	}
	out = cell(names);
	json_decref(names);
	return out;
}

static char *
col_grants(json_t *row)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%zu",
	    json_array_size(json_object_get(row, "grants")));
	return strdup(buf);
}

static char *
col_credentials(json_t *row)
{
	static const char *const keys[] = { "ssh_authorized_keys",
	    "ssh_principals", "ssh_password_hash", "proxy_password_hash" };
	static const char *const label[] = { "ssh-keys", "ssh-principals",
	    "ssh-password", "proxy-password" };
	char out[128] = "";
	size_t i;

	for (i = 0; i < 4; i++) {
		json_t *v = json_object_get(row, keys[i]);
		if (v == NULL || json_is_null(v) ||
		    (json_is_array(v) && json_array_size(v) == 0))
			continue;
		if (out[0] != '\0')
			strcat(out, ",");
		strcat(out, label[i]);
	}
	return strdup(out[0] != '\0' ? out : "-");
}

static const struct column net_cols[] = {
	{ "NAME", "name", NULL }, { "STATE", "state", NULL },
	{ "ADDRESSES", "addresses", NULL }, { "ORIGIN", "origin", NULL },
};
static const struct column prov_cols[] = {
	{ "NAME", "name", NULL }, { "SERVICES", NULL, col_services },
	{ "ORIGIN", "origin", NULL }, { "DESCRIPTION", "description", NULL },
};
static const struct column app_cols[] = {
	{ "NAME", "name", NULL }, { "NETWORK", "network", NULL },
	{ "ADDRESS", "address", NULL }, { "PORTS", "ports", NULL },
	{ "PROVIDER", "provider", NULL }, { "ORIGIN", "origin", NULL },
};
static const struct column user_cols[] = {
	{ "NAME", "name", NULL }, { "GRANTS", NULL, col_grants },
	{ "CREDENTIALS", NULL, col_credentials },
	{ "ORIGIN", "origin", NULL },
};

struct kind {
	const char		*cmd;		/* "network" */
	const char		*path;		/* "networks" */
	const struct column	*cols;
	size_t			 ncols;
};

static const struct kind kinds[] = {
	{ "network", "networks", net_cols, 4 },
	{ "provider", "providers", prov_cols, 4 },
	{ "appliance", "appliances", app_cols, 6 },
	{ "user", "users", user_cols, 4 },
};

/* network|provider|appliance|user list|get|put|delete */
static int
cmd_resource(const struct kind *k, int argc, char **argv)
{
	const char *verb, *name, *file = NULL;
	char *path, *body;
	json_t *j, *rows;
	long status;
	size_t len;
	int yaml = 0, i;

	if (argc < 2)
		usage_error("%s: list, get, put or delete?", k->cmd);
	verb = argv[1];
	if (strcmp(verb, "list") == 0) {
		if (argc != 2)
			usage_error("%s list takes no arguments", k->cmd);
		path = mkpath(k->path, NULL, NULL);
		j = api_json("GET", path, NULL, NULL, 0, NULL);
		if (opt.json)
			print_json(j);
		else {
			rows = list_rows(j, k->path);
			print_table(rows, k->cols, k->ncols);
			json_decref(rows);
		}
		json_decref(j);
		free(path);
		return 0;
	}
	if (argc < 3)
		usage_error("%s %s: which name?", k->cmd, verb);
	name = argv[2];
	path = mkpath(k->path, name, NULL);
	if (strcmp(verb, "get") == 0) {
		for (i = 3; i < argc; i++) {
			if (strcmp(argv[i], "--yaml") == 0 &&
			    strcmp(k->cmd, "provider") == 0)
				yaml = 1;
			else
				usage_error("%s get: unknown argument %s",
				    k->cmd, argv[i]);
		}
		if (yaml) {
			struct answer a;

			api_call("GET", path, NULL, NULL, 0,
			    "application/yaml", &a);
			if (a.status != 200)
				refused("GET", path, &a);
			fwrite(a.body, 1, a.len, stdout);
			answer_free(&a);
			free(path);
			return 0;
		}
		j = api_json("GET", path, NULL, NULL, 0, NULL);
		if (opt.json)
			print_json(j);
		else
			print_kv(j, "");
		json_decref(j);
		free(path);
		return 0;
	}
	if (strcmp(verb, "put") == 0) {
		int is_prov = strcmp(k->cmd, "provider") == 0;

		for (i = 3; i < argc; i++) {
			if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
				file = argv[++i];
			else if (is_prov && file == NULL &&
			    (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
				file = argv[i];
			else
				usage_error("%s put: unknown argument %s",
				    k->cmd, argv[i]);
		}
		if (file == NULL)
			usage_error(is_prov ? "provider put NAME FILE.yaml" :
			    "%s put NAME --file FILE", k->cmd);
		body = read_file(file, &len);
		if (!is_prov) {
			/* JSON, or YAML as in broker.yaml; sent as JSON. */
			char *cause;
			json_t *obj = parse_object_file(file, body, len,
			    &cause);

			free(body);
			if (obj == NULL) {
				char msg[512];

				/* usage_error() exits: nothing may be held */
				snprintf(msg, sizeof(msg), "%s", cause != NULL ?
				    cause : "out of memory");
				free(cause);
				usage_error("%s", msg);
			}
			body = json_dumps(obj, JSON_COMPACT);
			json_decref(obj);
			if (body == NULL)
				exit(EXIT_USAGE);
			len = strlen(body);
		}
		j = api_json("PUT", path, is_prov ? "application/yaml" :
		    "application/json", body, len, &status);
		free(body);
		if (opt.json)
			print_json(j);
		else
			printf("%s %s %s\n", k->cmd, name, status == 201 ?
			    "created" : "updated");
		json_decref(j);
		free(path);
		return 0;
	}
	if (strcmp(verb, "delete") == 0) {
		if (argc != 3)
			usage_error("%s delete NAME", k->cmd);
		j = api_json("DELETE", path, NULL, NULL, 0, NULL);
		if (opt.json && !json_is_null(j))
			print_json(j);
		else if (!opt.json)
			printf("%s %s deleted\n", k->cmd, name);
		json_decref(j);
		free(path);
		return 0;
	}
	usage_error("%s: unknown action %s (list, get, put, delete)", k->cmd,
	    verb);
}

static const struct column step_cols[] = {
	{ "STEP", "step", NULL }, { "STATUS", "status", NULL },
	{ "MS", "elapsed_ms", NULL }, { "ERROR", "error", NULL },
};

/* An operation's result: status, error, data, steps.  4 when failed. */
static int
print_result(json_t *r)
{
	json_t *v;
	const char *st;

	if (opt.json) {
		print_json(r);
	} else {
		v = json_object_get(r, "status");
		printf("status: %s\n", json_is_string(v) ?
		    json_string_value(v) : "?");
		if ((v = json_object_get(r, "error")) != NULL &&
		    !json_is_null(v))
			printf("error: %s\n", json_is_string(v) ?
			    json_string_value(v) : "?");
		if ((v = json_object_get(r, "elapsed_ms")) != NULL &&
		    json_is_integer(v))
			printf("elapsed: %lld ms\n",
			    (long long)json_integer_value(v));
		if ((v = json_object_get(r, "data")) != NULL &&
		    !json_is_null(v)) {
			printf("data:\n");
			print_json(v);
		}
		if (json_is_array(v = json_object_get(r, "steps")) &&
		    json_array_size(v) > 0) {
			printf("steps:\n");
			print_table(v, step_cols, 4);
		}
	}
	st = json_string_value(json_object_get(r, "status"));
	return st != NULL && strcmp(st, "success") != 0 ? EXIT_FAILED : 0;
}

/* The id of a job in a 202 answer: {"job": ID}, {"job": {id}}, {"id"}. */
static const char *
job_id(json_t *j)
{
	json_t *v = json_object_get(j, "job");

	if (json_is_object(v))
		v = json_object_get(v, "id");
	if (v == NULL)
		v = json_object_get(j, "id");
	return json_string_value(v);
}

static int
print_job_started(json_t *j)
{
	const char *id = job_id(j);

	if (opt.json)
		print_json(j);
	else if (id != NULL)
		printf("job %s started; see: %s job %s\n", id, progname, id);
	else
		print_kv(j, "");
	return 0;
}

/* op APPLIANCE SERVICE OPERATION [--data JSON|@FILE] [--wait N] */
static int
cmd_op(int argc, char **argv)
{
	json_t *req, *data = NULL, *j;
	char *a, *s, *o, *path, *body, *text;
	long status, wait = -1;
	size_t len, n;
	int i, rc;

	if (argc < 4)
		usage_error("op APPLIANCE SERVICE OPERATION [--data JSON|@FILE] "
		    "[--wait SECONDS]");
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			const char *arg = argv[++i];

			json_decref(data);
			if (arg[0] == '@') {
				text = read_file(arg + 1, &len);
				data = parse_json_arg(arg + 1, text, len);
				free(text);
			} else
				data = parse_json_arg("--data", arg,
				    strlen(arg));
		} else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
			char *end;

			errno = 0;
			wait = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || wait < 0 ||
			    wait > 86400)
				usage_error("--wait: seconds from 0 to 86400, "
				    "not %s", argv[i]);
		} else
			usage_error("op: unknown argument %s", argv[i]);
	}
	a = seg(argv[1]);
	s = seg(argv[2]);
	o = seg(argv[3]);
	n = strlen(a) + strlen(s) + strlen(o) + 64;
	if ((path = malloc(n)) == NULL)
		exit(EXIT_USAGE);
	snprintf(path, n, "/v1/appliances/%s/operations/%s/%s", a, s, o);
	free(a);
	free(s);
	free(o);
	req = json_object();
	json_object_set_new(req, "data", data != NULL ? data : json_object());
	if (wait >= 0)
		json_object_set_new(req, "wait", json_integer(wait));
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	j = api_json("POST", path, "application/json", body, strlen(body),
	    &status);
	free(body);
	free(path);
	rc = status == 202 ? print_job_started(j) : print_result(j);
	json_decref(j);
	return rc;
}

static int	print_health_result(json_t *);
static int	print_boot_result(json_t *);

/* job ID */
static int
cmd_job(int argc, char **argv)
{
	json_t *j, *r;
	char *path;
	const char *state;
	int rc = 0;

	if (argc != 2)
		usage_error("job ID");
	path = mkpath("jobs", argv[1], NULL);
	j = api_json("GET", path, NULL, NULL, 0, NULL);
	free(path);
	r = json_object_get(j, "result");
	state = json_string_value(json_object_get(j, "state"));
	if (json_is_object(r)) {
		const char *st = json_string_value(json_object_get(r,
		    "status"));
		if (st != NULL && strcmp(st, "success") != 0 &&
		    strcmp(st, "healthy") != 0)
			rc = EXIT_FAILED;
	}
	if (opt.json) {
		print_json(j);
	} else {
		static const char *const keys[] = { "id", "state",
		    "appliance", "service", "operation" };
		for (size_t i = 0; i < 5; i++) {
			json_t *v = json_object_get(j, keys[i]);
			if (v != NULL && !json_is_null(v)) {
				char *c = cell(v);
				printf("%s: %s\n", keys[i], c);
				free(c);
			}
		}
		const char *kind = json_string_value(json_object_get(j,
		    "kind"));

		if (json_is_object(r) && state != NULL &&
		    strcmp(state, "done") == 0) {
			printf("result:\n");
			if (kind != NULL && strcmp(kind, "health") == 0)
				(void)print_health_result(r);
			else if (kind != NULL && strcmp(kind, "bootstrap") == 0)
				(void)print_boot_result(r);
			else
				(void)print_result(r);
		} else if (json_is_object(r)) {
			/* A job of an earlier run of the engine. */
			printf("result:\n");
			(void)print_result(r);
		}
	}
	json_decref(j);
	return rc;
}

static const struct column check_cols[] = {
	{ "CHECK", "name", NULL }, { "KIND", "kind", NULL },
	{ "STATUS", "status", NULL }, { "MS", "elapsed_ms", NULL },
	{ "REASON", "reason", NULL },
};

/* A health check run's result; 4 unless healthy. */
static int
print_health_result(json_t *r)
{
	const char *st = json_string_value(json_object_get(r, "status"));
	json_t *v;
	size_t i;

	if (opt.json)
		print_json(r);
	else {
		printf("status: %s\n", st != NULL ? st : "?");
		if (json_is_array(v = json_object_get(r, "reasons")))
			for (i = 0; i < json_array_size(v); i++)
				printf("reason: %s\n", json_string_value(
				    json_array_get(v, i)) ?: "?");
		if (json_is_array(v = json_object_get(r, "checks")))
			print_table(v, check_cols, 5);
	}
	return st != NULL && strcmp(st, "healthy") == 0 ? 0 : EXIT_FAILED;
}

static char *
col_hist_status(json_t *row)
{
	json_t *v = json_object_get(row, "status");

	if (v == NULL)
		v = json_object_get(row, "state");
	return cell(v);
}

/* A Unix time as UTC ISO 8601; anything else as it is. */
static char *
cell_time(json_t *v)
{
	char buf[32];
	struct tm tm;
	time_t t;

	if (!json_is_integer(v))
		return cell(v);
	t = (time_t)json_integer_value(v);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return cell(v);
	return strdup(buf);
}

static char *
col_hist_time(json_t *row)
{
	return cell_time(json_object_get(row, "time"));
}

static char *
col_hist_reasons(json_t *row)
{
	return cell(json_object_get(row, "reasons"));
}

static const struct column hist_cols[] = {
	{ "TIME", NULL, col_hist_time }, { "STATUS", NULL, col_hist_status },
	{ "REASONS", NULL, col_hist_reasons },
};

/* health APPLIANCE [--run] */
static int
cmd_health(int argc, char **argv)
{
	json_t *j, *v;
	char *path;
	int run = 0, rc = 0, i;

	if (argc < 2)
		usage_error("health APPLIANCE [--run]");
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--run") == 0)
			run = 1;
		else
			usage_error("health: unknown argument %s", argv[i]);
	}
	path = mkpath("appliances", argv[1], "/health");
	if (run) {
		j = api_json("POST", path, "application/json", "{}", 2, NULL);
		rc = print_health_result(j);
	} else {
		j = api_json("GET", path, NULL, NULL, 0, NULL);
		if (opt.json)
			print_json(j);
		else {
			v = json_object_get(j, "state");
			printf("state: %s\n", json_is_string(v) ?
			    json_string_value(v) : "?");
			v = json_object_get(j, "last");
			if (json_is_object(v)) {
				printf("last:\n");
				(void)print_health_result(v);
			}
			v = json_object_get(j, "history");
			if (json_is_array(v) && json_array_size(v) > 0) {
				printf("history:\n");
				print_table(v, hist_cols, 3);
			}
		}
	}
	json_decref(j);
	free(path);
	return rc;
}

static const struct column boot_cols[] = {
	{ "STEP", "step", NULL }, { "STATUS", "status", NULL },
	{ "ATTEMPTS", "attempts", NULL }, { "ERROR", "error", NULL },
};

/* A bootstrap's result: status, error, note, steps.  4 when failed. */
static int
print_boot_result(json_t *r)
{
	const char *st = json_string_value(json_object_get(r, "status"));
	json_t *v;

	if (opt.json) {
		print_json(r);
		return st != NULL && strcmp(st, "success") != 0 ? EXIT_FAILED : 0;
	}
	printf("status: %s\n", st != NULL ? st : "?");
	if (json_is_string(v = json_object_get(r, "error")))
		printf("error: %s\n", json_string_value(v));
	if (json_is_string(v = json_object_get(r, "note")))
		printf("note: %s\n", json_string_value(v));
	if (json_is_array(v = json_object_get(r, "steps")))
		print_table(v, boot_cols, 4);
	return st != NULL && strcmp(st, "success") != 0 ? EXIT_FAILED : 0;
}

/* bootstrap APPLIANCE [--start] */
static int
cmd_bootstrap(int argc, char **argv)
{
	json_t *j, *r, *v;
	char *path;
	const char *st;
	int start = 0, rc = 0, i;

	if (argc < 2)
		usage_error("bootstrap APPLIANCE [--start]");
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--start") == 0)
			start = 1;
		else
			usage_error("bootstrap: unknown argument %s", argv[i]);
	}
	path = mkpath("appliances", argv[1], "/bootstrap");
	if (start) {
		j = api_json("POST", path, "application/json", "{}", 2, NULL);
		rc = print_job_started(j);
		json_decref(j);
		free(path);
		return rc;
	}
	j = api_json("GET", path, NULL, NULL, 0, NULL);
	free(path);
	/* The result may be the answer itself or its "result" member. */
	r = json_object_get(j, "result");
	if (!json_is_object(r))
		r = j;
	st = json_string_value(json_object_get(r, "status"));
	if (st != NULL && strcmp(st, "failed") == 0)
		rc = EXIT_FAILED;
	if (opt.json) {
		print_json(j);
	} else {
		json_t *prog = json_object_get(j, "progress");

		if (json_is_string(v = json_object_get(j, "state")))
			printf("state: %s\n", json_string_value(v));
		if (json_is_string(v = json_object_get(j, "job")))
			printf("job: %s\n", json_string_value(v));
		if (json_is_true(json_object_get(j, "resumed")))
			printf("resumed: yes, after a restart of the engine\n");
		if (json_is_string(v = json_object_get(prog, "phase")))
			printf("phase: %s\n", json_string_value(v));
		if (r != j)
			(void)print_boot_result(r);
	}
	json_decref(j);
	return rc;
}

static const struct column hostkey_cols[] = {
	{ "ADDRESS", "address", NULL }, { "PORT", "port", NULL },
	{ "FINGERPRINT", "fingerprint", NULL },
};

/* hostkeys APPLIANCE [--forget] */
static int
cmd_hostkeys(int argc, char **argv)
{
	json_t *j, *k;
	char *path;
	int forget = 0, i;
	size_t n;

	if (argc < 2)
		usage_error("hostkeys APPLIANCE [--forget]");
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--forget") == 0)
			forget = 1;
		else
			usage_error("hostkeys: unknown argument %s", argv[i]);
	}
	path = mkpath("appliances", argv[1], "/hostkeys");
	j = api_json(forget ? "DELETE" : "GET", path, NULL, NULL, 0, NULL);
	free(path);
	if (opt.json)
		print_json(j);
	else if (forget) {
		json_array_foreach(json_object_get(j, "forgotten"), n, k)
			printf("forgot %s:%lld %s\n", json_string_value(
			    json_object_get(k, "address")), (long long)
			    json_integer_value(json_object_get(k, "port")),
			    json_string_value(json_object_get(k,
			    "fingerprint")));
		if (json_array_size(json_object_get(j, "forgotten")) == 0)
			printf("%s: no host key was recorded\n", argv[1]);
	} else
		print_table(json_object_get(j, "hostkeys"), hostkey_cols, 3);
	json_decref(j);
	return 0;
}

/* status: /v1/health */
static int
cmd_status(int argc, char **argv)
{
	json_t *j;

	(void)argv;
	if (argc != 1)
		usage_error("status takes no arguments");
	j = api_json("GET", "/v1/health", NULL, NULL, 0, NULL);
	if (opt.json)
		print_json(j);
	else
		print_kv(j, "");
	json_decref(j);
	return 0;
}

/* metrics: Prometheus text as it is. */
static int
cmd_metrics(int argc, char **argv)
{
	struct answer a;

	(void)argv;
	if (argc != 1)
		usage_error("metrics takes no arguments");
	api_call("GET", "/metrics", NULL, NULL, 0, NULL, &a);
	if (a.status != 200)
		refused("GET", "/metrics", &a);
	fwrite(a.body, 1, a.len, stdout);
	answer_free(&a);
	return 0;
}

/*
 * The audit_log key of broker.yaml: the top-level mapping's scalar.  No
 * need for the broker's full parser: only this key is read.
 */
static char *
config_audit_log(const char *file)
{
	FILE *fp;
	yaml_parser_t p;
	yaml_event_t ev;
	char *found = NULL;
	int depth = 0, want = 0, is_key = 1, done = 0;

	if ((fp = fopen(file, "r")) == NULL) {
		warnx_("%s: %s (name the audit log with -f FILE)", file,
		    strerror(errno));
		exit(EXIT_USAGE);
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, fp);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			warnx_("%s:%zu:%zu: %s", file,
			    p.problem_mark.line + 1, p.problem_mark.column + 1,
			    p.problem != NULL ? p.problem : "invalid YAML");
			exit(EXIT_USAGE);
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == 1)
				is_key = 1, want = 0;
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth != 1)
				break;
			if (is_key) {
				want = strcmp((char *)ev.data.scalar.value,
				    "audit_log") == 0;
				is_key = 0;
			} else {
				if (want && found == NULL)
					found = strdup((char *)
					    ev.data.scalar.value);
				is_key = 1;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		/* A nested value ended: the next scalar is a key again. */
		if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT) {
			if (depth == 1)
				is_key = 1;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	fclose(fp);
	if (found == NULL) {
		warnx_("%s has no audit_log: audit lines go to the broker's "
		    "standard error (journalctl -u vnf-brokerd)", file);
		exit(EXIT_USAGE);
	}
	return found;
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

/* One audit line, human or as it is. */
static void
audit_line(char *line)
{
	json_t *j, *v;
	char port[32] = "-", *p, *what = NULL;
	const char *target;

	if (opt.json) {
		fputs(line, stdout);
		return;
	}
	if ((j = json_loads(line, 0, NULL)) == NULL || !json_is_object(j)) {
		json_decref(j);
		return;
	}
	if (json_is_integer(v = json_object_get(j, "port")))
		snprintf(port, sizeof(port), "%lld",
		    (long long)json_integer_value(v));
	p = NULL;
	if (json_is_integer(v = json_object_get(j, "status")))
		if (asprintf(&p, "%lld", (long long)json_integer_value(v)) < 0)
			p = NULL;
	/* The API's records name a method and a path instead of a target. */
	target = jstr(j, "target");
	if (!json_is_string(json_object_get(j, "target")) &&
	    json_is_string(json_object_get(j, "method")) &&
	    asprintf(&what, "%s %s", jstr(j, "method"), jstr(j, "path")) >= 0)
		target = what;
	printf("%-24s %-6s %-8s %-12s %-21s %-24s %-5s %-8s %s%s%s\n",
	    jstr(j, "time"), jstr(j, "role"), jstr(j, "event"),
	    jstr(j, "user"), jstr(j, "source"), target, port,
	    jstr(j, "outcome"), p != NULL ? p : "", p != NULL ? " " : "",
	    json_is_string(json_object_get(j, "reason")) ?
	    jstr(j, "reason") : "");
	free(p);
	free(what);
	json_decref(j);
}

/* audit [--follow] [-f FILE] [--config FILE] */
static int
cmd_audit(int argc, char **argv)
{
	const char *file = NULL, *config = opt.config;
	char *owned = NULL, *line;
	FILE *fp;
	struct stat st, now;
	int follow = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--follow") == 0 ||
		    strcmp(argv[i], "-F") == 0)
			follow = 1;
		else if ((strcmp(argv[i], "-f") == 0 ||
		    strcmp(argv[i], "--file") == 0) && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else
			usage_error("audit: unknown argument %s", argv[i]);
	}
	if (file == NULL)
		file = owned = config_audit_log(config);
	if ((fp = fopen(file, "r")) == NULL) {
		warnx_("%s: %s", file, strerror(errno));
		free(owned);
		return EXIT_UNREACH;
	}
	if ((line = malloc(MAX_AUDIT_LINE)) == NULL)
		exit(EXIT_UNREACH);
	if (!opt.json)
		printf("%-24s %-6s %-8s %-12s %-21s %-24s %-5s %-8s %s\n",
		    "TIME", "ROLE", "EVENT", "USER", "SOURCE", "TARGET",
		    "PORT", "OUTCOME", "STATUS/REASON");
	fstat(fileno(fp), &st);
	for (;;) {
		while (fgets(line, MAX_AUDIT_LINE, fp) != NULL) {
			size_t n = strlen(line);

			/* A partial line: wait for its end when following. */
			if (n > 0 && line[n - 1] != '\n' &&
			    n < MAX_AUDIT_LINE - 1 && follow) {
				fseek(fp, -(long)n, SEEK_CUR);
				break;
			}
			audit_line(line);
		}
		if (!follow)
			break;
		fflush(stdout);
		clearerr(fp);
		usleep(200 * 1000);
		/* Rotated (new file) or truncated: start from its top. */
		if (stat(file, &now) == 0 && (now.st_ino != st.st_ino ||
		    now.st_size < ftell(fp))) {
			FILE *nf = fopen(file, "r");
			if (nf != NULL) {
				fclose(fp);
				fp = nf;
				fstat(fileno(fp), &st);
			}
		}
	}
	free(line);
	fclose(fp);
	free(owned);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, 'u' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "token-file", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "insecure", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd, *env;
	char *end;
	size_t i;
	int ch, rc;

	if ((env = getenv("VNF_BROKERCTL_SOCKET")) != NULL && env[0] != '\0')
		opt.socket = env;
	if ((env = getenv("VNF_BROKERCTL_URL")) != NULL && env[0] != '\0')
		opt.url = env;
	while ((ch = getopt_long(argc, argv, "+hj", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': opt.socket = optarg; opt.url = NULL; break;
		case 'u': opt.url = optarg; break;
		case 'C': opt.cacert = optarg; break;
		case 'c': opt.cert = optarg; break;
		case 'k': opt.key = optarg; break;
		case 't': opt.token_file = optarg; break;
		case 'F': opt.config = optarg; break;
		case 'j': opt.json = 1; break;
		case 'K': opt.insecure = 1; break;
		case 'T':
			errno = 0;
			opt.timeout = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || opt.timeout < 1 ||
			    opt.timeout > 86400)
				usage_error("--timeout: seconds from 1 to "
				    "86400, not %s", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	/* --json is also accepted after the command. */
	for (int k = 0; k < argc; k++)
		if (strcmp(argv[k], "--json") == 0) {
			opt.json = 1;
			memmove(&argv[k], &argv[k + 1],
			    (size_t)(argc - k) * sizeof(*argv));
			argc--;
			k--;
		}
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opt.url != NULL && strncmp(opt.url, "https://", 8) != 0 &&
	    strncmp(opt.url, "http://", 7) != 0)
		usage_error("--url: https://HOST:PORT, not %s", opt.url);
	if ((opt.cert == NULL) != (opt.key == NULL))
		usage_error("--cert and --key go together");
	cmd = argv[0];
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc, argv);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		warnx_("cannot initialise libcurl");
		return EXIT_UNREACH;
	}
	atexit(api_call_free);
	rc = -1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(cmd, kinds[i].cmd) == 0 ||
		    strcmp(cmd, kinds[i].path) == 0)
			rc = cmd_resource(&kinds[i], argc, argv);
	if (rc == -1) {
		if (strcmp(cmd, "op") == 0)
			rc = cmd_op(argc, argv);
		else if (strcmp(cmd, "job") == 0)
			rc = cmd_job(argc, argv);
		else if (strcmp(cmd, "health") == 0)
			rc = cmd_health(argc, argv);
		else if (strcmp(cmd, "bootstrap") == 0)
			rc = cmd_bootstrap(argc, argv);
		else if (strcmp(cmd, "hostkeys") == 0)
			rc = cmd_hostkeys(argc, argv);
		else if (strcmp(cmd, "status") == 0)
			rc = cmd_status(argc, argv);
		else if (strcmp(cmd, "metrics") == 0)
			rc = cmd_metrics(argc, argv);
		else
			usage_error("unknown command %s", cmd);
	}
	curl_global_cleanup();
	return rc;
}
