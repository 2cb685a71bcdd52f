/** `@lictor/protocol/testing`: test support shared by the packages' tests. Not for production code. */
export { FAKE_SCHEDULER_START, FakeScheduler } from './fake-scheduler.js';
export { type GenuineLicenseOptions, genuineLicense } from './genuine-license.js';
