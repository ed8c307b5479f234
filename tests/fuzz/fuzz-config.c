/*
 * Fuzz target: the broker configuration parser (ydoc + conf), fed
 * arbitrary bytes as a broker.yaml.  Every input must end in either a
 * configuration or diagnostics, within the parser's limits, and leak
 * nothing.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "broker/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct broker_config *conf;
	struct diags d;

	diags_init(&d, "fuzz.yaml");
	conf = config_parse((const char *)data, size, "fuzz.yaml", &d);
	/* The contract: a configuration exactly when there is no error. */
	if ((conf != NULL) != (d.nerrors == 0))
		__builtin_trap();
	config_free(conf);
	diags_free(&d);
	return 0;
}
