import { grantActions } from './action.grant.js';
import type { AclDecision, AclRequest } from './acl.types.js';
import type { CompiledAcl, CompiledRule } from './compiled-acl.js';
import { ipRuleContains, parseClientIp, type ClientIp } from './ip.matcher.js';
import type { TemplateContext } from './pattern.compiler.js';
import type { PatternField } from './template.parser.js';

const NO_MATCH: AclDecision = Object.freeze({ kind: 'no_match' });

/**
 * docker_auth's static ACL: entries are tried in order and the first one whose conditions all
 * hold decides, even when it grants nothing (`actions: []` is a deny that stops evaluation).
 */
export function authorize(acl: CompiledAcl, req: AclRequest): AclDecision {
  let client: ClientIp | null | undefined;
  for (const rule of acl.rules) {
    if (rule.ip !== null) {
      if (client === undefined) client = req.ip === null ? null : parseClientIp(req.ip);
      if (client === null || !ipRuleContains(rule.ip, client)) continue;
    }
    if (!matches(rule, req)) continue;
    return {
      kind: 'decided',
      actions: grantActions(rule.grant, req.actions, req.type),
      rule: rule.index,
      ...(rule.comment !== undefined ? { comment: rule.comment } : {}),
    };
  }
  return NO_MATCH;
}

function matches(rule: CompiledRule, req: AclRequest): boolean {
  const ctx = new RuleContext(rule, req);
  for (const { field, pattern } of rule.fields) if (!pattern.test(req[field], ctx)) return false;
  for (const { key, pattern } of rule.labels) {
    const values = ctx.labels(key);
    if (values === undefined || !values.some((v) => pattern.test(v, ctx))) return false;
  }
  return true;
}

/** Request values as seen by one entry's placeholders; captures are computed once, on demand. */
class RuleContext implements TemplateContext {
  private captured: Map<PatternField, readonly string[] | null> | undefined;

  constructor(
    private readonly rule: CompiledRule,
    private readonly req: AclRequest,
  ) {}

  value(field: PatternField): string {
    return this.req[field];
  }

  capture(field: PatternField, group: number): string | null {
    this.captured ??= new Map();
    let groups = this.captured.get(field);
    if (groups === undefined) {
      const source = this.rule.captureSources[field];
      groups = source === undefined ? null : source.groups(this.req[field], this);
      this.captured.set(field, groups);
    }
    return groups?.[group - 1] ?? null;
  }

  labels(key: string): readonly string[] | undefined {
    // Labels are null-prototype objects, but an own-property check keeps `constructor` and
    // friends from resolving to Object.prototype members if one ever is not.
    return Object.hasOwn(this.req.labels, key) ? this.req.labels[key] : undefined;
  }
}
