/**
 * The README's and docs/'s transcripts run as written (see doc-runner.ts for what is compared):
 * a doc cannot drift from the product. Pages run concurrently, each in a session of its own.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { softhsmModule } from '../../token/test/softhsm.js';
import { parseDoc, runDoc } from './doc-runner.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const pages = ['README.md', ...readdirSync(join(REPO, 'docs')).map((f) => join('docs', f))]
  .filter((p) => p.endsWith('.md'))
  .filter((p) => parseDoc(readFileSync(join(REPO, p), 'utf8')).length > 0);

describe('executable documentation', { concurrency: true }, () => {
  test('the README and every page with a transcript are marked for the runner', () => {
    for (const page of [
      'README.md',
      'docs/offline-activation.md',
      'docs/remote-upgrade.md',
      'docs/dongles.md',
      'docs/errors.md',
    ]) {
      if (!pages.includes(page)) throw new Error(`${page} has no doc-test block`);
    }
  });

  for (const page of pages) {
    const text = readFileSync(join(REPO, page), 'utf8');
    const needsSoftHsm = parseDoc(text).some((b) => b.options.get('requires') === 'softhsm2');
    const hsm = needsSoftHsm ? softhsmModule() : undefined;
    const skip = hsm !== undefined && 'skip' in hsm ? hsm.skip : false;
    test(`${page} runs as written`, { skip, timeout: 240_000 }, async () => {
      await runDoc(join(REPO, page), page.replace(/[^a-z0-9]+/gi, '-'));
    });
  }
});

describe('the doc runner', () => {
  /** Runs a page made of one marked console block. */
  async function page(transcript: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'lictor-doc-self-'));
    try {
      const file = join(dir, 'page.md');
      await writeFile(file, `Text.\n\n<!-- doc-test -->\n\`\`\`console\n${transcript}\n\`\`\`\n`);
      await runDoc(file, 'self');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test('a value that differs at every run matches any value of its kind, and stands for it later', async () => {
    await page(
      '$ echo "serial: LX-AAAA-BBBB-CCCC"\nserial: LX-7K2M-9QXD-4RTA\n$ echo LX-AAAA-BBBB-CCCC done\nLX-7K2M-9QXD-4RTA done',
    );
    // The documented serial used in a command is replaced by this run's.
    await page(
      '$ echo "serial: LX-AAAA-BBBB-CCCC"\nserial: LX-7K2M-9QXD-4RTA\n$ echo LX-7K2M-9QXD-4RTA\nLX-AAAA-BBBB-CCCC',
    );
  });

  test('a documented id matches any 22 base64url characters of a run, with or without a digit or a capital', async () => {
    // One random id in about fifty has no digit: the pattern that finds ids in the page must not
    // also be demanded of the run's value.
    await page('$ echo "request qjZKLOdVrwhAEBJheGuAeQ."\nrequest liscRmCBJkD8BVFnHDoLKQ.');
    await page('$ echo "request qjzklodvrwhaebjheguaeq."\nrequest liscRmCBJkD8BVFnHDoLKQ.');
    await page('$ echo "request qjZK-_dVrwhAEBJheGuAeQ."\nrequest liscRmCBJkD8BVFnHDoLKQ.');
    // Still an id of 22 characters: 21 or 23 do not match.
    await assert.rejects(
      page('$ echo "request qjZKLOdVrwhAEBJheGuAe."\nrequest liscRmCBJkD8BVFnHDoLKQ.'),
      /expected the line/,
    );
    await assert.rejects(
      page('$ echo "request qjZKLOdVrwhAEBJheGuAeQQ."\nrequest liscRmCBJkD8BVFnHDoLKQ.'),
      /expected the line/,
    );
  });

  test('drift is caught: another value where the page reuses one, a missing line, an unexpected exit code', async () => {
    await assert.rejects(
      page(
        '$ echo "serial: LX-AAAA-BBBB-CCCC"\nserial: LX-7K2M-9QXD-4RTA\n$ echo LX-DDDD-EEEE-FFFF\nLX-7K2M-9QXD-4RTA',
      ),
      /expected the line\n {2}LX-7K2M-9QXD-4RTA/,
    );
    await assert.rejects(page('$ echo product ERP added\nproduct SCADA added'), /expected the line/);
    await assert.rejects(page('$ false'), /exited with 1, expected 0/);
    await assert.rejects(page('$ true\nerror [LICTOR_E_NOT_FOUND]: ...'), /exited with 0, expected 1/);
    // Variables and the working directory carry over from one command to the next.
    await page('$ export X=42; mkdir sub; cd sub\n$ echo "$X $(basename "$PWD")"\n42 sub');
  });
});
