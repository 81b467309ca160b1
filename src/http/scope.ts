import { KNOWN_ACTIONS } from '../acl/acl.types.js';
import type { RequestedScope } from '../grant/token-request.types.js';
import { isValidRepositoryName } from './repository-name.js';

/** Caps per request (docs/security.md rule 10, docs/protocol.md item 48): tokens stay small, parsing stays cheap. */
export const MAX_SCOPES_PER_REQUEST = 32;
export const MAX_SCOPE_BYTES = 512;
/** Keeps the JWT within proxy header limits (docs/protocol.md item 6: about 6 KiB with x5c). */
export const MAX_SCOPE_TOTAL_BYTES = 4096;

export type ScopeParseResult = { readonly ok: true; readonly scopes: RequestedScope[] } | { readonly ok: false; readonly error: string };

const KNOWN = new Set<string>(KNOWN_ACTIONS);
const CONTROL_CHARACTER = /\p{Cc}/u;
// scope.md: `resourcetype := resourcetypevalue [ '(' resourcetypevalue ')' ]`.
const TYPE_WITH_CLASS = /^([a-z0-9]+)\([a-z0-9]+\)$/;
const SHOWN_PIECE_LENGTH = 80;

interface Accumulator {
  readonly type: string;
  readonly name: string;
  readonly raw: Set<string>;
  readonly actions: Set<string>;
  readonly unknownActions: Set<string>;
}

/**
 * Parses every `scope` value of a request (GET: repeated parameters; POST: one space-joined
 * field, or repeated fields). Each value is split on spaces; empty pieces are ignored. Within a
 * piece, type is the text before the first `:`, actions the text after the last `:`, and the name
 * what lies between, so names carrying `host:port` parse right (scope.md).
 */
export function parseScopes(values: readonly string[]): ScopeParseResult {
  const merged = new Map<string, Accumulator>();
  let count = 0;
  let bytes = 0;
  for (const value of values) {
    for (const piece of value.split(' ')) {
      if (piece === '') continue;
      if (++count > MAX_SCOPES_PER_REQUEST) return { ok: false, error: `too many scopes: at most ${MAX_SCOPES_PER_REQUEST} per request` };
      bytes += Buffer.byteLength(piece, 'utf8');
      if (bytes > MAX_SCOPE_TOTAL_BYTES) return { ok: false, error: `scopes too long: at most ${MAX_SCOPE_TOTAL_BYTES} bytes per request` };
      const problem = pieceProblem(piece);
      if (problem) return { ok: false, error: problem };
      add(merged, piece);
    }
  }
  return { ok: true, scopes: [...merged.values()].map(finish) };
}

function pieceProblem(piece: string): string | undefined {
  if (Buffer.byteLength(piece, 'utf8') > MAX_SCOPE_BYTES) return `scope too long: at most ${MAX_SCOPE_BYTES} bytes per scope`;
  if (CONTROL_CHARACTER.test(piece)) return 'invalid scope: control characters are not allowed';
  const first = piece.indexOf(':');
  if (first < 0 || piece.lastIndexOf(':') === first) {
    return `invalid scope ${JSON.stringify(piece.slice(0, SHOWN_PIECE_LENGTH))}: expected type:name:actions`;
  }
  return undefined;
}

function add(merged: Map<string, Accumulator>, piece: string): void {
  const first = piece.indexOf(':');
  const last = piece.lastIndexOf(':');
  const rawType = piece.slice(0, first);
  const type = TYPE_WITH_CLASS.exec(rawType)?.[1] ?? rawType;
  const name = piece.slice(first + 1, last);
  // The type holds no `:`, so this key cannot be produced by two different (type, name) pairs.
  const key = `${type}:${name}`;
  let entry = merged.get(key);
  if (!entry) {
    entry = { type, name, raw: new Set(), actions: new Set(), unknownActions: new Set() };
    merged.set(key, entry);
  }
  entry.raw.add(piece);
  for (const action of piece.slice(last + 1).split(',')) {
    if (action === '') continue;
    (KNOWN.has(action) ? entry.actions : entry.unknownActions).add(action);
  }
}

function finish(entry: Accumulator): RequestedScope {
  const scope = {
    type: entry.type,
    name: entry.name,
    raw: [...entry.raw],
    actions: [...entry.actions].sort(),
    unknownActions: [...entry.unknownActions].sort(),
  };
  const invalidReason = whyInvalid(scope.type, scope.name, scope.actions);
  return invalidReason === undefined ? { ...scope, valid: true } : { ...scope, valid: false, invalidReason };
}

function whyInvalid(type: string, name: string, actions: readonly string[]): string | undefined {
  if (type === 'repository') {
    if (!isValidRepositoryName(name)) return 'invalid repository name';
  } else if (type === 'registry') {
    if (name !== 'catalog') return 'unknown registry resource';
  } else {
    return 'unknown resource type';
  }
  if (actions.length === 0) return 'no known action';
  return undefined;
}
