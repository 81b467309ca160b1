// The bench's servers are set up by the same code as the tests' (test/support/*.ts), compiled here
// with tsc into a folder of the bench's own.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Compiles test/support/<name>.ts for each name into `outDir` and imports them, in that order. */
export async function importTestSupport(root, outDir, names) {
  const tsc = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      ...['--outDir', outDir, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node'],
      ...names.map((name) => join(root, 'test', 'support', `${name}.ts`)),
    ],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`could not compile ${names.join(', ')} from test/support:\n${tsc.stdout}${tsc.stderr}`);
  // Compiled outside the project, the modules need its dependencies and ESM mode.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return Promise.all(names.map((name) => import(join(outDir, `${name}.js`))));
}
