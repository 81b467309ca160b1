import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinaries } from './require-binary.js';
import { ustar } from './ustar.js';

const { describeIf } = requireBinaries(['tar']);

describeIf('ustar (checked by GNU tar)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'regauth-ustar-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tar = (archive: Buffer, args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const file = join(dir, 'a.tar');
    writeFileSync(file, archive);
    const r = spawnSync('tar', [...args, '-f', file], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('writes an archive tar lists with name, mode and size', () => {
    const sut = ustar([{ name: 'hello.txt', content: Buffer.from('hi\n'), mode: 0o640 }]);
    const listed = tar(sut, ['-tv']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/^-rw-r-----\s+root\/root\s+3\s.*hello\.txt$/m);
  });

  it('keeps content intact across block boundaries and several entries', () => {
    const big = Buffer.alloc(1500, 'x');
    const sut = ustar([
      { name: 'big.txt', content: big },
      { name: 'dir/small.txt', content: Buffer.from('small') },
    ]);
    expect(tar(sut, ['-xO', 'dir/small.txt']).stdout).toBe('small');
    expect(tar(sut, ['-xO', 'big.txt']).stdout).toBe(big.toString());
  });

  it('is reproducible: the same entries give the same bytes', () => {
    const entries = [{ name: 'a', content: Buffer.from('a') }];
    expect(ustar(entries).equals(ustar(entries))).toBe(true);
  });

  it('refuses a name longer than the 100-byte field', () => {
    expect(() => ustar([{ name: 'n'.repeat(101), content: Buffer.alloc(0) }])).toThrow(/1\.\.100 bytes/);
  });
});
