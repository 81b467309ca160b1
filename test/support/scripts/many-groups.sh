#!/bin/sh
# Allows everyone, printing $1 values for label "group" (g1 … gN) followed by "zz-blocked":
# a directory user in very many groups, the last of which a deny rule looks for.
cat > /dev/null
printf '{"labels": {"group": ['
i=1
while [ "$i" -le "$1" ]; do printf '"g%d",' "$i"; i=$((i + 1)); done
printf '"zz-blocked"]}}'
