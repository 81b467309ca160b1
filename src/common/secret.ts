import { inspect } from 'node:util';

/**
 * A password or other credential. It prints as `***` through every path a value can take to a
 * log or a response (string coercion, JSON, util.inspect), so passing one around is safe; only
 * `reveal()` gives the value, and call sites that use it are few and easy to audit.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  /** Length in UTF-8 bytes: bcrypt and the input caps count bytes, not UTF-16 units. */
  get byteLength(): number {
    return Buffer.byteLength(this.#value, 'utf8');
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return '***';
  }

  [inspect.custom](): string {
    return 'Secret(***)';
  }
}
