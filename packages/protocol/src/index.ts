/**
 * `@lictor/protocol`: the license model, file formats, signatures, typed errors and hardware
 * matching rules. Pure: no file, network or clock access.
 */

export * from './announcement.js';
export * from './answer-code.js';
export * from './api.js';
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
export * from './seat-proof.js';
export * from './shortcode.js';
export * from './token-container.js';
export * from './token-presence.js';
