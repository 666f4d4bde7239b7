# tools/: see ../shared/DESIGN.md for what this folder holds.

# --- p11dkim-keytool (key ceremony) -------------------------------------------
# The DKIM key record parser is its own library so unit tests and fuzzers can
# link it without the token code.
noinst_LTLIBRARIES += tools/libdnsrec.la
tools_libdnsrec_la_SOURCES = tools/dnsrec_parse.c tools/dnsrec_parse.h
# --- end p11dkim-keytool ------------------------------------------------------
