/*
 * Fuzz target: the JSONPath compiler and evaluator (provider/jsonpath*.c).
 *
 * The input is an expression, a NUL byte, then a JSON document; without a
 * NUL byte it is all expression, run against a fixed document.  Beyond
 * not crashing or leaking, every result must keep two promises: a failure
 * comes with a message, and each normalized path, compiled as a query of
 * its own, selects exactly the value it was reported with.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "provider/jsonpath.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_doc[] =
    "{\"a\": [1, 2.5, \"x\", true, null, {\"b\": [\"\\u263a\", \"a.b\"]}],"
    " \"c\": {\"d\": {\"e\": \"f\\n'\\\\\"}, \"g\": [[], {}]}, \"\": -0}";

/* The path must select exactly the one value it was reported with. */
static void
check_path(json_t *doc, json_t *path, json_t *value)
{
	struct jp_expr	*e;
	json_t		*v;

	if (json_string_length(path) > JP_MAX_EXPR)
		return;
	if (jp_compilen(json_string_value(path), json_string_length(path), &e,
	    NULL) != 0)
		__builtin_trap();
	if (!jp_is_singular(e))
		__builtin_trap();
	if (jp_query_one(e, doc, &v, NULL) != 0)
		__builtin_trap();
	if (v != value)
		__builtin_trap();
	json_decref(v);
	jp_free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small budgets keep each run short; hitting them is fine. */
	struct jp_limits	 lim = { .max_nodes = 10000, .max_steps = 200000 };
	struct jp_expr		*e = NULL;
	json_t			*doc = NULL, *values = NULL, *paths = NULL;
	const char		*nul;
	char			*cause = NULL;
	size_t			 elen, i;
	int			 error;

	nul = memchr(data, '\0', size);
	elen = nul != NULL ? (size_t)(nul - (const char *)data) : size;
	if (nul != NULL)
		doc = json_loadb(nul + 1, size - elen - 1,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	else
		doc = json_loads(fuzz_doc, 0, NULL);
	if (doc == NULL)
		goto out;

	error = jp_compilen((const char *)data, elen, &e, &cause);
	if ((error == 0) != (e != NULL) || (error != 0 && cause == NULL))
		__builtin_trap();
	if (error != 0)
		goto out;

	error = jp_query_limits(e, doc, &lim, &values, &paths, &cause);
	if (error != 0) {
		if (cause == NULL || values != NULL || paths != NULL)
			__builtin_trap();
		goto out;
	}
	if (json_array_size(values) != json_array_size(paths))
		__builtin_trap();
	for (i = 0; i < json_array_size(paths) && i < 8; i++)
		check_path(doc, json_array_get(paths, i),
		    json_array_get(values, i));
out:
	free(cause);
	if (values != NULL)
		json_decref(values);
	if (paths != NULL)
		json_decref(paths);
	if (doc != NULL)
		json_decref(doc);
	jp_free(e);
	return 0;
}
