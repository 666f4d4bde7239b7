#!/bin/sh
# An inet socket: signing works over TCP, and the listening socket has TCP_NODELAY so that
# libmilter's separate small end-of-message replies do not wait for the MTA's delayed ACK
# (~40 ms a message with Nagle). The daemon (-v) reports that its accepted TCP socket has
# TCP_NODELAY. And 20 messages on one TCP connection (the client does not set
# TCP_QUICKACK, as Postfix does not) must take less than 400 ms more than over a unix socket;
# with Nagle they would take at least 20 x 40 = 800 ms more.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init inet
DT_DOMAINS='{ domain = "example.com"; keys = ( { selector = "ed"; key = "dkim-ed"; } ); }'
dt_msg "$T/m" 'From: alice@example.com\r\n'

dt_conf "$T/unix.conf"
dt_start "$T/unix.conf"
"$DT_SEND" -s "$DT_SOCKET" -m "$T/m" -n 20 >"$T/unix.res" || dt_fail "unix run"
dt_stop
[ "$(grep -c 'action=c signatures=1' "$T/unix.res")" -eq 20 ] || dt_fail "unix: not all signed"
unix_ms=$(sed -n 's/^elapsed_ms=//p' "$T/unix.res")

# A free port: let the kernel pick one, then use it.
port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DT_SOCKET="inet:$port@127.0.0.1"
dt_conf "$T/inet.conf"
DT_START_ARGS=-v dt_start "$T/inet.conf"
dt_log_has "TCP_NODELAY set on the listening socket"
dt_send "$T/out.inet" "$T/m" -q I1
dt_expect "action=c signatures=1"
dt_verify "$T/out.inet" 1
dt_log_has "connected TCP sockets with TCP_NODELAY: 1 of 1"
"$DT_SEND" -s "$DT_SOCKET" -m "$T/m" -n 20 >"$T/inet.res" || dt_fail "inet run"
dt_stop
[ "$(grep -c 'action=c signatures=1' "$T/inet.res")" -eq 20 ] || dt_fail "inet: not all signed"
inet_ms=$(sed -n 's/^elapsed_ms=//p' "$T/inet.res")
echo "20 messages on one connection: unix ${unix_ms} ms, inet ${inet_ms} ms"
[ "$inet_ms" -lt $((unix_ms + 400)) ] || dt_fail "inet is ${inet_ms} ms against ${unix_ms} ms over unix: Nagle?"
echo "PASS: inet socket with TCP_NODELAY"
