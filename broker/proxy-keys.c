/*
 * In the parent: the self-signed certificates of the proxy's TLS listener
 * and of the control API, made once and kept in the state directory so
 * clients that pinned them keep working across restarts.  The roles cannot
 * write there (they run unprivileged), hence this file, linked into
 * vnf-brokerd.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/proxy-keys.h"
#include "broker/proxy-tls.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define PROXY_KEYS_MAX	(64 * 1024)

/* Read a small file; NULL with errno when it cannot be read. */
static char *
proxy_keys_read(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > PROXY_KEYS_MAX) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Write text to path atomically (temporary file, fsync, rename), 0600. */
static int
proxy_keys_write(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp", path);
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		goto out;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto out;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* One role's listener: see proxy_keys_prepare(). */
static int
proxy_keys_one(struct broker_config *conf, enum role_id role,
    const char *listener, const char *file, const char *cn, char **cause)
{
	const char *state_dir = conf->state_dir;
	char *cpath, *kpath, *cert = NULL, *key = NULL;
	json_t *settings;
	size_t i;
	int rc = -1;

	if (!conf->roles[role].enabled)
		return 0;
	for (i = 0; i < conf->nlisteners; i++)
		if (strcmp(conf->listeners[i].name, listener) == 0)
			break;
	if (i == conf->nlisteners)
		return 0;
	if (conf->role_settings[role] == NULL)
		conf->role_settings[role] = json_object();
	settings = conf->role_settings[role];
	if (json_object_get(settings, "tls_certificate_pem") != NULL ||
	    json_object_get(settings, "tls_certificate") != NULL)
		return 0;
	cpath = xasprintf("%s/%s.crt", state_dir, file);
	kpath = xasprintf("%s/%s.key", state_dir, file);
	cert = proxy_keys_read(cpath);
	key = proxy_keys_read(kpath);
	if (cert == NULL || key == NULL) {
		free(cert);
		if (key != NULL)
			explicit_bzero(key, strlen(key));
		free(key);
		if (proxy_tls_selfsigned(cn, &cert, &key, cause) != 0)
			goto out;
		if (proxy_keys_write(kpath, key) != 0 ||
		    proxy_keys_write(cpath, cert) != 0) {
			*cause = xasprintf("%s: %s", kpath, strerror(errno));
			goto out;
		}
		log_info("made a self-signed certificate for listen.%s: %s",
		    listener, cpath);
	}
	json_object_set_new(settings, "tls_certificate", json_string(cpath));
	json_object_set_new(settings, "tls_certificate_pem", json_string(cert));
	json_object_set_new(settings, "tls_key_pem", json_string(key));
	rc = 0;
out:
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	free(cpath);
	free(kpath);
	return rc;
}

int
proxy_keys_prepare(struct broker_config *conf, char **cause)
{
	if (proxy_keys_one(conf, ROLE_PROXY, "proxy_tls", "proxy-tls",
	    "vnf-broker proxy", cause) != 0)
		return -1;
	return proxy_keys_one(conf, ROLE_ENGINE, "api", "api-tls",
	    "vnf-broker api", cause);
}
