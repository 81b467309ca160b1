import { z } from 'zod';
import { KNOWN_ACTIONS, PATTERN_FIELDS, type PatternField } from '../acl/index.js';
import { providerSchemas } from '../authn/provider-registry.js';
import { authorizerSchemas } from '../authz/authorizer-registry.js';
import { duration } from '../common/duration.js';
import { LOG_LEVELS } from '../observability/logger.js';
import { storeSchema } from '../store/store.schema.js';

/**
 * The one source of truth for the native config: TypeScript types, defaults and the JSON Schema
 * in config/schema.json (`npm run schema`) all come from here. Objects are strict: an unknown or
 * misspelled key is an error, never silently dropped.
 */

const addr = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port, e.g. ":5001" or "127.0.0.1:5001"');

export const serverSchema = z.strictObject({
  addr: addr.default(':5001').describe('Listen address host:port; ":5001" listens on every interface'),
  path_prefix: z
    .string()
    .regex(/^(\/[^/\s]+)*$/, 'expected "" or a path like "/registry-auth" (leading slash, no trailing slash)')
    .default('')
    .describe('Serve /auth and /auth/token under this prefix'),
  certificate: z.string().optional().describe('TLS certificate (PEM) to serve https directly'),
  key: z.string().optional().describe('TLS private key (PEM) for `certificate`'),
  trusted_proxies: z.array(z.string()).default([]).describe('Addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed'),
  real_ip_header: z
    .string()
    .optional()
    .describe('Header holding the client ip (e.g. X-Forwarded-For), believed only from trusted_proxies unless real_ip_from is "any"'),
  real_ip_from: z
    .enum(['trusted_proxies', 'any'])
    .default('trusted_proxies')
    .describe('Whose real_ip_header to believe; "any" (docker_auth\'s behaviour) lets every client choose its own ip'),
  real_ip_pos: z.number().int().default(0).describe('Which comma-separated entry of real_ip_header; negative counts from the end'),
  request_timeout: duration
    .prefault(10)
    .refine((ms) => ms >= 100, 'must be at least 100ms')
    .describe('Deadline for one token request, backends included'),
  header_timeout: duration
    .prefault('10s')
    .refine((ms) => ms >= 100, 'must be at least 100ms')
    .describe('Time a client has to send the request headers; a request whose body trickles is cut at request_timeout'),
  keep_alive_timeout: duration.prefault('5s').describe('How long an idle keep-alive connection stays open'),
  max_connections: z.number().int().min(1).max(1_000_000).default(1024).describe('Open connections at most; more are dropped at once'),
  shutdown_delay: duration
    .prefault('0s')
    .describe('On SIGTERM/SIGINT, keep serving this long with /readyz answering 503 before the listener closes, so load balancers stop sending first'),
  shutdown_timeout: duration.prefault('10s').describe('On SIGTERM/SIGINT, how long in-flight requests may take; connections still open then are closed'),
  workers: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe('Server processes sharing the listener (node:cluster); default: one per CPU. 1 serves from a single process'),
  worker_memory: z
    .strictObject({
      semi_space_mb: z
        .number()
        .int()
        .min(1)
        .max(64)
        .default(2)
        .describe("V8's young-generation semi-space of each worker (--max-semi-space-size); Node's default is 16"),
      old_space_mb: z
        .number()
        .int()
        .min(64)
        .max(65_536)
        .default(128)
        .describe("V8's old-space limit of each worker (--max-old-space-size); a worker that needs more dies and is replaced"),
    })
    .prefault({})
    .describe('Heap bounds of the cluster workers (server.workers > 1), which keep each worker near 110 MB of RSS under load'),
  password_hashing: z
    .strictObject({
      concurrency: z
        .number()
        .int()
        .min(1)
        .max(64)
        .default(2)
        .describe("bcrypt compares at the same time; keep it below libuv's thread pool size (4) so token signing and other backends keep threads"),
      queue: z.number().int().min(0).max(100_000).default(64).describe('Compares waiting for a slot; past it, 503 + Retry-After'),
    })
    .prefault({})
    .describe('One bound on bcrypt work (static users, real and dummy compares) for the whole machine, shared out among the workers'),
});

const tokenKey = z.strictObject({
  key: z.string().min(1).describe('Private key PEM (RSA >= 2048 or EC P-256/384/521)'),
  certificate: z.string().min(1).optional().describe('Certificate PEM for the key (leaf first); goes into rootcertbundle'),
  kid: z.string().min(1).optional().describe('Literal kid, for JWKS-only registries'),
});

export const tokenSchema = z.strictObject({
  issuer: z.string().min(1).describe('Must equal the registry auth.token.issuer'),
  expiration: z.number().int().min(60).max(86_400).default(300).describe('Token lifetime in seconds'),
  keys: z.array(tokenKey).min(1).describe('Signing keys: the first signs, all are published (rotation)'),
  kid_format: z.enum(['libtrust', 'jwk-thumbprint']).default('libtrust').describe('libtrust for registry 2.x, jwk-thumbprint for 3.x'),
  x5c: z.boolean().optional().describe('Send the certificate chain in the token header; default: on when the key has a certificate'),
  generate_missing: z.boolean().default(false).describe('Development only: create missing key/certificate/refresh-secret files at start'),
  refresh: z
    .strictObject({
      secrets: z.array(z.string().min(1)).min(1).describe('Files with refresh-token HMAC secrets; the first signs, all verify'),
      expiration: duration
        .prefault('30d')
        .refine((ms) => ms >= 60_000, 'must be at least 60s')
        .describe('Refresh token lifetime'),
      allow_unverifiable: z.boolean().default(false).describe('Accept refresh for users of providers that cannot look accounts up'),
      not_before: z.iso
        .datetime({ offset: true })
        .optional()
        .describe('Refuse refresh tokens issued at or before this time (RFC 3339): logs every stored docker login out without rotating secrets'),
    })
    .optional()
    .describe('Refresh tokens (docker login identity tokens, OAuth2 refresh grant); off when absent'),
});

// The match keys and action names come from the ACL engine, the one place that knows them; the
// engine then checks what the schema cannot: patterns, placeholders, addresses.
const patternFields = Object.fromEntries(
  PATTERN_FIELDS.map((field) => [field, z.string().optional().describe(`Pattern for the request's ${field}: exact, glob or /regex/`)]),
) as Record<PatternField, z.ZodOptional<z.ZodString>>;

const aclMatch = z.strictObject({
  ...patternFields,
  ip: z.string().optional().describe('Client address or CIDR'),
  labels: z.record(z.string(), z.string()).optional().describe('Label name → pattern; every named label must match'),
});

export const aclRuleSchema = z.strictObject({
  match: aclMatch.describe('Conditions that must all hold; {} matches everything'),
  actions: z.array(z.enum(KNOWN_ACTIONS)).describe('["*"] grants what was asked; [] denies and stops'),
  comment: z.string().optional(),
});

export const throttleSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Refuse logins from an address or for an account after too many failures'),
    max_failures: z.number().int().min(1).max(100_000).default(30).describe('Failed logins allowed per window, per client address and per account'),
    window: duration.prefault('3m').describe('The window failures are counted in'),
    block: duration.prefault('3m').describe('How long an address or account is refused once it reached max_failures'),
    max_tracked: z
      .number()
      .int()
      .min(100)
      .max(10_000_000)
      .default(100_000)
      .describe('Addresses, and accounts, counted at most at once; past it, new ones are not counted until old counts expire'),
  })
  .prefault({})
  .describe('Failed-login throttling: 429 + Retry-After before any provider runs');

export type ThrottleConfig = z.output<typeof throttleSchema>;

export const reloadSchema = z
  .strictObject({
    watch: z.boolean().default(true).describe('Reload when the config file or a file it references changes (as on SIGHUP)'),
    debounce: duration.prefault('300ms').describe('Wait this long after the last change before reloading, so a multi-file update lands as one'),
    poll_interval: duration
      .prefault('0s')
      .describe('Also look for changes this often (0: only on file events); for filesystems that report no events, e.g. some network mounts'),
  })
  .prefault({})
  .describe('Automatic reloads on file changes; SIGHUP always reloads');

export const configSchema = z.strictObject({
  server: serverSchema.default(serverSchema.parse({})),
  token: tokenSchema,
  services: z.array(z.string().min(1)).default([]).describe('Allow-list of `service` values (registry auth.token.service); empty accepts any'),
  authn: z.array(z.discriminatedUnion('type', providerSchemas)).describe('Authentication providers, tried in order'),
  throttle: throttleSchema,
  store: storeSchema,
  reload: reloadSchema,
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Serve Prometheus metrics at /metrics'),
      addr: addr.optional().describe('Serve them on this host:port only (e.g. "127.0.0.1:9090"), not on the token listener'),
    })
    .prefault({})
    .describe('Prometheus metrics (docs/operations.md)'),
  acl: z.array(aclRuleSchema).default([]).describe('Access rules, first match decides'),
  authz: z
    .array(z.discriminatedUnion('type', authorizerSchemas))
    .default([])
    .describe('Authorizers asked, in order, about scopes the ACL does not decide (docker_auth ext_authz)'),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).default({ level: 'info' }),
});

export type RegauthConfig = z.output<typeof configSchema>;
export type RegauthConfigInput = z.input<typeof configSchema>;
