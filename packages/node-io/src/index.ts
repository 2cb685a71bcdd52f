/**
 * `@lictor/node-io`: the Node helpers every Lictor package that touches files shares (SDK,
 * center, manager, CLI): atomic writes, reads of files that may be absent, and the loop that
 * notices changed files. Depends on `@lictor/protocol` only (its `Scheduler`).
 */

export { isErrno, readTextIfExists, writeFileAtomic } from './files.js';
export { type WatchLoopOptions, watchLoop } from './watch-loop.js';
