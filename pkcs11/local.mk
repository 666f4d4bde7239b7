# pkcs11/: see ../shared/DESIGN.md for what this folder holds.
