/** Telling the License Center about a duplicate, so that it blacklists the files involved. */
import type { DuplicateEvidence } from '@lictor/protocol';
import { callCenter } from '../center-client.js';
import { jsonOf } from '../http-transport.js';

/** What the center did with a report. */
export interface DuplicateReportResult {
  /** Activations now on the vendor's blacklist. */
  blacklisted: string[];
  /** When the product's policy is review: the id of the report the vendor will decide on. */
  heldForReview?: string;
}

/**
 * Posts the evidence to `POST /v1/duplicates` of the center. Throws
 * `LICTOR_E_CENTER_UNREACHABLE` when the center cannot be reached (report again later), or the
 * center's own refusal.
 */
export async function reportDuplicate(
  center: string,
  evidence: DuplicateEvidence,
  timeoutMs = 10_000,
): Promise<DuplicateReportResult> {
  const response = await callCenter(new URL('/v1/duplicates', center), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ evidence }),
    timeoutMs,
  });
  const body = jsonOf(response) as { blacklisted?: unknown; heldForReview?: unknown } | null;
  return {
    blacklisted: Array.isArray(body?.blacklisted) ? body.blacklisted.map(String) : [],
    ...(typeof body?.heldForReview === 'string' ? { heldForReview: body.heldForReview } : {}),
  };
}
