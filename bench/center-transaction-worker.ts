/**
 * The same-shaped transaction (`center-transaction.ts`) in a worker thread: each message is a
 * number of activations to run (one message per turn of the server's event loop), answered with
 * the same number once they are committed; `'between'` runs the work between samples.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { activationTransaction } from './center-transaction.js';

const transaction = activationTransaction(workerData.file as string);
const port = parentPort;
if (port === null) throw new Error('center-transaction-worker: not in a worker');
port.on('message', (message: number | 'between') => {
  if (message === 'between') transaction.between();
  else for (let i = 0; i < message; i++) transaction.activate();
  port.postMessage(message);
});
