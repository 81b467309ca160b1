import type { ScopeRequest } from '../authorizer.js';

/**
 * The JSON docker_auth's ext_authz writes to the command's stdin (its AuthRequestInfo, Go field
 * names): `IP` is the client address or null, `Labels` is null when the user has none.
 */
export function extAuthzInput(req: ScopeRequest): string {
  const hasLabels = Object.keys(req.labels).length > 0;
  return JSON.stringify({
    Account: req.account,
    Type: req.type,
    Name: req.name,
    Service: req.service,
    IP: req.ip,
    Actions: req.actions,
    Labels: hasLabels ? req.labels : null,
  });
}
