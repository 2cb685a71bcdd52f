/**
 * `LictorRuntime`: the runtime's operations, one per route, each a thin layer over the SDK's
 * `Licensing` (from the {@link LicensingPool}), the {@link SessionService} and the
 * {@link SeatService}. The HTTP service (`http/`) calls these and nothing else.
 */
import { type ApplicationRole, LictorError } from '@lictor/protocol';
import type {
  ActivationRequestAnswer,
  ActivationRequestBody,
  AppliedUpgrade,
  CheckAnswer,
  CheckBody,
  ConfirmationAnswer,
  InstalledLicense,
  InstallLicenseBody,
  RuntimeActivationAnswer,
  RuntimeActivationBody,
  RuntimeLicenseFile,
  RuntimeProductStatus,
  RuntimeSeat,
  RuntimeSession,
  RuntimeStatus,
  SeatBody,
  SessionBody,
  UpgradeAnswerBody,
  UpgradeQuestion,
  UpgradeQuestionBody,
} from '@lictor/protocol/wire';
import type { LicenseFileStatus } from '@lictor/sdk';
import { type AnswerProofs, assertNonce, type SessionRef } from './answer-proofs.js';
import type { EventHub } from './event-hub.js';
import { grantOrThrow } from './grants.js';
import type { LicensingKey, LicensingPool, PooledLicensing } from './licensing-pool.js';
import type { SeatService } from './seats.js';
import type { SessionService, SessionState } from './sessions.js';

/** Who the runtime is and where it serves. */
export interface RuntimeIdentity {
  id: string;
  version: string;
  startedAt: string;
  stateDir: string;
  socket: string | null;
  url: string | null;
}

/** The parts of a runtime (made by `openRuntime`, or by tests). */
export interface RuntimeParts {
  identity: RuntimeIdentity;
  pool: LicensingPool;
  sessions: SessionService;
  seats: SeatService;
  events: EventHub;
  proofs: AnswerProofs;
}

/** Which application asks: the pool's key from a request's fields. */
function keyOf(body: { publicKey: string; product: string; role?: ApplicationRole; bitness?: 32 | 64 }): LicensingKey {
  return { publicKey: body.publicKey, product: body.product, role: body.role ?? 'client', bitness: body.bitness ?? 64 };
}

/** The runtime's operations. */
export class LictorRuntime {
  readonly identity: RuntimeIdentity;
  readonly pool: LicensingPool;
  readonly sessions: SessionService;
  readonly seats: SeatService;
  readonly events: EventHub;
  readonly #proofs: AnswerProofs;

  constructor(parts: RuntimeParts) {
    this.identity = parts.identity;
    this.pool = parts.pool;
    this.sessions = parts.sessions;
    this.seats = parts.seats;
    this.events = parts.events;
    this.#proofs = parts.proofs;
  }

  /**
   * `POST /v1/check`: the SDK's `check()`, signed over the nonce by the granting license (or
   * MAC'd under the application's answer `session`, header `lictor-session`, when the runtime
   * holds it for that license); a refusal is thrown with the SDK's code and reason.
   */
  async check(body: CheckBody, session?: SessionRef): Promise<CheckAnswer> {
    assertNonce(body.nonce);
    const { licensing } = await this.pool.get(keyOf(body));
    const answer = grantOrThrow(licensing, body.feature);
    return this.#proofs.prove('runtime-check', licensing, answer.file, body.nonce, answer, session);
  }

  /**
   * `POST /v1/sessions`: a check, then a session of process `pid` on the license file that grants
   * it, proven as {@link check} proves.
   */
  async openSession(body: SessionBody, answerSession?: SessionRef): Promise<RuntimeSession> {
    assertNonce(body.nonce);
    const { licensing } = await this.pool.get(keyOf(body));
    const granted = grantOrThrow(licensing, body.feature);
    const session = await this.sessions.open(body.pid, body.osSession, {
      product: granted.product,
      feature: granted.feature,
      serial: granted.serial,
      licenseId: granted.licenseId,
      file: granted.file,
    });
    return this.#proofs.prove('runtime-session', licensing, granted.file, body.nonce, session, answerSession);
  }

  /** `DELETE /v1/sessions/{id}`. */
  closeSession(id: string): SessionState {
    return this.sessions.close(id);
  }

  /**
   * `POST /v1/seats`: a floating seat from a License Manager, held by the runtime, with the
   * manager's signature over the application's nonce.
   */
  async acquireSeat(body: SeatBody): Promise<RuntimeSeat> {
    assertNonce(body.nonce);
    const { seat, signed } = await this.seats.acquire({
      publicKey: body.publicKey,
      product: body.product,
      ...(body.feature === undefined ? {} : { feature: body.feature }),
      ...(body.managers === undefined ? {} : { managers: body.managers }),
      ...(body.pid === undefined ? {} : { pid: body.pid }),
      nonce: body.nonce,
    });
    return { ...seat, proof: this.#proofs.forward(signed, body.nonce) };
  }

  /** `DELETE /v1/seats/{id}`. */
  releaseSeat(id: string): Promise<void> {
    return this.seats.release(id);
  }

  /** `POST /v1/activations`: online activation through the License Center. */
  async activate(body: RuntimeActivationBody): Promise<RuntimeActivationAnswer> {
    const { licensing } = await this.pool.get(keyOf(body));
    const done = await licensing.activate({
      center: body.center,
      serial: body.serial,
      pin: body.pin,
      owner: body.owner,
    });
    return { activationId: done.activationId, serial: done.serial, reactivated: done.reactivated, file: done.file };
  }

  /** `POST /v1/activation-requests`: an offline request file or code. */
  async requestActivation(body: ActivationRequestBody): Promise<ActivationRequestAnswer> {
    const { licensing } = await this.pool.get(keyOf(body));
    const made = await licensing.requestOffline(
      { serial: body.serial, pin: body.pin, owner: body.owner, product: body.product },
      body.kind,
    );
    return { id: made.id, kind: made.kind, text: made.text };
  }

  /** `POST /v1/licenses`: installs the vendor's answer to an offline request. */
  async installLicense(body: InstallLicenseBody): Promise<InstalledLicense> {
    if ((body.file === undefined) === (body.code === undefined)) {
      throw new LictorError('LICTOR_E_INVALID_INPUT', "send the answer as 'file' or as 'code' (one of them)", {
        field: 'file',
      });
    }
    const { licensing } = await this.pool.get(keyOf(body));
    const installed = await licensing.install(
      body.file === undefined ? { code: body.code as string } : { file: body.file },
    );
    return {
      requestId: installed.requestId,
      serial: installed.serial,
      activationId: installed.activationId,
      file: installed.file,
    };
  }

  /** `POST /v1/upgrades/question`: starts a remote upgrade. */
  async startUpgrade(body: UpgradeQuestionBody): Promise<UpgradeQuestion> {
    const { licensing } = await this.pool.get(keyOf(body));
    const started = await licensing.startUpgrade(body.containerId);
    return {
      containerId: started.containerId,
      nonce: started.nonce,
      question: started.question,
      ...(started.abandoned ? { abandoned: started.abandoned } : {}),
    };
  }

  /** `POST /v1/upgrades/answer`: applies the vendor's upgrade answer. */
  async continueUpgrade(body: UpgradeAnswerBody): Promise<AppliedUpgrade> {
    const { licensing } = await this.pool.get(keyOf(body));
    const applied = await licensing.continueUpgrade(body.answer);
    return {
      containerId: applied.containerId,
      counter: applied.counter,
      confirmationCode: applied.confirmationCode,
      file: applied.file,
    };
  }

  /** `GET /v1/upgrades/confirmation`: the last upgrade's confirmation code, again. */
  async confirmationCode(query: {
    publicKey: string;
    product: string;
    containerId?: string;
  }): Promise<ConfirmationAnswer> {
    const { licensing } = await this.pool.get(keyOf(query));
    return { confirmationCode: await licensing.confirmationCode(query.containerId) };
  }

  /** `GET /v1/status`. */
  status(): RuntimeStatus {
    return {
      runtime: { ...this.identity },
      products: this.pool.entries().map(productStatus),
      sessions: { count: this.sessions.count, processes: this.sessions.processCount },
      seats: { count: this.seats.count },
    };
  }
}

/** The license files of one kept licensing state that concern its product. */
function productStatus(pooled: PooledLicensing): RuntimeProductStatus {
  const { product, role, bitness } = pooled.key;
  return {
    product,
    vendorKeyId: pooled.vendorKeyId,
    role,
    bitness,
    files: pooled.licensing
      .status()
      .filter((f) => concerns(f, product))
      .map(fileStatus),
  };
}

/** A file with an entry for `product`, or one that failed for a reason other than being another vendor's. */
function concerns(f: LicenseFileStatus, product: string): boolean {
  if (f.licenses !== undefined) return f.licenses.some((e) => e.product === product);
  return f.code !== undefined && f.code !== 'LICTOR_E_WRONG_VENDOR';
}

function fileStatus(f: LicenseFileStatus): RuntimeLicenseFile {
  return {
    file: f.path,
    state: f.supersededBy !== undefined ? 'superseded' : f.available ? 'available' : 'unavailable',
    serial: f.serial ?? null,
    activationId: f.activationId ?? null,
    ...(f.code === undefined ? {} : { code: f.code }),
    ...(f.reason === undefined ? {} : { reason: f.reason }),
  };
}
