#!/usr/bin/env node
// ext_authz example (docker_auth protocol, plus regauth's subset answer). regauth runs it once
// for every requested scope the ACL did not decide:
//
//   authz:
//     - type: command
//       command: ../plugins/ext_authz.mjs   # relative to the config file
//
// stdin: JSON with docker_auth's field names, e.g.
//   {"Account":"alice","Type":"repository","Name":"team/app","Service":"registry",
//    "IP":"10.0.0.7","Actions":["pull","push"],"Labels":{"group":["dev"]}}
//   (IP is "" when unknown, Labels null when the user has none)
// exit 0: grant every requested action - or, with {"actions": [...]} on stdout, only those
//         (regauth never grants more than was requested)
// exit 1: grant nothing (a decision: later authorizers are not asked)
// other:  failure - regauth answers 503
//
// Policy of this example: repositories under "protected/" only for accounts labelled
// group=admins; everyone else may do what they asked except delete.

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;

let req;
try {
  req = JSON.parse(input);
} catch {
  process.stderr.write('ext_authz example: stdin is not JSON\n');
  process.exit(3);
}

const groups = req.Labels?.group ?? [];
if (req.Name.startsWith('protected/') && !groups.includes('admins')) process.exit(1);

const actions = req.Actions.filter((a) => a !== 'delete' && a !== '*');
if (actions.length === 0) process.exit(1);
process.stdout.write(JSON.stringify({ actions }));
process.exit(0);
