/*
 * Spare sockets.  A socket inside a guest network can only come from the
 * parent, and asking costs a round trip over the channel (two context
 * switches and the parent's two namespace switches) on the path of every
 * new tunnel.
 * So the runtime keeps a few sockets already made in each network a role
 * used lately, per address family, and tops them up in the background:
 * a CONNECT or direct-tcpip then gets its socket as soon as the event loop
 * turns, and the parent's work happens off the critical path.
 *
 * A spare is an unconnected socket, exactly what the parent would have
 * sent for the request, so nothing about a tunnel changes but its wait.
 * What keeps this honest:
 *   - bounded: ROLE_SPARE_PER per network and family, ROLE_SPARE_NETS
 *     networks (the least recently used goes first);
 *   - a socket keeps its namespace alive, so spares must not outlive
 *     their network: every new view from the parent (which follows an
 *     attach or detach) closes them all, and a network unused for
 *     ROLE_SPARE_IDLE seconds gives its spares back;
 *   - a refill the parent refuses (network gone, out of descriptors)
 *     drops that network's entry instead of retrying.
 *
 * One role runtime per process, so the refill callbacks find the spares
 * through a file-scope pointer; an entry is named by a serial number, so
 * a socket arriving for an entry since closed is closed too.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/role-int.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "netns/netns.h"

struct spare_net {
	uint32_t	 serial;	/* 0: slot free */
	char		 network[NETNS_NAME_MAX + 1];
	int		 domain;
	int		 fd[ROLE_SPARE_PER];
	int		 n;
	int		 asking;	/* refills in flight */
	time_t		 used;
};

/* A socket served from the spares, handed over on the next loop turn. */
struct spare_give {
	long			 handle;
	int			 fd;
	role_socket_cb		 cb;	/* NULL once cancelled */
	void			*arg;
	struct event		*ev;
	TAILQ_ENTRY(spare_give)	 link;
};

struct role_spares {
	struct role_rt		*rt;
	struct spare_net	 nets[ROLE_SPARE_NETS];
	uint32_t		 next_serial;
	long			 next_handle;
	TAILQ_HEAD(, spare_give) gives;
	struct event		*ev_sweep;
	int			 off;	/* stopping: no more spares */
};

static struct role_spares *spares_self;

static time_t
spare_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
spare_net_close(struct spare_net *sn)
{
	while (sn->n > 0)
		close(sn->fd[--sn->n]);
	sn->serial = 0;
	sn->asking = 0;
}

static struct spare_net *
spare_net_by_serial(struct role_spares *sp, uint32_t serial)
{
	size_t i;

	for (i = 0; i < ROLE_SPARE_NETS; i++)
		if (sp->nets[i].serial == serial && serial != 0)
			return &sp->nets[i];
	return NULL;
}

/* The entry of (network, domain), made when asked to (evicting the LRU). */
static struct spare_net *
spare_net_get(struct role_spares *sp, const char *network, int domain,
    int make)
{
	struct spare_net *sn, *free_slot = NULL, *oldest = NULL;
	size_t i;

	for (i = 0; i < ROLE_SPARE_NETS; i++) {
		sn = &sp->nets[i];
		if (sn->serial == 0) {
			if (free_slot == NULL)
				free_slot = sn;
			continue;
		}
		if (sn->domain == domain && strcmp(sn->network, network) == 0)
			return sn;
		if (oldest == NULL || sn->used < oldest->used)
			oldest = sn;
	}
	if (!make)
		return NULL;
	if ((sn = free_slot) == NULL) {
		sn = oldest;
		spare_net_close(sn);
	}
	if (str_copy(sn->network, network, sizeof(sn->network)) >=
	    sizeof(sn->network))
		return NULL;
	sn->domain = domain;
	sn->n = 0;
	sn->asking = 0;
	if (++sp->next_serial == 0)
		sp->next_serial = 1;
	sn->serial = sp->next_serial;
	return sn;
}

static void
spare_arrived(int fd, const char *msg, void *arg)
{
	struct role_spares *sp = spares_self;
	struct spare_net *sn;

	sn = sp != NULL ? spare_net_by_serial(sp, (uint32_t)(uintptr_t)arg) :
	    NULL;
	if (sn == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	sn->asking--;
	if (fd < 0) {
		/* Network gone or out of descriptors: stop keeping spares. */
		log_debug("spare socket in %s refused: %s", sn->network,
		    msg != NULL ? msg : "(no reason)");
		spare_net_close(sn);
		return;
	}
	if (sn->n < ROLE_SPARE_PER)
		sn->fd[sn->n++] = fd;
	else
		close(fd);
}

/* Ask the parent for what the entry lacks. */
static void
spare_top_up(struct role_spares *sp, struct spare_net *sn)
{
	long h;

	while (sn->n + sn->asking < ROLE_SPARE_PER) {
		h = role_socket_ask(sp->rt, sn->network, sn->domain,
		    spare_arrived, (void *)(uintptr_t)sn->serial);
		if (h <= 0)
			break;
		sn->asking++;
	}
}

static void
spare_give_fire(evutil_socket_t unused, short what, void *arg)
{
	struct spare_give *g = arg;
	struct role_spares *sp = spares_self;

	if (sp != NULL)
		TAILQ_REMOVE(&sp->gives, g, link);
	event_free(g->ev);
	if (g->cb != NULL)
		g->cb(g->fd, NULL, g->arg);
	else
		close(g->fd);
	free(g);
}

/* Every ROLE_SPARE_IDLE / 2 s: networks unused that long give back. */
static void
spare_sweep(evutil_socket_t unused, short what, void *arg)
{
	struct role_spares *sp = arg;
	time_t now = spare_now();
	size_t i;

	for (i = 0; i < ROLE_SPARE_NETS; i++)
		if (sp->nets[i].serial != 0 &&
		    now - sp->nets[i].used >= ROLE_SPARE_IDLE)
			spare_net_close(&sp->nets[i]);
}

struct role_spares *
role_spares_new(struct role_rt *rt)
{
	struct role_spares *sp;
	struct timeval tv = { ROLE_SPARE_IDLE / 2, 0 };

	sp = xcalloc(1, sizeof(*sp));
	sp->rt = rt;
	sp->next_handle = ROLE_SPARE_HANDLE_BASE;
	TAILQ_INIT(&sp->gives);
	sp->ev_sweep = event_new(role_base(rt), -1, EV_PERSIST, spare_sweep,
	    sp);
	if (sp->ev_sweep == NULL)
		fatal("event_new failed");
	event_add(sp->ev_sweep, &tv);
	spares_self = sp;
	return sp;
}

long
role_spare_socket(struct role_spares *sp, const char *network, int domain,
    role_socket_cb cb, void *arg)
{
	struct spare_net *sn;
	struct spare_give *g;

	if (sp->off || (sn = spare_net_get(sp, network, domain, 1)) == NULL)
		return 0;
	sn->used = spare_now();
	if (sn->n == 0) {
		spare_top_up(sp, sn);
		return 0;
	}
	g = xcalloc(1, sizeof(*g));
	if ((g->ev = event_new(role_base(sp->rt), -1, 0, spare_give_fire,
	    g)) == NULL) {
		free(g);
		return 0;
	}
	g->fd = sn->fd[--sn->n];
	g->cb = cb;
	g->arg = arg;
	g->handle = sp->next_handle++;
	TAILQ_INSERT_TAIL(&sp->gives, g, link);
	event_active(g->ev, EV_TIMEOUT, 0);
	spare_top_up(sp, sn);
	return g->handle;
}

void
role_spare_cancel(struct role_spares *sp, long handle)
{
	struct spare_give *g;

	TAILQ_FOREACH(g, &sp->gives, link) {
		if (g->handle == handle) {
			g->cb = NULL;
			g->arg = NULL;
			return;
		}
	}
}

void
role_spares_flush(struct role_spares *sp)
{
	size_t i;

	for (i = 0; i < ROLE_SPARE_NETS; i++)
		if (sp->nets[i].serial != 0)
			spare_net_close(&sp->nets[i]);
}

/* Stopping: close the spares, keep none; promised ones are still given. */
void
role_spares_stop(struct role_spares *sp)
{
	role_spares_flush(sp);
	sp->off = 1;
}

/*
 * After the loop ended: what was promised and never handed over is
 * closed, its callback not called (its connection is gone by now).
 */
void
role_spares_free(struct role_spares *sp)
{
	struct spare_give *g;

	if (sp == NULL)
		return;
	role_spares_flush(sp);
	while ((g = TAILQ_FIRST(&sp->gives)) != NULL) {
		TAILQ_REMOVE(&sp->gives, g, link);
		event_free(g->ev);
		close(g->fd);
		free(g);
	}
	event_free(sp->ev_sweep);
	spares_self = NULL;
	free(sp);
}
