#!/usr/bin/python3
"""Verifies every DKIM-Signature of a message with dkimpy.

usage: milter-client-verify.py KEYTXT MESSAGE [EXPECTED_SIGNATURES]

KEYTXT is the .txt file opendkim-genkey writes (a zone-file TXT record); DNS
lookups of any *._domainkey name are answered from it, so no resolver is
involved. Exits 0 when there are signatures (EXPECTED_SIGNATURES of them, if
given) and all verify; prints one line per signature.
"""
import re
import sys

import dkim


def txt_record(path):
    text = open(path).read()
    # Join the quoted strings of the record: ( "v=DKIM1; ..." "p=..." )
    return "".join(re.findall(r'"([^"]*)"', text)).encode()


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    record = txt_record(sys.argv[1])
    message = open(sys.argv[2], "rb").read()

    def dnsfunc(name, timeout=5):
        return record

    d = dkim.DKIM(message)
    sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
    if len(sys.argv) == 4 and len(sigs) != int(sys.argv[3]):
        print("expected %s signatures, found %d" % (sys.argv[3], len(sigs)))
        return 1
    if not sigs:
        print("no DKIM-Signature")
        return 1
    ok = True
    for i in range(len(sigs)):
        try:
            good = dkim.DKIM(message).verify(idx=i, dnsfunc=dnsfunc)
            why = ""
        except dkim.DKIMException as e:
            good, why = False, ": %s" % e
        print("signature %d: %s%s" % (i, "pass" if good else "FAIL", why))
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
