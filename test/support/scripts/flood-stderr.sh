#!/bin/sh
# Writes 1 MiB to stderr (far more than a pipe holds), then fails with an unexpected exit code.
cat > /dev/null
head -c 1048576 /dev/zero | tr '\0' 'e' >&2
exit 3
