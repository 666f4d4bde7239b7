# Tests of pkcs11/ (sources under tests/pkcs11/).
