/**
 * The access rules file on disk: reading it at start and noticing changes while the manager
 * runs (`fs.watch` on its directory for speed, plus a poll because file system events are
 * unreliable on network shares and miss a directory created later: `watchLoop` of `@lictor/node-io`). A change is applied once
 * the file reads the same twice `settleMs` apart, so a half-written save is not loaded. Timers
 * and watchers never keep the process alive.
 */

import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { watchLoop } from '@lictor/node-io';
import { delay, LictorError, type Scheduler, systemScheduler } from '@lictor/protocol';
import { type AccessRules, parseAccessRules } from './access-rules.js';

/** The rules file's name in the manager's data directory. */
export const ACCESS_RULES_FILE_NAME = 'access.rules';
/** A larger file is refused: rules files are a few kilobytes. */
const MAX_ACCESS_RULES_BYTES = 1024 * 1024;
/** Default poll period of the rules file. */
export const DEFAULT_ACCESS_RULES_POLL_MS = 1_000;

/** The file's text, or `null` when it does not exist. */
async function readText(file: string): Promise<string | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new LictorError('LICTOR_E_FILE_UNREADABLE', `cannot read the access rules file ${file}: ${code ?? error}`, {
      file,
    });
  }
  if (bytes.length > MAX_ACCESS_RULES_BYTES) {
    throw new LictorError(
      'LICTOR_E_ACCESS_RULES_INVALID',
      `${file} is larger than ${MAX_ACCESS_RULES_BYTES} bytes; is it the right file?`,
      { file },
    );
  }
  return bytes.toString('utf8');
}

/** The rules of a file as read: `rules` is `null` when the file does not exist. */
export interface LoadedAccessRules {
  rules: AccessRules | null;
  /** The text the rules were parsed from. */
  text: string | null;
}

/**
 * Reads and parses the access rules file. A missing file gives `rules: null`; a broken one
 * throws `LICTOR_E_ACCESS_RULES_INVALID` naming the line, an unreadable one
 * `LICTOR_E_FILE_UNREADABLE`.
 */
export async function readAccessRulesFile(file: string): Promise<LoadedAccessRules> {
  const text = await readText(file);
  return { rules: text === null ? null : parseAccessRules(text, { source: file }), text };
}

/** Options of {@link watchAccessRulesFile}. */
export interface AccessRulesWatchOptions {
  /** Poll period in ms. */
  intervalMs: number;
  /** A change is applied once the file reads the same twice this far apart. Default 200. */
  settleMs?: number;
  /** The poll, debounce and settle timers. Default `systemScheduler`. */
  scheduler?: Scheduler;
  /** New rules are in force (`null`: the file was removed). */
  onChange(loaded: LoadedAccessRules): void;
  /** The changed file cannot be read or parsed; the rules in force stay. Called once per distinct problem. */
  onError(error: LictorError): void;
}

/**
 * Watches `file` and reports each settled change. `appliedText` is the text in force now (what
 * {@link readAccessRulesFile} read). Returns a function that stops watching.
 */
export function watchAccessRulesFile(
  file: string,
  appliedText: string | null,
  options: AccessRulesWatchOptions,
): () => void {
  const settleMs = options.settleMs ?? 200;
  const scheduler = options.scheduler ?? systemScheduler;
  let applied = appliedText;
  /** The problem reported last, so that each is reported once. */
  let reported: string | null = null;
  let closed = false;

  const report = (error: LictorError, key: string) => {
    if (reported === key) return;
    reported = key;
    options.onError(error);
  };
  /** The file's text (`null`: no file), or `undefined` when it cannot be read (reported). */
  const read = async (): Promise<string | null | undefined> => {
    try {
      return await readText(file);
    } catch (error) {
      const e = error instanceof LictorError ? error : new LictorError('LICTOR_E_FILE_UNREADABLE', String(error));
      report(e, `read:${e.message}`);
      return undefined;
    }
  };

  const check = async (): Promise<undefined | 'again'> => {
    const text = await read();
    if (text === undefined) return undefined;
    if (text === applied) {
      reported = null;
      return undefined;
    }
    await delay(scheduler, settleMs);
    const settled = await read();
    if (closed) return undefined;
    if (settled !== text) return 'again'; // Still being written: look again.
    let rules: AccessRules | null = null;
    if (text !== null) {
      try {
        rules = parseAccessRules(text, { source: file });
      } catch (error) {
        if (!(error instanceof LictorError)) throw error;
        report(error, `text:${text}`);
        return undefined;
      }
    }
    applied = text;
    reported = null;
    options.onChange({ rules, text });
    return undefined;
  };

  const stop = watchLoop(check, {
    dirs: [dirname(file)],
    names: [basename(file)],
    intervalMs: options.intervalMs,
    debounceMs: 50,
    scheduler,
  });
  return () => {
    closed = true;
    stop();
  };
}
