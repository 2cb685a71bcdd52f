/** Runs a small script in a child Node process with the SDK loaded from source (tests only). */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SDK_URL = pathToFileURL(join(import.meta.dirname, '..', 'src', 'index.ts')).href;

/** Writes `body` as a module that has `openLicensing` and `args` (the JSON given to {@link spawnScript}). */
export async function writeScript(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    `import { openLicensing } from ${JSON.stringify(SDK_URL)};\nconst args = JSON.parse(process.argv[2]);\n${body}\n`,
  );
  return path;
}

/** A running script, with a promise for each line it prints. */
export interface Child {
  process: ChildProcess;
  /** Resolves with the first printed line that satisfies `match`; rejects after `timeoutMs`. */
  line(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts `script` with `node --import tsx script JSON(args)`. */
export function spawnScript(script: string, args: unknown): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of [...waiters]) w();
      resolve({ code, signal, stderr });
    });
  });
  return {
    process: child,
    exited,
    line(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`the child exited before printing the line; stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no matching line within ${timeoutMs} ms; printed: ${lines.join(' | ')}; stderr: ${stderr}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/**
 * The script of the crash tests: opens the licensing of `args.store` (with `args.tokens` if
 * given), prints `ready`, applies the upgrade answer `args.answer`, prints `done <counter> <ms>`.
 */
export function writeContinueScript(dir: string): Promise<string> {
  return writeScript(
    dir,
    'continue.mjs',
    `const licensing = await openLicensing({
  product: 'SCADA', publicKey: args.publicKey, paths: [args.store], watch: false,
  hardware: async () => args.hardware, machineSecret: async () => Uint8Array.from(args.secret), tokens: args.tokens,
});
console.log('ready');
const t0 = performance.now();
const applied = await licensing.continueUpgrade(args.answer);
console.log('done ' + applied.counter + ' ' + Math.round(performance.now() - t0));
await licensing.close();`,
  );
}
