/** Telling the License Center about a duplicate, so that it blacklists the files involved. */
import { type DuplicateEvidence, isErrorCode, LictorError } from '@lictor/protocol';

/** What the center did with a report. */
export interface DuplicateReportResult {
  /** Activations now on the vendor's blacklist. */
  blacklisted: string[];
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
  const url = new URL('/v1/duplicates', center);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ evidence }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new LictorError(
      'LICTOR_E_CENTER_UNREACHABLE',
      `cannot reach the License Center at ${url.origin}: ${(err as Error).message}`,
    );
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok) {
    if (body !== null && isErrorCode(body.code)) throw new LictorError(body.code, String(body.message ?? ''));
    throw new LictorError('LICTOR_E_CENTER_UNREACHABLE', `the License Center answered HTTP ${response.status}`);
  }
  const blacklisted = Array.isArray(body?.blacklisted) ? body.blacklisted.map(String) : [];
  return { blacklisted };
}
