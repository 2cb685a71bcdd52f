/**
 * The lease answers as JSON text, written once per answer. Plain answers are written in the
 * schema's key order (fast-json-stringify over `AcquireAnswer` and `HeartbeatAnswer`, as Fastify
 * writes them). An answer MAC'd under a client's session is written in canonical order instead
 * (its keys sorted at every level, `canonicalJson`'s form): that one text is both what the MAC
 * covers and the body sent, its proof appended, so the answer is not serialized twice.
 */
import { type AnswerMacKey, macAnswerJson, type SessionAnswerProof } from '@lictor/protocol';
import { AcquireAnswer, HeartbeatAnswer } from '@lictor/protocol/wire';
import fastJson from 'fast-json-stringify';

/**
 * `schema` for fast-json-stringify writing canonical JSON: at every level the properties sorted
 * by code unit (as `canonicalJson` sorts them) and all required, those named in `drop` removed.
 * All required because fast-json-stringify writes required properties before optional ones: an
 * answer with an optional property is written by a variant of the schema that keeps it, one
 * without it by a variant that drops it. An optional property not named in `optional` is a
 * schema change this module does not cover yet: it throws (at startup). The answers' property
 * names are not integer-like (JavaScript would order those first).
 */
export function canonicalSchema(schema: unknown, drop: readonly string[], optional: readonly string[]): unknown {
  if (Array.isArray(schema)) return schema.map((s) => canonicalSchema(s, drop, optional));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      const properties = value as Record<string, unknown>;
      const required = (schema as { required?: string[] }).required ?? [];
      const kept = Object.keys(properties)
        .filter((name) => !drop.includes(name))
        .sort();
      for (const name of kept) {
        if (!required.includes(name) && !optional.includes(name)) {
          throw new Error(`answer-json: optional property '${name}' has no canonical variant`);
        }
      }
      out[key] = Object.fromEntries(kept.map((name) => [name, canonicalSchema(properties[name], drop, optional)]));
      out.required = kept;
    } else if (key !== 'required') {
      out[key] = canonicalSchema(value, drop, optional);
    }
  }
  return out;
}

/** The optional properties of the lease answers: `proof` (never in what is MAC'd) and `graceMs`. */
const OPTIONAL = ['proof', 'graceMs'];

/** A canonical serializer of `schema`'s answers without `proof`, with and without `lease.graceMs`. */
function canonicalLeaseAnswer<T extends { lease: { graceMs?: number } }>(schema: unknown): (answer: T) => string {
  const withGrace = fastJson(canonicalSchema(schema, ['proof'], OPTIONAL) as never) as (answer: T) => string;
  const withoutGrace = fastJson(canonicalSchema(schema, ['proof', 'graceMs'], OPTIONAL) as never) as (
    answer: T,
  ) => string;
  return (answer) => (answer.lease.graceMs === undefined ? withoutGrace(answer) : withGrace(answer));
}

/** `POST /v1/leases` answers in the schema's order. */
export const acquireJson: (answer: AcquireAnswer) => string = fastJson(AcquireAnswer);
/** `POST /v1/leases/{id}/heartbeat` answers in the schema's order. */
export const heartbeatJson: (answer: HeartbeatAnswer) => string = fastJson(HeartbeatAnswer);

/** `POST /v1/leases` answers without proof, in canonical order (`canonicalJson` of the answer). */
export const acquireCanonicalJson = canonicalLeaseAnswer<Omit<AcquireAnswer, 'proof'>>(AcquireAnswer);
/** `POST /v1/leases/{id}/heartbeat` answers without proof, in canonical order. */
export const heartbeatCanonicalJson = canonicalLeaseAnswer<Omit<HeartbeatAnswer, 'proof'>>(HeartbeatAnswer);

/**
 * The body of an answer MAC'd under a session: `canonical` (the answer's canonical JSON, an
 * object) with `"proof":{"key":"session","mac":…}` appended, the MAC over `canonical` by
 * `macAnswerJson`.
 */
export function sessionProvenJson(
  mac: AnswerMacKey,
  purpose: string,
  containerId: string,
  nonce: string,
  canonical: string,
): string {
  const proof: SessionAnswerProof = { key: 'session', mac: macAnswerJson(mac, purpose, containerId, nonce, canonical) };
  return `${canonical.slice(0, -1)},"proof":{"key":"${proof.key}","mac":"${proof.mac}"}}`;
}
