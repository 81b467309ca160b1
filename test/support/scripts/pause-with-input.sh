#!/bin/sh
# Reads its input, writes its pid to $1 once it has, then allows after a short pause, so a test
# can look at the running process (/proc/<pid>/cmdline, /proc/<pid>/environ).
input=$(cat)
echo $$ > "$1.tmp" && mv "$1.tmp" "$1"
sleep 1
exit 0
