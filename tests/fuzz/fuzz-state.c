/*
 * Fuzz target: a registered object as the parent checks it before it
 * writes a state file (config_check_entry), whether it came from an API
 * body or from a state file read at start.  The first byte picks the
 * kind ('n'etwork, 'a'ppliance, 'u'ser; any other byte, modulo 3); the
 * rest is the object, YAML or JSON.
 * Every input must end in either an entry or diagnostics, and leak
 * nothing.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "broker/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "network", "appliance", "user" };
	struct netns_spec nets[1], spec;
	struct diags d;
	json_t *apps, *entry;
	const char *kind;

	if (size < 1)
		return 0;
	kind = data[0] == 'n' ? kinds[0] : data[0] == 'a' ? kinds[1] :
	    data[0] == 'u' ? kinds[2] : kinds[data[0] % 3];
	/* What an appliance or a grant may name: one network, one appliance. */
	memset(nets, 0, sizeof(nets));
	memcpy(nets[0].name, "n1", 3);
	apps = json_pack("{s:{}}", "a1");
	diags_init(&d, "fuzz.json");
	entry = config_check_entry(kind, (const char *)data + 1,
	    size - 1, "fuzz.json", nets, 1, apps, &spec, &d);
	/* The contract: an entry exactly when there is no error. */
	if ((entry != NULL) != (d.nerrors == 0))
		__builtin_trap();
	json_decref(entry);
	json_decref(apps);
	diags_free(&d);
	return 0;
}
