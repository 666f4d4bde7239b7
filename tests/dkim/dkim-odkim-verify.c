/*
 * dkim-odkim-verify: the libopendkim judge. Verifies every DKIM-Signature of
 * messages with libopendkim's own verifier, keys read from a file instead of
 * DNS (DKIM_QUERY_FILE), the raw message bytes handed to dkim_chunk() so that
 * the library itself splits header and body.
 *
 * Why not the opendkim filter's test mode (opendkim -t): it passes headers
 * through its milter layer, which rebuilds "name: value" with exactly one
 * space after the colon (a milter without SMFIP_HDR_LEADSPC), so it cannot
 * judge simple header canonicalization of fields such as "From:x" or a fold
 * right after the colon. opendkim-testmsg verifies only through DNS.
 *
 * Usage: dkim-odkim-verify KEYS MESSAGE...
 * KEYS: "selector._domainkey.domain TXT-value" lines. Prints one line per
 * signature (PASS/FAIL file #i d= a= c= and the library's reason) and exits 1
 * if any fails or a message has none.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <dkim.h>

static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL, *np;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((np = realloc(p, cap)) == NULL) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = np;
		}
		if ((r = fread(p + n, 1, cap - n, f)) == 0)
			break;
		n += r;
	}
	fclose(f);
	*len = n;
	return p;
}

static const char *
canon_name(dkim_canon_t c)
{
	return c == DKIM_CANON_SIMPLE ? "simple" : c == DKIM_CANON_RELAXED ? "relaxed" : "?";
}

static const char *
alg_name(dkim_alg_t a)
{
	switch (a) {
	case DKIM_SIGN_RSASHA256:
		return "rsa-sha256";
	case DKIM_SIGN_ED25519SHA256:
		return "ed25519-sha256";
	case DKIM_SIGN_RSASHA1:
		return "rsa-sha1";
	default:
		return "?";
	}
}

static int
verify_file(DKIM_LIB *lib, const char *path)
{
	DKIM_SIGINFO **sigs = NULL;
	DKIM_STAT st, eom;
	unsigned char *msg;
	size_t len;
	DKIM *dkim;
	int nsigs = 0, i, failed = 0;

	if ((msg = read_all(path, &len)) == NULL) {
		printf("FAIL %s: cannot read\n", path);
		return 1;
	}
	dkim = dkim_verify(lib, (const unsigned char *)path, NULL, &st);
	if (dkim == NULL) {
		printf("FAIL %s: dkim_verify: %s\n", path, dkim_getresultstr(st));
		free(msg);
		return 1;
	}
	st = dkim_chunk(dkim, msg, len);
	if (st == DKIM_STAT_OK)
		st = dkim_chunk(dkim, NULL, 0);
	eom = dkim_eom(dkim, NULL);
	if (st != DKIM_STAT_OK || dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK ||
	    nsigs == 0) {
		printf("FAIL %s: %s (chunk: %s, eom: %s)\n", path,
		       dkim_geterror(dkim) ? dkim_geterror(dkim) : "no signature",
		       dkim_getresultstr(st), dkim_getresultstr(eom));
		dkim_free(dkim);
		free(msg);
		return 1;
	}
	for (i = 0; i < nsigs; i++) {
		DKIM_SIGINFO *sig = sigs[i];
		dkim_canon_t hc = DKIM_CANON_UNKNOWN, bc = DKIM_CANON_UNKNOWN;
		dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
		bool ok = DKIM_SIG_CHECK(sig);

		(void)dkim_sig_getcanons(sig, &hc, &bc);
		(void)dkim_sig_getsignalg(sig, &alg);
		printf("%s %s #%d d=%s a=%s c=%s/%s bh=%s error=%s\n", ok ? "PASS" : "FAIL", path,
		       i, (const char *)dkim_sig_getdomain(sig), alg_name(alg), canon_name(hc),
		       canon_name(bc),
		       dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH ? "match" : "MISMATCH",
		       dkim_sig_geterrorstr(dkim_sig_geterror(sig))
		           ? dkim_sig_geterrorstr(dkim_sig_geterror(sig))
		           : "none");
		if (!ok)
			failed++;
	}
	dkim_free(dkim);
	free(msg);
	return failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	int qmethod = DKIM_QUERY_FILE, a, rc = 0;
	unsigned int flags = 0;
	DKIM_LIB *lib;

	if (argc < 3) {
		fprintf(stderr, "usage: dkim-odkim-verify KEYS MESSAGE...\n");
		return 2;
	}
	if ((lib = dkim_init(NULL, NULL)) == NULL) {
		fprintf(stderr, "dkim-odkim-verify: dkim_init failed\n");
		return 2;
	}
	/* RFC 6376 3.4.3/3.4.4 add a CRLF to a body whose last line has none;
	 * libopendkim 2.11 does so only with FIXCRLF and otherwise refuses such a
	 * relaxed body ("CRLF at end of body missing", dkim_canon_closebody). Our
	 * test messages are CRLF already, so the flag changes nothing else. */
	if (dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) !=
	    DKIM_STAT_OK)
		return 2;
	flags |= DKIM_LIBFLAGS_FIXCRLF;
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) !=
	        DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qmethod, sizeof(qmethod)) !=
	        DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, argv[1], strlen(argv[1])) !=
	        DKIM_STAT_OK) {
		fprintf(stderr, "dkim-odkim-verify: cannot set the key file\n");
		return 2;
	}
	for (a = 2; a < argc; a++)
		rc |= verify_file(lib, argv[a]);
	dkim_close(lib);
	return rc;
}
