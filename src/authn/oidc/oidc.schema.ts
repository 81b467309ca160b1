import { z } from 'zod';
import { credentialCacheField } from '../credential-cache.js';
import { duration } from '../../common/duration.js';
import { isLoopbackHost } from '../../common/loopback.js';
import { compileConditions } from './claims.js';
import { isPublicIssuer, OIDC_PRESETS, type OidcPresetName } from './oidc-presets.js';

/** Asymmetric JWS algorithms only: `none` proves nothing, and an HMAC key would be the issuer's public key. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const algorithm = z.string().superRefine((alg, ctx) => {
  if ((ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) return;
  const why = /^HS/i.test(alg)
    ? 'symmetric algorithms are never accepted: anyone holding the public key could sign with it'
    : alg.toLowerCase() === 'none'
      ? 'unsigned tokens are never accepted'
      : `expected one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`;
  ctx.addIssue({ code: 'custom', message: `${alg}: ${why}` });
});

const url = z.url({ protocol: /^https?$/, error: 'expected an https:// URL' });
const claimPath = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
/** Exact value, glob (`*`, `**`, `?`) or `/regex/`, as in the ACL. */
const conditionValues = z.union([z.string(), z.array(z.string()).min(1)]);

const issuerSchema = z
  .strictObject({
    preset: z
      .enum(Object.keys(OIDC_PRESETS) as [OidcPresetName, ...OidcPresetName[]])
      .optional()
      .describe('github-actions, gitlab or kubernetes: fills issuer, account and labels'),
    issuer: url.optional().describe('Exact `iss` of the tokens; GitHub Actions: filled by its preset'),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('`aud` the tokens must carry (e.g. the registry URL): a token minted for something else is refused'),
    jwks_uri: url.optional().describe('Where the keys are, when not found by discovery ({issuer}/.well-known/openid-configuration)'),
    jwks_file: z.string().min(1).optional().describe('A JWKS file instead of fetching keys (air-gapped clusters)'),
    algorithms: z
      .array(algorithm)
      .min(1)
      .default([...ASYMMETRIC_ALGORITHMS])
      .describe('Accepted `alg` values; asymmetric only'),
    clock_skew: duration
      .prefault('30s')
      .refine((ms) => ms <= 300_000, 'at most 5m')
      .describe('Tolerance on exp, nbf and iat'),
    max_token_age: duration.prefault('1h').describe('Tokens issued (iat) longer ago than this are refused'),
    account: z.string().min(1).optional().describe('Account name from claims, e.g. "${repository}"; default from the preset, else "${sub}"'),
    labels: z
      .record(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only'), claimPath)
      .optional()
      .describe('Label name → claim'),
    conditions: z.record(z.string().min(1), conditionValues).default({}).describe('Claim → accepted values: all must match, before the ACL'),
    public: z.boolean().optional().describe('The issuer signs tokens for anyone (default: known for GitHub and gitlab.com)'),
    allow_http: z.boolean().default(false).describe('Fetch keys over plain http from a host other than loopback'),
  })
  .superRefine((c, ctx) => {
    const preset = c.preset ? OIDC_PRESETS[c.preset] : undefined;
    const issuer = c.issuer ?? (preset && 'issuer' in preset ? preset.issuer : undefined);
    if (!issuer) ctx.addIssue({ code: 'custom', path: ['issuer'], message: `required${c.preset ? ` (the ${c.preset} preset has no issuer of its own)` : ''}` });
    if (c.jwks_uri !== undefined && c.jwks_file !== undefined)
      ctx.addIssue({ code: 'custom', path: ['jwks_file'], message: 'give jwks_uri or jwks_file, not both' });
    const knownPublic = (preset !== undefined && 'public' in preset && preset.public) || (issuer !== undefined && isPublicIssuer(issuer));
    if (knownPublic && c.public === false) {
      ctx.addIssue({ code: 'custom', path: ['public'], message: `${issuer} signs tokens for everyone's jobs: public: false cannot turn that off` });
    }
    if ((c.public ?? knownPublic) && !namesAnOwner(c.conditions, knownPublic)) {
      ctx.addIssue({
        code: 'custom',
        path: ['conditions'],
        message: `${issuer} signs tokens for every job on the platform, anyone's: say whose you accept with a condition that names them (e.g. conditions: { repository_owner: your-org }; ${[...OWNER_CLAIMS].join(', ')})`,
      });
    }
    for (const field of ['issuer', 'jwks_uri'] as const) {
      const value = field === 'issuer' ? issuer : c.jwks_uri;
      if (value && value.startsWith('http:') && !c.allow_http && !isLoopbackHost(new URL(value).hostname)) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'keys fetched over plain http can be swapped on the way: use https:// (or allow_http: true)' });
      }
    }
  })
  .transform((c) => {
    const preset = c.preset ? OIDC_PRESETS[c.preset] : undefined;
    return {
      ...c,
      issuer: c.issuer ?? (preset && 'issuer' in preset ? preset.issuer : ''),
      audience: [c.audience].flat(),
      account: c.account ?? preset?.account ?? '${sub}',
      labels: c.labels ?? preset?.labels ?? {},
      conditions: Object.fromEntries(Object.entries(c.conditions).map(([claim, values]) => [claim, [values].flat()])),
    };
  });

export const oidcProviderSchema = z.strictObject({
  type: z.literal('oidc'),
  name: z.string().min(1).optional(),
  ...credentialCacheField,
  user: z.string().min(1).optional().describe('The only user name accepted with a token (e.g. "oidc"); default: any'),
  issuers: z.array(issuerSchema).min(1).describe('Issuers whose tokens are accepted, each with its audience and conditions'),
  timeout: duration.prefault('5s').describe('Longest wait for discovery or keys from an issuer'),
  keys_max_age: duration.prefault('1h').describe("Longest time fetched keys are used before asking again, whatever the issuer's Cache-Control says"),
  refresh: z.boolean().default(false).describe('Issue refresh tokens (offline_token) to these identities; they carry the labels and expire with the id token'),
  refetch_interval: duration
    .prefault('30s')
    .refine((ms) => ms >= 1000, 'at least 1s')
    .describe('An unknown key id fetches the keys again at most this often (key rotation without restart)'),
});

export type OidcProviderConfig = z.output<typeof oidcProviderSchema>;
export type OidcIssuerConfig = OidcProviderConfig['issuers'][number];

/** Claims of GitHub's and GitLab's tokens that say whose job it is (the others, ref or environment, do not). */
const OWNER_CLAIMS = new Set([
  'sub',
  'repository',
  'repository_id',
  'repository_owner',
  'repository_owner_id',
  'workflow_ref',
  'job_workflow_ref',
  'project_path',
  'project_id',
  'namespace_path',
  'namespace_id',
]);
const STRANGER = ['regauth-probe-stranger', 'regauth-probe-stranger/app', 'repo:regauth-probe-stranger/app:ref:refs/heads/main', '1234567890'];

/**
 * A public issuer's conditions must shut out other tenants: one on an owner claim (for the known
 * platforms) whose patterns a stranger's value does not pass, so `repository_owner: "*"` or a
 * lone `ref: refs/heads/main` is refused. A pattern that does not compile is reported by the
 * provider itself; here it counts as naming no one.
 */
function namesAnOwner(conditions: Readonly<Record<string, string | readonly string[]>>, knownPlatform: boolean): boolean {
  return Object.entries(conditions).some(([claim, values]) => {
    if (knownPlatform && !OWNER_CLAIMS.has(claim)) return false;
    try {
      const [condition] = compileConditions({ [claim]: [values].flat() });
      return STRANGER.every((value) => !condition.test({ [claim]: value }));
    } catch {
      return false;
    }
  });
}
