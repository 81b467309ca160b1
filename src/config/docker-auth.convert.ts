import { Document, isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { compileAcl, isRegexPattern, PATTERN_FIELDS, type AclRuleConfig } from '../acl/index.js';
import { PROVIDER_TYPES } from '../authn/provider-registry.js';
import { ConfigError } from './config-issue.js';
import { aclOptions, parseConfigText } from './config-loader.js';
import { isDockerAuthConfig, translateDockerAuth } from './docker-auth.translator.js';

export interface Conversion {
  /** The native config, as YAML with the compatibility notes as comments. */
  readonly yaml: string;
  /** The same notes, for the terminal. */
  readonly notes: readonly string[];
}

/**
 * A docker_auth `auth_config.yml` as the equivalent native config, so an operator can leave the
 * compatibility format behind (docs/migrating-from-docker_auth.md). Equivalent means: the same
 * decision for every request. Where the native format reads a rule differently, the rule is
 * rewritten to keep docker_auth's meaning and the rewrite is noted:
 * - globs: docker_auth's `**` is Go's `*` (never crosses `/`); native `**` does, so it becomes `*`;
 * - a rule whose `${field:N}` can never resolve never matched in docker_auth; native refuses to
 *   load it, so it is left out;
 * - `${labels:…}` values were inserted as pattern text; native escapes them unless the rule says
 *   `${labels_pattern:…}`, which the conversion writes;
 * - `real_ip_header` believed from everyone stays so (`real_ip_from: any`) until proxies are named.
 * The result is loaded back before it is returned: a conversion that would not load is an error.
 */
export function convertDockerAuth(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Conversion {
  // Loading it first reports every problem of the input the way `serve` would.
  const source = parseConfigText(text, file, env);
  if (source.format !== 'docker_auth') throw new ConfigError(file, [{ path: '', message: 'already a native config (it has an authn list)' }]);

  const raw = parseDocument(text, { uniqueKeys: false }).toJS() as Record<string, unknown>;
  if (!isDockerAuthConfig(raw)) throw new ConfigError(file, [{ path: '', message: 'not a docker_auth config' }]);
  const translated = translateDockerAuth(raw, Object.keys(PROVIDER_TYPES)).config;
  const notes: string[] = [...source.warnings];
  const ruleNotes = new Map<number, string[]>();
  const rules = convertAcl((translated.acl as AclRuleConfig[] | undefined) ?? [], notes, ruleNotes);

  const server = translated.server as Record<string, unknown> | undefined;
  if (server?.real_ip_from === 'any') {
    notes.push(
      'server.real_ip_from: any keeps docker_auth trusting real_ip_header from every client; name your proxies in server.trusted_proxies and remove it',
    );
  }

  // Backends read best with their type and name first.
  const authn = (translated.authn as Record<string, unknown>[] | undefined)?.map(({ type, name, ...rest }) => ({ type, name, ...rest }));
  const authz = (translated.authz as Record<string, unknown>[] | undefined)?.map(({ type, name, ...rest }) => ({ type, name, ...rest }));
  const native: Record<string, unknown> = { ...translated, ...(authn ? { authn } : {}), ...(authz ? { authz } : {}), acl: rules };
  const doc = new Document(native);
  doc.commentBefore = [
    ` Converted from ${file.split('/').pop() ?? file} (docker_auth format) by regauth convert.`,
    ' Both files give the same decision for every request.',
    ...(notes.length > 0 ? ['', ' Notes:', ...notes.map((n) => `  - ${n}`)] : []),
  ].join('\n');
  const acl = (doc.contents as YAMLMap).get('acl', true);
  if (isSeq(acl)) {
    acl.items.forEach((item, index) => {
      const comment = ruleNotes.get(index);
      if (comment && isMap(item)) item.commentBefore = comment.map((c) => ` ${c}`).join('\n');
    });
  }
  const yaml = doc.toString({ lineWidth: 0 });
  parseConfigText(yaml, file, env);
  return { yaml, notes: [...notes, ...[...ruleNotes.values()].flat()] };
}

function convertAcl(rules: readonly AclRuleConfig[], notes: string[], ruleNotes: Map<number, string[]>): AclRuleConfig[] {
  const kept: AclRuleConfig[] = [];
  rules.forEach((rule, index) => {
    // The check docker_auth files load with: a rule that can never match is left out.
    const never = compileAcl([rule], `acl[${index}]`, aclOptions('docker_auth')).warnings.find((w) => w.endsWith('the rule never matches'));
    if (never !== undefined) {
      notes.push(`acl[${index}] left out: ${never}`);
      return;
    }
    const own: string[] = [];
    const match: Record<string, unknown> = { ...rule.match };
    for (const field of PATTERN_FIELDS) {
      const value = match[field];
      if (typeof value !== 'string' || isRegexPattern(value) || !value.includes('**')) continue;
      match[field] = value.replace(/\*{2,}/g, '*');
      own.push(`was ${field}: "${value}" (docker_auth's ** does not cross "/", like *)`);
    }
    let converted = match as AclRuleConfig['match'];
    if (JSON.stringify(match).includes('${labels:')) {
      // docker_auth inserts label values as pattern text; native does so only when asked.
      converted = JSON.parse(JSON.stringify(match).replaceAll('${labels:', '${labels_pattern:')) as AclRuleConfig['match'];
      own.push('${labels_pattern:…}: label values are used as patterns, as docker_auth did; use ${labels:…} if they are plain names');
    }
    if (own.length > 0) ruleNotes.set(kept.length, own);
    kept.push({ ...rule, match: converted });
  });
  return kept;
}
