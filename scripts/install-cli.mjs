#!/usr/bin/env node
// Installs the `lictor` command from this repository, outside it: packs every workspace listed in
// the root package.json (`npm pack`, after `npm run build`) and installs the tarballs globally
// under a prefix (`npm install -g --prefix DIR`). The @lictor packages come from these tarballs,
// never from a registry; third-party dependencies come from npm's cache, or the configured
// registry unless --offline is given. Native modules (better-sqlite3, pkcs11js) are built for the
// Node.js that runs npm.
//
//   node scripts/install-cli.mjs --prefix DIR [--offline] [--no-build]
//
// Then DIR/bin/lictor is the command (put DIR/bin on PATH).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const at = args.indexOf('--prefix');
const prefixArg = at >= 0 ? args[at + 1] : undefined;
if (!prefixArg) {
  console.error('usage: node scripts/install-cli.mjs --prefix DIR [--offline] [--no-build]');
  process.exit(2);
}
const prefix = resolve(prefixArg);
const repo = fileURLToPath(new URL('..', import.meta.url));
const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (argv, options = {}) => execFileSync(npm, argv, { cwd: repo, stdio: 'inherit', ...options });

if (!args.includes('--no-build')) run(['run', 'build']);
const packed = mkdtempSync(join(tmpdir(), 'lictor-pack-'));
try {
  // Every workspace, whatever the list holds today (packages come and go).
  for (const workspace of root.workspaces) {
    run(['pack', '--workspace', workspace, '--pack-destination', packed, '--ignore-scripts', '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const tarballs = readdirSync(packed)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => join(packed, f));
  const allowed = Object.keys(root.allowScripts ?? {}).join(',');
  run([
    'install',
    '--global',
    '--prefix',
    prefix,
    args.includes('--offline') ? '--offline' : '--prefer-offline',
    '--no-audit',
    '--no-fund',
    ...(allowed ? [`--allow-scripts=${allowed}`] : []),
    ...tarballs,
  ]);
} finally {
  rmSync(packed, { recursive: true, force: true });
}
console.log(`lictor installed: ${join(prefix, process.platform === 'win32' ? '' : 'bin', 'lictor')}`);
