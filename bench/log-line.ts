/**
 * What one request log line costs a service, taken apart (issue 11, "default logging"): the same
 * line as the manager's "lease granted" (`{reqId, leaseId, product}` and the message) written
 * `--lines` times through pino in this process, `per-turn` lines in each turn of the event loop
 * (a server under load writes several per turn), to a file, in interleaved rounds; CPU time of
 * the whole process per line (the libuv thread that writes included), medians of the rounds.
 *
 *   node --import tsx bench/log-line.ts [--rounds 5] [--lines 100000] [--file /tmp/…]
 *
 * Sides: `level warn` (the call made, nothing written: the loop's own cost), pino formatting into
 * a stream that drops the text, sonic-boom writing synchronously in 4 KiB batches, sonic-boom
 * as the services set it up for a pipe or a terminal (`log-options.ts`: asynchronous, 4 KiB
 * batches, flushed every 250 ms), the same behind a batcher that hands sonic-boom one joined
 * string per turn, and `FileLines`, the services' destination for a regular file (synchronous
 * 4 KiB batches, the waiting length counted as a number).
 */
import { openSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { FileLines } from '../packages/http-service/dist/file-lines.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    lines: { type: 'string', default: '100000' },
    file: { type: 'string', default: join(tmpdir(), `lictor-log-line-${process.pid}.log`) },
  },
});
const rounds = Number(values.rounds);
const lines = Number(values.lines);
const file = values.file;

/** The services' destination (`log-options.ts`), or a synchronous one of the same batches. */
const destination = (sync: boolean) =>
  pino.destination({ dest: file, sync, minLength: 4096, periodicFlush: 250, maxLength: 16 * 1024 * 1024 });

/** Lines joined and handed to `target` once per turn of the event loop (the lever measured). */
class TurnBatcher {
  #lines: string[] = [];
  constructor(private readonly target: { write(text: string): unknown }) {}
  write(line: string): boolean {
    if (this.#lines.length === 0) setImmediate(this.#flush);
    this.#lines.push(line);
    return true;
  }
  #flush = () => {
    const text = this.#lines.join('');
    this.#lines = [];
    this.target.write(text);
  };
}

const sides = {
  'level warn (nothing written)': pino({ level: 'warn' }, destination(false)),
  'pino formatting only': pino({ level: 'info' }, { write: () => {} }),
  'sonic-boom, synchronous 4 KiB batches': pino({ level: 'info' }, destination(true)),
  "sonic-boom as the services' (asynchronous)": pino({ level: 'info' }, destination(false)),
  'the same behind one write per turn': pino({ level: 'info' }, new TurnBatcher(destination(false))),
  "FileLines (the services' for a file)": pino(
    { level: 'info' },
    new FileLines(openSync(file, 'a'), { batchChars: 4096, flushMs: 250 }),
  ),
};

function run(log: pino.Logger, perTurn: number): Promise<void> {
  return new Promise((resolve) => {
    let i = 0;
    const turn = () => {
      for (let k = 0; k < perTurn; k++, i++) {
        log.info(
          { reqId: `req-${i.toString(36)}`, leaseId: `l_${(1e12 + i).toString(36)}`, product: 'ERP' },
          'lease granted',
        );
      }
      if (i < lines) setImmediate(turn);
      else setImmediate(resolve); // the last turn's batch handed over too
    };
    turn();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${lines} lines a run, ${rounds} rounds`,
);
try {
  for (const perTurn of [1, 5, 25]) {
    const micros = new Map<string, number[]>(Object.keys(sides).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, log] of Object.entries(sides)) {
        const before = process.cpuUsage();
        await run(log, perTurn);
        const used = process.cpuUsage(before);
        micros.get(name)?.push((used.user + used.system) / lines);
      }
    }
    console.log(`\n${perTurn} line(s) per turn of the event loop: CPU µs per line (median; min–max)`);
    for (const [name, xs] of micros) {
      console.log(
        `  ${name.padEnd(44)} ${median(xs).toFixed(2)}  (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`,
      );
    }
  }
} finally {
  rmSync(file, { force: true });
}
