/*
 * TLS material for the proxy, usable on both sides: the role builds its
 * listener context from it; the parent (proxy-keys.h) keeps a self-signed
 * certificate in the state directory across restarts.
 */
#ifndef VB_BROKER_PROXY_TLS_H
#define VB_BROKER_PROXY_TLS_H

#include <jansson.h>
#include <openssl/ssl.h>

/*
 * In the role: the TLS listener's context from the settings (PEM text of
 * tls_certificate, tls_key, client_ca), or with a self-signed certificate
 * when none is there.  NULL with *cause.
 */
SSL_CTX	*proxy_tls_context(json_t *settings, char **cause);

/* A new EC P-256 key and self-signed certificate, as PEM (caller frees). */
int	proxy_tls_selfsigned(const char *cn, char **cert_pem, char **key_pem,
	    char **cause);

#endif
