/*
 * Unit tests of tools/keytool/dnsrec_parse: a table of DKIM key records, each with the
 * status, key type, flags and key length the parser must report.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool/dnsrec_parse.h"
#include "tests/lib/check_main.h"

/* A 32-byte Ed25519 key and a short RSA-ish blob, base64. */
#define ED_KEY "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define BLOB "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ=="

struct rec_case {
	const char *text;
	enum dnsrec_status st;
	enum dnsrec_keytype ktype;
	int testing;
	int revoked;
	size_t keylen;
};

static const struct rec_case rec_cases[] = {
    {"v=DKIM1; k=rsa; p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 0, 0, 28},
    {"p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 0, 0, 28},
    {"v=DKIM1; k=ed25519; p=" ED_KEY, DNSREC_OK, DNSREC_K_ED25519, 0, 0, 32},
    {"v=DKIM1;k=ed25519;p=" ED_KEY ";", DNSREC_OK, DNSREC_K_ED25519, 0, 0, 32},
    {"  v = DKIM1 ;  k = rsa ; p = MIGf MA0G\r\n\tCSqG SIb3 DQEB AQUA A4GN ADCB iQKB gQ== ; ",
     DNSREC_OK, DNSREC_K_RSA, 0, 0, 28},
    {"v=DKIM1; t=y; p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 1, 0, 28},
    {"v=DKIM1; t=s:y; p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 1, 0, 28},
    {"v=DKIM1; t=s; p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 0, 0, 28},
    {"v=DKIM1; t = y : s ; p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 1, 0, 28},
    {"v=DKIM1; k=rsa; p=", DNSREC_OK, DNSREC_K_RSA, 0, 1, 0},
    {"v=DKIM1; k=ed25519; p=", DNSREC_OK, DNSREC_K_ED25519, 0, 1, 0},
    {"v=DKIM1; h=sha1:sha256; s=email; n=a note; x=unknown; p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 0, 0,
     28},
    {"s=*; p=" BLOB, DNSREC_OK, DNSREC_K_RSA, 0, 0, 28},
    {"p=" BLOB "; v=DKIM1", DNSREC_EVERSION, 0, 0, 0, 0},
    {"v=DKIM2; p=" BLOB, DNSREC_EVERSION, 0, 0, 0, 0},
    {"v=dkim1; p=" BLOB, DNSREC_EVERSION, 0, 0, 0, 0},
    {"v=DKIM1; k=dsa; p=" BLOB, DNSREC_EKEYTYPE, 0, 0, 0, 0},
    {"v=DKIM1; h=sha1; p=" BLOB, DNSREC_EHASH, 0, 0, 0, 0},
    {"v=DKIM1; s=tlsrpt; p=" BLOB, DNSREC_ESERVICE, 0, 0, 0, 0},
    {"v=DKIM1; k=rsa", DNSREC_ENOKEY, 0, 0, 0, 0},
    {"v=DKIM1; p=" BLOB "; p=" BLOB, DNSREC_EDUPTAG, 0, 0, 0, 0},
    {"v=DKIM1; k=rsa; k=rsa; p=" BLOB, DNSREC_EDUPTAG, 0, 0, 0, 0},
    {"v=DKIM1; p=MIGf!", DNSREC_EBASE64, 0, 0, 0, 0},
    {"v=DKIM1; p=MIG", DNSREC_EBASE64, 0, 0, 0, 0},
    {"v=DKIM1; p=MI==MIGf", DNSREC_EBASE64, 0, 0, 0, 0},
    {"v=DKIM1; p====", DNSREC_EBASE64, 0, 0, 0, 0},
    {"v=DKIM1; k=ed25519; p=" BLOB, DNSREC_EBASE64, 0, 0, 0, 0},
    {"", DNSREC_ESYNTAX, 0, 0, 0, 0},
    {";", DNSREC_ESYNTAX, 0, 0, 0, 0},
    {"v=DKIM1;; p=" BLOB, DNSREC_ESYNTAX, 0, 0, 0, 0},
    {"v=DKIM1; 1p=" BLOB, DNSREC_ESYNTAX, 0, 0, 0, 0},
    {"v=DKIM1; p " BLOB, DNSREC_ESYNTAX, 0, 0, 0, 0},
    {"v=DKIM1; n=caf\xc3\xa9; p=" BLOB, DNSREC_ESYNTAX, 0, 0, 0, 0},
    {"v=DKIM1; =x; p=" BLOB, DNSREC_ESYNTAX, 0, 0, 0, 0},
    {"\"v=DKIM1; p=" BLOB "\"", DNSREC_ESYNTAX, 0, 0, 0, 0},
    {"a=1;b=1;c=1;d=1;e=1;f=1;g=1;i=1;j=1;l=1;m=1;o=1;q=1;r=1;u=1;w=1;x=1;y=1;z=1;"
     "A=1;B=1;C=1;D=1;E=1;F=1;G=1;H=1;I=1;J=1;K=1;L=1;M=1;N=1;p=" BLOB,
     DNSREC_ESYNTAX, 0, 0, 0, 0},
};

START_TEST(test_rec_table)
{
	const struct rec_case *tc = &rec_cases[_i];
	struct dnsrec rec;
	enum dnsrec_status st;

	st = dnsrec_parse(tc->text, strlen(tc->text), &rec);
	ck_assert_msg(st == tc->st, "case %d \"%s\": got %s (%s), want %s", _i, tc->text,
	              dnsrec_strerror(st), rec.detail, dnsrec_strerror(tc->st));
	if (st == DNSREC_OK) {
		ck_assert_int_eq(rec.ktype, tc->ktype);
		ck_assert_int_eq(rec.testing, tc->testing);
		ck_assert_int_eq(rec.revoked, tc->revoked);
		ck_assert_uint_eq(rec.keylen, tc->keylen);
		ck_assert(tc->keylen == 0 || rec.key != NULL);
	} else {
		ck_assert_ptr_null(rec.key);
		ck_assert_msg(rec.detail[0] != '\0', "case %d: no detail for the error", _i);
	}
	dnsrec_free(&rec);
}
END_TEST

/* The text need not be NUL-terminated: a record cut short must not be read past. */
START_TEST(test_rec_not_terminated)
{
	const char full[] = "v=DKIM1; k=ed25519; p=" ED_KEY;
	size_t n = strlen(full);
	size_t cut;

	for (cut = 0; cut <= n; cut++) {
		char *copy = malloc(cut ? cut : 1);
		struct dnsrec rec;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, full, cut);
		(void)dnsrec_parse(copy, cut, &rec);
		dnsrec_free(&rec);
		free(copy);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsrec_parse");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_rec_table, 0, (int)(sizeof(rec_cases) / sizeof(rec_cases[0])));
	tcase_add_test(tc, test_rec_not_terminated);
	suite_add_tcase(s, tc);
	return check_run(s, NULL);
}
