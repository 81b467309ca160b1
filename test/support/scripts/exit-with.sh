#!/bin/sh
# Reads stdin, copies it to $RECORD_FILE when set, prints $2 (if given) and exits with $1.
[ -n "${PIDS_DIR:-}" ] && echo $$ > "$PIDS_DIR/exit-with.$$"
input=$(cat)
[ -n "${RECORD_FILE:-}" ] && printf '%s' "$input" > "$RECORD_FILE"
[ -n "${2:-}" ] && printf '%s' "$2"
exit "$1"
