/* Unit tests for provider/ydoc.c: positions, strictness and limits. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "provider/ydoc.h"

static struct ynode *
load(const char *text, const struct ydoc_limits *lim, struct diags *d)
{
	int empty;

	diags_init(d, "t.yaml");
	return ydoc_parse(text, strlen(text), lim, d, &empty);
}

static void
test_tree_and_positions(void **state)
{
	struct ynode *root, *v;
	struct diags d;
	long long i;
	int b;

	root = load("a: 1\nb:\n  - x\n  - 'y'\nc: {d: true}\ne: ~\n", NULL, &d);
	assert_non_null(root);
	assert_int_equal(root->type, YNODE_MAP);
	assert_int_equal(root->n, 4);
	v = ynode_get(root, "a");
	assert_int_equal(ynode_int(v, 0, 10, &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(ynode_int(v, 2, 10, &i), -1);	/* out of range */
	v = ynode_get(root, "b");
	assert_int_equal(v->type, YNODE_SEQ);
	assert_int_equal(v->n, 2);
	assert_int_equal(v->items[1]->line, 4);
	assert_int_equal(v->items[1]->column, 5);
	assert_false(v->items[1]->plain);
	v = ynode_get(ynode_get(root, "c"), "d");
	assert_int_equal(ynode_bool(v, &b), 0);
	assert_true(b);
	assert_true(ynode_is_null(ynode_get(root, "e")));
	assert_null(ynode_get(root, "zz"));
	ynode_free(root);
	diags_free(&d);
}

static void
test_quoted_is_not_bool(void **state)
{
	struct ynode *root;
	struct diags d;
	int b;

	root = load("a: 'true'\n", NULL, &d);
	assert_int_equal(ynode_bool(ynode_get(root, "a"), &b), -1);
	ynode_free(root);
	diags_free(&d);
}

static void
test_aliases_refused(void **state)
{
	/* The start of a billion-laughs document. */
	static const char lol[] =
	    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
	struct diags d;

	assert_null(load(lol, NULL, &d));
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.v[0].line, 1);
	assert_non_null(strstr(d.v[0].msg, "anchors"));
	diags_free(&d);
}

static void
test_duplicate_keys_all_reported(void **state)
{
	struct diags d;

	assert_null(load("a: 1\nb: 2\na: 3\nb: 4\nc: 5\n", NULL, &d));
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.v[0].line, 3);
	assert_int_equal(d.v[1].line, 4);
	diags_free(&d);
}

static void
test_complex_key(void **state)
{
	struct diags d;

	assert_null(load("? [a, b]\n: 1\n", NULL, &d));
	assert_non_null(strstr(d.v[0].msg, "map key must be a plain string"));
	diags_free(&d);
}

static void
test_limits(void **state)
{
	struct ydoc_limits lim = ydoc_default_limits;
	char deep[400];
	struct diags d;
	size_t i;

	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[100] = '\0';
	lim.max_depth = 10;
	assert_null(load(deep, &lim, &d));
	assert_non_null(strstr(d.v[0].msg, "nested deeper than 10"));
	diags_free(&d);

	lim = ydoc_default_limits;
	lim.max_nodes = 5;
	assert_null(load("[1, 2, 3, 4, 5, 6, 7]", &lim, &d));
	assert_non_null(strstr(d.v[0].msg, "more than 5 nodes"));
	diags_free(&d);

	lim = ydoc_default_limits;
	lim.max_scalar = 4;
	assert_null(load("abcdefgh", &lim, &d));
	assert_non_null(strstr(d.v[0].msg, "over the limit of 4"));
	diags_free(&d);

	lim = ydoc_default_limits;
	lim.max_bytes = 3;
	assert_null(load("abcdefgh", &lim, &d));
	assert_non_null(strstr(d.v[0].msg, "file of 8 bytes"));
	diags_free(&d);
}

static void
test_multiple_documents(void **state)
{
	struct diags d;

	assert_null(load("a: 1\n---\nb: 2\n", NULL, &d));
	assert_non_null(strstr(d.v[0].msg, "only one YAML document"));
	diags_free(&d);
}

static void
test_empty(void **state)
{
	struct diags d;
	int empty;

	diags_init(&d, "t");
	assert_null(ydoc_parse("# nothing\n", 10, NULL, &d, &empty));
	assert_int_equal(empty, 1);
	assert_int_equal(d.nerrors, 0);
	diags_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_positions),
		cmocka_unit_test(test_quoted_is_not_bool),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_duplicate_keys_all_reported),
		cmocka_unit_test(test_complex_key),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests_name("provider/ydoc", tests, NULL, NULL);
}
