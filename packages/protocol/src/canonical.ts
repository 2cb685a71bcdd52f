/**
 * Canonical JSON: object keys sorted by code unit, no white space, integers and strings only
 * (no floats, which have several spellings). Signatures are always computed over these bytes,
 * so moving text between fields can never keep a signature valid.
 */
export type Canonical = string | number | boolean | null | Canonical[] | { [key: string]: Canonical };

/** Serializes a value canonically; throws on values that have no single spelling. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON allows safe integers only, got ${value}`);
      return String(value);
    case 'object': {
      // Built by concatenation in plain loops: every license, request and answer is signed and
      // verified over these bytes, so this runs several times per activation and per file read.
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw new TypeError('canonical JSON cannot encode an array with holes');
          if (i > 0) out += ',';
          out += canonicalJson(value[i]);
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `canonical JSON encodes plain objects only, got ${proto?.constructor?.name ?? 'an object'}`,
        );
      }
      // The default sort compares strings by UTF-16 code unit, the canonical order.
      const keys = Object.keys(value).sort();
      const record = value as Record<string, unknown>;
      let out = '{';
      for (const key of keys) {
        const v = record[key];
        if (v === undefined) continue;
        if (out.length > 1) out += ',';
        out += `${JSON.stringify(key)}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}
