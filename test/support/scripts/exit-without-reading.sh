#!/bin/sh
# Exits with $1 without reading stdin (closing it first, so a large write fails with EPIPE).
exec 0<&-
exit "$1"
