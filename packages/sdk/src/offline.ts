/**
 * Offline activation on the end user's computer: making a request (file or short code),
 * remembering it as pending, and installing the vendor's answer after checking that it
 * answers a request made here and binds to this computer.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ContainerKeys,
  containerUsable,
  createRequest,
  createRequestCode,
  decodeLicenseFile,
  decodeShortCode,
  documentSubject,
  encodeRequestFile,
  encodeShortCode,
  generateContainerKeys,
  type HardwareParams,
  type LicenseDocument,
  LictorError,
  licenseFileFromSignature,
  licenseFromAnswer,
  NO_BLACKLIST,
  normalizeHardware,
  normalizeSerial,
  type Owner,
  parseAnswerCode,
  subjectDigest,
  type VendorPublicKey,
} from '@lictor/protocol';
import { sameContainerKeys } from './activation-client.js';
import { keyFilePath, openKeys, type SealedKeys, sealKeys, writeKeyFile } from './container-keys.js';
import { writeFileAtomic } from './files.js';
import type { MachineSecretSource } from './machine-secret.js';

/** A request remembered on the requesting computer (never with its PIN). */
export interface PendingRequest {
  /** The request's nonce: base64url for files, hex for codes. */
  id: string;
  kind: 'file' | 'code';
  serial: string;
  product: string | null;
  owner: Owner;
  hardware: HardwareParams;
  createdAt: string;
  status: 'pending' | 'installed' | 'cancelled';
  installedAt?: string;
  /** Where the installed license file was written. */
  licenseFile?: string;
  /** Public keys of the container the answer creates (absent in records made before containers had keys). */
  containerKeys?: ContainerKeys;
  /** The container's private keys, sealed for this computer and bound to the request, until the answer is installed. */
  sealedKeys?: SealedKeys;
}

/** What the user gives to make an offline request. */
export interface OfflineRequestInput {
  serial: string;
  pin: string;
  owner: Owner;
  /** Product the application needs; the center checks it against the package. */
  product?: string;
}

/** A new offline request: the file text or the short code to hand to the vendor. */
export interface OfflineRequest {
  id: string;
  kind: 'file' | 'code';
  /** Armored request file (kind `file`) or short code (kind `code`). */
  text: string;
}

/** The result of installing an answer. */
export interface InstalledAnswer {
  requestId: string;
  serial: string;
  activationId: string;
  file: string;
}

const REQUESTS_DIR = 'requests';

/** What a pending request's private keys are bound to until the container id is known. */
function requestBinding(id: string): string {
  return `request:${id}`;
}

function requestsDir(storeDir: string): string {
  return join(storeDir, REQUESTS_DIR);
}

async function savePending(storeDir: string, pending: PendingRequest): Promise<void> {
  await writeFileAtomic(
    join(requestsDir(storeDir), `${pending.id}.json`),
    `${JSON.stringify(pending, null, 2)}\n`,
    0o600,
  );
}

/** Every request remembered in `storeDir`, newest first. Damaged records are skipped. */
export async function listRequests(storeDir: string): Promise<PendingRequest[]> {
  let names: string[];
  try {
    names = await readdir(requestsDir(storeDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: PendingRequest[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(await readFile(join(requestsDir(storeDir), name), 'utf8')) as PendingRequest);
    } catch {
      // A damaged record cannot be answered anyway; listing the others matters more.
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Makes an offline request and remembers it as pending. */
export async function createOfflineRequest(
  input: OfflineRequestInput,
  kind: 'file' | 'code',
  hardware: HardwareParams,
  storeDir: string,
  machineSecret: MachineSecretSource,
  now: Date = new Date(),
): Promise<OfflineRequest> {
  const serial = normalizeSerial(input.serial);
  const hw = normalizeHardware(hardware);
  const secret = await machineSecret();
  const keys = generateContainerKeys();
  const containerKeys = keys.public;
  let id: string;
  let text: string;
  const createdAt = now.toISOString();
  if (kind === 'file') {
    id = requestFileId();
    const request = createRequest(
      { serial, product: input.product ?? null, owner: input.owner, hardware: hw, nonce: id, createdAt, containerKeys },
      input.pin,
    );
    text = encodeRequestFile(request);
  } else {
    const nonce = randomBytes(4);
    id = nonce.toString('hex');
    // The code carries only the day; the record keeps the real time, which `lictor requests` shows.
    text = encodeShortCode(
      createRequestCode({ serial, nonce, createdAt: now, owner: input.owner, hardware: hw, containerKeys }, input.pin),
    );
  }
  await savePending(storeDir, {
    id,
    kind,
    serial,
    product: input.product ?? null,
    owner: input.owner,
    hardware: hw,
    createdAt,
    status: 'pending',
    containerKeys,
    sealedKeys: sealKeys(keys.private, secret, requestBinding(id)),
  });
  return { id, kind, text };
}

/**
 * A request file's id, which is also its nonce: 16 random bytes in base64url, drawn again when the
 * text would start with `-`, so that `lictor requests cancel <id>` never reads it as an option
 * (one id in 64 did; the lost entropy is 0.02 bits).
 */
function requestFileId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Cancels a pending request: its answer will no longer install. */
export async function cancelRequest(storeDir: string, id: string): Promise<PendingRequest> {
  const pending = (await listRequests(storeDir)).find((r) => r.id === id);
  if (!pending)
    throw new LictorError('LICTOR_E_REQUEST_UNKNOWN', `no request ${id} was made with this license directory`);
  if (pending.status !== 'pending') {
    throw new LictorError('LICTOR_E_INVALID_INPUT', `request ${id} is already ${pending.status}`);
  }
  const { sealedKeys: _dropped, ...kept } = pending;
  const cancelled: PendingRequest = { ...kept, status: 'cancelled' };
  await savePending(storeDir, cancelled);
  return cancelled;
}

function refuseUnusable(pending: PendingRequest | undefined, id: string): asserts pending is PendingRequest {
  if (!pending) {
    throw new LictorError(
      'LICTOR_E_REQUEST_UNKNOWN',
      `this answer is for request ${id}, which was not made on this computer (or with another license directory)`,
    );
  }
  if (pending.status === 'installed') {
    throw new LictorError(
      'LICTOR_E_ALREADY_INSTALLED',
      `this answer was already installed on ${pending.installedAt} as ${pending.licenseFile}`,
    );
  }
  if (pending.status === 'cancelled') {
    throw new LictorError(
      'LICTOR_E_REQUEST_UNKNOWN',
      `request ${id} was cancelled on this computer; make a new request`,
    );
  }
}

async function install(
  doc: LicenseDocument,
  text: string,
  pending: PendingRequest,
  hardware: HardwareParams,
  storeDir: string,
  machineSecret: MachineSecretSource,
): Promise<InstalledAnswer> {
  const usable = containerUsable(doc, hardware, NO_BLACKLIST);
  if (!usable.ok) {
    throw new LictorError(usable.code, `this answer does not fit this computer: ${usable.reason}`);
  }
  const file = join(storeDir, `${doc.serial}_${doc.activationId}.lic`);
  if (pending.sealedKeys) {
    const secret = await machineSecret();
    const opened = openKeys(pending.sealedKeys, secret, requestBinding(pending.id));
    if (!opened.ok) throw new LictorError(opened.code, `the keys kept with request ${pending.id}: ${opened.reason}`);
    // The key file first: a crash before the license is written leaves the request pending.
    await writeKeyFile(keyFilePath(file, doc.serial, doc.activationId), sealKeys(opened.keys, secret, doc.containerId));
  }
  await writeFileAtomic(file, text);
  const { sealedKeys: _done, ...kept } = pending;
  await savePending(storeDir, {
    ...kept,
    status: 'installed',
    installedAt: new Date().toISOString(),
    licenseFile: file,
  });
  return { requestId: pending.id, serial: doc.serial, activationId: doc.activationId, file };
}

/** Installs a license file that answers a request made here. */
export async function installAnswerFile(
  text: string,
  publicKey: VendorPublicKey,
  hardware: HardwareParams,
  storeDir: string,
  machineSecret: MachineSecretSource,
): Promise<InstalledAnswer> {
  const doc = decodeLicenseFile(text, publicKey);
  if (doc.requestNonce === undefined) {
    throw new LictorError(
      'LICTOR_E_REQUEST_UNKNOWN',
      'this license file is not an answer to an offline request; copy it into a license directory instead',
    );
  }
  const pending = (await listRequests(storeDir)).find((r) => r.id === doc.requestNonce);
  refuseUnusable(pending, doc.requestNonce);
  if (pending.containerKeys && !sameContainerKeys(doc.containerKeys, pending.containerKeys)) {
    throw new LictorError(
      'LICTOR_E_UPGRADE_UNSUPPORTED',
      `this answer does not carry the container keys of request ${pending.id}: the License Center did not honour them; update it and answer the request again`,
    );
  }
  if (
    doc.serial !== pending.serial ||
    documentSubject(doc) !== subjectDigest(pending.owner, pending.hardware, pending.containerKeys)
  ) {
    throw new LictorError('LICTOR_E_REQUEST_UNKNOWN', `this answer does not match request ${pending.id} made here`);
  }
  return install(doc, text, pending, hardware, storeDir, machineSecret);
}

/** Installs an answer code: finds the pending code request whose data it signs. */
export async function installAnswerCode(
  code: string,
  publicKey: VendorPublicKey,
  hardware: HardwareParams,
  storeDir: string,
  machineSecret: MachineSecretSource,
): Promise<InstalledAnswer> {
  const answer = parseAnswerCode(decodeShortCode(code, 'answer code'));
  const requests = (await listRequests(storeDir)).filter((r) => r.kind === 'code');
  for (const pending of requests) {
    const doc: LicenseDocument = licenseFromAnswer(answer, { ...pending, nonce: pending.id });
    let text: string;
    try {
      text = licenseFileFromSignature(doc, answer.signature, publicKey);
    } catch (err) {
      if (err instanceof LictorError && err.code === 'LICTOR_E_SIGNATURE_INVALID') continue;
      throw err;
    }
    refuseUnusable(pending, pending.id);
    return install(doc, text, pending, hardware, storeDir, machineSecret);
  }
  throw new LictorError(
    'LICTOR_E_REQUEST_UNKNOWN',
    'this answer code does not answer any request made on this computer with this license directory (or it was made with another vendor key)',
  );
}
