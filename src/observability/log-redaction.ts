/**
 * Deep redaction for log objects (docs/security.md rule 22). pino's `redact` needs every path
 * spelled out and one level of wildcard; a secret nested deeper, or spelt `Password` or
 * `X-Auth-Token`, would pass. This walks the whole object once per line instead.
 */

const CENSOR = '***';
/** Keys whose values are never logged, in any case: passwords, secrets, tokens, credentials headers, private keys. */
const SENSITIVE_KEY = /pass(word|wd)?$|secret|token$|^authorization$|^proxy-authorization$|^cookie$|^set-cookie$|private_?key|^credentials?$/i;
/** Keys that merely describe tokens, not hold them. */
const HARMLESS_KEY = /^(audit|kid|jti|token_type|grant_type)$/i;
const MAX_DEPTH = 8;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !HARMLESS_KEY.test(key);
}

/**
 * A copy of `value` with sensitive keys masked at any depth, axios errors reduced to what is safe
 * (their `config` holds request headers and body, the password included), cycles and depth
 * bounded. Errors other than axios ones keep their identity so pino's error serializer still
 * formats them; their own enumerable fields are masked in place of a copy.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (isAxiosError(value)) return reduceAxiosError(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
  if (value instanceof Error) {
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
    for (const key of ['name', 'message', 'stack'] as const) copy[key] = (value as unknown as Record<string, unknown>)[key];
    if (value.cause !== undefined) copy.cause = redactDeep(value.cause, depth + 1, seen);
    for (const [key, field] of Object.entries(value)) copy[key] = isSensitiveKey(key) ? CENSOR : redactDeep(field, depth + 1, seen);
    return copy;
  }
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = isSensitiveKey(key) ? CENSOR : redactDeep(field, depth + 1, seen);
  return out;
}

interface AxiosLikeError {
  readonly isAxiosError: true;
  readonly message: string;
  readonly code?: string;
  readonly config?: { readonly method?: string; readonly url?: string; readonly baseURL?: string };
  readonly response?: { readonly status?: number };
}

function isAxiosError(value: object): value is AxiosLikeError {
  return (value as { isAxiosError?: unknown }).isAxiosError === true;
}

/** Method, URL without query or credentials, status and code: enough to find the failing call. */
function reduceAxiosError(err: AxiosLikeError): Record<string, unknown> {
  let url: string | undefined;
  try {
    const parsed = new URL(err.config?.url ?? '', err.config?.baseURL);
    url = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    url = undefined;
  }
  return {
    axios: true,
    message: err.message,
    ...(err.code ? { code: err.code } : {}),
    ...(err.config?.method ? { method: err.config.method.toUpperCase() } : {}),
    ...(url ? { url } : {}),
    ...(err.response?.status ? { status: err.response.status } : {}),
  };
}
