import type { ScopeRequest } from '../../authz/authorizer.js';

/**
 * The JSON docker_auth's ext_authz writes to the command's stdin (its AuthRequestInfo, Go field
 * names, in Go's order; plugins/ext_authz.sh relies on Labels coming last). `IP` is "" when the
 * client address is unknown (Go marshals a nil net.IP so), `Labels` null when the user has none.
 */
export function extAuthzInput(req: ScopeRequest): string {
  const hasLabels = Object.keys(req.labels).length > 0;
  return JSON.stringify({
    Account: req.account,
    Type: req.type,
    Name: req.name,
    Service: req.service,
    IP: req.ip ?? '',
    Actions: req.actions,
    Labels: hasLabels ? req.labels : null,
  });
}
