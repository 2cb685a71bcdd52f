/**
 * `@lictor/runtime`: the Lictor Runtime, one local licensing service per computer that
 * applications in any language ask over a Unix socket or loopback HTTP (`lictor runtime serve`).
 *
 * ```ts
 * const running = await openRuntime({ stateDir: '/var/lib/lictor/runtime' });
 * console.log(`listening on ${running.url} and ${running.socket}`);
 * ```
 */
export {
  AnswerProofs,
  AnswerSessions,
  assertNonce,
  MAX_ANSWER_SESSIONS,
  type Proven,
  type SessionRef,
  type SignedPurpose,
  sessionRefOf,
  type Unsigned,
} from './answer-proofs.js';
export {
  callRuntime,
  RuntimeClient,
  type RuntimeClientOptions,
  type RuntimeTarget,
  runtimeStatus,
  type VerifiedCheck,
  type VerifiedSession,
} from './client.js';
export { DEFAULT_EVENT_CAPACITY, EventHub, type EventHubOptions, type HubEvent, type Replay } from './event-hub.js';
export { checkAnswer, grantOrThrow } from './grants.js';
export {
  HARDWARE_MAX_AGE_MS,
  LOCK_STALE_MS,
  type PersistedHardware,
  type PersistedHardwareOptions,
  persistedHardware,
} from './hardware-store.js';
export { DEFAULT_KEEP_ALIVE_MS, formatEvent } from './http/event-format.js';
export {
  buildRuntimeServer,
  RUNTIME_BODY_LIMIT,
  type RuntimeServer,
  type RuntimeServerOptions,
} from './http/server.js';
export {
  type LicensingKey,
  type LicensingOpener,
  LicensingPool,
  type LicensingPoolOptions,
  type PooledLicensing,
} from './licensing-pool.js';
export {
  closeServer,
  DEFAULT_PIPE_NAME,
  listenerText,
  listenLoopback,
  listenPipe,
  listenSocket,
  namedPipePath,
  PIPE_PREFIX,
  prepareSocketPath,
  socketAnswers,
} from './listen.js';
export { assertLoopbackListen, hostOfHeader, isLoopbackAddress, isLoopbackHost, localOnly } from './local-only.js';
export {
  DEFAULT_RUNTIME_PORT,
  DEFAULT_SWEEP_INTERVAL_MS,
  type OpenRuntimeOptions,
  openRuntime,
  type RunningRuntime,
} from './open-runtime.js';
export { type ProcessInfo, type ProcessProbe, parseProcStat, systemProcessProbe } from './process-info.js';
export { LictorRuntime, type RuntimeIdentity, type RuntimeParts } from './runtime.js';
export { readSealedFile, type SealedRead, writeSealedFile } from './sealed-file.js';
export {
  type ManagerConnector,
  type SeatRequest,
  SeatService,
  type SeatServiceOptions,
  type SeatState,
  type TakenSeat,
} from './seats.js';
export * from './session-table.js';
export {
  type FreedReason,
  type SessionGrant,
  SessionService,
  type SessionServiceOptions,
  type SessionState,
  UNKNOWN_OS_SESSION,
} from './sessions.js';
export {
  defaultSocketPath,
  defaultStateDir,
  prepareStateDir,
  runtimeId,
  type StateLayout,
  stateLayout,
} from './state-dir.js';
export { RUNTIME_VERSION } from './version.js';
