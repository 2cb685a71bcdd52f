/**
 * Refusals as values. Every use case of the center has one shape: load → decide (pure: a value or
 * a {@link Refusal}, never a throw for a business refusal) → apply → seal after the commit. The
 * use case turns a returned refusal into what follows from it (the audit record, the abuse
 * counts, then the thrown `LictorError` the HTTP layer answers with); an error that is thrown is
 * not a refusal but a bug or a failure (a database down) and is never audited as one.
 */

import { type ErrorCode, LictorError } from '@lictor/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../store/schema.js';

/** A business refusal: why the request is not granted, as the error the caller finally gets. */
export class Refusal {
  constructor(readonly error: LictorError) {}

  get code(): ErrorCode {
    return this.error.code;
  }
}

/** A step's result: its value, or why the request is refused. */
export type Outcome<T> = T | Refusal;

/** A refusal with a registered code. */
export function refuse(code: ErrorCode, message: string, details?: Record<string, unknown>): Refusal {
  return new Refusal(new LictorError(code, message, details));
}

/** `LICTOR_E_INVALID_INPUT` naming `field`, as a value. */
export function invalidInput(field: string, message: string): Refusal {
  return refuse('LICTOR_E_INVALID_INPUT', message, { field });
}

export function isRefusal<T>(outcome: Outcome<T>): outcome is Refusal {
  return outcome instanceof Refusal;
}

/**
 * Runs a pure check of untrusted input written in the throwing style (the protocol's decoders,
 * the field checks of `input.ts`) and returns its refusal as a value. Only for synchronous code
 * that reads no database and has no effect, so that what it can throw is the refusal of its input
 * or a bug; a bug (anything but a `LictorError`) is thrown on.
 */
export function checked<T>(check: () => T): Outcome<T> {
  try {
    return check();
  } catch (error) {
    if (error instanceof LictorError) return new Refusal(error);
    throw error;
  }
}

/** The value of an outcome, or its refusal thrown (use cases whose refusals are neither counted nor audited). */
export function orThrow<T>(outcome: Outcome<T>): T {
  if (isRefusal(outcome)) throw outcome.error;
  return outcome;
}

/** Throws the error of a refusal that is neither counted nor audited (a request refused at the door). */
export function throwIfRefused(refusal: Refusal | null): void {
  if (refusal !== null) throw refusal.error;
}

/**
 * Runs `work` in one transaction: committed when it returns a value, rolled back when it returns a
 * refusal (a conflict found while applying) or throws. The refusal is returned, not thrown.
 */
export async function inTransaction<T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<Outcome<T>>,
): Promise<Outcome<T>> {
  const trx = await db.startTransaction().execute();
  let outcome: Outcome<T>;
  try {
    outcome = await work(trx);
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  if (isRefusal(outcome)) await trx.rollback().execute();
  else await trx.commit().execute();
  return outcome;
}
