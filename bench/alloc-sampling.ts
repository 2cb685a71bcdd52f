/**
 * Preloaded into a server (`node --import <this, compiled by plainScript>`) by
 * `manager-profile.ts --alloc`: V8's sampling allocation profiler, toggled by `SIGUSR2`. The
 * first signal starts sampling every allocation (objects already collected by either collector
 * included, so that short-lived garbage counts); the next one stops and writes the profile to
 * `$LICTOR_BENCH_ALLOC_DIR/alloc-<n>.heapprofile`, then `.done` beside it; and so on.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.LICTOR_BENCH_ALLOC_DIR ?? '.';
const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
let sampling = false;
let written = 0;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return;
  }
  sampling = false;
  session.post('HeapProfiler.stopSampling', (error, result) => {
    const file = join(dir, `alloc-${written++}.heapprofile`);
    writeFileSync(file, error === null ? JSON.stringify(result.profile) : JSON.stringify({ error: String(error) }));
    writeFileSync(`${file}.done`, '');
  });
});
