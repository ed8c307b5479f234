/*
 * Unit tests for the provider dictionary loader (provider/dict*.c): the
 * shipped fixtures load and render, and each kind of mistake is reported
 * at its place with its key path.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/diag.h"
#include "provider/dict.h"

static struct prov_dict *
parse(const char *text, struct diags *d)
{
	diags_init(d, "t.yaml");
	return prov_dict_parse(text, strlen(text), "t.yaml", d);
}

/* Is there a diagnostic of this severity at line:column whose message
 * contains what? */
static int
has_diag(const struct diags *d, enum diag_severity sev, int line, int column,
    const char *path, const char *what)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		if (g->severity == sev && g->line == line &&
		    g->column == column && strstr(g->msg, what) != NULL &&
		    (path == NULL || strcmp(g->path, path) == 0))
			return 1;
	}
	for (i = 0; i < d->n; i++)
		fprintf(stderr, "  have %d:%d %s: %s\n", d->v[i].line,
		    d->v[i].column, d->v[i].path, d->v[i].msg);
	return 0;
}

static struct prov_dict *
load_fixture(const char *name, struct diags *d)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	diags_init(d, path);
	return prov_dict_load(path, d);
}

static void
test_opnsense(void **state)
{
	const struct prov_service *svc;
	const struct prov_op *op;
	struct prov_request *req;
	struct prov_dict *dict;
	struct diags d;
	json_t *data, *cs, *body;
	char *cause = NULL;
	size_t i;

	dict = load_fixture("opnsense-firewall.yaml", &d);
	assert_non_null(dict);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 0);
	assert_string_equal(dict->name, "opnsense-firewall");
	assert_string_equal(dict->version, "1.0");
	assert_int_equal(dict->nchecks, 2);
	assert_int_equal(dict->checks[0].kind, PROV_CHECK_TCP);
	assert_int_equal(dict->checks[1].kind, PROV_CHECK_HTTP);
	/* The CloudStack data the dictionary reads, sorted. */
	assert_int_equal(dict->ncs_keys, 4);
	assert_string_equal(dict->cs_keys[0], "user_api_key");
	assert_string_equal(dict->cs_keys[3], "vnf_mgmt_ip");

	svc = prov_service_find(dict, "FIREWALL_RULES");
	assert_non_null(svc);
	op = prov_op_find(svc, "create");
	assert_non_null(op);
	assert_null(prov_op_find(svc, "nope"));
	assert_int_equal(op->nget_data, 9);
	assert_int_equal(op->transport, PROV_TRANSPORT_HTTP);
	assert_string_equal(op->http_method, "POST");
	assert_int_equal(op->response.format, PROV_FORMAT_JSON);
	assert_int_equal(op->response.ntransform, 3);
	assert_string_equal(op->response.transform[0].name, "opnsense_rule_id");
	assert_non_null(op->response.transform[0].jp);
	/* The callback inside response, its parameters beside it. */
	assert_non_null(op->callback);
	assert_int_equal(op->callback->kind, PROV_CALLBACK_CLOUDSTACK);
	assert_string_equal(json_string_value(json_object_get(
	    op->callback->parameters, "command")), "xxxxx");

	data = json_pack("{s:s, s:s, s:s}", "action", "block", "dest_ip",
	    "20.1.1.3", "description", "a \"quoted\"\nline");
	cs = json_pack("{s:s, s:s, s:s, s:s}", "vnf_mgmt_ip", "10.1.1.109",
	    "vnf_api_key", "SECRET-API", "user_api_key", "uk",
	    "user_secret_key", "SECRET-USER");
	assert_int_equal(prov_op_render(dict, op, data, cs, 0, &req, &cause),
	    0);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url,
	    "https://10.1.1.109/api/firewall/filter/saveRule");
	/* The body is valid JSON, the value escaped, defaults applied. */
	body = json_loads(req->body, 0, NULL);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    body, "rule"), "description")), "a \"quoted\"\nline");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    body, "rule"), "interface")), "wan");
	json_decref(body);
	for (i = 0; i < req->nheaders; i++)
		if (strcmp(req->header_names[i], "Authorization") == 0)
			assert_string_equal(req->header_values[i],
			    "SECRET-API");
	prov_request_free(req);

	/* Masked for display: no secret survives. */
	assert_int_equal(prov_op_render(dict, op, data, cs, 1, &req, &cause),
	    0);
	for (i = 0; i < req->nheaders; i++)
		assert_null(strstr(req->header_values[i], "SECRET"));
	{
		char *cb = json_dumps(req->callback, 0);

		assert_null(strstr(cb, "SECRET"));
		assert_non_null(strstr(cb, "********"));
		free(cb);
	}
	prov_request_free(req);

	/* Bad input: every bad field, nothing rendered. */
	json_object_set_new(data, "action", json_string("drop"));
	json_object_set_new(data, "colour", json_string("red"));
	assert_int_equal(prov_op_render(dict, op, data, cs, 1, &req, &cause),
	    -1);
	assert_null(req);
	assert_non_null(strstr(cause, "action"));
	assert_non_null(strstr(cause, "colour"));
	free(cause);
	json_decref(data);
	json_decref(cs);
	prov_dict_free(dict);
	diags_free(&d);
}

static void
test_cisco(void **state)
{
	const struct prov_service *svc;
	const struct prov_op *op;
	struct prov_request *req;
	struct prov_dict *dict;
	struct diags d;
	json_t *data, *cs;
	char *cause = NULL;

	dict = load_fixture("cisco-iosxe.yaml", &d);
	assert_non_null(dict);
	assert_int_equal(d.nerrors + d.nwarnings, 0);
	assert_int_equal(dict->nconns, 2);
	assert_int_equal(prov_conn_find(dict, "primary")->proto,
	    PROV_PROTO_SSH);
	assert_int_equal(prov_conn_find(dict, "restconf")->verify_ssl, 0);
	assert_int_equal(dict->nservices, 5);
	/* expected_output: (null) means any output. */
	assert_null(dict->checks[0].expected_output.src);

	svc = prov_service_find(dict, "Monitoring");
	op = prov_op_find(svc, "get_interfaces");
	assert_ptr_equal(op->conn, prov_conn_find(dict, "restconf"));
	assert_int_equal(op->transport, PROV_TRANSPORT_HTTP);
	op = prov_op_find(svc, "get_bgp_summary");
	assert_int_equal(op->response.transform[0].kind, PROV_XFORM_PARSER);
	assert_int_equal(op->response.transform[1].kind, PROV_XFORM_REGEX);

	svc = prov_service_find(dict, "Interfaces");
	op = prov_op_find(svc, "configure");
	assert_int_equal(op->transport, PROV_TRANSPORT_SSH);
	assert_null(op->response.success_pattern);
	cs = json_pack("{s:s, s:s, s:s}", "mgmt_ip", "192.0.2.1", "user", "u",
	    "pass", "p");
	data = json_pack("{s:s, s:s, s:s, s:s}", "interface_name", "Gi2",
	    "ip_address", "10.0.0.1 255.255.255.0", "description", "LAN",
	    "admin_status", "down");
	assert_int_equal(prov_op_render(dict, op, data, cs, 1, &req, &cause),
	    0);
	/* The conditional spans items; its lines leave nothing behind. */
	assert_int_equal(req->ncommands, 7);
	assert_string_equal(req->commands[1], "interface Gi2");
	assert_string_equal(req->commands[4], "shutdown");
	prov_request_free(req);

	/* A newline cannot reach a CLI line. */
	json_object_set_new(data, "description", json_string("x\nreload"));
	assert_int_equal(prov_op_render(dict, op, data, cs, 1, &req, &cause),
	    -1);
	assert_non_null(strstr(cause, "description"));
	free(cause);
	json_decref(data);
	json_decref(cs);
	prov_dict_free(dict);
	diags_free(&d);
}

static void
test_routeros(void **state)
{
	const struct prov_bootstrap *b;
	struct prov_dict *dict;
	struct diags d;

	dict = load_fixture("routeros-bootstrap.yaml", &d);
	assert_non_null(dict);
	assert_int_equal(d.nerrors + d.nwarnings, 0);
	b = &dict->bootstrap;
	assert_true(b->present);
	assert_int_equal(b->network_init, PROV_NETINIT_CONFIG_DRIVE);
	assert_non_null(b->initial_connection);
	assert_int_equal(b->initial_connection->proto, PROV_PROTO_HTTPS);
	assert_int_equal(b->initial_connection->port, 443);
	assert_int_equal(b->nactions, 2);
	assert_string_equal(b->actions[0].op->name, "change_password");
	assert_string_equal(b->actions[1].svc->name, "Network");
	assert_true(json_is_array(b->actions[1].parameters));
	assert_non_null(b->ready_test);
	assert_int_equal(b->ready_test->kind, PROV_CHECK_COMMAND);
	assert_string_equal(b->ready_test->conn->name, "ssh");
	prov_dict_free(dict);
	diags_free(&d);
}

static void
test_types_and_keys(void **state)
{
	struct prov_dict *dict;
	struct diags d;

	dict = parse(
	    "name: x\n"
	    "general_info: {debug: maybe}\n"
	    "connections:\n"
	    "  a: {type: ssh, port: 0, timout: 3}\n"
	    "services:\n"
	    "  S:\n"
	    "    op: {method: ssh, commands: [\"show\"]}\n", &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 2, 23, "general_info.debug",
	    "expected true or false"));
	assert_true(has_diag(&d, DIAG_ERROR, 4, 24, "connections.a.port",
	    "from 1 to 65535"));
	assert_true(has_diag(&d, DIAG_WARNING, 4, 27, "connections.a",
	    "did you mean \"timeout\""));
	assert_int_equal(d.nerrors, 2);
	diags_free(&d);

	/* Warnings alone do not stop the load. */
	dict = parse("name: x\nversion: 2\nservices:\n  S:\n"
	    "    op: {url: 'http://h/', metod: GET}\n", &d);
	assert_non_null(dict);
	assert_true(has_diag(&d, DIAG_WARNING, 2, 1, "", "general_info"));
	assert_true(has_diag(&d, DIAG_WARNING, 5, 28, "services.S.op",
	    "did you mean \"method\""));
	prov_dict_free(dict);
	diags_free(&d);

	dict = parse("description: no name\n", &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 1, 1, "", "\"name\""));
	assert_true(has_diag(&d, DIAG_ERROR, 1, 1, "", "\"services\""));
	diags_free(&d);

	dict = parse("", &d);
	assert_null(dict);
	assert_int_equal(d.nerrors, 1);
	diags_free(&d);
}

static void
test_references(void **state)
{
	struct prov_dict *dict;
	struct diags d;

	dict = parse(
	    "name: x\n"
	    "connections:\n"
	    "  api: {type: https, host: h}\n"
	    "  loop1: {type: loop2}\n"
	    "  loop2: {type: loop1}\n"
	    "  rc: {type: api}\n"
	    "bootstrap:\n"
	    "  initial_actions:\n"
	    "    - {service: Sys, action: set}\n"
	    "    - {service: S, action: sett, parameters: {nam: 1}}\n"
	    "services:\n"
	    "  S:\n"
	    "    data: {name: {type: string}}\n"
	    "    set: {connection: apj, url: /x}\n"
	    "    get: {method: rc, url: /y}\n", &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 4, 17, "connections.loop1.type",
	    "extends it back"));
	assert_true(has_diag(&d, DIAG_ERROR, 9, 17,
	    "bootstrap.initial_actions[0].service", "no service named"));
	assert_true(has_diag(&d, DIAG_ERROR, 10, 28,
	    "bootstrap.initial_actions[1].action", "did you mean \"set\""));
	assert_true(has_diag(&d, DIAG_ERROR, 10, 47,
	    "bootstrap.initial_actions[1].parameters", "\"nam\" is not a "
	    "field"));
	assert_true(has_diag(&d, DIAG_ERROR, 14, 23,
	    "services.S.set.connection", "did you mean \"api\""));
	/* rc extends api, so the operation is HTTP over it: no error. */
	assert_false(has_diag(&d, DIAG_ERROR, 15, 5, NULL, ""));
	diags_free(&d);

	/* then: other operations of the service, one level only. */
	dict = parse(
	    "name: x\n"
	    "connections:\n"
	    "  api: {type: https, host: h}\n"
	    "services:\n"
	    "  S:\n"
	    "    create: {connection: api, url: /c, then: [apply, aply]}\n"
	    "    delete: {connection: api, url: /d, then: delete}\n"
	    "    update: {connection: api, url: /u, then: [create]}\n"
	    "    apply: {connection: api, url: /a}\n", &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 6, 54, "services.S.create.then",
	    "no operation \"aply\" in service S"));
	assert_true(has_diag(&d, DIAG_ERROR, 7, 46, "services.S.delete.then",
	    "cannot follow itself"));
	assert_true(has_diag(&d, DIAG_ERROR, 8, 47, "services.S.update.then",
	    "has a `then` of its own"));
	diags_free(&d);
	dict = parse(
	    "name: x\n"
	    "connections:\n"
	    "  api: {type: https, host: h}\n"
	    "services:\n"
	    "  S:\n"
	    "    create: {connection: api, url: /c, then: [apply]}\n"
	    "    apply: {connection: api, url: /a}\n", &d);
	assert_non_null(dict);
	assert_int_equal(prov_op_find(prov_service_find(dict, "S"),
	    "create")->nthen, 1);
	prov_dict_free(dict);
	diags_free(&d);

	/* Operation health checks: SERVICE.OPERATION, resolved at the end. */
	dict = parse(
	    "name: x\n"
	    "connections:\n"
	    "  api: {type: https, host: h}\n"
	    "healthchecks:\n"
	    "  a: {operation: Sys.status}\n"
	    "  b: {operation: S.stat}\n"
	    "  c: {operation: status}\n"
	    "  d: {operation: S.status, url: /x}\n"
	    "  ok: {operation: S.status, timeout: 3}\n"
	    "services:\n"
	    "  S:\n"
	    "    status: {connection: api, url: /s}\n", &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 5, 18, "healthchecks.a.operation",
	    "no service named \"Sys\""));
	assert_true(has_diag(&d, DIAG_ERROR, 6, 18, "healthchecks.b.operation",
	    "has no operation \"stat\""));
	assert_true(has_diag(&d, DIAG_ERROR, 7, 18, "healthchecks.c.operation",
	    "expected SERVICE.OPERATION"));
	assert_true(has_diag(&d, DIAG_ERROR, 8, 18, "healthchecks.d",
	    "an operation check has no command, url or port"));
	assert_int_equal(d.nerrors, 4);
	diags_free(&d);

	/* Transform maps: expr or value, first only with expr. */
	dict = parse(
	    "name: x\n"
	    "connections:\n"
	    "  api: {type: https, host: h}\n"
	    "services:\n"
	    "  S:\n"
	    "    data: {id: {type: int}}\n"
	    "    a:\n"
	    "      connection: api\n"
	    "      url: /a\n"
	    "      response:\n"
	    "        format: text\n"
	    "        transform:\n"
	    "          both: {expr: 'x', value: '{{ .id }}'}\n"
	    "          neither: {first: true}\n"
	    "          firstval: {value: '{{ .id }}', first: true}\n"
	    "          badfield: {value: '{{ .idd }}'}\n"
	    "          badre: {expr: '(x', first: true}\n", &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 13, 17,
	    "services.S.a.response.transform.both", "one of them"));
	assert_true(has_diag(&d, DIAG_ERROR, 14, 20,
	    "services.S.a.response.transform.neither", "one of them"));
	assert_true(has_diag(&d, DIAG_ERROR, 15, 49,
	    "services.S.a.response.transform.firstval", "first goes with expr"));
	assert_true(has_diag(&d, DIAG_ERROR, 17, 28,
	    "services.S.a.response.transform.badre.expr", "missing closing"));
	assert_true(has_diag(&d, DIAG_ERROR, 16, 33,
	    "services.S.a.response.transform.badfield.value", "did you mean"));
	diags_free(&d);
}

static void
test_templates_patterns(void **state)
{
	struct prov_dict *dict;
	struct diags d;

	dict = parse(
	    "name: x\n"
	    "connections:\n"
	    "  c: {type: ssh, host: '{{ get_data.x }}'}\n"
	    "services:\n"
	    "  S:\n"
	    "    data: {port: {type: port}}\n"
	    "    op:\n"
	    "      get_data: [port]\n"
	    "      commands:\n"
	    "        - \"a {{ get_data.prot }}\"\n"
	    "        - \"{{ if get_data.port }}x{{ end }}\"\n"
	    "      response:\n"
	    "        format: cli\n"
	    "        success_pattern: '[a-'\n"
	    "        error_patterns: ['ok', '(?<n']\n"
	    "        transform: {t: 'parse_x', u: '*'}\n"
	    "    op2:\n"
	    "      url: 'http://h/{{ get_dta.port }}'\n"
	    "      body: |\n"
	    "        {\"a\":\n"
	    "          \"{{ get_cs_data.k | }}\"}\n"
	    "      response: {format: json, transform: {a: '$.a', b: '$[x'}}\n",
	    &d);
	assert_null(dict);
	/* get_data in a connection: its input does not exist there. */
	assert_true(has_diag(&d, DIAG_ERROR, 3, 28, "connections.c.host",
	    "cannot be read here"));
	assert_true(has_diag(&d, DIAG_ERROR, 10, 17,
	    "services.S.op.commands", "did you mean \"port\""));
	assert_true(has_diag(&d, DIAG_ERROR, 14, 30,
	    "services.S.op.response.success_pattern", "invalid regular"));
	assert_true(has_diag(&d, DIAG_ERROR, 15, 37,
	    "services.S.op.response.error_patterns[1]", "invalid regular"));
	assert_true(has_diag(&d, DIAG_ERROR, 16, 39,
	    "services.S.op.response.transform.u", "invalid regular"));
	assert_true(has_diag(&d, DIAG_ERROR, 18, 25, "services.S.op2.url",
	    "did you mean \"get_data\""));
	/* A block scalar: line and column of the tag inside it. */
	assert_true(has_diag(&d, DIAG_ERROR, 21, 31, "services.S.op2.body",
	    "template syntax"));
	assert_true(has_diag(&d, DIAG_ERROR, 22, 60,
	    "services.S.op2.response.transform.b", "invalid JSONPath"));
	diags_free(&d);

	/* An if left open across command items: at the tag that opens it. */
	dict = parse(
	    "name: x\n"
	    "connections: {c: {type: ssh}}\n"
	    "services:\n"
	    "  S:\n"
	    "    op:\n"
	    "      commands:\n"
	    "        - \"configure\"\n"
	    "        - '  {{ if get_cs_data.up }}'\n"
	    "        - no shutdown\n", &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 8, 14, "services.S.op.commands",
	    "template syntax"));
	diags_free(&d);
}

static void
test_structured_body(void **state)
{
	const struct prov_op *op;
	struct prov_request *req;
	struct prov_dict *dict;
	struct diags d;
	json_t *data, *body;
	char *cause = NULL;

	dict = parse(
	    "name: x\n"
	    "services:\n"
	    "  S:\n"
	    "    data: {n: {type: int}, s: {type: string}}\n"
	    "    op:\n"
	    "      url: 'https://h/{{ get_data.s }}?q={{ get_data.s }}'\n"
	    "      body: {num: '{{ get_data.n }}', str: 'v={{ get_data.s }}',\n"
	    "             list: [1, true, null, 'x']}\n", &d);
	assert_non_null(dict);
	op = prov_op_find(prov_service_find(dict, "S"), "op");
	assert_string_equal(op->http_method, "POST");
	data = json_pack("{s:i, s:s}", "n", 5, "s", "a\"b/c d");
	assert_int_equal(prov_op_render(dict, op, data, NULL, 0, &req,
	    &cause), 0);
	body = json_loads(req->body, 0, NULL);
	assert_non_null(body);
	/* A leaf that is one tag keeps its type; others are strings. */
	assert_int_equal(json_integer_value(json_object_get(body, "num")), 5);
	assert_string_equal(json_string_value(json_object_get(body, "str")),
	    "v=a\"b/c d");
	assert_int_equal(json_array_size(json_object_get(body, "list")), 4);
	assert_null(strchr(req->url, ' '));
	assert_null(strchr(req->url, '"'));
	json_decref(body);
	prov_request_free(req);
	json_decref(data);
	prov_dict_free(dict);
	diags_free(&d);
}

static void
test_secret_names(void **state)
{
	assert_true(prov_is_secret_name("password"));
	assert_true(prov_is_secret_name("user_secret_key"));
	assert_true(prov_is_secret_name("vnf_api_key"));
	assert_true(prov_is_secret_name("bootstrap_PASSWORD"));
	assert_false(prov_is_secret_name("vnf_mgmt_ip"));
	assert_false(prov_is_secret_name("interface_name"));
}

/* Connection keys private_key, pinned_sha256; auth types form and login. */
static void
test_auth_kinds(void **state)
{
	static const char ok[] =
	    "name: t\n"
	    "connections:\n"
	    "  ssh1:\n"
	    "    type: ssh\n"
	    "    username: admin\n"
	    "    private_key: \"{{get_cs_data.ssh_key}}\"\n"
	    "    key_passphrase: \"{{get_cs_data.ssh_key_pass}}\"\n"
	    "    pinned_sha256: \"SHA256:abc\"\n"
	    "  jwt:\n"
	    "    type: https\n"
	    "    auth: {type: login, login_url: /jwt, login_auth: basic,\n"
	    "      token_path: $.data.token}\n"
	    "  vyos:\n"
	    "    type: https\n"
	    "    pinned_sha256: \"sha256//AAAA\"\n"
	    "    auth: {type: form, token: \"{{get_cs_data.vyos_key}}\"}\n"
	    "  api:\n"
	    "    type: https\n"
	    "    auth:\n"
	    "      type: login\n"
	    "      login_url: /login\n"
	    "      login_body: {u: \"{{get_cs_data.user}}\"}\n"
	    "      token_path: \"$.data.token\"\n"
	    "  api2:\n"
	    "    type: api\n"
	    "    timeout: 5\n"
	    "services:\n"
	    "  S:\n"
	    "    show:\n"
	    "      method: POST\n"
	    "      connection: vyos\n"
	    "      url: /retrieve\n"
	    "      body: 'data={{ get_cs_data.q }}'\n"
	    "      headers: {Content-Type: application/x-www-form-urlencoded}\n"
	    "    json:\n"
	    "      method: POST\n"
	    "      connection: vyos\n"
	    "      url: /retrieve\n"
	    "      body: {a: 1}\n";
	static const char bad[] =
	    "name: t\n"
	    "connections:\n"
	    "  a:\n"
	    "    type: https\n"
	    "    auth: {type: bearer, token: x, field: key}\n"
	    "  b:\n"
	    "    type: https\n"
	    "    auth: {type: login, login_url: /l, token_path: \"$.a[*]\"}\n"
	    "  c:\n"
	    "    type: https\n"
	    "    auth: {type: login, token_path: \"$.t\", token_header: X,\n"
	    "      token_cookie: sid}\n"
	    "  d:\n"
	    "    type: https\n"
	    "    auth: form\n"
	    "services:\n"
	    "  S:\n"
	    "    x: {method: GET, connection: a, url: /}\n";
	struct prov_dict *dict;
	const struct prov_conn *c;
	const struct prov_service *svc;
	struct prov_request *req;
	struct diags d;
	json_t *cs;
	char *cause = NULL;

	(void)state;
	dict = parse(ok, &d);
	if (dict == NULL)
		diags_print(&d, stderr);
	assert_non_null(dict);
	c = prov_conn_find(dict, "ssh1");
	assert_string_equal(c->private_key.src, "{{get_cs_data.ssh_key}}");
	assert_string_equal(c->pinned_sha256.src, "SHA256:abc");
	c = prov_conn_find(dict, "vyos");
	assert_int_equal(c->auth.kind, PROV_AUTH_FORM);
	assert_string_equal(c->auth.field, "key");
	c = prov_conn_find(dict, "api2");	/* auth is inherited */
	assert_int_equal(c->auth.kind, PROV_AUTH_LOGIN);
	assert_string_equal(c->auth.login_method, "POST");
	assert_string_equal(c->auth.token_header, "Authorization");
	assert_string_equal(c->auth.token_prefix, "Bearer ");
	assert_non_null(c->auth.token_jp);
	assert_int_equal(c->timeout, 5);
	assert_int_equal(c->auth.login_basic, 0);
	c = prov_conn_find(dict, "jwt");
	assert_int_equal(c->auth.login_basic, 1);

	svc = prov_service_find(dict, "S");
	cs = json_pack("{s:s, s:s}", "vyos_key", "k&y 1", "q", "{\"op\":1}");
	/* No host and no management address: said, nothing rendered. */
	assert_int_equal(prov_op_render(dict, prov_op_find(svc, "show"), NULL,
	    cs, 0, &req, &cause), -1);
	assert_non_null(strstr(cause, "connection vyos has no host"));
	free(cause);
	cause = NULL;
	/* Without host, the management address. */
	json_object_set_new(cs, "mgmt_ip", json_string("192.0.2.7"));
	assert_int_equal(prov_op_render(dict, prov_op_find(svc, "show"), NULL,
	    cs, 0, &req, &cause), 0);
	assert_non_null(strstr(req->url, "://192.0.2.7"));
	assert_string_equal(req->body,
	    "data=%7B%22op%22%3A1%7D&key=k%26y+1");
	prov_request_free(req);
	assert_int_equal(prov_op_render(dict, prov_op_find(svc, "show"), NULL,
	    cs, 1, &req, &cause), 0);
	assert_non_null(strstr(req->body, "&key=********"));
	prov_request_free(req);
	/* A JSON body cannot carry a form field. */
	assert_int_equal(prov_op_render(dict, prov_op_find(svc, "json"), NULL,
	    cs, 0, &req, &cause), -1);
	assert_non_null(strstr(cause, "auth type form"));
	free(cause);
	json_decref(cs);
	prov_dict_free(dict);
	diags_free(&d);

	dict = parse(bad, &d);
	assert_null(dict);
	assert_true(has_diag(&d, DIAG_ERROR, 5, 43, NULL,
	    "belongs to auth type form"));
	assert_true(has_diag(&d, DIAG_ERROR, 8, 52, NULL, "must be singular"));
	assert_true(has_diag(&d, DIAG_ERROR, 11, 11, NULL,
	    "missing required key \"login_url\""));
	assert_true(has_diag(&d, DIAG_ERROR, 11, 11, NULL, "exclusive"));
	assert_true(has_diag(&d, DIAG_ERROR, 15, 11, NULL, "needs a token"));
	diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opnsense),
		cmocka_unit_test(test_auth_kinds),
		cmocka_unit_test(test_cisco),
		cmocka_unit_test(test_routeros),
		cmocka_unit_test(test_types_and_keys),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_templates_patterns),
		cmocka_unit_test(test_structured_body),
		cmocka_unit_test(test_secret_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
