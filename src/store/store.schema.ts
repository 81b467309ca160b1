import { z } from 'zod';
import { duration } from '../common/duration.js';

/**
 * Where state shared between replicas lives (docs/scaling.md): `memory` keeps it in each server
 * (the failed-login counters of one machine); `redis` lets every replica that points at the same
 * Redis count failures together and read the refresh-token revocations `regauth revoke` records.
 */
export const storeSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('memory') }),
    z.strictObject({
      type: z.literal('redis'),
      url: z
        .string()
        // No user or password in the URL: the URL is logged, the password must not be.
        .regex(
          /^rediss?:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/\d{1,2})?$/,
          'expected redis://host[:port][/db] or rediss://… (TLS), with no user or password (use username and password)',
        )
        .describe('redis://host:6379/0, or rediss:// for TLS'),
      password: z.string().min(1).optional().describe('AUTH password, e.g. "${file:redis.password}" or "${env:REDIS_PASSWORD}"'),
      username: z.string().min(1).optional().describe('ACL user (Redis 6+), with `password`'),
      key_prefix: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only, at most 64')
        .default('regauth:')
        .describe('Prefix of every key regauth writes, so several deployments can share one Redis'),
      connect_timeout: duration.prefault('2s').describe('Giving up on one connection attempt'),
      command_timeout: duration
        .prefault('250ms')
        .refine((ms) => ms >= 10, 'must be at least 10ms')
        .describe('Longest wait for one command; past it the request goes on without the shared state (never a hang)'),
    }),
  ])
  .default({ type: 'memory' })
  .describe('Shared state between replicas: failed-login counters and refresh-token revocations (docs/scaling.md)');

export type StoreConfig = z.output<typeof storeSchema>;
