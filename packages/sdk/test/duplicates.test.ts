/**
 * Duplicate detection between applications over real UDP sockets on loopback: two computers
 * using files of one serial and PIN at once, applications sharing one computer (in one process
 * and in two), restarts, reboots with the clock off, clock steps and suspend/resume, forged and
 * garbage announcements, and the report to the License Center.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import {
  announcementCredential,
  createAnnouncement,
  decodeLicenseFile,
  encodeAnnouncement,
  verifyDuplicateEvidence,
} from '@lictor/protocol';
import { keyFilePath, openKeys } from '../src/container-keys.js';
import { DUPLICATE_FILE_SUFFIX, type DuplicateDetectionOptions, type Licensing } from '../src/index.js';
import { activatedStore, open, SECRET_A, vendor } from './container-fixtures.js';

const INTERVAL_MS = 40;

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Duplicate detection on a free port, announcing to `targets` every {@link INTERVAL_MS} as `instance`. */
function detection(
  instance: string,
  targets: string[],
  more: DuplicateDetectionOptions = {},
): DuplicateDetectionOptions {
  return { port: 0, targets, intervalMs: INTERVAL_MS, instance, ...more };
}

/** A temporary root, and a list of licensing states closed (and the root removed) after the test. */
async function scratch(t: TestContext): Promise<{ root: string; opened: Licensing[] }> {
  const root = await mkdtemp(join(tmpdir(), 'lictor-dup-'));
  const opened: Licensing[] = [];
  t.after(async () => {
    for (const l of opened) await l.close();
    await rm(root, { recursive: true, force: true });
  });
  return { root, opened };
}

describe('duplicate detection (UDP on loopback)', () => {
  test('two computers using one serial and PIN at once: both files unusable, evidence reported', async (t) => {
    const { root, opened } = await scratch(t);
    const reports: unknown[] = [];
    const center = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        reports.push({ url: req.url, body: JSON.parse(body) });
        // The first report finds the center busy: it is sent again at the next interval.
        if (reports.length === 1) {
          const busy = {
            code: 'LICTOR_E_RATE_LIMITED',
            message: 'too many requests',
            details: { retryAfterSeconds: 1 },
          };
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify(busy));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"blacklisted":[]}');
      });
    });
    await new Promise<void>((r) => center.listen(0, '127.0.0.1', r));
    t.after(() => center.close());
    // Computer B listens; computer A announces to it. Each activated the same PIN separately.
    const a = await activatedStore(root);
    const b = await activatedStore(root);
    assert.ok(a.licensing.check().ok && b.licensing.check().ok);
    const centerUrl = `http://127.0.0.1:${(center.address() as AddressInfo).port}`;
    const onB = await open(b.store, {
      watch: true,
      watchIntervalMs: 50,
      duplicateDetection: detection('computer-b-boot-1', [], { center: centerUrl }),
    });
    opened.push(onB);
    const portB = await boundPort(onB);
    const onA = await open(a.store, {
      duplicateDetection: detection('computer-a-boot-1', [`127.0.0.1:${portB}`]),
    });
    opened.push(onA);

    await until('B marks the duplicate', () => !onB.check().ok);
    const refused = onB.check();
    assert.equal(refused.ok, false);
    assert.equal(refused.ok === false && refused.code, 'LICTOR_E_DUPLICATE_LICENSE');
    assert.match(refused.ok === false ? refused.reason : '', /two computers of the network at once/);
    const marks = (await readdir(b.store)).filter((n) => n.endsWith(DUPLICATE_FILE_SUFFIX));
    assert.equal(marks.length, 1);
    // Another application started later on B reads the mark: the file stays unusable.
    const later = await open(b.store);
    opened.push(later);
    const laterCheck = later.check();
    assert.equal(!laterCheck.ok && laterCheck.code, 'LICTOR_E_DUPLICATE_LICENSE');

    await until('the center receives the report again after a 429', () => reports.length > 1);
    const report = reports[0] as { url: string; body: { evidence: unknown } };
    assert.equal(report.url, '/v1/duplicates');
    const proven = verifyDuplicateEvidence(report.body.evidence, vendor.publicKey);
    assert.deepEqual(
      proven.activations,
      [a.licensing.status()[0]?.activationId, b.licensing.status()[0]?.activationId].sort(),
    );
    assert.equal((onB.duplicateDetection() as { duplicates: number }).duplicates, 1);
  });

  test('applications on one computer, garbage and forged announcements are no duplicate', async (t) => {
    const { root, opened } = await scratch(t);
    const a = await activatedStore(root);
    const stranger = await activatedStore(root);
    const listener = await open(a.store, {
      duplicateDetection: detection('computer-a-boot-1', []),
    });
    opened.push(listener);
    const port = await boundPort(listener);
    // A second application on the same computer: same instance, same file.
    const sameComputer = await open(a.store, {
      duplicateDetection: detection('computer-a-boot-1', [`127.0.0.1:${port}`]),
    });
    opened.push(sameComputer);
    // Someone on the network with A's license file text but another container key.
    const licenseA = a.licensing.containers()[0];
    assert.ok(licenseA);
    const licenseText = await readFile(licenseA.file, 'utf8');
    const strangerKey = await strangerSignKey(stranger.store);
    const sock = createSocket('udp4');
    t.after(() => sock.close());
    const credential = announcementCredential(licenseText, vendor.publicKey);
    assert.ok(credential);
    for (let i = 0; i < 5; i++) {
      const forged = createAnnouncement({ ...credential, instance: 'computer-evil-1', seq: i + 1 }, strangerKey);
      sock.send(encodeAnnouncement(forged), port, '127.0.0.1');
      sock.send(Buffer.from('garbage'), port, '127.0.0.1');
      await sleep(INTERVAL_MS);
    }
    await until('the forged announcements arrive', () => (listener.duplicateDetection()?.invalid ?? 0) >= 10);
    await until('the other application is heard', () => (listener.duplicateDetection()?.received ?? 0) >= 12);
    assert.equal(listener.duplicateDetection()?.duplicates, 0);
    assert.equal(listener.check().ok, true);
    assert.deepEqual(
      (await readdir(a.store)).filter((n) => n.endsWith(DUPLICATE_FILE_SUFFIX)),
      [],
    );
  });

  test('two applications on one computer with their own instance ids derived, a restart, a clock step: no duplicate', async (t) => {
    const { root, opened } = await scratch(t);
    const a = await activatedStore(root);
    // No `instance` option: each derives it from the machine secret and the boot, as in production.
    const listener = await open(a.store, { duplicateDetection: { port: 0, targets: [], intervalMs: INTERVAL_MS } });
    opened.push(listener);
    const port = await boundPort(listener);
    const toListener = { port: 0, targets: [`127.0.0.1:${port}`], intervalMs: INTERVAL_MS };
    // The second application's wall clock is three hours behind (an NTP step between the starts).
    const behind = await open(a.store, { now: () => Date.now() - 3 * 3600_000, duplicateDetection: toListener });
    assert.equal(behind.duplicateDetection()?.instance, listener.duplicateDetection()?.instance);
    await until('the second application is heard', () => (listener.duplicateDetection()?.received ?? 0) >= 3);
    // It restarts (closed, opened again), now with its clock ahead.
    await behind.close();
    const ahead = await open(a.store, { now: () => Date.now() + 3 * 3600_000, duplicateDetection: toListener });
    opened.push(ahead);
    const heard = listener.duplicateDetection()?.received ?? 0;
    await until(
      'the restarted application is heard',
      () => (listener.duplicateDetection()?.received ?? 0) >= heard + 5,
    );
    assert.equal(listener.duplicateDetection()?.duplicates, 0);
    assert.equal(ahead.duplicateDetection()?.duplicates, 0);
    assert.equal(listener.check().ok, true);
  });

  test('a reboot with the clock behind and a suspend/resume are no duplicate; a clone still is', async (t) => {
    const { root, opened } = await scratch(t);
    const a = await activatedStore(root);
    // A third computer that only listens (it has no license of its own), with its own monotonic
    // clock, which jumps forward 10 minutes across a suspend.
    let listenerClock = 1_000_000;
    const listener = await open(await mkdtemp(join(root, 'listener-')), {
      duplicateDetection: detection('the-listener', [], { monotonicMs: () => listenerClock }),
    });
    opened.push(listener);
    const port = await boundPort(listener);
    let received = 0;
    const heardMore = async (n: number, what: string) => {
      await until(what, () => (listener.duplicateDetection()?.received ?? 0) >= received + n);
      received = listener.duplicateDetection()?.received ?? 0;
    };
    // Boot one of computer A: its monotonic clock is high (up for a day).
    let bootOneClock = 86_400_000;
    const bootOne = await open(a.store, {
      duplicateDetection: detection('a-boot-1', [`127.0.0.1:${port}`], { monotonicMs: () => bootOneClock }),
    });
    await heardMore(3, 'boot one');
    // Suspend and resume: the monotonic clocks move on by 10 minutes, the instance stays.
    bootOneClock += 600_000;
    listenerClock += 600_000;
    await heardMore(3, 'boot one after resume');
    await bootOne.close();
    // Boot two, with the wall clock minutes behind and the monotonic clock starting again.
    const bootTwo = await open(a.store, {
      now: () => Date.now() - 7 * 60_000,
      duplicateDetection: detection('a-boot-2', [`127.0.0.1:${port}`], { monotonicMs: () => 5_000 + listenerClock }),
    });
    opened.push(bootTwo);
    await heardMore(5, 'boot two');
    assert.equal(listener.duplicateDetection()?.duplicates, 0);
    assert.equal(bootTwo.check().ok, true);
    // A clone of computer A starts while boot two runs: caught.
    const clone = await open(a.store, { duplicateDetection: detection('a-boot-2-clone', [`127.0.0.1:${port}`]) });
    opened.push(clone);
    await until('the clone is caught', () => (listener.duplicateDetection()?.duplicates ?? 0) === 1);
  });

  test('a target that is not host[:port] is refused with a typed error', async (t) => {
    const { root } = await scratch(t);
    const { store } = await activatedStore(root);
    await assert.rejects(open(store, { duplicateDetection: detection('computer-a-boot-1', ['plant 07:x']) }), {
      code: 'LICTOR_E_INVALID_INPUT',
      message: /"plant 07:x" is not a duplicate detection target/,
    });
  });
});

/** The UDP port a licensing instance listens on. */
async function boundPort(licensing: Licensing): Promise<number> {
  const port = licensing.duplicateDetection()?.port;
  assert.ok(port !== undefined && port > 0);
  return port;
}

/** The container signing key of the only container of a store (as the stranger's computer holds it). */
async function strangerSignKey(store: string): Promise<string> {
  const names = (await readdir(store)).filter((n) => n.endsWith('.lic'));
  const file = join(store, names[0] as string);
  const doc = decodeLicenseFile(await readFile(file, 'utf8'), vendor.publicKey);
  const opened = openKeys(
    await readFile(keyFilePath(file, doc.serial, doc.activationId), 'utf8'),
    SECRET_A,
    doc.containerId,
  );
  assert.ok(opened.ok);
  return opened.keys.sign;
}
