#!/bin/sh
# Writes to stdout without end.
[ -n "${PIDS_DIR:-}" ] && echo $$ > "$PIDS_DIR/flood.$$"
exec yes 'flooding the pipe with output nobody asked for'
