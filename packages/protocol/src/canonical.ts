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
      // Keys sorted by code unit (the default sort of strings); one pass, no intermediate arrays
      // of entries: signers of many small answers (the License Manager) call this per request.
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        out += `${out.length === 1 ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}
