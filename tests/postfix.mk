# Real Postfix end to end (tests/postfix/): a private Postfix instance with a
# signing milter, see tests/postfix/e2e.sh. Needs root (else skips).
# postfix-opendkim.sh proves the harness with Debian's OpenDKIM;
# postfix-p11dkim.sh runs the same cases against this build's daemon/p11dkim.
# OpenDKIM is Debian's binary, the same in every build: run it once, in the
# build without sanitizers.
if !SANITIZERS
TESTS += tests/postfix/postfix-opendkim.sh
endif
# The older milter protocols (no SMFIP_HDR_LEADSPC) and simple canonicalization.
P11DKIM_POSTFIX_TESTS = tests/postfix/postfix-p11dkim.sh tests/postfix/postfix-p11dkim-v2.sh \
	tests/postfix/postfix-p11dkim-v4.sh tests/postfix/postfix-p11dkim-simple.sh \
	tests/postfix/postfix-p11dkim-v2-simple.sh
EXTRA_DIST += tests/postfix/postfix-opendkim.sh $(P11DKIM_POSTFIX_TESTS) \
	tests/postfix/e2e.sh tests/postfix/lib.sh tests/postfix/milter-opendkim.sh \
	tests/postfix/milter-p11dkim.sh tests/postfix/submit.py tests/postfix/judge.sh
TESTS += $(P11DKIM_POSTFIX_TESTS)
