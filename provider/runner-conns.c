/*
 * Connection reuse (struct prov_run_conns): authenticated SSH connections,
 * with their CLI session, HTTP login tokens, and HTTP(S) connections (a
 * libcurl handle with its open connections), kept between operations.
 *
 * An entry is keyed by what makes a connection the same one: the kind
 * ("ssh", "http"), the appliance, the dictionary connection, the rendered
 * host, port and user, and the mode (exec or cli).  The credentials are
 * not part of the key: the entry holds their SHA-256 (never the secrets
 * themselves), and a take with other credentials closes the old entry,
 * so a rotated password never meets a connection logged in with the old
 * one.
 *
 * Entries are taken out for the length of an operation and put back
 * after it: an entry in the table is never in use, so the reaper may
 * close it and two threads can never share one.  The pool runs one
 * operation at a time per appliance, so in practice the one connection
 * of an appliance goes from one operation to the next; a caller running
 * two at once for the same key simply gets a second connection, and
 * only one of the two is kept when both come back.
 *
 * One mutex guards the table and one thread closes what has been idle
 * for longer than the idle time, once a second.  Lookups walk one hash
 * bucket; the reaper walks everything once a second, which for the
 * thousands of appliances a broker serves is microseconds.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "provider/runner-int.h"

#define CONNS_BUCKETS	256

struct centry {
	struct centry	*next;
	char		*key;
	char		*appliance;
	unsigned char	 cred[PROV_RUN_CRED_LEN];
	struct sshx_conn *c;
	struct sshx_cli	*cli;
	char		*home;		/* CLI: the prompt after login */
	char		*token;		/* HTTP login token */
	struct prov_http_keep *http;	/* HTTP(S) connections */
	long long	 used;		/* put back at, monotonic ms */
};

struct prov_run_conns {
	pthread_mutex_t	 mu;
	pthread_cond_t	 wake;
	pthread_t	 reaper;
	int		 reaper_started;
	int		 stopping;
	int		 idle_ms;
	size_t		 max;
	size_t		 n;
	struct centry	*buckets[CONNS_BUCKETS];
};

static size_t
conns_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h % CONNS_BUCKETS;
}

/* Close and free an entry; never under the mutex (a close may block). */
static void
centry_free(struct centry *e)
{
	if (e == NULL)
		return;
	sshx_cli_close(e->cli);
	sshx_close(e->c);
	freezero_str(e->token);
	prov_http_keep_free(e->http);
	free(e->home);
	free(e->key);
	free(e->appliance);
	free(e);
}

static void
centry_free_list(struct centry *e)
{
	struct centry *n;

	for (; e != NULL; e = n) {
		n = e->next;
		centry_free(e);
	}
}

/* Unlink the entries idle since before limit (all when limit < 0). */
static struct centry *
conns_expire(struct prov_run_conns *p, long long limit, const char *appliance)
{
	struct centry **pp, *e, *out = NULL;
	size_t b;

	for (b = 0; b < CONNS_BUCKETS; b++)
		for (pp = &p->buckets[b]; (e = *pp) != NULL;) {
			if ((appliance != NULL &&
			    strcmp(e->appliance, appliance) == 0) ||
			    (appliance == NULL && (limit < 0 ||
			    e->used < limit))) {
				*pp = e->next;
				e->next = out;
				out = e;
				p->n--;
			} else
				pp = &e->next;
		}
	return out;
}

static void *
conns_reaper(void *arg)
{
	struct prov_run_conns *p = arg;
	struct centry *old;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->wake, &p->mu, &ts);
		if (p->stopping)
			break;
		old = conns_expire(p, prov_run_now_ms() - p->idle_ms, NULL);
		if (old == NULL)
			continue;
		pthread_mutex_unlock(&p->mu);
		log_debug("runner: closing connections idle for %d ms",
		    p->idle_ms);
		centry_free_list(old);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
prov_run_conns_new(const struct prov_run_conns_opts *o,
    struct prov_run_conns **out, char **cause)
{
	struct prov_run_conns *p;
	int rc;

	*out = NULL;
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->idle_ms = o != NULL && o->idle_ms > 0 ? o->idle_ms :
	    PROV_RUN_IDLE_MS;
	p->max = o != NULL && o->max > 0 ? o->max : PROV_RUN_MAX_CONNS;
	if ((rc = pthread_create(&p->reaper, NULL, conns_reaper, p)) != 0) {
		if (cause != NULL)
			*cause = xasprintf("runner: cannot start the idle "
			    "connection reaper: %s", strerror(rc));
		prov_run_conns_free(p);
		return -rc;
	}
	p->reaper_started = 1;
	*out = p;
	return 0;
}

void
prov_run_conns_free(struct prov_run_conns *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);
	if (p->reaper_started)
		pthread_join(p->reaper, NULL);
	centry_free_list(conns_expire(p, -1, NULL));
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void
prov_run_conns_forget(struct prov_run_conns *p, const char *appliance)
{
	struct centry *old;

	if (p == NULL || appliance == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	old = conns_expire(p, 0, appliance);
	pthread_mutex_unlock(&p->mu);
	centry_free_list(old);
}

size_t
prov_run_conns_count(struct prov_run_conns *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->n;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* Unlink the entry of key, or NULL. */
static struct centry *
conns_unlink(struct prov_run_conns *p, const char *key)
{
	struct centry **pp, *e;

	for (pp = &p->buckets[conns_hash(key)]; (e = *pp) != NULL;
	    pp = &e->next)
		if (strcmp(e->key, key) == 0) {
			*pp = e->next;
			e->next = NULL;
			p->n--;
			return e;
		}
	return NULL;
}

/* Take key's entry out when its credentials match; close it when not. */
static struct centry *
conns_take(struct prov_run_conns *p, const char *key,
    const unsigned char *cred)
{
	struct centry *e;

	pthread_mutex_lock(&p->mu);
	e = conns_unlink(p, key);
	pthread_mutex_unlock(&p->mu);
	if (e != NULL && memcmp(e->cred, cred, PROV_RUN_CRED_LEN) != 0) {
		log_debug("runner: %s: the credentials changed; closing the "
		    "kept connection", e->appliance);
		centry_free(e);
		e = NULL;
	}
	return e;
}

/*
 * Put an entry (back) in the table.  One per key: an entry already there
 * (another thread's) is closed.  When the table is full, the entry idle
 * the longest goes.
 */
static void
conns_put(struct prov_run_conns *p, struct centry *e)
{
	struct centry *old, *oldest = NULL, **pp, *x;
	size_t b;

	e->used = prov_run_now_ms();
	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mu);
		centry_free(e);
		return;
	}
	old = conns_unlink(p, e->key);
	if (old == NULL && p->n >= p->max) {
		for (b = 0; b < CONNS_BUCKETS; b++)
			for (x = p->buckets[b]; x != NULL; x = x->next)
				if (oldest == NULL || x->used < oldest->used)
					oldest = x;
		if (oldest != NULL) {
			old = conns_unlink(p, oldest->key);
			log_info("runner: %zu connections kept, the limit; "
			    "closing the one of %s idle the longest", p->max,
			    old->appliance);
		}
	}
	pp = &p->buckets[conns_hash(e->key)];
	e->next = *pp;
	*pp = e;
	p->n++;
	pthread_mutex_unlock(&p->mu);
	centry_free(old);
}

static struct centry *
centry_new(const char *key, const char *appliance, const unsigned char *cred)
{
	struct centry *e = xcalloc(1, sizeof(*e));

	e->key = xstrdup(key);
	e->appliance = xstrdup(appliance != NULL ? appliance : "");
	memcpy(e->cred, cred, PROV_RUN_CRED_LEN);
	return e;
}

void
prov_run_cred(unsigned char *out, const char *const *parts, size_t n)
{
	EVP_MD_CTX *md;
	unsigned int len = PROV_RUN_CRED_LEN;
	size_t i;

	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("runner: SHA-256 unavailable");
	for (i = 0; i < n; i++) {
		const char *s = parts[i] != NULL ? parts[i] : "";

		/* NUL-separated, and NULL apart from "": no ambiguity. */
		EVP_DigestUpdate(md, parts[i] != NULL ? "s" : "n", 1);
		EVP_DigestUpdate(md, s, strlen(s) + 1);
	}
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

/* SSH: see runner-int.h. */

int
prov_run_conns_ssh_take(struct prov_run_conns *p, const char *key,
    const unsigned char *cred, struct sshx_conn **c, struct sshx_cli **cli,
    char **home)
{
	struct centry *e;

	*c = NULL;
	*cli = NULL;
	*home = NULL;
	if (p == NULL || (e = conns_take(p, key, cred)) == NULL)
		return 0;
	if (e->c == NULL || !sshx_alive(e->c) ||
	    (e->cli != NULL && !sshx_cli_usable(e->cli))) {
		log_debug("runner: %s: the kept SSH connection is gone; a new "
		    "one is made", e->appliance);
		centry_free(e);
		return 0;
	}
	*c = e->c;
	*cli = e->cli;
	*home = e->home;
	e->c = NULL;
	e->cli = NULL;
	e->home = NULL;
	centry_free(e);
	return 1;
}

void
prov_run_conns_ssh_put(struct prov_run_conns *p, const char *key,
    const char *appliance, const unsigned char *cred, struct sshx_conn *c,
    struct sshx_cli *cli, char *home)
{
	struct centry *e;

	if (p == NULL) {
		sshx_cli_close(cli);
		sshx_close(c);
		free(home);
		return;
	}
	e = centry_new(key, appliance, cred);
	e->c = c;
	e->cli = cli;
	e->home = home;
	conns_put(p, e);
}

/* HTTP(S) connections: see runner-int.h. */

struct prov_http_keep *
prov_run_conns_http_take(struct prov_run_conns *p, const char *key,
    const unsigned char *cred)
{
	struct centry *e;
	struct prov_http_keep *k;

	if (p == NULL)
		return NULL;
	if ((e = conns_take(p, key, cred)) == NULL || e->http == NULL) {
		centry_free(e);
		return prov_http_keep_new();
	}
	k = e->http;
	e->http = NULL;
	centry_free(e);
	return k;
}

void
prov_run_conns_http_put(struct prov_run_conns *p, const char *key,
    const char *appliance, const unsigned char *cred,
    struct prov_http_keep *k)
{
	struct centry *e;

	if (k == NULL)
		return;
	if (p == NULL) {
		prov_http_keep_free(k);
		return;
	}
	e = centry_new(key, appliance, cred);
	e->http = k;
	conns_put(p, e);
}

/* HTTP login tokens. */

char *
prov_run_conns_token_get(struct prov_run_conns *p, const char *key,
    const unsigned char *cred)
{
	struct centry *e;
	char *tok = NULL;

	if (p == NULL || (e = conns_take(p, key, cred)) == NULL)
		return NULL;
	tok = xstrdup(e->token);
	conns_put(p, e);
	return tok;
}

void
prov_run_conns_token_set(struct prov_run_conns *p, const char *key,
    const char *appliance, const unsigned char *cred, const char *token)
{
	struct centry *e;

	if (p == NULL)
		return;
	if (token == NULL) {
		pthread_mutex_lock(&p->mu);
		e = conns_unlink(p, key);
		pthread_mutex_unlock(&p->mu);
		centry_free(e);
		return;
	}
	e = centry_new(key, appliance, cred);
	e->token = xstrdup(token);
	conns_put(p, e);
}
