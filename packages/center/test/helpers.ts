/** Shared fixtures of the server tests: hardware, owners, database engines and a center per test. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  type ActivationRequest,
  type ContainerKeyPair,
  type ContainerKeys,
  createRequest,
  createRequestCode,
  decodeLicenseFile,
  decodeShortCode,
  type ErrorCode,
  encodeRequestFile,
  encodeShortCode,
  generateContainerKeys,
  type HardwareParams,
  type LicenseDocument,
  LictorError,
  licenseFileFromSignature,
  licenseFromAnswer,
  normalizeHardware,
  normalizeSerial,
  type Owner,
  parseAnswerCode,
  type RequestDocument,
  type VendorPublicKey,
} from '@lictor/protocol';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import {
  buildCenterServer,
  type Center,
  type CenterOptions,
  type DatabaseConfig,
  type IssuedPackage,
  initCenter,
  openCenter,
  type PackageSpec,
} from '../src/index.js';
import { openStore, type Store } from '../src/store/open.js';

/** A computer's parameters; `n` makes every identifying parameter distinct. */
export function computer(n: number, overrides: Partial<HardwareParams> = {}): HardwareParams {
  const hex = n.toString(16).padStart(4, '0');
  return {
    platform: 'linux',
    osName: 'Ubuntu',
    osVersion: '24.04',
    hostname: `host-${n}`,
    board: 'Supermicro X11',
    ramBytes: 16 * 1024 ** 3,
    bios: 'AMI 3.2',
    cpus: ['Intel Xeon E5-2680 v4 (14 cores)'],
    nics: [`02:00:00:00:${hex.slice(0, 2)}:${hex.slice(2)}`],
    disks: [`DISK-${hex}`],
    ...overrides,
  };
}

export const OWNER = { company: 'ACME Corp', email: 'it@acme.example' };

/** A database engine the store suite runs on. */
export interface Engine {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database, or why this engine cannot run here. */
  create(dataDir: string): Promise<{ config: DatabaseConfig; drop(): Promise<void> } | { skip: string }>;
}

const POSTGRES_URL = process.env.LICTOR_TEST_POSTGRES_URL ?? 'postgres://127.0.0.1:5432/test';

/** node-pg needs a user name where psql would use the OS user. */
function clientUrl(): string {
  const url = new URL(POSTGRES_URL);
  if (url.username === '' && !process.env.PGUSER && !process.env.USER) url.username = userInfo().username;
  return url.toString();
}
const REQUIRE_POSTGRES = process.env.CI !== undefined && process.env.LICTOR_REQUIRE_POSTGRES === '1';

let postgresProbe: Promise<string | null> | undefined;

/** `null` when PostgreSQL answers, else why not (probed once per test file). */
function probePostgres(): Promise<string | null> {
  postgresProbe ??= (async () => {
    const client = new pg.Client({ connectionString: clientUrl(), connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (error) {
      return (error as Error).message || String(error);
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresProbe;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: clientUrl() });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

export const SQLITE: Engine = {
  name: 'sqlite',
  create: async (dataDir) => ({ config: { kind: 'sqlite', file: join(dataDir, 'center.db') }, drop: async () => {} }),
};

export const POSTGRES: Engine = {
  name: 'postgres',
  create: async () => {
    const problem = await probePostgres();
    if (problem !== null) {
      if (REQUIRE_POSTGRES) throw new Error(`PostgreSQL is required (CI, LICTOR_REQUIRE_POSTGRES=1) but ${problem}`);
      return { skip: `PostgreSQL not reachable at ${POSTGRES_URL}: ${problem}` };
    }
    const schema = `lictor_test_${randomBytes(6).toString('hex')}`;
    return { config: { kind: 'postgres', url: POSTGRES_URL, schema }, drop: () => dropSchema(schema) };
  },
};

export const ENGINES: Engine[] = [SQLITE, POSTGRES];

/** A test clock that only moves when told. */
export interface TestClock {
  now: () => Date;
  set(iso: string): void;
  advanceDays(days: number): void;
}

export function testClock(start = '2030-01-15T10:00:00.000Z'): TestClock {
  let ms = Date.parse(start);
  return {
    now: () => new Date(ms),
    set: (iso) => {
      ms = Date.parse(iso);
    },
    advanceDays: (days) => {
      ms += days * 86_400_000;
    },
  };
}

export interface CenterFixture {
  center: Center;
  clock: TestClock;
  adminToken: string;
  dataDir: string;
  config: DatabaseConfig;
}

/**
 * Runs `body` with a freshly initialized center on `engine` in a temp directory; cleans up
 * afterwards. Skips the test with the reason when the engine is not available.
 */
export async function withCenter(
  t: TestContext,
  engine: Engine,
  body: (fixture: CenterFixture) => Promise<void>,
  options: Omit<CenterOptions, 'database' | 'now'> = {},
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lictor-center-'));
  try {
    const db = await engine.create(dataDir);
    if ('skip' in db) {
      t.skip(db.skip);
      return;
    }
    try {
      const clock = testClock();
      const { adminToken } = await initCenter(dataDir, { database: db.config, now: clock.now });
      const center = await openCenter(dataDir, { ...options, database: db.config, now: clock.now });
      try {
        await body({ center, clock, adminToken, dataDir, config: db.config });
      } finally {
        await center.close();
      }
    } finally {
      await db.drop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A product with two features, as most tests need. */
export async function addApp(center: Center): Promise<void> {
  await center.addProduct({
    code: 'app',
    name: 'Accounting App',
    features: [{ code: 'reports', name: 'Reports' }, { code: 'export' }],
  });
}

/** A PIN code of an issued package by index. */
export function pinOf(pkg: IssuedPackage, index: number): string {
  const pin = pkg.pins.find((p) => p.index === index)?.pin;
  if (pin === undefined) throw new Error(`package ${pkg.serial} has no PIN ${index}`);
  return pin;
}

/** The body of an online activation of `pkg`'s PIN `index` on `hardware`. */
export function activationRequest(
  pkg: IssuedPackage,
  index: number,
  hardware: HardwareParams,
  owner: Owner = OWNER,
): ActivationRequest {
  return { serial: pkg.serial, pin: pinOf(pkg, index), owner, hardware };
}

/** A container as the computer holds it: its license file and key pair. */
export interface Container {
  license: string;
  keys: ContainerKeyPair;
}

/** Activates `pkg`'s PIN `index` online with new container keys (or `keys`). */
export async function activateContainer(
  center: Center,
  pkg: IssuedPackage,
  index: number,
  hardware: HardwareParams,
  keys: ContainerKeyPair = generateContainerKeys(),
): Promise<Container & { activationId: string }> {
  const res = await center.activate({ ...activationRequest(pkg, index, hardware), containerKeys: keys.public });
  return { license: res.license, keys, activationId: res.activationId };
}

/** What the requesting computer makes and keeps for a request file (the SDK's part, with protocol functions). */
export interface FileRequestOptions {
  owner?: Owner;
  product?: string | null;
  createdAt?: Date;
  nonce?: string;
  /** The PIN to prove; default the package's PIN `index`. */
  pin?: string;
  containerKeys?: ContainerKeys;
}

/** An armored request file for `pkg`'s PIN `index` on `hardware`. */
export function requestFile(
  pkg: IssuedPackage,
  index: number,
  hardware: HardwareParams,
  options: FileRequestOptions = {},
): { text: string; request: RequestDocument } {
  const request = createRequest(
    {
      serial: pkg.serial,
      product: options.product === undefined ? pkg.product : options.product,
      owner: options.owner ?? OWNER,
      hardware,
      nonce: options.nonce ?? randomBytes(16).toString('base64url'),
      createdAt: (options.createdAt ?? new Date(Date.parse('2030-01-15T09:00:00.000Z'))).toISOString(),
      ...(options.containerKeys === undefined ? {} : { containerKeys: options.containerKeys }),
    },
    options.pin ?? pinOf(pkg, index),
  );
  return { text: encodeRequestFile(request), request };
}

/** A pending request code as the requesting computer keeps it. */
export interface PendingCode {
  serial: string;
  owner: Owner;
  hardware: HardwareParams;
  nonce: string;
  containerKeys?: ContainerKeys;
}

/** A request code for `pkg`'s PIN `index`, and what the computer keeps to install the answer. */
export function requestCode(
  pkg: IssuedPackage,
  index: number,
  hardware: HardwareParams,
  options: { owner?: Owner; createdAt?: Date; pin?: string; containerKeys?: ContainerKeys } = {},
): { code: string; pending: PendingCode } {
  const nonce = randomBytes(4);
  const owner = options.owner ?? OWNER;
  const hw = normalizeHardware(hardware);
  const keys = options.containerKeys === undefined ? {} : { containerKeys: options.containerKeys };
  const code = encodeShortCode(
    createRequestCode(
      {
        serial: pkg.serial,
        nonce,
        createdAt: options.createdAt ?? new Date('2030-01-15T09:00:00.000Z'),
        owner,
        hardware: hw,
        ...keys,
      },
      options.pin ?? pinOf(pkg, index),
    ),
  );
  return {
    code,
    pending: { serial: normalizeSerial(pkg.serial), owner, hardware: hw, nonce: nonce.toString('hex'), ...keys },
  };
}

/**
 * Installs an answer code the way the SDK does: rebuilds the license from the pending request
 * and the code, and verifies the vendor signature. Returns the license file text and document.
 */
export function installAnswerCode(
  answer: string,
  pending: PendingCode,
  publicKey: VendorPublicKey,
): { text: string; doc: LicenseDocument } {
  const parsed = parseAnswerCode(decodeShortCode(answer, 'answer code'));
  const text = licenseFileFromSignature(licenseFromAnswer(parsed, pending), parsed.signature, publicKey);
  return { text, doc: decodeLicenseFile(text, publicKey) };
}

/** A center on SQLite with the test product, a package of `spec`, and the HTTP service over it. */
export interface ServerFixture extends CenterFixture {
  app: FastifyInstance;
  /** The admin token's header. */
  auth: { authorization: string };
  pkg: IssuedPackage;
}

/** Runs `body` with a {@link ServerFixture}; closes the service, then the center. */
export async function withCenterServer(
  t: TestContext,
  spec: Partial<PackageSpec>,
  body: (fixture: ServerFixture) => Promise<void>,
): Promise<void> {
  await withCenter(t, SQLITE, async (fixture) => {
    await addApp(fixture.center);
    const pkg = await issue(fixture.center, spec);
    const app = buildCenterServer(fixture.center);
    try {
      await body({ ...fixture, app, auth: { authorization: `Bearer ${fixture.adminToken}` }, pkg });
    } finally {
      await app.close();
    }
  });
}

/** Runs `body` on a second connection to the fixture's database (to change what the center cannot). */
export async function withStore(config: DatabaseConfig, body: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore(config);
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** Awaits a refusal and checks its code (and the field it names, when given). */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string): Promise<LictorError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof LictorError, `expected a LictorError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (field !== undefined) assert.equal(caught.details?.field, field, caught.message);
  return caught;
}

/** Issues a package of the test product `app` (single-user unless the spec says otherwise). */
export function issue(center: Center, spec: Partial<PackageSpec> = {}): Promise<IssuedPackage> {
  return center.issuePackage({ product: 'app', type: 'single', ...spec });
}
