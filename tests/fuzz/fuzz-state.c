/*
 * Fuzz target: a registered object as the parent checks it before it
 * writes a state file, whether it came from an API body, from the engine
 * or from a state file read at start.  The first byte picks the kind:
 * 'n'etwork, 'a'ppliance, 'u'ser (config_check_entry: the object, YAML
 * or JSON), 'b'ootstrap or 'h'ostkey (state_record_check: the engine's
 * records, JSON, named "a1"); any other byte, modulo 5.  Every input
 * must end in either an entry or an error, and leak nothing.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/conf.h"
#include "broker/state-records.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "network", "appliance", "user",
	    "bootstrap", "hostkey" };
	struct netns_spec nets[1], spec;
	struct diags d;
	json_t *apps, *entry;
	const char *kind;
	char *cause = NULL;
	size_t i;

	if (size < 1)
		return 0;
	kind = kinds[data[0] % 5];
	for (i = 0; i < 5; i++)
		if (data[0] == (uint8_t)kinds[i][0])
			kind = kinds[i];
	if (kind[0] == 'b' || kind[0] == 'h') {
		entry = state_record_check(kind, "a1", (const char *)data + 1,
		    size - 1, "fuzz.json", &cause);
		if ((entry != NULL) == (cause != NULL))
			__builtin_trap();
		json_decref(entry);
		free(cause);
		return 0;
	}
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
