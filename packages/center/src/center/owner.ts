/** Owner registration data: required fields and the key that compares owners. */
import { LictorError, type Owner } from '@lictor/protocol';
import { invalid } from './input.js';
import { invalidInput, type Refusal, refuse } from './outcome.js';

const MAX_FIELDS = 32;
const MAX_LENGTH = 256;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Names an owner field may not have: the properties every JavaScript object inherits
 * (`constructor`, `toString`, …) and `__proto__`. Looked up on a plain object they answer
 * something that is not the customer's data, or change the object itself.
 */
export function reservedOwnerField(name: string): boolean {
  return name === '__proto__' || name === 'prototype' || name in Object.prototype;
}

/** Throws `LICTOR_E_OWNER_FIELD_INVALID` for a reserved owner field name. */
export function refuseReservedOwnerField(name: string, field = `owner.${name}`): void {
  if (reservedOwnerField(name)) {
    throw new LictorError(
      'LICTOR_E_OWNER_FIELD_INVALID',
      `${field}: '${name}' is a reserved name and cannot be an owner field; rename it`,
      { field },
    );
  }
}

/** Checks the shape of untrusted owner data and trims every value. */
export function cleanOwner(value: unknown): Owner {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid('owner', 'owner must be an object of text fields, e.g. {"company": "...", "email": "..."}');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_FIELDS) invalid('owner', `owner may have at most ${MAX_FIELDS} fields`);
  const owner: Owner = {};
  for (const [key, v] of entries) {
    refuseReservedOwnerField(key);
    if (typeof v !== 'string' || v.length > MAX_LENGTH) {
      invalid(`owner.${key}`, `owner.${key} must be a text of at most ${MAX_LENGTH} characters`);
    }
    owner[key] = v.trim();
  }
  return owner;
}

/** `LICTOR_E_OWNER_REQUIRED` naming every missing field, or `INVALID_INPUT` for a bad e-mail; `null` when complete. */
export function ownerRefusal(owner: Owner, required: readonly string[]): Refusal | null {
  const missing = required.filter((f) => !Object.hasOwn(owner, f) || owner[f] === '');
  if (missing.length > 0) {
    return refuse(
      'LICTOR_E_OWNER_REQUIRED',
      `owner registration data is missing: ${missing.join(', ')}; fill ${missing.length === 1 ? 'it' : 'them'} in and activate again`,
      { missing },
    );
  }
  const email = Object.hasOwn(owner, 'email') ? owner.email : undefined;
  if (email !== undefined && email !== '' && !EMAIL.test(email)) {
    return invalidInput('owner.email', `owner.email '${email}' is not an e-mail address`);
  }
  return null;
}

/** Company and e-mail, case- and space-insensitive: who counts as the same owner on reactivation. */
export function ownerKey(owner: Owner): string {
  const norm = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim().toLowerCase();
  return `${norm(owner.company)}\n${norm(owner.email)}`;
}
