#!/usr/bin/python3
"""The dkimpy judge of every test: verifies each DKIM-Signature of messages, offline.

usage: dkim-verify.py [--expect N] [--list FILE] [--sink [--clean OUT]] KEYS [MESSAGE...]

KEYS stands in for DNS, in one of two forms:
  - "NAME TXT-VALUE" lines (sel._domainkey.example.com v=DKIM1; k=rsa; p=...),
    '#' lines ignored; a name absent from the file has no key;
  - the zone-file record opendkim-genkey writes (quoted strings in parentheses):
    its one record answers every name.
--expect N   each message must carry exactly N signatures (0: none); without it,
             at least one.
--list FILE  more messages, one "MESSAGE [N]" line each (N overrides --expect):
             one Python start for many messages, the slow part of the tests.
--sink       MESSAGE is a capture of Postfix's smtp-sink: its own fields above
             the message and the empty line below are removed, line ends become
             CRLF as on the wire; --clean OUT writes the message so recovered.

Prints one line per signature, "PASS|FAIL MESSAGE #I d=D s=S a=A c=C [(why)]",
and a FAIL line for a message with the wrong number of signatures. Exits 0 when
every message has the expected signatures and all of them verify, 1 otherwise,
2 on a usage error.
"""
import argparse
import logging
import re
import sys

# Keys never come from DNS here; without this, importing dkim imports
# dnspython, which imports httpx: about 2 s per start for nothing.
sys.modules.setdefault("dkim.dnsplug", None)
import dkim  # noqa: E402

SINK_FIELDS = (b"x-client-addr:", b"x-client-proto:", b"x-helo-args:",
               b"x-mail-args:", b"x-rcpt-args:")


def load_keys(path):
    """Returns a function from a DNS name to its TXT value (or None)."""
    with open(path, "rb") as f:
        text = f.read()
    if b'"' in text:
        record = b"".join(re.findall(rb'"([^"]*)"', text))
        return lambda name: record
    keys = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        name, _, value = line.partition(b" ")
        keys[name.lower().rstrip(b".")] = value.strip()
    return lambda name: keys.get(name.lower().rstrip(b"."))


def strip_sink(raw):
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    i = 0
    while i < len(lines) and lines[i].lower().startswith(SINK_FIELDS):
        i += 1
    # smtp-sink's Received: is a field plus continuation lines, naming smtp-sink.
    if i < len(lines) and lines[i].lower().startswith(b"received:"):
        j = i + 1
        while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
            j += 1
        if b"(smtp-sink)" in b"".join(lines[i:j]):
            i = j
    body = lines[i:]
    # The dump ends with the message's last line end, then an empty line.
    for _ in range(2):
        if body and body[-1] == b"":
            body.pop()
    return b"\r\n".join(body) + b"\r\n"


def sig_tags(value):
    v = re.sub(rb"\s+", b"", value)
    tags = dict(t.split(b"=", 1) for t in v.split(b";") if b"=" in t)
    return " ".join("%s=%s" % (k, tags.get(k.encode(), b"?").decode("ascii", "replace"))
                    for k in ("d", "s", "a", "c"))


def verify(msg, path, expected, lookup, log):
    """Prints a line per signature; True when all verify and the count is right."""
    sigs = [v for (n, v) in dkim.rfc822_parse(msg)[0] if n.lower() == b"dkim-signature"]
    if expected is None and not sigs:
        print("FAIL %s: no DKIM-Signature" % path)
        return False
    ok = True
    if expected is not None and len(sigs) != expected:
        print("FAIL %s: %d signature(s), expected %d" % (path, len(sigs), expected))
        ok = False

    def dnsfunc(name, timeout=5):
        return lookup(name if isinstance(name, bytes) else name.encode())

    for i, value in enumerate(sigs):
        why = ""
        try:
            good = dkim.DKIM(msg, logger=log).verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            good, why = False, " (%s)" % e
        print("%s %s #%d %s%s" % ("PASS" if good else "FAIL", path, i, sig_tags(value), why))
        ok = ok and good
    return ok


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1])
    ap.add_argument("--expect", type=int)
    ap.add_argument("--list")
    ap.add_argument("--sink", action="store_true")
    ap.add_argument("--clean")
    ap.add_argument("keys")
    ap.add_argument("messages", nargs="*")
    a = ap.parse_args()

    jobs = [(p, a.expect) for p in a.messages]
    if a.list:
        with open(a.list) as f:
            for line in f:
                w = line.split()
                if w:
                    jobs.append((w[0], int(w[1]) if len(w) > 1 else a.expect))
    if not jobs:
        print("no message to verify", file=sys.stderr)
        return 2
    if a.clean and (not a.sink or len(jobs) != 1):
        print("--clean needs --sink and one message", file=sys.stderr)
        return 2

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    log = logging.getLogger("dkim-verify")
    lookup = load_keys(a.keys)
    ok = True
    for path, expected in jobs:
        with open(path, "rb") as f:
            msg = f.read()
        if a.sink:
            msg = strip_sink(msg)
            if a.clean:
                with open(a.clean, "wb") as f:
                    f.write(msg)
        ok = verify(msg, path, expected, lookup, log) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
