#!/bin/sh
# Writes what it reads on stdin to $1 and answers "not my user".
cat > "$1"
exit 2
