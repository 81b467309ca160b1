/**
 * What each CI platform's id token looks like, so a config names the platform instead of
 * spelling out its issuer, its identity claim and the claims worth turning into labels. Every
 * field can be overridden in the config. docs/ci-workload-identity.md.
 */

/** A claim: a top-level name, or a path into nested objects (Kubernetes nests under "kubernetes.io"). */
export type ClaimPath = string | readonly string[];

export interface OidcPreset {
  /** The issuer, when the platform has one for everyone (GitHub). */
  readonly issuer?: string;
  /** Signs tokens for anyone's jobs: a config must then say whose it accepts (conditions). */
  readonly public?: boolean;
  readonly account: string;
  readonly labels: Readonly<Record<string, ClaimPath>>;
}

const same = (...names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, n]));

export const OIDC_PRESETS = {
  'github-actions': {
    issuer: 'https://token.actions.githubusercontent.com',
    public: true,
    account: '${repository}',
    labels: same(
      'repository',
      'repository_id',
      'repository_owner',
      'repository_owner_id',
      'repository_visibility',
      'ref',
      'ref_type',
      'ref_protected',
      'environment',
      'workflow_ref',
      'job_workflow_ref',
      'event_name',
      'actor',
      'runner_environment',
    ),
  },
  gitlab: {
    account: '${project_path}',
    labels: same(
      'project_path',
      'project_id',
      'namespace_path',
      'namespace_id',
      'ref',
      'ref_type',
      'ref_protected',
      'environment',
      'environment_protected',
      'pipeline_source',
      'user_login',
    ),
  },
  kubernetes: {
    account: '${sub}',
    labels: {
      namespace: ['kubernetes.io', 'namespace'],
      service_account: ['kubernetes.io', 'serviceaccount', 'name'],
    },
  },
} as const satisfies Record<string, OidcPreset>;

export type OidcPresetName = keyof typeof OIDC_PRESETS;

/** Issuers that sign tokens for every user of a hosted service, whatever the preset. */
const PUBLIC_ISSUERS = new Set(['https://token.actions.githubusercontent.com', 'https://gitlab.com']);

export function isPublicIssuer(issuer: string): boolean {
  return PUBLIC_ISSUERS.has(issuer.replace(/\/+$/, ''));
}
