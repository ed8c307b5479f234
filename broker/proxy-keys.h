/*
 * In the parent: the proxy's TLS material that the unprivileged role cannot
 * make or keep itself.
 */
#ifndef VB_BROKER_PROXY_KEYS_H
#define VB_BROKER_PROXY_KEYS_H

#include "broker/conf.h"

/*
 * Call once after state_dir exists and before the roles start.  For each
 * TLS listener whose role is enabled and has no tls_certificate configured
 * (proxy_tls for the proxy, api for the engine), load
 * STATE_DIR/NAME.crt and NAME.key (proxy-tls, api-tls), making and saving
 * them (0600) the first time, and put them in the role's settings as
 * tls_certificate_pem and tls_key_pem: clients that pinned the
 * certificate keep working across restarts.  Returns 0, or -1 with
 * *cause (allocated).
 */
int	proxy_keys_prepare(struct broker_config *conf, char **cause);

#endif
