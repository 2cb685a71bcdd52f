/**
 * The JSON text of the runtime's granting answers, a signed check (`CheckAnswer`) and an opened
 * session (`RuntimeSession`), byte for byte what fast-json-stringify makes of them over their wire
 * schemas (`test/runtime-answer-json.test.ts` holds it to that), written by both ways a request
 * is answered (the Fastify routes and `hot-routes.ts`).
 *
 * What differs is the proof: its `license` is the armored license file (1.5 KB of text with line
 * breaks to escape), the same for every answer of a license file, so it is escaped once per load
 * of the license files (`licenseJsonOf`, `answer-proofs.ts`) instead of once per answer. The
 * fields before the proof are serialized by fast-json-stringify's code over the schema without
 * `proof` and `unproven` (which come last in both schemas), the proof is appended. That code is
 * generated at build time (`wire-code.generated.ts`, fast-json-stringify's `standalone` mode): a
 * serving runtime loads neither the wire schemas' TypeBox builders nor Ajv.
 */
import type {
  RuntimeAnswerProof,
  RuntimeSessionProof,
  RuntimeUnproven,
  CheckAnswer as TCheckAnswer,
  RuntimeSession as TRuntimeSession,
} from '@lictor/protocol/wire';
import { licenseJsonOf } from '../answer-proofs.js';
import { checkFieldsJson, sessionFieldsJson, unprovenJson } from './wire-code.generated.js';

/** `"proof":…` (and `"unproven":…` for an unsigned answer), the last members of both answers. */
function proofMembers(
  proof: RuntimeAnswerProof | RuntimeSessionProof | null,
  unproven: RuntimeUnproven | undefined,
): string {
  const tail = unproven === undefined ? '' : `,"unproven":${unprovenJson(unproven)}`;
  if (proof === null) return `"proof":null${tail}`;
  // Within the application's session: the MAC (base64url, nothing to escape) and the statement.
  if (proof.key === 'session')
    return `"proof":{"key":"session","mac":"${proof.mac}","signed":${JSON.stringify(proof.signed)}}`;
  return `"proof":{"license":${licenseJsonOf(proof)},"key":${JSON.stringify(proof.key)},"signature":${JSON.stringify(proof.signature)},"signed":${JSON.stringify(proof.signed)}}${tail}`;
}

/** `fields` (a JSON object with at least one member) with the proof members appended. */
function appendProof(
  fields: string,
  answer: { proof: RuntimeAnswerProof | RuntimeSessionProof | null; unproven?: RuntimeUnproven },
): string {
  return `${fields.slice(0, -1)},${proofMembers(answer.proof, answer.unproven)}}`;
}

/** The JSON text of a check's answer. */
export function checkAnswerJson(answer: TCheckAnswer): string {
  return appendProof(checkFieldsJson(answer), answer);
}

/** The JSON text of an opened session. */
export function sessionJson(session: TRuntimeSession): string {
  return appendProof(sessionFieldsJson(session), session);
}
