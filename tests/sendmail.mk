# Real Sendmail end to end (tests/sendmail/): Debian's Sendmail, unpacked privately (its
# packages conflict with the Postfix the tests above need), as a private instance with
# p11dkim as its milter; see tests/sendmail/sendmail-p11dkim.sh. Needs root (else skips).
TESTS += tests/sendmail/sendmail-p11dkim.sh
EXTRA_DIST += tests/sendmail/sendmail-p11dkim.sh tests/sendmail/lib.sh tests/sendmail/debs.sh
