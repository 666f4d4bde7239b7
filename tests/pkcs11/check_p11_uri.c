/*
 * check_p11_uri.c: the one pkcs11: URI parser (pkcs11/p11_uri.c), one table row per rule of
 * RFC 7512 as p11dkim applies it. Pure parsing: no token needed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11_int.h"
#include "tests/lib/check_main.h"

/* A URI that parses, and what it must yield (NULL: attribute absent). */
static const struct good {
	const char *uri;
	const char *token, *serial, *manufacturer, *model, *object;
	const char *id; /* hex of the decoded bytes, or NULL */
} good[] = {
    /* The scheme, and the attribute names, in any case (RFC 3986 3.1, RFC 5234 2.3). */
    {"PKCS11:token=dkim", "dkim", NULL, NULL, NULL, NULL, NULL},
    {"Pkcs11:Object=k;TOKEN=dkim", "dkim", NULL, NULL, NULL, "k", NULL},
    /* Percent-decoding in every value. */
    {"pkcs11:token=a%2Fb%3bc%20d", "a/b;c d", NULL, NULL, NULL, NULL, NULL},
    {"pkcs11:serial=%31%32ab", NULL, "12ab", NULL, NULL, NULL, NULL},
    {"pkcs11:manufacturer=Snake%20Oil,%20Inc.", NULL, NULL, "Snake Oil, Inc.", NULL, NULL, NULL},
    {"pkcs11:model=1.0%2Fx", NULL, NULL, NULL, "1.0/x", NULL, NULL},
    {"pkcs11:object=my%2Fkey%3F", NULL, NULL, NULL, NULL, "my/key?", NULL},
    {"pkcs11:id=%69%95%3E%5c%00", NULL, NULL, NULL, NULL, NULL, "69953e5c00"},
    /* Characters the grammar allows unencoded. */
    {"pkcs11:object=a-b.c_d~e:f[g]h@i!j$k'l(m)n*o+p,q=r&s", NULL, NULL, NULL, NULL,
     "a-b.c_d~e:f[g]h@i!j$k'l(m)n*o+p,q=r&s", NULL},
    /* type=private is what a signing key is. */
    {"pkcs11:object=k;type=private", NULL, NULL, NULL, NULL, "k", NULL},
    /* Query attributes other than pin-*: checked, then ignored; '/', '?', '|' allowed there. */
    {"pkcs11:object=k?module-path=/usr/lib/x.so&module-name=x", NULL, NULL, NULL, NULL, "k", NULL},
    {"pkcs11:object=k?x-vendor=a/b?c|d", NULL, NULL, NULL, NULL, "k", NULL},
    {"pkcs11:object=k?", NULL, NULL, NULL, NULL, "k", NULL},
    {"pkcs11:", NULL, NULL, NULL, NULL, NULL, NULL},
};

static void
want_str(const char *uri, const char *what, const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: %s should be absent, is \"%s\"", uri, what, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0, "%s: %s is \"%s\", not \"%s\"",
		              uri, what, got ? got : "(absent)", want);
}

START_TEST(test_good)
{
	const struct good *g = &good[_i];
	struct p11_error err;
	struct p11_uri u;
	char hex[64] = "";

	ck_assert_msg(p11_uri_parse(g->uri, &u, &err) == P11_OK, "%s: %s", g->uri, err.msg);
	want_str(g->uri, "token", u.token, g->token);
	want_str(g->uri, "serial", u.serial, g->serial);
	want_str(g->uri, "manufacturer", u.manufacturer, g->manufacturer);
	want_str(g->uri, "model", u.model, g->model);
	want_str(g->uri, "object", u.object, g->object);
	ck_assert_int_eq(u.has_id, g->id != NULL);
	for (size_t i = 0; u.has_id && i < u.id_len && 2 * i + 2 < sizeof(hex); i++)
		snprintf(hex + 2 * i, 3, "%02x", u.id[i]);
	if (g->id != NULL)
		ck_assert_str_eq(hex, g->id);
	ck_assert(p11_uri_check(g->uri, false, &err) == P11_OK);
	p11_uri_free(&u);
}
END_TEST

/* A URI that is refused, and a word the reason must contain. */
static const struct bad {
	const char *uri;
	const char *why;
} bad[] = {
    /* Invalid percent-escapes, in path and query, in text and in id=. */
    {"pkcs11:object=a%zz", "two hex digits"},
    {"pkcs11:object=a%2", "two hex digits"},
    {"pkcs11:object=a%", "two hex digits"},
    {"pkcs11:id=%0g", "two hex digits"},
    {"pkcs11:token=%", "two hex digits"},
    {"pkcs11:object=k?module-path=%zz", "two hex digits"},
    /* Characters that must be percent-encoded. */
    {"pkcs11:object=a b", "percent-encoded"},
    {"pkcs11:object=a/b", "percent-encoded"},
    {"pkcs11:token=a#b", "percent-encoded"},
    {"pkcs11:token=a\"b", "percent-encoded"},
    {"pkcs11:object=k?module-path=a b", "percent-encoded"},
    /* A decoded NUL in a text value. */
    {"pkcs11:object=a%00b", "NUL"},
    /* Unknown path attributes: RFC 7512 2.4, they match nothing. */
    {"pkcs11:object=k;colour=blue", "'colour'"},
    {"pkcs11:slot-id=1", "'slot-id'"},
    {"pkcs11:library-manufacturer=x;object=k", "'library-manufacturer'"},
    {"pkcs11:x-vendor=1;token=dkim", "RFC 7512 2.4"},
    /* Malformed, empty and repeated path attributes. */
    {"pkcs11:object", "malformed"},
    {"pkcs11:=k", "malformed"},
    {"pkcs11:object=k;;token=t", "empty"},
    {"pkcs11:object=k;", "empty"},
    {"pkcs11:token=a;TOKEN=b", "twice"},
    {"pkcs11:id=%01;id=%02", "twice"},
    {"pkcs11:object=k?&module-name=x", "empty"},
    /* A signing key is type=private. */
    {"pkcs11:object=k;type=public", "type=private"},
    {"pkcs11:object=k;type=cert", "type=private"},
    /* Not the scheme. */
    {"pkcs11", "not a PKCS#11 URI"},
    {"pkcs11x:object=k", "not a PKCS#11 URI"},
    {"dkim", "not a PKCS#11 URI"},
};

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	struct p11_error err;
	struct p11_uri u;

	ck_assert_msg(p11_uri_parse(b->uri, &u, &err) == P11_ERR_INVALID, "%s parsed", b->uri);
	ck_assert_int_eq(err.status, P11_ERR_INVALID);
	ck_assert_msg(strstr(err.msg, b->why) != NULL, "%s: \"%s\" does not say \"%s\"", b->uri,
	              err.msg, b->why);
	ck_assert_ptr_null(u.token); /* nothing left allocated or half filled */
	ck_assert(!u.has_id);
	ck_assert_int_eq(p11_uri_check(b->uri, false, &err), P11_ERR_INVALID);
}
END_TEST

/* pin-source and pin-value are refused wherever they stand, and the PIN is never echoed. */
START_TEST(test_pin_query)
{
	static const char *const uris[] = {
	    "pkcs11:object=k?pin-value=s3cret",
	    "pkcs11:object=k?pin-source=file:/etc/s3cret",
	    "pkcs11:object=k?module-name=x&PIN-VALUE=s3cret",
	    "pkcs11:colour=s3cret?pin-value=s3cret", /* the path error must not come first */
	    "pkcs11:object=k?module-path=%zz&pin-value=s3cret",
	};
	struct p11_error err;
	struct p11_uri u;

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		ck_assert_int_eq(p11_uri_parse(uris[i], &u, &err), P11_ERR_INVALID);
		ck_assert_msg(strstr(err.msg, "pin_file or pin_env") != NULL, "%s: %s", uris[i],
		              err.msg);
		ck_assert_msg(strstr(err.msg, "s3cret") == NULL, "%s: PIN echoed: %s", uris[i],
		              err.msg);
	}
}
END_TEST

START_TEST(test_is_and_check)
{
	struct p11_error err;
	char *l;

	ck_assert(p11_uri_is("pkcs11:"));
	ck_assert(p11_uri_is("PKCS11:token=dkim"));
	ck_assert(p11_uri_is("pKcS11:object=k"));
	ck_assert(!p11_uri_is("pkcs11"));
	ck_assert(!p11_uri_is("xpkcs11:object=k"));
	ck_assert(!p11_uri_is("dkim-rsa"));
	ck_assert(!p11_uri_is(NULL));
	/* A key reference must name the key; a token reference need not. */
	ck_assert_int_eq(p11_uri_check("pkcs11:token=dkim", false, &err), P11_OK);
	ck_assert_int_eq(p11_uri_check("pkcs11:token=dkim", true, &err), P11_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "object= or id="));
	ck_assert_int_eq(p11_uri_check("PKCS11:id=%01", true, &err), P11_OK);
	ck_assert_int_eq(p11_uri_check("pkcs11:object=k", true, &err), P11_OK);
	/* The label a key reference names, for the keytool. */
	ck_assert_str_eq(l = p11_uri_key_label("dkim-rsa"), "dkim-rsa");
	free(l);
	ck_assert_str_eq(l = p11_uri_key_label("PKCS11:object=a%2Fb;token=t"), "a/b");
	free(l);
	ck_assert_ptr_null(p11_uri_key_label("pkcs11:id=%01"));
	ck_assert_ptr_null(p11_uri_key_label("pkcs11:object=a%zz"));
	ck_assert_ptr_null(p11_uri_key_label(NULL));
}
END_TEST

static Suite *
uri_suite(void)
{
	Suite *s = suite_create("p11_uri");
	TCase *tc = tcase_create("rfc7512");

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_pin_query);
	tcase_add_test(tc, test_is_and_check);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(uri_suite(), NULL);
}
