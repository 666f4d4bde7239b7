#!/usr/bin/python3
"""Submit one message to an SMTP server, optionally claiming another client
address first with XCLIENT (the server must list us in
smtpd_authorized_xclient_hosts).

Exit status: 0 accepted, 4 refused with a 4xx reply, 5 refused with a 5xx
reply, 1 anything else (connection refused, protocol error). The last reply
is printed on stdout as "CODE TEXT" so that a test can show what it got.
"""
import argparse
import smtplib
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--xclient", help="client address to claim, e.g. 192.0.2.7")
    ap.add_argument("--bind", help="local address to connect from, e.g. 127.0.0.2: a "
                    "real other client address for servers without XCLIENT (Sendmail)")
    ap.add_argument("--helo", default="client.test.invalid")
    ap.add_argument("--sender", required=True)
    ap.add_argument("--rcpt", required=True)
    ap.add_argument("message", help="file holding the message (CRLF or LF)")
    a = ap.parse_args()

    with open(a.message, "rb") as f:
        msg = f.read()
    try:
        src = (a.bind, 0) if a.bind else None
        s = smtplib.SMTP(a.host, a.port, local_hostname=a.helo, timeout=30,
                         source_address=src)
        s.ehlo()
        if a.xclient:
            if not s.has_extn("xclient"):
                print("000 server does not offer XCLIENT")
                return 1
            code, text = s.docmd("XCLIENT", "ADDR=%s NAME=[UNAVAILABLE]" % a.xclient)
            if code != 220:
                print(code, text.decode(errors="replace"))
                return 4 if 400 <= code < 500 else 5 if code >= 500 else 1
            # After XCLIENT the session starts again: greet again.
            s.ehlo_resp = None
            s.ehlo()
        s.sendmail(a.sender, [a.rcpt], msg)
        print("250 accepted")
        s.quit()
        return 0
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
        code, text = e.smtp_code, e.smtp_error
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error
    except (OSError, smtplib.SMTPException) as e:
        print("000", e)
        return 1
    print(code, text.decode(errors="replace") if isinstance(text, bytes) else text)
    return 4 if 400 <= code < 500 else 5 if 500 <= code < 600 else 1


if __name__ == "__main__":
    sys.exit(main())
