#!/bin/sh
# Never answers and ignores SIGTERM (only SIGKILL stops it). Its background child inherits the
# ignored TERM and would run for five minutes: only a SIGKILL to the whole group ends it in time.
trap '' TERM
[ -n "${PIDS_DIR:-}" ] && echo $$ > "$PIDS_DIR/hang.$$"
sleep 300 &
while :; do sleep 1; done
