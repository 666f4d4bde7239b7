#!/usr/bin/python3
"""Makes the dkimpy-signed fixtures of tests/dkim/check_dkim_verify.c (run by hand, from a
directory without a "dkim" folder in it, when the fixtures must change; the test itself only
reads them): the message below signed by dkimpy, an independent signer, with verify-rsa.key and
verify-ed.key, as d=example.com s=rsa / s=ed, in relaxed/relaxed and simple/simple.

usage: make-dkimpy.py DIR   (DIR: tests/dkim/data/dkimpy, which holds the keys)
"""
import base64
import subprocess
import sys

import dkim

MSG = (b"Received: from a.example.net by b.example.com; Sun, 6 Dec 2026 04:00:00 +0000\r\n"
       b"From: Alice <alice@example.com>\r\n"
       b"To: bob@example.org\r\n"
       b"Subject: a folded\r\n\t  subject   line \r\n"
       b"X-Extra: named in h= only by dkimpy\r\n"
       b"To: carol@example.org\r\n"
       b"Date: Sun, 6 Dec 2026 04:00:00 +0000\r\n"
       b"\r\n"
       b"Hello  there, \r\n\tworld\r\n\r\n\r\n")
HEADERS = [b"From", b"To", b"To", b"Subject", b"X-Extra", b"Date", b"Cc"]


def ed_seed(path):
    der = subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return base64.b64encode(der[-32:])


def main():
    d = sys.argv[1]
    rsa = open(d + "/verify-rsa.key", "rb").read()
    ed = ed_seed(d + "/verify-ed.key")
    for canon in (b"relaxed", b"simple"):
        for name, sel, key, alg in ((b"rsa", b"rsa", rsa, b"rsa-sha256"),
                                    (b"ed", b"ed", ed, b"ed25519-sha256")):
            sig = dkim.sign(MSG, sel, b"example.com", key, canonicalize=(canon, canon),
                            include_headers=HEADERS, signature_algorithm=alg)
            out = "%s/dkimpy-%s-%s.eml" % (d, name.decode(), canon.decode())
            open(out, "wb").write(sig + MSG)


main()
