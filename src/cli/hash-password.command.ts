import bcrypt from 'bcrypt';
import { createInterface } from 'node:readline';
import { BCRYPT_MAX_PASSWORD_BYTES } from '../authn/static/static.provider.js';
import { parseOptions, UsageError, type Command } from './command.js';

export const hashPasswordCommand: Command = {
  summary: 'print a bcrypt hash for a static user password',
  usage: `Usage: regauth hash-password [--cost N]

Reads the password from standard input (one line) or, on a terminal, prompts for it without
echo. The password is never taken from the command line, where it would land in shell history
and process lists. Prints a bcrypt hash for authn[].users.<name>.password. Default cost 10.`,
  async run(argv) {
    const { values } = parseOptions(argv, { cost: { type: 'string', default: '10' } });
    const cost = Number(values.cost);
    if (!Number.isInteger(cost) || cost < 4 || cost > 16) throw new UsageError('--cost must be an integer from 4 to 16');
    const password = process.stdin.isTTY ? await promptHidden('Password: ') : await readFirstLine();
    if (password.length === 0) throw new UsageError('empty password');
    if (Buffer.byteLength(password) > BCRYPT_MAX_PASSWORD_BYTES) {
      throw new UsageError(`password longer than ${BCRYPT_MAX_PASSWORD_BYTES} bytes: bcrypt would only check a prefix`);
    }
    process.stdout.write(`${await bcrypt.hash(password, cost)}\n`);
    return 0;
  },
};

async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolvePromise) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) write.call(rl, question);
    };
    rl.question(question, (answer) => {
      process.stderr.write('\n');
      rl.close();
      resolvePromise(answer);
    });
  });
}
