/*
 * pwcheck: password hashes checked on the worker, answers on the loop.
 * Real hashes (yescrypt and SHA-512 crypt from libxcrypt), a real
 * libevent loop.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "broker/pwcheck.h"

static char yes_hash[256], sha_hash[256];

struct answer {
	int	called;
	int	ok;
	int	during_submit;
};

static int in_submit;

static void
on_answer(int ok, void *arg)
{
	struct answer *a = arg;

	a->called++;
	a->ok = ok;
	a->during_submit = in_submit;
}

static void
make_hash(const char *prefix, const char *pass, char *out, size_t len)
{
	char salt[128];
	struct crypt_data cd;
	const char *h;

	assert_non_null(crypt_gensalt_rn(prefix, 0, NULL, 0, salt,
	    sizeof(salt)));
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(pass, salt, &cd);
	assert_non_null(h);
	assert_true(h[0] == '$');
	assert_true(strlen(h) < len);
	strcpy(out, h);
}

static int
setup(void **state)
{
	(void)state;
	make_hash("$y$", "correct horse", yes_hash, sizeof(yes_hash));
	make_hash("$6$", "battery staple", sha_hash, sizeof(sha_hash));
	return 0;
}

/* Run the loop until nothing is pending (bounded: 20 s). */
static void
drain(struct event_base *base, struct pwcheck *pw)
{
	time_t end = time(NULL) + 20;

	while (pwcheck_pending(pw) > 0 && time(NULL) < end)
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(pwcheck_pending(pw), 0);
}

static void
test_verify(void **state)
{
	(void)state;
	assert_int_equal(pwcheck_verify("correct horse", yes_hash), 1);
	assert_int_equal(pwcheck_verify("correct horsE", yes_hash), 0);
	assert_int_equal(pwcheck_verify("battery staple", sha_hash), 1);
	assert_int_equal(pwcheck_verify("", sha_hash), 0);
	/* Not a hash at all, and a locked account's '*'. */
	assert_int_equal(pwcheck_verify("x", "plain text"), 0);
	assert_int_equal(pwcheck_verify("", "*"), 0);
	assert_int_equal(pwcheck_verify("", "!"), 0);
}

static void
test_answers(void **state)
{
	struct event_base *base = event_base_new();
	struct pwcheck *pw = pwcheck_new(base, 8);
	struct answer right = {0}, wrong = {0}, sha = {0};
	long h1, h2, h3;

	(void)state;
	in_submit = 1;
	h1 = pwcheck_submit(pw, "correct horse", yes_hash, on_answer, &right);
	h2 = pwcheck_submit(pw, "wrong", yes_hash, on_answer, &wrong);
	h3 = pwcheck_submit(pw, "battery staple", sha_hash, on_answer, &sha);
	in_submit = 0;
	assert_true(h1 > 0 && h2 > h1 && h3 > h2);
	assert_int_equal(pwcheck_pending(pw), 3);
	drain(base, pw);
	assert_int_equal(right.called, 1);
	assert_int_equal(right.ok, 1);
	assert_int_equal(right.during_submit, 0);
	assert_int_equal(wrong.called, 1);
	assert_int_equal(wrong.ok, 0);
	assert_int_equal(sha.called, 1);
	assert_int_equal(sha.ok, 1);
	pwcheck_free(pw);
	event_base_free(base);
}

static void
test_limits(void **state)
{
	struct event_base *base = event_base_new();
	struct pwcheck *pw = pwcheck_new(base, 2);
	struct answer a = {0}, b = {0}, c = {0};
	char big[PWCHECK_INPUT_MAX + 2];

	(void)state;
	/* Answers wait for the loop, so they count until delivered. */
	assert_true(pwcheck_submit(pw, "correct horse", yes_hash, on_answer,
	    &a) > 0);
	assert_true(pwcheck_submit(pw, "x", yes_hash, on_answer, &b) > 0);
	assert_int_equal(pwcheck_submit(pw, "y", yes_hash, on_answer, &c),
	    -EBUSY);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	drain(base, pw);
	assert_int_equal(pwcheck_submit(pw, big, yes_hash, on_answer, &c),
	    -EINVAL);
	assert_int_equal(pwcheck_submit(pw, "x", big, on_answer, &c),
	    -EINVAL);
	assert_int_equal(c.called, 0);
	/* Room again once delivered. */
	assert_true(pwcheck_submit(pw, "y", yes_hash, on_answer, &c) > 0);
	drain(base, pw);
	assert_int_equal(a.called + b.called + c.called, 3);
	pwcheck_free(pw);
	event_base_free(base);
}

struct canceller {
	struct pwcheck	*pw;
	long		 other;
	int		 called;
};

static void
on_cancel_other(int ok, void *arg)
{
	struct canceller *k = arg;

	(void)ok;
	k->called++;
	pwcheck_cancel(k->pw, k->other);
}

static void
test_cancel(void **state)
{
	struct event_base *base = event_base_new();
	struct pwcheck *pw = pwcheck_new(base, 8);
	struct answer a = {0}, b = {0};
	struct canceller k = {0};
	long h;
	int i;

	(void)state;
	/* Cancelled while queued or running: never called. */
	h = pwcheck_submit(pw, "correct horse", yes_hash, on_answer, &a);
	pwcheck_cancel(pw, h);
	drain(base, pw);
	assert_int_equal(a.called, 0);

	/*
	 * A callback cancels a later job, whatever state that job is in
	 * (queued, running, or finished in the same batch): it is not
	 * called.  Repeated, so both orders of events are seen.
	 */
	for (i = 0; i < 5; i++) {
		memset(&b, 0, sizeof(b));
		k.pw = pw;
		k.called = 0;
		assert_true(pwcheck_submit(pw, "x", sha_hash, on_cancel_other,
		    &k) > 0);
		k.other = pwcheck_submit(pw, "battery staple", sha_hash,
		    on_answer, &b);
		assert_true(k.other > 0);
		drain(base, pw);
		assert_int_equal(k.called, 1);
		assert_int_equal(b.called, 0);
	}
	/* Cancelling what is unknown or already delivered is harmless. */
	pwcheck_cancel(pw, 0);
	pwcheck_cancel(pw, 999999);
	pwcheck_free(pw);
	event_base_free(base);
}

static void
test_free_pending(void **state)
{
	struct event_base *base = event_base_new();
	struct pwcheck *pw = pwcheck_new(base, 8);
	struct answer a = {0};
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		assert_true(pwcheck_submit(pw, "correct horse", yes_hash,
		    on_answer, &a) > 0);
	pwcheck_free(pw);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(a.called, 0);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_free_pending),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
