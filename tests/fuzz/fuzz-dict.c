/*
 * Fuzz target: the provider dictionary loader (ydoc, the model and every
 * load-time check: templates, schemas, JSONPath, PCRE2).  Every input must
 * end in either a dictionary or diagnostics, within the loader's limits,
 * and leak nothing.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "provider/dict.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_dict *dict;
	struct diags d;

	diags_init(&d, "fuzz.yaml");
	dict = prov_dict_parse((const char *)data, size, "fuzz.yaml", &d);
	/* The contract: a dictionary exactly when there is no error. */
	if ((dict != NULL) != (d.nerrors == 0))
		__builtin_trap();
	prov_dict_free(dict);
	diags_free(&d);
	return 0;
}
