#!/usr/bin/env node
// `npx nestjs-melange <command>`: see `nestjs-melange --help`, or the README's "Operating" section.
import 'reflect-metadata';
import { runCli } from './program';

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
