#!/usr/bin/env node
// Runs the CLI in this very process (no npm or shell in between), so signals sent to this PID
// (SIGTERM, SIGHUP) reach the server.
import { main } from '../dist/cli/cli.js';

process.exitCode = await main(process.argv.slice(2));
