/** The built `lictor` command in child processes, as a user runs it (end-to-end tests). */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `lictor` entry point (run `npm run build` first). */
export const BIN = fileURLToPath(new URL('../bin/lictor.js', import.meta.url));

/** A long-running command that printed `listening on URL`. */
export interface Served {
  url: string;
  child: ChildProcess;
  /** Everything it printed on stdout so far. */
  out(): string;
  /** Waits (up to 10 s) until its stdout matches `pattern`, and returns it. */
  waitFor(pattern: RegExp): Promise<string>;
}

/** How a command ended. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lictor` commands with one environment; {@link BinSession.killAll} ends what is still running. */
export interface BinSession {
  env: NodeJS.ProcessEnv;
  /** Runs a command to completion; rejects with its stderr when it fails. */
  run(...args: string[]): Promise<string>;
  /** Runs a command to completion, whether it succeeds or fails. */
  attempt(...args: string[]): Promise<Ran>;
  /** Starts a long-running command and resolves once it prints the URL it listens on. */
  serve(...args: string[]): Promise<Served>;
  killAll(): void;
}

/** A session whose commands see `env` (and nothing else of this process's environment). */
export function binSession(env: NodeJS.ProcessEnv): BinSession {
  const children: ChildProcess[] = [];
  const session: BinSession = {
    env,
    run: async (...args) => {
      const ran = await session.attempt(...args);
      if (ran.code !== 0) throw new Error(`lictor ${args.join(' ')}: ${ran.stderr}`);
      return ran.stdout;
    },
    attempt: (...args) =>
      new Promise((resolve) => {
        execFile(process.execPath, [BIN, ...args], { env: session.env, timeout: 60_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        });
      }),
    serve: (...args) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { env: session.env });
        children.push(child);
        let out = '';
        const waitFor = async (pattern: RegExp) => {
          for (let i = 0; i < 200 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 50));
          if (!pattern.test(out))
            throw new Error(`lictor ${args.slice(0, 2).join(' ')} did not print ${pattern}: ${out}`);
          return out;
        };
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
          if (url) resolve({ url, child, out: () => out, waitFor });
        });
        child.on('exit', (code) =>
          reject(new Error(`lictor ${args.slice(0, 2).join(' ')} exited with ${code}: ${out}`)),
        );
      }),
    killAll: () => {
      for (const c of children) c.kill('SIGKILL');
    },
  };
  return session;
}
