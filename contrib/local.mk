# contrib/: see ../shared/DESIGN.md for what this folder holds.
