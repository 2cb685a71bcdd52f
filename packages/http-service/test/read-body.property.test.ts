/** `readBody` gives the text a stream's `setEncoding('utf8')` gives (Fastify's reading), however the bytes are cut into chunks. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { readBody } from '../src/raw-routes.js';

function stream(chunks: readonly Uint8Array[]): Readable {
  return Readable.from(
    chunks.map((c) => Buffer.from(c)),
    { objectMode: false },
  );
}

function viaReadBody(chunks: readonly Uint8Array[]): Promise<string> {
  return new Promise((resolve) => readBody(stream(chunks), resolve));
}

function viaDecoder(chunks: readonly Uint8Array[]): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const s = stream(chunks);
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      text += chunk;
    });
    s.on('end', () => resolve(text));
  });
}

test('readBody decodes like setEncoding("utf8"): valid and invalid UTF-8, chunks cut anywhere', async () => {
  // Bytes from UTF-8 text (multi-byte characters cut across chunks) and from anywhere (invalid
  // sequences, a truncated last character).
  const text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8')));
  const bytes = fc.uint8Array({ maxLength: 40 });
  await fc.assert(
    fc.asyncProperty(fc.oneof(text, bytes), fc.array(fc.nat({ max: 40 }), { maxLength: 5 }), async (all, cuts) => {
      const at = [...new Set(cuts.map((c) => Math.min(c, all.length)))].sort((a, b) => a - b);
      const chunks = [0, ...at].map((from, i) => all.subarray(from, at[i] ?? all.length)).filter((c) => c.length > 0);
      assert.equal(await viaReadBody(chunks), await viaDecoder(chunks));
    }),
    { numRuns: 3_000 },
  );
});
