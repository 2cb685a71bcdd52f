import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HardwareParams } from '@lictor/protocol';
import { cachedHardware } from '../src/hardware/index.js';

function params(hostname: string): HardwareParams {
  return {
    platform: 'linux',
    osName: 'Ubuntu',
    osVersion: '24.04',
    hostname,
    board: 'Board',
    ramBytes: 8 * 1024 ** 3,
    bios: 'BIOS 1',
    cpus: ['CPU (4 cores)'],
    nics: ['3c:7c:3f:00:00:01'],
    disks: ['S1'],
  };
}

/** A source that counts its collections and answers `host-<n>` for the n-th one. */
function countingSource(delayMs = 0) {
  const source = Object.assign(
    async () => {
      source.calls++;
      const n = source.calls;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return params(`host-${n}`);
    },
    { calls: 0 },
  );
  return source;
}

describe('cachedHardware', () => {
  it('does not re-collect within maxAge, and does after it', async () => {
    let clock = 1_000;
    const source = countingSource();
    const hw = cachedHardware(source, { maxAgeMs: 100, now: () => clock });
    assert.equal((await hw()).hostname, 'host-1');
    clock += 99;
    assert.equal((await hw()).hostname, 'host-1');
    assert.equal(source.calls, 1);
    clock += 1;
    assert.equal((await hw()).hostname, 'host-2');
    assert.equal(source.calls, 2);
  });

  it('defaults to 24 hours', async () => {
    let clock = 0;
    const source = countingSource();
    const hw = cachedHardware(source, { now: () => clock });
    await hw();
    clock = 24 * 3600 * 1000 - 1;
    await hw();
    assert.equal(source.calls, 1);
    clock += 1;
    await hw();
    assert.equal(source.calls, 2);
  });

  it('re-collects when the clock goes backwards', async () => {
    let clock = 10_000;
    const source = countingSource();
    const hw = cachedHardware(source, { maxAgeMs: 1000, now: () => clock });
    await hw();
    clock = 5_000;
    await hw();
    assert.equal(source.calls, 2);
  });

  it('shares one collection between concurrent callers', async () => {
    const source = countingSource(20);
    const hw = cachedHardware(source);
    const results = await Promise.all([hw(), hw(), hw(), hw()]);
    assert.equal(source.calls, 1);
    for (const r of results) assert.equal(r.hostname, 'host-1');
  });

  it('re-collects after invalidate(), also when invalidated during a collection', async () => {
    const source = countingSource(20);
    const hw = cachedHardware(source);
    await hw();
    hw.invalidate();
    assert.equal((await hw()).hostname, 'host-2');

    hw.invalidate();
    const stale = hw();
    hw.invalidate();
    const fresh = hw();
    assert.equal((await stale).hostname, 'host-3');
    assert.equal((await fresh).hostname, 'host-4');
    assert.equal((await hw()).hostname, 'host-4');
    assert.equal(source.calls, 4);
  });

  it('does not cache a failure', async () => {
    let fail = true;
    let calls = 0;
    const hw = cachedHardware(async () => {
      calls++;
      if (fail) throw new Error('probe failed');
      return params('ok');
    });
    await Promise.all([assert.rejects(hw(), /probe failed/), assert.rejects(hw(), /probe failed/)]);
    assert.equal(calls, 1);
    fail = false;
    assert.equal((await hw()).hostname, 'ok');
    assert.equal(calls, 2);
  });

  it('gives every caller its own copy', async () => {
    const hw = cachedHardware(countingSource());
    const first = await hw();
    first.nics.push('de:ad:be:ef:00:00');
    first.hostname = 'changed';
    const second = await hw();
    assert.deepEqual(second.nics, ['3c:7c:3f:00:00:01']);
    assert.equal(second.hostname, 'host-1');
  });
});
