import type { TokenRequest } from '../grant/token-request.types.js';
import { statusOf } from './refusal-table.js';
import { parseTokenRequest, type TokenRequestInput } from './token-request.js';

/** Shared builders for the token-request specs. */
export type Params = Record<string, string | string[] | undefined>;

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const get = (query: Params, authorization?: string | string[]): TokenRequestInput => ({ method: 'GET', query, authorization });
export const post = (body: Params | null, authorization?: string | string[], query: Params = {}): TokenRequestInput => ({
  method: 'POST',
  query,
  body,
  authorization,
});

export const requestOf = (input: TokenRequestInput): TokenRequest => {
  const result = parseTokenRequest(input);
  if (!result.ok) throw new Error(`expected a request, got ${result.code}: ${result.message}`);
  return result.request;
};
export const errorOf = (input: TokenRequestInput): { status: number; code: string } => {
  const result = parseTokenRequest(input);
  if (result.ok) throw new Error('expected the request to be refused');
  return { status: statusOf(result.code), code: result.code };
};
export const grantOf = (request: TokenRequest) => ({
  grant: request.grant,
  user: request.user,
  password: request.password?.reveal(),
  refreshToken: request.refreshToken?.reveal(),
});
