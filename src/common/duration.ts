import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * A duration written as `5s`, `250ms`, `15m`, `12h`, `30d`, or a bare number of seconds (the
 * docker_auth habit). Parsed to milliseconds once, at load.
 */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return Math.round(value * 1000);
  const m = DURATION.exec(value.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${value}" (use e.g. 500ms, 5s, 15m, 12h, 30d)` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
});

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
