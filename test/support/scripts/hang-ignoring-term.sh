#!/bin/sh
# Never answers and ignores SIGTERM (only SIGKILL stops it); its child sleep ignores TERM too.
trap '' TERM
[ -n "${PIDS_DIR:-}" ] && echo $$ > "$PIDS_DIR/hang.$$"
while :; do sleep 1; done
