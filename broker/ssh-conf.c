/*
 * The `ssh:` section of broker.yaml and the syntax of users'
 * ssh_authorized_keys, checked in the parent for the jump host role.
 */
#include "config.h"

#include <string.h>

#include "broker/conf-int.h"

json_t *
ssh_conf_parse(struct cfg_ctx *c, const struct ynode *map)
{
	static const char *const keys[] = { NULL };

	if (cfg_want(c, map, "ssh", YNODE_MAP) == -1)
		return NULL;
	cfg_check_keys(c, map, "ssh", keys);
	return json_object();
}

void
ssh_conf_check_keys(struct cfg_ctx *c, const struct ynode *seq,
    const char *path)
{
	size_t i;

	for (i = 0; i < seq->n; i++)
		if (seq->items[i]->type == YNODE_SCALAR &&
		    strstr(seq->items[i]->str, "AAAA") == NULL)
			cfg_error(c, seq->items[i], path, "ssh_authorized_keys: "
			    "expected an authorized_keys line such as "
			    "\"ssh-ed25519 AAAA... comment\"");
}
