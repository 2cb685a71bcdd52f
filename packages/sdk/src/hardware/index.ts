export { type AdapterInfo, excludedAdapterReason } from './adapters.js';
export { type CacheOptions, cachedHardware, type HardwareSource } from './cache.js';
export { type CollectOptions, collectHardware } from './collect.js';
export {
  defaultRuntimeHardwareFile,
  type HardwareOrigin,
  type RuntimeHardwareOptions,
  type RuntimeHardwareSource,
  runtimeHardware,
} from './runtime-snapshot.js';
