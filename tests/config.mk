# Tests of config/ (sources under tests/config/).
