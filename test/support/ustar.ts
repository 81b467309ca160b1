/**
 * Just enough of POSIX ustar to write regular files, so test images need neither network nor a
 * `tar` binary. Fixed owner, mode and mtime make the archive (and so every digest) reproducible.
 */

export interface TarEntry {
  /** Relative path, at most 100 bytes (the prefix field is not used). */
  readonly name: string;
  readonly content: Buffer;
  readonly mode?: number;
  /** Seconds since the epoch. */
  readonly mtime?: number;
}

const BLOCK = 512;

export function ustar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry), entry.content, Buffer.alloc(padding(entry.content.length)));
  }
  // The archive ends with two zero blocks.
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function header(entry: TarEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length === 0 || name.length > 100) throw new Error(`ustar: name must be 1..100 bytes: ${entry.name}`);
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0);
  octal(h, 100, 8, entry.mode ?? 0o644);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, entry.content.length);
  octal(h, 136, 12, entry.mtime ?? 0);
  h.write('0', 156, 'ascii'); // typeflag: regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  // The checksum is computed with its own field read as eight spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** Zero-padded octal digits followed by a NUL, filling `width` bytes. */
function octal(h: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`ustar: ${value} does not fit in ${width} bytes`);
  h.write(`${digits.padStart(width - 1, '0')}\0`, offset, 'ascii');
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
