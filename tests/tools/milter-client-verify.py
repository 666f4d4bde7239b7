#!/usr/bin/python3
"""Verifies every DKIM-Signature of messages with dkimpy.

usage: milter-client-verify.py KEYTXT MESSAGE [EXPECTED_SIGNATURES]
       milter-client-verify.py KEYTXT --list LISTFILE

KEYTXT is the .txt file opendkim-genkey writes (a zone-file TXT record); DNS
lookups of any *._domainkey name are answered from it, so no resolver is
involved. LISTFILE has one "MESSAGE EXPECTED_SIGNATURES" line per message
(one Python start for many messages: it is the slow part of the tests).
Exits 0 when every message has signatures (the expected number, if given)
and all verify; prints one line per signature.
"""
import re
import sys

import dkim


def txt_record(path):
    text = open(path).read()
    # Join the quoted strings of the record: ( "v=DKIM1; ..." "p=..." )
    return "".join(re.findall(r'"([^"]*)"', text)).encode()


def verify(record, path, expected):
    message = open(path, "rb").read()

    def dnsfunc(name, timeout=5):
        return record

    d = dkim.DKIM(message)
    sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
    if expected is not None and len(sigs) != expected:
        print("%s: expected %d signatures, found %d" % (path, expected, len(sigs)))
        return False
    if not sigs:
        print("%s: no DKIM-Signature" % path)
        return False
    ok = True
    for i in range(len(sigs)):
        try:
            good = dkim.DKIM(message).verify(idx=i, dnsfunc=dnsfunc)
            why = ""
        except dkim.DKIMException as e:
            good, why = False, ": %s" % e
        print("%s: signature %d: %s%s" % (path, i, "pass" if good else "FAIL", why))
        ok = ok and good
    return ok


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[1] == "--list":
        jobs = [line.split() for line in open(args[2]) if line.strip()]
        jobs = [(p, int(n)) for (p, n) in jobs]
        if not jobs:
            print("empty list")
            return 1
    elif len(args) in (2, 3):
        jobs = [(args[1], int(args[2]) if len(args) == 3 else None)]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    record = txt_record(args[0])
    results = [verify(record, p, n) for (p, n) in jobs]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
