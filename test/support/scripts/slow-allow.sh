#!/bin/sh
# Allows after $1 seconds (for the concurrency bound).
cat > /dev/null
sleep "$1"
exit 0
