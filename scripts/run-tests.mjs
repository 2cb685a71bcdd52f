// Runs every `packages/*/test/**/*.test.ts` with Node's test runner (TypeScript through tsx).
// Node 20's `--test` cannot glob, so the files are listed here. Extra arguments are passed on,
// e.g. `npm test -- --test-name-pattern=hardware`; a path argument narrows the run to matching files.
// `*.slow.test.ts` files run only with LICTOR_SLOW_TESTS=1 or when an argument containing "slow" names them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
const files = readdirSync('packages')
  .map((p) => join('packages', p, 'test'))
  .filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  })
  .flatMap(findTests)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  // Slow tests (*.slow.test.ts, minutes each) run when named, or with LICTOR_SLOW_TESTS=1.
  .filter(
    (f) =>
      !f.endsWith('.slow.test.ts') ||
      process.env.LICTOR_SLOW_TESTS === '1' ||
      filters.some((x) => f.includes(x) && x.includes('slow')),
  )
  .sort();

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=4', ...flags, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
