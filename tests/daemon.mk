# Tests of daemon/ (sources under tests/daemon/).
