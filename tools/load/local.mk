# tools/load/: p11dkim-load, the load generator (many connections of the milter client).
bin_PROGRAMS += tools/p11dkim-load
tools_p11dkim_load_SOURCES = \
	tools/load/load_main.c tools/load/load_opts.c tools/load/load_opts.h \
	tools/load/load_stats.c tools/load/load_stats.h
tools_p11dkim_load_LDADD = tools/milterclient/libmilterclient.la
