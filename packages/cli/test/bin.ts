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
}

/** Runs `lictor` commands with one environment; {@link BinSession.killAll} ends what is still running. */
export interface BinSession {
  env: NodeJS.ProcessEnv;
  /** Runs a command to completion; rejects with its stderr when it fails. */
  run(...args: string[]): Promise<string>;
  /** Starts a long-running command and resolves once it prints the URL it listens on. */
  serve(...args: string[]): Promise<Served>;
  killAll(): void;
}

/** A session whose commands see `env` (and nothing else of this process's environment). */
export function binSession(env: NodeJS.ProcessEnv): BinSession {
  const children: ChildProcess[] = [];
  const session: BinSession = {
    env,
    run: (...args) =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, [BIN, ...args], { env: session.env, timeout: 60_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`lictor ${args.join(' ')}: ${stderr}`));
          else resolve(stdout);
        });
      }),
    serve: (...args) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { env: session.env });
        children.push(child);
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
          if (url) resolve({ url, child, out: () => out });
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
