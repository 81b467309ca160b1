#!/bin/sh
# ext_auth example (docker_auth protocol): lets CI in with a shared secret.
#
#   authn:
#     - type: command
#       command: ../plugins/ext_auth.sh   # relative to the config file
#       env: [CICD_SECRET]                # passed on from regauth's environment
#
# stdin:  "<user> <password>" - one space, no trailing newline; the password may contain spaces.
# exit 0: allow; stdout may carry labels for the ACL: {"labels": {"group": ["CICD"]}}
# exit 1: deny (this script's user, wrong password) - regauth answers 401 and stops
# exit 2: not this script's user - regauth asks the next provider
# other:  failure - regauth answers 503 and logs the exit code and stderr
#
# This one admits the user "cicd" when the password equals $CICD_SECRET and defers everything
# else (wrong secret included) to the next provider; exit 1 instead would make it authoritative
# for "cicd".

# No trailing newline: read reports end-of-file but still fills the variable.
IFS= read -r line || true

case "$line" in
  *" "*) ;;
  *) exit 2 ;;
esac
user=${line%% *}
password=${line#* }

if [ "$user" = "cicd" ] && [ -n "${CICD_SECRET:-}" ] && [ "$password" = "$CICD_SECRET" ]; then
  printf '{"labels": {"group": ["CICD"]}}\n'
  exit 0
fi
exit 2
