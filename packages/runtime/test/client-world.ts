/**
 * The world every client's slow test runs in (`client-{c,java,python}.slow.test.ts`): a License
 * Center with one product and two packages issued, a License Manager on this computer serving the
 * multi-user one (activated into its store, so its container key signs the seats), and
 * `lictor runtime serve` on a temporary socket and a free loopback port, taking seats from that
 * manager and holding the single-user license, activated through its own API.
 *
 * {@link ClientWorld.testEnv} names all of it in the `LICTOR_TEST_*` variables that the C, Java and
 * Python integration tests read; {@link ClientWorld.appEnv} is what an application (the examples)
 * is given: the vendor key, the product and the feature, and nothing of the runtime's whereabouts
 * but what is passed on purpose.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateVendorKeys } from '@lictor/protocol';
import { type BinSession, binSession } from '../../cli/test/bin.js';

/** The spec's test vectors, which every client checks. */
export const VECTORS = fileURLToPath(new URL('../../../spec/vectors/', import.meta.url));

/** A package the center issued. */
export interface Issued {
  serial: string;
  pins: { pin: string }[];
}

export interface ClientWorld {
  /** A temporary directory holding everything, removed by {@link ClientWorld.close}. */
  root: string;
  /** The `lictor` commands' environment (HOME and XDG folders inside {@link root}). */
  session: BinSession;
  publicKey: string;
  product: string;
  feature: string;
  /** A feature of the product that neither license holds. */
  otherFeature: string;
  center: string;
  manager: string;
  runtime: { url: string; socket: string };
  /** Activated by the runtime into its own store. */
  single: Issued;
  /** Served by the manager. */
  multi: Issued;
  /** The `LICTOR_TEST_*` variables of the clients' integration tests. */
  testEnv: Record<string, string>;
  /** What an example application is given (vendor key, product, feature). */
  appEnv: Record<string, string>;
  /** Stops the servers and removes {@link root}. */
  close(): Promise<void>;
}

export interface ClientWorldOptions {
  /** Prefix of the temporary directory, e.g. `lictor-client-c-`. */
  prefix: string;
  product?: string;
  feature?: string;
  /** Users of the multi-user package the manager serves (default 2). */
  multiUsers?: number;
}

const OWNER = ['--company', 'Initech', '--email', 'it@initech.example'];

/** Starts the center, the manager and the runtime; see {@link ClientWorld}. */
export async function startClientWorld(options: ClientWorldOptions): Promise<ClientWorld> {
  const product = options.product ?? 'ERP';
  const feature = options.feature ?? 'reports';
  const otherFeature = 'api';
  const root = await mkdtemp(join(tmpdir(), options.prefix));
  const session = binSession({
    PATH: process.env.PATH,
    HOME: join(root, 'home'),
    XDG_DATA_HOME: join(root, 'home', 'data'),
    XDG_RUNTIME_DIR: join(root, 'run'),
  });
  const close = async () => {
    session.killAll();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const lictor = (...args: string[]) => session.run(...args);

    // The vendor: the product with two features, of which the licenses hold one.
    const centerDir = join(root, 'center');
    await lictor('center', 'init', '--data', centerDir);
    const publicKey = (await lictor('center', 'public-key', '--data', centerDir)).trim();
    session.env.LICTOR_PUBLIC_KEY = publicKey; // the manager and the activations verify with it
    await lictor(
      'center',
      'product',
      'add',
      product,
      '--name',
      `ACME ${product}`,
      '--feature',
      feature,
      '--feature',
      otherFeature,
      '--data',
      centerDir,
    );
    const issue = async (...args: string[]) =>
      JSON.parse(
        await lictor(
          'center',
          'issue',
          '--product',
          product,
          '--feature',
          feature,
          ...args,
          '--json',
          '--data',
          centerDir,
        ),
      ) as Issued;
    const single = await issue('--type', 'single');
    const multi = await issue('--type', 'multi', '--users', String(options.multiUsers ?? 2));
    const center = (await session.serve('center', 'serve', '--data', centerDir, '--port', '0', '--log-level', 'warn'))
      .url;

    // The License Manager on this computer, serving the multi-user package.
    const managerDir = join(root, 'manager');
    await lictor(
      'activate',
      '--center',
      center,
      '--serial',
      multi.serial,
      '--pin',
      multi.pins[0]?.pin ?? '',
      ...OWNER,
      '--store',
      join(managerDir, 'licenses'),
    );
    const manager = (
      await session.serve(
        'manager',
        'serve',
        '--data',
        managerDir,
        '--port',
        '0',
        '--discovery-port',
        '0',
        '--announce-port',
        '0',
        '--log-level',
        'warn',
      )
    ).url;

    // The runtime, on a temporary socket and a free port, taking seats from that manager.
    session.env.LICTOR_MANAGER = manager;
    const state = join(root, 'runtime');
    const socket = join(root, 'run', 'runtime.sock');
    await mkdir(join(root, 'run'), { mode: 0o700 });
    const runtime = await session.serve(
      'runtime',
      'serve',
      '--state-dir',
      state,
      '--license-path',
      join(state, 'licenses'),
      '--socket',
      socket,
      '--port',
      '0',
      '--log-level',
      'warn',
    );

    // The single-user license, activated by the runtime into its store (container keys made there).
    const activated = await fetch(`${runtime.url}/v1/activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        publicKey,
        product,
        center,
        serial: single.serial,
        pin: single.pins[0]?.pin,
        owner: { company: 'Initech', email: 'it@initech.example' },
      }),
    });
    assert.equal(activated.status, 201, await activated.text());

    return {
      root,
      session,
      publicKey,
      product,
      feature,
      otherFeature,
      center,
      manager,
      runtime: { url: runtime.url, socket },
      single,
      multi,
      testEnv: {
        LICTOR_TEST_PUBLIC_KEY: publicKey,
        LICTOR_TEST_PRODUCT: product,
        LICTOR_TEST_FEATURE: feature,
        LICTOR_TEST_OTHER_FEATURE: otherFeature,
        LICTOR_TEST_SERIAL: single.serial,
        LICTOR_TEST_RUNTIME_SOCKET: socket,
        LICTOR_TEST_RUNTIME_URL: runtime.url,
        LICTOR_TEST_SEATS: '1',
        LICTOR_TEST_OTHER_PUBLIC_KEY: generateVendorKeys().publicKey,
        LICTOR_SPEC_VECTORS: VECTORS,
      },
      appEnv: { LICTOR_PUBLIC_KEY: publicKey, LICTOR_PRODUCT: product, LICTOR_FEATURE: feature },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** What the runtime still holds: sessions and seats (both 0 once a client gave everything back). */
export async function heldByRuntime(world: ClientWorld): Promise<[sessions: number, seats: number]> {
  const status = (await (await fetch(`${world.runtime.url}/v1/status`)).json()) as {
    sessions: { count: number };
    seats: { count: number };
  };
  return [status.sessions.count, status.seats.count];
}
