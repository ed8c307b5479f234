/*
 * Fuzz target: data schemas.  The input is a `data:` block in YAML,
 * optionally followed by a NUL and a JSON document to validate against
 * it.  A schema must load exactly when there is no error, and a
 * validation must give a copy exactly when it reports no problem.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "provider/schema.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags	 d;
	struct schema	*s = NULL;
	struct ynode	*root;
	json_t		*in = NULL, *out, *errors = NULL;
	const char	*src = (const char *)data, *nul;
	size_t		 len = size;
	int		 empty;

	if ((nul = memchr(src, '\0', size)) != NULL) {
		in = json_loadb(nul + 1, size - (size_t)(nul - src) - 1,
		    JSON_DECODE_ANY, NULL);
		len = (size_t)(nul - src);
	}
	diags_init(&d, "fuzz.yaml");
	root = ydoc_parse(src, len, NULL, &d, &empty);
	if (root != NULL) {
		s = schema_load(root, "data", &d);
		if ((s != NULL) != (d.nerrors == 0))
			__builtin_trap();
	}
	if (s != NULL && in != NULL) {
		out = schema_validate(s, in, &errors);
		if (errors == NULL ||
		    (out != NULL) != (json_array_size(errors) == 0))
			__builtin_trap();
		json_decref(out);
		json_decref(errors);
	}
	schema_free(s);
	ynode_free(root);
	json_decref(in);
	diags_free(&d);
	return 0;
}
