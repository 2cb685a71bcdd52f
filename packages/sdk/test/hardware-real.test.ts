import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isHardwareParams, normalizeHardware } from '@lictor/protocol';
import { collectHardware } from '../src/hardware/index.js';

it('collects valid hardware parameters of this machine', { timeout: 60_000 }, async () => {
  const started = performance.now();
  const hw = await collectHardware();
  const ms = performance.now() - started;
  assert.ok(isHardwareParams(hw), JSON.stringify(hw));
  assert.deepEqual(hw, normalizeHardware(hw));
  assert.equal(hw.platform, process.platform);
  assert.notEqual(hw.hostname, '');
  assert.ok(hw.ramBytes > 0);
  assert.ok(hw.cpus.length > 0);
  for (const mac of hw.nics) assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  assert.ok(!hw.nics.includes('00:00:00:00:00:00'));
  assert.ok(ms < 30_000, `collection took ${ms} ms`);
});
