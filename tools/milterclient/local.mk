# tools/milterclient/: the MTA side of the milter protocol (milter_client.h; the mc_* files
# are its parts), used by p11dkim-load and by the daemon's tests (link
# tools/milterclient/libmilterclient.la, include "tools/milterclient/milter_client.h").
noinst_LTLIBRARIES += tools/milterclient/libmilterclient.la
tools_milterclient_libmilterclient_la_SOURCES = \
	tools/milterclient/milter_client.c tools/milterclient/milter_client.h \
	tools/milterclient/mc_wire.c tools/milterclient/mc_wire.h \
	tools/milterclient/mc_sock.c tools/milterclient/mc_sock.h \
	tools/milterclient/mc_message.c tools/milterclient/mc_message.h \
	tools/milterclient/mc_result.c tools/milterclient/mc_result.h \
	tools/milterclient/mc_apply.c \
	tools/milterclient/mc_proto.c tools/milterclient/mc_proto.h
