#!/bin/sh
# Allows, leaving behind a process that started a session of its own, as daemonizing helpers do
# (so it is outside the command's process group), and writes that process's pid to $1.
cat > /dev/null
setsid sh -c 'echo $$ > "$1.tmp" && mv "$1.tmp" "$1" && exec sleep 300' escapee "$1" < /dev/null > /dev/null 2>&1 &
while [ ! -s "$1" ]; do sleep 0.05; done
exit 0
