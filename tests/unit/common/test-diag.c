/* Unit tests for common/diag.c and common/strutil.c. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/diag.h"
#include "common/strutil.h"

static void
test_format_and_counts(void **state)
{
	struct diags d;
	char *buf = NULL, *first;
	size_t len = 0;
	FILE *fp;

	diags_init(&d, "f.yaml");
	diag_add(&d, DIAG_WARNING, 3, 4, "a.b", "odd %s", "thing");
	diag_add(&d, DIAG_ERROR, 5, 6, "", "broken");
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.nwarnings, 1);
	fp = open_memstream(&buf, &len);
	diags_print(&d, fp);
	fclose(fp);
	assert_string_equal(buf, "f.yaml:3:4: warning: a.b: odd thing\n"
	    "f.yaml:5:6: error: broken\n");
	first = diags_first_error(&d);
	assert_string_equal(first, "f.yaml:5:6: error: broken");
	free(first);
	free(buf);
	diags_free(&d);
}

static void
test_limit(void **state)
{
	struct diags d;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp;

	diags_init(&d, "f");
	d.limit = 2;
	for (i = 0; i < 5; i++)
		diag_add(&d, DIAG_ERROR, 1, 1, NULL, "e%zu", i);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.nerrors, 5);
	fp = open_memstream(&buf, &len);
	diags_print(&d, fp);
	fclose(fp);
	assert_non_null(strstr(buf, "3 more problems not shown"));
	free(buf);
	diags_free(&d);
}

static void
test_suggest(void **state)
{
	static const char *const keys[] = { "user", "state_dir", "run_dir",
	    "networks", NULL };

	assert_int_equal(str_distance("", ""), 0);
	assert_int_equal(str_distance("abc", "abc"), 0);
	assert_int_equal(str_distance("usr", "user"), 1);
	assert_int_equal(str_distance("ab", "ba"), 1);	/* transposition */
	assert_string_equal(str_suggest("usr", keys), "user");
	assert_string_equal(str_suggest("netwroks", keys), "networks");
	assert_string_equal(str_suggest("statedir", keys), "state_dir");
	assert_null(str_suggest("completely", keys));
}

static void
test_copy(void **state)
{
	char buf[4];

	assert_int_equal(str_copy(buf, "ab", sizeof(buf)), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(str_copy(buf, "abcdef", sizeof(buf)), 6);
	assert_string_equal(buf, "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_counts),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests_name("common/diag", tests, NULL, NULL);
}
