# Tests of dkim/ (sources under tests/dkim/).
DKIM_TEST_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(CHECK_CFLAGS)
DKIM_TEST_LIBS = dkim/libdkim.la $(OPENSSL_LIBS) $(CHECK_LIBS)

# Signs the sample messages with in-memory keys for the independent verifiers.
check_PROGRAMS += tests/dkim/dkim-sign-inmem
tests_dkim_dkim_sign_inmem_SOURCES = tests/dkim/dkim-sign-inmem.c
tests_dkim_dkim_sign_inmem_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_dkim_dkim_sign_inmem_LDADD = dkim/libdkim.la $(OPENSSL_LIBS)

TESTS += tests/dkim/verify.sh
EXTRA_DIST += tests/dkim/verify.sh tests/lib/dkim-verify.py \
	tests/dkim/data/.gitattributes tests/dkim/data/folded.eml tests/dkim/data/lf.eml \
	tests/dkim/data/empty-body.eml tests/dkim/data/blank-body.eml

# The libopendkim judge (libopendkim-dev, found by configure with pkg-config).
check_PROGRAMS += tests/dkim/dkim-odkim-verify
tests_dkim_dkim_odkim_verify_SOURCES = tests/dkim/dkim-odkim-verify.c
tests_dkim_dkim_odkim_verify_CPPFLAGS = $(AM_CPPFLAGS) $(OPENDKIM_CFLAGS)
tests_dkim_dkim_odkim_verify_LDADD = $(OPENDKIM_LIBS)

# Check suites, one per module.
check_PROGRAMS += tests/dkim/check_dkim_canon
TESTS += tests/dkim/check_dkim_canon
tests_dkim_check_dkim_canon_SOURCES = tests/dkim/check_dkim_canon.c tests/dkim/testutil.h
tests_dkim_check_dkim_canon_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_canon_LDADD = $(DKIM_TEST_LIBS)

check_PROGRAMS += tests/dkim/check_dkim_split
TESTS += tests/dkim/check_dkim_split
tests_dkim_check_dkim_split_SOURCES = tests/dkim/check_dkim_split.c tests/dkim/testutil.h \
	tests/dkim/body-ref.h
tests_dkim_check_dkim_split_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_split_LDADD = $(DKIM_TEST_LIBS)

check_PROGRAMS += tests/dkim/check_dkim_signer
TESTS += tests/dkim/check_dkim_signer
tests_dkim_check_dkim_signer_SOURCES = tests/dkim/check_dkim_signer.c tests/dkim/signer-util.h \
	tests/dkim/testutil.h
tests_dkim_check_dkim_signer_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_signer_LDADD = $(DKIM_TEST_LIBS)

check_PROGRAMS += tests/dkim/check_dkim_addr
TESTS += tests/dkim/check_dkim_addr
tests_dkim_check_dkim_addr_SOURCES = tests/dkim/check_dkim_addr.c
tests_dkim_check_dkim_addr_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_addr_LDADD = $(DKIM_TEST_LIBS)

check_PROGRAMS += tests/dkim/check_dkim_message
TESTS += tests/dkim/check_dkim_message
tests_dkim_check_dkim_message_SOURCES = tests/dkim/check_dkim_message.c tests/dkim/testutil.h
tests_dkim_check_dkim_message_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_message_LDADD = $(DKIM_TEST_LIBS)

# A benchmark (prints figures, asserts nothing), built with the tests.
check_PROGRAMS += tests/dkim/dkim-bench
tests_dkim_dkim_bench_SOURCES = tests/dkim/dkim-bench.c tests/dkim/body-ref.h
tests_dkim_dkim_bench_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_dkim_dkim_bench_LDADD = dkim/libdkim.la $(OPENSSL_LIBS)

check_PROGRAMS += tests/dkim/check_dkim_sigtext
TESTS += tests/dkim/check_dkim_sigtext
tests_dkim_check_dkim_sigtext_SOURCES = tests/dkim/check_dkim_sigtext.c tests/dkim/signer-util.h \
	tests/dkim/testutil.h
tests_dkim_check_dkim_sigtext_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_sigtext_LDADD = $(DKIM_TEST_LIBS)

check_PROGRAMS += tests/dkim/check_dkim_tags
TESTS += tests/dkim/check_dkim_tags
tests_dkim_check_dkim_tags_SOURCES = tests/dkim/check_dkim_tags.c
tests_dkim_check_dkim_tags_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_tags_LDADD = $(DKIM_TEST_LIBS)

# The check of an existing signature against dkimpy's (fixtures made by
# data/dkimpy/make-dkimpy.py; a folder of their own, as verify.sh signs every data/*.eml).
check_PROGRAMS += tests/dkim/check_dkim_verify
TESTS += tests/dkim/check_dkim_verify
tests_dkim_check_dkim_verify_SOURCES = tests/dkim/check_dkim_verify.c
tests_dkim_check_dkim_verify_CFLAGS = $(DKIM_TEST_CFLAGS)
tests_dkim_check_dkim_verify_LDADD = $(DKIM_TEST_LIBS)
EXTRA_DIST += tests/dkim/data/dkimpy/make-dkimpy.py tests/dkim/data/dkimpy/verify-rsa.key \
	tests/dkim/data/dkimpy/verify-ed.key tests/dkim/data/dkimpy/dkimpy-rsa-relaxed.eml \
	tests/dkim/data/dkimpy/dkimpy-rsa-simple.eml tests/dkim/data/dkimpy/dkimpy-ed-relaxed.eml \
	tests/dkim/data/dkimpy/dkimpy-ed-simple.eml
