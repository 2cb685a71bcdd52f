// Runs the test files of `packages/*/test/` with Node's test runner (TypeScript through tsx).
//
// Two tiers: `npm test` runs every `*.test.ts` except `*.slow.test.ts` (the fast tier: in-process,
// injected time, no real-process crash or restart); `npm run test:slow` runs only `*.slow.test.ts`
// (real processes killed, restarted and cut off from the network). `.ci/run` runs both.
// Extra arguments are passed on, e.g. `npm test -- --test-name-pattern=hardware`; a path argument
// narrows the run to matching files; `--tier=slow` or `--tier=all` picks the tier.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
const tierArg = args.find((a) => a.startsWith('--tier='));
const tier = tierArg === undefined ? 'fast' : tierArg.slice('--tier='.length);
if (!['fast', 'slow', 'all'].includes(tier)) {
  console.error(`unknown --tier=${tier}: use fast, slow or all`);
  process.exit(2);
}
const filters = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--') && a !== tierArg);
const inTier = (f) => tier === 'all' || f.endsWith('.slow.test.ts') === (tier === 'slow');
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
  .filter((f) => (filters.length === 0 ? inTier(f) : filters.some((x) => f.includes(x))))
  .sort();

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A test that never ends fails after 10 minutes rather than holding CI until its own limit.
// (`--test-force-exit` is not used: a file exits once the tests known so far are done, and tests
// registered later, after an `await` at the top of a file, were silently not run: 1,433–1,453 of
// ~1,530 tests in two runs.)
const guards = ['--test-timeout=600000'];
// Unless a reporter is asked for: Node's default one (spec on a terminal, else TAP), and a list of
// the failed tests printed after it (`failures-reporter.mjs`), so that the end of a long log
// names what failed.
const failuresDir = flags.some((f) => f.startsWith('--test-reporter'))
  ? undefined
  : mkdtempSync(join(tmpdir(), 'lictor-test-failures-'));
const failuresFile = failuresDir === undefined ? undefined : join(failuresDir, 'failures.txt');
const reporters =
  failuresFile === undefined
    ? []
    : [
        `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
        '--test-reporter-destination=stdout',
        `--test-reporter=${new URL('./failures-reporter.mjs', import.meta.url).href}`,
        `--test-reporter-destination=${failuresFile}`,
      ];
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=4', ...guards, ...reporters, ...flags, ...files],
  {
    stdio: 'inherit',
  },
);
if (failuresDir !== undefined) {
  try {
    process.stdout.write(`\n${readFileSync(failuresFile, 'utf8')}`);
  } catch {
    // The runner did not get as far as reporting (it printed why).
  }
  rmSync(failuresDir, { recursive: true, force: true });
}
process.exit(result.status ?? 1);
