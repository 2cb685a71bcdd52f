/**
 * The JSON text of the runtime's granting answers, a signed check (`CheckAnswer`) and an opened
 * session (`RuntimeSession`), byte for byte what fast-json-stringify makes of them over their wire
 * schemas (`test/runtime-answer-json.test.ts` holds it to that), written by both ways a request
 * is answered (the Fastify routes and `hot-routes.ts`).
 *
 * What differs is the proof: its `license` is the armored license file (1.5 KB of text with line
 * breaks to escape), the same for every answer of a license file, so it is escaped once per load
 * of the license files (`licenseJsonOf`, `answer-proofs.ts`) instead of once per answer. The
 * fields before the proof are serialized by fast-json-stringify over the schema without `proof`
 * and `unproven` (which come last in both schemas), the proof is appended.
 */
import type { RuntimeAnswerProof, RuntimeUnproven } from '@lictor/protocol/wire';
import {
  CheckAnswer,
  RuntimeSession,
  RuntimeUnproven as RuntimeUnprovenSchema,
  type CheckAnswer as TCheckAnswer,
  type RuntimeSession as TRuntimeSession,
} from '@lictor/protocol/wire';
import fastJson, { type Schema } from 'fast-json-stringify';
import { licenseJsonOf } from '../answer-proofs.js';

/** An object schema without its `proof` and `unproven` properties. */
function withoutProof(schema: { properties: Record<string, object>; required?: readonly string[] }): Schema {
  const { proof: _p, unproven: _u, ...properties } = schema.properties;
  return {
    type: 'object',
    properties,
    required: (schema.required ?? []).filter((name) => name !== 'proof' && name !== 'unproven'),
  };
}

const checkFields = fastJson(withoutProof(CheckAnswer));
const sessionFields = fastJson(withoutProof(RuntimeSession));
const unprovenJson = fastJson(RuntimeUnprovenSchema);

/** `"proof":…` (and `"unproven":…` for an unsigned answer), the last members of both answers. */
function proofMembers(proof: RuntimeAnswerProof | null, unproven: RuntimeUnproven | undefined): string {
  const tail = unproven === undefined ? '' : `,"unproven":${unprovenJson(unproven)}`;
  if (proof === null) return `"proof":null${tail}`;
  return `"proof":{"license":${licenseJsonOf(proof)},"key":${JSON.stringify(proof.key)},"signature":${JSON.stringify(proof.signature)},"signed":${JSON.stringify(proof.signed)}}${tail}`;
}

/** `fields` (a JSON object with at least one member) with the proof members appended. */
function appendProof(fields: string, answer: { proof: RuntimeAnswerProof | null; unproven?: RuntimeUnproven }): string {
  return `${fields.slice(0, -1)},${proofMembers(answer.proof, answer.unproven)}}`;
}

/** The JSON text of a check's answer. */
export function checkAnswerJson(answer: TCheckAnswer): string {
  return appendProof(checkFields(answer), answer);
}

/** The JSON text of an opened session. */
export function sessionJson(session: TRuntimeSession): string {
  return appendProof(sessionFields(session), session);
}
