# Tests of dkim/ (sources under tests/dkim/).
