/*
 * The jump host's host keys, on the parent's side: the role runs
 * unprivileged and cannot read the state directory, so the parent loads
 * them (creating them on first start: ed25519, and RSA 3072 for old
 * clients) and hands them to the role inside its configuration memfd
 * (settings "host_keys"), which is sealed and never logged.
 */
#ifndef VB_BROKER_SSH_HOSTKEYS_H
#define VB_BROKER_SSH_HOSTKEYS_H

#include <stdio.h>

#include "broker/conf.h"

/*
 * When the ssh role is enabled: load the host keys from conf->state_dir
 * (creating missing ones, mode 0600, written atomically) and add them to
 * conf->role_settings[ROLE_SSH].  Returns 0, or -1 with *cause.  Call
 * after the state directory has been created and checked.
 */
int	sshr_hostkeys_setup(struct broker_config *conf, char **cause);

/*
 * `vnf-brokerd --print-host-keys`: print each host key's size, SHA256
 * fingerprint and type (as ssh-keygen -l does), then its public key line,
 * creating missing keys like a first start would.  Returns the exit
 * status.
 */
int	sshr_hostkeys_print(struct broker_config *conf, FILE *fp);

#endif
