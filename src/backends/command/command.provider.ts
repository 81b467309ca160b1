import { EMPTY_LABELS, LabelError, toLabels, type Labels } from '../../common/labels.js';
import type { Secret } from '../../common/secret.js';
import type { AuthResult, Provider, ProviderBuildContext } from '../../authn/provider.js';
import type { RequestContext } from '../../common/request-context.js';
import { CommandError } from './command-error.js';
import { createCommandRunner } from './command-runner.js';
import type { CommandProviderConfig } from './command.schema.js';
import { describeExit, maskedStderr } from './exit-report.js';

/**
 * docker_auth's `ext_auth` protocol: stdin is `<user> <password>` (one space, no newline, so
 * `read user password` gets the whole password); exit 0 allows, with optional
 * `{"labels": {...}}` on stdout; 1 denies; 2 means "not my user"; anything else is a failure.
 */
export async function createCommandProvider(config: CommandProviderConfig, ctx: ProviderBuildContext): Promise<Provider> {
  const runner = createCommandRunner(config, ctx);
  return {
    name: ctx.name,
    async authenticate(user: string, password: Secret, req: RequestContext): Promise<AuthResult> {
      // The protocol splits on the first space: a user name with a space would be read as a
      // different user with a different password. It cannot be one of this script's users.
      if (user.includes(' ')) return { kind: 'no_match' };
      const result = await runner.run(`${user} ${password.reveal()}`, req.signal);
      switch (result.exitCode) {
        case 0:
          return { kind: 'allow', labels: parseAllowOutput(result.stdout, runner.shown) };
        case 1:
          return { kind: 'deny' };
        case 2:
          return { kind: 'no_match' };
        default:
          throw new CommandError('bad_exit', runner.shown, `${describeExit(result)}${maskedStderr(result.stderr, password)}`);
      }
    },
    close: () => runner.close(),
  };
}

/** Empty stdout, or `{"labels": {"name": ["v", ...]}}`; anything else fails closed. */
export function parseAllowOutput(stdout: Buffer, shown: string): Labels {
  const text = stdout.toString('utf8').trim();
  if (text === '') return EMPTY_LABELS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CommandError('bad_output', shown, `exit 0 with stdout that is not JSON (${stdout.length} bytes)`);
  }
  if (!isPlainObject(parsed)) throw new CommandError('bad_output', shown, 'exit 0 with stdout that is not a JSON object');
  const labels = parsed.labels;
  if (labels === undefined || labels === null) return EMPTY_LABELS;
  if (!isPlainObject(labels) || !Object.values(labels).every(isLabelValue)) {
    throw new CommandError('bad_output', shown, 'exit 0 with "labels" that is not a map of name to string list');
  }
  try {
    return toLabels(labels);
  } catch (err) {
    if (err instanceof LabelError) throw new CommandError('bad_output', shown, `exit 0 with labels refused: ${err.message}`);
    throw err;
  }
}

function isLabelValue(v: unknown): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
