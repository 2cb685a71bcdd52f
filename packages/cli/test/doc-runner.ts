/**
 * Executable documentation: runs the shell transcripts of a Markdown page as a user would type
 * them, and compares what matters.
 *
 * A fenced block runs when the line before it is `<!-- doc-test ... -->`. All marked blocks of a
 * page run in order in one session: a fresh HOME, its own working directory, one shell state
 * (variables and `cd` carry over), the repository's `lictor` first on PATH.
 *
 * - ```` ```console ```` blocks: `$ command` (with `\` continuation lines), then the output
 *   expected from it. `# …` lines and `$ # …` are comments.
 * - ```` ```sh ```` blocks: every line is a command (with `\` continuations); `#   text` lines
 *   (a hash and at least two spaces) after a command are its expected output, other `#` lines are
 *   comments. A trailing `# exit N: text` expects exit code N and the line `text`.
 * - A command ending with `&` runs in the background (a server); the runner waits until its
 *   expected lines appear and stops it at the end of the page.
 *
 * Expected lines must appear in the command's output (stdout and stderr) in order; other lines
 * may come between them. `...` or `…` in an expected line matches anything. Values that differ at
 * every run (serial numbers, PIN codes, ids, keys, codes, times) match any value of their kind,
 * and the runner remembers each one: where the page uses the documented value again (in a
 * command or an expected line), it stands for the value of this run. The exit code must be 0,
 * unless the expected output holds an `error [CODE]` or `not licensed [CODE]` line (then 1), or a
 * line `(exit N)` / `(exit status N)`.
 *
 * Directive options: `center=URL` starts `lictor center serve --init` (data: the session's
 * default, or `center-data=DIR`) on a free loopback port before the block, and URL stands for it
 * (`center-token=NAME` exports the admin token it printed as the shell variable NAME);
 * `ports=P1,P2` maps each documented port to a free one; `requires=softhsm2` skips the page
 * (with the reason) when SoftHSM2 is not installed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './bin.js';

/**
 * How long a background command may take to print what the page shows. Only a broken command
 * waits this long (one that exits fails at once), so it is generous: on a machine whose two cores
 * run several test processes, starting a service took over 30 s.
 */
const START_MS = 120_000;

/** One command of a transcript and what it should print. */
export interface DocCommand {
  /** The command as written (continuation lines joined with newlines). */
  text: string;
  expected: string[];
  exitCode: number;
  background: boolean;
  /** Line number in the page, for messages. */
  line: number;
}

/** A marked block. */
export interface DocBlock {
  options: Map<string, string>;
  commands: DocCommand[];
  line: number;
}

/**
 * Kinds of values that differ at every run, most specific first: the pattern that finds one in a
 * documented line, and, where it is stricter than what a run may print, the pattern an actual
 * value must match (an id is told from a word in the text by a digit and a capital letter, but a
 * random id has no digit in about 2 % of runs: (54/64)^22).
 */
const VOLATILE: [name: string, pattern: string, actual?: string][] = [
  ['code', '[0-9A-Z]{6}(?:-[0-9A-Z]{6})+'],
  ['serial', 'LX-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}'],
  ['pin', '[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}'],
  ['uuid', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'],
  ['time', '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{3})?Z'],
  ['key', 'lictor-(?:ed25519|p256):[A-Za-z0-9_-]+'],
  ['token', 'lictor-(?:admin|manager)-[A-Za-z0-9_-]+'],
  ['hex', '(?<![0-9A-Za-z])[0-9a-f]{8,}(?![0-9A-Za-z])'],
  [
    'id',
    '(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Z])[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])',
    '(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])',
  ],
];
const VOLATILE_RE = new RegExp(VOLATILE.map(([, p]) => `(${p})`).join('|'), 'g');

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses the marked blocks of a Markdown page. */
export function parseDoc(markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const directive = /^<!--\s*doc-test\b(.*?)-->\s*$/.exec(lines[i] ?? '');
    if (!directive) continue;
    const fence = /^```(console|sh)\s*$/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`line ${i + 1}: a doc-test directive must be followed by a console or sh block`);
    const options = new Map<string, string>();
    for (const word of (directive[1] ?? '')
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '')) {
      const at = word.indexOf('=');
      options.set(at < 0 ? word : word.slice(0, at), at < 0 ? '' : word.slice(at + 1));
    }
    const body: { text: string; line: number }[] = [];
    let j = i + 2;
    for (; j < lines.length && !/^```\s*$/.test(lines[j] ?? ''); j++) body.push({ text: lines[j] ?? '', line: j + 1 });
    blocks.push({
      options,
      commands: fence[1] === 'console' ? parseConsole(body) : parseSh(body),
      line: i + 1,
    });
    i = j;
  }
  return blocks;
}

/** The command without a trailing `# comment` (outside quotes), which the shell ignores anyway. */
function withoutComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) return text.slice(0, i);
  }
  return text;
}

function command(text: string, line: number): DocCommand {
  const trimmed = withoutComment(text).trimEnd();
  const background = /&$/.test(trimmed) && !/&&$/.test(trimmed);
  return { text: background ? trimmed.slice(0, -1).trimEnd() : trimmed, expected: [], exitCode: 0, background, line };
}

/** Sets the exit code from the expected lines, and removes `(exit N)` lines. */
function settle(cmd: DocCommand): DocCommand {
  const exit = cmd.expected.map((l) => /^\(exit(?: status)? (\d+)\)$/.exec(l.trim())).find((m) => m);
  cmd.expected = cmd.expected.filter((l) => !/^\(exit(?: status)? \d+\)$/.test(l.trim()) && l.trim() !== '');
  if (exit) cmd.exitCode = Number(exit[1]);
  else if (cmd.expected.some((l) => /^(error|not licensed) \[LICTOR_E_/.test(l))) cmd.exitCode = 1;
  return cmd;
}

function parseConsole(body: { text: string; line: number }[]): DocCommand[] {
  const out: DocCommand[] = [];
  let current: DocCommand | undefined;
  for (let k = 0; k < body.length; k++) {
    const { text, line } = body[k] as { text: string; line: number };
    if (text.startsWith('$ ')) {
      let full = text.slice(2);
      while (full.endsWith('\\') && k + 1 < body.length) full += `\n${(body[++k] as { text: string }).text}`;
      if (/^#/.test(full.trim())) {
        current = undefined;
        continue;
      }
      current = command(full, line);
      out.push(current);
    } else if (/^#( |$)/.test(text)) {
      // A comment between commands.
    } else if (current) current.expected.push(text);
  }
  return out.map(settle);
}

function parseSh(body: { text: string; line: number }[]): DocCommand[] {
  const out: DocCommand[] = [];
  let current: DocCommand | undefined;
  for (let k = 0; k < body.length; k++) {
    const { text, line } = body[k] as { text: string; line: number };
    const expected = /^#\s{2,}(.*)$/.exec(text);
    if (expected) {
      current?.expected.push(expected[1] ?? '');
      continue;
    }
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    let full = text;
    while (full.endsWith('\\') && k + 1 < body.length) full += `\n${(body[++k] as { text: string }).text}`;
    const exit = /\s#\s*exit (\d+):\s*(.*)$/.exec(full);
    if (exit) full = full.slice(0, exit.index);
    current = command(full, line);
    if (exit) {
      current.exitCode = Number(exit[1]);
      if (exit[2]) current.expected.push(exit[2]);
    }
    out.push(current);
  }
  return out.map((c) => (c.exitCode === 0 ? settle(c) : c));
}

/** Documented value → the value of this run. */
export class Values {
  readonly map = new Map<string, string>();
  /** A copy, to try matches without remembering them. */
  copy(): Values {
    const copy = new Values();
    for (const [k, v] of this.map) copy.map.set(k, v);
    return copy;
  }

  /** Replaces every known documented value in `text` (longest first, whole words). */
  apply(text: string): string {
    const known = [...this.map.keys()].sort((a, b) => b.length - a.length);
    if (known.length === 0) return text;
    const alternatives = known.map((k) => `(?<![A-Za-z0-9])${escapeRe(k)}(?![A-Za-z0-9])`).join('|');
    return text.replace(new RegExp(alternatives, 'g'), (m) => this.map.get(m) ?? m);
  }
}

/**
 * Matches one expected line against one actual line: literal text (with the known documented
 * values replaced), `...`/`…` as anything, a volatile value seen before as this run's value, and
 * a new one as any value of its kind. Returns the new documented → actual pairs, or null.
 */
function matchLine(line: string, actual: string, values: Values): Map<string, string> | null {
  const expected = line.trim();
  const tokens: string[] = [];
  let pattern = '';
  let last = 0;
  for (const m of expected.matchAll(VOLATILE_RE)) {
    pattern += literal(values.apply(expected.slice(last, m.index)));
    const known = values.map.get(m[0]);
    if (known !== undefined) pattern += escapeRe(known);
    else {
      const kind = VOLATILE.find((_, n) => m[n + 1] !== undefined);
      const valuePattern = kind === undefined ? '.+?' : (kind[2] ?? kind[1]);
      pattern += `(${valuePattern})`;
      tokens.push(m[0]);
    }
    last = (m.index ?? 0) + m[0].length;
  }
  pattern += literal(values.apply(expected.slice(last)).trimEnd());
  // Indentation is not compared: `#   ` comments of sh blocks cannot show it.
  const found = new RegExp(`^${pattern}$`).exec(actual.trim());
  if (!found) return null;
  return new Map(tokens.map((t, n) => [t, found[n + 1] as string]));
}

/** Literal text of an expected line, `...` and `…` matching anything. */
function literal(text: string): string {
  return text
    .split(/\.\.\.|…/)
    .map(escapeRe)
    .join('.*?');
}

/** Where the expected lines fail to appear in order in `output`, or null when they all do. */
export function compare(expected: readonly string[], output: string, values: Values): string | null {
  const actual = output.split('\n');
  let at = 0;
  for (const line of expected) {
    let found: Map<string, string> | null = null;
    for (; at < actual.length && found === null; at++) found = matchLine(line, actual[at] ?? '', values);
    if (found === null) return `expected the line\n  ${line}\nin order in the output:\n${output}`;
    for (const [doc, real] of found) values.map.set(doc, real);
  }
  return null;
}

async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // The UDP port of the same number must be free too (the manager's discovery and announcements).
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (udpFree) return port;
  }
}

/** Nothing of the test's own environment but PATH: the session's state file sets the rest. */
function cleanEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

interface Ran {
  code: number;
  output: string;
}

/** One page's session: a working directory, a HOME, a shell state, and the servers it started. */
export class DocSession {
  readonly values = new Values();
  readonly #background: ChildProcess[] = [];
  #root = '';
  #state = '';

  /** Creates the directories, the `lictor` on PATH and the initial shell state. */
  async open(name: string): Promise<void> {
    this.#root = await mkdtemp(join(tmpdir(), `lictor-doc-${name}-`));
    const bin = join(this.#root, 'bin');
    const work = join(this.#root, 'work');
    const home = join(this.#root, 'home');
    await mkdir(bin);
    await mkdir(work);
    await mkdir(home);
    await symlink(BIN, join(bin, 'lictor'));
    this.#state = join(this.#root, 'state.sh');
    const env: Record<string, string> = {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: home,
      LANG: 'C.UTF-8',
    };
    await writeFile(
      this.#state,
      `${Object.entries(env)
        .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
        .join('\n')}\ncd ${JSON.stringify(work)}\n`,
    );
  }

  get home(): string {
    return join(this.#root, 'home');
  }

  /** Runs a block: its servers first, then each command. Throws with the page line on a mismatch. */
  async runBlock(block: DocBlock, page: string): Promise<void> {
    const ports = block.options.get('ports');
    for (const p of ports ? ports.split(',') : []) {
      if (!this.values.map.has(p)) this.values.map.set(p, String(await freePort()));
    }
    const center = block.options.get('center');
    if (center !== undefined) {
      await this.#startCenter(center, block.options.get('center-data'), block.options.get('center-token'));
    }
    for (const cmd of block.commands) {
      const text = this.values.apply(cmd.text);
      if (process.env.LICTOR_DOC_DEBUG) process.stderr.write(`[doc] ${page}:${cmd.line}: ${text}\n`);
      if (cmd.background) {
        await this.#runBackground(text, cmd, page);
        continue;
      }
      const ran = await this.#run(text, 60_000);
      const where = `${page}:${cmd.line}: $ ${cmd.text}`;
      const output = this.#shown(ran.output);
      if (ran.code !== cmd.exitCode) {
        throw new Error(`${where}\nexited with ${ran.code}, expected ${cmd.exitCode}; output:\n${output}`);
      }
      const mismatch = compare(cmd.expected, output, this.values);
      if (mismatch) throw new Error(`${where}\n${mismatch}`);
    }
  }

  /** The output as the page shows it: HOME as `~`. */
  #shown(output: string): string {
    return output.split(this.home).join('~');
  }

  async #startCenter(url: string, data: string | undefined, tokenVariable: string | undefined): Promise<void> {
    const port = await freePort();
    const args = ['center', 'serve', '--init', '--port', String(port), '--log-level', 'warn'];
    if (data) args.push('--data', data);
    const child = this.#spawn(`lictor ${args.join(' ')}`);
    const out = await this.#waitFor(child, (text) => /listening on (http:\/\/\S+)/.exec(text), START_MS);
    this.values.map.set(url, out[1] as string);
    const token = /admin API token \(shown once, keep it secret\): (\S+)/.exec(child.output())?.[1];
    if (tokenVariable && token) await appendFile(this.#state, `export ${tokenVariable}=${token}\n`);
  }

  #spawn(text: string): ChildProcess & { output: () => string } {
    const child = spawn('bash', ['-c', `source ${JSON.stringify(this.#state)}\nexec ${text}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv(),
    });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    this.#background.push(child);
    return Object.assign(child, { output: () => output });
  }

  async #waitFor<T>(
    child: ChildProcess & { output: () => string },
    test: (output: string) => T | null,
    ms: number,
  ): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const found = test(this.#shown(child.output()));
      if (found) return found;
      if (child.exitCode !== null || Date.now() > until) {
        throw new Error(`a background command did not print what was expected; its output:\n${child.output()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async #runBackground(text: string, cmd: DocCommand, page: string): Promise<void> {
    const child = this.#spawn(text);
    try {
      await this.#waitFor(
        child,
        (output) => (compare(cmd.expected, output, this.values.copy()) === null ? true : null),
        START_MS,
      );
    } catch (err) {
      throw new Error(`${page}:${cmd.line}: $ ${cmd.text} &\n${(err as Error).message}`);
    }
    const mismatch = compare(cmd.expected, this.#shown(child.output()), this.values);
    if (mismatch) throw new Error(`${page}:${cmd.line}: $ ${cmd.text} &\n${mismatch}`);
  }

  /** Runs one command in the session's shell state, saving the state after it. */
  #run(text: string, timeoutMs: number): Promise<Ran> {
    const script = `source ${JSON.stringify(this.#state)}
${text}
__doc_rc=$?
{ export -p; echo "cd $(printf %q "$PWD")"; } > ${JSON.stringify(`${this.#state}.new`)} && mv ${JSON.stringify(`${this.#state}.new`)} ${JSON.stringify(this.#state)}
exit $__doc_rc
`;
    return new Promise((resolve) => {
      // A group of its own, so that a timeout ends whatever the command started too.
      const child = spawn('bash', ['-c', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv(),
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        output += c.toString();
      });
      const timer = setTimeout(() => {
        output += `\n(the runner killed the command after ${timeoutMs} ms)`;
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, output });
      });
    });
  }

  /** Stops the servers and removes the session's files. */
  async close(): Promise<void> {
    for (const child of this.#background) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    if (this.#root) await rm(this.#root, { recursive: true, force: true });
  }
}

/** Runs every marked block of the page at `path` in one session. Returns how many commands ran. */
export async function runDoc(path: string, name: string): Promise<number> {
  const blocks = parseDoc(await readFile(path, 'utf8'));
  if (blocks.length === 0) throw new Error(`${path} has no doc-test block`);
  const session = new DocSession();
  await session.open(name);
  try {
    for (const block of blocks) await session.runBlock(block, path);
  } finally {
    await session.close();
  }
  return blocks.reduce((n, b) => n + b.commands.length, 0);
}
