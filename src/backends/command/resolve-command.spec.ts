import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCommand } from './resolve-command.js';

describe(resolveCommand.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'regauth-resolve-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'hook'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'plain'), '#!/bin/sh\n', { mode: 0o644 });
    chmodSync(join(dir, 'plain'), 0o644);
  });

  it('resolves a relative path against the config folder', () => {
    expect(resolveCommand('./bin/hook', dir, '')).toBe(join(dir, 'bin', 'hook'));
  });

  it('keeps an absolute path', () => {
    expect(resolveCommand(join(dir, 'bin', 'hook'), '/elsewhere', '')).toBe(join(dir, 'bin', 'hook'));
  });

  it('looks a bare name up in PATH, skipping folders without it', () => {
    expect(resolveCommand('hook', '/elsewhere', `/nonexistent:${join(dir, 'bin')}`)).toBe(join(dir, 'bin', 'hook'));
  });

  it('does not look a bare name up in the config folder', () => {
    expect(() => resolveCommand('hook', join(dir, 'bin'), '/nonexistent')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('refuses a missing file, a file without execute bit and a folder', () => {
    expect(() => resolveCommand('./missing', dir, '')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => resolveCommand('./plain', dir, '')).toThrow(expect.objectContaining({ code: 'not_executable' }));
    expect(() => resolveCommand('./bin', dir, '')).toThrow(expect.objectContaining({ code: 'not_executable' }));
  });
});
