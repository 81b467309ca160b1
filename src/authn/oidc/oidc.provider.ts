import axios from 'axios';
import type { Provider, ProviderBuildContext } from '../provider.js';
import { accountFromTemplate, compileConditions, labelsFromClaims } from './claims.js';
import { createIssuerKeys } from './issuer-keys.js';
import type { OidcProviderConfig } from './oidc.schema.js';
import { looksLikeJwt, verifyIdToken, type TrustedIssuer } from './token-verifier.js';

/** Largest discovery document or JWKS read from an issuer. */
const MAX_ISSUER_RESPONSE_BYTES = 1024 * 1024;

/**
 * CI workload identity (docs/ci-workload-identity.md): the password is the job's OIDC id token
 * (GitHub Actions, GitLab CI, a Kubernetes service account, any OIDC issuer). A password that is
 * not shaped like a JWT, or a user name other than `user` when one is set, is not this
 * provider's: no_match, and the chain goes on. A token that fails verification or a condition is
 * a deny (401), with the reason for the audit line. No keys at all (issuer down, nothing cached)
 * is thrown: 503.
 */
export function createOidcProvider(config: OidcProviderConfig, ctx: ProviderBuildContext): Provider {
  const http = axios.create({
    maxRedirects: 0,
    maxContentLength: MAX_ISSUER_RESPONSE_BYTES,
    responseType: 'json',
    headers: { Accept: 'application/json' },
    // HTTP(S)_PROXY from the environment is not followed: the issuer is named in the config.
    proxy: false,
  });
  const settings = {
    http,
    timeout: config.timeout,
    maxAge: config.keys_max_age,
    refetchInterval: config.refetch_interval,
    baseDir: ctx.baseDir,
    uses: ctx.uses,
  };
  const issuers: TrustedIssuer[] = config.issuers.map((issuer, i) => {
    try {
      return { config: issuer, keys: createIssuerKeys(issuer, settings), conditions: compileConditions(issuer.conditions) };
    } catch (err) {
      throw new Error(`issuers[${i}]: ${(err as Error).message}`, { cause: err });
    }
  });

  return {
    name: ctx.name,
    async authenticate(user, password) {
      if (config.user !== undefined && user !== config.user) return { kind: 'no_match' };
      const token = password.reveal();
      if (!looksLikeJwt(token)) return { kind: 'no_match' };
      const verified = await verifyIdToken(token, issuers);
      if (!verified.ok) return { kind: 'deny', reason: verified.reason };
      const { claims, issuer } = verified;
      const account = accountFromTemplate(issuer.config.account, claims);
      if (account === null)
        return { kind: 'deny', reason: `${issuer.config.issuer}: the token lacks a claim of the account template ${issuer.config.account}` };
      return {
        kind: 'allow',
        account,
        labels: labelsFromClaims(claims, issuer.config.labels),
        // A CI job's identity lasts as long as its token: no cached login or refresh token outlives it.
        validUntil: claims.exp! * 1000,
        refresh: config.refresh ? 'carry-labels' : 'never',
      };
    },
  };
}
