/**
 * What the License Center benchmarks share: a data directory with packages of PIN codes and the
 * activation requests of every PIN, interleaved across packages (concurrent requests rarely
 * wait on the same package), and online activations over HTTP driven by autocannon.
 */
import { type Center, initCenter, openCenter } from '@lictor/center';
import { type ActivationRequest, generateContainerKeys } from '@lictor/protocol';
import autocannon from 'autocannon';
import { measured, type Side, statCpu } from './ceiling.js';
import { hardware } from './center-transaction.js';

export { hardware };

let computers = 0;

/** The activation request of a new computer (its own owner, hardware and container keys) for `pin`. */
export function activationRequest(serial: string, pin: string): ActivationRequest {
  const i = computers++;
  return {
    serial,
    pin,
    owner: { company: `Company ${i}`, email: `it${i}@example.com` },
    hardware: hardware(i),
    containerKeys: generateContainerKeys().public,
  };
}

/** Issues a package of `pins` single-user PIN codes of product ERP; returns a request per PIN. */
export async function issueRequests(center: Center, pins: number): Promise<ActivationRequest[]> {
  const pkg = await center.issuePackage({ product: 'ERP', type: 'single', pins, maxActive: pins });
  return pkg.pins.map((p) => activationRequest(pkg.serial, p.pin));
}

/** Adds product ERP to a center data directory. */
export async function addProduct(center: Center): Promise<void> {
  await center.addProduct({ code: 'ERP', name: 'Bench ERP', features: [{ code: 'reports' }] });
}

/**
 * Packages of `pins` PIN codes enough for one side of {@link activationSide} over a warm-up and
 * `rounds` rounds of `seconds` at up to `perSecond` activations a second (each PIN is activated
 * once; a faster machine than this bound ends the run with "ran out of PIN codes").
 */
export function packagesFor(rounds: number, seconds: number, pins: number, perSecond = 8000): number {
  return Math.ceil(((rounds * seconds + 2) * perSecond) / pins);
}

/**
 * A new center data directory in `data` with `packages` packages of `pins` PIN codes of product
 * ERP, as vendors sell them (a few PIN codes each); returns the activation request of every PIN,
 * interleaved across packages.
 */
export async function centerWorld(data: string, packages: number, pins: number): Promise<ActivationRequest[]> {
  await initCenter(data);
  const center = await openCenter(data);
  try {
    await addProduct(center);
    const requests: ActivationRequest[] = [];
    for (let p = 0; p < packages; p++) requests.push(...(await issueRequests(center, pins)));
    return requests.map((_, i) => requests[(i % packages) * pins + Math.floor(i / packages)] as ActivationRequest);
  } finally {
    await center.close();
  }
}

/** Activations and their answers over a whole run of {@link activationSide}. */
export interface HttpStats {
  accepted: number;
  refused: number;
  errors: number;
  p50: number[];
  p99: number[];
  /** The server's main thread's CPU time per accepted activation, in µs, per measured sample. */
  mainMicrosPerOp: number[];
}

/** Empty {@link HttpStats}. */
export function httpStats(): HttpStats {
  return { accepted: 0, refused: 0, errors: 0, p50: [], p99: [], mainMicrosPerOp: [] };
}

/** CPU time of the main thread of process `pid` (user + system), in µs; NaN if it cannot be read. */
export function mainThreadMicros(pid: number): number {
  return statCpu(`/proc/${pid}/task/${pid}/stat`)?.micros ?? Number.NaN;
}

/**
 * Online activations (`POST /v1/activations`, one body per PIN of `bodies`, in order) driven by
 * autocannon with `connections` connections against `url`, served by process `pid`; each
 * sample's value is accepted activations per second, with that process's CPU per activation.
 */
export function activationSide(
  name: string,
  url: string,
  pid: number,
  bodies: readonly string[],
  options: {
    seconds: number;
    connections: number;
    stats: HttpStats;
    /** Runs before each sample, unmeasured. */
    before?: () => Promise<void>;
    /** The bodies are used again from the first once all were sent (a server that does not keep them). */
    cycle?: boolean;
  },
): Side {
  let next = 0;
  const { seconds, connections, stats } = options;
  return {
    name,
    measure: async (round) => {
      await options.before?.();
      const main = mainThreadMicros(pid);
      const sample = await measured(
        'rate',
        async () => {
          const result = await autocannon({
            url,
            connections,
            duration: round < 0 ? 1 : seconds,
            requests: [
              {
                method: 'POST',
                path: '/v1/activations',
                headers: { 'content-type': 'application/json' },
                setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
              },
            ],
          });
          if (next > bodies.length && !options.cycle)
            throw new Error(`bench ran out of PIN codes (${bodies.length}); issue more`);
          if (result['4xx'] > result['2xx']) throw new Error(`bench: ${name} refused ${result['4xx']} activations`);
          stats.accepted += result['2xx'];
          stats.refused += result['4xx'];
          stats.errors += result['5xx'] + result.errors + result.timeouts;
          if (round >= 0) {
            stats.p50.push(result.latency.p50);
            stats.p99.push(result.latency.p99);
          }
          return result['2xx'];
        },
        pid,
      );
      if (round >= 0) stats.mainMicrosPerOp.push((mainThreadMicros(pid) - main) / sample.ops);
      return sample;
    },
  };
}
