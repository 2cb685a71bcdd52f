/**
 * Signing license files. Sealing one (canonical JSON, subject digest, Ed25519, HKDF, AES-GCM)
 * is the largest single cost of an activation, about 100–150 µs, so by default it runs in a
 * worker thread: the event loop keeps serving requests and transactions while another core
 * signs (measured: about twice the activations per second on 2 cores).
 */
import { Worker } from 'node:worker_threads';
import { encodeLicenseFile, type LicenseDocument, type VendorSigner } from '@lictor/protocol';

/** Turns a license document into the signed license file text. */
export interface LicenseSealer {
  seal(doc: LicenseDocument): Promise<string>;
  close(): Promise<void>;
}

/** Seals on the calling thread. */
export function inlineSealer(signer: VendorSigner): LicenseSealer {
  return { seal: async (doc) => encodeLicenseFile(doc, signer), close: async () => {} };
}

// An ES module loaded from a data: URL. It imports the protocol by its resolved file URL, so it
// runs the same from TypeScript sources and from dist, and loads the private key once.
const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
const { encodeLicenseFile, loadSigner } = await import(workerData.protocolUrl);
const signer = loadSigner(workerData.privatePem);
parentPort.on('message', (batch) => {
  parentPort.postMessage(batch.map(({ id, doc }) => {
    try {
      return { id, text: encodeLicenseFile(doc, signer) };
    } catch (error) {
      return { id, error: String(error && error.message) };
    }
  }));
});
`;

interface Pending {
  resolve: (text: string) => void;
  reject: (error: Error) => void;
}

/**
 * Seals in a worker thread, started on the first use (one-shot CLI commands never start it).
 * The documents asked for within one turn of the event loop go to the worker as one message, and
 * come back as one: a message costs the main thread more than the copy of a document does.
 * If the worker fails, sealing continues inline with `fallback`, so activations never stall.
 */
export function workerSealer(privatePem: string, fallback: VendorSigner): LicenseSealer {
  let worker: Worker | undefined;
  let failed = false;
  let nextId = 0;
  const pending = new Map<number, Pending>();
  let batch: { id: number; doc: LicenseDocument }[] = [];

  const fail = (error: Error) => {
    failed = true;
    worker = undefined;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  const start = (): Worker => {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), {
      workerData: { privatePem, protocolUrl: import.meta.resolve('@lictor/protocol') },
    });
    w.on('message', (results: { id: number; text?: string; error?: string }[]) => {
      for (const m of results) {
        const p = pending.get(m.id);
        if (p === undefined) continue;
        pending.delete(m.id);
        if (m.text !== undefined) p.resolve(m.text);
        else p.reject(new Error(`signing the license failed: ${m.error}`));
      }
      if (pending.size === 0) w.unref();
    });
    w.on('error', fail);
    w.on('exit', () => fail(new Error('the license signing worker stopped')));
    return w;
  };

  return {
    seal(doc) {
      if (failed) return Promise.resolve(encodeLicenseFile(doc, fallback));
      worker ??= start();
      const w = worker;
      return new Promise<string>((resolve, reject) => {
        const id = nextId++;
        // Referenced only while a signature is pending: an idle worker never keeps the process alive.
        if (pending.size === 0) w.ref();
        pending.set(id, { resolve, reject });
        if (batch.length === 0) {
          setImmediate(() => {
            const sent = batch;
            batch = [];
            if (worker === w) w.postMessage(sent);
          });
        }
        batch.push({ id, doc });
      });
    },
    async close() {
      const w = worker;
      failed = true;
      worker = undefined;
      await w?.terminate();
    },
  };
}
