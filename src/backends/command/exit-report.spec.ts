import { Secret } from '../../common/secret.js';
import { describeExit, maskedStderr } from './exit-report.js';

describe(maskedStderr.name, () => {
  it('cuts every occurrence of the password out of stderr', () => {
    expect(maskedStderr('bad input: bob hunter2, retry hunter2\n', new Secret('hunter2'))).toBe('; stderr: "bad input: bob ***, retry ***"');
  });

  it('masks the start of a password cut off at the end of the captured stderr', () => {
    expect(maskedStderr('input was bob hunt', new Secret('hunter2'))).toBe('; stderr: "input was bob ***"');
  });

  it('says nothing when stderr is empty', () => {
    expect(maskedStderr('  \n', new Secret('x'))).toBe('');
  });
});

describe(describeExit.name, () => {
  it('names the exit code, or the signal that killed the command', () => {
    expect(describeExit({ exitCode: 3, signal: null, stdout: Buffer.alloc(0), stderr: '' })).toBe('exit 3');
    expect(describeExit({ exitCode: null, signal: 'SIGSEGV', stdout: Buffer.alloc(0), stderr: '' })).toBe('killed by SIGSEGV');
  });
});
