/**
 * `@lictor/protocol`: the license model, file formats, signatures, typed errors and hardware
 * matching rules. Pure: no file or network access; the clock and timers only through
 * `systemScheduler`, which callers pass in (tests pass `FakeScheduler` from `@lictor/protocol/testing`).
 */

export * from './announcement.js';
export * from './answer-code.js';
export * from './availability.js';
export * from './canonical.js';
export * from './codes.js';
export * from './container.js';
export * from './crypto.js';
export * from './discovery.js';
export * from './encoding.js';
export * from './envelope.js';
export * from './errors.js';
export * from './hardware.js';
export * from './license.js';
export * from './license-file.js';
export * from './plain-file.js';
export * from './request.js';
export * from './runtime-answer.js';
export * from './scheduler.js';
export * from './seat-proof.js';
export * from './shortcode.js';
export * from './signed-time.js';
export * from './token-container.js';
export * from './token-presence.js';
// The HTTP messages' types only: their schemas (and TypeBox, ~700 modules) load from
// `@lictor/protocol/wire`, so what imports protocol for licenses does not pay for them.
export type {
  AcquireAnswer,
  AcquireBody,
  ActivationRequest,
  ActivationResponse,
  AdminLeaseBody,
  AdminLeaseList,
  ClientIdentity,
  ErrorBody,
  FeatureUsage,
  HeartbeatAnswer,
  LeaseBody,
  LicenseSource,
  LicenseUsage,
  ManagerEvent,
  ManagerEventKind,
  ManagerEventList,
  ManagerStatus,
  ProductStatus,
  ProofHeaders,
  SeatProof,
  TokenActivation,
  UsageList,
} from './wire/index.js';
