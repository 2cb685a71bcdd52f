/**
 * The session table against a model (fast-check commands): every open, close and process exit
 * gives the answer the model predicts, and the documents' limits hold after every step.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type SessionLimits, SessionTable } from '../src/session-table.js';

interface ModelSession {
  id: string;
  file: string;
  osSession: string;
  process: string;
}

interface Model {
  limits: SessionLimits;
  open: ModelSession[];
}

type Real = SessionTable<null>;

/** What the model predicts for an open at this place. */
function expected(model: Model, file: string, osSession: string, process: string): 'ok' | 'os-sessions' | 'processes' {
  const onFile = model.open.filter((s) => s.file === file);
  const osSessions = new Set(onFile.map((s) => s.osSession));
  if (!osSessions.has(osSession)) return osSessions.size >= model.limits.maxOsSessionsPerFile ? 'os-sessions' : 'ok';
  const processes = new Set(onFile.filter((s) => s.osSession === osSession).map((s) => s.process));
  if (processes.has(process)) return 'ok';
  return processes.size >= model.limits.maxProcessesPerOsSession ? 'processes' : 'ok';
}

/** The table's counts equal the model's, and no file or OS session is over its limit. */
function agree(model: Model, real: Real): void {
  assert.equal(real.size, model.open.length);
  assert.deepEqual(
    real
      .sessions()
      .map((s) => s.id)
      .sort(),
    model.open.map((s) => s.id).sort(),
  );
  assert.deepEqual(real.processes().sort(), [...new Set(model.open.map((s) => s.process))].sort());
  for (const file of new Set(model.open.map((s) => s.file))) {
    const onFile = model.open.filter((s) => s.file === file);
    const osSessions = new Set(onFile.map((s) => s.osSession));
    assert.equal(real.osSessionCount(file), osSessions.size);
    assert.ok(osSessions.size <= model.limits.maxOsSessionsPerFile);
    for (const os of osSessions) {
      const processes = new Set(onFile.filter((s) => s.osSession === os).map((s) => s.process));
      assert.equal(real.processCount(file, os), processes.size);
      assert.ok(processes.size <= model.limits.maxProcessesPerOsSession);
    }
  }
}

class OpenCommand implements fc.Command<Model, Real> {
  constructor(
    readonly file: string,
    readonly osSession: string,
    readonly process: string,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const want = expected(model, this.file, this.osSession, this.process);
    const got = real.open({ file: this.file, osSession: this.osSession, process: this.process }, null);
    if (got.ok) {
      assert.equal(want, 'ok');
      assert.deepEqual(
        { file: got.session.file, osSession: got.session.osSession, process: got.session.process },
        { file: this.file, osSession: this.osSession, process: this.process },
      );
      model.open.push({ id: got.session.id, file: this.file, osSession: this.osSession, process: this.process });
    } else {
      assert.equal(got.kind, want);
      assert.equal(got.file, this.file);
      assert.equal(
        got.limit,
        want === 'processes' ? model.limits.maxProcessesPerOsSession : model.limits.maxOsSessionsPerFile,
      );
    }
    agree(model, real);
  }
  toString = () => `open(${this.file}, ${this.osSession}, ${this.process})`;
}

class CloseCommand implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly unknown: boolean,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const target = this.unknown || model.open.length === 0 ? undefined : model.open[this.pick % model.open.length];
    const closed = real.close(target?.id ?? 'no-such-session');
    assert.equal(closed?.id, target?.id);
    if (target) model.open = model.open.filter((s) => s.id !== target.id);
    // Closing again finds nothing.
    if (target) assert.equal(real.close(target.id), undefined);
    agree(model, real);
  }
  toString = () => `close(${this.unknown ? 'unknown' : this.pick})`;
}

class ExitCommand implements fc.Command<Model, Real> {
  constructor(readonly process: string) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const closed = real.closeProcess(this.process);
    const want = model.open.filter((s) => s.process === this.process).map((s) => s.id);
    assert.deepEqual(closed.map((s) => s.id).sort(), want.sort());
    model.open = model.open.filter((s) => s.process !== this.process);
    agree(model, real);
  }
  toString = () => `exit(${this.process})`;
}

const fileArb = fc.constantFrom('a.lic', 'b.lic');
const osArb = fc.constantFrom('1', '2', '3', '4');
const processArb = fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5');

const commands = fc.commands(
  [
    fc.tuple(fileArb, osArb, processArb).map(([f, o, p]) => new OpenCommand(f, o, p)),
    fc.tuple(fc.nat(), fc.boolean()).map(([pick, unknown]) => new CloseCommand(pick, unknown)),
    processArb.map((p) => new ExitCommand(p)),
  ],
  { maxCommands: 80 },
);

test('the session table answers as the model does and keeps both limits', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), commands, (maxOs, maxProc, cmds) => {
      const limits = { maxOsSessionsPerFile: maxOs, maxProcessesPerOsSession: maxProc };
      let n = 0;
      fc.modelRun(
        () => ({
          model: { limits, open: [] },
          real: new SessionTable<null>({ ...limits, newId: () => `s${++n}` }),
        }),
        cmds,
      );
    }),
    { numRuns: 300 },
  );
});
