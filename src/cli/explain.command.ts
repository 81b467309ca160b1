import { authorize } from '../acl/index.js';
import { EMPTY_LABELS, mergeLabels, toLabels, type Labels } from '../common/labels.js';
import { loadConfigFile } from '../config/config-loader.js';
import type { RegauthConfig } from '../config/config.schema.js';
import { parseScopes } from '../http/scope.js';
import { configPath, parseOptions, UsageError, type Command } from './command.js';

export const explainCommand: Command = {
  summary: 'show what the ACL grants an account for some scopes, and which rule decided',
  usage: `Usage: regauth explain [--config FILE] --account NAME [--label KEY=VALUE]... [--ip IP]
                      [--service NAME] [--json] SCOPE...

Evaluates the ACL only: no password check, no server. Labels come from --label (repeatable; a
key given twice accumulates values) and, when NAME is a static user, from its config entry.
--account '' is the anonymous user. Without --ip there is no client address, so ip rules do not
match. Example:
  regauth explain --config config/default.yml --account admin repository:team/app:pull,push`,
  async run(argv) {
    const { values, positionals } = parseOptions(
      argv,
      {
        config: { type: 'string' },
        account: { type: 'string' },
        label: { type: 'string', multiple: true, default: [] },
        ip: { type: 'string' },
        service: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      true,
    );
    if (values.account === undefined) throw new UsageError('--account is required ("" for anonymous)');
    if (positionals.length === 0) throw new UsageError('give at least one scope, e.g. repository:team/app:pull');
    const parsed = parseScopes(positionals);
    if (!parsed.ok) throw new UsageError(parsed.error);

    const loaded = await loadConfigFile(await configPath(values.config));
    const { config, acl } = loaded;
    const labels = mergeLabels(staticLabels(config, values.account), parseLabelFlags(values.label));
    const service = values.service ?? config.services[0] ?? '';
    const scopes = parsed.scopes.map((scope) => {
      const decision = scope.valid
        ? authorize(acl, { account: values.account!, type: scope.type, name: scope.name, service, ip: values.ip ?? null, labels, actions: scope.actions })
        : ({ kind: 'no_match' } as const);
      const rule = decision.kind === 'decided' ? decision.rule : null;
      return {
        scope: scope.raw.join(' '),
        type: scope.type,
        name: scope.name,
        requested: [...scope.actions],
        granted: decision.kind === 'decided' ? [...decision.actions] : [],
        rule,
        comment: decision.kind === 'decided' ? (decision.comment ?? null) : null,
        ...(scope.valid ? {} : { invalid: scope.invalidReason ?? 'invalid scope' }),
      };
    });

    if (values.json) {
      process.stdout.write(`${JSON.stringify({ account: values.account, scopes })}\n`);
      return 0;
    }
    process.stdout.write(`account: ${values.account === '' ? '(anonymous)' : values.account}\n`);
    for (const s of scopes) {
      const why = s.rule === null ? 'no rule matched' : `acl[${s.rule}]${s.comment ? ` (${s.comment})` : ''}`;
      const note = 'invalid' in s ? ` [${s.invalid}]` : '';
      process.stdout.write(`${s.type}:${s.name}  requested [${s.requested.join(',')}]  granted [${s.granted.join(',')}]  by ${why}${note}\n`);
    }
    return 0;
  },
};

function staticLabels(config: RegauthConfig, account: string): Labels {
  for (const provider of config.authn) {
    if (provider.type === 'static' && account in provider.users) return toLabels(provider.users[account].labels ?? {});
  }
  return EMPTY_LABELS;
}

function parseLabelFlags(flags: readonly string[]): Labels {
  const out = Object.create(null) as Record<string, string[]>;
  for (const flag of flags) {
    const i = flag.indexOf('=');
    if (i <= 0) throw new UsageError(`--label expects KEY=VALUE, got "${flag}"`);
    (out[flag.slice(0, i)] ??= []).push(flag.slice(i + 1));
  }
  return toLabels(out);
}
