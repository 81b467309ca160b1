#!/bin/sh
# Starts a background child that inherits stdout and stderr (so the pipes stay open), answers
# "allow" with a label, and exits at once.
cat > /dev/null
sleep 300 &
[ -n "${PIDS_DIR:-}" ] && echo $$ > "$PIDS_DIR/parent.$$" && echo $! > "$PIDS_DIR/grandchild.$!"
printf '{"labels": {"group": ["from-parent"]}}'
exit 0
