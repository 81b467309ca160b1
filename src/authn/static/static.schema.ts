import { z } from 'zod';
import { credentialCacheField } from '../credential-cache.js';

/** bcrypt in its modular-crypt form; $2y$ (PHP, htpasswd -B) is the same algorithm as $2b$. */
export const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|1[0-6])\$[./A-Za-z0-9]{53}$/;

const staticUser = z.strictObject({
  password: z
    .string()
    // Costs above 16 make every login (and every unknown-user probe) take seconds.
    .regex(BCRYPT_HASH, 'must be a bcrypt hash ($2a$/$2b$/$2y$, cost 04-16); create one with `regauth hash-password`')
    .optional(),
  labels: z.record(z.string(), z.array(z.string())).optional(),
});

export const staticProviderSchema = z
  .strictObject({
    type: z.literal('static'),
    name: z.string().min(1).optional(),
    ...credentialCacheField,
    users: z.record(z.string(), staticUser),
  })
  .superRefine((cfg, ctx) => {
    for (const [user, entry] of Object.entries(cfg.users)) {
      if (user === '' && entry.password !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['users', user, 'password'], message: 'the anonymous user "" has no password' });
      }
      if (user !== '' && entry.password === undefined) {
        ctx.addIssue({ code: 'custom', path: ['users', user, 'password'], message: 'required' });
      }
    }
  });

export type StaticProviderConfig = z.output<typeof staticProviderSchema>;
