/**
 * Shared fixture of the runtime's tests: a vendor, this computer's hardware, license files, and
 * a runtime on temporary directories (a Unix socket and a free loopback port), closed after the test.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { nodeHttp } from '@lictor/http-service/node-http';
import {
  decodeQuestionFile,
  decodeRequestFile,
  encodeLicenseFile,
  generateVendorKeys,
  type HardwareParams,
  type LicenseDocument,
  type LicenseEntry,
  loadSigner,
  sealToContainer,
  toBase64Url,
  verifyUpgradeQuestion,
} from '@lictor/protocol';
import { FakeScheduler } from '@lictor/protocol/testing';
import { openLicensing } from '@lictor/sdk';
import { type OpenRuntimeOptions, openRuntime, type ProcessInfo, type RunningRuntime } from '../src/index.js';

export const vendor = loadSigner(generateVendorKeys().privatePem);
export const PUBLIC_KEY = vendor.publicKey.text;
export const SECRET = new Uint8Array(32).fill(0x5a);

export const HW: HardwareParams = {
  platform: 'linux',
  osName: 'Debian GNU/Linux',
  osVersion: '12',
  hostname: 'ws-042',
  board: 'ASUSTeK PRIME B650',
  ramBytes: 16 * 1024 ** 3,
  bios: 'AMI 1.2.3',
  cpus: ['AMD Ryzen 7 7700 (8 cores)'],
  nics: ['52:54:00:12:34:42'],
  disks: ['S6PNNS0W424242'],
};

/** A single-user license entry of ERP with features `reports` (uncounted) and `api` (5 users). */
export function entry(overrides: Partial<LicenseEntry> = {}): LicenseEntry {
  return {
    product: 'ERP',
    type: 'single',
    users: 1,
    sessions: null,
    arch: null,
    expiresAt: null,
    features: [
      { code: 'reports', users: null },
      { code: 'api', users: 5 },
    ],
    ...overrides,
  };
}

let counter = 0;
/** A license document bound to {@link HW}, one ERP entry. */
export function doc(overrides: Partial<LicenseDocument> = {}): LicenseDocument {
  counter++;
  return {
    format: 1,
    containerId: `c-${counter}`,
    activationId: `a-${counter}`,
    serial: `LX-AAAA-BBBB-${String(counter).padStart(4, '0')}`,
    pin: 1,
    issuedAt: '2026-01-01T00:00:00.000Z',
    counter: 0,
    owner: { company: 'Initech', email: 'it@initech.example' },
    binding: { kind: 'hardware', hardware: HW },
    licenses: [entry()],
    ...overrides,
  };
}

/** Writes license files (name → document) into `dir`. */
export async function writeLicenses(dir: string, files: Record<string, LicenseDocument>): Promise<void> {
  for (const [name, d] of Object.entries(files)) await writeFile(join(dir, name), encodeLicenseFile(d, vendor));
}

/** The vendor's answer file to an offline request file (the License Center's part, done here). */
export function answerRequest(requestText: string, licenses: LicenseEntry[] = [entry()]): string {
  const request = decodeRequestFile(requestText);
  counter++;
  return encodeLicenseFile(
    {
      format: 1,
      containerId: `c-offline-${counter}`,
      activationId: `a-offline-${counter}`,
      serial: request.serial,
      pin: 1,
      issuedAt: new Date().toISOString(),
      counter: 0,
      owner: request.owner,
      binding: { kind: 'hardware', hardware: request.hardware },
      licenses,
      requestNonce: request.nonce,
      ...(request.containerKeys ? { containerKeys: request.containerKeys } : {}),
    },
    vendor,
  );
}

/**
 * Activates a license of `licenses` in directory `dir` for this computer ({@link HW},
 * {@link SECRET}) as the SDK does offline: the request's container keys, answered by the vendor
 * here, installed with its sealed key file beside it. The license can sign answers (its
 * container key opens here). Returns the license file's path.
 */
export async function activateLicense(dir: string, licenses: LicenseEntry[] = [entry()]): Promise<string> {
  const licensing = await openLicensing({
    product: licenses[0]?.product ?? 'ERP',
    publicKey: PUBLIC_KEY,
    paths: [dir],
    store: dir,
    hardware: async () => HW,
    machineSecret: async () => SECRET,
    env: {},
    watch: false,
  });
  try {
    const request = await licensing.requestOffline(
      {
        serial: 'LX-7K2M-9QXD-4RTA',
        pin: 'Q7K2M-9QXD4-RTA8B',
        owner: { company: 'Initech', email: 'it@initech.example' },
      },
      'file',
    );
    const installed = await licensing.install({ file: answerRequest(request.text, licenses) });
    return installed.file;
  } finally {
    await licensing.close();
  }
}

/** A fresh nonce for a request. */
export function nonce(): string {
  return toBase64Url(randomBytes(16));
}

/** Processes the tests say exist (pid → info), for a fake process probe. */
export class FakeProcesses {
  readonly #running = new Map<number, ProcessInfo>();
  #starts = 0;
  /** Starts process `pid` in OS session `osSession`. */
  start(pid: number, osSession = '1'): void {
    this.#running.set(pid, { pid, osSession, startTime: String(++this.#starts) });
  }
  /** Ends process `pid`. */
  exit(pid: number): void {
    this.#running.delete(pid);
  }
  readonly probe = async (pid: number): Promise<ProcessInfo | undefined> => this.#running.get(pid);
}

/** A runtime on temporary directories; what a test may look at. */
export interface TestRuntime {
  running: RunningRuntime;
  root: string;
  /** A directory of license files searched after the store. */
  licenses: string;
  scheduler: FakeScheduler;
  processes: FakeProcesses;
  /** `inject` a JSON request (from 127.0.0.1); returns status and body. */
  call(method: string, url: string, payload?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
}

/** Opens a runtime (socket, loopback port 0, fake scheduler and processes) unless `options` says otherwise. */
export async function startRuntime(t: TestContext, options: Partial<OpenRuntimeOptions> = {}): Promise<TestRuntime> {
  const root = await mkdtemp(join(tmpdir(), 'lictor-rt-'));
  const licenses = join(root, 'licenses');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(licenses);
  const scheduler = new FakeScheduler(Date.parse('2026-03-01T00:00:00Z'));
  const processes = new FakeProcesses();
  const state = join(root, 'state');
  const running = await openRuntime({
    stateDir: state,
    socket: join(root, 'rt.sock'),
    port: 0,
    scheduler,
    processProbe: processes.probe,
    licensePaths: [join(state, 'licenses'), licenses],
    computer: { env: {}, hardware: async () => HW, machineSecret: async () => SECRET },
    managerDiscovery: false,
    watchIntervalMs: 100,
    ...options,
  });
  t.after(async () => {
    await running.close();
    await rm(root, { recursive: true, force: true });
  });
  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await (await running.server.app()).inject({
      method: method as 'GET',
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, json: (res.body === '' ? {} : res.json()) as Record<string, unknown> };
  };
  return { running, root, licenses, scheduler, processes, call };
}

/** The vendor's answer to an upgrade question: the container's next state with `features` of ERP. */
export function answerQuestion(questionText: string, features: string[]): string {
  const question = decodeQuestionFile(questionText);
  const current = verifyUpgradeQuestion(question, vendor.publicKey);
  if (current.containerKeys === undefined) throw new Error('the question names no container keys');
  return encodeLicenseFile(
    {
      ...current,
      counter: current.counter + 1,
      issuedAt: new Date().toISOString(),
      licenses: [entry({ features: features.map((code) => ({ code, users: null })) })],
      upgrade: {
        nonce: question.nonce,
        fromCounter: current.counter,
        confirm: sealToContainer(current.containerKeys.box, randomBytes(32), 'upgrade-confirm'),
      },
    },
    vendor,
  );
}

/** One server-sent event as received. */
export interface ReceivedEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** A `GET /v1/events` stream read over the socket or loopback, event by event. */
export interface EventStream {
  /** The next event (waits up to 10 s). */
  next(): Promise<ReceivedEvent>;
  /** The next event of `kind`, skipping others. */
  nextOf(kind: string): Promise<ReceivedEvent>;
  /** The next event that `test` accepts, skipping others (the watcher may tell one change in several events). */
  nextWhere(test: (e: ReceivedEvent) => boolean): Promise<ReceivedEvent>;
  close(): void;
}

/** Opens `GET /v1/events` (`query` e.g. `?product=ERP`) on `target`, with extra headers. */
export function openEvents(
  target: { socket: string } | { url: string },
  query = '',
  headers: Record<string, string> = {},
): Promise<EventStream> {
  const where =
    'socket' in target
      ? { socketPath: target.socket }
      : { host: new URL(target.url).hostname, port: Number(new URL(target.url).port) };
  return new Promise((resolve, reject) => {
    const req = nodeHttp.request({ ...where, path: `/v1/events${query}`, headers }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /v1/events: HTTP ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      const queue: ReceivedEvent[] = [];
      let waiting: ((e: ReceivedEvent) => void) | undefined;
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          if (!fields.has('data')) continue;
          const e = {
            id: fields.get('id') ?? '',
            event: fields.get('event') ?? 'message',
            data: JSON.parse(fields.get('data') as string) as Record<string, unknown>,
          };
          if (waiting) {
            const w = waiting;
            waiting = undefined;
            w(e);
          } else queue.push(e);
        }
      });
      const next = () =>
        new Promise<ReceivedEvent>((done, fail) => {
          const queued = queue.shift();
          if (queued) return done(queued);
          const timer = setTimeout(() => fail(new Error('no event within 60 s')), 60_000);
          waiting = (e) => {
            clearTimeout(timer);
            done(e);
          };
        });
      resolve({
        next,
        async nextOf(kind) {
          for (;;) {
            const e = await next();
            if (e.event === kind) return e;
          }
        },
        async nextWhere(test) {
          for (;;) {
            const e = await next();
            if (test(e)) return e;
          }
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
