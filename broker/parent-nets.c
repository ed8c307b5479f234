#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/parent.h"
#include "common/error.h"
#include "common/log.h"
#include "common/xmalloc.h"

/*
 * Networks are kept in a plain array and looked up by a linear scan: a
 * broker serves hundreds of networks, and lookups happen once per new
 * connection, so a scan of a few hundred short names is not worth a hash.
 */
struct netns_net *
parent_net_find(struct parent *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nnets; i++)
		if (strcmp(netns_net_name(p->nets[i]), name) == 0)
			return p->nets[i];
	return NULL;
}

int
parent_net_attach(struct parent *p, const struct netns_spec *spec,
    char **cause)
{
	struct netns_net *net;
	int r;

	if ((r = netns_spec_check(spec, cause)) != 0)
		return r;
	if (parent_net_find(p, spec->name) != NULL) {
		*cause = xasprintf("network \"%s\" is attached already",
		    spec->name);
		return VB_EEXIST;
	}
	if ((r = netns_attach(spec, &net, cause)) != 0)
		return r;
	p->nets = xreallocarray(p->nets, p->nnets + 1, sizeof(*p->nets));
	p->nets[p->nnets++] = net;	/* netns_attach() logged it */
	return 0;
}

int
parent_net_detach(struct parent *p, const char *name, char **cause)
{
	size_t i;
	int r;

	for (i = 0; i < p->nnets; i++)
		if (strcmp(netns_net_name(p->nets[i]), name) == 0)
			break;
	if (i == p->nnets) {
		*cause = xasprintf("network \"%s\" is not attached", name);
		return VB_ENOTFOUND;
	}
	r = netns_detach(p->nets[i], cause);
	memmove(&p->nets[i], &p->nets[i + 1],
	    (p->nnets - i - 1) * sizeof(*p->nets));
	p->nnets--;
	return r;
}

/* Detach in reverse order of attachment. */
void
parent_net_detach_all(struct parent *p)
{
	char *cause = NULL, *name;

	while (p->nnets > 0) {
		name = xstrdup(netns_net_name(p->nets[p->nnets - 1]));
		if (parent_net_detach(p, name, &cause) != 0) {
			log_error("%s", cause);
			free(cause);
			cause = NULL;
		}
		free(name);
	}
	free(p->nets);
	p->nets = NULL;
}
