# dkim/: see ../shared/DESIGN.md for what this folder holds.
# Public headers: dkim/dkim.h (signer), dkim/dkim_message.h (raw message
# splitter), dkim/dkim_addr.h (From/Sender domains). Implementation follows.
EXTRA_DIST += dkim/dkim.h dkim/dkim_message.h dkim/dkim_addr.h
