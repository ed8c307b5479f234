/*
 * The broker's configuration: /etc/vnf-broker/broker.yaml, or the embedded
 * default when no file is given and that one does not exist.
 *
 * Parsing reports every problem in one pass (file:line:column, key path,
 * what was found and what was expected) into a struct diags; the resulting
 * struct broker_config is only used when there were no errors.
 */
#ifndef VB_BROKER_CONF_H
#define VB_BROKER_CONF_H

#include <stddef.h>

#include <jansson.h>

#include "common/diag.h"
#include "common/log.h"
#include "netns/netns.h"

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/vnf-broker/broker.yaml"

enum role_id {
	ROLE_SSH = 0,
	ROLE_PROXY,
	ROLE_ENGINE,
	ROLE_MAX
};

struct role_conf {
	int	  enabled;
	char	 *program;	/* absolute path of the role's executable */
	char	**args;		/* extra arguments, NULL-terminated */
	size_t	  nargs;
};

#define CONF_LISTENERS_MAX	16
/* Seconds a role replaced on SIGHUP may serve what it has open. */
#define CONF_DRAIN_TIMEOUT	3600

struct conf_listener {
	char	name[16];		/* ssh, proxy, proxy_tls, api */
	char	addr[64];		/* as written: 127.0.0.1:2222 */
};

struct broker_config {
	char		*path;		/* where it came from ("(default)") */
	char		*user;		/* unprivileged user the roles run as */
	char		*state_dir;
	char		*run_dir;
	enum log_level	 log_level;
	int		 log_syslog;
	struct role_conf roles[ROLE_MAX];
	unsigned	 restart_backoff_max;	/* seconds, doubling from 1 */
	unsigned	 drain_timeout;	/* seconds a replaced role may drain */
	char		*audit_log;	/* NULL: audit lines go to stderr */
	struct conf_listener listeners[CONF_LISTENERS_MAX];
	size_t		 nlisteners;
	/*
	 * What the roles are told (dns_suffix, appliances, users with their
	 * grants), as JSON; each role also gets its own section's settings.
	 */
	json_t		*view;
	json_t		*role_settings[ROLE_MAX];
	struct netns_spec *networks;
	size_t		 nnetworks;
	/* The networks entries as written (JSON objects), for the engine. */
	json_t		*network_entries;
};

/* The embedded default, as YAML text (what --print-default-config shows). */
extern const char config_default_yaml[];

/* Role names as written in the configuration, indexed by enum role_id. */
const char *config_role_name(enum role_id id);

/*
 * Parse YAML text; file names it in diagnostics.  Returns a new
 * configuration (caller frees with config_free()) or NULL when d has
 * errors.
 */
struct broker_config *config_parse(const char *buf, size_t len,
	    const char *file, struct diags *d);

/*
 * Load path; when path is NULL, CONFIG_DEFAULT_PATH, falling back to the
 * embedded default if that file does not exist.  d is initialised here
 * with the file's name; the caller frees it with diags_free().
 */
struct broker_config *config_load(const char *path, struct diags *d);

void	config_free(struct broker_config *conf);

/* H2: state */
/*
 * Check one registered object (a state file, an API body) exactly as an
 * entry of broker.yaml's list for kind: "network", "appliance" or "user".
 * buf is YAML or JSON; file names it in d's diagnostics (line:column).
 * nets (nnets) are the networks an appliance or grant may name;
 * appliances is an object whose keys are the appliance names a grant may
 * name.  Returns the entry as the views hold it (a new reference), or
 * NULL after errors; for a network, *spec is filled in too.
 */
json_t	*config_check_entry(const char *kind, const char *buf, size_t len,
	    const char *file, const struct netns_spec *nets, size_t nnets,
	    json_t *appliances, struct netns_spec *spec, struct diags *d);
/* A YAML node as JSON (plain scalars typed per YAML 1.2 core). */
struct ynode;
json_t	*config_node_json(const struct ynode *n);
/* end H2: state */

#endif
