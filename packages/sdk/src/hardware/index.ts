export { type AdapterInfo, excludedAdapterReason } from './adapters.js';
export { type CacheOptions, cachedHardware, type HardwareSource } from './cache.js';
export { type CollectOptions, collectHardware } from './collect.js';
