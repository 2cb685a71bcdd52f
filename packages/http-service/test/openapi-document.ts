/**
 * What the center's and the manager's tests check of their OpenAPI documents: every operation
 * has a unique `operationId`, every JSON body (request or answer) is a named schema of
 * `components.schemas`, and every `$ref` resolves inside the document.
 */

interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** A JSON pointer (`#/components/schemas/X`) inside `doc`, or `undefined`. */
function resolve(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every `$ref` string in `node`. */
function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refsIn(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else refsIn(value, out);
    }
  }
  return out;
}

/** A body schema that is a named component, or why not. */
function namedBody(where: string, schema: unknown): string | null {
  const ref = (schema as { $ref?: unknown } | undefined)?.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) return null;
  return `${where}: the JSON body is not a named schema (components.schemas)`;
}

/** What is wrong with `doc`; empty when nothing is. */
export function openApiProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const d = doc as { openapi?: unknown; paths?: Record<string, Record<string, Operation>>; components?: unknown };
  if (typeof d.openapi !== 'string' || !d.openapi.startsWith('3.')) problems.push('not an OpenAPI 3 document');
  const ids = new Map<string, string>();
  for (const [path, operations] of Object.entries(d.paths ?? {})) {
    for (const [method, op] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (typeof op.operationId !== 'string' || op.operationId === '') problems.push(`${where} has no operationId`);
      else if (ids.has(op.operationId)) {
        problems.push(`${where} and ${ids.get(op.operationId)} share the operationId '${op.operationId}'`);
      } else ids.set(op.operationId, where);
      const json = op.requestBody?.content?.['application/json'];
      if (json !== undefined) {
        const problem = namedBody(`${where} request`, json.schema);
        if (problem !== null) problems.push(problem);
      }
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const answer = response.content?.['application/json'];
        if (answer === undefined) continue;
        const problem = namedBody(`${where} ${status}`, answer.schema);
        if (problem !== null) problems.push(problem);
      }
    }
  }
  const names = Object.keys((d.components as { schemas?: object } | undefined)?.schemas ?? {});
  for (const name of names)
    if (/^def-\d+$/.test(name)) problems.push(`components.schemas has an unnamed schema '${name}'`);
  for (const ref of new Set(refsIn(doc))) {
    if (resolve(doc, ref) === undefined) problems.push(`$ref '${ref}' does not resolve`);
  }
  return problems;
}
