# tests/: see ../shared/DESIGN.md for what this folder holds.
EXTRA_DIST += tests/run.sh tests/lsan.supp tests/lib/install-deps.sh
