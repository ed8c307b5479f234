/*
 * Unit tests for broker/ssh-cert.c: OpenSSH user certificates made with
 * ssh-keygen (fixtures below, signed by ed25519, RSA (rsa-sha2-512) and
 * ECDSA CAs), the CA signature, validity, principals, critical options.
 *
 *   u1: CA ed25519, principals ops,admin, always:forever,
 *       source-address=198.18.0.0/15, default extensions
 *   u2: CA ed25519, principal ops, 2020-01-01 to 2020-02-01
 *   u3: CA RSA (rsa-sha2-512), principal ops, critical option weird=1
 *   u4: CA ECDSA P-256, principal ops, no extensions (-O clear)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "broker/ssh-authkeys.h"
#include "broker/ssh-cert.h"

static const char key_ca_pub[] =
	    "ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIOwKjz3U23A9XaZjqEh3YIcp/ioAOFYBY6bj"
	    "d3YuXyEd";
static const char key_rsaca_pub[] =
	    "ssh-rsa "
	    "AAAAB3NzaC1yc2EAAAADAQABAAABAQCkVMpbwb/MttyeM06vi3z6UUpSjqm0"
	    "9ooclb4Eoe8yB1f9o535RcqNtYyAIgS3SjZlO220Fxrgkz3HK+bbCQGWpJA3"
	    "dEX3RUkHUDngMFmte4P1DRvIF2hIoYkIwchh67K68WsElTkUbA3jtatXxkIg"
	    "FwpAOzp38J1nhgBzx/ZyjG89tYhRrug0690x5yca1xcxCNQBJ3BpKH6ifIDu"
	    "PRbNVWOd+aY+DkCN7OGxsUIlZhkpGGVBBQuRClzlHoz+NQD4CfdAdbSgQlKV"
	    "iu0mO7LdwdAOGVSUB25uf3m4YPmju4Y3umldJSzzVX4phoDHXe2EYJ+Osfh7"
	    "zj4p7svzfFmp";
static const char key_ecca_pub[] =
	    "ecdsa-sha2-nistp256 "
	    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGHSlWZN"
	    "Jwqv1c13k2tHB29X2dYll0P65x6jJogQta+Ssn8GPIstF6+HF4JS40i7PEpF"
	    "d5h28iz0JXZOpBBMzLI=";
static const char key_user_pub[] =
	    "ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIMB5eCXStw90BDQU45651zw7mOABTIG1AAom"
	    "3EhehVHP";
static const char cert_u1[] =
	    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIEDSaovj"
	    "z6jpHDZDGMjw0CGLpbivsqTZKE58HVrHCHwmAAAAIMB5eCXStw90BDQU4565"
	    "1zw7mOABTIG1AAom3EhehVHPAAAAAAAAAAAAAAABAAAABGdvb2QAAAAQAAAA"
	    "A29wcwAAAAVhZG1pbgAAAAAAAAAA//////////8AAAAnAAAADnNvdXJjZS1h"
	    "ZGRyZXNzAAAAEQAAAA0xOTguMTguMC4wLzE1AAAAggAAABVwZXJtaXQtWDEx"
	    "LWZvcndhcmRpbmcAAAAAAAAAF3Blcm1pdC1hZ2VudC1mb3J3YXJkaW5nAAAA"
	    "AAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQtcHR5"
	    "AAAAAAAAAA5wZXJtaXQtdXNlci1yYwAAAAAAAAAAAAAAMwAAAAtzc2gtZWQy"
	    "NTUxOQAAACDsCo891NtwPV2mY6hId2CHKf4qADhWAWOm43d2Ll8hHQAAAFMA"
	    "AAALc3NoLWVkMjU1MTkAAABAwIN1ZoUQpT9Obi4SlBIxLXwrEZiUWFMTnd69"
	    "SxAPJlJqo7irS4zlCrSHnia1CdeL47Gojnk5bWz/1fTQmA42CA==";
static const char cert_u2[] =
	    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIKIEQ7S1"
	    "s7uldSTMSeVoNt4jxh17/mmkAPDmzPf+yab4AAAAIMB5eCXStw90BDQU4565"
	    "1zw7mOABTIG1AAom3EhehVHPAAAAAAAAAAAAAAABAAAAA29sZAAAAAcAAAAD"
	    "b3BzAAAAAF4L4QAAAAAAXjS/gAAAAAAAAACCAAAAFXBlcm1pdC1YMTEtZm9y"
	    "d2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAAAAA"
	    "FnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkAAAAA"
	    "AAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5"
	    "AAAAIOwKjz3U23A9XaZjqEh3YIcp/ioAOFYBY6bjd3YuXyEdAAAAUwAAAAtz"
	    "c2gtZWQyNTUxOQAAAECYvqgxwRTIaQgJryK2qyVV17qQ37/KyZe7KMGmvgPa"
	    "sQY3iqa5/Ba+JrPF5AqmJVZjX5AtyZqk3VxI1N6OHuIF";
static const char cert_u3[] =
	    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIEzRsOrc"
	    "iV67b11ct2HWFjeECW8Hg8gwAlj1O6n3qSQoAAAAIMB5eCXStw90BDQU4565"
	    "1zw7mOABTIG1AAom3EhehVHPAAAAAAAAAAAAAAABAAAAA3JzYQAAAAcAAAAD"
	    "b3BzAAAAAAAAAAD//////////wAAABIAAAAFd2VpcmQAAAAFAAAAATEAAACC"
	    "AAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50"
	    "LWZvcndhcmRpbmcAAAAAAAAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAA"
	    "AAAACnBlcm1pdC1wdHkAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAA"
	    "AAEXAAAAB3NzaC1yc2EAAAADAQABAAABAQCkVMpbwb/MttyeM06vi3z6UUpS"
	    "jqm09ooclb4Eoe8yB1f9o535RcqNtYyAIgS3SjZlO220Fxrgkz3HK+bbCQGW"
	    "pJA3dEX3RUkHUDngMFmte4P1DRvIF2hIoYkIwchh67K68WsElTkUbA3jtatX"
	    "xkIgFwpAOzp38J1nhgBzx/ZyjG89tYhRrug0690x5yca1xcxCNQBJ3BpKH6i"
	    "fIDuPRbNVWOd+aY+DkCN7OGxsUIlZhkpGGVBBQuRClzlHoz+NQD4CfdAdbSg"
	    "QlKViu0mO7LdwdAOGVSUB25uf3m4YPmju4Y3umldJSzzVX4phoDHXe2EYJ+O"
	    "sfh7zj4p7svzfFmpAAABFAAAAAxyc2Etc2hhMi01MTIAAAEATc1Jr5eMmJ0A"
	    "NDMHdpgkp4Ft9rrWtm5fJO8Xrxw80UuB2KOH4NCvZKR7rA8haxe9wZAfCr05"
	    "+q6vh6BI5OXuibpk41OZVwFpt5k118+r/w8gPSi3cbjT4J0DiosOYL0KtAzc"
	    "A+lyGTAo42FC76sla0IOw56LkA4rEaPqwHfPL13zb2HnGhdQz75LHe89PVFV"
	    "cqLSJqEtkIf+EDcPQVsWmZZoliHpJvkD1VtC/Urg54cczCR6i1GIoOGuIapf"
	    "XIkIGHZchJqHEC/iWF0jHtOuCwlNcm/y+jxYA2EKnieTErwIjayTqGVTPwxl"
	    "5h2RGyv4lZdOYx1Uv0sBcttD4HQnEw==";
static const char cert_u4[] =
	    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIL2Yx/XR"
	    "bhqD0Xe7ECy6dentdsRQls4rOmFs7OGO9lwJAAAAIMB5eCXStw90BDQU4565"
	    "1zw7mOABTIG1AAom3EhehVHPAAAAAAAAAAAAAAABAAAAAmVjAAAABwAAAANv"
	    "cHMAAAAAAAAAAP//////////AAAAAAAAAAAAAAAAAAAAaAAAABNlY2RzYS1z"
	    "aGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQRh0pVmTScKr9XNd5NrRwdv"
	    "V9nWJZdD+uceoyaIELWvkrJ/BjyLLRevhxeCUuNIuzxKRXeYdvIs9CV2TqQQ"
	    "TMyyAAAAZAAAABNlY2RzYS1zaGEyLW5pc3RwMjU2AAAASQAAACAVOT2HZb6/"
	    "kePyK7P3UsL82Fa7n/vBLITOpycU7ZDBlQAAACEAk5S1W47PzctCAQoZ6brh"
	    "fMa8bb/CJEj5b6Ss8OwPrf0=";

static const char *const ops[] = { "ops" };
static const char *const admin[] = { "admin" };
static const char *const nobody[] = { "nobody" };

/* Decode a base64 certificate and parse it. */
static int
load(const char *b64, struct sshr_cert *c, const char **why)
{
	unsigned char *blob;
	size_t len;
	int r;

	assert_int_equal(sshr_b64_decode(b64, strlen(b64), &blob, &len), 0);
	r = sshr_cert_parse(blob, len, c, why);
	free(blob);
	return r;
}

/* The CA blob of a public key line. */
static void
ca_of(const char *line, struct sshr_authkey *k)
{
	char *cause = NULL;

	assert_int_equal(sshr_pubkey_parse(line, k, &cause), 0);
}

static void
test_parse_fields(void **state)
{
	struct sshr_cert c;
	struct sshr_authkey ca, user;
	const char *why;

	assert_int_equal(load(cert_u1, &c, &why), 0);
	assert_string_equal(c.type, "ssh-ed25519-cert-v01@openssh.com");
	assert_string_equal(c.key_type, "ssh-ed25519");
	assert_string_equal(c.key_id, "good");
	assert_int_equal(c.cert_type, 1);
	assert_int_equal(c.nprincipals, 2);
	assert_string_equal(c.principals[0], "ops");
	assert_string_equal(c.principals[1], "admin");
	assert_string_equal(c.source_address, "198.18.0.0/15");
	assert_null(c.bad_critical);
	assert_int_equal(c.permit_port_forwarding, 1);
	/* The CA is the one that signed, the key the user's. */
	ca_of(key_ca_pub, &ca);
	assert_int_equal(c.ca_bloblen, ca.bloblen);
	assert_memory_equal(c.ca_blob, ca.blob, ca.bloblen);
	ca_of(key_user_pub, &user);
	assert_int_equal(c.key_bloblen, user.bloblen);
	assert_memory_equal(c.key_blob, user.blob, user.bloblen);
	sshr_authkey_clear(&ca);
	sshr_authkey_clear(&user);
	sshr_cert_clear(&c);
}

/* The certificate's CA is the key in line. */
static void
signed_by(const struct sshr_cert *c, const char *line)
{
	struct sshr_authkey k;

	ca_of(line, &k);
	assert_int_equal(c->ca_bloblen, k.bloblen);
	assert_memory_equal(c->ca_blob, k.blob, k.bloblen);
	sshr_authkey_clear(&k);
}

static void
test_signatures(void **state)
{
	struct sshr_cert c;
	const char *why;

	assert_int_equal(load(cert_u1, &c, &why), 0);
	assert_int_equal(sshr_cert_verify(&c, &why), 0);
	/* One flipped bit in what was signed: refused. */
	c.signed_data[c.signed_len - 40] ^= 1;
	assert_int_equal(sshr_cert_verify(&c, &why), -1);
	assert_string_equal(why, "bad CA signature on the certificate");
	sshr_cert_clear(&c);

	assert_int_equal(load(cert_u3, &c, &why), 0);	/* RSA CA */
	assert_string_equal(c.ca_type, "ssh-rsa");
	signed_by(&c, key_rsaca_pub);
	assert_int_equal(sshr_cert_verify(&c, &why), 0);
	sshr_cert_clear(&c);

	assert_int_equal(load(cert_u4, &c, &why), 0);	/* ECDSA CA */
	assert_string_equal(c.ca_type, "ecdsa-sha2-nistp256");
	signed_by(&c, key_ecca_pub);
	assert_int_equal(sshr_cert_verify(&c, &why), 0);
	assert_int_equal(c.permit_port_forwarding, 0);
	c.sig[c.siglen - 1] ^= 0x80;
	assert_int_equal(sshr_cert_verify(&c, &why), -1);
	sshr_cert_clear(&c);
}

static void
test_checks(void **state)
{
	struct sshr_cert c;
	const char *why;
	time_t now = time(NULL);

	assert_int_equal(load(cert_u1, &c, &why), 0);
	assert_int_equal(sshr_cert_check(&c, now, "198.18.5.1", ops, 1, &why),
	    0);
	assert_int_equal(sshr_cert_check(&c, now, "198.19.255.1", admin, 1,
	    &why), 0);
	assert_int_equal(sshr_cert_check(&c, now, "198.18.5.1", nobody, 1,
	    &why), -1);
	assert_string_equal(why, "certificate principals do not include the "
	    "user");
	assert_int_equal(sshr_cert_check(&c, now, "127.0.0.1", ops, 1, &why),
	    -1);
	assert_string_equal(why, "certificate source-address does not allow "
	    "this client");
	c.cert_type = 2;
	assert_int_equal(sshr_cert_check(&c, now, "198.18.5.1", ops, 1, &why),
	    -1);
	assert_string_equal(why, "not a user certificate");
	sshr_cert_clear(&c);

	assert_int_equal(load(cert_u2, &c, &why), 0);
	assert_int_equal(sshr_cert_check(&c, now, "127.0.0.1", ops, 1, &why),
	    -1);
	assert_string_equal(why, "certificate expired");
	/* 2020-01-15, inside its window (local time zones aside). */
	assert_int_equal(sshr_cert_check(&c, 1579046400, "127.0.0.1", ops, 1,
	    &why), 0);
	assert_int_equal(sshr_cert_check(&c, 1500000000, "127.0.0.1", ops, 1,
	    &why), -1);
	assert_string_equal(why, "certificate not yet valid");
	sshr_cert_clear(&c);

	assert_int_equal(load(cert_u3, &c, &why), 0);
	assert_string_equal(c.bad_critical, "weird");
	assert_int_equal(sshr_cert_check(&c, now, "127.0.0.1", ops, 1, &why),
	    -1);
	assert_string_equal(why, "certificate has an unsupported critical "
	    "option");
	sshr_cert_clear(&c);
}

static void
test_malformed(void **state)
{
	struct sshr_cert c;
	struct sshr_authkey k;
	unsigned char *blob;
	size_t len, cut;
	const char *why;

	/* A plain key is not a certificate. */
	ca_of(key_user_pub, &k);
	assert_int_equal(sshr_cert_parse(k.blob, k.bloblen, &c, &why), -1);
	sshr_cert_clear(&c);
	sshr_authkey_clear(&k);
	/* Every truncation fails cleanly. */
	assert_int_equal(sshr_b64_decode(cert_u1, strlen(cert_u1), &blob,
	    &len), 0);
	for (cut = 0; cut < len; cut++) {
		assert_int_equal(sshr_cert_parse(blob, cut, &c, &why), -1);
		sshr_cert_clear(&c);
	}
	free(blob);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
