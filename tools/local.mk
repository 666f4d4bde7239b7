# tools/: see ../shared/DESIGN.md for what this folder holds.

# --- milter client library and p11dkim-load (load generator) ----------------
# libmilterclient: the MTA side of the milter protocol, used by p11dkim-load and
# by the daemon's tests (link tools/libmilterclient.la, include
# "tools/milter_client.h").
noinst_LTLIBRARIES += tools/libmilterclient.la
tools_libmilterclient_la_SOURCES = \
	tools/milter_client.c tools/milter_client.h \
	tools/mc_wire.c tools/mc_wire.h \
	tools/mc_sock.c tools/mc_sock.h \
	tools/mc_message.c tools/mc_message.h \
	tools/mc_result.c tools/mc_result.h \
	tools/mc_apply.c \
	tools/mc_proto.c tools/mc_proto.h

bin_PROGRAMS += tools/p11dkim-load
tools_p11dkim_load_SOURCES = \
	tools/load_main.c tools/load_opts.c tools/load_opts.h \
	tools/load_stats.c tools/load_stats.h
tools_p11dkim_load_LDADD = tools/libmilterclient.la
# --- end of milter client block ----------------------------------------------
