#!/bin/sh
# A broken script that echoes its input on stderr, then fails with an unexpected exit code.
input=$(cat)
echo "cannot handle: $input" >&2
exit 3
