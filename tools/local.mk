# tools/: one folder per program, one for the milter client library, and what two programs
# share (see DESIGN.md). Each folder adds its part in its own local.mk; the programs are built
# as tools/p11dkim-* whatever folder their sources live in.
include $(srcdir)/tools/keytool/local.mk
include $(srcdir)/tools/sign/local.mk
include $(srcdir)/tools/milterclient/local.mk
include $(srcdir)/tools/load/local.mk
