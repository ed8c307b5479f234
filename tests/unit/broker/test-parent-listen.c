/*
 * Unit tests for broker/parent-listen.c: the listener-set diff of a
 * reload (pure), and preparing a new set with real loopback sockets: a
 * port that cannot be bound refuses the whole set and closes what was
 * bound before it.  Ports 24691-24695 (the reload tests' range).
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "broker/parent.h"
#include "common/xmalloc.h"

#define BIT(r)	(1u << (r))

/* --- stubs: views and roles are not under test here */
void
parent_state_merge(struct parent *p, json_t *view, int engine)
{
	(void)p;
	(void)view;
	(void)engine;
}

void
parent_role_end(struct parent *p, struct role *r, const char *why)
{
	(void)p;
	(void)r;
	(void)why;
	fail();
}

/* --- helpers */
static struct parent_listen_key
key(const char *kind, const char *addr)
{
	struct parent_listen_key k;
	struct conf_listener cl;

	memset(&cl, 0, sizeof(cl));
	snprintf(cl.name, sizeof(cl.name), "%s", kind);
	snprintf(cl.addr, sizeof(cl.addr), "%s", addr);
	assert_int_equal(parent_listen_key(&cl, "/run/x/api.sock", &k), 0);
	return k;
}

static struct broker_config *
conf(const char *listen)
{
	struct broker_config *c;
	struct diags d;
	char *text;

	text = xasprintf("run_dir: /tmp\nlisten: {%s}\n", listen);
	diags_init(&d, "broker.yaml");
	c = config_parse(text, strlen(text), "broker.yaml", &d);
	diags_free(&d);
	free(text);
	assert_non_null(c);
	return c;
}

/* Does something accept on 127.0.0.1:port? */
static int
accepts(int port)
{
	struct sockaddr_in sin;
	int fd, r;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return r;
}

/* --- tests */
static void
test_key_canonical(void **state)
{
	struct parent_listen_key a, b;
	struct conf_listener cl;

	(void)state;
	a = key("proxy", "127.0.0.1:080");
	assert_string_equal(a.where, "127.0.0.1:80");
	a = key("ssh", "[0:0::1]:22");
	b = key("ssh", "[::1]:22");
	assert_string_equal(a.where, b.where);
	a = key("api_unix", "unix");
	assert_string_equal(a.where, "/run/x/api.sock");
	memset(&cl, 0, sizeof(cl));
	strcpy(cl.name, "proxy");
	strcpy(cl.addr, "nowhere:80");
	assert_int_equal(parent_listen_key(&cl, NULL, &a), -1);
}

static void
test_diff_same_and_reordered(void **state)
{
	struct parent_listen_key o[3], n[3];
	int keep[3];

	(void)state;
	o[0] = key("ssh", "127.0.0.1:22");
	o[1] = key("proxy", "127.0.0.1:3128");
	o[2] = key("api_unix", "unix");
	n[0] = o[2];
	n[1] = key("proxy", "127.0.0.1:03128");
	n[2] = o[0];
	assert_int_equal(parent_listeners_diff(o, 3, n, 3, keep), 0);
	assert_int_equal(keep[0], 2);
	assert_int_equal(keep[1], 1);
	assert_int_equal(keep[2], 0);
}

static void
test_diff_added_removed(void **state)
{
	struct parent_listen_key o[2], n[2];
	int keep[2];

	(void)state;
	o[0] = key("ssh", "127.0.0.1:22");
	o[1] = key("proxy", "127.0.0.1:3128");
	assert_int_equal(parent_listeners_diff(o, 2, o, 2, keep), 0);
	/* proxy gains a port while ssh loses its only one */
	n[0] = o[1];
	n[1] = key("proxy", "127.0.0.1:3129");
	assert_int_equal(parent_listeners_diff(o, 2, n, 2, keep),
	    BIT(ROLE_SSH) | BIT(ROLE_PROXY));	/* ssh: its port went */
	assert_int_equal(keep[0], 1);
	assert_int_equal(keep[1], -1);
	/* only removed */
	assert_int_equal(parent_listeners_diff(o, 2, o, 1, keep),
	    BIT(ROLE_PROXY));
	assert_int_equal(keep[0], 0);
	/* only added */
	assert_int_equal(parent_listeners_diff(o, 1, o, 2, keep),
	    BIT(ROLE_PROXY));
	assert_int_equal(keep[1], -1);
	/* the same address on another port is another listener */
	n[0] = key("ssh", "127.0.0.1:2222");
	assert_int_equal(parent_listeners_diff(o, 1, n, 1, keep),
	    BIT(ROLE_SSH));
	assert_int_equal(keep[0], -1);
}

static void
test_diff_kind_moves(void **state)
{
	struct parent_listen_key o[2], n[2];
	int keep[2];

	(void)state;
	/* proxy to proxy_tls on one port: the socket is kept */
	o[0] = key("proxy", "127.0.0.1:3128");
	n[0] = key("proxy_tls", "127.0.0.1:3128");
	assert_int_equal(parent_listeners_diff(o, 1, n, 1, keep),
	    BIT(ROLE_PROXY));
	assert_int_equal(keep[0], 0);
	/* from ssh to the proxy: both roles change */
	o[0] = key("ssh", "127.0.0.1:3128");
	n[0] = key("proxy", "127.0.0.1:3128");
	assert_int_equal(parent_listeners_diff(o, 1, n, 1, keep),
	    BIT(ROLE_SSH) | BIT(ROLE_PROXY));
	assert_int_equal(keep[0], 0);
	/* an exact match wins over a kind move, whatever the order */
	o[0] = key("proxy", "127.0.0.1:3128");
	n[0] = key("proxy_tls", "127.0.0.1:3128");
	n[1] = key("proxy", "127.0.0.1:3128");
	assert_int_equal(parent_listeners_diff(o, 1, n, 2, keep),
	    BIT(ROLE_PROXY));
	assert_int_equal(keep[0], -1);
	assert_int_equal(keep[1], 0);
}

static void
test_diff_duplicates_and_unix(void **state)
{
	struct parent_listen_key o[1], n[2];
	struct conf_listener cl;
	int keep[2];

	(void)state;
	/* one socket serves one listener: the second must be bound */
	o[0] = key("proxy", "127.0.0.1:3128");
	n[0] = n[1] = o[0];
	assert_int_equal(parent_listeners_diff(o, 1, n, 2, keep),
	    BIT(ROLE_PROXY));
	assert_int_equal(keep[0], 0);
	assert_int_equal(keep[1], -1);
	/* api.socket moved: the engine's unix listener is new */
	memset(&cl, 0, sizeof(cl));
	strcpy(cl.name, "api_unix");
	strcpy(cl.addr, "unix");
	assert_int_equal(parent_listen_key(&cl, "/run/a.sock", &o[0]), 0);
	assert_int_equal(parent_listen_key(&cl, "/run/b.sock", &n[0]), 0);
	assert_int_equal(parent_listeners_diff(o, 1, n, 1, keep),
	    BIT(ROLE_ENGINE));
	assert_int_equal(keep[0], -1);
}

/* Real sockets: kept, added, removed; a taken port refuses it all. */
static void
test_prepare_commit_abort(void **state)
{
	struct parent_listen_plan lp;
	struct broker_config *c1, *c2, *c3;
	struct parent p;
	char *cause = NULL;
	int blocker, one = 1, kept_fd;
	struct sockaddr_in sin;

	(void)state;
	memset(&p, 0, sizeof(p));
	c1 = conf("proxy: [\"127.0.0.1:24691\", \"127.0.0.1:24692\"]");
	p.conf = c1;
	parent_listeners_open(&p);
	assert_int_equal(p.nlisteners, 2);
	kept_fd = p.listeners[0].fd;

	/* a port taken by another socket: refused, nothing changed */
	blocker = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(blocker, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(24695);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(blocker, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_equal(listen(blocker, 1), 0);
	c3 = conf("proxy: [\"127.0.0.1:24691\", \"127.0.0.1:24693\", "
	    "\"127.0.0.1:24695\"]");
	assert_int_equal(parent_listeners_prepare(&p, c3, 0, &lp, &cause),
	    -1);
	assert_non_null(strstr(cause, "127.0.0.1:24695"));
	assert_non_null(strstr(cause, strerror(EADDRINUSE)));
	free(cause);
	cause = NULL;
	assert_false(accepts(24693));	/* bound before it, closed again */
	assert_true(accepts(24691));
	assert_true(accepts(24692));
	assert_int_equal(p.nlisteners, 2);
	close(blocker);
	config_free(c3);

	/* 24691 kept, 24692 removed, 24693 added */
	c2 = conf("proxy: [\"127.0.0.1:24693\", \"127.0.0.1:24691\"]");
	assert_int_equal(parent_listeners_prepare(&p, c2, 0, &lp, &cause),
	    0);
	assert_int_equal(lp.changed, BIT(ROLE_PROXY));
	assert_int_equal(lp.keep[0], -1);
	assert_int_equal(lp.keep[1], 0);
	assert_true(accepts(24693));	/* bound already */
	parent_listeners_commit(&p, c2, &lp);
	assert_int_equal(p.nlisteners, 2);
	assert_int_equal(p.listeners[1].fd, kept_fd);	/* same socket */
	assert_string_equal(p.listeners[0].conf->addr, "127.0.0.1:24693");
	assert_ptr_equal(p.listeners[0].conf, &c1->listeners[0]);
	assert_false(accepts(24692));
	assert_true(accepts(24691));
	parent_listeners_close(&p);
	config_free(c2);
	config_free(c1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_canonical),
		cmocka_unit_test(test_diff_same_and_reordered),
		cmocka_unit_test(test_diff_added_removed),
		cmocka_unit_test(test_diff_kind_moves),
		cmocka_unit_test(test_diff_duplicates_and_unix),
		cmocka_unit_test(test_prepare_commit_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
