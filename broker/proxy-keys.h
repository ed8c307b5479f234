/*
 * In the parent: the proxy's TLS material that the unprivileged role cannot
 * make or keep itself.
 */
#ifndef VB_BROKER_PROXY_KEYS_H
#define VB_BROKER_PROXY_KEYS_H

#include "broker/conf.h"

/*
 * Call once after state_dir exists and before the roles start.  When the
 * proxy role is enabled with a proxy_tls listener and no tls_certificate
 * is configured, load STATE_DIR/proxy-tls.crt and proxy-tls.key, making
 * and saving them (0600) the first time, and put them in the proxy's
 * settings as tls_certificate_pem and tls_key_pem.  Returns 0, or -1 with
 * *cause (allocated).
 */
int	proxy_keys_prepare(struct broker_config *conf, char **cause);

#endif
