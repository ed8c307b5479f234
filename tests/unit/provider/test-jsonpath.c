/*
 * Unit tests for provider/jsonpath*.c: messages and positions, limits,
 * normalized paths, the I-Regexp translation and the corners the
 * compliance suite (jsonpath-cts) does not reach.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "provider/jsonpath-int.h"

/* Run expr on the JSON text doc; the values and paths as compact JSON. */
static int
run(const char *expr, const char *doc, char **values, char **paths)
{
	struct jp_expr	*e;
	json_error_t	 jerr;
	json_t		*d, *v, *p;
	char		*cause;
	int		 error;

	*values = *paths = NULL;
	if ((error = jp_compile(expr, &e, &cause)) != 0) {
		*values = cause;
		return (error);
	}
	d = json_loads(doc, JSON_DECODE_ANY, &jerr);
	assert_non_null(d);
	error = jp_query(e, d, &v, &p, &cause);
	if (error == 0) {
		*values = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		*paths = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(v);
		json_decref(p);
	} else
		*values = cause;
	json_decref(d);
	jp_free(e);
	return (error);
}

static void
expect(const char *expr, const char *doc, const char *values,
    const char *paths)
{
	char	*v, *p;

	assert_int_equal(run(expr, doc, &v, &p), 0);
	assert_string_equal(v, values);
	if (paths != NULL)
		assert_string_equal(p, paths);
	free(v);
	free(p);
}

/* Compiling expr fails with error and exactly the message cause. */
static void
expect_error(const char *expr, int error, const char *cause)
{
	struct jp_expr	*e;
	char		*c;

	assert_int_equal(jp_compile(expr, &e, &c), error);
	assert_null(e);
	assert_non_null(c);
	if (cause != NULL)
		assert_string_equal(c, cause);
	free(c);
}

static void
test_provider_examples(void **state)
{
	const char *doc = "{\"result\": {\"uuid\": \"u-1\"}, \"rows\": ["
	    "{\"uuid\": \"a\", \"enabled\": \"1\"},"
	    "{\"uuid\": \"b\", \"enabled\": \"0\"},"
	    "{\"uuid\": \"c\", \"enabled\": \"1\", \"name\": \"eth0\"}]}";

	expect("$.result.uuid", doc, "[\"u-1\"]", "[\"$['result']['uuid']\"]");
	expect("$.rows[?@.enabled == '1'].uuid", doc, "[\"a\",\"c\"]",
	    "[\"$['rows'][0]['uuid']\",\"$['rows'][2]['uuid']\"]");
	expect("$.rows[-1:0:-1].uuid", doc, "[\"c\",\"b\"]", NULL);
	expect("$..name", doc, "[\"eth0\"]", "[\"$['rows'][2]['name']\"]");
	expect("$.rows[?match(@.name, 'eth[0-9]+')].uuid", doc, "[\"c\"]",
	    NULL);
	expect("$.rows[?count(@.*) > 2].uuid", doc, "[\"c\"]", NULL);
	expect("$.missing", doc, "[]", "[]");
}

static void
test_errors(void **state)
{
	expect_error("", -EINVAL,
	    "jsonpath: at 1: expected '$' at the start of the query");
	expect_error("$[0", -EINVAL,
	    "jsonpath: at 4: expected ']' or ',' after the selector");
	expect_error("$.a ", -EINVAL,
	    "jsonpath: at 4: blank space at the end of the query");
	/* Positions count characters, not bytes. */
	expect_error("$['\xe2\x98\xba'", -EINVAL,
	    "jsonpath: at 6: expected ']' or ',' after the selector");
	expect_error("$[01]", -EINVAL, "jsonpath: at 3: leading zero in index");
	expect_error("$[9007199254740992]", -EINVAL, NULL);
	expect_error("$[?@.a]]", -EINVAL, NULL);
	expect_error("$[?@.* == 1]", -EINVAL,
	    "jsonpath: at 4: a non-singular query cannot be compared: "
	    "expected one name or index per segment, with no blank space "
	    "inside brackets");
	/* RFC 9535's singular-query grammar has no blank inside brackets. */
	expect_error("$[?@[ 'a' ] == 1]", -EINVAL, NULL);
	expect_error("$[?length(@.a)]", -EINVAL,
	    "jsonpath: at 4: the result of length() must be compared: "
	    "expected a comparison operator after the call");
	expect_error("$[?match(@.a, 'x') == true]", -EINVAL,
	    "jsonpath: at 4: the result of match() cannot be compared");
	expect_error("$[?foo(@)]", -EINVAL, "jsonpath: at 4: unknown function "
	    "'foo': expected length, count, match, search or value");
	expect_error("$[?count(@.a, @.b) == 1]", -EINVAL,
	    "jsonpath: at 4: count() takes 1 argument, not 2");
	expect_error("$[?!@.a == 1]", -EINVAL, NULL);
	expect_error("$[?@.a = 1]", -EINVAL,
	    "jsonpath: at 8: expected '==' (comparison), not '='");
	expect_error("$[?true]", -EINVAL, "jsonpath: at 4: a literal must be "
	    "compared: expected a comparison operator after it");
	expect_error("$['\\uD800']", -EINVAL, NULL);
	expect_error("$.a\xff", -EINVAL, "jsonpath: at 4: invalid UTF-8");
	expect_error("$[?@ == 1e400]", -EINVAL,
	    "jsonpath: at 9: number out of range");
}

static void
test_compilen(void **state)
{
	struct jp_expr	*e;
	char		*cause;

	/* A NUL byte inside the text is a character like any other. */
	assert_int_equal(jp_compilen("$['a\0']", 7, &e, &cause), -EINVAL);
	free(cause);
	assert_int_equal(jp_compilen("$.abc", 3, &e, NULL), 0);
	assert_string_equal(jp_source(e), "$.a");
	assert_true(jp_is_singular(e));
	jp_free(e);
	assert_int_equal(jp_compile("$..a", &e, NULL), 0);
	assert_false(jp_is_singular(e));
	jp_free(e);
}

static void
test_expr_limits(void **state)
{
	char	*s;
	size_t	 i;

	/* Length. */
	s = malloc(JP_MAX_EXPR + 2);
	assert_non_null(s);
	s[0] = '$';
	for (i = 1; i <= JP_MAX_EXPR; i += 2)
		memcpy(s + i, "[0", 2);
	s[JP_MAX_EXPR + 1] = '\0';
	expect_error(s, -E2BIG, NULL);
	free(s);

	/* Nesting: JP_MAX_DEPTH levels of parentheses pass, one more not. */
	s = malloc(3 * JP_MAX_DEPTH + 16);
	assert_non_null(s);
	strcpy(s, "$[?");
	for (i = 0; i < JP_MAX_DEPTH - 1; i++)
		strcat(s, "(");
	strcat(s, "@");
	for (i = 0; i < JP_MAX_DEPTH - 1; i++)
		strcat(s, ")");
	strcat(s, "]");
	expect(s, "[1]", "[1]", NULL);
	strcpy(s, "$[?");
	for (i = 0; i < JP_MAX_DEPTH; i++)
		strcat(s, "(");
	strcat(s, "@");
	for (i = 0; i < JP_MAX_DEPTH; i++)
		strcat(s, ")");
	strcat(s, "]");
	expect_error(s, -E2BIG, NULL);
	free(s);

	/* Nested filters count too. */
	s = malloc(5 * JP_MAX_DEPTH + 16);
	assert_non_null(s);
	strcpy(s, "$");
	for (i = 0; i <= JP_MAX_DEPTH; i++)
		strcat(s, "[?@");
	for (i = 0; i <= JP_MAX_DEPTH; i++)
		strcat(s, "]");
	expect_error(s, -E2BIG, NULL);
	free(s);
}

static void
test_query_limits(void **state)
{
	struct jp_limits	 lim = { .max_nodes = 3 };
	struct jp_expr		*e;
	json_t			*doc, *v, *p, *a;
	char			*cause;
	int			 i;

	doc = json_loads("[1,2,3,[4,5]]", 0, NULL);
	assert_int_equal(jp_compile("$[*]", &e, NULL), 0);
	assert_int_equal(jp_query_limits(e, doc, &lim, &v, &p, &cause), -E2BIG);
	assert_string_equal(cause,
	    "jsonpath: a nodelist would hold more than 3 nodes");
	free(cause);
	lim.max_nodes = 4;
	assert_int_equal(jp_query_limits(e, doc, &lim, &v, NULL, &cause), 0);
	assert_int_equal(json_array_size(v), 4);
	json_decref(v);
	jp_free(e);

	json_decref(doc);

	/* The work budget bounds nested descendants. */
	doc = json_array();
	for (i = 0; i < 20; i++)
		json_array_append_new(doc, json_pack("[i,i]", i, i));
	lim.max_nodes = 0;
	lim.max_steps = 100;
	assert_int_equal(jp_compile("$..[?@..[?@..*]]", &e, NULL), 0);
	assert_int_equal(jp_query_limits(e, doc, &lim, &v, NULL, &cause),
	    -E2BIG);
	assert_string_equal(cause,
	    "jsonpath: query exceeded the work limit of 100 steps");
	free(cause);
	lim.max_steps = 0;
	assert_int_equal(jp_query_limits(e, doc, &lim, &v, NULL, &cause), 0);
	json_decref(v);
	jp_free(e);
	json_decref(doc);

	/* A document deeper than the walk allows is refused, not overflown. */
	doc = json_array();
	for (a = doc, i = 0; i < JP_MAX_DOC_DEPTH + 10; i++) {
		json_array_append_new(a, json_array());
		a = json_array_get(a, 0);
	}
	assert_int_equal(jp_compile("$..*", &e, NULL), 0);
	assert_int_equal(jp_query(e, doc, &v, NULL, &cause), -E2BIG);
	assert_non_null(strstr(cause, "nested deeper"));
	free(cause);
	jp_free(e);
	assert_int_equal(jp_compile("$[?@ == $[0]]", &e, NULL), 0);
	assert_int_equal(jp_query(e, doc, &v, NULL, &cause), -E2BIG);
	free(cause);
	jp_free(e);
	json_decref(doc);
}

static void
test_normalized_paths(void **state)
{
	struct jp_expr	*e;
	json_t		*doc, *v, *p;
	char		*s;

	doc = json_object();
	json_object_set_new(doc, "\b\f\n\r\t'\\", json_integer(1));
	json_object_set_new(doc, "\x01\x1f\x7f\"/", json_integer(2));
	json_object_setn_new(doc, "a\0b", 3, json_integer(3));
	json_object_set_new(doc, "\xe2\x98\xba", json_integer(4));
	assert_int_equal(jp_compile("$.*", &e, NULL), 0);
	assert_int_equal(jp_query(e, doc, &v, &p, NULL), 0);
	s = json_dumps(p, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_string_equal(s, "[\"$['\\\\b\\\\f\\\\n\\\\r\\\\t\\\\'\\\\\\\\']\","
	    "\"$['\\\\u0001\\\\u001f\x7f\\\"/']\","
	    "\"$['a\\\\u0000b']\","
	    "\"$['\\u263A']\"]");
	free(s);
	json_decref(v);
	json_decref(p);
	jp_free(e);

	/* Member names holding U+0000 are found by their full length. */
	assert_int_equal(jp_compile("$['a\\u0000b']", &e, NULL), 0);
	assert_int_equal(jp_query(e, doc, &v, NULL, NULL), 0);
	assert_int_equal(json_array_size(v), 1);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 3);
	json_decref(v);
	jp_free(e);
	json_decref(doc);
}

static void
test_query_one(void **state)
{
	struct jp_expr	*e;
	json_t		*doc, *v;
	char		*cause;

	doc = json_loads("{\"a\": [1, 2]}", 0, NULL);
	assert_int_equal(jp_compile("$.a[1]", &e, NULL), 0);
	assert_int_equal(jp_query_one(e, doc, &v, NULL), 0);
	assert_int_equal(json_integer_value(v), 2);
	json_decref(v);
	jp_free(e);
	assert_int_equal(jp_compile("$.b", &e, NULL), 0);
	assert_int_equal(jp_query_one(e, doc, &v, &cause), -ENOENT);
	assert_string_equal(cause, "jsonpath: $.b selects nothing");
	free(cause);
	jp_free(e);
	assert_int_equal(jp_compile("$.a[*]", &e, NULL), 0);
	assert_int_equal(jp_query_one(e, doc, &v, NULL), -ERANGE);
	assert_null(v);
	jp_free(e);
	json_decref(doc);
}

static void
test_comparisons(void **state)
{
	const char *doc = "{\"n\": [1, 1.0, 2, \"1\", true, null],"
	    " \"x\": [[1], [1.0]], \"o\": [{\"a\": 1}, {\"a\": 1.0}],"
	    " \"big\": [9007199254740993, 9007199254740992]}";

	expect("$.n[?@ == 1]", doc, "[1,1.0]", NULL);
	expect("$.n[?@ < 2]", doc, "[1,1.0]", NULL);
	expect("$.n[?@ <= true]", doc, "[true]", NULL);
	expect("$.n[?@ != null]", doc, "[1,1.0,2,\"1\",true]", NULL);
	/* Deep equality compares numbers by value. */
	expect("$.x[?@ == $.x[0]]", doc, "[[1],[1.0]]", NULL);
	expect("$.o[?@ == $.o[1]]", doc, "[{\"a\":1},{\"a\":1.0}]", NULL);
	/* Integers are compared exactly, not through a double. */
	expect("$.big[?@ > 9007199254740992]", doc, "[9007199254740993]",
	    NULL);
	/* Nothing equals only Nothing. */
	expect("$.n[?@.a == @.b]", doc, "[1,1.0,2,\"1\",true,null]", NULL);
	expect("$.n[?@.a == null]", doc, "[]", NULL);
	expect("$.n[?-0 == 0]", doc, "[1,1.0,2,\"1\",true,null]", NULL);
}

static void
test_strings(void **state)
{
	const char *doc = "[\"a\", \"b\", \"\xc3\xa9\", \"ab\", \"\xf0\x9d\x84\x9e\"]";

	/* Code point order is UTF-8 byte order. */
	expect("$[?@ > 'b']", doc, "[\"\xc3\xa9\",\"\xf0\x9d\x84\x9e\"]", NULL);
	expect("$[?@ < 'ab']", doc, "[\"a\"]", NULL);
	expect("$[?length(@) == 1]", doc,
	    "[\"a\",\"b\",\"\xc3\xa9\",\"\xf0\x9d\x84\x9e\"]", NULL);
	expect("$[?@ == '\\u00e9']", doc, "[\"\xc3\xa9\"]", NULL);
	expect("$[?@ == '\\uD834\\uDD1E']", doc, "[\"\xf0\x9d\x84\x9e\"]",
	    NULL);
}

/* Translate an I-Regexp; the PCRE2 text, or NULL if it is invalid. */
static char *
tr(const char *re)
{
	char	*out;
	size_t	 len;
	int	 error;

	error = jp_iregexp_to_pcre(re, strlen(re), &out, &len);
	if (error == -EINVAL)
		return (NULL);
	assert_int_equal(error, 0);
	return (out);
}

static void
expect_tr(const char *re, const char *pcre)
{
	char	*out = tr(re);

	if (pcre == NULL) {
		if (out != NULL)
			fail_msg("'%s' accepted as '%s'", re, out);
		return;
	}
	if (out == NULL)
		fail_msg("'%s' refused", re);
	assert_string_equal(out, pcre);
	free(out);
}

static void
test_iregexp(void **state)
{
	expect_tr("", "");
	expect_tr("abc", "abc");
	expect_tr("a.c", "a[^\\n\\r]c");
	expect_tr("^a$", "\\Aa\\z");
	expect_tr("^*", NULL);		/* an anchor takes no quantifier */
	expect_tr("\\^\\$", NULL);	/* '$' is no SingleCharEsc */
	expect_tr("\\^", "\\x{5e}");
	expect_tr("a|b|", "a|b|");
	expect_tr("(ab)*c+d?", "(?:ab)*c+d?");
	expect_tr("a{2}b{2,}c{2,3}d{01,2}", "a{2}b{2,}c{2,3}d{1,2}");
	expect_tr("[a-z0-9_]", "[a-z0-9\\x{5f}]");
	expect_tr("[^-a]", "[^\\x{2d}a]");
	expect_tr("[a-]", "[a\\x{2d}]");
	expect_tr("[.]", "[\\x{2e}]");
	expect_tr("\\.\\\\\\n\\t\\{", "\\x{2e}\\x{5c}\\x{a}\\x{9}\\x{7b}");
	expect_tr("\\p{Lu}\\P{N}[\\p{L}x]", "\\p{Lu}\\P{N}[\\p{L}x]");
	expect_tr("\xc3\xa9[\xc3\xa0-\xc3\xbf]", "\xc3\xa9[\\x{e0}-\\x{ff}]");

	expect_tr("a**", NULL);		/* PCRE2 would read a possessive */
	expect_tr("a*?", NULL);		/* or a lazy quantifier */
	expect_tr("\\d", NULL);
	expect_tr("\\w", NULL);
	expect_tr("\\1", NULL);
	expect_tr("(?:a)", NULL);
	expect_tr("(a", NULL);
	expect_tr("a)", NULL);
	expect_tr("[]", NULL);
	expect_tr("[a", NULL);
	expect_tr("[a-b-c]", NULL);
	expect_tr("[z-a]", NULL);
	expect_tr("[[]", NULL);
	expect_tr("a{2,1}", NULL);
	expect_tr("a{,2}", NULL);
	expect_tr("a{99999}", NULL);
	expect_tr("{", NULL);
	expect_tr("}", NULL);
	expect_tr("]", NULL);
	expect_tr("\\p{Xx}", NULL);
	expect_tr("\\p{IsBasicLatin}", NULL);
	expect_tr("\\p{Cs}", NULL);
	expect_tr("\\", NULL);
}

static void
test_regex_functions(void **state)
{
	const char *doc = "[\"abc\", \"a\\nc\", \"a\\rc\", \"a\\u2028c\","
	    " \"^ab\", \"xab$\", \"ABC\", 7]";

	/* '.' is any character but \n and \r (RFC 9485 section 5.3). */
	expect("$[?match(@, 'a.c')]", doc, "[\"abc\",\"a\xe2\x80\xa8\x63\"]",
	    NULL);
	expect("$[?search(@, 'b')]", doc, "[\"abc\",\"^ab\",\"xab$\"]", NULL);
	expect("$[?match(@, 'b')]", doc, "[]", NULL);
	/* ^ and $ anchor, as in the suite and ECMAScript; \\^ is a caret. */
	expect("$[?search(@, '^a')]", doc, "[\"abc\",\"a\\nc\",\"a\\rc\","
	    "\"a\xe2\x80\xa8\x63\"]", NULL);
	expect("$[?search(@, 'b$')]", doc, "[\"^ab\"]", NULL);
	expect("$[?search(@, '\\\\^a')]", doc, "[\"^ab\"]", NULL);
	expect("$[?search(@, 'c$')]", "[\"abc\", \"abc\\n\"]", "[\"abc\"]",
	    NULL);
	expect("$[?match(@, '\\\\p{Lu}+')]", doc, "[\"ABC\"]", NULL);
	/* match() is anchored at the very end, not before a newline. */
	expect("$[?match(@, 'a')]", "[\"a\\n\"]", "[]", NULL);
	/* An invalid pattern is LogicalFalse, and its negation true. */
	expect("$[?match(@, 'a**')]", doc, "[]", NULL);
	expect("$[?!search(@, '(')]", "[\"(\"]", "[\"(\"]", NULL);
	/* Patterns from the document, valid and not. */
	expect("$.v[?match(@, $.re)]", "{\"re\": \"a+\", \"v\": [\"aa\", \"b\"]}",
	    "[\"aa\"]", NULL);
	expect("$.v[?match(@, $.re)]", "{\"re\": \"\\\\d\", \"v\": [\"1\"]}",
	    "[]", NULL);
	expect("$.v[?match(@.s, @.re)]", "{\"v\": [{\"s\": \"ab\", \"re\": "
	    "\"a.\"}, {\"s\": \"ab\", \"re\": \"b\"}, {\"s\": \"b\", \"re\": "
	    "\"b\"}]}", "[{\"s\":\"ab\",\"re\":\"a.\"},{\"s\":\"b\",\"re\":"
	    "\"b\"}]", NULL);
}

/* Patterns that make backtracking matchers explode run in linear time. */
static void
test_regex_no_backtracking(void **state)
{
	struct jp_expr	*e;
	json_t		*doc, *v;
	char		*subj;
	size_t		 n = 100000;

	subj = malloc(n + 1);
	assert_non_null(subj);
	memset(subj, 'a', n);
	subj[n] = '\0';
	doc = json_pack("[s, s]", subj, "aab");
	free(subj);
	assert_int_equal(jp_compile("$[?match(@, '(a|aa)*[bc]')]", &e, NULL),
	    0);
	assert_int_equal(jp_query(e, doc, &v, NULL, NULL), 0);
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "aab");
	json_decref(v);
	jp_free(e);
	assert_int_equal(jp_compile("$[?search(@, '(a*)*b')]", &e, NULL), 0);
	assert_int_equal(jp_query(e, doc, &v, NULL, NULL), 0);
	assert_int_equal(json_array_size(v), 1);
	json_decref(v);
	jp_free(e);
	json_decref(doc);
}

static void
test_functions(void **state)
{
	const char *doc = "{\"a\": [1, [2, 3], {\"x\": 4},"
	    " \"\xe2\x98\xba\xe2\x98\xba\"]}";

	expect("$.a[?length(@) == 2]", doc, "[[2,3],\"\xe2\x98\xba\xe2\x98\xba\"]",
	    NULL);
	expect("$.a[?length(@) == 1]", doc, "[{\"x\":4}]", NULL);
	expect("$[?count(@[*]) == 4]", doc, "[[1,[2,3],{\"x\":4},"
	    "\"\xe2\x98\xba\xe2\x98\xba\"]]", NULL);
	expect("$.a[?value(@.x) == 4]", doc, "[{\"x\":4}]", NULL);
	expect("$[?value(@..x) == 4]", doc, "[[1,[2,3],{\"x\":4},"
	    "\"\xe2\x98\xba\xe2\x98\xba\"]]", NULL);
	/* Functions nest: value() gives length() its value. */
	expect("$.a[?length(value(@[*])) == 0]", doc, "[]", NULL);
	expect("$.a[?length(@) == count(@.*)]", doc, "[[2,3],{\"x\":4}]",
	    NULL);
}

static void
test_slices(void **state)
{
	const char *doc = "[0,1,2,3,4,5,6,7,8,9]";

	expect("$[::3]", doc, "[0,3,6,9]", NULL);
	expect("$[::-3]", doc, "[9,6,3,0]", NULL);
	expect("$[-3:]", doc, "[7,8,9]", NULL);
	expect("$[5:1:-2]", doc, "[5,3]", "[\"$[5]\",\"$[3]\"]");
	expect("$[1:5:0]", doc, "[]", NULL);
	expect("$[-9007199254740991:9007199254740991:9007199254740991]", doc,
	    "[0]", NULL);
	expect("$[9007199254740991::-9007199254740991]", doc, "[9]", NULL);
}

static void
test_descendants(void **state)
{
	expect("$..[0]", "[[[1]], [2]]", "[[[1]],[1],1,2]",
	    "[\"$[0]\",\"$[0][0]\",\"$[0][0][0]\",\"$[1][0]\"]");
	expect("$..*", "{\"a\": {\"b\": [1]}, \"c\": 2}",
	    "[{\"b\":[1]},2,[1],1]", NULL);
	expect("$..a..b", "{\"a\": {\"a\": {\"b\": 1}}}", "[1,1]",
	    "[\"$['a']['a']['b']\",\"$['a']['a']['b']\"]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_examples),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_compilen),
		cmocka_unit_test(test_expr_limits),
		cmocka_unit_test(test_query_limits),
		cmocka_unit_test(test_normalized_paths),
		cmocka_unit_test(test_query_one),
		cmocka_unit_test(test_comparisons),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_iregexp),
		cmocka_unit_test(test_regex_functions),
		cmocka_unit_test(test_regex_no_backtracking),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_descendants),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
