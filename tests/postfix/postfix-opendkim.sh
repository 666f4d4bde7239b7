#!/bin/sh
# A signing milter behind a real Postfix: see e2e.sh for the cases.
exec sh "$(dirname "$0")/e2e.sh" opendkim
