#!/bin/sh
# Runs tests/bench/pool-bench on a fresh SoftHSM token (RSA-2048 "dkim-rsa", Ed25519 "dkim-ed").
# Usage (from a build directory): ../../tests/bench/pool-bench.sh [-s SECONDS]
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/tests/lib/softhsm.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/p11dkim-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
softhsm_setup "$dir"
softhsm_default_keys
"${top_builddir:-$(pwd)}/tests/bench/pool-bench" "$@"
