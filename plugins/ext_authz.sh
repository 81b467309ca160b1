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
# (ext_authz.mjs shows regauth's extension: granting a subset with {"actions": [...]}.)
#
# Policy of this example: grant whatever was asked unless it includes delete (or "*", which the
# registry reads as every action, delete included).

IFS= read -r input || true

# The Actions list, e.g. "pull","push". Label values are JSON-escaped, so they cannot fake it.
actions=$(printf '%s' "$input" | sed -n 's/.*"Actions":\[\([^]]*\)\].*/\1/p')

case "$actions" in
  *'"delete"'* | *'"*"'*) exit 1 ;;
esac
exit 0
