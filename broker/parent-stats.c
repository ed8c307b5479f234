/*
 * The parent's side of the roles' shared counters (role-stats.h): one
 * page per counting role, made at start; a slot for each instance
 * started; the slot folded into the page's totals once the instance has
 * been reaped.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/parent.h"
#include "broker/priv-proto.h"
#include "broker/role-stats.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/log.h"

/* The roles that count (tunnels are theirs); the engine reads them. */
static int
stats_counts(enum role_id id)
{
	return id == ROLE_SSH || id == ROLE_PROXY;
}

void
parent_stats_open(struct parent *p)
{
	struct role_stats_page *page;
	char name[48], path[64];
	int fd, i;

	for (i = 0; i < ROLE_MAX; i++) {
		p->stats_fd[i] = p->stats_ro_fd[i] = -1;
		p->stats_page[i] = NULL;
		if (!stats_counts((enum role_id)i))
			continue;
		snprintf(name, sizeof(name), "vnf-broker-stats-%d", i);
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd == -1 || ftruncate(fd, sizeof(*page)) == -1)
			fatal("counters: memfd: %s", strerror(errno));
		/* a role cannot shrink the page under the engine's reads */
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		    F_SEAL_SEAL) == -1)
			fatal("counters: seals: %s", strerror(errno));
		page = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		if (page == MAP_FAILED)
			fatal("counters: mmap: %s", strerror(errno));
		page->magic = ROLE_STATS_MAGIC;
		page->version = ROLE_STATS_VERSION;
		/* the engine's copy cannot be mapped writable */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if ((p->stats_ro_fd[i] = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			fatal("counters: %s: %s", path, strerror(errno));
		p->stats_fd[i] = fd;
		p->stats_page[i] = page;
	}
}

void
parent_stats_close(struct parent *p)
{
	int i;

	for (i = 0; i < ROLE_MAX; i++) {
		if (p->stats_page[i] != NULL)
			munmap(p->stats_page[i], sizeof(*p->stats_page[i]));
		if (p->stats_fd[i] != -1)
			close(p->stats_fd[i]);
		if (p->stats_ro_fd[i] != -1)
			close(p->stats_ro_fd[i]);
		p->stats_page[i] = NULL;
		p->stats_fd[i] = p->stats_ro_fd[i] = -1;
	}
}

static int
stats_send(struct role *r, const char *role, uint32_t slot, int fd)
{
	struct priv_stats ps;

	memset(&ps, 0, sizeof(ps));
	snprintf(ps.role, sizeof(ps.role), "%s", role);
	ps.slot = slot;
	return ipc_send(r->fd, PRIV_STATS, 0, &ps, sizeof(ps), fd);
}

/*
 * A role instance just started (r->pid set): its own slot, or, for the
 * engine, every counting role's page read-only.  Sent before its
 * configuration, so nothing it serves goes uncounted.
 */
int
parent_stats_send(struct parent *p, struct role *r)
{
	struct role_stats_page *page;
	enum role_id id = r->def->id;
	uint32_t s;
	int i, e;

	if (id == ROLE_ENGINE) {
		for (i = 0; i < ROLE_MAX; i++) {
			if (p->stats_ro_fd[i] == -1)
				continue;
			if ((e = stats_send(r,
			    config_role_name((enum role_id)i), PRIV_STATS_RO, p->stats_ro_fd[i])) != 0)
				return e;
		}
		return 0;
	}
	if ((page = p->stats_page[id]) == NULL)
		return 0;
	for (s = 0; s < ROLE_STATS_SLOTS; s++)
		if (page->slot[s].pid == 0)
			break;
	if (s == ROLE_STATS_SLOTS) {
		log_warn("role %s (pid %ld): %d instances already count; this "
		    "one's tunnels are not in /metrics", r->def->name,
		    (long)r->pid, ROLE_STATS_SLOTS);
		return 0;
	}
	page->slot[s].pid = (uint64_t)r->pid;
	return stats_send(r, r->def->name, s, p->stats_fd[id]);
}

/*
 * An instance was reaped: add what it counted to the totals, forget its
 * gauges, free its slot.  The reader retries while seq is odd.
 */
void
parent_stats_reaped(struct parent *p, pid_t pid)
{
	struct role_stats_page *page;
	uint64_t v;
	int i, s, j;

	for (i = 0; i < ROLE_MAX; i++) {
		if ((page = p->stats_page[i]) == NULL)
			continue;
		for (s = 0; s < ROLE_STATS_SLOTS; s++) {
			if (page->slot[s].pid != (uint64_t)pid)
				continue;
			__atomic_fetch_add(&page->seq, 1, __ATOMIC_ACQ_REL);
			for (j = 0; j < ROLE_STATS_VALUES; j++) {
				v = __atomic_exchange_n(&page->slot[s].v[j], 0,
				    __ATOMIC_RELAXED);
				if (!RS_IS_GAUGE(j))
					__atomic_fetch_add(&page->retired[j],
					    v, __ATOMIC_RELAXED);
			}
			page->slot[s].pid = 0;
			__atomic_fetch_add(&page->seq, 1, __ATOMIC_RELEASE);
			return;
		}
	}
}
