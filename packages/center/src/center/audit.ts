/** The audit trail: every change and every refused activation, never a PIN, token or key. */
import type { Insertable, Kysely } from 'kysely';
import { fromJson, toJson } from '../store/json-column.js';
import { prepare } from '../store/prepared.js';
import type { AuditEventsTable, DB } from '../store/schema.js';
import type { CenterContext } from './context.js';
import { boundedLimit } from './input.js';
import type { AuditEvent } from './types.js';

/** An event to record. */
export interface AuditRecord {
  actor: string;
  action: string;
  subject: string;
  details?: Record<string, unknown>;
}

const insertEvent = prepare<Insertable<AuditEventsTable>>()((db, param) =>
  db.insertInto('audit_events').values({
    id: param('id'),
    at: param('at'),
    actor: param('actor'),
    action: param('action'),
    subject: param('subject'),
    details: param('details'),
  }),
);

/** Records an event, inside the caller's transaction when `db` is one. */
export async function recordAudit(ctx: CenterContext, db: Kysely<DB>, at: Date, event: AuditRecord): Promise<void> {
  await insertEvent.execute(ctx.dialect, db, {
    id: ctx.newId(),
    at: at.toISOString(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    details: toJson(event.details ?? {}),
  });
}

/** The latest events, newest first. */
export async function listAudit(ctx: CenterContext, limit?: number): Promise<AuditEvent[]> {
  const rows = await ctx.db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(boundedLimit(limit, 50, 'limit'))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details: fromJson(r.details),
  }));
}
