import { serve } from './lifecycle/serve.js';

// Entry point for `nest start` (nest-cli.json) and `node dist/main.js`; `regauth serve` runs the
// same function with its command-line options.
process.exitCode = await serve();
