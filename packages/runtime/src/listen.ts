/**
 * Where the runtime listens: a Unix domain socket (its directory made 0700, or 0750 for a socket
 * its group may use, when the runtime creates it; the socket file chmod'ed to its mode; a socket
 * left by a runtime that died is removed, one that answers is not) and loopback TCP (a
 * non-loopback host is refused).
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { LictorError } from '@lictor/protocol';
import { assertLoopbackListen } from './local-only.js';

/** Whether something answers on the Unix socket at `path` (a connection is accepted within `timeoutMs`). */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(timeoutMs, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Makes `path` ready to listen on: its directory exists (created `dirMode`, default 0700; an
 * existing one is left as its owner set it), and a socket file there is removed only if nothing
 * answers on it.
 */
export async function prepareSocketPath(path: string, dirMode = 0o700): Promise<void> {
  const dir = dirname(path);
  // The umask may take bits away from mkdir's mode: set it exactly on a directory made here.
  if ((await mkdir(dir, { recursive: true, mode: dirMode })) !== undefined) await chmod(dir, dirMode);
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) {
    throw new LictorError(
      'LICTOR_E_PORT_IN_USE',
      `${path} exists and is not a socket: remove it, or choose another path with --socket`,
      { socket: path },
    );
  }
  if (await socketAnswers(path)) {
    throw new LictorError(
      'LICTOR_E_PORT_IN_USE',
      `another Lictor Runtime answers on ${path}: stop it, or choose another path with --socket`,
      { socket: path },
    );
  }
  // Left by a runtime that died: nothing answers there.
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/**
 * Listens on the Unix socket `path` (prepared first) and sets the socket file's mode; a directory
 * made for it gets the same permissions plus search (0600 → 0700, 0660 → 0750).
 */
export async function listenSocket(server: Server, path: string, mode: number): Promise<void> {
  await prepareSocketPath(path, 0o700 | (mode & 0o060 ? 0o050 : 0));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, mode);
}

/** Names of Windows named pipes the runtime accepts: `[A-Za-z0-9._-]`, 1 to 200 characters. */
const PIPE_NAME = /^[A-Za-z0-9._-]{1,200}$/;
/** Where Windows named pipes live (`\\.\pipe\`). */
export const PIPE_PREFIX = '\\\\.\\pipe\\';

/**
 * The pipe the Windows service of docs/runtime.md listens on (`--pipe lictor-runtime`), where
 * `lictor runtime status` asks first on Windows.
 */
export const DEFAULT_PIPE_NAME = 'lictor-runtime';

/** Where the runtime listens, as a person reads it: `pipe:\\.\pipe\…` for a named pipe, else `unix:<path>`. */
export function listenerText(path: string): string {
  return `${path.startsWith(PIPE_PREFIX) ? 'pipe' : 'unix'}:${path}`;
}

/**
 * The path of the Windows named pipe `name` (`lictor-runtime`, or written out as
 * `\\.\pipe\lictor-runtime`): `LICTOR_E_INVALID_INPUT` for another name, and
 * `LICTOR_E_PLATFORM_UNSUPPORTED` on an operating system other than Windows (where Node would
 * take the path for a Unix socket file).
 */
export function namedPipePath(name: string, platform: NodeJS.Platform = process.platform): string {
  const bare = name.startsWith(PIPE_PREFIX) ? name.slice(PIPE_PREFIX.length) : name;
  if (!PIPE_NAME.test(bare)) {
    throw new LictorError(
      'LICTOR_E_INVALID_INPUT',
      `'${name}' is not a pipe name: use 1 to 200 letters, digits, '.', '_' or '-' (e.g. lictor-runtime), or \\\\.\\pipe\\<name>`,
      { field: 'pipe' },
    );
  }
  if (platform !== 'win32') {
    throw new LictorError(
      'LICTOR_E_PLATFORM_UNSUPPORTED',
      `named pipes are Windows's: on ${platform} the runtime listens on a Unix socket (--socket PATH) instead of --pipe`,
      { platform },
    );
  }
  return `${PIPE_PREFIX}${bare}`;
}

/**
 * Listens on the Windows named pipe `path` with the pipe's default security (the runtime's
 * account, SYSTEM and administrators may connect; see docs/runtime.md). A pipe another process
 * serves is `LICTOR_E_PORT_IN_USE`.
 */
export async function listenPipe(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
        reject(
          new LictorError(
            'LICTOR_E_PORT_IN_USE',
            `another program serves the pipe ${path}: stop it, or choose another --pipe`,
            {
              pipe: path,
            },
          ),
        );
      } else reject(error);
    };
    server.once('error', failed);
    server.listen({ path }, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** Listens on loopback `host:port` (0: any free port); returns the URL. */
export async function listenLoopback(server: Server, host: string, port: number): Promise<string> {
  assertLoopbackListen(host);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new LictorError(
            'LICTOR_E_PORT_IN_USE',
            `port ${port} on ${host} is in use (another Lictor Runtime?): stop it, or choose another with --port`,
            { host, port },
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES') {
        reject(
          new LictorError(
            'LICTOR_E_PORT_IN_USE',
            `cannot listen on ${host}:${port} (${error.code}): choose another --port`,
            {
              host,
              port,
            },
          ),
        );
      } else reject(error);
    };
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
}

/** Closes a server and every connection it still has (an event stream never ends by itself). */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
