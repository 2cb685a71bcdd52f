/**
 * The License Center's SQLite ceiling: one better-sqlite3 transaction of the same shape as an
 * online activation, on a copy of the center's database, with the center's pragmas. Each one
 * takes a PIN not used yet, computes an HMAC as the center does to find it, reads the PIN with its
 * package and product, reads the package's activations, and inserts one activation and one
 * audit row.
 *
 * `joins: false` makes the same reads without a join (the PIN by its hash, then its package with
 * the product by key): SQLite runs the three-table join several times slower than the same
 * lookups by key, and the center reads without joins since commit 616bad5, so this is the
 * tighter ceiling.
 *
 * Imports nothing but better-sqlite3 and Node: `bench/center-ceiling-server.ts` runs it under
 * plain `node` (see `plainScript`).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';

/** The hardware of computer `i` of a bench (each one different). */
export function hardware(i: number) {
  const hex = i.toString(16).padStart(8, '0');
  return {
    platform: 'linux' as const,
    osName: 'Debian GNU/Linux',
    osVersion: '12',
    hostname: `ws-${i}`,
    board: 'Bench Board',
    ramBytes: 16 * 1024 ** 3,
    bios: 'Bench BIOS 1.0',
    cpus: ['Bench CPU (8 cores)'],
    nics: [`02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:01`],
    disks: [`DISK${hex}`],
  };
}

/** A same-shaped transaction on one database file. */
export interface ActivationTransaction {
  /** Runs one transaction on the next unused PIN (starting over when every PIN was used). */
  activate(): void;
  /**
   * Between samples: the WAL checkpointed and truncated (the center checkpoints on another
   * thread), and the activations dropped once half the PINs are used, so that a sample never
   * starts over in its middle.
   */
  between(): void;
  close(): void;
}

/** The same-shaped transaction on `file` (a copy of the center's database). */
export function activationTransaction(file: string, options: { joins?: boolean } = {}): ActivationTransaction {
  const joins = options.joins ?? true;
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // The center checkpoints from another thread; here between samples.
  db.pragma('wal_autocheckpoint = 0');
  const pins = db.prepare('SELECT serial, pin_hash FROM pins ORDER BY idx, serial').all() as {
    serial: string;
    pin_hash: string;
  }[];
  const findPin = db.prepare(
    `SELECT packages.*, pins.idx AS pin_idx, pins.kind AS pin_kind, products.name AS product_name,
            products.required_owner_fields
       FROM pins JOIN packages ON packages.serial = pins.serial
                 JOIN products ON products.code = packages.product_code
      WHERE pins.pin_hash = ?`,
  );
  const pinByHash = db.prepare('SELECT serial, idx AS pin_idx, kind AS pin_kind FROM pins WHERE pin_hash = ?');
  const packageBySerial = db.prepare(
    `SELECT packages.*, (SELECT name FROM products WHERE code = packages.product_code) AS product_name,
            (SELECT required_owner_fields FROM products WHERE code = packages.product_code) AS required_owner_fields
       FROM packages WHERE serial = ?`,
  );
  const activations = db.prepare(
    `SELECT id, pin_idx, container_id, owner, owner_key, hardware, subject, status, license_kind, created_at,
            counter, token_key
       FROM activations WHERE serial = ?`,
  );
  const insert = db.prepare(
    `INSERT INTO activations (id, serial, pin_idx, container_id, owner, owner_key, hardware, status, license_kind,
                              created_at, updated_at, subject, channel, container_keys, counter, client_ip)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, 'online', ?, 0, '127.0.0.1')`,
  );
  const audit = db.prepare(
    'INSERT INTO audit_events (id, at, actor, action, subject, details) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const pepper = randomBytes(32);
  const keys = JSON.stringify({ sign: 'A'.repeat(43), box: 'B'.repeat(43) });
  let next = 0;
  type Found = { serial: string; pin_idx: number; license_type: string };
  const transaction = db.transaction((i: number) => {
    const pin = pins[i] as { serial: string; pin_hash: string };
    createHmac('sha256', pepper).update(`${pin.serial}:ABCD-EFGH-JKMN`).digest('hex');
    let row: Found | undefined;
    if (joins) row = findPin.get(pin.pin_hash) as Found | undefined;
    else {
      const found = pinByHash.get(pin.pin_hash) as { serial: string; pin_idx: number } | undefined;
      if (found !== undefined) row = { ...found, ...(packageBySerial.get(found.serial) as { license_type: string }) };
    }
    if (row === undefined) throw new Error('bench: PIN not found');
    activations.all(row.serial);
    const now = new Date().toISOString();
    const id = randomUUID();
    insert.run(
      id,
      row.serial,
      row.pin_idx,
      randomUUID(),
      JSON.stringify({ company: `Company ${i}`, email: `it${i}@example.com` }),
      `company ${i}`,
      JSON.stringify(hardware(i)),
      row.license_type,
      now,
      now,
      'AAAAAAAAAAAAAA',
      keys,
    );
    audit.run(randomUUID(), now, 'client', 'activation.create', id, JSON.stringify({ serial: row.serial, kind: 'a' }));
  });
  const reset = () => {
    db.exec('DELETE FROM activations; DELETE FROM audit_events');
    db.pragma('wal_checkpoint(TRUNCATE)');
    next = 0;
  };
  return {
    activate: () => {
      if (next >= pins.length) reset();
      transaction(next++);
    },
    between: () => {
      if (next > pins.length / 2) reset();
      else db.pragma('wal_checkpoint(TRUNCATE)');
    },
    close: () => db.close(),
  };
}
