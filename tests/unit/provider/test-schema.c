/* Unit tests for provider/schema.c. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "provider/schema.h"

/* Load the schema in yaml (a data: map); d is left for inspection. */
static struct schema *
load(const char *yaml, struct diags *d)
{
	struct schema	*s;
	struct ynode	*root;
	int		 empty;

	diags_init(d, "p.yaml");
	root = ydoc_parse(yaml, strlen(yaml), NULL, d, &empty);
	if (root == NULL && !empty)
		fail_msg("bad test yaml");
	s = schema_load(root, "services.FW.data", d);
	ynode_free(root);
	return s;
}

static struct schema *
load_ok(const char *yaml)
{
	struct schema	*s;
	struct diags	 d;

	s = load(yaml, &d);
	if (s == NULL || d.nerrors != 0) {
		diags_print(&d, stderr);
		fail_msg("schema did not load");
	}
	diags_free(&d);
	return s;
}

/* Does d hold a diagnostic of sev whose path and message contain these? */
static int
has_diag(const struct diags *d, enum diag_severity sev, const char *path,
    const char *msg, int line, int col)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].severity != sev)
			continue;
		if (path != NULL && strcmp(d->v[i].path, path) != 0)
			continue;
		if (strstr(d->v[i].msg, msg) == NULL)
			continue;
		if (line > 0 && (d->v[i].line != line ||
		    d->v[i].column != col))
			continue;
		return 1;
	}
	return 0;
}

#define LOAD_FAILS(yaml, path, msg, l, c) do {				\
	struct diags d_;						\
	struct schema *s_ = load((yaml), &d_);				\
	if (s_ != NULL || !has_diag(&d_, DIAG_ERROR, (path), (msg),	\
	    (l), (c))) {						\
		diags_print(&d_, stderr);				\
		fail_msg("%s: expected error %s", (yaml), (msg));	\
	}								\
	diags_free(&d_);						\
} while (0)

/* Validate input (JSON text); the result, and *errs as one string. */
static json_t *
check(const struct schema *s, const char *input, char **errs)
{
	json_t	*in, *out, *e = NULL;
	size_t	 i;
	char	*acc = NULL, *t;

	in = json_loads(input, 0, NULL);
	if (in == NULL)
		fail_msg("bad test json %s", input);
	out = schema_validate(s, in, &e);
	json_decref(in);
	assert_non_null(e);
	for (i = 0; i < json_array_size(e); i++) {
		if (asprintf(&t, "%s%s", acc != NULL ? acc : "",
		    json_string_value(json_array_get(e, i))) == -1)
			fail();
		free(acc);
		if (i + 1 < json_array_size(e)) {
			if (asprintf(&acc, "%s\n", t) == -1)
				fail();
			free(t);
		} else
			acc = t;
	}
	assert_true((out == NULL) == (json_array_size(e) > 0));
	json_decref(e);
	*errs = acc != NULL ? acc : strdup("");
	return out;
}

#define VALID(s, input, want) do {					\
	char *e_;							\
	json_t *o_ = check((s), (input), &e_);				\
	char *got_;							\
	json_t *w_ = json_loads((want), 0, NULL);			\
	if (o_ == NULL)							\
		fail_msg("%s: %s", (input), e_);			\
	got_ = json_dumps(o_, JSON_COMPACT | JSON_SORT_KEYS);		\
	if (!json_equal(o_, w_))					\
		fail_msg("%s: got %s", (input), got_);			\
	free(got_);							\
	json_decref(o_);						\
	json_decref(w_);						\
	free(e_);							\
} while (0)

#define INVALID(s, input, want) do {					\
	char *e_;							\
	json_t *o_ = check((s), (input), &e_);				\
	assert_null(o_);						\
	if (strcmp(e_, (want)) != 0)					\
		fail_msg("%s:\n got: %s\nwant: %s", (input), e_,	\
		    (want));						\
	free(e_);							\
} while (0)

static void
test_types_valid(void **state)
{
	struct schema *s = load_ok(
	    "s: {type: string}\n"
	    "i: {type: int}\n"
	    "b: {type: bool}\n"
	    "ip: {type: ip}\n"
	    "c: {type: cidr}\n"
	    "p: {type: port}\n"
	    "m: {type: mac}\n"
	    "e: {type: enum, values: [pass, block]}\n"
	    "l: {type: list, items: {type: port}}\n"
	    "o: {type: object, fields: {k: {type: string}}}\n"
	    "t: int\n");

	VALID(s, "{}", "{}");
	VALID(s, "{\"s\": \"x\", \"i\": -5, \"b\": true, \"ip\": \"10.0.0.1\","
	    " \"c\": \"10.0.0.0/8\", \"p\": 22, \"m\": \"aa:BB:cc:00:11:22\","
	    " \"e\": \"pass\", \"l\": [1, 65535], \"o\": {\"k\": \"v\"},"
	    " \"t\": 0}",
	    "{\"s\": \"x\", \"i\": -5, \"b\": true, \"ip\": \"10.0.0.1\","
	    " \"c\": \"10.0.0.0/8\", \"p\": 22, \"m\": \"aa:BB:cc:00:11:22\","
	    " \"e\": \"pass\", \"l\": [1, 65535], \"o\": {\"k\": \"v\"},"
	    " \"t\": 0}");
	VALID(s, "{\"ip\": \"fd00::1\", \"c\": \"2001:db8::/32\", \"m\": "
	    "\"aa-bb-cc-dd-ee-ff\", \"c\": \"10.1.2.3/24\"}",
	    "{\"ip\": \"fd00::1\", \"c\": \"10.1.2.3/24\", \"m\": "
	    "\"aa-bb-cc-dd-ee-ff\"}");
	VALID(s, "{\"c\": \"0.0.0.0/0\", \"ip\": \"::\"}",
	    "{\"c\": \"0.0.0.0/0\", \"ip\": \"::\"}");
	/* null is absent. */
	VALID(s, "{\"s\": null}", "{}");
	schema_free(s);
}

static void
test_types_invalid(void **state)
{
	struct schema *s = load_ok(
	    "s: {type: string}\n"
	    "i: {type: int}\n"
	    "b: {type: bool}\n"
	    "ip: {type: ip}\n"
	    "c: {type: cidr}\n"
	    "p: {type: port}\n"
	    "m: {type: mac}\n"
	    "e: {type: enum, values: [pass, block]}\n"
	    "l: {type: list}\n"
	    "o: {type: object, fields: {k: {type: string}}}\n");

	INVALID(s, "{\"s\": 5}", "s: expected a string, got an integer");
	INVALID(s, "{\"i\": 1.5}", "i: 1.5 is not an integer");
	INVALID(s, "{\"i\": \"12a\"}", "i: \"12a\" is not an integer");
	INVALID(s, "{\"i\": \"\"}", "i: \"\" is not an integer");
	INVALID(s, "{\"i\": true}", "i: expected an integer, got a boolean");
	INVALID(s, "{\"i\": \"99999999999999999999\"}",
	    "i: \"99999999999999999999\" is out of range");
	INVALID(s, "{\"b\": \"yes\"}",
	    "b: \"yes\" is not a boolean (true or false)");
	INVALID(s, "{\"b\": 1}", "b: expected a boolean, got an integer");
	INVALID(s, "{\"ip\": \"10.0.0.256\"}",
	    "ip: \"10.0.0.256\" is not an IP address");
	INVALID(s, "{\"ip\": \"010.0.0.1\"}",
	    "ip: \"010.0.0.1\" is not an IP address");
	INVALID(s, "{\"ip\": \"fe80::1%eth0\"}",
	    "ip: \"fe80::1%eth0\" is not an IP address");
	INVALID(s, "{\"ip\": 167772161}",
	    "ip: expected an IP address (a string), got an integer");
	INVALID(s, "{\"c\": \"10.0.0.0\"}", "c: \"10.0.0.0\" is not a CIDR "
	    "(address/prefix, e.g. 10.0.0.0/24)");
	INVALID(s, "{\"c\": \"10.0.0.0/33\"}", "c: \"10.0.0.0/33\" is not a "
	    "CIDR (address/prefix, e.g. 10.0.0.0/24)");
	INVALID(s, "{\"c\": \"10.0.0.0/08\"}", "c: \"10.0.0.0/08\" is not a "
	    "CIDR (address/prefix, e.g. 10.0.0.0/24)");
	INVALID(s, "{\"c\": \"::/129\"}", "c: \"::/129\" is not a CIDR "
	    "(address/prefix, e.g. 10.0.0.0/24)");
	INVALID(s, "{\"c\": \"any\"}", "c: \"any\" is not a CIDR "
	    "(address/prefix, e.g. 10.0.0.0/24)");
	INVALID(s, "{\"p\": 0}", "p: 0 is not a port (1-65535)");
	INVALID(s, "{\"p\": 65536}", "p: 65536 is not a port (1-65535)");
	INVALID(s, "{\"p\": \"ssh\"}", "p: \"ssh\" is not a port (1-65535)");
	INVALID(s, "{\"p\": [22]}", "p: expected a port (1-65535), got a list");
	INVALID(s, "{\"m\": \"aa:bb:cc:dd:ee\"}", "m: \"aa:bb:cc:dd:ee\" is "
	    "not a MAC address (aa:bb:cc:dd:ee:ff)");
	INVALID(s, "{\"m\": \"aa:bb-cc:dd:ee:ff\"}", "m: \"aa:bb-cc:dd:ee:ff\" "
	    "is not a MAC address (aa:bb:cc:dd:ee:ff)");
	INVALID(s, "{\"m\": \"gg:bb:cc:dd:ee:ff\"}", "m: \"gg:bb:cc:dd:ee:ff\" "
	    "is not a MAC address (aa:bb:cc:dd:ee:ff)");
	INVALID(s, "{\"e\": \"allow\"}", "e: \"allow\" is not one of: pass, "
	    "block");
	INVALID(s, "{\"e\": \"Pass\"}", "e: \"Pass\" is not one of: pass, "
	    "block");
	INVALID(s, "{\"l\": \"a,b\"}", "l: expected a list, got a string");
	INVALID(s, "{\"l\": [1]}", "l[0]: expected a string, got an integer");
	INVALID(s, "{\"o\": []}", "o: expected an object, got a list");
	INVALID(s, "[]", "expected an object, got a list");
	/* Values in messages are quoted, cut, and control bytes shown. */
	INVALID(s, "{\"ip\": \"a\\nb\\\"\"}",
	    "ip: \"a\\x0ab\\x22\" is not an IP address");
	INVALID(s, "{\"ip\": \"0123456789012345678901234567890123456789XYZ\"}",
	    "ip: \"0123456789012345678901234567890123456789...\" is not an IP "
	    "address");
	schema_free(s);
}

static void
test_cloudstack_strings(void **state)
{
	struct schema *s = load_ok(
	    "i: {type: int}\n"
	    "p: {type: port}\n"
	    "b: {type: bool}\n"
	    "l: {type: list, items: {type: int}}\n");

	/* CloudStack's API maps carry strings: converted in the copy. */
	VALID(s, "{\"i\": \"-42\", \"p\": \"22\", \"b\": \"false\", "
	    "\"l\": [\"1\", 2]}", "{\"i\": -42, \"p\": 22, \"b\": false, "
	    "\"l\": [1, 2]}");
	VALID(s, "{\"b\": \"true\", \"p\": \"0443\"}", "{\"b\": true, "
	    "\"p\": 443}");
	INVALID(s, "{\"p\": \"+22\"}", "p: \"+22\" is not a port (1-65535)");
	INVALID(s, "{\"p\": \" 22\"}", "p: \" 22\" is not a port (1-65535)");
	INVALID(s, "{\"p\": \"65536\"}", "p: 65536 is not a port (1-65535)");
	INVALID(s, "{\"b\": \"True\"}", "b: \"True\" is not a boolean (true or "
	    "false)");
	INVALID(s, "{\"i\": \"1.0\"}", "i: \"1.0\" is not an integer");
	schema_free(s);
}

static void
test_bounds_pattern(void **state)
{
	struct schema *s = load_ok(
	    "name: {type: string, pattern: '^[a-z]+$', min: 2, max: 4}\n"
	    "any: {type: string, pattern: 'a|b'}\n"
	    "n: {type: int, min: -1, max: 10}\n"
	    "p: {type: port, min: 1024}\n"
	    "l: {type: list, min: 1, max: 2}\n"
	    "u: {type: string, max: 3}\n");

	VALID(s, "{\"name\": \"abcd\", \"n\": -1, \"p\": 8080, \"l\": [\"x\"],"
	    " \"u\": \"\xc3\xa9\xc3\xa9\xc3\xa9\", \"any\": \"b\"}",
	    "{\"name\": \"abcd\", \"n\": -1, \"p\": 8080, \"l\": [\"x\"],"
	    " \"u\": \"\xc3\xa9\xc3\xa9\xc3\xa9\", \"any\": \"b\"}");
	INVALID(s, "{\"name\": \"a\"}", "name: has 1 characters; at least 2 "
	    "needed");
	INVALID(s, "{\"name\": \"abcde\"}", "name: has 5 characters; at most 4 "
	    "allowed");
	INVALID(s, "{\"name\": \"AB\"}", "name: \"AB\" does not match the "
	    "pattern ^[a-z]+$");
	/* The pattern is anchored at both ends, alternation included. */
	INVALID(s, "{\"any\": \"ab\"}", "any: \"ab\" does not match the "
	    "pattern a|b");
	INVALID(s, "{\"n\": 11}", "n: 11 is above the maximum 10");
	INVALID(s, "{\"n\": \"-2\"}", "n: -2 is below the minimum -1");
	INVALID(s, "{\"p\": 80}", "p: 80 is below the minimum 1024");
	INVALID(s, "{\"l\": []}", "l: has 0 items; at least 1 needed");
	INVALID(s, "{\"l\": [\"a\", \"b\", \"c\"]}", "l: has 3 items; at "
	    "most 2 allowed");
	INVALID(s, "{\"u\": \"abcd\"}", "u: has 4 characters; at most 3 "
	    "allowed");
	schema_free(s);
}

static void
test_nested_errors(void **state)
{
	struct schema *s = load_ok(
	    "action: {type: enum, values: [pass, block], required: true}\n"
	    "rules:\n"
	    "  type: list\n"
	    "  items:\n"
	    "    type: object\n"
	    "    fields:\n"
	    "      port: {type: port, required: true}\n"
	    "      proto: {type: string, enum: [tcp, udp], default: tcp}\n"
	    "      src: {type: cidr}\n");

	VALID(s, "{\"action\": \"pass\", \"rules\": [{\"port\": \"22\"}, "
	    "{\"port\": 53, \"proto\": \"udp\"}]}",
	    "{\"action\": \"pass\", \"rules\": [{\"port\": 22, \"proto\": "
	    "\"tcp\"}, {\"port\": 53, \"proto\": \"udp\"}]}");
	/* Every problem, one message each, in order, with its path. */
	INVALID(s, "{\"rules\": [{\"port\": 22}, {\"protoc\": \"tcp\"}, "
	    "{\"port\": 65536, \"proto\": \"icmp\", \"src\": \"x\"}], "
	    "\"colour\": 1}",
	    "colour: unknown field\n"
	    "action: is required\n"
	    "rules[1].protoc: unknown field (did you mean proto?)\n"
	    "rules[1].port: is required\n"
	    "rules[2].port: 65536 is not a port (1-65535)\n"
	    "rules[2].proto: \"icmp\" is not one of: tcp, udp\n"
	    "rules[2].src: \"x\" is not a CIDR (address/prefix, e.g. "
	    "10.0.0.0/24)");
	schema_free(s);
}

static void
test_many_errors_capped(void **state)
{
	struct schema	*s = load_ok("l: {type: list, items: {type: port}}\n");
	json_t		*in, *e, *out;
	size_t		 i;

	in = json_pack("{s:[]}", "l");
	for (i = 0; i < 100000; i++)
		json_array_append_new(json_object_get(in, "l"),
		    json_integer(0));
	out = schema_validate(s, in, &e);
	assert_null(out);
	assert_int_equal(json_array_size(e), 101);
	assert_string_equal(json_string_value(json_array_get(e, 0)),
	    "l[0]: 0 is not a port (1-65535)");
	assert_string_equal(json_string_value(json_array_get(e, 100)),
	    "and 1 more problems");
	json_decref(e);
	json_decref(in);
	schema_free(s);
}

static void
test_defaults(void **state)
{
	struct schema *s = load_ok(
	    "source: {type: cidr, default: 0.0.0.0/0}\n"
	    "port: {type: port, default: 22}\n"
	    "on: {type: bool, default: false}\n"
	    "name: {type: string, default: 123}\n"
	    "tags: {type: list, default: [a, b]}\n"
	    "ports: {type: list, items: {type: int}, default: [1, '2']}\n"
	    "o: {type: object, fields: {x: {type: int, default: 5}, "
	    "y: {type: int}}, default: {y: 1}}\n"
	    "action: {type: string, enum: [pass, block], default: pass}\n");

	VALID(s, "{}", "{\"source\": \"0.0.0.0/0\", \"port\": 22, \"on\": "
	    "false, \"name\": \"123\", \"tags\": [\"a\", \"b\"], \"ports\": "
	    "[1, 2], \"o\": {\"x\": 5, \"y\": 1}, \"action\": \"pass\"}");
	VALID(s, "{\"port\": 80, \"o\": {\"y\": 2}}", "{\"source\": "
	    "\"0.0.0.0/0\", \"port\": 80, \"on\": false, \"name\": \"123\", "
	    "\"tags\": [\"a\", \"b\"], \"ports\": [1, 2], \"o\": {\"x\": 5, "
	    "\"y\": 2}, \"action\": \"pass\"}");
	schema_free(s);

	LOAD_FAILS("source: {type: cidr, default: any}\n",
	    "services.FW.data.source.default", "invalid default: \"any\" is "
	    "not a CIDR", 1, 31);
	LOAD_FAILS("p: {type: port, default: 70000}\n",
	    "services.FW.data.p.default", "invalid default: 70000 is not a "
	    "port", 1, 26);
	LOAD_FAILS("e: {type: enum, values: [a], default: b}\n",
	    "services.FW.data.e.default", "invalid default: \"b\" is not one "
	    "of: a", 1, 39);
	LOAD_FAILS("l: {type: list, items: {type: int}, default: [1, x]}\n",
	    "services.FW.data.l.default", "invalid default: [1]: \"x\" is not "
	    "an integer", 1, 46);
}

static void
test_load_errors(void **state)
{
	struct diags	 d;
	struct schema	*s;

	LOAD_FAILS("a: {type: strng}\n", "services.FW.data.a.type",
	    "unknown type 'strng' (did you mean 'string'?); valid types are "
	    "string, int, bool, ip, cidr, port, mac, enum, list and object",
	    1, 11);
	LOAD_FAILS("a: {type: integer}\n", "services.FW.data.a.type",
	    "valid types are string, int", 1, 11);
	LOAD_FAILS("a: strin\n", "services.FW.data.a", "unknown type 'strin'",
	    1, 4);
	LOAD_FAILS("a: {type: string, pattern: '[a-'}\n",
	    "services.FW.data.a.pattern", "invalid regular expression at "
	    "offset 3: missing terminating ] for character class", 1, 28);
	LOAD_FAILS("a: {type: enum}\n", "services.FW.data.a", "an enum needs "
	    "its allowed values", 1, 11);
	LOAD_FAILS("a: {type: enum, values: []}\n",
	    "services.FW.data.a.values", "non-empty list", 1, 25);
	LOAD_FAILS("a: {type: object}\n", "services.FW.data.a", "an object "
	    "needs its fields", 1, 4);
	LOAD_FAILS("a: {type: int, min: 5, max: 1}\n", "services.FW.data.a",
	    "min 5 is greater than max 1", 1, 21);
	LOAD_FAILS("a: {type: int, min: x}\n", "services.FW.data.a.min",
	    "expected an integer", 1, 21);
	LOAD_FAILS("a: {type: int, required: yes}\n",
	    "services.FW.data.a.required", "expected true or false", 1, 26);
	LOAD_FAILS("a: {type: ip, pattern: x}\n", "services.FW.data.a.pattern",
	    "pattern does not apply to a field of type ip", 1, 24);
	LOAD_FAILS("a: {type: bool, max: 1}\n", "services.FW.data.a.max",
	    "max does not apply to a field of type bool", 1, 22);
	LOAD_FAILS("a: {type: int, items: {type: int}}\n",
	    "services.FW.data.a.items", "items does not apply", 1, 23);
	LOAD_FAILS("a: {type: string, fields: {}}\n",
	    "services.FW.data.a.fields", "fields does not apply", 1, 27);
	LOAD_FAILS("a: {type: int, enum: [1]}\n", "services.FW.data.a.values",
	    "values does not apply to a field of type int", 1, 22);
	LOAD_FAILS("a: {values: [x], enum: [y]}\n", "services.FW.data.a.enum",
	    "not both", 1, 18);
	LOAD_FAILS("a: [string]\n", "services.FW.data.a", "expected a field "
	    "definition", 1, 4);
	LOAD_FAILS("a:\n", "services.FW.data.a", "expected a field definition",
	    0, 0);
	LOAD_FAILS("- a\n", "services.FW.data", "expected a map of field "
	    "definitions", 1, 1);
	LOAD_FAILS("l: {type: list, items: {type: object, fields: {p: {type: "
	    "prot}}}}\n", "services.FW.data.l.items.fields.p.type",
	    "unknown type 'prot' (did you mean 'port'?)", 1, 58);

	/* Every problem is reported in one run. */
	s = load("a: {type: strng}\nb: {type: int, min: x}\nc: {tpye: int}\n",
	    &d);
	assert_null(s);
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.nwarnings, 1);
	assert_true(has_diag(&d, DIAG_WARNING, "services.FW.data.c.tpye",
	    "unknown key 'tpye' is ignored (did you mean 'type'?)", 3, 5));
	diags_free(&d);

	/* Unknown keys are warnings: the schema still loads. */
	s = load("a: {type: int, descripton: x}\n", &d);
	assert_non_null(s);
	assert_int_equal(d.nerrors, 0);
	assert_true(has_diag(&d, DIAG_WARNING, "services.FW.data.a.descripton",
	    "did you mean 'description'?", 1, 16));
	diags_free(&d);
	schema_free(s);
}

static void
test_enum_forms(void **state)
{
	struct schema *s = load_ok(
	    "admin_status: {type: string, enum: [\"up\", \"down\"]}\n"
	    "mode: {enum: [a, b]}\n"
	    "n: {type: enum, values: [1, 2]}\n");

	VALID(s, "{\"admin_status\": \"up\", \"mode\": \"b\", \"n\": \"2\"}",
	    "{\"admin_status\": \"up\", \"mode\": \"b\", \"n\": \"2\"}");
	INVALID(s, "{\"admin_status\": \"UP\"}", "admin_status: \"UP\" is not "
	    "one of: up, down");
	INVALID(s, "{\"n\": 2}", "n: expected one of the allowed values (a "
	    "string), got an integer");
	schema_free(s);
}

static void
test_field_names(void **state)
{
	struct schema		*s;
	const char *const	*names;

	s = load_ok("b: int\na: string\nc: {type: ip}\n");
	names = schema_field_names(s);

	assert_string_equal(names[0], "b");
	assert_string_equal(names[1], "a");
	assert_string_equal(names[2], "c");
	assert_null(names[3]);
	assert_true(schema_has_field(s, "a"));
	assert_false(schema_has_field(s, "d"));
	schema_free(s);

	/* An empty data block: no fields, every input field unknown. */
	s = load_ok("{}\n");
	assert_null(schema_field_names(s)[0]);
	VALID(s, "{}", "{}");
	INVALID(s, "{\"x\": 1}", "x: unknown field");
	schema_free(s);
	{
		struct diags d;

		diags_init(&d, "x");
		s = schema_load(NULL, "d", &d);
		assert_non_null(s);
		assert_false(schema_has_field(s, "x"));
		schema_free(s);
		diags_free(&d);
	}
}

static void
test_pattern_limits(void **state)
{
	struct schema	*s;
	json_t		*in, *e, *out;
	char		 buf[64];

	s = load_ok("a: {type: string, pattern: '(a+)+[bc]'}\n");
	memset(buf, 'a', 40);
	buf[40] = 'x';
	buf[41] = '\0';
	in = json_pack("{s:s}", "a", buf);
	out = schema_validate(s, in, &e);
	assert_null(out);
	assert_int_equal(json_array_size(e), 1);
	assert_non_null(strstr(json_string_value(json_array_get(e, 0)),
	    "took too long"));
	json_decref(e);
	json_decref(in);
	schema_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_valid),
		cmocka_unit_test(test_types_invalid),
		cmocka_unit_test(test_cloudstack_strings),
		cmocka_unit_test(test_bounds_pattern),
		cmocka_unit_test(test_nested_errors),
		cmocka_unit_test(test_many_errors_capped),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_enum_forms),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_pattern_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
