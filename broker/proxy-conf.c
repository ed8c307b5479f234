/* The `proxy:` section of broker.yaml, checked in the parent. */
#include "config.h"

#include "broker/conf-int.h"

json_t *
proxy_conf_parse(struct cfg_ctx *c, const struct ynode *map)
{
	static const char *const keys[] = { NULL };

	if (cfg_want(c, map, "proxy", YNODE_MAP) == -1)
		return NULL;
	cfg_check_keys(c, map, "proxy", keys);
	return json_object();
}
