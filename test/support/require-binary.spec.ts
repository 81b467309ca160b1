import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, installHint, requireBinaries } from './require-binary.js';

describe('require-binary', () => {
  /** A PATH directory holding one executable, `present-tool`, and one plain file. */
  let binDir: string;
  const present = 'present-tool';
  const notExecutable = 'plain-file';
  const absent = 'regauth-no-such-binary';

  beforeAll(() => {
    binDir = mkdtempSync(join(tmpdir(), 'regauth-bin-'));
    writeFileSync(join(binDir, present), '#!/bin/sh\n');
    chmodSync(join(binDir, present), 0o755);
    writeFileSync(join(binDir, notExecutable), '');
    chmodSync(join(binDir, notExecutable), 0o644);
  });
  afterAll(() => rmSync(binDir, { recursive: true, force: true }));

  describe('findOnPath', () => {
    it('finds an executable in a PATH directory', () => {
      expect(findOnPath(present, `/nonexistent-dir:${binDir}`)).toBe(join(binDir, present));
    });

    it('ignores a file that is not executable', () => {
      expect(findOnPath(notExecutable, binDir)).toBeUndefined();
    });

    it('returns undefined for a name in no PATH directory', () => {
      expect(findOnPath(absent, binDir)).toBeUndefined();
    });
  });

  describe('installHint', () => {
    it('names the Debian packages once each', () => {
      expect(installHint(['docker-registry', 'skopeo', 'skopeo'])).toBe('install with apt-get install docker-registry skopeo');
    });

    it('says where to get a binary Debian does not package', () => {
      expect(installHint(['kubectl', 'openssl'])).toBe(
        'install with apt-get install openssl; get kubectl from https://kubernetes.io/docs/tasks/tools/ (1.27 or later bundles kustomize)',
      );
    });
  });

  describe('requireBinaries', () => {
    const lines: string[] = [];
    const warn = (line: string): void => void lines.push(line);
    beforeEach(() => (lines.length = 0));

    it('gives plain describe when every binary is present', () => {
      const sut = requireBinaries([present], { env: { PATH: binDir }, warn });
      expect(sut).toEqual({ available: true, missing: [], describeIf: describe });
      expect(lines).toEqual([]);
    });

    it('skips locally with a loud line naming the missing binary and how to install it', () => {
      const sut = requireBinaries([present, 'skopeo'], { env: { PATH: binDir }, warn });
      expect(sut.available).toBe(false);
      expect(sut.missing).toEqual(['skopeo']);
      expect(sut.describeIf).toBe(describe.skip);
      expect(lines.join('')).toMatch(/SKIPPED: e2e needs present-tool, skopeo.*missing: skopeo.*apt-get install skopeo/);
    });

    it('does not skip in CI: the describe it gives is neither describe nor describe.skip', () => {
      const sut = requireBinaries([absent], { env: { PATH: binDir, CI: 'true' }, warn });
      expect(sut.available).toBe(false);
      expect(sut.describeIf).not.toBe(describe.skip);
      expect(sut.describeIf).not.toBe(describe);
    });
  });
});
