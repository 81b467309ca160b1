// Example JS plugin for regauth (`type: plugin`): a provider for robot accounts and an
// authorizer for public repositories. Copy it and change the logic; keep the contract.
//
//   authn:
//     - type: plugin
//       module: ../plugins/example-plugin.mjs     # relative to the config file
//       options:
//         robots:
//           robot-deploy: { token_sha256: "<sha256 hex of the token>", labels: { group: [deploy] } }
//   authz:
//     - type: plugin
//       module: ../plugins/example-plugin.mjs
//       options: { public_prefix: "public/" }
//
// Contract (see plugins/README.md):
//   export function createProvider(options, context) -> { authenticate(user, password, ctx), close?() }
//     authenticate resolves to {kind: "allow", labels?, account?} | {kind: "deny"} | {kind: "no_match"};
//     `password` is a Secret: password.reveal() gives the string, and it prints as *** in logs.
//   export function createAuthorizer(options, context) -> { authorize(request, ctx), close?() }
//     request: {account, type, name, service, ip, labels, actions};
//     authorize resolves to {kind: "decided", actions: [...]} | {kind: "no_match"}.
//   context: {name, baseDir}; ctx: {requestId, ip, service, signal}. Honour ctx.signal in
//   anything that waits (fetch(url, {signal})). Throwing fails the request with 503.
// Factories may be async and run once per config load; the instances serve every request.

import { createHash, timingSafeEqual } from 'node:crypto';

export function createProvider(options) {
  const robots = new Map(Object.entries(options.robots ?? {}));
  for (const [name, robot] of robots) {
    if (!/^[0-9a-f]{64}$/.test(robot.token_sha256 ?? '')) throw new Error(`robots.${name}.token_sha256: expected 64 hex digits`);
  }
  return {
    async authenticate(user, password) {
      const robot = robots.get(user);
      if (!robot) return { kind: 'no_match' };
      const given = createHash('sha256').update(password.reveal()).digest();
      const ok = timingSafeEqual(given, Buffer.from(robot.token_sha256, 'hex'));
      return ok ? { kind: 'allow', labels: robot.labels ?? {} } : { kind: 'deny' };
    },
  };
}

export function createAuthorizer(options) {
  const prefix = options.public_prefix ?? 'public/';
  return {
    async authorize(request) {
      if (request.type !== 'repository' || !request.name.startsWith(prefix)) return { kind: 'no_match' };
      return { kind: 'decided', actions: request.actions.includes('pull') ? ['pull'] : [] };
    },
  };
}
