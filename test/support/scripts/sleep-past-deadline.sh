#!/bin/sh
# Answers after 30 s: far past any deadline. Dies on SIGTERM like most programs.
[ -n "${PIDS_DIR:-}" ] && echo $$ > "$PIDS_DIR/sleep.$$"
sleep 30
exit 0
