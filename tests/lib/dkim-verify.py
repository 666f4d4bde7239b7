#!/usr/bin/python3
"""Verifies every DKIM-Signature of messages with dkimpy, offline.

Usage: dkim-verify.py KEYS MESSAGE...
KEYS has one "selector._domainkey.domain TXT-value" line per key; it stands in
for DNS. Prints one line per signature (PASS/FAIL, file, index, d=, a=, c=)
and exits 1 if any signature fails or a message has none.
"""
import logging
import re
import sys

import dkim


def load_keys(path):
    keys = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line:
                name, value = line.split(None, 1)
                keys[name.lower().rstrip(b".")] = value
    return keys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    keys = load_keys(argv[1])

    def dnsfunc(name, timeout=5):
        if isinstance(name, str):
            name = name.encode()
        return keys.get(name.lower().rstrip(b"."))

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    log = logging.getLogger("dkim-verify")
    failed = 0
    for path in argv[2:]:
        with open(path, "rb") as f:
            msg = f.read()
        nsig = len(re.findall(rb"(?im)^dkim-signature:", msg))
        if nsig == 0:
            print("FAIL %s: no DKIM-Signature" % path)
            failed += 1
            continue
        for idx in range(nsig):
            d = dkim.DKIM(msg, logger=log)
            why = ""
            try:
                ok = d.verify(idx=idx, dnsfunc=dnsfunc)
            except dkim.DKIMException as e:
                ok, why = False, " (%s)" % e
            tags = dict(d.signature_fields) if d.signature_fields else {}
            desc = " ".join(
                "%s=%s" % (t, tags.get(t.encode(), b"?").decode("ascii", "replace"))
                for t in ("d", "a", "c"))
            print("%s %s #%d %s%s" % ("PASS" if ok else "FAIL", path, idx, desc, why))
            if not ok:
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
