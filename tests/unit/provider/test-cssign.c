/*
 * Unit tests for provider/cssign.c: Java URLEncoder semantics, UTF-16
 * name order, query strings, and the refusals.  The reference vectors
 * run in cssign-vectors.c.
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

#include "provider/cssign.h"

static void
expect_encode(const char *in, const char *want)
{
	char	*out;

	assert_int_equal(cssign_encode(in, strlen(in), &out), 0);
	assert_string_equal(out, want);
	free(out);
}

static void
test_encode(void **state)
{
	expect_encode("AZaz09.-*_", "AZaz09.-*_");
	expect_encode("fw 01/edge~a*b", "fw%2001%2Fedge%7Ea*b");
	expect_encode("p\xc3\xa9rim\xc3\xa8tre", "p%C3%A9rim%C3%A8tre");
	expect_encode("a+b=c&d%", "a%2Bb%3Dc%26d%25");
	expect_encode("", "");
}

static void
test_name_order(void **state)
{
	/* Upper case sorts before lower case, as Java's compareTo. */
	assert_true(cssign_name_cmp("Tags[0].key", "apiKey") < 0);
	assert_true(cssign_name_cmp("apiKey", "apikey") < 0);
	assert_true(cssign_name_cmp("a", "ab") < 0);
	assert_int_equal(cssign_name_cmp("same", "same"), 0);
	/* U+1F600 is D83D DE00 in UTF-16, below U+FF21, though its UTF-8
	 * bytes sort above. */
	assert_true(cssign_name_cmp("\xf0\x9f\x98\x80", "\xef\xbc\xa1") < 0);
	assert_true(cssign_name_cmp("\xef\xbc\xa1", "\xf0\x9f\x98\x80") > 0);
}

static json_t *
params(const char *text)
{
	json_t	*j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return (j);
}

static void
expect_query(const char *p, const char *secret, const char *want_str,
    const char *want_query)
{
	json_t	*j = params(p);
	char	*s, *q, *cause = NULL;

	assert_int_equal(cssign_string(j, &s, &cause), 0);
	assert_string_equal(s, want_str);
	assert_int_equal(cssign_query(j, secret, &q, &cause), 0);
	assert_string_equal(q, want_query);
	free(s);
	free(q);
	json_decref(j);
}

static void
test_query(void **state)
{
	expect_query("{\"command\": \"listZones\", \"apiKey\": \"abc\","
	    " \"response\": \"json\"}", "xyz",
	    "apikey=abc&command=listzones&response=json",
	    "apiKey=abc&command=listZones&response=json"
	    "&signature=Yqz7eeKjpLoy3xcmFgJQUHwEcB0%3D");
	/* Integers and booleans are written as text. */
	expect_query("{\"command\": \"listVirtualMachines\", \"apiKey\": \"K\","
	    " \"page\": 2, \"listall\": true}", "s",
	    "apikey=k&command=listvirtualmachines&listall=true&page=2",
	    "apiKey=K&command=listVirtualMachines&listall=true&page=2"
	    "&signature=wVTmgrQHneVw5JfM8PZcW4awrMw%3D");
	/* A signature already there is left out and replaced. */
	expect_query("{\"command\": \"listZones\", \"apiKey\": \"abc\","
	    " \"Signature\": \"old\", \"response\": \"json\"}", "xyz",
	    "apikey=abc&command=listzones&response=json",
	    "apiKey=abc&command=listZones&response=json"
	    "&signature=Yqz7eeKjpLoy3xcmFgJQUHwEcB0%3D");
}

static void
test_query_encodes_names(void **state)
{
	json_t	*j = params("{\"command\": \"createTags\", \"apiKey\": \"k\","
		    " \"tags[0].key\": \"a b\"}");
	char	*q, *s;

	assert_int_equal(cssign_string(j, &s, NULL), 0);
	/* Signed with the name as the server sees it after decoding. */
	assert_string_equal(s, "apikey=k&command=createtags&tags[0].key=a%20b");
	assert_int_equal(cssign_query(j, "sec", &q, NULL), 0);
	assert_non_null(strstr(q, "&tags%5B0%5D.key=a%20b&signature="));
	free(s);
	free(q);
	json_decref(j);
}

static void
expect_refusal(const char *p, const char *secret, const char *want)
{
	json_t	*j = p != NULL ? params(p) : json_array();
	char	*q = (char *)1, *cause = NULL;

	assert_int_equal(cssign_query(j, secret, &q, &cause), -EINVAL);
	assert_null(q);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	/* Neither the secret nor a value shows in the cause. */
	assert_null(strstr(cause, "s3cr3t"));
	assert_null(strstr(cause, "VALUE"));
	free(cause);
	json_decref(j);
}

static void
test_refusals(void **state)
{
	expect_refusal(NULL, "s3cr3t", "cssign: parameters must be a JSON "
	    "object");
	expect_refusal("{\"apiKey\": \"VALUE\"}", "s3cr3t",
	    "cssign: no 'command' parameter");
	expect_refusal("{\"command\": \"VALUE\"}", "s3cr3t",
	    "cssign: no 'apiKey' parameter");
	expect_refusal("{\"command\": \"c\", \"apiKey\": \"k\", "
	    "\"x\": [\"VALUE\"]}", "s3cr3t", "cssign: parameter 'x' must be a "
	    "string, an integer or a boolean");
	expect_refusal("{\"command\": \"c\", \"apiKey\": \"k\", "
	    "\"x\": 1.5}", "s3cr3t", "cssign: parameter 'x' must be a "
	    "string, an integer or a boolean");
	expect_refusal("{\"command\": \"c\", \"apiKey\": \"k\", "
	    "\"na\\u00efve\": \"VALUE\"}", "s3cr3t", "cssign: parameter name "
	    "at byte 3 is not printable ASCII");
	expect_refusal("{\"command\": \"c\", \"apiKey\": \"k\", "
	    "\"\": \"VALUE\"}", "s3cr3t", "cssign: empty parameter name");
	expect_refusal("{\"command\": \"c\", \"apiKey\": \"k\", "
	    "\"signatureversion\": \"3\"}", "s3cr3t", "cssign: "
	    "signatureversion 3 needs an 'expires' parameter");
	expect_refusal("{\"command\": \"c\", \"apiKey\": \"k\", "
	    "\"signatureversion\": \"3\", \"expires\": \"VALUE\"}", "s3cr3t",
	    "cssign: 'expires' must read yyyy-MM-ddTHH:mm:ss+hhmm, such as "
	    "2026-11-27T23:00:00+0000");
	expect_refusal("{\"command\": \"c\", \"apiKey\": \"k\"}", "",
	    "cssign: the secret key is empty");
}

static void
test_value_limit(void **state)
{
	json_t	*j = params("{\"command\": \"c\", \"apiKey\": \"k\"}");
	char	*big, *q, *cause;

	big = malloc(CSSIGN_MAX_VALUE + 2);
	assert_non_null(big);
	memset(big, 'v', CSSIGN_MAX_VALUE + 1);
	big[CSSIGN_MAX_VALUE + 1] = '\0';
	json_object_set_new(j, "userdata", json_string(big));
	assert_int_equal(cssign_query(j, "s", &q, &cause), -EINVAL);
	assert_string_equal(cause, "cssign: parameter 'userdata' is 65537 "
	    "bytes, more than the limit of 65536");
	free(cause);
	free(big);
	json_decref(j);
}

static void
test_expires(void **state)
{
	char	buf[CSSIGN_EXPIRES_LEN];
	json_t	*j;
	char	*q;

	assert_int_equal(cssign_expires(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00+0000");
	assert_int_equal(cssign_expires(1795820400, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-27T23:00:00+0000");
	assert_int_equal(cssign_expires(0, buf, 10), -EINVAL);
	/* What cssign_expires writes is what cssign_query accepts. */
	j = params("{\"command\": \"c\", \"apiKey\": \"k\", "
	    "\"signatureversion\": \"3\"}");
	assert_int_equal(cssign_expires(1795820400, buf, sizeof(buf)), 0);
	json_object_set_new(j, "expires", json_string(buf));
	assert_int_equal(cssign_query(j, "s", &q, NULL), 0);
	assert_non_null(strstr(q, "expires=2026-11-27T23%3A00%3A00%2B0000"));
	free(q);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_name_order),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_encodes_names),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_value_limit),
		cmocka_unit_test(test_expires),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
