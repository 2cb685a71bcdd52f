#!/usr/bin/env node
// V8 flags first, before the CLI's modules are loaded and compiled (see src/v8-flags.ts).
import { setEarlyV8Flags } from '../dist/v8-flags.js';

setEarlyV8Flags(process.argv.slice(2));
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
