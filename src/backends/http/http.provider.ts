import { z } from 'zod';
import { toLabels } from '../../common/labels.js';
import type { Secret } from '../../common/secret.js';
import type { AuthResult, Provider, ProviderBuildContext } from '../../authn/provider.js';
import type { RequestContext } from '../../common/request-context.js';
import { CallbackError } from './callback-error.js';
import { createCallbackClient } from './callback-client.js';
import type { HttpProviderConfig } from './http.schema.js';

const ACCOUNT = /^[^\p{Cc}]{1,256}$/u;

/** What the callback must answer; anything else fails the request closed. */
export const httpAuthAnswerSchema = z.object({
  result: z.enum(['allow', 'deny', 'no_match']),
  labels: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  account: z.string().regex(ACCOUNT).optional(),
});

/**
 * Asks an HTTP service: POST `{account, password, service, ip}` as JSON, answer
 * `{"result": "allow"|"deny"|"no_match", "labels": {...}, "account": "..."}`. `account` lets the
 * service name the canonical identity (e.g. a lower-cased login).
 */
export async function createHttpProvider(config: HttpProviderConfig, ctx: ProviderBuildContext): Promise<Provider> {
  const client = createCallbackClient(config, ctx);
  return {
    name: ctx.name,
    async authenticate(user: string, password: Secret, req: RequestContext): Promise<AuthResult> {
      const body = JSON.stringify({ account: user, password: password.reveal(), service: req.service, ip: req.ip });
      const raw = await client.post(body, req.signal);
      const answer = httpAuthAnswerSchema.safeParse(raw);
      if (!answer.success) {
        const where = answer.error.issues[0]?.path.join('.') || 'answer';
        throw new CallbackError('bad_response', client.endpoint, `answer does not fit the protocol (${where})`);
      }
      const { result, account } = answer.data;
      if (result === 'deny') return { kind: 'deny' };
      if (result === 'no_match') return { kind: 'no_match' };
      // Labels straight from the parsed JSON: toLabels drops keys like __proto__ itself.
      const labels = toLabels((raw as { labels?: unknown }).labels ?? {});
      return account === undefined ? { kind: 'allow', labels } : { kind: 'allow', labels, account };
    },
    close: () => client.close(),
  };
}
