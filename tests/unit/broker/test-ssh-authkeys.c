/*
 * Unit tests for broker/ssh-authkeys.c: authorized_keys lines and their
 * options, key blobs, base64, address lists (from= and source-address),
 * permitopen matching.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/ssh-authkeys.h"

#define ED	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIMB5eCXStw90BDQU45651zw7mOABTIG1AAom3EhehVHP"
#define EC	"ecdsa-sha2-nistp256 " \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGHSlWZNJwqv1c13k2" \
	"tHB29X2dYll0P65x6jJogQta+Ssn8GPIstF6+HF4JS40i7PEpFd5h28iz0JXZOpBBMzLI="

/* Parse; returns 0 or -1 and keeps the cause for checks. */
static char *last_cause;

static int
parse(const char *line, struct sshr_authkey *k)
{
	int r;

	free(last_cause);
	last_cause = NULL;
	r = sshr_authkey_parse(line, k, &last_cause);
	return r;
}

static void
refused(const char *line, const char *words)
{
	struct sshr_authkey k;

	if (parse(line, &k) != -1)
		fail_msg("accepted: %s", line);
	if (strstr(last_cause, words) == NULL)
		fail_msg("\"%s\": cause \"%s\" lacks \"%s\"", line, last_cause,
		    words);
	sshr_authkey_clear(&k);
}

static void
test_plain_keys(void **state)
{
	struct sshr_authkey k;

	assert_int_equal(parse(ED " ops@laptop", &k), 0);
	assert_string_equal(k.type, "ssh-ed25519");
	assert_int_equal(k.bits, 256);
	assert_int_equal(k.bloblen, 51);
	assert_string_equal(k.comment, "ops@laptop");
	assert_int_equal(k.port_forwarding, 1);
	assert_int_equal(k.npermitopen, 0);
	sshr_authkey_clear(&k);

	assert_int_equal(parse("  " EC, &k), 0);
	assert_int_equal(k.bits, 256);
	assert_null(k.comment);
	sshr_authkey_clear(&k);
}

static void
test_options(void **state)
{
	struct sshr_authkey k;

	assert_int_equal(parse("restrict,port-forwarding,permitopen=\"vnf-a:22\","
	    "permitopen=\"*:443\",permitopen=\"[fd00::5]:*\" " ED, &k), 0);
	assert_int_equal(k.port_forwarding, 1);
	assert_int_equal(k.npermitopen, 3);
	assert_string_equal(k.permitopen[0].host, "vnf-a");
	assert_int_equal(k.permitopen[0].port, 22);
	assert_string_equal(k.permitopen[1].host, "*");
	assert_int_equal(k.permitopen[2].port, -1);
	assert_string_equal(k.permitopen[2].host, "fd00::5");
	assert_true(sshr_permitopen_match(&k.permitopen[0], "VNF-A.", 22));
	assert_false(sshr_permitopen_match(&k.permitopen[0], "vnf-a", 23));
	assert_false(sshr_permitopen_match(&k.permitopen[0], "vnf-ab", 22));
	assert_true(sshr_permitopen_match(&k.permitopen[1], "x", 443));
	sshr_authkey_clear(&k);

	assert_int_equal(parse("restrict " ED, &k), 0);
	assert_int_equal(k.port_forwarding, 0);
	sshr_authkey_clear(&k);
	assert_int_equal(parse("no-port-forwarding,no-pty " ED, &k), 0);
	assert_int_equal(k.port_forwarding, 0);
	sshr_authkey_clear(&k);

	assert_int_equal(parse("from=\"198.18.*,!198.18.9.9\",expiry-time="
	    "\"20300101Z\" " ED " c", &k), 0);
	assert_string_equal(k.from, "198.18.*,!198.18.9.9");
	assert_int_equal((long long)k.expiry, 1893456000LL);
	sshr_authkey_clear(&k);

	assert_int_equal(parse("cert-authority,principals=\"ops,admin\" " ED,
	    &k), 0);
	assert_int_equal(k.cert_authority, 1);
	assert_string_equal(k.principals, "ops,admin");
	sshr_authkey_clear(&k);

	/* Quoted values may hold spaces and escaped quotes. */
	assert_int_equal(parse("permitopen=\"a b\\\":1\" " ED, &k), 0);
	assert_string_equal(k.permitopen[0].host, "a b\"");
	sshr_authkey_clear(&k);
}

static void
test_refusals(void **state)
{
	refused("", "expected an authorized_keys line");
	refused("# comment", "expected an authorized_keys line");
	refused("command=\"/bin/true\" " ED, "option command is not supported");
	refused("environment=\"A=B\" " ED, "not supported");
	refused("tunnel=\"1\" " ED, "not supported");
	refused("permitopen=vnf-a:22 " ED, "must be in double quotes");
	refused("permitopen=\"vnf-a\" " ED, "expected HOST:PORT");
	refused("permitopen=\"vnf-a:0\" " ED, "expected HOST:PORT");
	refused("from=\"host.example.com\" " ED, "does not match host names");
	refused("from=\"198.18.0.1/15\" " ED, "from=");
	refused("expiry-time=\"2030\" " ED, "expiry-time");
	refused("restrict=\"x\" " ED, "takes no value");
	refused("from " ED, "needs a value");
	refused("principals=\"a\" " ED, "only meaningful with cert-authority");
	refused("permitopen=\"a:1 " ED, "missing closing quote");
	refused("ssh-dss AAAAB3NzaC1kc3MAAACBAP==", "DSA keys are refused");
	refused("ssh-ed25519-cert-v01@openssh.com AAAA", "not an authorized key");
	refused("sk-ssh-ed25519@openssh.com AAAA", "security-key");
	refused("rsa-sha2-512 AAAA", "signature algorithm");
	refused("ssh-ed25519", "key data (base64) is missing");
	refused("ssh-ed25519 AAAAC3Nza ops", "not valid base64");
	refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForConfigTest",
	    "not valid base64");
	/* Valid base64 of the wrong type, or truncated. */
	refused("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIMB5eCXStw90BDQU45651zw7mOABT"
	    "IG1AAom3EhehVHP", "another type");
	refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMB5eCXStw90BDQU45651zw7"
	    "mOABTIG1AAom3Ehe", "malformed");
	refused("ssh-ed25519 AAAA\nssh-ed25519 AAAA", "control character");
}

static void
test_rsa_size(void **state)
{
	/* A 1024-bit RSA key. */
	refused("ssh-rsa "
	    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQCkEdd7pI9yaxmbmZr9nHjIskyeF40udR"
	    "R+8koeULwkkxq9DzYS1PO4j/rs7oBgm8buuqUyypmcwr7BAltZGCN8l8AS9NPh"
	    "6anvbr3BGVioO0AogXsS9KFI+r460Ixff4XyFiQDxx2mMb7Wshmw5mNevDFrmE"
	    "QgOyD0k1M/nrTyCQ=="
	    , "shorter than 2048");
}

static void
test_address_lists(void **state)
{
	/* from= syntax */
	assert_int_equal(sshr_addr_match("198.18.5.1", "198.18.*", 1), 1);
	assert_int_equal(sshr_addr_match("198.18.5.1", "10.*,198.18.5.?", 1), 1);
	assert_int_equal(sshr_addr_match("198.18.5.1", "198.18.*,!198.18.5.1",
	    1), 0);
	assert_int_equal(sshr_addr_match("198.18.5.1", "198.18.0.0/15", 1), 1);
	assert_int_equal(sshr_addr_match("198.20.5.1", "198.18.0.0/15", 1), 0);
	assert_int_equal(sshr_addr_match("::1", "::1", 1), 1);
	assert_int_equal(sshr_addr_match("fd00::5", "fd00::/8", 1), 1);
	assert_int_equal(sshr_addr_match("fd00::5", "198.18.0.0/15", 1), 0);
	assert_int_equal(sshr_addr_match("198.18.5.1", "", 1), -1);
	assert_int_equal(sshr_addr_match("198.18.5.1", "a,,b", 1), -1);
	assert_int_equal(sshr_addr_match("198.18.5.1", "198.18.0.1/15", 1), -1);
	assert_int_equal(sshr_addr_match("198.18.5.1", "198.18.0.0/33", 1), -1);
	/* source-address syntax: no patterns, no negation */
	assert_int_equal(sshr_addr_match("198.18.5.1", "198.18.5.1", 0), 1);
	assert_int_equal(sshr_addr_match("198.18.5.1", "198.18.*", 0), -1);
	assert_int_equal(sshr_addr_match("198.18.5.1", "!198.18.5.1", 0), -1);
	assert_int_equal(sshr_glob("abcabc", "a*c"), 1);
	assert_int_equal(sshr_glob("abcabd", "a*c"), 0);
	assert_int_equal(sshr_glob("", "*"), 1);
}

static void
test_base64(void **state)
{
	unsigned char *out;
	size_t len;

	assert_int_equal(sshr_b64_decode("Zm9vYg==", 8, &out, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "foob", 4);
	free(out);
	assert_int_equal(sshr_b64_decode("Zm9vYmE=", 8, &out, &len), 0);
	assert_int_equal(len, 5);
	free(out);
	assert_int_equal(sshr_b64_decode("Zm9vYh==", 8, &out, &len), -1);
	assert_int_equal(sshr_b64_decode("Zm9", 3, &out, &len), -1);
	assert_int_equal(sshr_b64_decode("Zm9v!mE=", 8, &out, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_keys),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_rsa_size),
		cmocka_unit_test(test_address_lists),
		cmocka_unit_test(test_base64),
	};
	int r;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	free(last_cause);
	return r;
}
