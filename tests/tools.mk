# Tests of tools/ (sources under tests/tools/).
