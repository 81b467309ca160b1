#!/bin/sh
# ext_authz example in docker_auth's original form: the answer is the exit code only.
#
#   authz:
#     - type: command
#       command: ../plugins/ext_authz.sh   # relative to the config file
#
# stdin: JSON with docker_auth's field names, no trailing newline, e.g.
#   {"Account":"alice","Type":"repository","Name":"team/app","Service":"registry",
#    "IP":"10.0.0.7","Actions":["pull","push"],"Labels":null}
# exit 0: grant every requested action; exit 1: grant nothing; other: failure (503).
# (ext_authz.mjs shows regauth's extension: granting a subset with {"actions": [...]}, and reads
# the JSON with a real parser - prefer it for anything beyond this rule.)
#
# Policy of this example: grant the request when it asks only for pull and/or push; anything
# else (delete, "*" - which the registry reads as every action -, or an action this script does
# not know) grants nothing.

IFS= read -r input || true

# Without a JSON parser, the request is cut where it can be cut safely. Label keys and values
# come from backends and may contain anything, "Actions":[...] included, so they go first:
# regauth writes compact JSON with Labels as the last key, and `,"` never occurs inside a JSON
# string (a quote there is written \"), so the first `,"Labels":` is the real key. For the same
# reason the first `"Actions":[` before it is the real Actions key.
head=${input%%,\"Labels\":*}
case "$head" in
  *'"Actions":['*) ;;
  *) exit 1 ;;
esac
actions=${head#*\"Actions\":\[}
actions=${actions%%]*}

# An allow-list, not a deny-list: what is left once every "pull", "push" and comma is removed
# must be nothing. A truncated or unexpected list always leaves something, so it grants nothing.
rest=$(printf '%s' "$actions" | sed 's/"pull"//g; s/"push"//g; s/,//g')
[ -z "$rest" ] && exit 0
exit 1
