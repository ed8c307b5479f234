/* Unit tests for provider/template.c and template-render.c. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <regex.h>

#include "provider/template.h"

static const char *ENV = "{"
    "\"get_data\": {\"action\": \"pass\", \"protocol\": \"tcp\","
    "  \"source_ip\": \"10.0.0.0/24\", \"admin_status\": \"up\","
    "  \"count\": 3, \"ratio\": 1.5, \"on\": true, \"off\": false,"
    "  \"none\": null, \"empty\": \"\","
    "  \"rules\": [{\"port\": 22, \"proto\": \"tcp\"},"
    "             {\"port\": 443, \"proto\": \"udp\"}],"
    "  \"tags\": [\"a\", \"b\", \"c\"],"
    "  \"obj\": {\"k\": \"v\", \"n\": 1},"
    "  \"two words\": \"spaced\","
    "  \"evil\": \"a\\nb\", \"quote\": \"say \\\"hi\\\"\\\\\","
    "  \"cr\": \"x\\ry\", \"nul\": \"x\\u0000y\", \"tab\": \"x\\ty\","
    "  \"esc\": \"x\\u001b[2J\", \"c1\": \"x\\u009by\","
    "  \"path\": \"a b/c?d&e=f#g\", \"v6\": \"fd00::1\","
    "  \"host\": \"pfsense.lan:8443\", \"url\": \"https://cb.example/x?y=1\","
    "  \"utf\": \"caf\\u00e9\""
    "},"
    "\"get_cs_data\": {\"vnf_mgmt_ip\": \"10.1.1.5\", \"vnf_api_key\": \"K1\","
    "  \"user\": \"admin\"},"
    "\"mgmt_ip\": \"192.168.0.9\""
    "}";

static json_t *
env_load(const char *text)
{
	json_error_t	 e;
	json_t		*env = json_loads(text, JSON_ALLOW_NUL, &e);

	if (env == NULL)
		fail_msg("bad test env: %s at %d", e.text, e.position);
	return env;
}

/* Render src in ctx against envtext; NULL on failure with *err filled. */
static char *
render_env(const char *src, enum tpl_ctx ctx, const char *envtext,
    struct tpl_error *err)
{
	struct tpl	*t;
	json_t		*env;
	char		*out = NULL;
	size_t		 len;

	memset(err, 0, sizeof(*err));
	if (tpl_compile(src, strlen(src), &t, err) != 0) {
		assert_null(t);
		return NULL;
	}
	env = env_load(envtext);
	if (tpl_render(t, ctx, env, &out, &len, err) != 0) {
		assert_null(out);
		out = NULL;
	} else
		assert_int_equal(len, strlen(out));
	json_decref(env);
	tpl_free(t);
	return out;
}

static char *
render(const char *src, enum tpl_ctx ctx, struct tpl_error *err)
{
	return render_env(src, ctx, ENV, err);
}

/* Assert that src renders to want in ctx. */
#define RENDERS(src, ctx, want) do {					\
	struct tpl_error e_;						\
	char *o_ = render((src), (ctx), &e_);				\
	if (o_ == NULL)							\
		fail_msg("%s: %d:%d: %s", (src), e_.line, e_.column,	\
		    e_.msg);						\
	assert_string_equal(o_, (want));				\
	free(o_);							\
} while (0)

/* Assert that src fails (compile or render) with msg containing want. */
#define FAILS(src, ctx, want, l, c) do {				\
	struct tpl_error e_;						\
	char *o_ = render((src), (ctx), &e_);				\
	if (o_ != NULL)							\
		fail_msg("%s: rendered \"%s\"", (src), o_);		\
	if (strstr(e_.msg, (want)) == NULL)				\
		fail_msg("%s: message \"%s\" lacks \"%s\"", (src),	\
		    e_.msg, (want));					\
	if ((l) > 0) {							\
		assert_int_equal(e_.line, (l));				\
		assert_int_equal(e_.column, (c));			\
	}								\
} while (0)

static void
test_forms(void **state)
{
	RENDERS("{{get_cs_data.vnf_mgmt_ip}}", TPL_CTX_TEXT, "10.1.1.5");
	RENDERS("{{get_cs_data:vnf_mgmt_ip}}", TPL_CTX_TEXT, "10.1.1.5");
	RENDERS("{{ get_cs_data : vnf_mgmt_ip }}", TPL_CTX_TEXT, "10.1.1.5");
	RENDERS("{{ get_data: action }}", TPL_CTX_TEXT, "pass");
	RENDERS("{{ get_data.rules[1].port }}", TPL_CTX_TEXT, "443");
	RENDERS("{{ get_data: rules[0].proto }}", TPL_CTX_TEXT, "tcp");
	RENDERS("{{ get_data[\"two words\"] }}", TPL_CTX_TEXT, "spaced");
	RENDERS("{{ get_data['action'] }}", TPL_CTX_TEXT, "pass");
	RENDERS("{{mgmt_ip}}", TPL_CTX_TEXT, "192.168.0.9");
	/* A bare name not in the environment is looked up in get_cs_data. */
	RENDERS("{{user}}@{{ vnf_mgmt_ip }}", TPL_CTX_TEXT, "admin@10.1.1.5");
	RENDERS("{{ .action }}/{{.protocol}}", TPL_CTX_TEXT, "pass/tcp");
	RENDERS("{{ \"lit\" }} {{ 42 }} {{ -1.5 }} {{ true }}[{{ null }}]",
	    TPL_CTX_TEXT, "lit 42 -1.5 true[]");
	RENDERS("{{ \"{{\" }} and }}", TPL_CTX_TEXT, "{{ and }}");
	RENDERS("{{ \"a}}b\" }}", TPL_CTX_TEXT, "a}}b");
	RENDERS("{{ \"\\u00e9\\n\\t\\\"\" }}", TPL_CTX_TEXT, "\xc3\xa9\n\t\"");
	RENDERS("{{ get_data.count }} {{ get_data.ratio }} {{ get_data.on }}",
	    TPL_CTX_TEXT, "3 1.5 true");
	RENDERS("{{ get_data.obj }}|{{ get_data.tags }}", TPL_CTX_TEXT,
	    "{\"k\":\"v\",\"n\":1}|[\"a\",\"b\",\"c\"]");
	RENDERS("no tags at all", TPL_CTX_TEXT, "no tags at all");
	RENDERS("", TPL_CTX_TEXT, "");
	RENDERS("{{\nget_data.action\n}}", TPL_CTX_TEXT, "pass");
}

static void
test_get_data_list(void **state)
{
	const char *env = "{\"get_data\": [{\"interface_name\": \"Gi0/1\","
	    " \"admin_status\": \"up\"}, {\"interface_name\": \"Gi0/2\"}]}";
	const char *one = "{\"get_data\": [{\"admin_status\": \"up\"}]}";
	struct tpl_error err;
	char *o;

	o = render_env("interface {{ get_data[0].interface_name }};"
	    "{{ get_data[1] }}", TPL_CTX_TEXT, env, &err);
	assert_non_null(o);
	assert_string_equal(o, "interface Gi0/1;{\"interface_name\":"
	    "\"Gi0/2\"}");
	free(o);
	/* .X on a one-item get_data list reads that item (CloudStack's
	 * examples mix get_data[0].X and .X). */
	o = render_env("{{ if eq .admin_status \"up\" }}no shutdown"
	    "{{ end }}", TPL_CTX_CLI, one, &err);
	assert_non_null(o);
	assert_string_equal(o, "no shutdown");
	free(o);
	o = render_env("{{ .admin_status }}", TPL_CTX_TEXT, env, &err);
	assert_null(o);
	assert_non_null(strstr(err.msg, "list of 2 items"));
}

static void
test_functions(void **state)
{
	struct tpl_error	 err;
	regex_t			 re;
	json_t			*doc;
	char			*o;

	o = render("{{now()}}", TPL_CTX_TEXT, &err);
	assert_non_null(o);
	assert_int_equal(regcomp(&re, "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T"
	    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, o, 0, NULL, 0), 0);
	regfree(&re);
	free(o);

	o = render("{{ uuid() }} {{uuid()}}", TPL_CTX_TEXT, &err);
	assert_non_null(o);
	assert_int_equal(regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
	    "[89ab][0-9a-f]{3}-[0-9a-f]{12} [0-9a-f]{8}-", REG_EXTENDED |
	    REG_NOSUB), 0);
	assert_int_equal(regexec(&re, o, 0, NULL, 0), 0);
	regfree(&re);
	assert_memory_not_equal(o, o + 37, 36);	/* two different ones */
	free(o);

	FAILS("{{ nwo() }}", TPL_CTX_TEXT, "unknown function 'nwo' (did you "
	    "mean 'now()'?)", 1, 4);
	FAILS("{{ now(1) }}", TPL_CTX_TEXT, "now() takes no arguments", 1, 4);
	/* JSON context: a function's string is quoted outside a string. */
	o = render("{\"t\": {{ now() }}}", TPL_CTX_JSON, &err);
	assert_non_null(o);
	assert_int_equal(o[6], '"');
	doc = json_loads(o, 0, NULL);
	assert_non_null(doc);
	json_decref(doc);
	free(o);
}

static void
test_conditionals(void **state)
{
	RENDERS("{{ if eq .admin_status \"up\" }}UP{{ end }}", TPL_CTX_TEXT,
	    "UP");
	RENDERS("{{ if eq .admin_status 'down' }}D{{ else }}U{{ end }}",
	    TPL_CTX_TEXT, "U");
	RENDERS("{{ if ne .admin_status \"down\" }}ok{{ end }}", TPL_CTX_TEXT,
	    "ok");
	RENDERS("{{ if get_data.action == \"block\" }}B{{ else if "
	    "get_data.action == \"pass\" }}P{{ else }}X{{ end }}",
	    TPL_CTX_TEXT, "P");
	RENDERS("{{ if get_data.action != \"pass\" }}A{{ end }}", TPL_CTX_TEXT,
	    "");
	RENDERS("{{ if get_data.on and not get_data.off }}y{{ end }}",
	    TPL_CTX_TEXT, "y");
	RENDERS("{{ if get_data.off or get_data.empty or get_data.none }}y"
	    "{{ else }}n{{ end }}", TPL_CTX_TEXT, "n");
	RENDERS("{{ if (eq .action \"x\") or (eq .protocol \"tcp\" and "
	    "get_data.count == 3) }}y{{ end }}", TPL_CTX_TEXT, "y");
	RENDERS("{{ if eq .action .action }}same{{ end }}", TPL_CTX_TEXT,
	    "same");
	/* Missing values are false in conditions, not errors. */
	RENDERS("{{ if get_data.nope }}y{{ else }}n{{ end }}", TPL_CTX_TEXT,
	    "n");
	RENDERS("{{ if eq get_data.nope null }}null{{ end }}", TPL_CTX_TEXT,
	    "null");
	/* Truthiness: empty list/object/string, zero are false. */
	RENDERS("{{ if get_data.tags }}T{{ end }}{{ if get_data.count }}C"
	    "{{ end }}{{ if 0 }}Z{{ end }}", TPL_CTX_TEXT, "TC");
	/* A string of digits equals the integer it spells. */
	RENDERS("{{ if eq get_data.rules[0].port \"22\" }}ssh{{ end }}",
	    TPL_CTX_TEXT, "ssh");
	RENDERS("{{ if eq 1 1.0 }}num{{ end }}", TPL_CTX_TEXT, "num");
	FAILS("{{ if eq get_data.obj \"x\" }}{{ end }}", TPL_CTX_TEXT,
	    "get_data.obj is an object; eq and ne compare", 1, 10);
}

static void
test_cli_block_lines(void **state)
{
	/* A control tag alone on its line leaves no line behind. */
	RENDERS("interface Gi0/1\n"
	    "{{ if eq .admin_status \"up\" }}\n"
	    " no shutdown\n"
	    "{{ else }}\n"
	    " shutdown\n"
	    "{{ end }}\n"
	    "exit\n", TPL_CTX_CLI, "interface Gi0/1\n no shutdown\nexit\n");
	RENDERS("  {{ for r in get_data.rules }}  \r\n"
	    "permit {{ r.proto }} any eq {{ r.port }}\n"
	    "  {{ end }}", TPL_CTX_CLI,
	    "permit tcp any eq 22\npermit udp any eq 443\n");
	/* Not alone: the line stays. */
	RENDERS("a {{ if true }}b{{ end }}\nc", TPL_CTX_TEXT, "a b\nc");
	RENDERS("{{ if true }}{{ end }}\nx", TPL_CTX_TEXT, "\nx");
}

static void
test_loops(void **state)
{
	RENDERS("{{ for r in get_data.rules }}{{ r.port }},{{ end }}",
	    TPL_CTX_TEXT, "22,443,");
	RENDERS("{{ range get_data.rules }}{{ .proto }};{{ end }}",
	    TPL_CTX_TEXT, "tcp;udp;");
	RENDERS("{{ range get_data.tags }}[{{ . }}]{{ end }}", TPL_CTX_TEXT,
	    "[a][b][c]");
	RENDERS("{{ for a in get_data.tags }}{{ for b in get_data.tags }}"
	    "{{ if eq a b }}{{ a }}{{ end }}{{ end }}{{ end }}", TPL_CTX_TEXT,
	    "abc");
	/* A missing or null list runs zero times. */
	RENDERS("<{{ for x in get_data.nope }}x{{ end }}{{ range "
	    "get_data.none }}y{{ end }}>", TPL_CTX_TEXT, "<>");
	FAILS("{{ for x in get_data.obj }}{{ end }}", TPL_CTX_TEXT,
	    "for: get_data.obj is an object, not a list", 1, 13);
	/* The loop variable shadows and is gone after the loop. */
	FAILS("{{ for r in get_data.rules }}{{ end }}{{ r.port }}",
	    TPL_CTX_TEXT, "r.port is not set", 1, 42);
	/* JSON arrays from a loop. */
	RENDERS("[{{ for r in get_data.rules }}{{ r.port }},{{ end }}0]",
	    TPL_CTX_JSON, "[22,443,0]");
}

static void
test_filters(void **state)
{
	RENDERS("{{ get_data.action | upper }}", TPL_CTX_TEXT, "PASS");
	RENDERS("{{ \"MiXeD\" | lower }}", TPL_CTX_TEXT, "mixed");
	RENDERS("{{ \"  x y \\n\" | trim }}|", TPL_CTX_TEXT, "x y|");
	RENDERS("{{ get_data.tags | join }}/{{ get_data.tags | join(\" - \") "
	    "}}", TPL_CTX_TEXT, "a,b,c/a - b - c");
	RENDERS("{{ get_data.tags | length }} {{ get_data.utf | length }}",
	    TPL_CTX_TEXT, "3 4");
	RENDERS("{{ \"admin:secret\" | base64 }} {{ \"a\" | base64 }} "
	    "{{ \"ab\" | base64 }} {{ \"\" | base64 }}.", TPL_CTX_TEXT,
	    "YWRtaW46c2VjcmV0 YQ== YWI= .");
	RENDERS("{{ get_data.path | url }}", TPL_CTX_TEXT,
	    "a%20b%2Fc%3Fd%26e%3Df%23g");
	RENDERS("{{ get_data.obj | json }} {{ get_data.action | json }}",
	    TPL_CTX_TEXT, "{\"k\":\"v\",\"n\":1} \"pass\"");
	RENDERS("{{ get_data.nope | default(\"any\") }}", TPL_CTX_TEXT, "any");
	RENDERS("{{ get_data.none | default(get_cs_data.user) }}",
	    TPL_CTX_TEXT, "admin");
	RENDERS("{{ get_data.action | default(\"x\") }}", TPL_CTX_TEXT,
	    "pass");
	RENDERS("{{ get_data.nope | upper | default(\"d\") }}", TPL_CTX_TEXT,
	    "d");
	RENDERS("{{ get_data.action | upper | lower | upper }}", TPL_CTX_TEXT,
	    "PASS");
	FAILS("{{ get_data.action | uper }}", TPL_CTX_TEXT,
	    "unknown filter 'uper' (did you mean 'upper'?)", 1, 22);
	FAILS("{{ x | default }}", TPL_CTX_TEXT,
	    "filter 'default' takes one argument", 1, 8);
	FAILS("{{ x | upper(1) }}", TPL_CTX_TEXT,
	    "filter 'upper' takes no arguments", 1, 8);
	FAILS("{{ get_data.nope | default(get_data.nope2) }}", TPL_CTX_TEXT,
	    "get_data.nope2 is not set", 1, 28);
	FAILS("{{ get_data.action | join }}", TPL_CTX_TEXT,
	    "join: expected a list, found a string", 1, 22);
	/* Address filters, for devices that want a mask (IOS). */
	RENDERS("ip route {{ \"10.1.2.77/24\" | network }} "
	    "{{ \"10.1.2.77/24\" | netmask }}", TPL_CTX_CLI,
	    "ip route 10.1.2.0 255.255.255.0");
	RENDERS("{{ \"198.18.4.0/22\" | wildcard }} "
	    "{{ \"198.18.4.0/22\" | prefixlen }}", TPL_CTX_TEXT,
	    "0.0.3.255 22");
	RENDERS("{{ \"0.0.0.0/0\" | network }} {{ \"0.0.0.0/0\" | netmask }} "
	    "{{ \"0.0.0.0/0\" | wildcard }}", TPL_CTX_TEXT,
	    "0.0.0.0 0.0.0.0 255.255.255.255");
	RENDERS("{{ \"192.0.2.9\" | netmask }} {{ \"192.0.2.9\" | prefixlen }} "
	    "{{ \"192.0.2.9/31\" | network }}", TPL_CTX_TEXT,
	    "255.255.255.255 32 192.0.2.8");
	RENDERS("{{ \"2001:db8:1:2::5/48\" | network }} "
	    "{{ \"2001:db8::/48\" | prefixlen }}", TPL_CTX_TEXT,
	    "2001:db8:1:: 48");
	FAILS("{{ \"2001:db8::/48\" | netmask }}", TPL_CTX_TEXT,
	    "netmask: IPv4 only", 1, 22);
	FAILS("{{ \"10.1.2.0/33\" | network }}", TPL_CTX_TEXT,
	    "network: expected an address with an optional /length", 1, 20);
	FAILS("{{ get_data.action | wildcard }}", TPL_CTX_TEXT,
	    "found \"pass\"", 1, 22);
}

static void
test_missing(void **state)
{
	FAILS("Authorization: {{get_cs_data.vnf_api_kye}}", TPL_CTX_HEADER,
	    "get_cs_data.vnf_api_kye is not set", 1, 18);
	FAILS("x\n  {{ get_cs_data:vnf_api_kye }}", TPL_CTX_TEXT,
	    "get_cs_data.vnf_api_kye is not set", 2, 6);
	FAILS("{{ nothing }}", TPL_CTX_TEXT, "nothing is not set", 1, 4);
	FAILS("{{ get_data.rules[7].port }}", TPL_CTX_TEXT,
	    "get_data.rules[7].port is not set", 1, 4);
	/* null is set: empty as text (default() replaces it). */
	RENDERS("[{{ get_data.none }}]", TPL_CTX_TEXT, "[]");
	FAILS("{{ get_data.action.x }}", TPL_CTX_TEXT, "cannot read "
	    "get_data.action.x: found a string where an object", 1, 4);
	FAILS("{{ get_data.obj[0] }}", TPL_CTX_TEXT, "found an object where a "
	    "list was expected", 1, 4);
}

static void
test_syntax_errors(void **state)
{
	FAILS("{{ get_data. }}", TPL_CTX_TEXT, "expected a field name after "
	    "'.', found '}}'", 1, 14);
	FAILS("line1\nab {{ get_data.x", TPL_CTX_TEXT, "'{{' is not closed: "
	    "expected '}}'", 2, 4);
	FAILS("{{ get_data.x y }}", TPL_CTX_TEXT, "expected '}}' or '|', "
	    "found 'y'", 1, 15);
	FAILS("{{ }}", TPL_CTX_TEXT, "empty tag", 1, 1);
	FAILS("{{ if }}x{{ end }}", TPL_CTX_TEXT, "expected a condition after "
	    "'if', found '}}'", 1, 7);
	FAILS("a\n{{ if true }}\nb", TPL_CTX_TEXT, "'if' is not closed: "
	    "expected {{ end }}", 2, 1);
	FAILS("{{ for r in get_data.rules }}", TPL_CTX_TEXT, "'for' is not "
	    "closed", 1, 1);
	FAILS("x{{ end }}", TPL_CTX_TEXT, "'end' without an open 'if' or "
	    "'for'", 1, 2);
	FAILS("{{ else }}", TPL_CTX_TEXT, "'else' without an open 'if'", 1, 1);
	FAILS("{{ if true }}{{ else }}{{ else }}{{ end }}", TPL_CTX_TEXT,
	    "'else' after 'else'", 1, 24);
	FAILS("{{ for in x }}{{ end }}", TPL_CTX_TEXT, "expected a loop "
	    "variable name after 'for', found 'in'", 1, 8);
	FAILS("{{ for r of x }}{{ end }}", TPL_CTX_TEXT, "expected 'in', "
	    "found 'of'", 1, 10);
	FAILS("{{ \"abc }}", TPL_CTX_TEXT, "a string that is not closed", 1,
	    4);
	FAILS("{{ \"a\\qb\" }}", TPL_CTX_TEXT, "invalid escape in string", 1,
	    6);
	FAILS("{{ get_data[-1] }}", TPL_CTX_TEXT, "a list index must be a "
	    "whole number", 1, 13);
	FAILS("{{ get_data[x] }}", TPL_CTX_TEXT, "expected a list index or a "
	    "quoted field name after '['", 1, 13);
	FAILS("{{ get_data: }}", TPL_CTX_TEXT, "expected a field name after "
	    "':'", 1, 14);
	FAILS("{{ if a = b }}{{ end }}", TPL_CTX_TEXT, "found '='", 1, 9);
	FAILS("{{ a | }}", TPL_CTX_TEXT, "expected a filter name after '|'",
	    1, 8);
	FAILS("{{ get_data.x } }}", TPL_CTX_TEXT, "found '}'", 1, 15);
	FAILS("{{ and }}", TPL_CTX_TEXT, "expected a value", 1, 4);
	/* Columns count characters, not bytes. */
	FAILS("caf\xc3\xa9 {{ . }", TPL_CTX_TEXT, "found '}'", 1, 11);
}

static void
test_json_context(void **state)
{
	struct tpl_error	 err;
	json_t			*doc;
	char			*o;

	/* Inside a string literal: JSON-string escaped. */
	RENDERS("{\"d\": \"{{ get_data.quote }}\", \"e\": \"{{ get_data.evil "
	    "}}\"}", TPL_CTX_JSON,
	    "{\"d\": \"say \\\"hi\\\"\\\\\", \"e\": \"a\\nb\"}");
	/* Outside: a JSON value of the right type. */
	RENDERS("{\"n\": {{ get_data.count }}, \"s\": {{ get_data.action }}, "
	    "\"b\": {{ get_data.on }}, \"z\": {{ get_data.none }}, \"o\": "
	    "{{ get_data.obj }}, \"l\": {{ get_data.tags }}}", TPL_CTX_JSON,
	    "{\"n\": 3, \"s\": \"pass\", \"b\": true, \"z\": null, "
	    "\"o\": {\"k\":\"v\",\"n\":1}, \"l\": [\"a\",\"b\",\"c\"]}");
	/* A number inside a string is its text; an object its JSON text. */
	RENDERS("\"{{ get_data.count }}/{{ get_data.obj }}\"", TPL_CTX_JSON,
	    "\"3/{\\\"k\\\":\\\"v\\\",\\\"n\\\":1}\"");
	/* Escaped quotes in the literal do not end the string. */
	RENDERS("\"a\\\"{{ get_data.quote }}\"", TPL_CTX_JSON,
	    "\"a\\\"say \\\"hi\\\"\\\\\"");
	/* | json outside a string is written as is, inside escaped. */
	RENDERS("{\"o\": {{ get_data.obj | json }}, \"s\": \"{{ get_data.obj "
	    "| json }}\"}", TPL_CTX_JSON, "{\"o\": {\"k\":\"v\",\"n\":1}, "
	    "\"s\": \"{\\\"k\\\":\\\"v\\\",\\\"n\\\":1}\"}");
	/* Control characters and NUL become \u escapes. */
	RENDERS("\"{{ get_data.nul }}{{ get_data.esc }}\"", TPL_CTX_JSON,
	    "\"x\\u0000y" "x\\u001b[2J\"");
	/* A hostile value cannot break out: the document stays valid. */
	o = render_env("{\"rule\": {\"action\": \"{{ get_data: action }}\", "
	    "\"n\": {{ get_data.n }}}}", TPL_CTX_JSON,
	    "{\"get_data\": {\"action\": \"x\\\", \\\"admin\\\": true, \\\"y"
	    "\\\": \\\"\", \"n\": \"1}, \\\"admin\\\": {\"}}", &err);
	assert_non_null(o);
	doc = json_loads(o, 0, NULL);
	assert_non_null(doc);
	assert_null(json_object_get(json_object_get(doc, "rule"), "admin"));
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(doc, "rule"), "n")), "1}, \"admin\": {");
	json_decref(doc);
	free(o);
	/* The seed talk's OPNsense body. */
	o = render("{\"rule\": {\"enabled\": \"1\", \"action\": \"{{ get_data:"
	    " action }}\", \"source\": {\"network\": \"{{ get_data: source_ip "
	    "}}\"}}}", TPL_CTX_JSON, &err);
	assert_non_null(o);
	assert_string_equal(o, "{\"rule\": {\"enabled\": \"1\", \"action\": "
	    "\"pass\", \"source\": {\"network\": \"10.0.0.0/24\"}}}");
	free(o);
}

static void
test_url_context(void **state)
{
	RENDERS("https://{{get_cs_data:vnf_mgmt_ip}}/api/firewall/filter/"
	    "saveRule", TPL_CTX_URL,
	    "https://10.1.1.5/api/firewall/filter/saveRule");
	/* Path segment before '?', query component after. */
	RENDERS("https://h/a/{{ get_data.path }}?q={{ get_data.path }}&x=1",
	    TPL_CTX_URL, "https://h/a/a%20b%2Fc%3Fd%26e%3Df%23g"
	    "?q=a%20b%2Fc%3Fd%26e%3Df%23g&x=1");
	RENDERS("/rel/{{ get_data.utf }}", TPL_CTX_URL, "/rel/caf%C3%A9");
	/* Authority: host:port kept, a bare IPv6 address bracketed. */
	RENDERS("https://{{ get_data.host }}/x", TPL_CTX_URL,
	    "https://pfsense.lan:8443/x");
	RENDERS("https://{{ get_data.v6 }}:8443/x", TPL_CTX_URL,
	    "https://[fd00::1]:8443/x");
	RENDERS("https://[{{ get_data.v6 }}]/x", TPL_CTX_URL,
	    "https://[fd00::1]/x");
	FAILS("https://{{ get_data.path }}/x", TPL_CTX_URL,
	    "get_data.path is not a host name, address or port", 1, 12);
	FAILS("http://{{ get_data.evil }}/", TPL_CTX_URL, "(a space or control "
	    "character)", 1, 11);
	/* A whole URL at the start is kept if it is a clean http(s) URL. */
	RENDERS("{{ get_data.url }}&z={{ get_data.path }}", TPL_CTX_URL,
	    "https://cb.example/x?y=1&z=a%20b%2Fc%3Fd%26e%3Df%23g");
	FAILS("{{ get_data.path }}", TPL_CTX_URL, "must be an absolute "
	    "http:// or https:// URL", 1, 4);
	FAILS("ht{{ get_data.action }}://x", TPL_CTX_URL, "would change the "
	    "scheme", 1, 6);
	/* | url is not encoded twice. */
	RENDERS("/a?q={{ get_data.path | url }}", TPL_CTX_URL,
	    "/a?q=a%20b%2Fc%3Fd%26e%3Df%23g");
}

static void
test_form_context(void **state)
{
	RENDERS("a={{ get_data.path }}&b={{ \"x*y~\" }}", TPL_CTX_FORM,
	    "a=a+b%2Fc%3Fd%26e%3Df%23g&b=x*y%7E");
	RENDERS("a={{ get_data.path | url }}", TPL_CTX_FORM,
	    "a=a%20b%2Fc%3Fd%26e%3Df%23g");
}

static void
test_header_context(void **state)
{
	RENDERS("Bearer {{get_cs_data.vnf_api_key}}", TPL_CTX_HEADER,
	    "Bearer K1");
	RENDERS("{{ get_data.tab }}", TPL_CTX_HEADER, "x\ty");
	FAILS("X: {{ get_data.evil }}", TPL_CTX_HEADER, "get_data.evil "
	    "contains a line feed (LF), which cannot be sent in an HTTP header "
	    "value; refused", 1, 7);
	FAILS("{{ get_data.cr }}", TPL_CTX_HEADER, "a carriage return (CR)", 1,
	    4);
	FAILS("{{ get_data.nul }}", TPL_CTX_HEADER, "a NUL byte", 1, 4);
	FAILS("{{ get_data.esc }}", TPL_CTX_HEADER, "an escape character", 1,
	    4);
	/* The template's own text is the author's, not checked. */
	RENDERS("a\r\nb", TPL_CTX_HEADER, "a\r\nb");
}

static void
test_cli_context(void **state)
{
	RENDERS("description {{ get_data.quote }} {{ get_data.utf }}",
	    TPL_CTX_CLI, "description say \"hi\"\\ caf\xc3\xa9");
	FAILS("description {{ get_data.evil }}", TPL_CTX_CLI, "get_data.evil "
	    "contains a line feed (LF), which cannot be sent in one CLI line; "
	    "refused", 1, 16);
	FAILS("{{ get_data.cr }}", TPL_CTX_CLI, "carriage return", 1, 4);
	FAILS("{{ get_data.nul }}", TPL_CTX_CLI, "a NUL byte", 1, 4);
	FAILS("{{ get_data.tab }}", TPL_CTX_CLI, "a tab", 1, 4);
	FAILS("{{ get_data.esc }}", TPL_CTX_CLI, "an escape character", 1, 4);
	FAILS("{{ get_data.c1 }}", TPL_CTX_CLI, "control character U+009B", 1,
	    4);
	FAILS("{{ \"a\\nb\" | upper }}", TPL_CTX_CLI, "a literal string "
	    "contains a line feed", 1, 4);
	/* TEXT passes everything. */
	RENDERS("{{ get_data.evil }}", TPL_CTX_TEXT, "a\nb");
}

static void
test_limits(void **state)
{
	struct tpl_error	 err;
	struct tpl		*t;
	char			*src, *o, *env;
	size_t			 i, n;

	/* Source size. */
	n = TPL_MAX_SOURCE + 1;
	src = malloc(n + 1);
	memset(src, 'x', n);
	src[n] = '\0';
	assert_int_equal(tpl_compile(src, n, &t, &err), -1);
	assert_non_null(strstr(err.msg, "the limit is 262144"));
	assert_int_equal(tpl_compile(src, n - 1, &t, &err), 0);
	tpl_free(t);
	free(src);

	/* NUL in the source. */
	assert_int_equal(tpl_compile("a\0b", 3, &t, &err), -1);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(err.column, 2);

	/* Nesting: 32 levels fine, 33 refused. */
	src = calloc(1, 64 * 40);
	for (i = 0; i < 33; i++)
		strcat(src, "{{ if true }}");
	for (i = 0; i < 33; i++)
		strcat(src, "{{ end }}");
	FAILS(src, TPL_CTX_TEXT, "blocks nest too deeply (limit 32", 1,
	    1 + 32 * 13);
	src[0] = '\0';
	for (i = 0; i < 32; i++)
		strcat(src, "{{ if true }}");
	strcat(src, "deep");
	for (i = 0; i < 32; i++)
		strcat(src, "{{ end }}");
	RENDERS(src, TPL_CTX_TEXT, "deep");
	free(src);

	/* Condition nesting. */
	src = calloc(1, 64 * 10);
	strcpy(src, "{{ if ");
	for (i = 0; i < 40; i++)
		strcat(src, "not ");
	strcat(src, "true }}{{ end }}");
	FAILS(src, TPL_CTX_TEXT, "condition nests too deeply", 0, 0);
	free(src);

	/* Iterations: 3^11 > 100000 loop bodies. */
	src = calloc(1, 64 * 30);
	for (i = 0; i < 11; i++)
		strcat(src, "{{ range get_data.tags }}");
	for (i = 0; i < 11; i++)
		strcat(src, "{{ end }}");
	FAILS(src, TPL_CTX_TEXT, "loops ran more than 100000 times", 0, 0);
	free(src);

	/* Output: a value repeated past 4 MiB. */
	n = 64 * 1024;
	env = malloc(n + 64);
	strcpy(env, "{\"get_data\": {\"big\": \"");
	memset(env + strlen(env), 'b', n);
	strcpy(env + strlen("{\"get_data\": {\"big\": \"") + n,
	    "\", \"l\": [1,2,3,4,5,6,7,8,9,10]}}");
	o = render_env("{{ range get_data.l }}{{ range get_data.l }}"
	    "{{ get_data.big }}{{ end }}{{ end }}", TPL_CTX_TEXT, env, &err);
	assert_null(o);
	assert_non_null(strstr(err.msg, "output would exceed 4194304 bytes"));
	assert_int_equal(err.column, 48);
	free(env);

	/* Steps: loops that produce nothing still end. */
	src = calloc(1, 4096);
	for (i = 0; i < 5; i++)
		strcat(src, "{{ range get_data.l }}");
	for (i = 0; i < 60; i++)
		strcat(src, "{{ if false }}{{ end }}");
	for (i = 0; i < 5; i++)
		strcat(src, "{{ end }}");
	o = render_env(src, TPL_CTX_TEXT, "{\"get_data\": {\"l\": "
	    "[1,2,3,4,5,6,7,8,9,10]}}", &err);
	assert_null(o);
	assert_non_null(strstr(err.msg, "too many steps"));
	free(src);
}

static void
var_cb(const char *root, const char *field, int index, int line,
    int column, void *arg)
{
	char	 buf[256];
	json_t	*a = arg;

	snprintf(buf, sizeof(buf), "%s|%s|%d|%d:%d", root,
	    field != NULL ? field : "-", index, line, column);
	json_array_append_new(a, json_string(buf));
}

static void
test_vars(void **state)
{
	const char	*src = "{{get_cs_data:vnf_mgmt_ip}} {{ get_data[0].x }}"
	    "\n{{ if eq .admin_status \"up\" }}{{ mgmt_ip }}{{ end }}"
	    "{{ for r in get_data.rules }}{{ r.port }}{{ get_data[1] }}"
	    "{{ end }}{{ range get_data.l }}{{ .y }}{{ end }}"
	    "{{ now() }}{{ a | default(get_cs_data.b) }}";
	const char	*want[] = {
		"get_cs_data|vnf_mgmt_ip|-1|1:3",
		"get_data|x|0|1:32",
		"get_data|admin_status|-1|2:10",
		"mgmt_ip|-|-1|2:34",
		"get_data|rules|-1|2:65",
		"get_data|-|1|2:97",
		"get_data|l|-1|2:129",
		"a|-|-1|2:173",
		"get_cs_data|b|-1|2:185",
	};
	struct tpl_error err;
	struct tpl	*t;
	json_t		*a = json_array();
	size_t		 i;

	assert_int_equal(tpl_compile(src, strlen(src), &t, &err), 0);
	tpl_vars(t, var_cb, a);
	for (i = 0; i < json_array_size(a); i++)
		print_message("%s\n", json_string_value(json_array_get(a, i)));
	assert_int_equal(json_array_size(a), sizeof(want) / sizeof(*want));
	for (i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_string_equal(json_string_value(json_array_get(a, i)),
		    want[i]);
	json_decref(a);
	tpl_free(t);
}

static void
test_has_tags(void **state)
{
	assert_true(tpl_has_tags("a {{x}}"));
	assert_false(tpl_has_tags("plain { } }}"));
	assert_false(tpl_has_tags(NULL));
}

static void
test_reuse_and_env(void **state)
{
	struct tpl_error	 err;
	struct tpl		*t;
	json_t			*env;
	char			*o;
	const char		*src = "{{ x }}";

	assert_int_equal(tpl_compile(src, strlen(src), &t, &err), 0);
	env = json_pack("{s:s}", "x", "1");
	assert_int_equal(tpl_render(t, TPL_CTX_TEXT, env, &o, NULL, &err), 0);
	assert_string_equal(o, "1");
	free(o);
	json_object_set_new(env, "x", json_string("2"));
	assert_int_equal(tpl_render(t, TPL_CTX_TEXT, env, &o, NULL, &err), 0);
	assert_string_equal(o, "2");
	free(o);
	json_decref(env);
	/* A non-object environment is refused; NULL means empty. */
	env = json_array();
	assert_int_equal(tpl_render(t, TPL_CTX_TEXT, env, &o, NULL, &err), -1);
	json_decref(env);
	assert_int_equal(tpl_render(t, TPL_CTX_TEXT, NULL, &o, NULL, &err),
	    -1);
	assert_non_null(strstr(err.msg, "x is not set"));
	tpl_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_get_data_list),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_conditionals),
		cmocka_unit_test(test_cli_block_lines),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_json_context),
		cmocka_unit_test(test_url_context),
		cmocka_unit_test(test_form_context),
		cmocka_unit_test(test_header_context),
		cmocka_unit_test(test_cli_context),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_has_tags),
		cmocka_unit_test(test_reuse_and_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
