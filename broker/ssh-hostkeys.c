/*
 * Host keys of the jump host, loaded or created by the parent (see
 * ssh-hostkeys.h).  Private key text is kept only as long as needed and
 * wiped; it never reaches a log.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "broker/ssh-authkeys.h"
#include "broker/ssh-hostkeys.h"
#include "common/xmalloc.h"

#define SSHR_HOSTKEY_MAX	(64 * 1024)	/* bytes of one key file */

static const struct {
	const char		*file;
	enum ssh_keytypes_e	 type;
	int			 bits;
	const char		*label;
} sshr_hostkey_defs[] = {
	{ "ssh_host_ed25519_key", SSH_KEYTYPE_ED25519, 0, "ED25519" },
	{ "ssh_host_rsa_key", SSH_KEYTYPE_RSA, 3072, "RSA" },
};
#define SSHR_NHOSTKEYS	(sizeof(sshr_hostkey_defs) / sizeof(sshr_hostkey_defs[0]))

/* Read a whole small file; NULL with errno set on failure. */
static char *
sshr_read_small(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > SSHR_HOSTKEY_MAX) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return buf;
}

/* Write text to path atomically (temporary file, fsync, rename), 0600. */
static int
sshr_write_atomic(const char *path, const char *text, char **cause)
{
	char *tmp = xasprintf("%s.tmp", path);
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, ret = -1;

	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

/*
 * Load one key, creating it when the file does not exist.  Returns the
 * key and its text (*text, to be wiped by the caller), or NULL.
 */
static ssh_key
sshr_hostkey_get(const char *dir, size_t i, char **text, char **cause)
{
	char *path = xasprintf("%s/%s", dir, sshr_hostkey_defs[i].file);
	ssh_key key = NULL;

	*text = sshr_read_small(path);
	if (*text == NULL && errno != ENOENT) {
		*cause = xasprintf("host key %s: %s", path, strerror(errno));
		goto out;
	}
	if (*text == NULL) {
		if (ssh_pki_generate(sshr_hostkey_defs[i].type,
		    sshr_hostkey_defs[i].bits, &key) != SSH_OK ||
		    ssh_pki_export_privkey_base64(key, NULL, NULL, NULL,
		    text) != SSH_OK) {
			*cause = xasprintf("host key %s: generating a %s key "
			    "failed", path, sshr_hostkey_defs[i].label);
			ssh_key_free(key);
			key = NULL;
			goto out;
		}
		if (sshr_write_atomic(path, *text, cause) == -1) {
			ssh_key_free(key);
			key = NULL;
			explicit_bzero(*text, strlen(*text));
			ssh_string_free_char(*text);
			*text = NULL;
			goto out;
		}
		/* Keep the text in our allocator's memory, like a read. */
		{
			char *copy = xstrdup(*text);

			explicit_bzero(*text, strlen(*text));
			ssh_string_free_char(*text);
			*text = copy;
		}
		goto out;
	}
	if (ssh_pki_import_privkey_base64(*text, NULL, NULL, NULL, &key) !=
	    SSH_OK || ssh_key_type(key) != sshr_hostkey_defs[i].type) {
		*cause = xasprintf("host key %s: not a %s private key without "
		    "passphrase; move it away and a new one is made", path,
		    sshr_hostkey_defs[i].label);
		ssh_key_free(key);
		key = NULL;
		explicit_bzero(*text, strlen(*text));
		free(*text);
		*text = NULL;
	}
out:
	free(path);
	return key;
}

int
sshr_hostkeys_setup(struct broker_config *conf, char **cause)
{
	json_t *keys, *set;
	ssh_key key;
	char *text;
	size_t i;

	if (!conf->roles[ROLE_SSH].enabled)
		return 0;
	keys = json_array();
	for (i = 0; i < SSHR_NHOSTKEYS; i++) {
		if ((key = sshr_hostkey_get(conf->state_dir, i, &text,
		    cause)) == NULL) {
			json_decref(keys);
			return -1;
		}
		ssh_key_free(key);
		json_array_append_new(keys, json_string(text));
		explicit_bzero(text, strlen(text));
		free(text);
	}
	if ((set = conf->role_settings[ROLE_SSH]) == NULL)
		set = conf->role_settings[ROLE_SSH] = json_object();
	json_object_set_new(set, "host_keys", keys);
	return 0;
}

int
sshr_hostkeys_print(struct broker_config *conf, FILE *fp)
{
	ssh_key key, pub;
	unsigned char *hash, *blob;
	char *text, *fp_s, *b64, *cause = NULL;
	const char *why;
	size_t i, hlen, bloblen;
	unsigned bits;
	int status = 0;

	for (i = 0; i < SSHR_NHOSTKEYS; i++) {
		if ((key = sshr_hostkey_get(conf->state_dir, i, &text,
		    &cause)) == NULL) {
			fprintf(stderr, "vnf-brokerd: %s\n", cause);
			free(cause);
			cause = NULL;
			status = 1;
			continue;
		}
		explicit_bzero(text, strlen(text));
		free(text);
		pub = NULL;
		b64 = NULL;
		hash = NULL;
		if (ssh_pki_export_privkey_to_pubkey(key, &pub) != SSH_OK ||
		    ssh_pki_export_pubkey_base64(pub, &b64) != SSH_OK ||
		    ssh_get_publickey_hash(pub, SSH_PUBLICKEY_HASH_SHA256,
		    &hash, &hlen) != 0) {
			fprintf(stderr, "vnf-brokerd: host key %s: cannot "
			    "export its public half\n",
			    sshr_hostkey_defs[i].file);
			status = 1;
		} else {
			bits = 0;
			if (sshr_b64_decode(b64, strlen(b64), &blob,
			    &bloblen) == 0) {
				sshr_key_blob_check(ssh_key_type_to_char(
				    ssh_key_type(pub)), blob, bloblen, &bits,
				    &why);
				free(blob);
			}
			fp_s = ssh_get_fingerprint_hash(
			    SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
			fprintf(fp, "%u %s vnf-broker jump host (%s)\n", bits,
			    fp_s ? fp_s : "?", sshr_hostkey_defs[i].label);
			fprintf(fp, "%s %s\n", ssh_key_type_to_char(
			    ssh_key_type(pub)), b64);
			ssh_string_free_char(fp_s);
		}
		ssh_clean_pubkey_hash(&hash);
		ssh_string_free_char(b64);
		ssh_key_free(pub);
		ssh_key_free(key);
	}
	return status;
}
