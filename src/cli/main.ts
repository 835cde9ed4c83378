#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { runCli } from './run.js';

if (existsSync('.env')) process.loadEnvFile('.env');
runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`vulnbot: ${(error as Error).message}`);
    process.exit(1);
  },
);
