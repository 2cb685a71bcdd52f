/**
 * The README's and docs/'s transcripts run as written (see doc-runner.ts for what is compared):
 * a doc cannot drift from the product. Pages run concurrently, each in a session of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
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
