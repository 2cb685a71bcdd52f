/**
 * WAL checkpoints off the event loop. A checkpoint copies WAL pages into the database file and
 * fsyncs it, which takes milliseconds; left to SQLite's auto-checkpoint alone, it runs inside
 * every hundredth commit or so and stalls all requests behind it (measured: about half the
 * activation throughput). A worker thread with its own connection runs PASSIVE checkpoints,
 * which never wait for or block the writer. The main connection keeps SQLite's default
 * auto-checkpoint as the bound on the WAL; it then finds little left to copy.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Eval'd as CommonJS so that it runs the same from TypeScript sources and from dist.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 5000 });
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** A running checkpoint worker. */
export interface Checkpointer {
  /** Ends the worker and closes its connection. */
  stop(): Promise<void>;
}

/** Starts PASSIVE checkpoints of `file` every `intervalMs` in a worker thread. */
export function startCheckpointer(file: string, intervalMs = 100): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  // A failed worker only means checkpoints fall back to the main connection's auto-checkpoint.
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: async () => {
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
