import { z } from 'zod';
import { credentialCacheField } from '../../authn/credential-cache.js';
import { duration } from '../../common/duration.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the client itself; a configured value would corrupt the request. */
const RESERVED_HEADERS = ['host', 'content-length', 'content-type', 'transfer-encoding', 'connection'];

/** Options shared by the HTTP callback provider and the HTTP callback authorizer. */
export const httpCallbackOptionsShape = {
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).describe('Where to POST the JSON request'),
  timeout: duration.prefault('5s').describe('Total deadline for one call: waiting for a free slot, connect, request and the whole response'),
  headers: z
    .record(
      z
        .string()
        .regex(HEADER_NAME, 'invalid header name')
        .refine((h) => !RESERVED_HEADERS.includes(h.toLowerCase()), 'set by regauth itself'),
      z.string().refine((v) => !/[\r\n\0]/.test(v), 'header values cannot contain line breaks'),
    )
    .default({})
    .describe('Static headers sent with every call, e.g. Authorization: "Bearer ${env:CALLBACK_TOKEN}"'),
  tls: z
    .strictObject({
      ca: z.string().min(1).optional().describe('PEM file of the CA(s) to trust instead of the system ones'),
      certificate: z.string().min(1).optional().describe('Client certificate PEM file (mutual TLS)'),
      key: z.string().min(1).optional().describe('Private key PEM file for `certificate`'),
      server_name: z.string().min(1).optional().describe('Name to verify the server certificate against (SNI)'),
    })
    .refine((t) => (t.certificate === undefined) === (t.key === undefined), 'certificate and key go together')
    .optional()
    .describe('TLS options for https URLs; certificate checks are always on'),
  max_response: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(64 * 1024)
    .describe('Largest response body accepted, in bytes'),
  concurrency: z.number().int().min(1).max(4096).default(32).describe('Calls at the same time'),
  queue: z.number().int().min(0).max(100_000).default(256).describe('Calls waiting for a slot; past it, 503 + Retry-After'),
};

export const httpProviderSchema = z.strictObject({
  type: z.literal('http'),
  name: z.string().min(1).optional(),
  ...credentialCacheField,
  ...httpCallbackOptionsShape,
});

export type HttpCallbackOptions = z.output<z.ZodObject<typeof httpCallbackOptionsShape>>;
export type HttpProviderConfig = z.output<typeof httpProviderSchema>;
