/** Products and their features. */
import { CODE_PATTERN, LictorError } from '@lictor/protocol';
import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../store/json-column.js';
import type { DB } from '../store/schema.js';
import { recordAudit } from './audit.js';
import type { CenterContext } from './context.js';
import { invalid, text } from './input.js';
import { refuseReservedOwnerField } from './owner.js';
import type { DuplicatePolicy, Product, ProductInput } from './types.js';

const DEFAULT_OWNER_FIELDS = ['company', 'email'];
const OWNER_FIELD_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function checkCode(code: unknown, field: string): string {
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) {
    invalid(field, `${field} must be 1–64 letters, digits, '_', '-' or '.', starting with a letter or digit`);
  }
  return code;
}

function checkInput(input: ProductInput): Omit<Product, 'createdAt'> {
  const code = checkCode(input.code, 'code');
  const name = text(input.name, 'name', 200);
  const features = (input.features ?? []).map((f, i) => ({
    code: checkCode(f.code, `features[${i}].code`),
    name: f.name === undefined ? f.code : text(f.name, `features[${i}].name`, 200),
  }));
  const seen = new Set<string>();
  for (const [i, f] of features.entries()) {
    if (seen.has(f.code)) invalid(`features[${i}].code`, `feature ${f.code} is listed twice`);
    seen.add(f.code);
  }
  const requiredOwnerFields = input.requiredOwnerFields ?? DEFAULT_OWNER_FIELDS;
  for (const [i, f] of requiredOwnerFields.entries()) {
    if (typeof f !== 'string' || !OWNER_FIELD_PATTERN.test(f)) {
      invalid(`requiredOwnerFields[${i}]`, `owner field names are a letter then letters, digits or '_'`);
    }
    refuseReservedOwnerField(f, `requiredOwnerFields[${i}]`);
  }
  const duplicatePolicy = checkPolicy(input.duplicatePolicy ?? 'blacklist', 'duplicatePolicy');
  return { code, name, features, requiredOwnerFields: [...new Set(requiredOwnerFields)], duplicatePolicy };
}

function checkPolicy(value: unknown, field: string): DuplicatePolicy {
  if (value !== 'blacklist' && value !== 'review') invalid(field, `${field} must be 'blacklist' or 'review'`);
  return value;
}

/** Changes what a product's proven duplicates do. */
export async function setDuplicatePolicy(ctx: CenterContext, code: string, policy: unknown): Promise<Product> {
  const checked = checkPolicy(policy, 'duplicatePolicy');
  const at = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    const before = await requireProduct(trx, code);
    await trx.updateTable('products').set({ duplicate_policy: checked }).where('code', '=', code).execute();
    await recordAudit(ctx, trx, at, {
      actor: 'admin',
      action: 'product.duplicate-policy',
      subject: code,
      details: { from: before.duplicatePolicy, to: checked },
    });
  });
  return requireProduct(ctx.db, code);
}

/** Adds a product and its features. */
export async function addProduct(ctx: CenterContext, input: ProductInput): Promise<Product> {
  const checked = checkInput(input);
  const at = ctx.now();
  const product: Product = { ...checked, createdAt: at.toISOString() };
  const exists = () =>
    new LictorError('LICTOR_E_PRODUCT_EXISTS', `product ${product.code} already exists; choose another code`, {
      product: product.code,
    });
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('products')
        .select('code')
        .where('code', '=', product.code)
        .executeTakeFirst();
      if (existing !== undefined) throw exists();
      await trx
        .insertInto('products')
        .values({
          code: product.code,
          name: product.name,
          required_owner_fields: toJson(product.requiredOwnerFields),
          duplicate_policy: product.duplicatePolicy,
          created_at: product.createdAt,
        })
        .execute();
      if (product.features.length > 0) {
        await trx
          .insertInto('features')
          .values(product.features.map((f) => ({ product_code: product.code, code: f.code, name: f.name })))
          .execute();
      }
      await recordAudit(ctx, trx, at, {
        actor: 'admin',
        action: 'product.add',
        subject: product.code,
        details: { name: product.name, features: product.features.map((f) => f.code) },
      });
    });
  } catch (error) {
    // Two concurrent adds on PostgreSQL: the loser hits the primary key.
    if (ctx.dialect.isUniqueViolation(error)) throw exists();
    throw error;
  }
  return product;
}

/** The refusal of a feature code that product `product` does not have; `known` are its features. */
export function unknownFeature(product: string, code: string, known: readonly string[]): LictorError {
  return new LictorError(
    'LICTOR_E_FEATURE_UNKNOWN',
    `product ${product} has no feature ${code}; its features are: ${known.join(', ') || '(none)'}`,
    { product, feature: code },
  );
}

/** Reads one product with its features, or `undefined`. */
async function findProduct(db: Kysely<DB>, code: string): Promise<Product | undefined> {
  const row = await db.selectFrom('products').selectAll().where('code', '=', code).executeTakeFirst();
  if (row === undefined) return undefined;
  const features = await db
    .selectFrom('features')
    .select(['code', 'name'])
    .where('product_code', '=', code)
    .orderBy('code')
    .execute();
  return {
    code: row.code,
    name: row.name,
    features,
    requiredOwnerFields: fromJson(row.required_owner_fields),
    duplicatePolicy: row.duplicate_policy,
    createdAt: row.created_at,
  };
}

/** Reads one product or throws `LICTOR_E_PRODUCT_UNKNOWN`. */
export async function requireProduct(db: Kysely<DB>, code: string): Promise<Product> {
  const product = await findProduct(db, code);
  if (product === undefined) {
    throw new LictorError(
      'LICTOR_E_PRODUCT_UNKNOWN',
      `product ${code} does not exist; check the code or add the product first`,
      { product: code },
    );
  }
  return product;
}

/** Every product, by code. */
export async function listProducts(ctx: CenterContext): Promise<Product[]> {
  const [rows, features] = await Promise.all([
    ctx.db.selectFrom('products').selectAll().orderBy('code').execute(),
    ctx.db.selectFrom('features').selectAll().orderBy('product_code').orderBy('code').execute(),
  ]);
  return rows.map((row) => ({
    code: row.code,
    name: row.name,
    features: features.filter((f) => f.product_code === row.code).map((f) => ({ code: f.code, name: f.name })),
    requiredOwnerFields: fromJson(row.required_owner_fields),
    duplicatePolicy: row.duplicate_policy,
    createdAt: row.created_at,
  }));
}
