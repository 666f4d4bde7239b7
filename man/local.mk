# man/: the manual pages, written in mdoc; installed by `make install`.
dist_man_MANS += man/p11dkim.8 man/p11dkim.conf.5 man/p11dkim-keytool.1 \
	man/p11dkim-sign.1 man/p11dkim-load.1

# Each page renders with man(1) without a warning from groff.
TESTS += man/render-check.sh
EXTRA_DIST += man/render-check.sh
