#!/usr/bin/python3
"""Check the DKIM signatures of one message captured by smtp-sink, with dkimpy.

smtp-sink puts its own lines above the message (X-Client-Addr:, X-Client-Proto:,
X-Helo-Args:, X-Mail-Args:, X-Rcpt-Args: and a three-line Received: naming
smtp-sink) and an empty line below it; they are removed, and line ends become
CRLF as on the wire. --clean writes the message so recovered, for other
verifiers.

Public keys come from --keys, a file of "NAME TXT-RECORD" lines
(sel._domainkey.example.com v=DKIM1; k=rsa; p=...), never from DNS.

Prints one line per DKIM-Signature: "sig N: d=D s=S a=A: pass|fail".
Exit status 0 when the message carries exactly --expect signatures and every
one verifies (with --expect 0: when it carries none); 1 otherwise.
"""
import argparse
import re
import sys

# Keys never come from DNS here; without this, importing dkim imports
# dnspython, which imports httpx: 2 s per call for nothing.
sys.modules.setdefault("dkim.dnsplug", None)
import dkim  # noqa: E402

SINK_FIELDS = (b"x-client-addr:", b"x-client-proto:", b"x-helo-args:",
               b"x-mail-args:", b"x-rcpt-args:")


def strip_sink(raw):
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    i = 0
    while i < len(lines) and lines[i].lower().startswith(SINK_FIELDS):
        i += 1
    # smtp-sink's Received: is its header plus continuation lines, the last
    # one naming smtp-sink.
    if i < len(lines) and lines[i].lower().startswith(b"received:"):
        j = i + 1
        while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
            j += 1
        if b"(smtp-sink)" in b"".join(lines[i:j]):
            i = j
    body = lines[i:]
    # The dump ends with the message's last line end, then an empty line.
    while body and body[-1] == b"":
        body.pop()
    if body and body[-1] == b"":
        body.pop()
    return b"\r\n".join(body) + b"\r\n"


def load_keys(path):
    keys = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(b"#"):
                continue
            name, _, txt = line.partition(b" ")
            keys[name.lower().rstrip(b".") + b"."] = txt.strip()
    return keys


def sig_tags(msg, idx):
    sigs = [v for (n, v) in dkim.rfc822_parse(msg)[0]
            if n.lower() == b"dkim-signature"]
    v = re.sub(rb"\s+", b"", sigs[idx])
    tags = dict(t.split(b"=", 1) for t in v.split(b";") if b"=" in t)
    return {k: tags.get(k.encode(), b"?").decode()
            for k in ("d", "s", "a")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", required=True)
    ap.add_argument("--expect", type=int, required=True)
    ap.add_argument("--clean", help="write the recovered message here")
    ap.add_argument("capture")
    a = ap.parse_args()

    with open(a.capture, "rb") as f:
        msg = strip_sink(f.read())
    if a.clean:
        with open(a.clean, "wb") as f:
            f.write(msg)
    keys = load_keys(a.keys)

    def dnsfunc(name, timeout=5):
        n = name.lower() if isinstance(name, bytes) else name.lower().encode()
        return keys.get(n.rstrip(b".") + b".")

    headers = dkim.rfc822_parse(msg)[0]
    nsig = sum(1 for (n, _) in headers if n.lower() == b"dkim-signature")
    ok = nsig == a.expect
    d = dkim.DKIM(msg)
    for i in range(nsig):
        t = sig_tags(msg, i)
        try:
            good = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            good = False
            print("sig %d: error: %s" % (i, e))
        print("sig %d: d=%s s=%s a=%s: %s" % (i, t["d"], t["s"], t["a"],
                                             "pass" if good else "fail"))
        ok = ok and good
    print("%d signature(s), expected %d" % (nsig, a.expect))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
